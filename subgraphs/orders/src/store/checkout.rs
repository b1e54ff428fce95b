//! The checkout's bookkeeping on the `orders` row: which step is next, the
//! payment held, the failure, and the lease that makes one runner at a
//! time work on an order (across requests, retries, replicas and restarts).

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, SimpleExpr};
use sea_orm::{
    ColumnTrait, Condition, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    TransactionTrait, UpdateMany,
};

use super::entity::order;
use super::{OrderStore, StatusUpdate, record_change, rows};
use crate::domain::{CheckoutFailure, CheckoutStep, Order, OrderError, OrderId, OrderStatus};
use crate::domain_events;

/// The right to run an order's checkout until `until`; a runner that
/// outlives its lease loses the order to the next claimant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    pub token: String,
    pub until: DateTime<Utc>,
}

impl Lease {
    pub fn new(length: std::time::Duration) -> Self {
        Lease {
            token: uuid::Uuid::now_v7().to_string(),
            until: Self::expiry(length),
        }
    }

    pub fn expiry(length: std::time::Duration) -> DateTime<Utc> {
        Utc::now() + chrono::Duration::from_std(length).unwrap_or(chrono::Duration::MAX)
    }
}

/// What recording a payment outcome did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Recorded,
    /// The order has not recorded its payment yet (the event overtook it).
    NotYetAwaiting,
    /// The order ended without a payment (cancelled or failed, nothing left
    /// to undo): a payment turning up for it is one to give back.
    Ended,
    /// The order does not wait for this payment: nothing to do.
    NotAwaiting,
}

/// Which rows an [`Advance`] may touch.
#[derive(Debug, Clone, Copy)]
pub enum Guard<'a> {
    /// Only while the caller's lease is the order's lease.
    Held(&'a Lease),
    /// Only while no checkout step is pending (nobody runs the order); the
    /// change takes the given lease.
    Idle(&'a Lease),
}

/// One move of a checkout, applied atomically with its status change and
/// that change's event.
#[derive(Debug, Clone, Default)]
pub struct Advance<'a> {
    /// The next step; `None` when nothing is left to do.
    pub step: Option<CheckoutStep>,
    pub payment_id: Option<&'a str>,
    pub failure: Option<&'a CheckoutFailure>,
    pub status: Option<StatusUpdate<'a>>,
}

impl OrderStore {
    /// Takes the lease of an order whose checkout has a step left and whose
    /// lease is free or expired. `None`: somebody else holds it, or there is
    /// nothing to run.
    pub async fn claim(&self, id: &OrderId, lease: &Lease) -> Result<Option<Order>, OrderError> {
        let now = Utc::now();
        let row = order::Entity::update_many()
            .col_expr(order::Column::LeaseToken, Expr::value(lease.token.clone()))
            .col_expr(order::Column::LeaseUntil, Expr::value(lease.until))
            .filter(order::Column::Id.eq(id.as_str()))
            .filter(order::Column::CheckoutStep.is_not_null())
            .filter(lease_free(now))
            .exec_with_returning(&self.db)
            .await?
            .into_iter()
            .next();
        row.map(rows::order).transpose()
    }

    /// Applies `advance` if `guard` still holds, renewing the lease until
    /// `lease_until`. `None`: the guard no longer holds (the lease was lost,
    /// or somebody started a checkout first) and nothing changed.
    pub async fn advance(
        &self,
        id: &OrderId,
        guard: Guard<'_>,
        advance: &Advance<'_>,
    ) -> Result<Option<Order>, OrderError> {
        let now = Utc::now();
        let txn = self.db.begin().await?;
        let mut query = order::Entity::update_many()
            .col_expr(
                order::Column::CheckoutStep,
                Expr::value(advance.step.map(|s| s.as_str().to_owned())),
            )
            .col_expr(order::Column::UpdatedAt, Expr::value(now))
            .filter(order::Column::Id.eq(id.as_str()));
        query = match guard {
            Guard::Held(lease) => query
                .col_expr(order::Column::LeaseUntil, Expr::value(lease.until))
                .filter(order::Column::LeaseToken.eq(lease.token.as_str())),
            Guard::Idle(lease) => query
                .col_expr(order::Column::LeaseToken, Expr::value(lease.token.clone()))
                .col_expr(order::Column::LeaseUntil, Expr::value(lease.until))
                .filter(order::Column::CheckoutStep.is_null()),
        };
        if let Some(payment) = advance.payment_id {
            query = query.col_expr(order::Column::PaymentId, Expr::value(payment.to_owned()));
        }
        if let Some(failure) = advance.failure {
            query = set_failure(query, failure);
        }
        if let Some(update) = &advance.status {
            query = query
                .col_expr(order::Column::Status, Expr::value(update.to.as_str()))
                .filter(order::Column::Status.eq(update.from.as_str()));
        }
        let Some(row) = query.exec_with_returning(&txn).await?.into_iter().next() else {
            txn.rollback().await?;
            return Ok(None);
        };
        let order = rows::order(row)?;
        match &advance.status {
            Some(update) => {
                record_change(&txn, id, update.to, update.note, now).await?;
                let change =
                    domain_events::status_change(&order, Some(update.from), update.note, now);
                self.commit_with_change(txn, change).await?;
            }
            None => txn.commit().await?,
        }
        Ok(Some(order))
    }

