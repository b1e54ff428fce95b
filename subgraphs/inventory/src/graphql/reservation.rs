//! Reservations: stock held for orders. Only the orders service uses them:
//! the fields that reach them are `@inaccessible`. The types themselves cannot
//! be, since composition forbids an accessible required argument (`items`) of
//! an inaccessible type; unreachable, they are harmless in the API schema.

use async_graphql::{Enum, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};

use super::int;
use crate::domain::{Reservation, ReservationStatus};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(name = "ReservationStatus")]
pub enum ReservationStatusGql {
    /// Stock is held for the order.
    Reserved,
    /// The order was cancelled before confirmation; the stock is free again.
    Released,
    /// The order was confirmed; the units left on-hand.
    Committed,
    /// A confirmed order was cancelled; the units came back on hand.
    Returned,
}

impl From<ReservationStatus> for ReservationStatusGql {
    fn from(s: ReservationStatus) -> Self {
        match s {
            ReservationStatus::Reserved => ReservationStatusGql::Reserved,
            ReservationStatus::Released => ReservationStatusGql::Released,
            ReservationStatus::Committed => ReservationStatusGql::Committed,
            ReservationStatus::Returned => ReservationStatusGql::Returned,
        }
    }
}

#[derive(Debug, Clone, SimpleObject)]
#[graphql(name = "ReservationLine")]
pub struct ReservationLineObject {
    pub product_id: ID,
    pub quantity: i32,
}

/// The stock held for one order.
pub struct ReservationObject(pub Reservation);

#[Object(name = "Reservation")]
impl ReservationObject {
    async fn order_id(&self) -> ID {
        ID(self.0.order_id.as_str().to_owned())
    }

    async fn status(&self) -> ReservationStatusGql {
        self.0.status.into()
    }

    /// One line per product, by product id.
    async fn items(&self) -> Vec<ReservationLineObject> {
        self.0
            .lines
            .iter()
            .map(|line| ReservationLineObject {
                product_id: ID(line.product_id.as_str().to_owned()),
                quantity: int(line.quantity.get()),
            })
            .collect()
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

/// Units of one product to reserve; lines for the same product are added up.
#[derive(Debug, Clone, InputObject)]
#[graphql(name = "ReservationItemInput")]
pub struct ReservationItemInput {
    pub product_id: ID,
    pub quantity: i32,
}
