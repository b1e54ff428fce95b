//! Signed tokens for the authorization tests: one HS256 key in a JWKS file,
//! and the router settings that trust it.

use std::path::PathBuf;

use http::{HeaderMap, HeaderValue};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use router::auth::JwksSource;
use router::config::RouterConfig;
use serde_json::Value;

/// `k` is this secret, base64url-encoded.
const SECRET: &[u8] = b"a shared secret for tests only, 32+ bytes long";
const JWKS: &str = r#"{"keys":[{"kty":"oct","kid":"suite","alg":"HS256","k":"YSBzaGFyZWQgc2VjcmV0IGZvciB0ZXN0cyBvbmx5LCAzMisgYnl0ZXMgbG9uZw"}]}"#;

/// The JWKS in a file of its own, removed when dropped.
pub struct Keys(PathBuf);

impl Drop for Keys {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

impl Keys {
    pub fn new() -> Keys {
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("suite-jwks-{}-{n}.json", std::process::id()));
        std::fs::write(&path, JWKS).expect("JWKS written");
        Keys(path)
    }

    /// `config` trusting these keys.
    pub fn trusted_by(&self, mut config: RouterConfig) -> RouterConfig {
        config.authentication.jwks = vec![JwksSource::File {
            file: self.0.clone(),
        }];
        config
    }
}

/// An `authorization: Bearer …` header for a token with `claims` (an
/// `exp` an hour from now is added).
pub fn bearer(mut claims: Value) -> HeaderMap {
    let exp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs()
        + 3600;
    claims["exp"] = exp.into();
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some("suite".into());
    let token = jsonwebtoken::encode(&header, &claims, &EncodingKey::from_secret(SECRET))
        .expect("token signs");
    let mut headers = HeaderMap::new();
    headers.insert(
        "authorization",
        HeaderValue::from_str(&format!("Bearer {token}")).expect("header value"),
    );
    headers
}
