//! The district's private documents: people, submissions, pre-approval requests, sessions and
//! sign-in links, the mail outbox. Each is a JSON document under an id in its family's tree,
//! written whole and flushed (one person's or one submission's state changes rarely and
//! must survive a crash the moment the caller is told). Nothing here is replicated.

use super::*;

/// Families of private documents, one tree each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// Accounts: name, school, roles, e-mail addresses, password hash.
    People,
    /// Evidence submissions with their reviews, decision and history.
    Submissions,
    /// Pre-approval requests.
    PreApprovals,
    /// Sign-in sessions, by the hash of their token.
    Sessions,
    /// Single-use sign-in and e-mail verification links, by the hash of their token.
    Links,
    /// Mail waiting to be delivered, or delivered.
    Outbox,
    /// Calibration sets, by definition id.
    Calibrations,
}

impl Family {
    pub(crate) fn tree_name(self) -> &'static str {
        match self {
            Family::People => schema::PEOPLE,
            Family::Submissions => schema::SUBMISSIONS,
            Family::PreApprovals => schema::PRE_APPROVALS,
            Family::Sessions => schema::SESSIONS,
            Family::Links => schema::LINKS,
            Family::Outbox => schema::OUTBOX,
            Family::Calibrations => schema::CALIBRATIONS,
        }
    }
}

impl Store {
    fn family(&self, family: Family) -> Result<sled::Tree, StoreError> {
        Ok(self.db.open_tree(family.tree_name())?)
    }

    /// Writes a document (replacing any under that id) and flushes.
    pub fn put_document(&self, family: Family, id: &str, json: &[u8]) -> Result<(), StoreError> {
        self.family(family)?.insert(id.as_bytes(), json)?;
        self.flush()
    }

    /// Writes many documents in one batch and flushes once (a roster, a migration).
    pub fn put_documents(
        &self,
        family: Family,
        docs: &[(String, Vec<u8>)],
    ) -> Result<(), StoreError> {
        let mut batch = sled::Batch::default();
        for (id, json) in docs {
            batch.insert(id.as_bytes(), json.as_slice());
        }
        self.family(family)?.apply_batch(batch)?;
        self.flush()
    }

    /// One document.
    pub fn document(&self, family: Family, id: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.family(family)?.get(id.as_bytes())?.map(|v| v.to_vec()))
    }

    /// Removes a document; whether it was there.
    pub fn delete_document(&self, family: Family, id: &str) -> Result<bool, StoreError> {
        let had = self.family(family)?.remove(id.as_bytes())?.is_some();
        self.flush()?;
        Ok(had)
    }

    /// Every document of a family, by id.
    pub fn documents(&self, family: Family) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        let tree = self.family(family)?;
        let mut out = Vec::new();
        for item in tree.iter() {
            let (k, v) = item?;
            let id = String::from_utf8(k.to_vec())
                .map_err(|_| corrupt(family.tree_name(), "a key is not UTF-8"))?;
            out.push((id, v.to_vec()));
        }
        Ok(out)
    }
}
