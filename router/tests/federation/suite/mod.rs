//! Conformance tests by topic. Each test builds its own small supergraph and
//! asserts the exact response the router must return.

mod abstract_types;
mod audit_shapes;
mod authorization;
mod batching;
mod contexts;
mod entities;
mod inaccessible;
mod interface_object;
mod key_paths;
mod mutations;
mod nulls_and_errors;
mod operations;
mod overrides;
mod persisted;
mod provides_external;
mod reload;
mod replicas;
mod requires;
mod shareable;
mod type_conditions;
mod type_merging;
mod value_types;
