//! The orders subgraph: the only module that knows async-graphql.

mod loader;
mod mutation;
mod query;
mod subscription;
mod types;

use std::time::Duration;
use subgraph_kit::traces::Traced;

use async_graphql::dataloader::{DataLoader, Loader};
use async_graphql::{SDLExportOptions, Schema, SchemaBuilder};

use crate::service::OrderService;
pub use mutation::Mutation;
pub use query::{OWN_ORDERS, Query, STAFF_SCOPE};
pub use subscription::Subscription;

pub type OrdersSchema = Schema<Query, Mutation, Subscription>;

fn builder() -> SchemaBuilder<Query, Mutation, Subscription> {
    Schema::build(Query, Mutation, Subscription).enable_federation()
}

/// How long a loader collects keys before it runs its one statement. The
/// default 1 ms timer runs on another worker thread and, on a busy machine,
/// can fire while the resolvers are still enqueueing keys, splitting a batch;
/// 5 ms keeps batches whole at a latency cost that is small next to a
/// federated round trip.
const BATCH_WINDOW: Duration = Duration::from_millis(5);

fn batched<L: Loader<crate::domain::OrderId>>(loader: L) -> DataLoader<L> {
    DataLoader::new(loader, subgraph_kit::traces::spawn).delay(BATCH_WINDOW)
}

/// The executable schema over the use cases.
pub fn schema(service: OrderService) -> OrdersSchema {
    let store = service.store().clone();
    let orders = batched(loader::OrderLoader {
        store: store.clone(),
    });
    let items = batched(loader::OrderItemsLoader {
        store: store.clone(),
    });
    let history = batched(loader::StatusHistoryLoader { store });
    builder()
        .data(service)
        .data(orders)
        .data(items)
        .data(history)
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
