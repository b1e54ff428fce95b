//! The orders subgraph's GraphQL types; conversions from the domain only.

use async_graphql::{Context, Enum, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use subgraph_kit::graphql::{MoneyObject, PageInfo};

use super::loader::{OrderItemsLoader, StatusHistoryLoader, load_one};
use crate::billing::{Card, PaymentDetails};
use crate::domain::{Order, OrderItem, OrderStatus, StatusChange};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(name = "OrderStatus")]
pub enum OrderStatusGql {
    /// Placed; its checkout is running, or it waits for an invoice to be paid.
    Pending,
    /// Paid and its stock sold; awaiting shipment.
    Confirmed,
    /// Handed to a carrier.
    Shipped,
    /// Received by the customer. Final.
    Delivered,
    /// Called off before shipment. Final.
    Cancelled,
    /// Payment was refused; nothing is held or charged. Final.
    PaymentFailed,
}

impl From<OrderStatus> for OrderStatusGql {
    fn from(s: OrderStatus) -> Self {
        match s {
            OrderStatus::Pending => OrderStatusGql::Pending,
            OrderStatus::Confirmed => OrderStatusGql::Confirmed,
            OrderStatus::Shipped => OrderStatusGql::Shipped,
            OrderStatus::Delivered => OrderStatusGql::Delivered,
            OrderStatus::Cancelled => OrderStatusGql::Cancelled,
            OrderStatus::PaymentFailed => OrderStatusGql::PaymentFailed,
        }
    }
}

impl From<OrderStatusGql> for OrderStatus {
    fn from(s: OrderStatusGql) -> Self {
        match s {
            OrderStatusGql::Pending => OrderStatus::Pending,
            OrderStatusGql::Confirmed => OrderStatus::Confirmed,
            OrderStatusGql::Shipped => OrderStatus::Shipped,
            OrderStatusGql::Delivered => OrderStatus::Delivered,
            OrderStatusGql::Cancelled => OrderStatus::Cancelled,
            OrderStatusGql::PaymentFailed => OrderStatus::PaymentFailed,
        }
    }
}

/// A customer's order. Other subgraphs refer to it by `id`.
pub struct OrderObject(pub Order);

#[Object(name = "Order")]
impl OrderObject {
    async fn id(&self) -> ID {
        ID(self.0.id.as_str().to_owned())
    }

    /// Lower-cased.
    async fn customer_email(&self) -> &str {
        self.0.customer_email.as_str()
    }

    async fn status(&self) -> OrderStatusGql {
        self.0.status.into()
    }

    /// The lines, in the order the customer first named each product.
    async fn items(&self, ctx: &Context<'_>) -> Result<Vec<OrderItemObject>> {
        let items = load_one::<OrderItemsLoader>(ctx, self.0.id.clone()).await?;
        Ok(items
            .unwrap_or_default()
            .into_iter()
            .map(OrderItemObject)
            .collect())
    }

    /// Sum of the line totals, fixed when the order was placed.
    async fn total(&self) -> MoneyObject {
        self.0.total.into()
    }

    /// Every status the order has had, oldest first.
    async fn status_history(&self, ctx: &Context<'_>) -> Result<Vec<OrderStatusChange>> {
        let history = load_one::<StatusHistoryLoader>(ctx, self.0.id.clone()).await?;
        Ok(history
            .unwrap_or_default()
            .into_iter()
            .map(OrderStatusChange::from)
            .collect())
    }

    /// Why the checkout did not complete (set as soon as it failed, also
    /// while what it held is being given back); null otherwise.
    async fn failure(&self) -> Option<CheckoutFailureObject> {
        self.0.failure.as_ref().map(|f| CheckoutFailureObject {
            code: f.code.clone(),
            message: f.message.clone(),
        })
    }

    /// Set when the order ships.
    async fn carrier(&self) -> Option<&str> {
        self.0.carrier.as_deref()
    }

