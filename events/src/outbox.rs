//! The outbox: events are rows in the service's own database, inserted by the
//! same transaction as the change they report, so a change is never without
//! its event and an event never without its change. The relay publishes
//! them afterwards.

use chrono::Utc;
use sea_orm::{
    ActiveValue::{NotSet, Set},
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};

use crate::Event;

pub(crate) mod row {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "event_outbox")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub seq: i64,
        pub event_id: String,
        pub subject: String,
        pub body: String,
        pub created_at: DateTimeUtc,
        pub published_at: Option<DateTimeUtc>,
        /// The W3C `traceparent` of the transaction that wrote the event.
        pub traceparent: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Adds `event` to the outbox; pass the transaction that makes the change.
/// The trace context it is written in (the event's own, or else the
/// current span's, when tracing is on) is stored with it, so whoever
/// consumes it continues that trace.
pub async fn append(conn: &impl ConnectionTrait, event: &Event) -> Result<(), DbErr> {
    let body = String::from_utf8(event.to_json()).map_err(|e| DbErr::Custom(e.to_string()))?;
    row::Entity::insert(row::ActiveModel {
        seq: NotSet,
        event_id: Set(event.id.to_string()),
        subject: Set(event.subject.clone()),
        body: Set(body),
        created_at: Set(Utc::now()),
        published_at: Set(None),
        traceparent: Set(event
            .traceparent
            .clone()
            .or_else(telemetry::propagation::current_traceparent)),
    })
    .exec_without_returning(conn)
    .await?;
    Ok(())
}

/// Unpublished events, oldest first, with their outbox sequence numbers.
pub async fn pending(conn: &impl ConnectionTrait, limit: u64) -> Result<Vec<(i64, Event)>, DbErr> {
    let rows = row::Entity::find()
        .filter(row::Column::PublishedAt.is_null())
        .order_by_asc(row::Column::Seq)
        .limit(limit)
        .all(conn)
        .await?;
    rows.into_iter()
        .map(|r| {
            let mut event = Event::from_json(r.body.as_bytes())
                .map_err(|e| DbErr::Custom(format!("outbox row {}: {e}", r.seq)))?;
            event.traceparent = r.traceparent;
            Ok((r.seq, event))
        })
        .collect()
}

pub async fn mark_published(conn: &impl ConnectionTrait, seq: i64) -> Result<(), DbErr> {
    row::Entity::update_many()
        .col_expr(
            row::Column::PublishedAt,
            sea_orm::sea_query::Expr::value(Utc::now()),
        )
        .filter(row::Column::Seq.eq(seq))
        .exec(conn)
        .await?;
    Ok(())
}

/// How many events wait to be published.
pub async fn backlog(conn: &impl ConnectionTrait) -> Result<u64, DbErr> {
    use sea_orm::PaginatorTrait;
    row::Entity::find()
        .filter(row::Column::PublishedAt.is_null())
        .count(conn)
        .await
}

/// How many events wait to be published, and when the oldest was written.
pub async fn backlog_and_oldest(
    conn: &impl ConnectionTrait,
) -> Result<(u64, Option<chrono::DateTime<Utc>>), DbErr> {
    let oldest = row::Entity::find()
        .filter(row::Column::PublishedAt.is_null())
        .order_by_asc(row::Column::Seq)
        .one(conn)
        .await?
        .map(|row| row.created_at);
    let pending = match oldest {
        Some(_) => backlog(conn).await?,
        None => 0,
    };
    Ok((pending, oldest))
}
