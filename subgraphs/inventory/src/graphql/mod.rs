//! The inventory subgraph: the only module that knows async-graphql.
//!
//! It contributes `inventory`, `inStock` and `stockValue` to the catalog's
//! `Product` entity, and serves stock levels, replenishments and, to the
//! orders service only (`@inaccessible` in the supergraph), reservations.

mod level;
mod loader;
mod mutation;
mod product;
mod query;
mod replenishment;
mod reservation;

use async_graphql::dataloader::DataLoader;
use async_graphql::{EmptySubscription, SDLExportOptions, Schema, SchemaBuilder};
use subgraph_kit::traces::Traced;

use crate::store::InventoryStore;
pub use mutation::Mutation;
pub use query::Query;

pub type InventorySchema = Schema<Query, Mutation, EmptySubscription>;

fn builder() -> SchemaBuilder<Query, Mutation, EmptySubscription> {
    Schema::build(Query, Mutation, EmptySubscription).enable_federation()
}

/// The executable schema over a store.
pub fn schema(store: InventoryStore) -> InventorySchema {
    let loader = DataLoader::new(
        loader::StockLevelLoader {
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

/// A count as a GraphQL `Int`. The domain keeps counts within range; should
/// one ever not be, it saturates rather than wrapping to a wrong sign.
fn int(n: i64) -> i32 {
    i32::try_from(n).unwrap_or(if n < 0 { i32::MIN } else { i32::MAX })
}
