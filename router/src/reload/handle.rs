//! The engine the server answers with, swappable while it serves. Each
//! request takes the current engine once, at its start, and keeps it to
//! the end: a reload never changes the schema or the plans under a request
//! that is already running, and the old engine goes when its last request
//! ends.

use std::sync::Arc;

use arc_swap::ArcSwap;

use crate::engine::Engine;

/// A shared slot holding the engine in force. Cheap to clone.
#[derive(Clone)]
pub struct EngineHandle {
    current: Arc<ArcSwap<Engine>>,
}

impl EngineHandle {
    pub fn new(engine: impl Into<Arc<Engine>>) -> Self {
        EngineHandle {
            current: Arc::new(ArcSwap::new(engine.into())),
        }
    }

    /// The engine serving now. A lock-free read and one reference count
    /// increment: taken once per request, on the hot path.
    pub fn current(&self) -> Arc<Engine> {
        self.current.load_full()
    }

    /// Puts `engine` in force for every request that starts from now on;
    /// returns the one it replaces.
    pub fn replace(&self, engine: impl Into<Arc<Engine>>) -> Arc<Engine> {
        self.current.swap(engine.into())
    }
}

impl From<Arc<Engine>> for EngineHandle {
    fn from(engine: Arc<Engine>) -> Self {
        EngineHandle::new(engine)
    }
}

impl From<Engine> for EngineHandle {
    fn from(engine: Engine) -> Self {
        EngineHandle::new(engine)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::tests::engine;

    #[test]
    fn a_request_keeps_the_engine_it_started_with() {
        let handle = EngineHandle::new(engine());
        let first = handle.current();
        let second = Arc::new(engine());
        let replaced = handle.replace(second.clone());
        assert!(Arc::ptr_eq(&first, &replaced));
        assert!(Arc::ptr_eq(&handle.current(), &second));
        // The request that took `first` still holds it, whole.
        assert!(first.api_schema_sdl().contains("type Product"));
    }
}
