use async_graphql::{Context, ID, Object, Result};
use subgraph_kit::authorization::{authenticated, policy};
use subgraph_kit::caller::{Caller, FORBIDDEN};
use subgraph_kit::cursor;
use subgraph_kit::error::ResultExt;
use subgraph_kit::error::coded;
use subgraph_kit::graphql::PageInfo;
use subgraph_kit::pagination::PageRequest;

use super::loader::{OrderLoader, load_one};
use super::types::{OrderConnection, OrderEdge, OrderObject, OrderStatusGql};
use crate::domain::{CustomerEmail, OrderError, OrderId};
use crate::service::OrderService;
use crate::store::OrderFilter;

pub struct Query;

/// The scope that reads every customer's orders.
pub const STAFF_SCOPE: &str = "orders:read";
/// The policy on `orders`: the router's config grants it for the caller's
/// own `customerEmail`, or `STAFF_SCOPE`.
pub const OWN_ORDERS: &str = "own_orders";

#[Object]
impl Query {
    /// An order by id; null when there is none.
    #[graphql(directive = authenticated::apply())]
    async fn order(&self, ctx: &Context<'_>, id: ID) -> Result<Option<OrderObject>> {
        let caller = Caller::of(ctx);
        caller.require_authenticated()?;
        // Someone else's order is as good as none: its existence stays hidden.
        Ok(load(ctx, &id)
            .await?
            .filter(|order| caller.may_act_for(order.0.customer_email.as_str(), STAFF_SCOPE)))
    }

    /// Orders, newest first.
    #[graphql(directive = subgraph_kit::cost::list_size::apply(
        Some(20),
        vec!["first".into()],
        vec!["edges".into()],
        false
    ), directive = policy::apply(vec![vec![OWN_ORDERS.into()]]))]
    async fn orders(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only this customer's orders (case-insensitive).")] customer_email: Option<
            String,
        >,
        status: Option<OrderStatusGql>,
        #[graphql(desc = "Page size, 1-100; 20 when omitted.")] first: Option<i32>,
        after: Option<String>,
    ) -> Result<OrderConnection> {
        let caller = Caller::of(ctx);
        caller.require_authenticated()?;
        if !caller.has_scope(STAFF_SCOPE) {
            match customer_email.as_deref() {
                Some(email) => caller.require_act_for(email, STAFF_SCOPE)?,
                None => {
                    return Err(coded(
                        format!("Give your own customerEmail, or hold the scope {STAFF_SCOPE}."),
                        FORBIDDEN,
                    ));
                }
            }
        }
        let page = PageRequest::parse(first, after.as_deref())
            .map_err(OrderError::from)
            .gql()?;
        let filter = OrderFilter {
            customer_email: customer_email
                .as_deref()
                .map(CustomerEmail::parse)
                .transpose()
                .gql()?,
            status: status.map(Into::into),
        };
        let service = ctx.data::<OrderService>()?;
        let page = service.store().list(&filter, &page).await.gql()?;
        let edges: Vec<OrderEdge> = page
            .items
            .into_iter()
            .map(|o| OrderEdge {
                cursor: cursor::encode(o.id.as_str()),
                node: OrderObject(o),
            })
            .collect();
        Ok(OrderConnection {
            page_info: PageInfo {
                has_next_page: page.has_next_page,
                end_cursor: edges.last().map(|e| e.cursor.clone()),
            },
            edges,
        })
    }

    #[graphql(entity)]
    async fn find_order_by_id(&self, ctx: &Context<'_>, id: ID) -> Result<Option<OrderObject>> {
        let Some(id) = OrderId::parse(&id) else {
            return Ok(None);
        };
        Ok(super::loader::load_entity(ctx, id).await?.map(OrderObject))
    }
}

/// An id that is not a UUID names no order: null, not an error.
async fn load(ctx: &Context<'_>, id: &ID) -> Result<Option<OrderObject>> {
    let Some(id) = OrderId::parse(id) else {
        return Ok(None);
    };
    Ok(load_one::<OrderLoader>(ctx, id).await?.map(OrderObject))
}
