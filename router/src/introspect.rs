//! Fetching a running subgraph's SDL through the federation `_service` field.

use std::time::Duration;

use serde_json::{Value, json};

#[derive(Debug, thiserror::Error)]
pub enum IntrospectError {
    #[error("cannot reach {url}")]
    Unreachable {
        url: String,
        #[source]
        source: reqwest::Error,
    },
    #[error("{url} did not return a subgraph SDL: {detail}")]
    NotASubgraph { url: String, detail: String },
}

/// `{ _service { sdl } }` against `url`.
pub async fn fetch_sdl(client: &reqwest::Client, url: &str) -> Result<String, IntrospectError> {
    let unreachable = |source| IntrospectError::Unreachable {
        url: url.to_owned(),
        source,
    };
    let body: Value = client
        .post(url)
        .timeout(Duration::from_secs(10))
        .json(&json!({ "query": "{ _service { sdl } }" }))
        .send()
        .await
        .map_err(unreachable)?
        .json()
        .await
        .map_err(unreachable)?;
    body["data"]["_service"]["sdl"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| IntrospectError::NotASubgraph {
            url: url.to_owned(),
            detail: body
                .get("errors")
                .map_or_else(|| "no data._service.sdl".to_owned(), Value::to_string),
        })
}
