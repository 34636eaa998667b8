//! The review subsystem's state: people, submissions and pre-approvals, held in memory
//! (a reviewer's queue over 10,000 submissions is a filter, not a scan of sled) and written
//! through to the store on every change, under one lock.

use super::person::Person;
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
    /// This node's logged review decisions by the digest of the submission they decided (read
    /// from the log at start): a decision already logged is adopted, never made twice.
    pub(crate) decided: std::collections::HashMap<String, (String, credreg_model::ReviewDecision)>,
    /// Open reviews per reviewer, kept as submissions change (assignment asks it for every
    /// candidate: counting over 10,000 submissions each time made it quadratic).
    load: std::collections::HashMap<String, usize>,
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
        self.load.get(reviewer).copied().unwrap_or(0)
    }

    /// Puts `s` in the book, keeping the open-review counts right.
    pub(crate) fn put_submission(&mut self, s: Submission) {
        if let Some(old) = self.submissions.get(&s.id) {
            for r in old.reviews.iter().filter(|r| r.is_open()) {
                if let Some(n) = self.load.get_mut(&r.reviewer) {
                    *n = n.saturating_sub(1);
                }
            }
        }
        for r in s.reviews.iter().filter(|r| r.is_open()) {
            *self.load.entry(r.reviewer.clone()).or_default() += 1;
        }
        self.submissions.insert(s.id.clone(), s);
    }
}

/// The review subsystem's lock.
#[derive(Debug, Default)]
pub(crate) struct ReviewState {
    book: RwLock<ReviewBook>,
    /// The first-run setup code, hashed, while the node has no one (see `setup.rs`).
    pub(crate) setup_code: std::sync::Mutex<Option<String>>,
}

impl ReviewState {
    pub(crate) fn book(&self) -> Result<RwLockReadGuard<'_, ReviewBook>, NodeError> {
        self.book.read().map_err(|_| poisoned())
    }

    pub(crate) fn book_mut(&self) -> Result<RwLockWriteGuard<'_, ReviewBook>, NodeError> {
        self.book.write().map_err(|_| poisoned())
    }
}
