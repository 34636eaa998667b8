//! The review subsystem's state: people, submissions and pre-approvals, held in memory
//! (a reviewer's queue over 10,000 submissions is a filter, not a scan of sled) and written
//! through to the store on every change, under one lock.

use super::people::Person;
use super::submission::{PreApproval, Submission};
use crate::error::{poisoned, NodeError};
use credreg_model::normalize_email;
use std::collections::BTreeMap;
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

/// Everything the review subsystem holds.
#[derive(Debug, Default)]
pub(crate) struct ReviewBook {
    pub(crate) people: BTreeMap<String, Person>,
    pub(crate) submissions: BTreeMap<String, Submission>,
    pub(crate) pre_approvals: BTreeMap<String, PreApproval>,
}

impl ReviewBook {
    pub(crate) fn person(&self, id: &str) -> Result<&Person, NodeError> {
        self.people.get(id).ok_or_else(|| NodeError::NotFound {
            what: "person",
            id: id.to_owned(),
        })
    }

    /// The person holding `address` (verified or not).
    pub(crate) fn person_by_email(&self, address: &str) -> Option<&Person> {
        let address = normalize_email(address);
        self.people
            .values()
            .find(|p| p.emails.iter().any(|e| e.address == address))
    }

    pub(crate) fn submission(&self, id: &str) -> Result<&Submission, NodeError> {
        self.submissions.get(id).ok_or_else(|| NodeError::NotFound {
            what: "submission",
            id: id.to_owned(),
        })
    }

    /// Open reviews of `reviewer` across all submissions.
    pub(crate) fn open_load(&self, reviewer: &str) -> usize {
        self.submissions
            .values()
            .flat_map(|s| &s.reviews)
            .filter(|r| r.reviewer == reviewer && r.is_open())
            .count()
    }
}

/// The review subsystem's lock.
#[derive(Debug, Default)]
pub(crate) struct ReviewState {
    book: RwLock<ReviewBook>,
}

impl ReviewState {
    pub(crate) fn book(&self) -> Result<RwLockReadGuard<'_, ReviewBook>, NodeError> {
        self.book.read().map_err(|_| poisoned())
    }

    pub(crate) fn book_mut(&self) -> Result<RwLockWriteGuard<'_, ReviewBook>, NodeError> {
        self.book.write().map_err(|_| poisoned())
    }
}
