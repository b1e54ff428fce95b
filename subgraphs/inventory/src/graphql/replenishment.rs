//! Replenishment requests.

use async_graphql::{Enum, ID, Object};
use chrono::{DateTime, Utc};

use super::product::ProductStub;
use crate::domain::{Replenishment, ReplenishmentStatus};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(name = "ReplenishmentStatus")]
pub enum ReplenishmentStatusGql {
    /// Requested; the goods have not arrived.
    Open,
    /// The goods arrived and are on hand.
    Received,
}

impl From<ReplenishmentStatus> for ReplenishmentStatusGql {
    fn from(s: ReplenishmentStatus) -> Self {
        match s {
            ReplenishmentStatus::Open => ReplenishmentStatusGql::Open,
            ReplenishmentStatus::Received => ReplenishmentStatusGql::Received,
        }
    }
}

impl From<ReplenishmentStatusGql> for ReplenishmentStatus {
    fn from(s: ReplenishmentStatusGql) -> Self {
        match s {
            ReplenishmentStatusGql::Open => ReplenishmentStatus::Open,
            ReplenishmentStatusGql::Received => ReplenishmentStatus::Received,
        }
    }
}

/// A request for more stock of a product, opened when its available stock
/// fell to the reorder point. At most one is open per product.
pub struct ReplenishmentObject(pub Replenishment);

#[Object(name = "Replenishment")]
impl ReplenishmentObject {
    async fn id(&self) -> ID {
        ID(self.0.id.as_str().to_owned())
    }

    async fn product(&self) -> ProductStub {
        ProductStub::new(self.0.product_id.clone())
    }

    /// Units requested.
    async fn quantity(&self) -> i32 {
        super::int(self.0.quantity.get())
    }

    /// Units received; null while open.
    async fn received_quantity(&self) -> Option<i32> {
        self.0.received_quantity.map(|q| super::int(q.get()))
    }

    async fn status(&self) -> ReplenishmentStatusGql {
        self.0.status.into()
    }

    async fn requested_at(&self) -> DateTime<Utc> {
        self.0.requested_at
    }

    async fn received_at(&self) -> Option<DateTime<Utc>> {
        self.0.received_at
    }
}
