//! Authentication: who sent a request, from the JWT bearer token in its
//! `authorization` header, verified against the keys of the configured
//! JWKS documents (`keys`). No token is an anonymous request; a bad,
//! expired or unverifiable one is refused with 401 before anything else
//! runs. Verified claims travel with the request (`RequestContext::claims`)
//! for the authorization stage.

pub mod forward;
pub mod keys;

use std::sync::Arc;
use std::time::Duration;

use http::HeaderMap;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, Validation};
use serde::Deserialize;

pub use forward::{ForwardConfig, Forwarder};
pub use keys::{JwksSource, KeyStore, KeysError};

use crate::graphql::{self, JsonMap};

pub const UNAUTHENTICATED: &str = "UNAUTHENTICATED";

/// `[authentication]`: off unless `jwks` names a source.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuthenticationConfig {
    /// JWKS documents: `[{ file = "keys.json" }, { url = "https://…/jwks.json" }]`.
    pub jwks: Vec<JwksSource>,
    /// How often each JWKS is read again (key rotation).
    pub poll_interval_ms: u64,
    /// Accepted `iss` values; empty: any issuer.
    pub issuers: Vec<String>,
    /// Accepted `aud` values; empty: the audience is not checked.
    pub audiences: Vec<String>,
    /// Signature algorithms accepted.
    pub algorithms: Vec<Algorithm>,
    /// Seconds of clock skew allowed on `exp` and `nbf`.
    pub leeway_s: u64,
    /// The header the token comes in, and the scheme before it.
    pub header: String,
    pub scheme: String,
    /// The verified claims, signed for the subgraphs (`[authentication.forward]`).
    pub forward: ForwardConfig,
}

impl Default for AuthenticationConfig {
    fn default() -> Self {
        AuthenticationConfig {
            jwks: Vec::new(),
            poll_interval_ms: 60_000,
            issuers: Vec::new(),
            audiences: Vec::new(),
            algorithms: vec![
                Algorithm::RS256,
                Algorithm::ES256,
                Algorithm::EdDSA,
                Algorithm::HS256,
            ],
            leeway_s: 30,
            header: "authorization".into(),
            scheme: "Bearer".into(),
            forward: ForwardConfig::default(),
        }
    }
}

/// A verified token's claims.
pub type Claims = JsonMap;

/// A verified client: its claims, and the header value telling the
/// subgraphs who it is (when forwarding is on).
#[derive(Debug, Clone, PartialEq)]
pub struct Identity {
    pub claims: Claims,
    pub forwarded: Option<http::HeaderValue>,
}

/// Why a token was refused (`extensions.reason`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("The token is not a JWT sent as `<scheme> <token>`.")]
    Malformed,
    #[error("The token has expired.")]
    Expired,
    #[error("The token is not valid yet.")]
    NotYetValid,
    #[error("The token's signature does not verify with any known key.")]
    BadSignature,
    #[error("The token is signed with an algorithm this router does not accept.")]
    WrongAlgorithm,
    #[error("The token's issuer is not accepted.")]
    WrongIssuer,
    #[error("The token's audience is not accepted.")]
    WrongAudience,
    #[error("The token lacks a required claim (`exp`).")]
    MissingClaim,
    #[error("No signing keys are loaded yet.")]
    NoKeys,
}

impl AuthError {
    pub fn reason(self) -> &'static str {
        match self {
            AuthError::Malformed => "malformed",
            AuthError::Expired => "expired",
            AuthError::NotYetValid => "not_yet_valid",
            AuthError::BadSignature => "bad_signature",
            AuthError::WrongAlgorithm => "wrong_algorithm",
            AuthError::WrongIssuer => "wrong_issuer",
            AuthError::WrongAudience => "wrong_audience",
            AuthError::MissingClaim => "missing_claim",
            AuthError::NoKeys => "no_keys",
        }
    }

    pub fn to_graphql_error(self) -> graphql::Error {
        let mut error = graphql::Error::coded(self.to_string(), UNAUTHENTICATED);
        error
            .extensions
            .insert("reason".into(), self.reason().into());
        error
    }
}

/// Tokens verified recently, so a client sending the same token again
/// costs a lookup, not a signature check.
const VERIFIED_TOKENS: u64 = 10_000;

/// Verifies tokens for one router config.
pub struct Authenticator {
    config: AuthenticationConfig,
    keys: Arc<KeyStore>,
    forwarder: Option<Forwarder>,
    /// Verified tokens and their claims: used only while the key set is
    /// the one they were verified with and `exp` has not passed.
    verified: moka::sync::Cache<Arc<str>, Verified>,
}

#[derive(Clone)]
struct Verified {
    identity: Arc<Identity>,
    /// The key set's generation it was verified under.
    generation: u64,
    /// `exp`, in seconds since the epoch.
    expires: u64,
}

