//! CORS: which other sites' pages may call the router from a browser
//! (tower-http's `CorsLayer`). None by default: the playground is served
//! from the router itself. Bound when the server starts; changing it takes
//! a restart.

use std::time::Duration;

use http::{HeaderName, HeaderValue, Method};
use serde::Deserialize;
use tower_http::cors::{AllowOrigin, CorsLayer};

/// Request headers browsers may send cross-origin (besides the ones CORS
/// always allows): what GraphQL clients and the router's features use.
const ALLOWED_HEADERS: [&str; 6] = [
    "content-type",
    "authorization",
    "apollo-require-preflight",
    "x-apollo-operation-name",
    "x-graphql-cost",
    crate::plan_extension::QUERY_PLAN_HEADER,
];

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CorsConfig {
    /// Origins whose pages may call the router (`https://app.example.com`),
    /// or `["*"]` for any; empty: none.
    pub origins: Vec<String>,
    /// Whether those pages may send cookies and HTTP authentication (not
    /// with `"*"`).
    pub allow_credentials: bool,
    /// More request headers to allow.
    pub allow_headers: Vec<String>,
    /// How long a browser may cache a preflight's answer.
    pub max_age_s: u64,
}

impl Default for CorsConfig {
    fn default() -> Self {
        CorsConfig {
            origins: Vec::new(),
            allow_credentials: false,
            allow_headers: Vec::new(),
            max_age_s: 600,
        }
    }
}

impl CorsConfig {
    /// Refuses settings the layer cannot take.
    pub fn check(&self) -> Result<(), String> {
        let any = self.origins.iter().any(|o| o == "*");
        if any && self.origins.len() > 1 {
            return Err("cors.origins: \"*\" stands alone".into());
        }
        if any && self.allow_credentials {
            return Err("cors.allow_credentials cannot go with origins = [\"*\"]".into());
        }
        for origin in self.origins.iter().filter(|o| *o != "*") {
            let url = reqwest::Url::parse(origin)
                .map_err(|e| format!("cors.origins: {origin:?} is not an origin: {e}"))?;
            if url.path() != "/" || origin.ends_with('/') || url.query().is_some() {
                return Err(format!(
                    "cors.origins: {origin:?} is not an origin (scheme://host[:port], no path)"
                ));
            }
        }
        for header in &self.allow_headers {
            HeaderName::try_from(header.as_str())
                .map_err(|_| format!("cors.allow_headers: {header:?} is not a header name"))?;
        }
        Ok(())
    }

    /// The layer, or `None` when no origin is allowed (no CORS headers at
    /// all: browsers then refuse cross-origin calls).
    pub fn layer(&self) -> Option<CorsLayer> {
        if self.origins.is_empty() {
            return None;
        }
        let origin = if self.origins.iter().any(|o| o == "*") {
            AllowOrigin::any()
        } else {
            AllowOrigin::list(
                self.origins
                    .iter()
                    .filter_map(|o| HeaderValue::from_str(o).ok()),
            )
        };
        let headers = ALLOWED_HEADERS
            .iter()
            .map(|h| (*h).to_owned())
            .chain(self.allow_headers.iter().cloned())
            .filter_map(|h| HeaderName::try_from(h).ok())
            .collect::<Vec<_>>();
        Some(
            CorsLayer::new()
                .allow_origin(origin)
                .allow_methods([Method::GET, Method::POST])
                .allow_headers(headers)
                .allow_credentials(self.allow_credentials)
                .max_age(Duration::from_secs(self.max_age_s)),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(origins: &[&str], credentials: bool) -> CorsConfig {
        CorsConfig {
            origins: origins.iter().map(|o| (*o).to_owned()).collect(),
            allow_credentials: credentials,
            ..CorsConfig::default()
        }
    }

    #[test]
    fn settings_the_layer_cannot_take_are_refused() {
        assert!(config(&["https://app.example.com"], true).check().is_ok());
        assert!(config(&["*"], false).check().is_ok());
        assert!(config(&["*"], true).check().is_err());
        assert!(config(&["*", "https://a.example"], false).check().is_err());
        assert!(
            config(&["https://app.example.com/graphql"], false)
                .check()
                .is_err()
        );
        assert!(config(&["app.example.com"], false).check().is_err());
        assert!(config(&[], false).layer().is_none());
    }
}
