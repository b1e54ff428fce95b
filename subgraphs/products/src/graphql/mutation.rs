use async_graphql::{Context, ID, Object, Result};
use subgraph_kit::caller::Caller;
use subgraph_kit::error::ResultExt;

use super::types::{CreateProductInput, ProductObject, UpdateProductInput};
use crate::domain::{NewProduct, ProductError, ProductId, ProductPatch, ProductUpdate};
use crate::store::ProductStore;

pub struct Mutation;

#[Object]
impl Mutation {
    /// Adds a product. Retrying with the same `idempotencyKey` returns the
    /// product the first call created instead of failing on its SKU.
    #[graphql(requires_scopes = "admin")]
    async fn create_product(
        &self,
        ctx: &Context<'_>,
        input: CreateProductInput,
        idempotency_key: Option<String>,
    ) -> Result<ProductObject> {
        Caller::of(ctx).require_scope("admin")?;
        let new = NewProduct::parse(
            &input.sku,
            &input.name,
            input.description.as_deref(),
            i64::from(input.price.amount),
            &input.price.currency,
            &input.category,
        )
        .gql()?;
        let store = ctx.data::<ProductStore>()?;
        let product = store.create(new, idempotency_key.as_deref()).await.gql()?;
        Ok(ProductObject(product))
    }

    /// Changes the given fields of an active product.
    #[graphql(requires_scopes = "admin")]
    async fn update_product(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateProductInput,
    ) -> Result<ProductObject> {
        Caller::of(ctx).require_scope("admin")?;
        let id = parse_id(&id).gql()?;
        let patch = ProductPatch::parse(ProductUpdate {
            name: input.name.as_deref(),
            description: input.description.as_deref(),
            price: input
                .price
                .as_ref()
                .map(|p| (i64::from(p.amount), p.currency.as_str())),
            category: input.category.as_deref(),
        })
        .gql()?;
        let store = ctx.data::<ProductStore>()?;
        Ok(ProductObject(store.update(&id, &patch).await.gql()?))
    }

    /// Withdraws a product from the catalog. Archiving twice is harmless.
    #[graphql(requires_scopes = "admin")]
    async fn archive_product(&self, ctx: &Context<'_>, id: ID) -> Result<ProductObject> {
        Caller::of(ctx).require_scope("admin")?;
        let id = parse_id(&id).gql()?;
        let store = ctx.data::<ProductStore>()?;
        Ok(ProductObject(store.archive(&id).await.gql()?))
    }
}

fn parse_id(id: &ID) -> Result<ProductId, ProductError> {
    ProductId::parse(id).ok_or_else(|| ProductError::NotFound(id.to_string()))
}