impl Authenticator {
    /// `None` when no JWKS is configured. Files are read now; URLs by
    /// `load`, then every source is polled.
    pub fn new(config: &AuthenticationConfig) -> Result<Option<Authenticator>, KeysError> {
        if config.jwks.is_empty() {
            return Ok(None);
        }
        let keys = KeyStore::new(config.jwks.clone())?;
        let interval = Duration::from_millis(config.poll_interval_ms.max(1_000));
        KeyStore::poll(&keys, interval);
        Ok(Some(Authenticator {
            config: config.clone(),
            keys,
            forwarder: Forwarder::new(&config.forward)?,
            verified: moka::sync::Cache::builder()
                .max_capacity(VERIFIED_TOKENS)
                .time_to_live(interval)
                .build(),
        }))
    }

    /// Reads every source once (URLs included), before serving.
    pub async fn load(&self) {
        self.keys.refresh().await;
    }

    /// The claims of the request's token; `None` for a request without one.
    pub fn authenticate(&self, headers: &HeaderMap) -> Result<Option<Arc<Identity>>, AuthError> {
        let Some(value) = headers.get(self.config.header.as_str()) else {
            return Ok(None);
        };
        let value = value.to_str().map_err(|_| AuthError::Malformed)?.trim();
        let token = match value.split_once(' ') {
            Some((scheme, token)) if scheme.eq_ignore_ascii_case(&self.config.scheme) => {
                token.trim()
            }
            _ => return Err(AuthError::Malformed),
        };
        let generation = self.keys.generation();
        if let Some(verified) = self.verified.get(token) {
            // Expired since, or the keys changed: the full check decides.
            if verified.generation == generation
                && verified.expires.saturating_add(self.config.leeway_s) > unix_now()
            {
                return Ok(Some(verified.identity));
            }
            self.verified.invalidate(token);
        }
        let claims = self.verify(token)?;
        let identity = Arc::new(Identity {
            forwarded: self.forwarder.as_ref().and_then(|f| f.sign(&claims)),
            claims,
        });
        if let Some(expires) = identity.claims.get("exp").and_then(|e| e.as_u64()) {
            self.verified.insert(
                Arc::from(token),
                Verified {
                    identity: identity.clone(),
                    generation,
                    expires,
                },
            );
        }
        Ok(Some(identity))
    }

    /// Checks `token`'s signature and claims.
    fn verify(&self, token: &str) -> Result<Claims, AuthError> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| AuthError::Malformed)?;
        if !self.config.algorithms.contains(&header.alg) {
            return Err(AuthError::WrongAlgorithm);
        }
        let candidates = self.keys.candidates(header.kid.as_deref(), header.alg);
        if candidates.is_empty() {
            return Err(if self.keys.is_empty() {
                AuthError::NoKeys
            } else {
                AuthError::BadSignature
            });
        }
        let validation = self.validation(header.alg);
        let mut refused = AuthError::BadSignature;
        for candidate in candidates {
            match jsonwebtoken::decode::<Claims>(token, &candidate.key, &validation) {
                Ok(data) => return Ok(data.claims),
                Err(err) => match err.kind() {
                    // Another key may verify it.
                    ErrorKind::InvalidSignature
                    | ErrorKind::InvalidAlgorithm
                    | ErrorKind::InvalidKeyFormat
                    | ErrorKind::InvalidEcdsaKey
                    | ErrorKind::InvalidEddsaKey
                    | ErrorKind::InvalidRsaKey(_) => {}
                    // The signature held: the claims are what is wrong.
                    other => {
                        refused = claim_error(other);
                        break;
                    }
                },
            }
        }
        Err(refused)
    }

    fn validation(&self, algorithm: Algorithm) -> Validation {
        let mut validation = Validation::new(algorithm);
        validation.leeway = self.config.leeway_s;
        validation.validate_nbf = true;
        if !self.config.issuers.is_empty() {
            validation.set_issuer(&self.config.issuers);
        }
        if self.config.audiences.is_empty() {
            validation.validate_aud = false;
        } else {
            validation.set_audience(&self.config.audiences);
        }
        validation
    }
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn claim_error(kind: &ErrorKind) -> AuthError {
    match kind {
        ErrorKind::ExpiredSignature => AuthError::Expired,
        ErrorKind::ImmatureSignature => AuthError::NotYetValid,
        ErrorKind::InvalidIssuer => AuthError::WrongIssuer,
        ErrorKind::InvalidAudience => AuthError::WrongAudience,
        ErrorKind::MissingRequiredClaim(_) => AuthError::MissingClaim,
        _ => AuthError::Malformed,
    }
}

#[cfg(test)]
pub(crate) mod testing;
#[cfg(test)]
mod tests;
