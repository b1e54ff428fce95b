//! The orders service's schema.

use sea_orm_migration::prelude::*;

mod m20261127_000001_create_orders;
mod m20261127_000002_add_checkout;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261127_000001_create_orders::Migration),
            Box::new(crate::event_tables::Migration),
            Box::new(m20261127_000002_add_checkout::Migration),
            Box::new(crate::event_relay::Migration),
            Box::new(crate::event_trace::Migration),
        ]
    }

    fn migration_table_name() -> DynIden {
        "seaql_migrations_orders".into_iden()
    }
}