    /// Set when the order ships.
    async fn tracking_number(&self) -> Option<&str> {
        self.0.tracking_number.as_deref()
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

// A product as orders knows it: the products subgraph resolves the rest.
// The SKU is the one captured when the order was placed; SKUs never change,
// so providing it is truthful. (No doc comment: the products subgraph owns
// the type's description.)
#[derive(SimpleObject)]
#[graphql(name = "Product", unresolvable = "id")]
pub struct ProductRef {
    pub id: ID,
    #[graphql(external)]
    pub sku: String,
}

/// One line of an order.
pub struct OrderItemObject(pub OrderItem);

#[Object(name = "OrderItem")]
impl OrderItemObject {
    #[graphql(provides = "sku")]
    async fn product(&self) -> ProductRef {
        ProductRef {
            id: ID(self.0.product_id.as_str().to_owned()),
            sku: self.0.sku.clone(),
        }
    }

    async fn quantity(&self) -> i32 {
        // At most 1000 by validation.
        i32::try_from(self.0.quantity).unwrap_or(i32::MAX)
    }

    /// The product's price when the order was placed.
    async fn unit_price(&self) -> MoneyObject {
        self.0.unit_price.into()
    }

    /// Unit price times quantity.
    async fn line_total(&self) -> MoneyObject {
        self.0.line_total.into()
    }
}

/// An entry of an order's status history.
#[derive(SimpleObject)]
pub struct OrderStatusChange {
    pub status: OrderStatusGql,
    pub at: DateTime<Utc>,
    /// Why, when a reason was given.
    pub note: Option<String>,
}

impl From<StatusChange> for OrderStatusChange {
    fn from(c: StatusChange) -> Self {
        OrderStatusChange {
            status: c.status.into(),
            at: c.at,
            note: c.note,
        }
    }
}

#[derive(SimpleObject)]
pub struct OrderEdge {
    pub cursor: String,
    pub node: OrderObject,
}

#[derive(SimpleObject)]
pub struct OrderConnection {
    pub edges: Vec<OrderEdge>,
    pub page_info: PageInfo,
}

#[derive(InputObject)]
pub struct PlaceOrderInput {
    pub customer_email: String,
    /// 1-100 lines; lines naming the same product are merged.
    pub items: Vec<PlaceOrderItemInput>,
    /// How the customer pays; passed to the payments service, never stored
    /// by orders.
    pub payment: CheckoutPaymentInput,
}

/// The gateway to pay through and, for cards, the card.
#[derive(InputObject)]
pub struct CheckoutPaymentInput {
    pub gateway: CheckoutGateway,
    /// Required for TEST_CARD, refused for INVOICE.
    pub card: Option<CheckoutCardInput>,
}

/// The payment gateways the checkout can charge through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum CheckoutGateway {
    /// Cards whose outcome follows the number (development and tests).
    TestCard,
    /// An invoice: the order waits, stock held, until it is paid.
    Invoice,
}

/// A card as entered.
#[derive(InputObject)]
pub struct CheckoutCardInput {
    /// Digits; spaces and dashes are ignored.
    pub number: String,
    pub exp_month: i32,
    /// Four digits, e.g. 2030.
    pub exp_year: i32,
    pub cvc: String,
}

impl CheckoutPaymentInput {
    pub fn into_details(self) -> PaymentDetails {
        PaymentDetails {
            gateway: match self.gateway {
                CheckoutGateway::TestCard => "TEST_CARD",
                CheckoutGateway::Invoice => "INVOICE",
            }
            .to_owned(),
            card: self.card.map(|c| Card {
                number: c.number,
                exp_month: c.exp_month,
                exp_year: c.exp_year,
                cvc: c.cvc,
            }),
        }
    }
}

/// Why an order's checkout did not complete.
#[derive(SimpleObject)]
pub struct CheckoutFailureObject {
    /// Machine-readable: INSUFFICIENT_STOCK, PAYMENT_DECLINED,
    /// PAYMENT_FAILED, INVALID_PAYMENT, CHECKOUT_INTERRUPTED,
    /// CANCELLED_BY_REQUEST, ...
    pub code: String,
    pub message: String,
}

#[derive(InputObject)]
pub struct PlaceOrderItemInput {
    pub product_id: ID,
    /// 1-1000.
    pub quantity: i32,
}
