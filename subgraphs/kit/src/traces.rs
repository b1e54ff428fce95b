//! A service's share of a trace: the span of each GraphQL request, a child
//! of the `traceparent` the caller (the router, or another service) sent;
//! a span per root resolver (`Query.order`, `Mutation.placeOrder`,
//! `Query._entities`), under which the database statements (sea-orm's
//! spans) and outgoing calls appear; and a spawner that keeps the span for
//! work a resolver hands to a task (DataLoader batches). Nested fields get
//! no span: a response of thousands of values would be thousands of spans.
//! While traces are off every span here is disabled and nothing is read
//! from the headers.

use std::future::Future;
use std::sync::Arc;

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextResolve, ResolveInfo,
};
use async_graphql::{ServerResult, Value};
use axum::http::HeaderMap;
use tracing::{Instrument, Span};

/// The span of one request to `service`, continuing the caller's trace.
pub fn request_span(service: &'static str, headers: &HeaderMap) -> Span {
    let span = tracing::info_span!(
        "graphql.request",
        otel.name = %format_args!("{service}.request"),
        otel.kind = "server",
        service,
    );
    telemetry::propagation::set_parent_from_headers(&span, headers);
    span
}

/// Adds [`ResolverSpans`] to a schema when traces are on (installed before
/// the schema is built): off, resolvers run without the extension's hop.
pub trait Traced {
    fn traced(self) -> Self;
}

impl<Q, M, S> Traced for async_graphql::SchemaBuilder<Q, M, S> {
    fn traced(self) -> Self {
        if telemetry::traces::enabled() {
            self.extension(ResolverSpans)
        } else {
            self
        }
    }
}

/// A span per root field resolved (see the module's note).
pub struct ResolverSpans;

impl ExtensionFactory for ResolverSpans {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(ResolverSpans)
    }
}

#[async_graphql::async_trait::async_trait]
impl Extension for ResolverSpans {
    async fn resolve(
        &self,
        ctx: &ExtensionContext<'_>,
        info: ResolveInfo<'_>,
        next: NextResolve<'_>,
    ) -> ServerResult<Option<Value>> {
        if info.path_node.parent.is_some() || info.is_for_introspection {
            return next.run(ctx, info).await;
        }
        let span = tracing::info_span!(
            "graphql.resolve",
            otel.name = %format_args!("{}.{}", info.parent_type, info.name),
            graphql.field.name = info.name,
            graphql.field.parent_type = info.parent_type,
        );
        next.run(ctx, info).instrument(span).await
    }
}

/// `tokio::spawn` for DataLoader batches, in the span of the resolver
/// that started the batch, so its statement is part of the trace.
pub fn spawn<F>(future: F) -> tokio::task::JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    tokio::spawn(future.in_current_span())
}
