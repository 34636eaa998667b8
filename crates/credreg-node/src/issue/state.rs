//! The issuing state.

use std::sync::Mutex;

/// The issuing state: the next free status list position (taken under its lock, so two
/// concurrent batches never share a bit).
#[derive(Debug)]
pub(crate) struct IssueState {
    pub(super) next_status: Mutex<u64>,
}

impl IssueState {
    pub(crate) fn new(next_status: u64) -> Self {
        Self {
            next_status: Mutex::new(next_status),
        }
    }
}
