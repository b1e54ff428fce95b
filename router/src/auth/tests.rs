use std::sync::{Arc, Mutex};

use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;
use http::{HeaderMap, HeaderValue};
use jsonwebtoken::{EncodingKey, Header, encode};
use serde_json::json;

use super::testing::*;
use super::*;

fn authenticator_with(path: &std::path::Path, config: AuthenticationConfig) -> Authenticator {
    let config = AuthenticationConfig {
        jwks: vec![JwksSource::File {
            file: path.to_owned(),
        }],
        ..config
    };
    Authenticator::new(&config).unwrap().unwrap()
}

#[test]
fn tokens_of_each_accepted_algorithm_verify_with_the_jwks() {
    let (_dir, path) = jwks_file();
    let auth = authenticator_with(&path, AuthenticationConfig::default());
    for (algorithm, kid) in [
        (Algorithm::RS256, "rsa-1"),
        (Algorithm::ES256, "ec-1"),
        (Algorithm::EdDSA, "ed-1"),
        (Algorithm::HS256, "hs-1"),
    ] {
        let token = sign(algorithm, Some(kid), claims());
        let verified = auth.authenticate(&bearer(&token)).unwrap().unwrap();
        assert_eq!(verified.claims["sub"], "grace@example.com", "{algorithm:?}");
        // Without a `kid`, every key of the algorithm is tried.
        let token = sign(algorithm, None, claims());
        assert!(auth.authenticate(&bearer(&token)).unwrap().is_some());
    }
}

#[test]
fn no_token_is_anonymous_and_a_bad_one_says_why() {
    let (_dir, path) = jwks_file();
    let auth = authenticator_with(
        &path,
        AuthenticationConfig {
            issuers: vec!["https://idp.test".into()],
            audiences: vec!["shop".into()],
            algorithms: vec![Algorithm::RS256, Algorithm::HS256],
            ..AuthenticationConfig::default()
        },
    );
    assert_eq!(auth.authenticate(&HeaderMap::new()), Ok(None));
    let refused = |headers: HeaderMap| auth.authenticate(&headers).unwrap_err();
    let with = |change: serde_json::Value| {
        let mut claims = claims();
        for (k, v) in change.as_object().unwrap() {
            claims[k] = v.clone();
        }
        sign(Algorithm::RS256, Some("rsa-1"), claims)
    };
    assert_eq!(refused(bearer("not.a.jwt")), AuthError::Malformed);
    let mut basic = HeaderMap::new();
    basic.insert(
        "authorization",
        HeaderValue::from_static("Basic Zm9vOmJhcg=="),
    );
    assert_eq!(refused(basic), AuthError::Malformed);
    assert_eq!(
        refused(bearer(&with(json!({"exp": now() - 120})))),
        AuthError::Expired
    );
    assert!(
        auth.authenticate(&bearer(&with(json!({"exp": now() - 10}))))
            .unwrap()
            .is_some(),
        "within the leeway"
    );
    assert_eq!(
        refused(bearer(&with(json!({"nbf": now() + 600})))),
        AuthError::NotYetValid
    );
    assert_eq!(
        refused(bearer(&with(json!({"iss": "https://evil.test"})))),
        AuthError::WrongIssuer
    );
    assert_eq!(
        refused(bearer(&with(json!({"aud": "other"})))),
        AuthError::WrongAudience
    );
    let no_exp = {
        let mut claims = claims();
        claims.as_object_mut().unwrap().remove("exp");
        sign(Algorithm::RS256, Some("rsa-1"), claims)
    };
    assert_eq!(refused(bearer(&no_exp)), AuthError::MissingClaim);
    // Signed by a key no JWKS has, under a kid that exists.
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some("rsa-1".into());
    let forged = encode(
        &header,
        &claims(),
        &EncodingKey::from_rsa_pem(OTHER_RSA.as_bytes()).unwrap(),
    )
    .unwrap();
    assert_eq!(refused(bearer(&forged)), AuthError::BadSignature);
    assert_eq!(
        refused(bearer(&sign(Algorithm::EdDSA, Some("ed-1"), claims()))),
        AuthError::WrongAlgorithm,
        "EdDSA is not in this config's list"
    );
    let error = AuthError::Expired.to_graphql_error();
    assert_eq!(error.extensions["code"], UNAUTHENTICATED);
    assert_eq!(error.extensions["reason"], "expired");
}

#[test]
fn a_public_key_is_never_taken_for_an_hmac_secret() {
    // The classic confusion: HS256 signed with the RSA public key's text.
    let (_dir, path) = jwks_file();
    let auth = authenticator_with(&path, AuthenticationConfig::default());
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some("rsa-1".into());
    let token = encode(
        &header,
        &claims(),
        &EncodingKey::from_secret(RSA.as_bytes()),
    )
    .unwrap();
    assert_eq!(
        auth.authenticate(&bearer(&token)),
        Err(AuthError::BadSignature)
    );
}

#[tokio::test]
async fn rotated_keys_are_picked_up_and_a_failed_refresh_keeps_the_last_ones() {
    // A JWKS served over HTTP that the test rotates and breaks.
    let served = Arc::new(Mutex::new((StatusCode::OK, r#"{"keys": []}"#.to_owned())));
    let app = {
        let served = served.clone();
        Router::new().route(
            "/jwks.json",
            get(move || {
                let served = served.clone();
                async move { served.lock().unwrap().clone() }
            }),
        )
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/jwks.json", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let config = AuthenticationConfig {
        jwks: vec![JwksSource::Url { url }],
        ..AuthenticationConfig::default()
    };
    let auth = Authenticator::new(&config).unwrap().unwrap();
    auth.load().await;
    let token = bearer(&sign(Algorithm::RS256, Some("rsa-1"), claims()));
    assert_eq!(auth.authenticate(&token), Err(AuthError::NoKeys));

    *served.lock().unwrap() = (StatusCode::OK, JWKS.to_owned());
    auth.load().await;
    assert!(auth.authenticate(&token).unwrap().is_some(), "rotated in");

    *served.lock().unwrap() = (StatusCode::INTERNAL_SERVER_ERROR, "down".to_owned());
    auth.load().await;
    assert!(auth.authenticate(&token).unwrap().is_some(), "kept");
    *served.lock().unwrap() = (StatusCode::OK, "not json".to_owned());
    auth.load().await;
    assert!(auth.authenticate(&token).unwrap().is_some(), "kept");

    // Rotated out: only the EC key remains.
    let ec_only = serde_json::json!({
        "keys": serde_json::from_str::<serde_json::Value>(JWKS).unwrap()["keys"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|k| k["kid"] == "ec-1")
            .collect::<Vec<_>>()
    });
    *served.lock().unwrap() = (StatusCode::OK, ec_only.to_string());
    auth.load().await;
    assert_eq!(auth.authenticate(&token), Err(AuthError::BadSignature));
}

#[test]
fn a_jwks_file_that_cannot_be_read_is_an_error_at_start_up() {
    let missing = AuthenticationConfig {
        jwks: vec![JwksSource::File {
            file: "/nonexistent/jwks.json".into(),
        }],
        ..AuthenticationConfig::default()
    };
    let err = Authenticator::new(&missing).err().unwrap();
    assert!(err.to_string().contains("/nonexistent/jwks.json"), "{err}");
    assert!(
        Authenticator::new(&AuthenticationConfig::default())
            .unwrap()
            .is_none()
    );
}
