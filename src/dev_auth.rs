//! The all-in-one run's identities, so the two-command start shows the
//! whole graph with authorization on: a development signing key, the JWKS
//! the router trusts it by, the secret the router signs forwarded
//! identities with (shared with the services), and two ready-made tokens
//! (a customer and an admin). The keys are generated once and kept under
//! the data directory; the tokens are minted at every start.
//!
//! Development only: the signing key is an HS256 secret, so the JWKS holds
//! it. Production deployments point `[authentication] jwks` at their
//! identity provider's public keys.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use base64::Engine as _;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rand::RngCore;
use router::auth::JwksSource;
use router::authorization::policy::Rule;
use router::config::RouterConfig;
use serde_json::{Value, json};
use subgraph_kit::caller::Access;

/// Who the ready-made tokens are.
pub const CUSTOMER_EMAIL: &str = "ada@example.com";
pub const ADMIN_EMAIL: &str = "admin@example.com";
/// Scopes: `admin` changes the catalog, stock, shipping and invoices;
/// `orders:read` reads every customer's orders and payments.
pub const ADMIN_SCOPES: &str = "admin orders:read";
const ISSUER: &str = "shop-dev";
const AUDIENCE: &str = "shop";
const KID: &str = "shop-dev-1";
/// How long a minted token stays valid.
const TOKEN_LIFETIME_S: u64 = 30 * 24 * 3600;

const SIGNING_KEY_FILE: &str = "dev-signing.key";
const JWKS_FILE: &str = "dev-jwks.json";
const IDENTITY_SECRET_FILE: &str = "identity.key";

#[derive(Debug, thiserror::Error)]
pub enum DevAuthError {
    #[error("cannot write the development keys under {dir}")]
    Write {
        dir: String,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot read {path}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Access(#[from] subgraph_kit::caller::AccessError),
}

/// The development keys, on disk under the data directory.
pub struct DevAuth {
    signing_secret: Vec<u8>,
    jwks_file: PathBuf,
    identity_secret_file: PathBuf,
}

impl DevAuth {
    /// The keys under `data_dir`, generated there the first time.
    pub fn load_or_create(data_dir: &Path) -> Result<DevAuth, DevAuthError> {
        let write = |source| DevAuthError::Write {
            dir: data_dir.display().to_string(),
            source,
        };
        std::fs::create_dir_all(data_dir).map_err(write)?;
        let signing_secret = secret_in(&data_dir.join(SIGNING_KEY_FILE))?;
        let identity_secret_file = data_dir.join(IDENTITY_SECRET_FILE);
        secret_in(&identity_secret_file)?;
        let jwks_file = data_dir.join(JWKS_FILE);
        let jwks = json!({ "keys": [{
            "kty": "oct",
            "kid": KID,
            "alg": "HS256",
            "k": base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&signing_secret),
        }] });
        std::fs::write(&jwks_file, jwks.to_string()).map_err(write)?;
        Ok(DevAuth {
            signing_secret,
            jwks_file,
            identity_secret_file,
        })
    }

    /// A token for `claims` (issuer, audience and expiry added).
    pub fn token(&self, mut claims: Value) -> String {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        claims["iss"] = ISSUER.into();
        claims["aud"] = AUDIENCE.into();
        claims["iat"] = now.into();
        claims["exp"] = (now + TOKEN_LIFETIME_S).into();
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(KID.into());
        jsonwebtoken::encode(
            &header,
            &claims,
            &EncodingKey::from_secret(&self.signing_secret),
        )
        .expect("HS256 signing of JSON claims cannot fail")
    }

    /// A customer: places orders and reads their own.
    pub fn customer_token(&self) -> String {
        self.token(json!({ "sub": "customer-ada", "email": CUSTOMER_EMAIL }))
    }

    /// Another customer, for showing what one customer cannot see of another's.
    pub fn other_customer_token(&self) -> String {
        self.token(json!({ "sub": "customer-bob", "email": "bob@example.com" }))
    }

    /// Back office: every change and every customer's orders.
    pub fn admin_token(&self) -> String {
        self.token(json!({ "sub": "admin", "email": ADMIN_EMAIL, "scope": ADMIN_SCOPES }))
    }

    /// `config` trusting the development tokens, forwarding identities to
    /// the services, and granting `own_orders` to a customer asking for
    /// their own orders or to `orders:read`.
    pub fn configure(&self, config: &mut RouterConfig) {
        config.authentication.jwks = vec![JwksSource::File {
            file: self.jwks_file.clone(),
        }];
        config.authentication.issuers = vec![ISSUER.into()];
        config.authentication.audiences = vec![AUDIENCE.into()];
        config.authentication.forward.secret_file = Some(self.identity_secret_file.clone());
        config.authorization.policies.insert(
            orders::graphql::OWN_ORDERS.into(),
            vec![
                Rule::Scope(orders::graphql::STAFF_SCOPE.into()),
                Rule::ClaimEqualsArgument {
                    claim: "email".into(),
                    argument: "customerEmail".into(),
                    ignore_case: true,
                },
            ],
        );
    }

    /// The same settings as TOML, for a router started from a config file.
    pub fn router_toml(&self) -> String {
        format!(
            "[authentication]\n\
             jwks = [{{ file = {jwks:?} }}]\n\
             issuers = [{ISSUER:?}]\n\
             audiences = [{AUDIENCE:?}]\n\
             [authentication.forward]\n\
             secret_file = {secret:?}\n\
             [authorization.policies]\n\
             {policy} = [{{ scope = {scope:?} }}, {{ claim = \"email\", equals_argument = \"customerEmail\", ignore_case = true }}]\n",
            jwks = self.jwks_file.display().to_string(),
            secret = self.identity_secret_file.display().to_string(),
            policy = orders::graphql::OWN_ORDERS,
            scope = orders::graphql::STAFF_SCOPE,
        )
    }

    /// What the services check the router's forwarded identity with.
    pub fn access(&self) -> Result<Arc<Access>, DevAuthError> {
        Ok(Arc::new(Access::from_file(&self.identity_secret_file)?))
    }

    /// The forwarded identity of an admin, signed as the router would, for
    /// in-process callers of the services (the seeder).
    pub fn admin_identity(&self) -> Result<String, DevAuthError> {
        let config = router::auth::ForwardConfig {
            secret_file: Some(self.identity_secret_file.clone()),
            ..Default::default()
        };
        let forwarder = router::auth::Forwarder::new(&config)
            .map_err(|e| DevAuthError::Read {
                path: self.identity_secret_file.display().to_string(),
                source: std::io::Error::other(e.to_string()),
            })?
            .expect("a secret file is set");
        let exp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0)
            + 3600;
        let claims = json!({ "sub": "seeder", "scope": ADMIN_SCOPES, "exp": exp });
        let claims = claims.as_object().cloned().unwrap_or_default();
        Ok(forwarder
            .sign(&claims)
            .and_then(|v| v.to_str().ok().map(str::to_owned))
            .unwrap_or_default())
    }
}