    /// Extends a lease its holder still has; false when it was lost.
    pub async fn renew_lease(&self, id: &OrderId, lease: &Lease) -> Result<bool, OrderError> {
        let renewed = order::Entity::update_many()
            .col_expr(order::Column::LeaseUntil, Expr::value(lease.until))
            .filter(order::Column::Id.eq(id.as_str()))
            .filter(order::Column::LeaseToken.eq(lease.token.as_str()))
            .filter(order::Column::CheckoutStep.is_not_null())
            .exec(&self.db)
            .await?
            .rows_affected;
        Ok(renewed == 1)
    }

    /// Gives the lease up early, so the next claimant need not wait for it
    /// to expire.
    pub async fn release_lease(&self, id: &OrderId, lease: &Lease) -> Result<(), OrderError> {
        order::Entity::update_many()
            .col_expr(
                order::Column::LeaseUntil,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .filter(order::Column::Id.eq(id.as_str()))
            .filter(order::Column::LeaseToken.eq(lease.token.as_str()))
            .exec(&self.db)
            .await?;
        Ok(())
    }

    /// Orders with a runnable step left and nobody holding them, and orders
    /// that have waited for their payment since before `waiting_since`,
    /// oldest first: what recovery picks up.
    pub async fn unfinished(
        &self,
        waiting_since: DateTime<Utc>,
        limit: u64,
    ) -> Result<Vec<OrderId>, OrderError> {
        let ids: Vec<String> = order::Entity::find()
            .select_only()
            .column(order::Column::Id)
            .filter(order::Column::CheckoutStep.is_not_null())
            .filter(
                Condition::any()
                    .add(order::Column::CheckoutStep.ne(CheckoutStep::AwaitPayment.as_str()))
                    .add(order::Column::UpdatedAt.lt(waiting_since)),
            )
            .filter(lease_free(Utc::now()))
            .order_by_asc(order::Column::Id)
            .limit(limit)
            .into_tuple()
            .all(&self.db)
            .await?;
        Ok(ids.iter().filter_map(|id| OrderId::parse(id)).collect())
    }

    /// Records the outcome of an invoice the order waits for: moves an order
    /// at AWAIT_PAYMENT for `payment` to `step` (with `failure`, if any), in
    /// the caller's transaction. When the order was not waiting for it, says
    /// where the order is instead and changes nothing (so an outcome seen
    /// twice, or late, changes nothing twice).
    pub async fn payment_outcome(
        txn: &DatabaseTransaction,
        id: &OrderId,
        payment: &str,
        step: CheckoutStep,
        failure: Option<&CheckoutFailure>,
    ) -> Result<Outcome, OrderError> {
        let mut query = order::Entity::update_many()
            .col_expr(
                order::Column::CheckoutStep,
                Expr::value(step.as_str().to_owned()),
            )
            .col_expr(order::Column::UpdatedAt, Expr::value(Utc::now()))
            .filter(order::Column::Id.eq(id.as_str()))
            .filter(order::Column::Status.eq(OrderStatus::Pending.as_str()))
            .filter(order::Column::CheckoutStep.eq(CheckoutStep::AwaitPayment.as_str()))
            .filter(order::Column::PaymentId.eq(payment));
        if let Some(failure) = failure {
            query = set_failure(query, failure);
        }
        if query.exec(txn).await?.rows_affected == 1 {
            return Ok(Outcome::Recorded);
        }
        let found: Option<(String, Option<String>)> = order::Entity::find_by_id(id.as_str())
            .select_only()
            .column(order::Column::Status)
            .column(order::Column::CheckoutStep)
            .into_tuple()
            .one(txn)
            .await?;
        let Some((status, step)) = found else {
            return Ok(Outcome::NotAwaiting);
        };
        let step = step.as_deref().and_then(CheckoutStep::parse);
        let failed = matches!(
            OrderStatus::parse(&status),
            Some(OrderStatus::Cancelled | OrderStatus::PaymentFailed)
        );
        Ok(match step {
            Some(CheckoutStep::Authorize) => Outcome::NotYetAwaiting,
            None if failed => Outcome::Ended,
            _ => Outcome::NotAwaiting,
        })
    }
}

fn set_failure(
    query: UpdateMany<order::Entity>,
    failure: &CheckoutFailure,
) -> UpdateMany<order::Entity> {
    query
        .col_expr(
            order::Column::FailureCode,
            Expr::value(failure.code.clone()),
        )
        .col_expr(
            order::Column::FailureMessage,
            Expr::value(failure.message.clone()),
        )
}

fn lease_free(now: DateTime<Utc>) -> Condition {
    Condition::any()
        .add(order::Column::LeaseUntil.is_null())
        .add(SimpleExpr::from(order::Column::LeaseUntil.lt(now)))
}
