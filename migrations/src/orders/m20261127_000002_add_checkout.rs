//! The checkout's progress on each order, so a restarted service can finish
//! or undo what a stopped one began: the step it is at, the payment it
//! holds, why it failed, and who is working on it until when (the lease).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Orders {
    Table,
    CheckoutStep,
    PaymentId,
    FailureCode,
    FailureMessage,
    LeaseToken,
    LeaseUntil,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per ALTER TABLE.
        let columns = [
            string_len_null(Orders::CheckoutStep, 16),
            string_len_null(Orders::PaymentId, 64),
            string_len_null(Orders::FailureCode, 40),
            string_len_null(Orders::FailureMessage, 500),
            string_len_null(Orders::LeaseToken, 36),
            timestamp_with_time_zone_null(Orders::LeaseUntil),
        ];
        for mut column in columns {
            manager
                .alter_table(
                    Table::alter()
                        .table(Orders::Table)
                        .add_column(&mut column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("idx_orders_checkout_step")
                    .table(Orders::Table)
                    .col(Orders::CheckoutStep)
                    .if_not_exists()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_orders_checkout_step")
                    .table(Orders::Table)
                    .to_owned(),
            )
            .await?;
        for column in [
            Orders::CheckoutStep,
            Orders::PaymentId,
            Orders::FailureCode,
            Orders::FailureMessage,
            Orders::LeaseToken,
            Orders::LeaseUntil,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Orders::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
