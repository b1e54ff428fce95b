//! A headless Chromium driven over the Chrome DevTools Protocol (a
//! websocket; no Node, no WebDriver), for tests of the router's playground.
//!
//! The browser resolves no host name at all (`--host-resolver-rules`) and
//! uses no proxy, so a page can reach 127.0.0.1 and nothing else; every
//! request the page makes is recorded (`Network.requestWillBeSent`) so a
//! test can also assert that none was even tried.
//!
//! Without a `chromium` on this machine [`Browser::launch`] prints
//! `SKIPPED …` and gives `None`; `REQUIRE_BROWSER=1` (set by `.ci/run`)
//! makes that a failure instead.

use std::collections::HashMap;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::SinkExt;
use futures::stream::{SplitSink, StreamExt};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::net::TcpStream;
use tokio::process::{Child, Command};
use tokio::sync::oneshot;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// How long one protocol command or one wait may take.
const TIMEOUT: Duration = Duration::from_secs(60);

type Sink = SplitSink<WebSocketStream<MaybeTlsStream<TcpStream>>, Message>;
type Pending = Arc<Mutex<HashMap<u64, oneshot::Sender<Value>>>>;

/// One browser with one page, killed when dropped.
pub struct Browser {
    _process: Child,
    _profile: TempDir,
    sink: tokio::sync::Mutex<Sink>,
    next_id: std::sync::atomic::AtomicU64,
    pending: Pending,
    events: Arc<Mutex<Vec<Value>>>,
}

