//! One batch per entity type per `_entities` request, deterministically.
//!
//! async-graphql resolves each representation with its own entity-fn call. A
//! DataLoader batches the keys that arrive within its delay, which is a race:
//! on a busy machine one request's representations can straddle two windows
//! and cost two statements. Instead, the first entity-fn call of a type reads
//! every representation of that type from the `representations` argument and
//! loads them with one `load_many`; the other calls await that same result.
//! The batch lives for one request, installed by the [`EntityBatches`] extension.

use std::any::{Any, TypeId};
use std::collections::{HashMap, HashSet};
use std::hash::Hash;
use std::sync::{Arc, Mutex};

use async_graphql::dataloader::{DataLoader, Loader};
use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextPrepareRequest,
};
use async_graphql::indexmap::IndexMap;
use async_graphql::{Context, Name, Request, ServerResult, Value};
use tokio::sync::OnceCell;

/// A representation: `__typename` plus its key (and `@requires`) fields.
pub type Representation = IndexMap<Name, Value>;

/// Schema extension giving every request its own, empty set of batches.
pub struct EntityBatches;

impl ExtensionFactory for EntityBatches {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(EntityBatches)
    }
}

#[async_graphql::async_trait::async_trait]
impl Extension for EntityBatches {
    async fn prepare_request(
        &self,
        ctx: &ExtensionContext<'_>,
        request: Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<Request> {
        next.run(ctx, request.data(Batches::default())).await
    }
}

/// The batches of one request, one per (key type, loader) pair.
#[derive(Default)]
struct Batches {
    cells: Mutex<HashMap<TypeId, Arc<dyn Any + Send + Sync>>>,
}

struct Batch<K, V> {
    keys: HashSet<K>,
    found: HashMap<K, V>,
}

impl Batches {
    fn cell<K, V>(&self) -> Arc<OnceCell<Batch<K, V>>>
    where
        K: Send + Sync + 'static,
        V: Send + Sync + 'static,
    {
        let mut cells = self
            .cells
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let cell = cells
            .entry(TypeId::of::<OnceCell<Batch<K, V>>>())
            .or_insert_with(|| Arc::new(OnceCell::<Batch<K, V>>::new()))
            .clone();
        // The map is keyed by the cell's own type, so the downcast holds.
        cell.downcast::<OnceCell<Batch<K, V>>>()
            .unwrap_or_else(|_| Arc::new(OnceCell::new()))
    }
}

/// Loads `key` together with every other representation of `typename` in the
/// current `_entities` request. `key_of` extracts a key from a representation
/// (`None` for ones that cannot name an entity). Outside `_entities`, or
/// without the extension, it is a plain `load_one`.
pub async fn load<K, L>(
    ctx: &Context<'_>,
    loader: &DataLoader<L>,
    typename: &str,
    key_of: impl Fn(&Representation) -> Option<K>,
    key: K,
) -> Result<Option<L::Value>, L::Error>
where
    K: Send + Sync + Hash + Eq + Clone + 'static,
    L: Loader<K>,
{
    let Ok(batches) = ctx.data::<Batches>() else {
        return loader.load_one(key).await;
    };
    let cell = batches.cell::<K, L::Value>();
    let batch = cell
        .get_or_try_init(|| async {
            let mut keys: HashSet<K> = representations(ctx, typename)
                .filter_map(|rep| key_of(&rep))
                .collect();
            keys.insert(key.clone());
            let found = loader.load_many(keys.iter().cloned()).await?;
            Ok::<_, L::Error>(Batch { keys, found })
        })
        .await?;
    if batch.keys.contains(&key) {
        return Ok(batch.found.get(&key).cloned());
    }
    loader.load_one(key).await
}

/// The representations of `typename` in the current field's `representations`
/// argument (empty unless the current field is `_entities`).
fn representations<'a>(
    ctx: &Context<'_>,
    typename: &'a str,
) -> impl Iterator<Item = Representation> + 'a {
    let list = ctx
        .field()
        .arguments()
        .ok()
        .and_then(|args| {
            args.into_iter()
                .find(|(name, _)| name.as_str() == "representations")
        })
        .and_then(|(_, value)| match value {
            Value::List(list) => Some(list),
            _ => None,
        })
        .unwrap_or_default();
    list.into_iter().filter_map(move |rep| match rep {
        Value::Object(fields) if matches!(fields.get("__typename"), Some(Value::String(t)) if t == typename) => {
            Some(fields)
        }
        _ => None,
    })
}
