//! Rows to domain values. Rows are only ever written by this store, so one
//! that does not parse is corruption, reported as a database error rather
//! than trusted.

use sea_orm::DbErr;
use subgraph_kit::money::Money;

use super::entity::{order, order_item, status_history};
use crate::domain::{
    CheckoutFailure, CheckoutStep, CustomerEmail, Order, OrderError, OrderId, OrderItem,
    OrderStatus, ProductId, StatusChange,
};

fn corrupt(table: &str, key: &str, what: &str) -> OrderError {
    OrderError::Database(DbErr::Custom(format!("{table} {key}: bad {what}")))
}

pub fn order(m: order::Model) -> Result<Order, OrderError> {
    let bad = |what: &str| corrupt("order", &m.id, what);
    Ok(Order {
        id: OrderId::parse(&m.id).ok_or_else(|| bad("id"))?,
        customer_email: CustomerEmail::parse(&m.customer_email).map_err(|_| bad("email"))?,
        status: OrderStatus::parse(&m.status).ok_or_else(|| bad("status"))?,
        total: Money::parse(m.total_amount, &m.currency).map_err(|_| bad("total"))?,
        carrier: m.carrier,
        tracking_number: m.tracking_number,
        created_at: m.created_at,
        updated_at: m.updated_at,
        checkout_step: match &m.checkout_step {
            Some(step) => Some(CheckoutStep::parse(step).ok_or_else(|| bad("checkout step"))?),
            None => None,
        },
        failure: match (m.failure_code, m.failure_message) {
            (Some(code), message) => Some(CheckoutFailure {
                code,
                message: message.unwrap_or_default(),
            }),
            (None, _) => None,
        },
        payment_id: m.payment_id,
    })
}

pub fn item(m: order_item::Model) -> Result<OrderItem, OrderError> {
    let key = format!("{}#{}", m.order_id, m.line_no);
    let bad = |what: &str| corrupt("order item", &key, what);
    let unit_price = Money::parse(m.unit_price_amount, &m.currency).map_err(|_| bad("price"))?;
    let quantity = u32::try_from(m.quantity).map_err(|_| bad("quantity"))?;
    Ok(OrderItem {
        product_id: ProductId::parse(&m.product_id).ok_or_else(|| bad("product id"))?,
        line_total: unit_price
            .checked_mul(i64::from(quantity))
            .map_err(|_| bad("line total"))?,
        sku: m.sku,
        quantity,
        unit_price,
    })
}

pub fn status_change(m: status_history::Model) -> Result<StatusChange, OrderError> {
    Ok(StatusChange {
        status: OrderStatus::parse(&m.status)
            .ok_or_else(|| corrupt("status change", &m.id, "status"))?,
        at: m.at,
        note: m.note,
    })
}
