//! The catalog's persistence: the only code that knows the `products` table.

mod entity;

use chrono::Utc;
use sea_orm::sea_query::{Expr, ExprTrait, Func, LikeExpr};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, DatabaseConnection, DbErr, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, SqlErr,
};
use subgraph_kit::money::Money;
use subgraph_kit::pagination::{Page, PageRequest};

use crate::domain::{
    NewProduct, Product, ProductError, ProductId, ProductPatch, ProductStatus, Sku,
};
use entity::{ActiveModel, Column, Entity, Model};

/// What `products(...)` filters on.
#[derive(Debug, Clone, Default)]
pub struct ProductFilter {
    /// Case-insensitive substring of name, SKU or description.
    pub search: Option<String>,
    pub category: Option<String>,
    pub include_archived: bool,
}

#[derive(Clone)]
pub struct ProductStore {
    db: DatabaseConnection,
}

impl ProductStore {
    pub fn new(db: DatabaseConnection) -> Self {
        ProductStore { db }
    }

    /// Creates a product. With an idempotency key, a retry of the same request
    /// returns the product the first attempt created.
    pub async fn create(
        &self,
        new: NewProduct,
        idempotency_key: Option<&str>,
    ) -> Result<Product, ProductError> {
        if let Some(key) = idempotency_key
            && let Some(existing) = self.find_by_idempotency_key(key).await?
        {
            return replay(existing, &new);
        }
        let now = Utc::now();
        let row = ActiveModel {
            id: Set(ProductId::generate().into_string()),
            sku: Set(new.sku.as_str().to_owned()),
            name: Set(new.name.clone()),
            description: Set(new.description.clone()),
            price_amount: Set(new.price.amount()),
            price_currency: Set(new.price.currency().code().to_owned()),
            category: Set(new.category.clone()),
            status: Set(ProductStatus::Active.as_str().to_owned()),
            idempotency_key: Set(idempotency_key.map(str::to_owned)),
            created_at: Set(now),
            updated_at: Set(now),
        };
        match Entity::insert(row).exec_with_returning(&self.db).await {
            Ok(model) => to_domain(model),
            Err(err) if is_unique_violation(&err) => {
                // A concurrent retry with the same key may have won the race.
                if let Some(key) = idempotency_key
                    && let Some(existing) = self.find_by_idempotency_key(key).await?
                {
                    return replay(existing, &new);
                }
                Err(ProductError::DuplicateSku(new.sku.to_string()))
            }
            Err(err) => Err(err.into()),
        }
    }

    async fn find_by_idempotency_key(&self, key: &str) -> Result<Option<Product>, ProductError> {
        Entity::find()
            .filter(Column::IdempotencyKey.eq(key))
            .one(&self.db)
            .await?
            .map(to_domain)
            .transpose()
    }

    pub async fn get(&self, id: &ProductId) -> Result<Option<Product>, ProductError> {
        Entity::find_by_id(id.as_str())
            .one(&self.db)
            .await?
            .map(to_domain)
            .transpose()
    }

    /// Every product matching any of the ids or SKUs, in one statement.
    pub async fn find_many(
        &self,
        ids: &[ProductId],
        skus: &[Sku],
    ) -> Result<Vec<Product>, ProductError> {
        if ids.is_empty() && skus.is_empty() {
            return Ok(Vec::new());
        }
        let mut any = Condition::any();
        if !ids.is_empty() {
            any = any.add(Column::Id.is_in(ids.iter().map(ProductId::as_str)));
        }
        if !skus.is_empty() {
            any = any.add(Column::Sku.is_in(skus.iter().map(Sku::as_str)));
        }
        Entity::find()
            .filter(any)
            .all(&self.db)
            .await?
            .into_iter()
            .map(to_domain)
            .collect()
    }

    /// Applies a patch to an active product in one statement, so concurrent
    /// updates of different fields never undo each other.
    pub async fn update(
        &self,
        id: &ProductId,
        patch: &ProductPatch,
    ) -> Result<Product, ProductError> {
        if patch.is_empty() {
            return self.require_active(id).await;
        }
        let mut update = Entity::update_many()
            .col_expr(Column::UpdatedAt, Expr::value(Utc::now()))
            .filter(Column::Id.eq(id.as_str()))
            .filter(Column::Status.eq(ProductStatus::Active.as_str()));
        if let Some(name) = &patch.name {
            update = update.col_expr(Column::Name, Expr::value(name.clone()));
        }
        if let Some(description) = &patch.description {
            update = update.col_expr(Column::Description, Expr::value(description.clone()));
        }
        if let Some(price) = patch.price {
            update = update
                .col_expr(Column::PriceAmount, Expr::value(price.amount()))
                .col_expr(Column::PriceCurrency, Expr::value(price.currency().code()));
        }
        if let Some(category) = &patch.category {
            update = update.col_expr(Column::Category, Expr::value(category.clone()));
        }
        let updated = update.exec_with_returning(&self.db).await?;
        match updated.into_iter().next() {
            Some(model) => to_domain(model),
            None => Err(self.why_not_active(id).await),
        }
    }