/// The secret in `path`: 32 random bytes (hex), written there first if
/// it holds none.
fn secret_in(path: &Path) -> Result<Vec<u8>, DevAuthError> {
    if let Ok(secret) = std::fs::read(path) {
        let secret = secret.trim_ascii();
        if secret.len() >= subgraph_kit::caller::MIN_SECRET_BYTES {
            return Ok(secret.to_vec());
        }
    }
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let secret: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    std::fs::write(path, &secret).map_err(|source| DevAuthError::Write {
        dir: path.display().to_string(),
        source,
    })?;
    Ok(secret.into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir() -> PathBuf {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        std::env::temp_dir().join(format!("shop-dev-auth-{}-{nanos}", std::process::id()))
    }

    #[test]
    fn the_keys_are_made_once_and_the_toml_says_what_configure_does() {
        let dir = temp_dir();
        let first = DevAuth::load_or_create(&dir).unwrap();
        let again = DevAuth::load_or_create(&dir).unwrap();
        assert_eq!(
            first.signing_secret, again.signing_secret,
            "kept under the data directory"
        );

        let mut configured = RouterConfig::default();
        first.configure(&mut configured);
        let from_toml = RouterConfig::from_toml(&first.router_toml()).unwrap();
        assert_eq!(from_toml.authentication, configured.authentication);
        assert_eq!(from_toml.authorization, configured.authorization);
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn the_tokens_verify_with_the_router_and_the_identity_with_the_services() {
        let dir = temp_dir();
        let auth = DevAuth::load_or_create(&dir).unwrap();
        let mut config = RouterConfig::default();
        auth.configure(&mut config);
        let authenticator = router::auth::Authenticator::new(&config.authentication)
            .unwrap()
            .unwrap();
        let mut headers = http::HeaderMap::new();
        headers.insert(
            "authorization",
            format!("Bearer {}", auth.admin_token()).parse().unwrap(),
        );
        let identity = authenticator.authenticate(&headers).unwrap().unwrap();
        assert_eq!(identity.claims["scope"], ADMIN_SCOPES);
        let mut forwarded = http::HeaderMap::new();
        forwarded.insert(
            subgraph_kit::caller::IDENTITY_HEADER,
            identity.forwarded.clone().unwrap(),
        );
        let caller = auth.access().unwrap().caller(&forwarded).unwrap();
        assert!(caller.has_scope("admin"));
        assert_eq!(caller.email(), Some(ADMIN_EMAIL));
        let _ = std::fs::remove_dir_all(dir);
    }
}
