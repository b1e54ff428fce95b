//! Idempotent consumption: a handler's effects commit in the same transaction
//! as the record that this consumer has seen this event, so an event
//! delivered twice (redelivery after a lost ack, a re-published outbox row)
//! changes nothing the second time, also when both copies arrive at once.

use chrono::Utc;
use futures::future::BoxFuture;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::Set, DatabaseConnection, DatabaseTransaction, DbErr, EntityTrait, TransactionTrait,
};

use crate::Event;

pub(crate) mod row {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "event_inbox")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub consumer: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub event_id: String,
        pub processed_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handled {
    /// The handler ran and its effects are committed.
    Applied,
    /// This consumer had already handled the event: nothing ran.
    Duplicate,
}

/// Runs `apply` for `event` once per `consumer`. `apply` gets the
/// transaction; if it fails, nothing it did is kept and the event is not
/// marked as handled.
pub async fn handle_once<E, F>(
    db: &DatabaseConnection,
    consumer: &str,
    event: &Event,
    apply: F,
) -> Result<Handled, E>
where
    E: From<DbErr>,
    F: for<'t> FnOnce(&'t DatabaseTransaction) -> BoxFuture<'t, Result<(), E>>,
{
    let txn = db.begin().await?;
    let inserted = row::Entity::insert(row::ActiveModel {
        consumer: Set(consumer.to_owned()),
        event_id: Set(event.id.to_string()),
        processed_at: Set(Utc::now()),
    })
    .on_conflict(
        OnConflict::columns([row::Column::Consumer, row::Column::EventId])
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(&txn)
    .await?;
    if inserted == 0 {
        txn.rollback().await?;
        return Ok(Handled::Duplicate);
    }
    apply(&txn).await?;
    txn.commit().await?;
    Ok(Handled::Applied)
}
