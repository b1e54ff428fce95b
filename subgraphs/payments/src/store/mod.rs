//! Payment persistence: the only code that knows the `payments` table. Every
//! status change after PENDING appends its event to the outbox in the same
//! transaction.

mod entity;

use chrono::Utc;
use events::outbox;
use events::relay::Wake;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, DatabaseTransaction, DbErr, EntityTrait,
    QueryFilter, QueryOrder, SqlErr, TransactionTrait,
};
use subgraph_kit::money::Money;

use crate::domain::{
    AuthorizationOutcome, GatewayKind, IdempotencyKey, NewPayment, OrderId, Payment, PaymentError,
    PaymentId, PaymentStatus,
};
use crate::domain_events;
use entity::{ActiveModel, Column, Entity, Model};

/// The result of recording an authorization attempt.
#[derive(Debug)]
pub enum Inserted {
    /// A new PENDING payment: the caller now asks the gateway.
    Created(Payment),
    /// The idempotency key was taken: the payment of the first attempt.
    Existing(Payment),
}

#[derive(Clone)]
pub struct PaymentStore {
    db: DatabaseConnection,
    /// Tells the outbox relay when a commit added events.
    relay: Wake,
}

impl PaymentStore {
    /// A store whose events wait for the relay's next poll.
    pub fn new(db: DatabaseConnection) -> Self {
        Self::with_relay(db, Wake::default())
    }

    pub fn with_relay(db: DatabaseConnection, relay: Wake) -> Self {
        PaymentStore { db, relay }
    }

    /// Appends the event of `payment` having left `previous`, then commits.
    async fn commit_with_event(
        &self,
        txn: DatabaseTransaction,
        payment: &Payment,
        previous: PaymentStatus,
    ) -> Result<(), PaymentError> {
        let event = domain_events::payment_changed(payment, previous)
            .map_err(|e| PaymentError::Database(DbErr::Custom(e.to_string())))?;
        outbox::append(&txn, &event).await?;
        txn.commit().await?;
        self.relay.wake();
        Ok(())
    }

    /// Records a PENDING payment under its idempotency key before any gateway
    /// is asked. The unique key decides races: of concurrent attempts with the
    /// same key exactly one insert succeeds, the others get its payment.
    pub async fn insert_pending(
        &self,
        new: &NewPayment,
        key: &IdempotencyKey,
    ) -> Result<Inserted, PaymentError> {
        let now = Utc::now();
        let row = ActiveModel {
            id: Set(PaymentId::generate().as_str().to_owned()),
            order_id: Set(new.order_id.as_str().to_owned()),
            amount: Set(new.amount.amount()),
            currency: Set(new.amount.currency().code().to_owned()),
            gateway: Set(new.gateway.as_str().to_owned()),
            status: Set(PaymentStatus::Pending.as_str().to_owned()),
            gateway_reference: Set(None),
            failure_reason: Set(None),
            card_last4: Set(new.card.as_ref().map(|c| c.last4().to_owned())),
            card_brand: Set(new.card.as_ref().map(|c| c.brand().as_str().to_owned())),
            idempotency_key: Set(key.as_str().to_owned()),
            created_at: Set(now),
            updated_at: Set(now),
        };
        match Entity::insert(row).exec_with_returning(&self.db).await {
            Ok(model) => Ok(Inserted::Created(to_domain(model)?)),
            Err(err) if is_unique_violation(&err) => self
                .find_by_idempotency_key(key)
                .await?
                .map(Inserted::Existing)
                .ok_or(PaymentError::Database(err)),
            Err(err) => Err(err.into()),
        }
    }

    async fn find_by_idempotency_key(
        &self,
        key: &IdempotencyKey,
    ) -> Result<Option<Payment>, PaymentError> {
        Entity::find()
            .filter(Column::IdempotencyKey.eq(key.as_str()))
            .one(&self.db)
            .await?
            .map(to_domain)
            .transpose()
    }

