//! The payments subgraph: the only module that knows async-graphql.

mod loader;
mod mutation;
mod prefetch;
mod query;
mod types;

use async_graphql::dataloader::DataLoader;
use async_graphql::{EmptySubscription, SDLExportOptions, Schema, SchemaBuilder};
use subgraph_kit::traces::Traced;

use crate::processor::PaymentProcessor;
pub use mutation::Mutation;
pub use query::Query;

pub type PaymentsSchema = Schema<Query, Mutation, EmptySubscription>;

fn builder() -> SchemaBuilder<Query, Mutation, EmptySubscription> {
    Schema::build(Query, Mutation, EmptySubscription).enable_federation()
}

/// The executable schema over a processor (its store and gateways).
pub fn schema(processor: PaymentProcessor) -> PaymentsSchema {
    let store = processor.store().clone();
    let by_id = DataLoader::new(
        loader::PaymentLoader {
            store: store.clone(),
        },
        subgraph_kit::traces::spawn,
    );
    let by_order = DataLoader::new(
        loader::OrderPaymentsLoader { store },
        subgraph_kit::traces::spawn,
    );
    builder()
        .data(processor)
        .data(by_id)
        .data(by_order)
        .extension(subgraph_kit::entities::EntityBatches)
        .traced()
        .finish()
}

/// The subgraph SDL as `_service { sdl }` serves it (no database needed).
pub fn sdl() -> String {
    builder()
        .finish()
        .sdl_with_options(SDLExportOptions::new().federation())
}
