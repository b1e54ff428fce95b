use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Payments {
    Table,
    Id,
    OrderId,
    Amount,
    Currency,
    Gateway,
    Status,
    GatewayReference,
    FailureReason,
    CardLast4,
    CardBrand,
    IdempotencyKey,
    CreatedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Payments::Table)
                    .if_not_exists()
                    .col(string_len(Payments::Id, 36).primary_key())
                    .col(string_len(Payments::OrderId, 36))
                    .col(big_integer(Payments::Amount))
                    .col(string_len(Payments::Currency, 3))
                    .col(string_len(Payments::Gateway, 16))
                    .col(string_len(Payments::Status, 16))
                    .col(string_len_null(Payments::GatewayReference, 100))
                    .col(string_len_null(Payments::FailureReason, 200))
                    // Never the card number: its last four digits and brand only.
                    .col(string_len_null(Payments::CardLast4, 4))
                    .col(string_len_null(Payments::CardBrand, 16))
                    .col(string_len_uniq(Payments::IdempotencyKey, 200))
                    .col(timestamp_with_time_zone(Payments::CreatedAt))
                    .col(timestamp_with_time_zone(Payments::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_payments_order_id")
                    .table(Payments::Table)
                    .col(Payments::OrderId)
                    .if_not_exists()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Payments::Table).to_owned())
            .await
    }
}
