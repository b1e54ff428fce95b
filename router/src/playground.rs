//! The playground: GraphiQL with its explorer, docs, history and headers
//! editor, plus a query plan panel, built with npm from `playground/` at the
//! workspace root into `router/assets/playground` (committed) and embedded
//! into the binary by `build.rs`, so it works offline and building the
//! router needs no Node.
//!
//! The page is served to browsers at `GET /graphql` and at `/playground`;
//! its scripts, styles and fonts at `/playground/assets/…`, whose names
//! carry their content's hash, so browsers keep them for good. The page
//! goes out with security headers: a Content-Security-Policy that lets it
//! run only the router's own scripts and call only the router, no framing,
//! no sniffing and no referrer.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// Every file of the built playground, by its path under `/playground/`.
static ASSETS: &[(&str, &[u8])] = include!(concat!(env!("OUT_DIR"), "/playground_assets.rs"));

/// Where the asset files are served.
pub const ASSETS_PATH: &str = "/playground/assets/";

/// The page's Content-Security-Policy: its scripts, styles and fonts come
/// from the router (inline styles are React's `style` attributes; fonts and
/// icons may be data URLs); it may only call the router; nothing inline
/// runs.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self' 'unsafe-inline'; font-src 'self' data:; img-src 'self' data:; \
     connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

fn file(path: &str) -> Option<&'static [u8]> {
    ASSETS
        .iter()
        .find(|(name, _)| *name == path)
        .map(|(_, bytes)| *bytes)
}

fn content_type(path: &str) -> &'static str {
    let extension = path.rsplit_once('.').map_or("", |(_, e)| e);
    match extension {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "woff2" => "font/woff2",
        "woff" => "font/woff",
        "ttf" => "font/ttf",
        _ => "application/octet-stream",
    }
}

fn secured(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
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

/// The playground page, with its security headers. Revalidated on every
/// visit, so a new router's page (naming new assets) is seen at once.
pub fn response() -> Response {
    let Some(page) = file("index.html") else {
        return (StatusCode::NOT_FOUND, "the playground was not built").into_response();
    };
    secured(
        (
            [
                (header::CONTENT_TYPE, content_type("index.html")),
                (header::CACHE_CONTROL, "no-cache"),
            ],
            page,
        )
            .into_response(),
    )
}

/// One of the page's assets (`path` under `/playground/assets/`): cached
/// for good, as its name changes with its content.
pub fn asset(path: &str) -> Response {
    match file(&format!("assets/{path}")) {
        Some(bytes) => secured(
            (
                [
                    (header::CONTENT_TYPE, content_type(path)),
                    (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
                ],
                bytes,
            )
                .into_response(),
        ),
        None => (
            StatusCode::NOT_FOUND,
            [(header::CACHE_CONTROL, "no-store")],
            "no such playground asset",
        )
            .into_response(),
    }
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use sha2::{Digest, Sha256};

    use super::*;

    fn page() -> &'static str {
        std::str::from_utf8(file("index.html").expect("the page is embedded")).unwrap()
    }

    /// The `src`/`href` values in `page` that point at the router's assets.
    fn referenced(page: &str) -> Vec<&str> {
        page.split(['"', '\''])
            .filter(|part| part.starts_with(ASSETS_PATH))
            .collect()
    }

    #[test]
    fn the_page_runs_only_the_routers_own_scripts() {
        let page = page();
        assert!(
            !page.contains("http://") && !page.contains("https://"),
            "no external URL: {page}"
        );
        assert!(
            !page.contains("<script>") && !page.contains("<script type=\"module\">"),
            "no inline script: {page}"
        );
        let assets = referenced(page);
        assert!(assets.iter().any(|a| a.ends_with(".js")), "{page}");
        assert!(assets.iter().any(|a| a.ends_with(".css")), "{page}");
        for asset in assets {
            let path = asset.trim_start_matches(ASSETS_PATH);
            assert!(
                file(&format!("assets/{path}")).is_some(),
                "{asset} embedded"
            );
        }
        let policy = CONTENT_SECURITY_POLICY;
        assert!(policy.contains("script-src 'self';"), "{policy}");
        assert!(!policy.contains("http"), "no other origin: {policy}");
        assert!(!policy.contains("unsafe-eval"), "{policy}");
        assert!(!policy.contains("script-src 'self' 'unsafe-inline'"));
    }

    #[test]
    fn the_page_and_its_assets_go_out_with_their_headers() {
        let served_page = response();
        assert_eq!(served_page.status(), StatusCode::OK);
        let headers = served_page.headers();
        assert_eq!(headers["content-type"], "text/html; charset=utf-8");
        assert_eq!(headers["x-frame-options"], "DENY");
        assert_eq!(headers["x-content-type-options"], "nosniff");
        assert_eq!(headers["referrer-policy"], "no-referrer");
        assert_eq!(headers["content-security-policy"], CONTENT_SECURITY_POLICY);
        assert_eq!(headers["cache-control"], "no-cache");

        let script = referenced(page())
            .into_iter()
            .find(|a| a.ends_with(".js"))
            .unwrap()
            .trim_start_matches(ASSETS_PATH);
        let served = asset(script);
        assert_eq!(served.status(), StatusCode::OK);
        assert_eq!(
            served.headers()["content-type"],
            "text/javascript; charset=utf-8"
        );
        assert_eq!(
            served.headers()["cache-control"],
            "public, max-age=31536000, immutable"
        );
        assert_eq!(asset("nope.js").status(), StatusCode::NOT_FOUND);
        assert_eq!(
            asset("../index.html").status(),
            StatusCode::NOT_FOUND,
            "only assets/ is served from here"
        );
    }

    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else {
                out.push(path);
            }
        }
    }

    /// The hash `playground/scripts/embed.mjs` records in `SOURCE_HASH`
    /// when it builds the bundle: over index.html, package.json,
    /// package-lock.json, vite.config.js and everything under src/ and
    /// scripts/, sorted by path, each as `path \n length \n bytes`.
    fn source_hash(root: &Path) -> String {
        let mut files: Vec<PathBuf> = [
            "index.html",
            "package.json",
            "package-lock.json",
            "vite.config.js",
        ]
        .iter()
        .map(|f| root.join(f))
        .collect();
        walk(&root.join("src"), &mut files);
        walk(&root.join("scripts"), &mut files);
        let mut entries: Vec<(String, Vec<u8>)> = files
            .iter()
            .map(|path| {
                let relative = path.strip_prefix(root).unwrap();
                let name: Vec<String> = relative
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect();
                (name.join("/"), std::fs::read(path).unwrap())
            })
            .collect();
        entries.sort();
        let mut hash = Sha256::new();
        for (path, bytes) in &entries {
            hash.update(format!("{path}\n{}\n", bytes.len()));
            hash.update(bytes);
        }
        hash.finalize().iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn the_committed_bundle_is_built_from_the_current_sources() {
        let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
        let sources = crate_dir.join("../playground");
        let recorded = std::str::from_utf8(file("SOURCE_HASH").expect("SOURCE_HASH embedded"))
            .unwrap()
            .trim()
            .to_owned();
        let on_disk = std::fs::read_to_string(crate_dir.join("assets/playground/SOURCE_HASH"))
            .unwrap()
            .trim()
            .to_owned();
        assert_eq!(recorded, on_disk, "the embedded bundle is the one on disk");
        assert_eq!(
            source_hash(&sources),
            recorded,
            "the playground's sources changed since its bundle was built: \
             run `cd playground && npm ci && npm run build` and commit router/assets/playground"
        );
    }
}
