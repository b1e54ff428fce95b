//! The event tables every service has (the `events` crate reads and writes
//! them): `event_outbox`, events waiting to be published, written in the same
//! transaction as the change they report; and `event_inbox`, which events
//! each consumer has handled.

use sea_orm_migration::{prelude::*, schema::*};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261126_000100_create_event_tables"
    }
}

#[derive(DeriveIden)]
enum EventOutbox {
    Table,
    Seq,
    EventId,
    Subject,
    Body,
    CreatedAt,
    PublishedAt,
}

#[derive(DeriveIden)]
enum EventInbox {
    Table,
    Consumer,
    EventId,
    ProcessedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(EventOutbox::Table)
                    .if_not_exists()
                    .col(big_pk_auto(EventOutbox::Seq))
                    .col(string_len(EventOutbox::EventId, 36).unique_key())
                    .col(string_len(EventOutbox::Subject, 200))
                    .col(text(EventOutbox::Body))
                    .col(timestamp_with_time_zone(EventOutbox::CreatedAt))
                    .col(timestamp_with_time_zone_null(EventOutbox::PublishedAt))
                    .to_owned(),
            )
            .await?;
        // The relay's query: unpublished rows in order.
        manager
            .create_index(
                Index::create()
                    .name("idx_event_outbox_unpublished")
                    .table(EventOutbox::Table)
                    .col(EventOutbox::PublishedAt)
                    .col(EventOutbox::Seq)
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(EventInbox::Table)
                    .if_not_exists()
                    .col(string_len(EventInbox::Consumer, 100))
                    .col(string_len(EventInbox::EventId, 36))
                    .col(timestamp_with_time_zone(EventInbox::ProcessedAt))
                    .primary_key(
                        Index::create()
                            .col(EventInbox::Consumer)
                            .col(EventInbox::EventId),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(EventInbox::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(EventOutbox::Table).to_owned())
            .await
    }
}
