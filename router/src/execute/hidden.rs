//! What subgraphs may return but clients may never see: enum values and
//! object types of the supergraph that are not in the API schema
//! (`@inaccessible`). The shaping pass turns such a value into a null with an
//! error at its field, so nothing outside the public schema reaches a client.

use std::collections::{HashMap, HashSet};

use apollo_compiler::schema::ExtendedType;
use apollo_compiler::{Name, Schema};

/// Computed once per supergraph. Empty for most supergraphs, which makes the
/// checks a single branch on the hot path.
#[derive(Debug, Default)]
pub struct Hidden {
    /// Enums with hidden values: the values clients may see.
    enums: HashMap<Name, HashSet<Name>>,
    /// Object types absent from the API schema.
    objects: HashSet<Name>,
}

impl Hidden {
    pub fn between(supergraph: &Schema, api: &Schema) -> Hidden {
        let mut hidden = Hidden::default();
        for (name, ty) in &supergraph.types {
            match (ty, api.types.get(name)) {
                (ExtendedType::Object(_), None) => {
                    hidden.objects.insert(name.clone());
                }
                (ExtendedType::Enum(all), Some(ExtendedType::Enum(public)))
                    if public.values.len() < all.values.len() =>
                {
                    let visible = public.values.keys().cloned().collect();
                    hidden.enums.insert(name.clone(), visible);
                }
                _ => {}
            }
        }
        hidden
    }

    /// True when `object_type` must not reach a client.
    pub fn is_hidden_object(&self, object_type: &str) -> bool {
        !self.objects.is_empty() && self.objects.contains(object_type)
    }

    /// True when `value`, answered for a field of type `enum_type`, is a value
    /// clients may not see (`enum_type` may name any type; only enums with
    /// hidden values are checked).
    pub fn is_hidden_value(&self, enum_type: &str, value: &str) -> bool {
        !self.enums.is_empty()
            && self
                .enums
                .get(enum_type)
                .is_some_and(|visible| !visible.contains(value))
    }
}
