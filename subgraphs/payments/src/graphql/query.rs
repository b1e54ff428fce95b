use async_graphql::{Context, ID, Object, Result};
use subgraph_kit::caller::Caller;

use super::types::{OrderObject, PaymentObject};
use super::{loader, prefetch};
use crate::domain::{OrderId, PaymentId};

pub struct Query;

#[Object]
impl Query {
    /// A payment by id; null when there is none.
    #[graphql(requires_scopes = "orders:read")]
    async fn payment(&self, ctx: &Context<'_>, id: ID) -> Result<Option<PaymentObject>> {
        Caller::of(ctx).require_scope("orders:read")?;
        let payment = loader::payment(ctx, PaymentId::parse(&id)).await?;
        Ok(payment.map(PaymentObject))
    }

    #[graphql(entity)]
    async fn find_payment_by_id(&self, ctx: &Context<'_>, id: ID) -> Result<Option<PaymentObject>> {
        let Some(id) = PaymentId::parse(&id) else {
            return Ok(None);
        };
        Ok(prefetch::payment(ctx, id).await?.map(PaymentObject))
    }

    /// Any order id is an order here: this service does not know which orders
    /// exist, only their payments. A key that is not a UUID gives null. The
    /// payments come with the order, as they are the only reason to ask.
    #[graphql(entity)]
    async fn find_order_by_id(&self, ctx: &Context<'_>, id: ID) -> Result<Option<OrderObject>> {
        let Some(id) = OrderId::parse(&id) else {
            return Ok(None);
        };
        let payments = prefetch::order_payments(ctx, id.clone()).await?;
        Ok(Some(OrderObject::with_payments(id, payments)))
    }
}
