//! `event_relay`: which relay may publish a database's outbox right now.
//! Every replica of a service runs a relay over the same outbox; one row
//! per outbox names the replica that holds it and until when, so exactly
//! one relay publishes at a time (in `seq` order) and another takes over
//! once a holder stops renewing (it died). See `events::relay`.

use sea_orm_migration::{prelude::*, schema::*};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261203_000100_create_event_relay"
    }
}

#[derive(DeriveIden)]
enum EventRelay {
    Table,
    Name,
    Holder,
    HeldUntil,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(EventRelay::Table)
                    .if_not_exists()
                    .col(string_len(EventRelay::Name, 100).primary_key())
                    .col(string_len(EventRelay::Holder, 36))
                    .col(timestamp_with_time_zone(EventRelay::HeldUntil))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(EventRelay::Table).to_owned())
            .await
    }
}