    /// Archives a product; archiving an archived product changes nothing.
    pub async fn archive(&self, id: &ProductId) -> Result<Product, ProductError> {
        let updated = Entity::update_many()
            .col_expr(
                Column::Status,
                Expr::value(ProductStatus::Archived.as_str()),
            )
            .col_expr(Column::UpdatedAt, Expr::value(Utc::now()))
            .filter(Column::Id.eq(id.as_str()))
            .filter(Column::Status.eq(ProductStatus::Active.as_str()))
            .exec_with_returning(&self.db)
            .await?;
        match updated.into_iter().next() {
            Some(model) => to_domain(model),
            None => self
                .get(id)
                .await?
                .ok_or_else(|| ProductError::NotFound(id.as_str().to_owned())),
        }
    }

    async fn require_active(&self, id: &ProductId) -> Result<Product, ProductError> {
        match self.get(id).await? {
            Some(p) if p.status == ProductStatus::Active => Ok(p),
            Some(_) => Err(ProductError::Archived(id.as_str().to_owned())),
            None => Err(ProductError::NotFound(id.as_str().to_owned())),
        }
    }

    async fn why_not_active(&self, id: &ProductId) -> ProductError {
        match self.require_active(id).await {
            Err(err) => err,
            // Archived or deleted between the two statements is the only way here.
            Ok(_) => ProductError::NotFound(id.as_str().to_owned()),
        }
    }

    /// One page of products in creation order.
    pub async fn list(
        &self,
        filter: &ProductFilter,
        page: &PageRequest,
    ) -> Result<Page<Product>, ProductError> {
        let mut query = Entity::find().order_by_asc(Column::Id);
        if !filter.include_archived {
            query = query.filter(Column::Status.eq(ProductStatus::Active.as_str()));
        }
        if let Some(category) = &filter.category {
            query = query.filter(Column::Category.eq(category.trim()));
        }
        if let Some(search) = filter
            .search
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            let pattern =
                LikeExpr::new(format!("%{}%", escape_like(&search.to_lowercase()))).escape('\\');
            let lower = |c: Column| Expr::expr(Func::lower(Expr::col(c)));
            query = query.filter(
                Condition::any()
                    .add(lower(Column::Name).like(pattern.clone()))
                    .add(lower(Column::Sku).like(pattern.clone()))
                    .add(lower(Column::Description).like(pattern)),
            );
        }
        if let Some(after) = &page.after {
            query = query.filter(Column::Id.gt(after.as_str()));
        }
        let rows = query.limit(page.fetch_limit()).all(&self.db).await?;
        let products = rows
            .into_iter()
            .map(to_domain)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Page::from_overfetch(products, page))
    }
}

/// A retried create returns the original product, but only for the same request.
fn replay(existing: Product, new: &NewProduct) -> Result<Product, ProductError> {
    if existing.sku == new.sku {
        Ok(existing)
    } else {
        Err(ProductError::IdempotencyKeyReused)
    }
}

fn escape_like(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn is_unique_violation(err: &DbErr) -> bool {
    matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
}

/// Rows are only ever written by this store, so a row that does not parse is
/// corruption and reported as a database error rather than trusted.
fn to_domain(m: Model) -> Result<Product, ProductError> {
    let corrupt =
        |what: &str| ProductError::Database(DbErr::Custom(format!("product {}: bad {what}", m.id)));
    Ok(Product {
        id: ProductId::parse(&m.id).ok_or_else(|| corrupt("id"))?,
        sku: Sku::parse(&m.sku).map_err(|_| corrupt("sku"))?,
        price: Money::parse(m.price_amount, &m.price_currency).map_err(|_| corrupt("price"))?,
        status: ProductStatus::parse(&m.status).ok_or_else(|| corrupt("status"))?,
        name: m.name,
        description: m.description,
        category: m.category,
        created_at: m.created_at,
        updated_at: m.updated_at,
    })
}

#[cfg(test)]
mod tests {
    use super::escape_like;

    #[test]
    fn like_wildcards_are_escaped() {
        assert_eq!(escape_like(r"50%_off\"), r"50\%\_off\\");
    }
}
