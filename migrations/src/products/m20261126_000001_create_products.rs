use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Products {
    Table,
    Id,
    Sku,
    Name,
    Description,
    PriceAmount,
    PriceCurrency,
    Category,
    Status,
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
                    .table(Products::Table)
                    .if_not_exists()
                    .col(string_len(Products::Id, 36).primary_key())
                    .col(string_len_uniq(Products::Sku, 64))
                    .col(string_len(Products::Name, 200))
                    .col(text(Products::Description))
                    .col(big_integer(Products::PriceAmount))
                    .col(string_len(Products::PriceCurrency, 3))
                    .col(string_len(Products::Category, 100))
                    .col(string_len(Products::Status, 16))
                    .col(string_len_null(Products::IdempotencyKey, 200).unique_key())
                    .col(timestamp_with_time_zone(Products::CreatedAt))
                    .col(timestamp_with_time_zone(Products::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_products_category")
                    .table(Products::Table)
                    .col(Products::Category)
                    .if_not_exists()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Products::Table).to_owned())
            .await
    }
}
