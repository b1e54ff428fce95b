//! When the products service cannot answer, no order is placed and the
//! client learns it was a dependency failure, not its own.

use std::time::{Duration, Instant};

use serde_json::Value;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use subgraph_kit::both_backends;
use subgraph_kit::testing::Backend;

use crate::helpers::{TestApp, spawn_app_with_catalog};

both_backends!(
    closed_port_is_catalog_unavailable_and_creates_nothing,
    a_silent_catalog_times_out,
    a_catalog_answering_garbage_is_unavailable,
);

const PRODUCT: &str = "0192f0c4-0000-7000-8000-000000000001";

async fn assert_unavailable(app: &TestApp) {
    let response = app
        .place_order("ann@example.com", &[(PRODUCT, 1)], Some("k-1"))
        .await;
    assert_eq!(
        response.error_code(),
        "CATALOG_UNAVAILABLE",
        "{}",
        response.body
    );
    assert!(
        response
            .error_message()
            .contains("not a problem with the request"),
        "says whose fault it is: {}",
        response.error_message()
    );
    assert_eq!(response.body["data"], Value::Null);
    assert_eq!(app.order_count().await, 0);
}

async fn closed_port_is_catalog_unavailable_and_creates_nothing(backend: Backend) {
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("addr")
    };
    let url = format!("http://{closed}/graphql");
    let Some(app) = spawn_app_with_catalog(backend, Some(url), Duration::from_secs(5)).await else {
        return;
    };
    assert_unavailable(&app).await;
    // Bad input is still reported as such, before the catalog is asked.
    let response = app.place_order("nope", &[(PRODUCT, 1)], None).await;
    assert_eq!(response.error_code(), "INVALID_EMAIL");
}

async fn a_silent_catalog_times_out(backend: Backend) {
    // Never accepted: the kernel completes the handshake, nobody answers.
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}/graphql", listener.local_addr().expect("addr"));
    let timeout = Duration::from_millis(300);
    let Some(app) = spawn_app_with_catalog(backend, Some(url), timeout).await else {
        return;
    };
    let started = Instant::now();
    assert_unavailable(&app).await;
    drop(listener);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "gave up after the configured timeout, took {:?}",
        started.elapsed()
    );
}

async fn a_catalog_answering_garbage_is_unavailable(backend: Backend) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}/graphql", listener.local_addr().expect("addr"));
    // A plain thread serving HTML as JSON; it ends with the test process.
    std::thread::spawn(move || {
        for mut socket in listener.incoming().flatten() {
            read_request(&mut socket);
            let body = "<html>surprise</html>";
            let reply = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = socket.write_all(reply.as_bytes());
        }
    });
    let Some(app) = spawn_app_with_catalog(backend, Some(url), Duration::from_secs(5)).await else {
        return;
    };
    assert_unavailable(&app).await;
}

/// Reads one HTTP request (headers plus a content-length body).
fn read_request(socket: &mut TcpStream) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let Ok(n) = socket.read(&mut chunk) else {
            return;
        };
        if n == 0 {
            return;
        }
        buf.extend_from_slice(&chunk[..n]);
        let text = String::from_utf8_lossy(&buf);
        if let Some(end) = text.find("\r\n\r\n") {
            let length = text[..end]
                .lines()
                .find_map(|l| {
                    let (name, value) = l.split_once(':')?;
                    name.eq_ignore_ascii_case("content-length")
                        .then(|| value.trim().parse::<usize>().ok())
                        .flatten()
                })
                .unwrap_or(0);
            if buf.len() >= end + 4 + length {
                return;
            }
        }
    }
}
