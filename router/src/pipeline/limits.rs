//! The operation limits stage: how deep, how wide and how repetitive one
//! operation may be, measured on the validated document before it is
//! planned (so a refused operation costs no subgraph a thing).
//!
//! Fragments count where they are spread, as if written out there, but each
//! fragment is measured once (a fragment spread twice counts twice without
//! being walked twice, so a "fragment bomb" costs linear time).
//! Introspection (`__schema`, `__type` at the root) is left out unless
//! `count_introspection` is set: the router answers it itself.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};

use apollo_compiler::executable::{Operation, Selection, SelectionSet};
use apollo_compiler::{ExecutableDocument, Name};
use serde::Deserialize;

use crate::graphql;

/// Past this many nested selection sets (fragments included) the walk stops
/// and the operation measures as too deep, whatever `max_depth` says: no
/// operation anyone writes comes near it, and the walk recurses.
const WALK_LIMIT: usize = 512;

/// Each limit is off when 0. Defaults follow what production routers ship.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LimitsConfig {
    /// Tokens the parser reads before refusing the document.
    pub max_tokens: usize,
    /// Nesting the parser follows before refusing the document.
    pub max_recursion: usize,
    /// Deepest field nesting (a root field is at depth 1).
    pub max_depth: u32,
    /// Distinct fields (by parent type and name) in the operation.
    pub max_height: u32,
    /// Aliased fields.
    pub max_aliases: u32,
    /// Fields of the root selection.
    pub max_root_fields: u32,
    /// Directive applications.
    pub max_directives: u32,
    /// Highest estimated cost (`pipeline::cost`) of an operation.
    pub max_cost: u64,
    /// The size assumed for a list whose size neither `@listSize` nor a
    /// slicing argument gives.
    pub default_list_size: u64,
    /// Whether `__schema`/`__type` selections count towards the limits.
    pub count_introspection: bool,
    /// Limits that only log (and count) an operation past them instead of
    /// refusing it: `true` for all, or a list of names (`["max_depth"]`).
    pub warn_only: WarnOnly,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        LimitsConfig {
            max_tokens: 15_000,
            max_recursion: 500,
            max_depth: 15,
            max_height: 200,
            max_aliases: 30,
            max_root_fields: 10,
            max_directives: 50,
            max_cost: 10_000,
            default_list_size: 10,
            count_introspection: false,
            warn_only: WarnOnly::default(),
        }
    }
}

/// Which limits only warn.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum WarnOnly {
    All(bool),
    These(Vec<Limit>),
}

impl Default for WarnOnly {
    fn default() -> Self {
        WarnOnly::All(false)
    }
}

impl WarnOnly {
    pub fn covers(&self, limit: Limit) -> bool {
        match self {
            WarnOnly::All(all) => *all,
            WarnOnly::These(these) => these.contains(&limit),
        }
    }
}

/// One limit, by its config key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Limit {
    MaxTokens,
    MaxRecursion,
    MaxDepth,
    MaxHeight,
    MaxAliases,
    MaxRootFields,
    MaxDirectives,
    MaxCost,
}

impl Limit {
    /// The operation-shape limits this stage checks (the parser's two are
    /// checked while parsing).
    pub const MEASURED: [Limit; 5] = [
        Limit::MaxDepth,
        Limit::MaxHeight,
        Limit::MaxAliases,
        Limit::MaxRootFields,
        Limit::MaxDirectives,
    ];

    /// The `extensions.code` of an operation past it.
    pub fn code(self) -> &'static str {
        match self {
            Limit::MaxTokens => "MAX_TOKENS_EXCEEDED",
            Limit::MaxRecursion => "MAX_RECURSION_EXCEEDED",
            Limit::MaxDepth => "MAX_DEPTH_EXCEEDED",
            Limit::MaxHeight => "MAX_HEIGHT_EXCEEDED",
            Limit::MaxAliases => "MAX_ALIASES_EXCEEDED",
            Limit::MaxRootFields => "MAX_ROOT_FIELDS_EXCEEDED",
            Limit::MaxDirectives => "MAX_DIRECTIVES_EXCEEDED",
            Limit::MaxCost => "COST_ESTIMATED_TOO_EXPENSIVE",
        }
    }

    /// The config key.
    pub fn key(self) -> &'static str {
        match self {
            Limit::MaxTokens => "max_tokens",
            Limit::MaxRecursion => "max_recursion",
            Limit::MaxDepth => "max_depth",
            Limit::MaxHeight => "max_height",
            Limit::MaxAliases => "max_aliases",
            Limit::MaxRootFields => "max_root_fields",
            Limit::MaxDirectives => "max_directives",
            Limit::MaxCost => "max_cost",
        }
    }

    fn what(self) -> &'static str {
        match self {
            Limit::MaxTokens => "tokens",
            Limit::MaxRecursion => "nesting",
            Limit::MaxDepth => "depth",
            Limit::MaxHeight => "distinct fields",
            Limit::MaxAliases => "aliases",
            Limit::MaxRootFields => "root fields",
            Limit::MaxDirectives => "directives",
            Limit::MaxCost => "an estimated cost of",
        }
    }
}

