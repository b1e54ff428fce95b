//! Orders' persistence: the only code that knows the tables.

mod checkout;
mod entity;
mod rows;

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use events::outbox;
use events::relay::Wake;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, DatabaseTransaction, DbErr, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, SqlErr, TransactionTrait,
};
use subgraph_kit::pagination::{Page, PageRequest};

use crate::domain::{
    CheckoutStep, CustomerEmail, IdempotencyKey, Order, OrderError, OrderId, OrderItem,
    OrderStatus, PricedOrder, Shipment, StatusChange,
};
use crate::domain_events::{self, OrderStatusChanged};
use entity::{order, order_item, status_history};

pub use checkout::{Advance, Guard, Lease, Outcome};

/// What `orders(...)` filters on.
#[derive(Debug, Clone, Default)]
pub struct OrderFilter {
    pub customer_email: Option<CustomerEmail>,
    pub status: Option<OrderStatus>,
}

/// A status change to apply, with what goes with it.
#[derive(Debug, Clone)]
pub struct StatusUpdate<'a> {
    pub from: OrderStatus,
    pub to: OrderStatus,
    pub note: Option<&'a str>,
    pub shipment: Option<&'a Shipment>,
}

#[derive(Clone)]
pub struct OrderStore {
    db: DatabaseConnection,
    /// Tells the outbox relay when a commit added events.
    relay: Wake,
}

impl OrderStore {
    /// A store whose events wait for the relay's next poll.
    pub fn new(db: DatabaseConnection) -> Self {
        Self::with_relay(db, Wake::default())
    }

    pub fn with_relay(db: DatabaseConnection, relay: Wake) -> Self {
        OrderStore { db, relay }
    }

    /// Appends `change`'s event to the outbox, commits `txn`, then tells the
    /// relay (subscribers hear of it from the broker, see `feed`).
    async fn commit_with_change(
        &self,
        txn: DatabaseTransaction,
        change: OrderStatusChanged,
    ) -> Result<(), OrderError> {
        let event = domain_events::to_event(&change)
            .map_err(|e| OrderError::Database(DbErr::Custom(e.to_string())))?;
        outbox::append(&txn, &event).await?;
        txn.commit().await?;
        self.relay.wake();
        Ok(())
    }

    /// Stores a new PENDING order, its items and its first history entry in
    /// one transaction. `Ok(None)` when `key` is already taken (a concurrent
    /// request with the same key won): nothing was stored.
    ///
    /// The order starts its checkout at RESERVE, held by `lease`.
    pub async fn insert(
        &self,
        priced: &PricedOrder,
        key: Option<&IdempotencyKey>,
        lease: &Lease,
    ) -> Result<Option<Order>, OrderError> {
        let now = Utc::now();
        let order = Order {
            id: OrderId::generate(),
            customer_email: priced.customer_email.clone(),
            status: OrderStatus::Pending,
            total: priced.total,
            carrier: None,
            tracking_number: None,
            created_at: now,
            updated_at: now,
            checkout_step: Some(CheckoutStep::Reserve),
            payment_id: None,
            failure: None,
        };
        let txn = self.db.begin().await?;
        let header = order::ActiveModel {
            id: Set(order.id.as_str().to_owned()),
            customer_email: Set(order.customer_email.as_str().to_owned()),
            status: Set(order.status.as_str().to_owned()),
            total_amount: Set(order.total.amount()),
            currency: Set(order.total.currency().code().to_owned()),
            carrier: Set(None),
            tracking_number: Set(None),
            idempotency_key: Set(key.map(|k| k.as_str().to_owned())),
            created_at: Set(now),
            updated_at: Set(now),
            checkout_step: Set(Some(CheckoutStep::Reserve.as_str().to_owned())),
            payment_id: Set(None),
            failure_code: Set(None),
            failure_message: Set(None),
            lease_token: Set(Some(lease.token.clone())),
            lease_until: Set(Some(lease.until)),
        };
        match order::Entity::insert(header)
            .exec_without_returning(&txn)
            .await
        {
            Ok(_) => {}
            Err(err) if key.is_some() && is_unique_violation(&err) => {
                txn.rollback().await?;
                return Ok(None);
            }
            Err(err) => return Err(err.into()),
        }
        let items = priced
            .items
            .iter()
            .zip(1..)
            .map(|(item, line_no)| order_item::ActiveModel {
                order_id: Set(order.id.as_str().to_owned()),
                line_no: Set(line_no),
                product_id: Set(item.product_id.as_str().to_owned()),
                sku: Set(item.sku.clone()),
                quantity: Set(i32::try_from(item.quantity).unwrap_or(i32::MAX)),
                unit_price_amount: Set(item.unit_price.amount()),
                currency: Set(item.unit_price.currency().code().to_owned()),
            });
        order_item::Entity::insert_many(items)
            .exec_without_returning(&txn)
            .await?;
        record_change(
            &txn,
            &order.id,
            OrderStatus::Pending,
            Some("order placed"),
            now,
        )
        .await?;
        let change = domain_events::status_change(&order, None, Some("order placed"), now);
        self.commit_with_change(txn, change).await?;
        Ok(Some(order))
    }

    pub async fn find_by_idempotency_key(
        &self,
        key: &IdempotencyKey,
    ) -> Result<Option<Order>, OrderError> {
        order::Entity::find()
            .filter(order::Column::IdempotencyKey.eq(key.as_str()))
            .one(&self.db)
            .await?
            .map(rows::order)
            .transpose()
    }

