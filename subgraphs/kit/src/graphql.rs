//! GraphQL value types more than one subgraph returns.
//!
//! Federation requires a value type defined in several subgraphs to be
//! `@shareable` and identical everywhere, so they are defined once here.

use async_graphql::{InputObject, SimpleObject};

use crate::money::{Money, MoneyError};

/// An amount of money in integer minor units (cents for USD, yen for JPY).
#[derive(Debug, Clone, SimpleObject)]
#[graphql(name = "Money", shareable)]
pub struct MoneyObject {
    /// Minor units: 1999 means 19.99 in a two-digit currency.
    pub amount: i32,
    /// ISO 4217 currency code, e.g. "USD".
    pub currency: String,
}

impl From<Money> for MoneyObject {
    fn from(m: Money) -> Self {
        MoneyObject {
            // Money keeps amounts within i32 by construction.
            amount: i32::try_from(m.amount()).unwrap_or(i32::MAX),
            currency: m.currency().code().to_owned(),
        }
    }
}

/// An amount a client sends: minor units and an ISO 4217 code.
#[derive(Debug, Clone, InputObject)]
#[graphql(name = "MoneyInput")]
pub struct MoneyInput {
    pub amount: i32,
    pub currency: String,
}

impl MoneyInput {
    pub fn to_money(&self) -> Result<Money, MoneyError> {
        Money::parse(i64::from(self.amount), &self.currency)
    }
}

/// Relay-style page information for cursor-paginated connections.
#[derive(Debug, Clone, SimpleObject)]
#[graphql(shareable)]
pub struct PageInfo {
    pub has_next_page: bool,
    pub end_cursor: Option<String>,
}
