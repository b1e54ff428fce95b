//! Keys, tokens and a JWKS file for tests of authentication (here and in
//! the server's tests).

use std::path::PathBuf;

use http::{HeaderMap, HeaderValue};
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use serde_json::json;

pub const JWKS: &str = include_str!("testdata/jwks.json");
pub const RSA: &str = include_str!("testdata/rsa.pem");
pub const EC: &str = include_str!("testdata/ec.pem");
pub const ED: &str = include_str!("testdata/ed.pem");
pub const OTHER_RSA: &str = include_str!("testdata/other-rsa.pem");
pub const SECRET: &[u8] = b"a shared secret for tests only, 32+ bytes long";

pub fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

pub fn sign(algorithm: Algorithm, kid: Option<&str>, claims: serde_json::Value) -> String {
    let key = match algorithm {
        Algorithm::RS256 => EncodingKey::from_rsa_pem(RSA.as_bytes()).unwrap(),
        Algorithm::ES256 => EncodingKey::from_ec_pem(EC.as_bytes()).unwrap(),
        Algorithm::EdDSA => EncodingKey::from_ed_pem(ED.as_bytes()).unwrap(),
        _ => EncodingKey::from_secret(SECRET),
    };
    let mut header = Header::new(algorithm);
    header.kid = kid.map(str::to_owned);
    encode(&header, &claims, &key).unwrap()
}

pub fn claims() -> serde_json::Value {
    json!({ "sub": "grace@example.com", "iss": "https://idp.test", "aud": "shop", "exp": now() + 600, "scope": "orders:read" })
}

pub fn bearer(token: &str) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(
        "authorization",
        HeaderValue::from_str(&format!("Bearer {token}")).unwrap(),
    );
    headers
}

/// The test JWKS in a file of its own, removed when dropped.
pub struct JwksFile(PathBuf);

impl Drop for JwksFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

pub fn jwks_file() -> (JwksFile, PathBuf) {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let path = std::env::temp_dir().join(format!("router-jwks-{}-{n}.json", std::process::id()));
    std::fs::write(&path, JWKS).unwrap();
    (JwksFile(path.clone()), path)
}