    /// Stores the gateway's answer to the authorization of a PENDING payment
    /// that has none yet; a payment that already has one is left as it is.
    pub async fn record_authorization(
        &self,
        id: &PaymentId,
        outcome: AuthorizationOutcome,
    ) -> Result<Payment, PaymentError> {
        let txn = self.db.begin().await?;
        let updated = Entity::update_many()
            .col_expr(Column::Status, Expr::value(outcome.status.as_str()))
            .col_expr(
                Column::GatewayReference,
                Expr::value(outcome.gateway_reference),
            )
            .col_expr(Column::FailureReason, Expr::value(outcome.failure_reason))
            .col_expr(Column::UpdatedAt, Expr::value(Utc::now()))
            .filter(Column::Id.eq(id.as_str()))
            .filter(Column::Status.eq(PaymentStatus::Pending.as_str()))
            .filter(Column::GatewayReference.is_null())
            .exec_with_returning(&txn)
            .await?;
        match updated.into_iter().next() {
            Some(model) => {
                let payment = to_domain(model)?;
                if payment.status == PaymentStatus::Pending {
                    // An invoice stays pending: nothing happened yet.
                    txn.commit().await?;
                } else {
                    self.commit_with_event(txn, &payment, PaymentStatus::Pending)
                        .await?;
                }
                Ok(payment)
            }
            None => {
                txn.rollback().await?;
                self.require(id).await
            }
        }
    }

    /// Moves a payment `from` → `to` in one conditional statement; `None`
    /// when it is no longer in `from` (another request changed it first).
    pub async fn move_status(
        &self,
        id: &PaymentId,
        from: PaymentStatus,
        to: PaymentStatus,
    ) -> Result<Option<Payment>, PaymentError> {
        let txn = self.db.begin().await?;
        let updated = Entity::update_many()
            .col_expr(Column::Status, Expr::value(to.as_str()))
            .col_expr(Column::UpdatedAt, Expr::value(Utc::now()))
            .filter(Column::Id.eq(id.as_str()))
            .filter(Column::Status.eq(from.as_str()))
            .exec_with_returning(&txn)
            .await?;
        // RETURNING yields exactly the affected rows: none means rows_affected == 0.
        let Some(model) = updated.into_iter().next() else {
            txn.rollback().await?;
            return Ok(None);
        };
        let payment = to_domain(model)?;
        self.commit_with_event(txn, &payment, from).await?;
        Ok(Some(payment))
    }

    pub async fn get(&self, id: &PaymentId) -> Result<Option<Payment>, PaymentError> {
        Entity::find_by_id(id.as_str())
            .one(&self.db)
            .await?
            .map(to_domain)
            .transpose()
    }

    pub async fn require(&self, id: &PaymentId) -> Result<Payment, PaymentError> {
        self.get(id)
            .await?
            .ok_or_else(|| PaymentError::NotFound(id.as_str().to_owned()))
    }

    /// The payments with any of the ids, in one statement.
    pub async fn find_many(&self, ids: &[PaymentId]) -> Result<Vec<Payment>, PaymentError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        Entity::find()
            .filter(Column::Id.is_in(ids.iter().map(PaymentId::as_str)))
            .all(&self.db)
            .await?
            .into_iter()
            .map(to_domain)
            .collect()
    }

    /// Every payment of any of the orders, oldest first, in one statement.
    pub async fn for_orders(&self, orders: &[OrderId]) -> Result<Vec<Payment>, PaymentError> {
        if orders.is_empty() {
            return Ok(Vec::new());
        }
        Entity::find()
            .filter(Column::OrderId.is_in(orders.iter().map(OrderId::as_str)))
            .order_by_asc(Column::Id)
            .all(&self.db)
            .await?
            .into_iter()
            .map(to_domain)
            .collect()
    }
}

fn is_unique_violation(err: &DbErr) -> bool {
    matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
}

/// Rows are only ever written by this store, so a row that does not parse is
/// corruption and reported as a database error rather than trusted.
fn to_domain(m: Model) -> Result<Payment, PaymentError> {
    let corrupt =
        |what: &str| PaymentError::Database(DbErr::Custom(format!("payment {}: bad {what}", m.id)));
    Ok(Payment {
        id: PaymentId::parse(&m.id).ok_or_else(|| corrupt("id"))?,
        order_id: OrderId::parse(&m.order_id).ok_or_else(|| corrupt("order id"))?,
        amount: Money::parse(m.amount, &m.currency).map_err(|_| corrupt("amount"))?,
        gateway: GatewayKind::parse(&m.gateway).ok_or_else(|| corrupt("gateway"))?,
        status: PaymentStatus::parse(&m.status).ok_or_else(|| corrupt("status"))?,
        idempotency_key: IdempotencyKey::parse(&m.idempotency_key)
            .map_err(|_| corrupt("idempotency key"))?,
        gateway_reference: m.gateway_reference,
        failure_reason: m.failure_reason,
        card_last4: m.card_last4,
        card_brand: m.card_brand,
        created_at: m.created_at,
        updated_at: m.updated_at,
    })
}