/// The browser's profile directory, removed when dropped.
struct TempDir(std::path::PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The Chromium to run: `$CHROMIUM`, else the first of the usual names on
/// the `PATH`.
fn chromium() -> Option<std::path::PathBuf> {
    if let Some(path) = std::env::var_os("CHROMIUM") {
        return Some(path.into());
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).find_map(|dir| {
        ["chromium", "chromium-browser", "google-chrome", "chrome"]
            .iter()
            .map(|name| dir.join(name))
            .find(|candidate| candidate.is_file())
    })
}

impl Browser {
    /// Starts a headless Chromium on a blank page; `None` (reported as
    /// skipped) when there is none, unless `REQUIRE_BROWSER=1`.
    pub async fn launch(test: &str) -> Option<Browser> {
        let Some(binary) = chromium() else {
            if std::env::var("REQUIRE_BROWSER").is_ok_and(|v| v == "1") {
                panic!(
                    "{test}: no Chromium found (install Debian's `chromium`, or set CHROMIUM) and REQUIRE_BROWSER=1"
                );
            }
            // Straight to stderr, past the test harness's capture.
            use std::io::Write;
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED {test}: no Chromium found (install Debian's `chromium` or set CHROMIUM; REQUIRE_BROWSER=1 makes this fail)"
            );
            return None;
        };
        let profile = TempDir(std::env::temp_dir().join(format!(
            "shop-chromium-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or_default()
        )));
        let mut process = Command::new(&binary)
            .args([
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--no-first-run",
                "--no-default-browser-check",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-extensions",
                "--no-proxy-server",
                // Nothing but 127.0.0.1 can be reached: every name fails.
                "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
                "--window-size=1400,900",
                "--remote-debugging-port=0",
            ])
            .arg(format!("--user-data-dir={}", profile.0.display()))
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|err| panic!("cannot start {}: {err}", binary.display()));
        let stderr = process.stderr.take().expect("stderr is piped");
        let mut lines = BufReader::new(stderr).lines();
        let browser_ws = tokio::time::timeout(TIMEOUT, async {
            while let Ok(Some(line)) = lines.next_line().await {
                if let Some(url) = line.strip_prefix("DevTools listening on ") {
                    return url.trim().to_owned();
                }
            }
            panic!("Chromium exited before listening for DevTools");
        })
        .await
        .expect("Chromium starts");
        // Keep reading its log, so a full pipe never blocks it.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });

        let port = browser_ws
            .trim_start_matches("ws://")
            .split(['/', ':'])
            .nth(1)
            .expect("the DevTools URL has a port")
            .to_owned();
        let targets: Value = reqwest::get(format!("http://127.0.0.1:{port}/json/list"))
            .await
            .expect("DevTools lists its targets")
            .json()
            .await
            .expect("the target list is JSON");
        let page = targets
            .as_array()
            .and_then(|t| t.iter().find(|t| t["type"] == "page"))
            .and_then(|t| t["webSocketDebuggerUrl"].as_str())
            .expect("Chromium has a page")
            .to_owned();
        let (socket, _) = tokio_tungstenite::connect_async(page.as_str())
            .await
            .expect("the page's DevTools websocket opens");
        let (sink, mut stream) = socket.split();
        let pending: Pending = Arc::default();
        let events: Arc<Mutex<Vec<Value>>> = Arc::default();
        let (replies, log) = (pending.clone(), events.clone());
        tokio::spawn(async move {
            while let Some(Ok(message)) = stream.next().await {
                let Message::Text(text) = message else {
                    continue;
                };
                let Ok(message) = serde_json::from_str::<Value>(text.as_str()) else {
                    continue;
                };
                match message["id"].as_u64() {
                    Some(id) => {
                        if let Some(reply) = replies.lock().unwrap().remove(&id) {
                            let _ = reply.send(message);
                        }
                    }
                    None => log.lock().unwrap().push(message),
                }
            }
        });
        let browser = Browser {
            _process: process,
            _profile: profile,
            sink: tokio::sync::Mutex::new(sink),
            next_id: 1.into(),
            pending,
            events,
        };
        browser.call("Runtime.enable", json!({})).await;
        browser.call("Network.enable", json!({})).await;
        browser.call("Page.enable", json!({})).await;
        // Content-Security-Policy violations, as the page sees them.
        browser
            .call(
                "Page.addScriptToEvaluateOnNewDocument",
                json!({ "source": "window.__violations = []; document.addEventListener('securitypolicyviolation', e => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));" }),
            )
            .await;
        Some(browser)
    }

    /// Sends one protocol command and returns its result; panics on a
    /// protocol error.
    pub async fn call(&self, method: &str, params: Value) -> Value {
        let id = self
            .next_id
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let (reply, answer) = oneshot::channel();
        self.pending.lock().unwrap().insert(id, reply);
        let command = json!({ "id": id, "method": method, "params": params }).to_string();
        self.sink
            .lock()
            .await
            .send(Message::Text(command.into()))
            .await
            .expect("the DevTools websocket takes the command");
        let answer = tokio::time::timeout(TIMEOUT, answer)
            .await
            .unwrap_or_else(|_| panic!("{method} timed out"))
            .expect("the browser answers");
        if let Some(error) = answer.get("error") {
            panic!("{method} failed: {error}");
        }
        answer["result"].clone()
    }

    /// Opens `url` and waits until the document has loaded.
    pub async fn open(&self, url: &str) {
        self.call("Page.navigate", json!({ "url": url })).await;
        self.wait_for("document.readyState === 'complete'", url)
            .await;
    }

    /// The value of a JavaScript expression in the page (promises awaited);
    /// panics if it throws.
    pub async fn eval(&self, expression: &str) -> Value {
        let result = self
            .call(
                "Runtime.evaluate",
                json!({ "expression": expression, "awaitPromise": true, "returnByValue": true }),
            )
            .await;
        if let Some(exception) = result.get("exceptionDetails") {
            panic!("`{expression}` threw: {exception}");
        }
        result["result"]["value"].clone()
    }

    /// Waits until `expression` is truthy in the page, polling.
    pub async fn wait_for(&self, expression: &str, what: &str) -> Value {
        let deadline = tokio::time::Instant::now() + TIMEOUT;
        // An element found is `true`: elements do not travel by value.
        let truthy = format!(
            "(() => {{ try {{ const v = ({expression}); return v ? (v instanceof Node ? true : v) : null; }} catch (e) {{ return null; }} }})()"
        );
        loop {
            let value = self.eval(&truthy).await;
            if !value.is_null() && value != json!(false) {
                return value;
            }
            if tokio::time::Instant::now() > deadline {
                let text = self
                    .eval("document.body ? document.body.innerText : ''")
                    .await;
                panic!("waited in vain for {what} (`{expression}`); the page says:\n{text}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Clicks the element `selector` finds.
    pub async fn click(&self, selector: &str) {
        let found = self
            .wait_for(
                &format!("document.querySelector({selector:?})"),
                &format!("the element {selector}"),
            )
            .await;
        assert!(!found.is_null());
        self.eval(&format!("document.querySelector({selector:?}).click()"))
            .await;
    }

    /// A PNG of the page as it is.
    pub async fn screenshot(&self) -> Vec<u8> {
        use base64::Engine as _;
        let shot = self
            .call("Page.captureScreenshot", json!({ "format": "png" }))
            .await;
        base64::engine::general_purpose::STANDARD
            .decode(shot["data"].as_str().expect("a screenshot"))
            .expect("the screenshot is base64")
    }

    /// Every URL the page asked for so far.
    pub fn requested_urls(&self) -> Vec<String> {
        self.events
            .lock()
            .unwrap()
            .iter()
            .filter(|e| e["method"] == "Network.requestWillBeSent")
            .filter_map(|e| e["params"]["request"]["url"].as_str().map(str::to_owned))
            .collect()
    }

    /// Uncaught exceptions in the page so far.
    pub fn exceptions(&self) -> Vec<Value> {
        self.events
            .lock()
            .unwrap()
            .iter()
            .filter(|e| e["method"] == "Runtime.exceptionThrown")
            .map(|e| e["params"]["exceptionDetails"].clone())
            .collect()
    }
}
