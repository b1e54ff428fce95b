//! `replenishments`: requests for more stock.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "replenishments")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub product_id: String,
    pub quantity: i64,
    pub received_quantity: Option<i64>,
    pub status: String,
    /// `product_id` while OPEN, NULL once received; unique.
    #[sea_orm(unique)]
    pub open_product_id: Option<String>,
    pub requested_at: DateTimeUtc,
    pub received_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
