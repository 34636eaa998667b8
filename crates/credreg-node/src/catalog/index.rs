//! The in-memory catalog index: every stored definition and stack, searchable.
//!
//! Definitions are few (hundreds per district, tens of thousands in a state) and searched
//! often, so the node keeps them parsed in memory with a lowercase haystack per entry and scans
//! it. A scan over 10,000 entries is well under a millisecond; an inverted index would buy
//! nothing at this size and would have to be kept consistent with sled.

use credreg_model::{CredentialDef, Stack};
use std::collections::HashMap;
use std::sync::Arc;

/// A published definition.
#[derive(Debug, Clone)]
pub struct CatalogEntry {
    /// Record id.
    pub id: String,
    /// Issuer DID.
    pub issuer: String,
    /// When the record was issued.
    pub issued: String,
    /// The definition.
    pub def: CredentialDef,
    /// The exact signed record.
    pub record: Arc<Vec<u8>>,
    name_lc: String,
    haystack: String,
}

/// A published stack.
#[derive(Debug, Clone)]
pub struct StackEntry {
    /// Record id.
    pub id: String,
    /// Issuer DID.
    pub issuer: String,
    /// When the record was issued.
    pub issued: String,
    /// The stack.
    pub stack: Stack,
    /// The exact signed record.
    pub record: Arc<Vec<u8>>,
}

/// Search parameters.
#[derive(Debug, Clone, Default)]
pub struct SearchQuery {
    /// Words that must all appear in the name, description or competency (case-insensitive).
    pub q: Option<String>,
    /// Only this issuer's definitions.
    pub issuer: Option<String>,
    /// Only definitions of these issuers (federated search: the trusted ones).
    pub issuers: Option<std::collections::HashSet<String>>,
    /// Page size.
    pub limit: usize,
    /// Entries to skip.
    pub offset: usize,
}

/// One page of results.
#[derive(Debug, Clone)]
pub struct SearchPage {
    /// Matches in total.
    pub total: usize,
    /// This page.
    pub items: Vec<Arc<CatalogEntry>>,
}

/// The index.
#[derive(Debug, Default)]
pub struct Catalog {
    entries: Vec<Arc<CatalogEntry>>,
    by_id: HashMap<String, usize>,
    stacks: HashMap<String, Arc<StackEntry>>,
}

impl Catalog {
    /// Adds a definition (ignored if its id is already present).
    pub fn insert(
        &mut self,
        id: String,
        issuer: String,
        issued: String,
        def: CredentialDef,
        record: Arc<Vec<u8>>,
    ) {
        if self.by_id.contains_key(&id) {
            return;
        }
        let name_lc = def.name.to_lowercase();
        let haystack = format!(
            "{name_lc}\n{}\n{}\n{}",
            def.description.to_lowercase(),
            def.competency.as_deref().unwrap_or("").to_lowercase(),
            def.tags.join(" ").to_lowercase()
        );
        self.by_id.insert(id.clone(), self.entries.len());
        self.entries.push(Arc::new(CatalogEntry {
            id,
            issuer,
            issued,
            def,
            record,
            name_lc,
            haystack,
        }));
    }

    /// Adds a stack.
    pub fn insert_stack(&mut self, entry: StackEntry) {
        self.stacks.insert(entry.id.clone(), Arc::new(entry));
    }

    /// A definition by id.
    pub fn get(&self, id: &str) -> Option<Arc<CatalogEntry>> {
        self.by_id.get(id).map(|&i| self.entries[i].clone())
    }

    /// A stack by id.
    pub fn stack(&self, id: &str) -> Option<Arc<StackEntry>> {
        self.stacks.get(id).cloned()
    }

    /// Every stack `issuer` published.
    pub fn stacks_of(&self, issuer: &str) -> Vec<Arc<StackEntry>> {
        self.stacks
            .values()
            .filter(|s| s.issuer == issuer)
            .cloned()
            .collect()
    }

    /// The distinct issuers of the definitions held.
    pub fn issuers(&self) -> std::collections::HashSet<String> {
        self.entries.iter().map(|e| e.issuer.clone()).collect()
    }

    /// Number of definitions.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Searches: entries whose name holds every word rank first, then newest first.
    pub fn search(&self, query: &SearchQuery) -> SearchPage {
        let words: Vec<String> = query
            .q
            .as_deref()
            .unwrap_or("")
            .split_whitespace()
            .map(str::to_lowercase)
            .collect();
        let mut hits: Vec<(bool, usize)> = self
            .entries
            .iter()
            .enumerate()
            .rev()
            .filter(|(_, e)| query.issuer.as_deref().is_none_or(|i| e.issuer == i))
            .filter(|(_, e)| {
                query
                    .issuers
                    .as_ref()
                    .is_none_or(|set| set.contains(&e.issuer))
            })
            .filter(|(_, e)| words.iter().all(|w| e.haystack.contains(w.as_str())))
            .map(|(i, e)| {
                let in_name =
                    !words.is_empty() && words.iter().all(|w| e.name_lc.contains(w.as_str()));
                (in_name, i)
            })
            .collect();
        // Stable sort keeps newest-first within each group.
        hits.sort_by_key(|(in_name, _)| !*in_name);
        let total = hits.len();
        let items = hits
            .into_iter()
            .skip(query.offset)
            .take(query.limit)
            .map(|(_, i)| self.entries[i].clone())
            .collect();
        SearchPage { total, items }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn def(name: &str, description: &str, competency: &str) -> CredentialDef {
        let mut d = CredentialDef::new(name, description, "n");
        d.competency = Some(competency.into());
        d
    }

    fn check(catalog: &Catalog, q: &str, issuer: Option<&str>, expected: &[&str]) {
        let page = catalog.search(&SearchQuery {
            q: Some(q.into()),
            issuer: issuer.map(Into::into),
            issuers: None,
            limit: 10,
            offset: 0,
        });
        let names: Vec<&str> = page.items.iter().map(|e| e.def.name.as_str()).collect();
        assert_eq!(names, expected, "query {q:?}");
        assert_eq!(page.total, expected.len());
    }

    #[test]
    fn search_ranks_name_matches_first() {
        let mut c = Catalog::default();
        let rec = Arc::new(Vec::new());
        for (i, (n, d, comp, issuer)) in [
            (
                "Wait Time",
                "Pausing after a discussion question",
                "questioning",
                "did:a",
            ),
            (
                "Growth Mindset",
                "Fostering a growth mindset; questioning beliefs",
                "mindset",
                "did:b",
            ),
            (
                "Open-Ended Questions",
                "Eliciting thinking",
                "questioning",
                "did:a",
            ),
        ]
        .into_iter()
        .enumerate()
        {
            c.insert(
                format!("{i}"),
                issuer.into(),
                "t".into(),
                def(n, d, comp),
                rec.clone(),
            );
        }
        check(
            &c,
            "",
            None,
            &["Open-Ended Questions", "Growth Mindset", "Wait Time"],
        );
        check(
            &c,
            "question",
            None,
            &["Open-Ended Questions", "Growth Mindset", "Wait Time"],
        );
        check(
            &c,
            "QUESTIONING",
            Some("did:a"),
            &["Open-Ended Questions", "Wait Time"],
        );
        check(&c, "growth beliefs", None, &["Growth Mindset"]);
        check(&c, "nothing-like-this", None, &[]);
    }
}
