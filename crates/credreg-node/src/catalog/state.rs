//! The catalog's state, behind its two locks.

use super::index::Catalog;
use super::stats::QualityIndex;
use crate::error::{poisoned, NodeError};
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

/// The catalog's state: the index and the counts, each behind its own lock (a search never
/// waits for a count to be updated).
#[derive(Debug, Default)]
pub(crate) struct CatalogState {
    index: RwLock<Catalog>,
    stats: RwLock<QualityIndex>,
}

impl CatalogState {
    pub(crate) fn read(&self) -> Result<RwLockReadGuard<'_, Catalog>, NodeError> {
        self.index.read().map_err(|_| poisoned())
    }

    pub(crate) fn write(&self) -> Result<RwLockWriteGuard<'_, Catalog>, NodeError> {
        self.index.write().map_err(|_| poisoned())
    }

    pub(crate) fn stats(&self) -> Result<RwLockReadGuard<'_, QualityIndex>, NodeError> {
        self.stats.read().map_err(|_| poisoned())
    }

    pub(crate) fn stats_mut(&self) -> Result<RwLockWriteGuard<'_, QualityIndex>, NodeError> {
        self.stats.write().map_err(|_| poisoned())
    }
}
