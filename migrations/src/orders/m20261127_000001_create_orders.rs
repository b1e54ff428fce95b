use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Orders {
    Table,
    Id,
    CustomerEmail,
    Status,
    TotalAmount,
    Currency,
    Carrier,
    TrackingNumber,
    IdempotencyKey,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum OrderItems {
    Table,
    OrderId,
    LineNo,
    ProductId,
    Sku,
    Quantity,
    UnitPriceAmount,
    Currency,
}

#[derive(DeriveIden)]
enum OrderStatusHistory {
    Table,
    Id,
    OrderId,
    Status,
    Note,
    At,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Orders::Table)
                    .if_not_exists()
                    .col(string_len(Orders::Id, 36).primary_key())
                    .col(string_len(Orders::CustomerEmail, 254))
                    .col(string_len(Orders::Status, 16))
                    .col(big_integer(Orders::TotalAmount))
                    .col(string_len(Orders::Currency, 3))
                    .col(string_len_null(Orders::Carrier, 100))
                    .col(string_len_null(Orders::TrackingNumber, 100))
                    .col(string_len_null(Orders::IdempotencyKey, 200).unique_key())
                    .col(timestamp_with_time_zone(Orders::CreatedAt))
                    .col(timestamp_with_time_zone(Orders::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_orders_customer_email")
                    .table(Orders::Table)
                    .col(Orders::CustomerEmail)
                    .col(Orders::Id)
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_orders_status")
                    .table(Orders::Table)
                    .col(Orders::Status)
                    .col(Orders::Id)
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(OrderItems::Table)
                    .if_not_exists()
                    .col(string_len(OrderItems::OrderId, 36))
                    .col(integer(OrderItems::LineNo))
                    .col(string_len(OrderItems::ProductId, 36))
                    .col(string_len(OrderItems::Sku, 64))
                    .col(integer(OrderItems::Quantity))
                    .col(big_integer(OrderItems::UnitPriceAmount))
                    .col(string_len(OrderItems::Currency, 3))
                    .primary_key(
                        Index::create()
                            .col(OrderItems::OrderId)
                            .col(OrderItems::LineNo),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_order_items_order")
                            .from(OrderItems::Table, OrderItems::OrderId)
                            .to(Orders::Table, Orders::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(OrderStatusHistory::Table)
                    .if_not_exists()
                    .col(string_len(OrderStatusHistory::Id, 36).primary_key())
                    .col(string_len(OrderStatusHistory::OrderId, 36))
                    .col(string_len(OrderStatusHistory::Status, 16))
                    .col(text_null(OrderStatusHistory::Note))
                    .col(timestamp_with_time_zone(OrderStatusHistory::At))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_order_status_history_order")
                            .from(OrderStatusHistory::Table, OrderStatusHistory::OrderId)
                            .to(Orders::Table, Orders::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_order_status_history_order")
                    .table(OrderStatusHistory::Table)
                    .col(OrderStatusHistory::OrderId)
                    .if_not_exists()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(OrderStatusHistory::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(OrderItems::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Orders::Table).to_owned())
            .await
    }
}