impl LimitsConfig {
    /// The configured maximum, `None` when the limit is off.
    pub fn max(&self, limit: Limit) -> Option<u64> {
        let max = match limit {
            Limit::MaxTokens => self.max_tokens as u64,
            Limit::MaxRecursion => self.max_recursion as u64,
            Limit::MaxDepth => u64::from(self.max_depth),
            Limit::MaxHeight => u64::from(self.max_height),
            Limit::MaxAliases => u64::from(self.max_aliases),
            Limit::MaxRootFields => u64::from(self.max_root_fields),
            Limit::MaxDirectives => u64::from(self.max_directives),
            Limit::MaxCost => self.max_cost,
        };
        (max > 0).then_some(max)
    }

    /// The limits `measured` is past: those to refuse the operation for,
    /// and those that only warn.
    pub fn check(&self, measured: &Measurements) -> Checked {
        let mut checked = Checked::default();
        for limit in Limit::MEASURED {
            let Some(max) = self.max(limit) else { continue };
            let value = measured.get(limit);
            if value <= max {
                continue;
            }
            let exceeded = Exceeded {
                limit,
                measured: value,
                max,
            };
            if self.warn_only.covers(limit) {
                checked.warned.push(exceeded);
            } else {
                checked.refused.push(exceeded);
            }
        }
        checked
    }
}

/// What `LimitsConfig::check` found.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Checked {
    pub refused: Vec<Exceeded>,
    pub warned: Vec<Exceeded>,
}

/// One limit an operation is past.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exceeded {
    pub limit: Limit,
    pub measured: u64,
    pub max: u64,
}

impl Exceeded {
    /// A request error with the limit's code, the measure and the maximum.
    pub fn to_graphql_error(&self) -> graphql::Error {
        let mut error = graphql::Error::coded(self.to_string(), self.limit.code());
        error
            .extensions
            .insert("limit".into(), self.limit.key().into());
        error
            .extensions
            .insert("measured".into(), self.measured.into());
        error.extensions.insert("max".into(), self.max.into());
        error
    }
}

impl std::fmt::Display for Exceeded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let Exceeded {
            limit,
            measured,
            max,
        } = self;
        write!(
            f,
            "The operation has {} {measured}, over the limit of {max} (`{}`).",
            limit.what(),
            limit.key()
        )
    }
}

/// The stage: the operation named `operation` (measured as `measured`,
/// with the parser's token warning if any) is refused when past a limit
/// that refuses; limits that only warn are logged and counted.
pub fn enforce(
    config: &LimitsConfig,
    counters: &LimitCounters,
    measured: &Measurements,
    token_warning: Option<Exceeded>,
    operation: Option<&str>,
) -> Result<(), Vec<Exceeded>> {
    let Checked { refused, warned } = config.check(measured);
    for exceeded in warned.iter().chain(&token_warning) {
        counters.count(exceeded.limit, Verdict::Warned);
        tracing::warn!(
            operation = operation.unwrap_or("(anonymous)"),
            "{exceeded} Served: the limit only warns."
        );
    }
    if refused.is_empty() {
        return Ok(());
    }
    for exceeded in &refused {
        counters.count(exceeded.limit, Verdict::Refused);
    }
    Err(refused)
}

