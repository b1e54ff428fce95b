//! `orderStatusChanged`: an order's status changes, pushed over WebSocket
//! (graphql-transport-ws or graphql-ws) as they reach the broker, whichever
//! replica committed them (see `feed`).

use async_graphql::{Context, ID, Result, Subscription as SubscriptionObject};
use futures::Stream;
use subgraph_kit::error::ResultExt;
use tokio::sync::broadcast::error::RecvError;

use super::types::OrderObject;
use crate::domain::{OrderError, OrderId};
use crate::feed::FeedItem;
use crate::service::OrderService;

pub struct Subscription;

#[SubscriptionObject]
impl Subscription {
    /// The order, each time its status changes from now on; the stream ends
    /// after a final status (DELIVERED, CANCELLED, PAYMENT_FAILED). An order
    /// already final, or unknown, is an error (ORDER_NOT_FOUND,
    /// ORDER_ALREADY_FINAL).
    async fn order_status_changed(
        &self,
        ctx: &Context<'_>,
        order_id: ID,
    ) -> Result<impl Stream<Item = OrderObject> + use<>> {
        let service = ctx.data_unchecked::<OrderService>().clone();
        let not_found = || OrderError::NotFound(order_id.to_string());
        let id = OrderId::parse(&order_id).ok_or_else(not_found).gql()?;
        // Subscribe before reading, so no change falls between the two.
        let changes = service.feed().subscribe();
        let order = service
            .store()
            .get(&id)
            .await
            .gql()?
            .ok_or_else(not_found)
            .gql()?;
        if order.status.is_final() {
            return Err(OrderError::AlreadyFinal(order.status.as_str().to_owned())).gql();
        }
        // The status last sent: a re-read after a gap sends only news.
        let state = (changes, service, id, Some(order.status));
        Ok(futures::stream::unfold(
            state,
            |(mut changes, service, id, last)| async move {
                let last = last?;
                loop {
                    match changes.recv().await {
                        Ok(FeedItem::Changed(change)) if change.order_id == id.as_str() => {}
                        Ok(FeedItem::Changed(_)) => continue,
                        // Changes may be lost: the order's current state is
                        // what counts.
                        Ok(FeedItem::Missed) | Err(RecvError::Lagged(_)) => {}
                        Err(RecvError::Closed) => return None,
                    }
                    let order = service.store().get(&id).await.ok().flatten()?;
                    if order.status == last {
                        continue;
                    }
                    let next = (!order.status.is_final()).then_some(order.status);
                    return Some((OrderObject(order), (changes, service, id, next)));
                }
            },
        ))
    }
}
