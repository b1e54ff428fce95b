//! The innermost layer: one POST to one endpoint over the shared,
//! keep-alive connection pool, within the service's timeout for a try.

use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use futures::future::BoxFuture;
use tower::Service;

use crate::client::HttpClient;
use crate::error::UpstreamError;
use crate::request::{Request, Response};

#[derive(Clone)]
pub(crate) struct HttpEndpoint {
    client: HttpClient,
    url: reqwest::Url,
    /// The URL as text, for errors and status.
    name: Arc<str>,
    timeout: Duration,
}

impl HttpEndpoint {
    pub(crate) fn new(client: HttpClient, url: reqwest::Url, timeout: Duration) -> Self {
        HttpEndpoint {
            client,
            name: Arc::from(url.as_str()),
            url,
            timeout,
        }
    }
}

impl Service<Request> for HttpEndpoint {
    type Response = Response;
    type Error = UpstreamError;
    type Future = BoxFuture<'static, Result<Response, UpstreamError>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), UpstreamError>> {
        // The pool opens connections as needed.
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let name = self.name.clone();
        let timeout = self.timeout;
        let sent = self.client.with(|client| {
            let mut post = client
                .post(self.url.clone())
                .headers(request.headers)
                .timeout(timeout);
            if let Some(traceparent) = request.traceparent {
                post = post.header("traceparent", traceparent);
            }
            post.body(request.body).send()
        });
        Box::pin(async move {
            let classify = |err: reqwest::Error| classify(&name, timeout, err);
            let mut response = sent.await.map_err(classify)?;
            let status = response.status();
            let headers = std::mem::take(response.headers_mut());
            let body = response.bytes().await.map_err(classify)?;
            Ok(Response {
                status,
                headers,
                body,
            })
        })
    }
}

fn classify(endpoint: &Arc<str>, timeout: Duration, err: reqwest::Error) -> UpstreamError {
    let endpoint = endpoint.clone();
    if err.is_timeout() {
        UpstreamError::Timeout {
            endpoint,
            timeout_ms: timeout.as_millis() as u64,
        }
    } else if err.is_connect() {
        UpstreamError::Connect {
            endpoint,
            reason: error_chain(&err),
        }
    } else {
        UpstreamError::Transport {
            endpoint,
            reason: error_chain(&err),
        }
    }
}

/// The error and its causes, each once.
pub(crate) fn error_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}