/// The cost half of the stage: `estimated` (by `pipeline::cost`) past
/// `max_cost` refuses the operation, or only warns.
pub fn enforce_cost(
    config: &LimitsConfig,
    counters: &LimitCounters,
    estimated: u64,
    operation: Option<&str>,
) -> Result<(), Vec<Exceeded>> {
    let Some(max) = config.max(Limit::MaxCost) else {
        return Ok(());
    };
    if estimated <= max {
        return Ok(());
    }
    let exceeded = Exceeded {
        limit: Limit::MaxCost,
        measured: estimated,
        max,
    };
    if config.warn_only.covers(Limit::MaxCost) {
        counters.count(Limit::MaxCost, Verdict::Warned);
        tracing::warn!(
            operation = operation.unwrap_or("(anonymous)"),
            "{exceeded} Served: the limit only warns."
        );
        return Ok(());
    }
    counters.count(Limit::MaxCost, Verdict::Refused);
    Err(vec![exceeded])
}

/// What a limit did to an operation past it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Refused,
    Warned,
}

const LIMITS: [Limit; 8] = [
    Limit::MaxTokens,
    Limit::MaxRecursion,
    Limit::MaxDepth,
    Limit::MaxHeight,
    Limit::MaxAliases,
    Limit::MaxRootFields,
    Limit::MaxDirectives,
    Limit::MaxCost,
];

/// Operations each limit refused or warned about since the router started
/// (kept across reloads).
#[derive(Debug, Default)]
pub struct LimitCounters {
    refused: [AtomicU64; LIMITS.len()],
    warned: [AtomicU64; LIMITS.len()],
}

/// One limit's counts.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LimitCount {
    pub limit: &'static str,
    pub refused: u64,
    pub warned: u64,
}

impl LimitCounters {
    pub fn count(&self, limit: Limit, verdict: Verdict) {
        let index = LIMITS.iter().position(|l| *l == limit).unwrap_or(0);
        let counters = match verdict {
            Verdict::Refused => &self.refused,
            Verdict::Warned => &self.warned,
        };
        counters[index].fetch_add(1, Ordering::Relaxed);
        crate::metrics::limit(limit.key(), matches!(verdict, Verdict::Refused));
    }

    pub fn snapshot(&self) -> Vec<LimitCount> {
        LIMITS
            .iter()
            .enumerate()
            .map(|(i, limit)| LimitCount {
                limit: limit.key(),
                refused: self.refused[i].load(Ordering::Relaxed),
                warned: self.warned[i].load(Ordering::Relaxed),
            })
            .collect()
    }
}

/// The operation's shape, as the limits measure it.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Measurements {
    pub depth: u64,
    pub height: u64,
    pub aliases: u64,
    pub root_fields: u64,
    pub directives: u64,
}

impl Measurements {
    pub fn get(&self, limit: Limit) -> u64 {
        match limit {
            Limit::MaxDepth => self.depth,
            Limit::MaxHeight => self.height,
            Limit::MaxAliases => self.aliases,
            Limit::MaxRootFields => self.root_fields,
            Limit::MaxDirectives => self.directives,
            // Measured by the parser and the cost stage, not here.
            Limit::MaxTokens | Limit::MaxRecursion | Limit::MaxCost => 0,
        }
    }

    /// Measures `operation` of `document`.
    pub fn of(
        document: &ExecutableDocument,
        operation: &Operation,
        count_introspection: bool,
    ) -> Measurements {
        let mut walk = Walk {
            document,
            count_introspection,
            fragments: HashMap::new(),
            distinct: HashSet::new(),
        };
        let root = walk.set(&operation.selection_set, true, 0);
        Measurements {
            depth: root.depth,
            height: walk.distinct.len() as u64,
            aliases: root.aliases,
            root_fields: root.fields,
            directives: root
                .directives
                .saturating_add(operation.directives.len() as u64),
        }
    }
}

/// A selection set's measures, with its fragments written out.
#[derive(Debug, Default, Clone, Copy)]
struct SetMeasure {
    /// Of its deepest field, a field of this set being at depth 1.
    depth: u64,
    aliases: u64,
    /// Fields directly in it (through fragments, not into sub-selections).
    fields: u64,
    directives: u64,
}

impl SetMeasure {
    const TOO_DEEP: SetMeasure = SetMeasure {
        depth: u64::MAX,
        aliases: 0,
        fields: 0,
        directives: 0,
    };

