//! Who the client is, told to the subgraphs: the router signs the claims
//! it verified (a few of them, named in the config) into a short JWT
//! (HS256, with a secret it shares with the services) and sends it in a
//! header of its own on every subgraph request. A service that knows the
//! secret trusts that header and nothing else, so it can check what
//! concerns it (defence in depth) without seeing the client's token; a
//! client cannot forge it, and the router never forwards a client's copy
//! of that header (header rules cannot name it).

use std::path::PathBuf;

use http::{HeaderName, HeaderValue};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::Deserialize;

use super::{Claims, KeysError};

/// `[authentication.forward]`: off unless `secret_file` is set.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ForwardConfig {
    /// The shared HMAC secret (its bytes; 32 or more).
    pub secret_file: Option<PathBuf>,
    /// The header subgraphs receive the signed claims in.
    pub header: String,
    /// The claims copied from the client's token.
    pub claims: Vec<String>,
    /// `iss` of the forwarded token.
    pub issuer: String,
}

impl Default for ForwardConfig {
    fn default() -> Self {
        ForwardConfig {
            secret_file: None,
            header: IDENTITY_HEADER.into(),
            claims: vec!["sub".into(), "email".into(), "scope".into()],
            issuer: ISSUER.into(),
        }
    }
}

/// The header's default name.
pub const IDENTITY_HEADER: &str = "x-router-identity";
/// The forwarded token's default `iss`.
pub const ISSUER: &str = "router";
/// Shorter secrets are refused: HS256 wants at least its hash's length.
pub const MIN_SECRET_BYTES: usize = 32;

/// Signs forwarded identities.
pub struct Forwarder {
    key: EncodingKey,
    header: HeaderName,
    claims: Vec<String>,
    issuer: String,
}

impl std::fmt::Debug for Forwarder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Forwarder")
            .field("header", &self.header)
            .finish_non_exhaustive()
    }
}

impl Forwarder {
    /// `None` when forwarding is off.
    pub fn new(config: &ForwardConfig) -> Result<Option<Forwarder>, KeysError> {
        let Some(file) = &config.secret_file else {
            return Ok(None);
        };
        let read = |reason: String| KeysError::Read {
            jwks: file.display().to_string(),
            reason,
        };
        let secret = std::fs::read(file).map_err(|e| read(e.to_string()))?;
        let secret = secret.trim_ascii();
        if secret.len() < MIN_SECRET_BYTES {
            return Err(read(format!(
                "the forwarding secret must be at least {MIN_SECRET_BYTES} bytes"
            )));
        }
        let header = HeaderName::try_from(config.header.as_str())
            .map_err(|_| read(format!("{:?} is not a header name", config.header)))?;
        Ok(Some(Forwarder {
            key: EncodingKey::from_secret(secret),
            header,
            claims: config.claims.clone(),
            issuer: config.issuer.clone(),
        }))
    }

    pub fn header(&self) -> &HeaderName {
        &self.header
    }

    /// The header value for a client with these verified claims; it
    /// expires with the client's token.
    pub fn sign(&self, claims: &Claims) -> Option<HeaderValue> {
        let mut forwarded = Claims::new();
        for name in &self.claims {
            if let Some(value) = claims.get(name) {
                forwarded.insert(name.clone(), value.clone());
            }
        }
        forwarded.insert("iss".into(), self.issuer.clone().into());
        forwarded.insert("exp".into(), claims.get("exp")?.clone());
        let token =
            jsonwebtoken::encode(&Header::new(Algorithm::HS256), &forwarded, &self.key).ok()?;
        HeaderValue::try_from(token).ok()
    }
}