    pub async fn get(&self, id: &OrderId) -> Result<Option<Order>, OrderError> {
        order::Entity::find_by_id(id.as_str())
            .one(&self.db)
            .await?
            .map(rows::order)
            .transpose()
    }

    /// Every order among `ids`, in one statement.
    pub async fn get_many(&self, ids: &[OrderId]) -> Result<Vec<Order>, OrderError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        order::Entity::find()
            .filter(order::Column::Id.is_in(ids.iter().map(OrderId::as_str)))
            .all(&self.db)
            .await?
            .into_iter()
            .map(rows::order)
            .collect()
    }

    /// The items of each of `orders` in line order, in one statement.
    pub async fn items_of(
        &self,
        orders: &[OrderId],
    ) -> Result<HashMap<OrderId, Vec<OrderItem>>, OrderError> {
        let mut found: HashMap<OrderId, Vec<OrderItem>> = HashMap::new();
        if orders.is_empty() {
            return Ok(found);
        }
        let rows = order_item::Entity::find()
            .filter(order_item::Column::OrderId.is_in(orders.iter().map(OrderId::as_str)))
            .order_by_asc(order_item::Column::OrderId)
            .order_by_asc(order_item::Column::LineNo)
            .all(&self.db)
            .await?;
        for row in rows {
            let Some(id) = OrderId::parse(&row.order_id) else {
                continue;
            };
            found.entry(id).or_default().push(rows::item(row)?);
        }
        Ok(found)
    }

    /// The history of each of `orders`, oldest first, in one statement.
    pub async fn history_of(
        &self,
        orders: &[OrderId],
    ) -> Result<HashMap<OrderId, Vec<StatusChange>>, OrderError> {
        let mut found: HashMap<OrderId, Vec<StatusChange>> = HashMap::new();
        if orders.is_empty() {
            return Ok(found);
        }
        let rows = status_history::Entity::find()
            .filter(status_history::Column::OrderId.is_in(orders.iter().map(OrderId::as_str)))
            .order_by_asc(status_history::Column::At)
            .order_by_asc(status_history::Column::Id)
            .all(&self.db)
            .await?;
        for row in rows {
            let Some(id) = OrderId::parse(&row.order_id) else {
                continue;
            };
            found.entry(id).or_default().push(rows::status_change(row)?);
        }
        Ok(found)
    }

    /// Moves an order from `update.from` to `update.to` and records it, in
    /// one transaction. The update only matches while the order is still in
    /// `from`, so of two racing changes exactly one applies; `Ok(None)` means
    /// this one lost (or the order does not exist) and nothing changed.
    pub async fn change_status(
        &self,
        id: &OrderId,
        update: &StatusUpdate<'_>,
    ) -> Result<Option<Order>, OrderError> {
        let now = Utc::now();
        let txn = self.db.begin().await?;
        let mut query = order::Entity::update_many()
            .col_expr(order::Column::Status, Expr::value(update.to.as_str()))
            .col_expr(order::Column::UpdatedAt, Expr::value(now))
            .filter(order::Column::Id.eq(id.as_str()))
            .filter(order::Column::Status.eq(update.from.as_str()));
        if let Some(shipment) = update.shipment {
            query = query
                .col_expr(
                    order::Column::Carrier,
                    Expr::value(shipment.carrier.clone()),
                )
                .col_expr(
                    order::Column::TrackingNumber,
                    Expr::value(shipment.tracking_number.clone()),
                );
        }
        let Some(row) = query.exec_with_returning(&txn).await?.into_iter().next() else {
            txn.rollback().await?;
            return Ok(None);
        };
        record_change(&txn, id, update.to, update.note, now).await?;
        let order = rows::order(row)?;
        let change = domain_events::status_change(&order, Some(update.from), update.note, now);
        self.commit_with_change(txn, change).await?;
        Ok(Some(order))
    }

    /// One page of orders, newest first.
    pub async fn list(
        &self,
        filter: &OrderFilter,
        page: &PageRequest,
    ) -> Result<Page<Order>, OrderError> {
        let mut query = order::Entity::find().order_by_desc(order::Column::Id);
        if let Some(email) = &filter.customer_email {
            query = query.filter(order::Column::CustomerEmail.eq(email.as_str()));
        }
        if let Some(status) = filter.status {
            query = query.filter(order::Column::Status.eq(status.as_str()));
        }
        if let Some(after) = &page.after {
            query = query.filter(order::Column::Id.lt(after.as_str()));
        }
        let orders = query
            .limit(page.fetch_limit())
            .all(&self.db)
            .await?
            .into_iter()
            .map(rows::order)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Page::from_overfetch(orders, page))
    }
}

async fn record_change(
    txn: &DatabaseTransaction,
    order: &OrderId,
    status: OrderStatus,
    note: Option<&str>,
    at: DateTime<Utc>,
) -> Result<(), DbErr> {
    status_history::Entity::insert(status_history::ActiveModel {
        id: Set(uuid::Uuid::now_v7().to_string()),
        order_id: Set(order.as_str().to_owned()),
        status: Set(status.as_str().to_owned()),
        note: Set(note.map(str::to_owned)),
        at: Set(at),
    })
    .exec_without_returning(txn)
    .await?;
    Ok(())
}

fn is_unique_violation(err: &DbErr) -> bool {
    matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
}
