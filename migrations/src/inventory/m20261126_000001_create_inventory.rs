//! Stock levels, their movement history, order reservations and
//! replenishment requests.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum InventoryItems {
    Table,
    ProductId,
    OnHand,
    Reserved,
    ReorderPoint,
    ReorderQuantity,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum StockMovements {
    Table,
    Id,
    ProductId,
    Kind,
    Delta,
    Reason,
    Reference,
    IdempotencyKey,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Reservations {
    Table,
    OrderId,
    Status,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ReservationItems {
    Table,
    OrderId,
    ProductId,
    Quantity,
}

#[derive(DeriveIden)]
enum Replenishments {
    Table,
    Id,
    ProductId,
    Quantity,
    ReceivedQuantity,
    Status,
    OpenProductId,
    RequestedAt,
    ReceivedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(InventoryItems::Table)
                    .if_not_exists()
                    .col(string_len(InventoryItems::ProductId, 36).primary_key())
                    .col(big_integer(InventoryItems::OnHand))
                    .col(big_integer(InventoryItems::Reserved))
                    .col(big_integer(InventoryItems::ReorderPoint))
                    .col(big_integer(InventoryItems::ReorderQuantity))
                    .col(timestamp_with_time_zone(InventoryItems::CreatedAt))
                    .col(timestamp_with_time_zone(InventoryItems::UpdatedAt))
                    // The invariant every write keeps; the database refuses a bug.
                    .check(Expr::col(InventoryItems::Reserved).gte(0).and(
                        Expr::col(InventoryItems::OnHand).gte(Expr::col(InventoryItems::Reserved)),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(StockMovements::Table)
                    .if_not_exists()
                    .col(string_len(StockMovements::Id, 36).primary_key())
                    .col(string_len(StockMovements::ProductId, 36))
                    .col(string_len(StockMovements::Kind, 16))
                    .col(big_integer(StockMovements::Delta))
                    .col(string_len(StockMovements::Reason, 200))
                    .col(string_len_null(StockMovements::Reference, 64))
                    .col(string_len_null(StockMovements::IdempotencyKey, 200).unique_key())
                    .col(timestamp_with_time_zone(StockMovements::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_stock_movements_product")
                    .table(StockMovements::Table)
                    .col(StockMovements::ProductId)
                    .col(StockMovements::Id)
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Reservations::Table)
                    .if_not_exists()
                    .col(string_len(Reservations::OrderId, 36).primary_key())
                    .col(string_len(Reservations::Status, 16))
                    .col(timestamp_with_time_zone(Reservations::CreatedAt))
                    .col(timestamp_with_time_zone(Reservations::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ReservationItems::Table)
                    .if_not_exists()
                    .col(string_len(ReservationItems::OrderId, 36))
                    .col(string_len(ReservationItems::ProductId, 36))
                    .col(big_integer(ReservationItems::Quantity))
                    .primary_key(
                        Index::create()
                            .col(ReservationItems::OrderId)
                            .col(ReservationItems::ProductId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_reservation_items_reservation")
                            .from(ReservationItems::Table, ReservationItems::OrderId)
                            .to(Reservations::Table, Reservations::OrderId)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Replenishments::Table)
                    .if_not_exists()
                    .col(string_len(Replenishments::Id, 36).primary_key())
                    .col(string_len(Replenishments::ProductId, 36))
                    .col(big_integer(Replenishments::Quantity))
                    .col(big_integer_null(Replenishments::ReceivedQuantity))
                    .col(string_len(Replenishments::Status, 16))
                    // Equal to product_id while OPEN, NULL once received: the
                    // unique index allows at most one open request per product.
                    .col(string_len_null(Replenishments::OpenProductId, 36).unique_key())
                    .col(timestamp_with_time_zone(Replenishments::RequestedAt))
                    .col(timestamp_with_time_zone_null(Replenishments::ReceivedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_replenishments_status")
                    .table(Replenishments::Table)
                    .col(Replenishments::Status)
                    .col(Replenishments::Id)
                    .if_not_exists()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Replenishments::Table.into_iden(),
            ReservationItems::Table.into_iden(),
            Reservations::Table.into_iden(),
            StockMovements::Table.into_iden(),
            InventoryItems::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}
