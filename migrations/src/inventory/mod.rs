//! The inventory service's schema.

use sea_orm_migration::prelude::*;

mod m20261126_000001_create_inventory;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261126_000001_create_inventory::Migration),
            Box::new(crate::event_tables::Migration),
            Box::new(crate::event_relay::Migration),
            Box::new(crate::event_trace::Migration),
        ]
    }

    fn migration_table_name() -> DynIden {
        "seaql_migrations_inventory".into_iden()
    }
}
