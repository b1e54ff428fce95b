//! The playground page (GraphiQL) and the security headers it is served
//! with: a Content-Security-Policy that allows exactly its scripts (the
//! CDN's and its one inline script, by hash), no framing, no sniffing and
//! no referrer.

use std::sync::OnceLock;

use axum::http::{HeaderValue, header};
use axum::response::{Html, IntoResponse, Response};
use base64::Engine as _;
use sha2::{Digest, Sha256};

/// Where the page's scripts and styles come from.
const CDN: &str = "https://unpkg.com";

/// The page's one inline script: it mounts GraphiQL on `/graphql`.
const BOOT: &str = r#"
    const fetcher = GraphiQL.createFetcher({ url: "/graphql" });
    ReactDOM.createRoot(document.getElementById("graphiql"))
      .render(React.createElement(GraphiQL, { fetcher }));
  "#;

fn page() -> &'static str {
    static PAGE: OnceLock<String> = OnceLock::new();
    PAGE.get_or_init(|| {
        format!(
            r#"<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>GraphiQL</title>
  <link rel="stylesheet" href="{CDN}/graphiql@3/graphiql.min.css">
  <style>body {{ margin: 0; }} #graphiql {{ height: 100vh; }}</style>
</head>
<body>
  <div id="graphiql">Loading GraphiQL…</div>
  <script crossorigin src="{CDN}/react@18/umd/react.production.min.js"></script>
  <script crossorigin src="{CDN}/react-dom@18/umd/react-dom.production.min.js"></script>
  <script crossorigin src="{CDN}/graphiql@3/graphiql.min.js"></script>
  <script>{BOOT}</script>
</body>
</html>
"#
        )
    })
}

/// The page's Content-Security-Policy.
pub fn content_security_policy() -> &'static str {
    static POLICY: OnceLock<String> = OnceLock::new();
    POLICY.get_or_init(|| {
        let boot = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(BOOT));
        format!(
            "default-src 'none'; script-src {CDN} 'sha256-{boot}'; style-src {CDN} 'unsafe-inline'; \
             font-src {CDN} data:; img-src 'self' data:; connect-src 'self'; \
             frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
        )
    })
}

/// The playground, with its security headers.
pub fn response() -> Response {
    let mut response = Html(page()).into_response();
    let headers = response.headers_mut();
    if let Ok(policy) = HeaderValue::from_str(content_security_policy()) {
        headers.insert(header::CONTENT_SECURITY_POLICY, policy);
    }
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_allows_the_inline_script_by_its_hash_and_nothing_else_inline() {
        let page = page();
        let inline = page
            .split("<script>")
            .nth(1)
            .and_then(|rest| rest.split("</script>").next())
            .expect("one inline script");
        let hash = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(inline));
        let policy = content_security_policy();
        assert!(policy.contains(&format!("'sha256-{hash}'")), "{policy}");
        assert!(!policy.contains("script-src 'unsafe-inline'"));
        assert_eq!(
            page.matches("<script>").count(),
            1,
            "one inline script only"
        );
        let response = response();
        assert_eq!(response.headers()["x-frame-options"], "DENY");
        assert!(
            response.headers()["content-security-policy"]
                .to_str()
                .unwrap()
                .contains("frame-ancestors 'none'")
        );
    }
}