    /// Adds what a fragment spread (or inline fragment) here contributes.
    fn add_fragment(&mut self, fragment: SetMeasure, directives: usize) {
        self.depth = self.depth.max(fragment.depth);
        self.aliases = self.aliases.saturating_add(fragment.aliases);
        self.fields = self.fields.saturating_add(fragment.fields);
        self.directives = self
            .directives
            .saturating_add(fragment.directives)
            .saturating_add(directives as u64);
    }
}

struct Walk<'a> {
    document: &'a ExecutableDocument,
    count_introspection: bool,
    /// Each fragment's measure, by name and whether spread at the root.
    fragments: HashMap<(&'a Name, bool), SetMeasure>,
    /// (parent type, field name) of every field seen.
    distinct: HashSet<(&'a Name, &'a Name)>,
}

impl<'a> Walk<'a> {
    fn set(&mut self, set: &'a SelectionSet, root: bool, nesting: usize) -> SetMeasure {
        if nesting > WALK_LIMIT {
            return SetMeasure::TOO_DEEP;
        }
        let mut measure = SetMeasure::default();
        for selection in &set.selections {
            match selection {
                Selection::Field(field) => {
                    if root
                        && !self.count_introspection
                        && matches!(field.name.as_str(), "__schema" | "__type")
                    {
                        continue;
                    }
                    self.distinct.insert((&set.ty, &field.name));
                    let inner = self.set(&field.selection_set, false, nesting + 1);
                    measure.depth = measure.depth.max(inner.depth.saturating_add(1));
                    measure.aliases = measure
                        .aliases
                        .saturating_add(inner.aliases)
                        .saturating_add(u64::from(field.alias.is_some()));
                    measure.fields = measure.fields.saturating_add(1);
                    measure.directives = measure
                        .directives
                        .saturating_add(inner.directives)
                        .saturating_add(field.directives.len() as u64);
                }
                Selection::FragmentSpread(spread) => {
                    let fragment = self.fragment(&spread.fragment_name, root, nesting + 1);
                    measure.add_fragment(fragment, spread.directives.len());
                }
                Selection::InlineFragment(inline) => {
                    let fragment = self.set(&inline.selection_set, root, nesting + 1);
                    measure.add_fragment(fragment, inline.directives.len());
                }
            }
        }
        measure
    }

    fn fragment(&mut self, name: &'a Name, root: bool, nesting: usize) -> SetMeasure {
        if let Some(measure) = self.fragments.get(&(name, root)) {
            return *measure;
        }
        // Validation has checked every spread names a fragment.
        let Some(fragment) = self.document.fragments.get(name) else {
            return SetMeasure::default();
        };
        let mut measure = self.set(&fragment.selection_set, root, nesting);
        measure.directives = measure
            .directives
            .saturating_add(fragment.directives.len() as u64);
        self.fragments.insert((name, root), measure);
        measure
    }
}

#[cfg(test)]
mod tests {
    use apollo_compiler::Schema;
    use apollo_compiler::validation::Valid;

    use super::*;

    fn schema() -> Valid<Schema> {
        Schema::parse_and_validate(
            r#"
            type Query { product(id: ID!): Product products(first: Int): [Product!]! me: User }
            type Product { id: ID! name: String! related: [Product!]! reviews: [Review!]! }
            type Review { id: ID! body: String! author: User }
            type User { id: ID! name: String! reviews: [Review!]! }
            "#,
            "schema.graphql",
        )
        .unwrap()
    }

    fn measure_with(query: &str, count_introspection: bool) -> Measurements {
        let schema = schema();
        let document = ExecutableDocument::parse_and_validate(&schema, query, "q.graphql")
            .unwrap_or_else(|err| panic!("{query}: {err}"));
        let operation = document.operations.iter().next().unwrap();
        Measurements::of(&document, operation, count_introspection)
    }

    fn measure(query: &str) -> Measurements {
        measure_with(query, false)
    }

    #[test]
    fn depth_counts_nested_fields_from_one_at_the_root() {
        assert_eq!(measure("{ me { id } }").depth, 2);
        assert_eq!(
            measure("{ products { related { related { reviews { author { id } } } } } }").depth,
            6
        );
        assert_eq!(measure("{ __typename }").depth, 1);
    }

    #[test]
    fn fragments_count_where_they_are_spread() {
        let query = "
            query { products { ...Deep } me { reviews { id } } }
            fragment Deep on Product { related { ... on Product { reviews { author { id } } } } }
        ";
        let measured = measure(query);
        assert_eq!(
            measured.depth, 5,
            "products > related > reviews > author > id"
        );
        assert_eq!(measured.root_fields, 2);
    }

