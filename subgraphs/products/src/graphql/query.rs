use async_graphql::dataloader::DataLoader;
use async_graphql::{Context, ID, Object, Result, Value};
use subgraph_kit::cursor;
use subgraph_kit::entities::{self, Representation};
use subgraph_kit::error::ResultExt;
use subgraph_kit::graphql::PageInfo;
use subgraph_kit::pagination::PageRequest;

use super::loader::{ProductKey, ProductLoader};
use super::types::{ProductConnection, ProductEdge, ProductObject};
use crate::domain::{ProductError, ProductId, Sku};
use crate::store::{ProductFilter, ProductStore};

pub struct Query;

#[Object]
impl Query {
    /// A product by id; null when there is none.
    async fn product(&self, ctx: &Context<'_>, id: ID) -> Result<Option<ProductObject>> {
        load(ctx, ProductId::parse(&id).map(ProductKey::Id)).await
    }

    /// A product by SKU (case-insensitive); null when there is none.
    async fn product_by_sku(
        &self,
        ctx: &Context<'_>,
        sku: String,
    ) -> Result<Option<ProductObject>> {
        load(ctx, Sku::parse(&sku).ok().map(ProductKey::Sku)).await
    }

    /// The catalog in creation order, newest last. Archived products are left
    /// out unless `includeArchived` is true.
    #[graphql(directive = subgraph_kit::cost::list_size::apply(
        Some(20),
        vec!["first".into()],
        vec!["edges".into()],
        false
    ))]
    async fn products(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Case-insensitive text to find in name, SKU or description.")]
        search: Option<String>,
        category: Option<String>,
        #[graphql(default = false)] include_archived: bool,
        #[graphql(desc = "Page size, 1-100; 20 when omitted.")] first: Option<i32>,
        after: Option<String>,
    ) -> Result<ProductConnection> {
        let page = PageRequest::parse(first, after.as_deref())
            .map_err(ProductError::from)
            .gql()?;
        let filter = ProductFilter {
            search,
            category,
            include_archived,
        };
        let store = ctx.data::<ProductStore>()?;
        let page = store.list(&filter, &page).await.gql()?;
        let edges: Vec<ProductEdge> = page
            .items
            .into_iter()
            .map(|p| ProductEdge {
                cursor: cursor::encode(p.id.as_str()),
                node: ProductObject(p),
            })
            .collect();
        Ok(ProductConnection {
            page_info: PageInfo {
                has_next_page: page.has_next_page,
                end_cursor: edges.last().map(|e| e.cursor.clone()),
            },
            edges,
        })
    }

    #[graphql(entity)]
    async fn find_product_by_id(&self, ctx: &Context<'_>, id: ID) -> Result<Option<ProductObject>> {
        load_entity(ctx, ProductId::parse(&id).map(ProductKey::Id)).await
    }

    #[graphql(entity)]
    async fn find_product_by_sku(
        &self,
        ctx: &Context<'_>,
        sku: String,
    ) -> Result<Option<ProductObject>> {
        load_entity(ctx, Sku::parse(&sku).ok().map(ProductKey::Sku)).await
    }
}

/// Like [`load`], but batched with every `Product` representation of the
/// request, whichever key each one uses.
async fn load_entity(ctx: &Context<'_>, key: Option<ProductKey>) -> Result<Option<ProductObject>> {
    let Some(key) = key else { return Ok(None) };
    let loader = ctx.data::<DataLoader<ProductLoader>>()?;
    let product = entities::load(ctx, loader, "Product", key_of, key)
        .await
        .map_err(|err| subgraph_kit::error::to_graphql(ArcError(err)))?;
    Ok(product.map(ProductObject))
}

/// The key a representation names, preferring `id` as the entity fns do.
fn key_of(representation: &Representation) -> Option<ProductKey> {
    match (representation.get("id"), representation.get("sku")) {
        (Some(Value::String(id)), _) => ProductId::parse(id).map(ProductKey::Id),
        (_, Some(Value::String(sku))) => Sku::parse(sku).ok().map(ProductKey::Sku),
        _ => None,
    }
}

/// A key that cannot be valid names no product: null, not an error.
async fn load(ctx: &Context<'_>, key: Option<ProductKey>) -> Result<Option<ProductObject>> {
    let Some(key) = key else { return Ok(None) };
    let loader = ctx.data::<DataLoader<ProductLoader>>()?;
    let product = loader
        .load_one(key)
        .await
        .map_err(|err| subgraph_kit::error::to_graphql(ArcError(err)))?;
    Ok(product.map(ProductObject))
}

/// Lets a shared loader error keep its code.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
struct ArcError(std::sync::Arc<ProductError>);

impl subgraph_kit::error::CodedError for ArcError {
    fn code(&self) -> &'static str {
        self.0.code()
    }
    fn is_internal(&self) -> bool {
        self.0.is_internal()
    }
}
