//! Who is calling a service, as the router vouches for it: the router
//! verifies the client's token, signs the claims services need (HS256,
//! with a secret the services share) and sends them in
//! `x-router-identity`. A service configured with that secret (`Access`)
//! trusts the header and nothing else; each resolver then checks what
//! concerns it (`Caller::require_scope`, `Caller::may_act_for`), so a
//! request that reaches a service some other way than through the router
//! is held to the same rules (defence in depth).
//!
//! A service without the secret checks nothing (`Caller::Unchecked`): a
//! standalone service in development, or one whose network only the router
//! can reach.

use std::path::Path;
use std::sync::Arc;

use async_graphql::Context;
use axum::http::{HeaderMap, HeaderName};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;

use crate::error::coded;

/// The header the router sends the signed identity in.
pub const IDENTITY_HEADER: &str = "x-router-identity";
/// The `iss` the router signs with.
pub const ISSUER: &str = "router";
/// Shorter secrets are refused (HS256 wants at least its hash's length).
pub const MIN_SECRET_BYTES: usize = 32;

pub const UNAUTHENTICATED: &str = "UNAUTHENTICATED";
pub const FORBIDDEN: &str = "FORBIDDEN";

#[derive(Debug, thiserror::Error)]
pub enum AccessError {
    #[error("cannot read the router's identity secret {path}: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("the router's identity secret must be at least {MIN_SECRET_BYTES} bytes")]
    TooShort,
}

/// Verifies the router's identity header.
pub struct Access {
    key: DecodingKey,
    validation: Validation,
    header: HeaderName,
}

impl std::fmt::Debug for Access {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Access")
            .field("header", &self.header)
            .finish_non_exhaustive()
    }
}

impl Access {
    pub fn from_secret(secret: &[u8]) -> Result<Access, AccessError> {
        let secret = secret.trim_ascii();
        if secret.len() < MIN_SECRET_BYTES {
            return Err(AccessError::TooShort);
        }
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.validate_aud = false;
        validation.leeway = 30;
        Ok(Access {
            key: DecodingKey::from_secret(secret),
            validation,
            header: HeaderName::from_static(IDENTITY_HEADER),
        })
    }

    pub fn from_file(path: &Path) -> Result<Access, AccessError> {
        let secret = std::fs::read(path).map_err(|source| AccessError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Access::from_secret(&secret)
    }

    /// The caller the request's headers name: anonymous without the
    /// header; an error when the header does not verify.
    pub fn caller(&self, headers: &HeaderMap) -> Result<Caller, async_graphql::Error> {
        let Some(value) = headers.get(&self.header) else {
            return Ok(Caller::Anonymous);
        };
        let refused = || {
            coded(
                "The caller's identity does not verify: it must come from the router.",
                UNAUTHENTICATED,
            )
        };
        let token = value.to_str().map_err(|_| refused())?;
        let data = jsonwebtoken::decode::<Identity>(token, &self.key, &self.validation)
            .map_err(|_| refused())?;
        Ok(Caller::Verified(Arc::new(data.claims)))
    }
}

/// The claims the router forwards.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct Identity {
    #[serde(default)]
    pub sub: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default, deserialize_with = "scopes")]
    pub scope: Vec<String>,
}

/// `scope` is a space-separated string (OAuth 2) or a list.
fn scopes<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Scopes {
        Text(String),
        List(Vec<String>),
    }
    Ok(match Option::<Scopes>::deserialize(d)? {
        Some(Scopes::Text(text)) => text.split_ascii_whitespace().map(str::to_owned).collect(),
        Some(Scopes::List(list)) => list,
        None => Vec::new(),
    })
}

/// Who is calling.
#[derive(Debug, Clone)]
pub enum Caller {
    /// The service checks nothing (no identity secret configured).
    Unchecked,
    Anonymous,
    Verified(Arc<Identity>),
}

static ANONYMOUS: Caller = Caller::Anonymous;

impl Caller {
    /// The caller of the request being resolved. A request that reached
    /// the schema without one (not through the service's HTTP handler) is
    /// anonymous: missing data never opens anything.
    pub fn of<'a>(ctx: &'a Context<'_>) -> &'a Caller {
        ctx.data_opt::<Caller>().unwrap_or(&ANONYMOUS)
    }

