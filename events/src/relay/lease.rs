//! The relay lease: every replica of a service runs a relay over the same
//! outbox, and only the one holding this lease publishes, so events leave
//! in `seq` order and once (JetStream's message-id window is the second
//! line, for a holder that stalled past its lease while a peer took over).
//! The lease is a row in `event_relay` with the holder and an expiry; the
//! holder renews it well before it runs out, and a peer takes it over once
//! it has (the holder died). Times are the replicas' clocks, so their skew
//! must stay well below the lease length.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::Utc;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter,
};
use uuid::Uuid;

pub(crate) mod row {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "event_relay")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub name: String,
        pub holder: String,
        pub held_until: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// The one outbox a database has.
const OUTBOX: &str = "outbox";

pub struct RelayLease {
    holder: String,
    length: Duration,
    /// When this relay last took or renewed the lease.
    renewed: Mutex<Option<Instant>>,
}

impl RelayLease {
    pub fn new(length: Duration) -> Self {
        RelayLease {
            holder: Uuid::new_v4().to_string(),
            length,
            renewed: Mutex::new(None),
        }
    }

    pub fn length(&self) -> Duration {
        self.length
    }

    /// True when this relay holds the lease for at least two thirds of its
    /// length from now: renewed (or taken over) in the database unless it
    /// was renewed less than a third of its length ago.
    pub async fn hold(&self, conn: &impl ConnectionTrait) -> Result<bool, DbErr> {
        if self.renewed_within(self.length / 3) {
            return Ok(true);
        }
        let held = self.acquire(conn).await?;
        *self.lock() = held.then(Instant::now);
        Ok(held)
    }

    /// Gives the lease up (at shutdown), so a peer takes over at once.
    pub async fn release(&self, conn: &impl ConnectionTrait) -> Result<(), DbErr> {
        *self.lock() = None;
        row::Entity::update_many()
            .col_expr(row::Column::HeldUntil, Expr::value(Utc::now()))
            .filter(row::Column::Name.eq(OUTBOX))
            .filter(row::Column::Holder.eq(self.holder.as_str()))
            .exec(conn)
            .await?;
        Ok(())
    }

    /// Renews our lease or takes over an expired one; creates the row the
    /// first time any relay runs over this outbox.
    async fn acquire(&self, conn: &impl ConnectionTrait) -> Result<bool, DbErr> {
        let now = Utc::now();
        let until = now + chrono::Duration::from_std(self.length).unwrap_or(chrono::Duration::MAX);
        let taken = row::Entity::update_many()
            .col_expr(row::Column::Holder, Expr::value(self.holder.clone()))
            .col_expr(row::Column::HeldUntil, Expr::value(until))
            .filter(row::Column::Name.eq(OUTBOX))
            .filter(
                Condition::any()
                    .add(row::Column::Holder.eq(self.holder.as_str()))
                    .add(row::Column::HeldUntil.lt(now)),
            )
            .exec(conn)
            .await?
            .rows_affected;
        if taken == 1 {
            return Ok(true);
        }
        let created = row::Entity::insert(row::ActiveModel {
            name: Set(OUTBOX.to_owned()),
            holder: Set(self.holder.clone()),
            held_until: Set(until),
        })
        .on_conflict(
            OnConflict::column(row::Column::Name)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(conn)
        .await?;
        Ok(created == 1)
    }

    fn renewed_within(&self, span: Duration) -> bool {
        self.lock().is_some_and(|at| at.elapsed() < span)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Instant>> {
        self.renewed
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