    #[test]
    fn aliases_and_directives_are_counted_each_time_a_fragment_is_spread() {
        let query = "
            query { a: products { ...F } b: products { ...F } c: product(id: 1) { ...F } }
            fragment F on Product { x: id y: name @skip(if: false) }
        ";
        let measured = measure(query);
        assert_eq!(measured.aliases, 3 + 3 * 2);
        assert_eq!(measured.directives, 3);
        assert_eq!(measured.root_fields, 3);
    }

    #[test]
    fn height_counts_each_field_of_each_type_once() {
        let measured = measure("{ a: products { id name } b: products { id } me { id name } }");
        // Query.products, Product.id, Product.name, Query.me, User.id, User.name
        assert_eq!(measured.height, 6);
    }

    #[test]
    fn root_fields_count_through_root_fragments() {
        let query = "
            query { me { id } ...Roots ... on Query { product(id: 1) { id } } }
            fragment Roots on Query { products { id } a: products { id } }
        ";
        assert_eq!(measure(query).root_fields, 4);
    }

    #[test]
    fn a_fragment_bomb_is_measured_without_walking_it_out() {
        // 2^30 spreads of F0 if written out.
        let query =
            crate::pipeline::fragment_bomb("query { products { ...FN } }", "Product", 30, "a: id");
        let started = std::time::Instant::now();
        let measured = measure(&query);
        assert!(started.elapsed() < std::time::Duration::from_secs(1));
        assert_eq!(measured.aliases, 1 << 30);
        assert_eq!(measured.depth, 2);
        assert_eq!(measured.height, 2);
    }

    #[test]
    fn introspection_counts_only_when_configured() {
        let query =
            "{ __schema { types { fields { type { ofType { ofType { name } } } } } } me { id } }";
        let left_out = measure(query);
        assert_eq!((left_out.depth, left_out.root_fields), (2, 1));
        let counted = measure_with(query, true);
        assert_eq!((counted.depth, counted.root_fields), (7, 2));
    }

    #[test]
    fn limits_refuse_or_warn_past_their_maximum_and_not_at_it() {
        let config = LimitsConfig {
            max_depth: 3,
            max_aliases: 1,
            max_root_fields: 0, // off
            ..LimitsConfig::default()
        };
        let at = measure("{ a: products { related { id } } b: me { id } }");
        assert_eq!(at.depth, 3);
        assert_eq!(at.aliases, 2);
        let checked = config.check(&at);
        assert_eq!(checked.refused.len(), 1, "{checked:?}");
        assert_eq!(checked.refused[0].limit, Limit::MaxAliases);
        assert_eq!(
            (checked.refused[0].measured, checked.refused[0].max),
            (2, 1)
        );

        let past = measure("{ products { related { related { id } } } }");
        let checked = config.check(&past);
        assert_eq!(checked.refused[0].limit, Limit::MaxDepth);

        let warn = LimitsConfig {
            warn_only: WarnOnly::These(vec![Limit::MaxDepth]),
            ..config.clone()
        };
        let checked = warn.check(&past);
        assert!(checked.refused.is_empty());
        assert_eq!(checked.warned[0].limit, Limit::MaxDepth);

        let error = config.check(&at).refused[0].to_graphql_error();
        assert_eq!(error.extensions["code"], "MAX_ALIASES_EXCEEDED");
        assert_eq!(error.extensions["measured"], 2);
        assert_eq!(error.extensions["max"], 1);
    }

    #[test]
    fn warn_only_reads_as_a_flag_or_a_list_and_refuses_unknown_names() {
        let all: LimitsConfig = toml::from_str("warn_only = true").unwrap();
        assert!(all.warn_only.covers(Limit::MaxHeight));
        let some: LimitsConfig = toml::from_str("warn_only = [\"max_depth\"]").unwrap();
        assert!(some.warn_only.covers(Limit::MaxDepth));
        assert!(!some.warn_only.covers(Limit::MaxHeight));
        assert!(toml::from_str::<LimitsConfig>("warn_only = [\"max_deep\"]").is_err());
        assert!(toml::from_str::<LimitsConfig>("max_dept = 3").is_err());
    }
}