    pub fn has_scope(&self, scope: &str) -> bool {
        match self {
            Caller::Unchecked => true,
            Caller::Anonymous => false,
            Caller::Verified(identity) => identity.scope.iter().any(|s| s == scope),
        }
    }

    /// The verified email, if any.
    pub fn email(&self) -> Option<&str> {
        match self {
            Caller::Verified(identity) => identity.email.as_deref(),
            _ => None,
        }
    }

    pub fn require_authenticated(&self) -> async_graphql::Result<()> {
        match self {
            Caller::Anonymous => Err(coded("Sign in to do this.", UNAUTHENTICATED)),
            _ => Ok(()),
        }
    }

    pub fn require_scope(&self, scope: &str) -> async_graphql::Result<()> {
        self.require_authenticated()?;
        if self.has_scope(scope) {
            Ok(())
        } else {
            Err(coded(format!("This needs the scope {scope}."), FORBIDDEN))
        }
    }

    /// Whether the caller may act for the customer with this email: it is
    /// their own (case-insensitively), or the caller holds `staff_scope`.
    pub fn may_act_for(&self, email: &str, staff_scope: &str) -> bool {
        self.has_scope(staff_scope)
            || self
                .email()
                .is_some_and(|own| own.eq_ignore_ascii_case(email))
    }

    /// `may_act_for`, or a FORBIDDEN error (UNAUTHENTICATED when anonymous).
    pub fn require_act_for(&self, email: &str, staff_scope: &str) -> async_graphql::Result<()> {
        self.require_authenticated()?;
        if self.may_act_for(email, staff_scope) {
            Ok(())
        } else {
            Err(coded(
                format!("Only the customer or a caller with {staff_scope} may do this."),
                FORBIDDEN,
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::{EncodingKey, Header};
    use serde_json::json;

    const SECRET: &[u8] = b"a forwarding secret of 32 bytes or more";

    fn signed(secret: &[u8], claims: serde_json::Value) -> HeaderMap {
        let token = jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &EncodingKey::from_secret(secret),
        )
        .unwrap();
        let mut headers = HeaderMap::new();
        headers.insert(IDENTITY_HEADER, token.parse().unwrap());
        headers
    }

    fn exp() -> u64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs()
            + 600
    }

    #[test]
    fn the_routers_identity_verifies_and_anything_else_is_refused() {
        let access = Access::from_secret(SECRET).unwrap();
        let caller = access
            .caller(&signed(
                SECRET,
                json!({ "iss": "router", "exp": exp(), "sub": "u1", "email": "ada@example.com", "scope": "orders:read admin" }),
            ))
            .unwrap();
        assert!(caller.has_scope("admin") && caller.has_scope("orders:read"));
        assert_eq!(caller.email(), Some("ada@example.com"));
        assert!(matches!(
            access.caller(&HeaderMap::new()),
            Ok(Caller::Anonymous)
        ));
        let forged = signed(
            b"another secret that is 32 bytes long!!",
            json!({ "iss": "router", "exp": exp() }),
        );
        assert!(access.caller(&forged).is_err());
        let expired = signed(SECRET, json!({ "iss": "router", "exp": 1000 }));
        assert!(access.caller(&expired).is_err());
        let other_issuer = signed(SECRET, json!({ "iss": "someone", "exp": exp() }));
        assert!(access.caller(&other_issuer).is_err());
        assert!(matches!(
            Access::from_secret(b"short"),
            Err(AccessError::TooShort)
        ));
    }

    #[test]
    fn callers_act_for_themselves_or_with_the_staff_scope() {
        let customer = Caller::Verified(Arc::new(Identity {
            email: Some("Ada@Example.com".into()),
            ..Identity::default()
        }));
        assert!(customer.may_act_for("ada@example.com", "orders:read"));
        assert!(!customer.may_act_for("bob@example.com", "orders:read"));
        assert!(customer.require_scope("admin").is_err());
        assert!(Caller::Anonymous.require_authenticated().is_err());
        assert!(Caller::Unchecked.require_scope("admin").is_ok());
    }
}
