//! The products subgraph: the only module that knows async-graphql.

mod loader;
mod mutation;
mod query;
mod types;

use async_graphql::dataloader::DataLoader;
use async_graphql::{EmptySubscription, SDLExportOptions, Schema, SchemaBuilder};
use subgraph_kit::traces::Traced;

use crate::store::ProductStore;
pub use mutation::Mutation;
pub use query::Query;

pub type ProductsSchema = Schema<Query, Mutation, EmptySubscription>;

fn builder() -> SchemaBuilder<Query, Mutation, EmptySubscription> {
    Schema::build(Query, Mutation, EmptySubscription).enable_federation()
}

/// The executable schema over a store.
pub fn schema(store: ProductStore) -> ProductsSchema {
    let loader = DataLoader::new(
        loader::ProductLoader {
            store: store.clone(),
        },
        subgraph_kit::traces::spawn,
    );
    builder()
        .data(store)
        .data(loader)
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
