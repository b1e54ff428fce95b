//! Benchmarks (see the binaries in src/bin), and what they share.

pub mod callgrind;

use anyhow::{Context, bail};
use serde_json::{Value, json};

/// One GraphQL request; its `data`, or an error carrying the `errors`.
pub async fn gql(
    client: &reqwest::Client,
    url: &str,
    query: &str,
    variables: Value,
) -> anyhow::Result<Value> {
    let response: Value = client
        .post(url)
        .json(&json!({ "query": query, "variables": variables }))
        .send()
        .await
        .with_context(|| format!("POST {url}"))?
        .json()
        .await
        .with_context(|| format!("reading the response of {url}"))?;
    if let Some(errors) = response.get("errors").filter(|e| !e.is_null()) {
        bail!("{url}: {errors}");
    }
    Ok(response["data"].clone())
}
