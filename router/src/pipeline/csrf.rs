//! Cross-site request forgery prevention, as Apollo's routers do it: a
//! browser sends a "simple" request to another site without asking it
//! first (no CORS preflight), and such a request could run a query with
//! the victim's cookies. A request is let through only when it cannot be
//! simple: its `content-type` is not one a form may send, or it carries one
//! of `required_headers` (a header no simple request has). POST bodies must
//! be JSON anyway, so in practice this guards GET.

use http::HeaderMap;
use http::header::CONTENT_TYPE;
use serde::Deserialize;

use crate::graphql;

pub const CSRF_PREVENTED: &str = "CSRF_PREVENTED";

/// The content types a browser sends without a preflight.
const SIMPLE_CONTENT_TYPES: [&str; 3] = [
    "application/x-www-form-urlencoded",
    "multipart/form-data",
    "text/plain",
];

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CsrfConfig {
    pub enabled: bool,
    /// Headers that mark a request as not simple.
    pub required_headers: Vec<String>,
}

impl Default for CsrfConfig {
    fn default() -> Self {
        CsrfConfig {
            enabled: true,
            required_headers: vec![
                "x-apollo-operation-name".into(),
                "apollo-require-preflight".into(),
            ],
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "This request was refused as a possible cross-site request forgery: send it with `content-type: application/json`, or with one of the headers {headers}."
)]
pub struct CsrfRefused {
    headers: String,
}

impl CsrfRefused {
    pub fn to_graphql_error(&self) -> graphql::Error {
        graphql::Error::coded(self.to_string(), CSRF_PREVENTED)
    }
}

/// Lets through a request sent with `headers` unless it could be a simple
/// cross-site one.
pub fn check(config: &CsrfConfig, headers: &HeaderMap) -> Result<(), CsrfRefused> {
    if !config.enabled {
        return Ok(());
    }
    let preflighted_type = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|essence| essence.trim().to_ascii_lowercase())
        .is_some_and(|essence| !SIMPLE_CONTENT_TYPES.contains(&essence.as_str()));
    let marked = config
        .required_headers
        .iter()
        .any(|name| headers.contains_key(name.as_str()));
    if preflighted_type || marked {
        return Ok(());
    }
    Err(CsrfRefused {
        headers: config
            .required_headers
            .iter()
            .map(|h| format!("`{h}`"))
            .collect::<Vec<_>>()
            .join(", "),
    })
}

#[cfg(test)]
mod tests {
    use http::HeaderValue;

    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn only_requests_a_browser_would_preflight_pass() {
        let config = CsrfConfig::default();
        assert!(check(&config, &headers(&[])).is_err(), "a plain GET");
        assert!(check(&config, &headers(&[("content-type", "text/plain")])).is_err());
        assert!(
            check(
                &config,
                &headers(&[("content-type", "multipart/form-data; boundary=x")])
            )
            .is_err()
        );
        assert!(check(&config, &headers(&[("content-type", "application/json")])).is_ok());
        assert!(check(&config, &headers(&[("apollo-require-preflight", "true")])).is_ok());
        assert!(check(&config, &headers(&[("x-apollo-operation-name", "Q")])).is_ok());
        let off = CsrfConfig {
            enabled: false,
            ..CsrfConfig::default()
        };
        assert!(check(&off, &headers(&[])).is_ok());
        let err = check(&config, &headers(&[]))
            .unwrap_err()
            .to_graphql_error();
        assert_eq!(err.extensions["code"], CSRF_PREVENTED);
    }
}
