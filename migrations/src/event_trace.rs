//! `event_outbox.traceparent`: the W3C trace context of the transaction
//! that wrote an event, stored with it in that transaction so the relay can
//! send it on as a message header and the consumer's span joins the trace
//! of the change it reacts to (see `events::outbox`). Null for events
//! written while tracing was off, and for those written before.

use sea_orm_migration::{prelude::*, schema::*};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261207_000100_add_event_outbox_traceparent"
    }
}

#[derive(DeriveIden)]
enum EventOutbox {
    Table,
    Traceparent,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(EventOutbox::Table)
                    .add_column(string_len_null(EventOutbox::Traceparent, 128))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(EventOutbox::Table)
                    .drop_column(EventOutbox::Traceparent)
                    .to_owned(),
            )
            .await
    }
}
