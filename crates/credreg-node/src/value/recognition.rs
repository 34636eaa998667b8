//! Recognitions as records: a district publishes what other districts' credentials are worth
//! to it; every node replicates them, so a teacher can read in advance what transfers where.

use crate::error::{internal, NodeError};
use crate::node::{decode_record, Node, Published};
use crate::value::standards::StandardEntry;
use crate::CatalogEntry;
use credreg_model::{AppliesTo, Credit, Errors, Recognition, RecordKind, Validate};
use serde::Serialize;
use std::collections::HashMap;
use std::sync::Arc;

/// Decides whether a rule's `applies_to` covers a definition, for transfer reports and
/// quality profiles alike. Built once per request: it holds the quality standards and looks up
/// each issuer's membership once.
pub(crate) struct RuleMatcher<'n> {
    node: &'n Node,
    /// Every quality standard held.
    pub(crate) standards: Vec<StandardEntry>,
    members: HashMap<String, bool>,
    /// Per definition: the newest signed review statistics and their issuer.
    reviews: HashMap<String, (String, credreg_model::ReviewStatistics)>,
}

impl<'n> RuleMatcher<'n> {
    pub(crate) fn new(node: &'n Node) -> Result<Self, NodeError> {
        Ok(Self {
            standards: node.quality_standards()?,
            // A snapshot: the matcher is used while the counts' lock is held.
            reviews: node.catalog.stats()?.review_snapshot(),
            node,
            members: HashMap::new(),
        })
    }

    /// Whether `entry` meets the standard with record id `standard` (false if unknown),
    /// measured rules judged by its issuer's signed review statistics.
    pub(crate) fn meets(&self, standard: &str, entry: &CatalogEntry) -> bool {
        let Some(s) = self.standards.iter().find(|s| s.id == standard) else {
            return false;
        };
        let reviews = self
            .reviews
            .get(&entry.id)
            .filter(|(by, _)| *by == entry.issuer)
            .map(|(_, r)| r);
        s.standard.met_by(&entry.def, reviews)
    }

    /// Whether `applies_to` covers `entry`: the credential itself, a stack that lists it, or
    /// a credential of a current member of `federation` (this node's: the only one whose
    /// membership it can check) meeting the standard if one is named.
    pub(crate) fn covers(&mut self, applies_to: &AppliesTo, entry: &CatalogEntry) -> bool {
        match applies_to {
            AppliesTo::Credential { id } => *id == entry.id,
            AppliesTo::Stack { id } => self
                .node
                .stack(id)
                .ok()
                .flatten()
                .is_some_and(|s| s.stack.credentials.contains(&entry.id)),
            AppliesTo::Federation {
                federation,
                standard,
            } => {
                *federation == self.node.settings().federation.name
                    && standard.as_deref().is_none_or(|s| self.meets(s, entry))
                    && self.member(&entry.issuer)
            }
            // Outside issuers' badges have no definition in the catalogs; they are matched by
            // issuer and achievement id (`covers_outside`).
            AppliesTo::Outside { .. } => false,
        }
    }

    /// Whether a rule covers a badge of an issuer outside the federation.
    pub(crate) fn covers_outside(
        applies_to: &AppliesTo,
        issuer: &str,
        achievement: Option<&str>,
    ) -> bool {
        match applies_to {
            AppliesTo::Outside {
                issuer: named,
                achievement: only,
            } => named == issuer && only.as_deref().is_none_or(|a| Some(a) == achievement),
            _ => false,
        }
    }

    fn member(&mut self, did: &str) -> bool {
        if let Some(m) = self.members.get(did) {
            return *m;
        }
        let m = matches!(
            self.node.trust_of(did).status,
            crate::TrustStatus::Member | crate::TrustStatus::Anchor | crate::TrustStatus::ThisNode
        );
        self.members.insert(did.to_owned(), m);
        m
    }
}

/// A recognition rule this node holds.
#[derive(Debug, Clone, Serialize)]
pub struct RecognitionEntry {
    /// Record id.
    pub id: String,
    /// The district (or state) whose rule it is.
    pub issuer: String,
    /// When it was published.
    pub issued: String,
    /// The rule.
    #[serde(flatten)]
    pub recognition: Recognition,
}

impl Node {
    /// Publishes one of this node's recognition rules. Beyond the record's own shape, the
    /// things it names must exist here: the foreign credential or stack (someone else's), the
    /// local equivalent (ours), the quality standard; and a federation rule must name this
    /// node's federation, the only one whose membership this node can check.
    pub fn publish_recognition(&self, r: Recognition) -> Result<Published, NodeError> {
        let mut errors = Errors::default();
        r.validate(&mut errors);
        errors.finish()?;
        let mut errors = Errors::default();
        match &r.applies_to {
            AppliesTo::Credential { id } => match self.definition(id)? {
                None => errors.add("applies_to.id", "no such credential definition is known here"),
                Some(d) if d.issuer == self.did() => errors.add(
                    "applies_to.id",
                    "is one of this district's own credentials; recognitions are for other issuers'",
                ),
                Some(_) => {}
            },
            AppliesTo::Stack { id } => match self.stack(id)? {
                None => errors.add("applies_to.id", "no such stack is known here"),
                Some(s) if s.issuer == self.did() => errors.add(
                    "applies_to.id",
                    "is one of this district's own stacks; recognitions are for other issuers'",
                ),
                Some(_) => {}
            },
            AppliesTo::Federation {
                federation,
                standard,
            } => {
                let ours = &self.settings().federation.name;
                if federation != ours {
                    errors.add(
                        "applies_to.federation",
                        if ours.is_empty() {
                            "this node belongs to no federation, so it cannot check membership"
                                .to_owned()
                        } else {
                            format!("must be this node's federation `{ours}`: membership of others cannot be checked here")
                        },
                    );
                }
                if let Some(s) = standard {
                    if !self.quality_standards()?.iter().any(|q| &q.id == s) {
                        errors.add("applies_to.standard", "no such quality standard is known here");
                    }
                }
            }
            AppliesTo::Outside { issuer, .. } => {
                if issuer == self.did() {
                    errors.add("applies_to.issuer", "is this district itself");
                } else if matches!(
                    self.trust_of(issuer).status,
                    crate::TrustStatus::Member | crate::TrustStatus::Anchor
                ) {
                    errors.add(
                        "applies_to.issuer",
                        "is a member of this node's federation: name its credential, or the federation",
                    );
                }
            }
        }
        match &r.credit {
            Credit::Equivalent { credential } => match self.definition(credential)? {
                Some(d) if d.issuer == self.did() => {}
                _ => errors.add(
                    "credit.credential",
                    "must be one of this district's own credential definitions",
                ),
            },
            Credit::Amount { per, .. } => {
                if *per > 1 && matches!(r.applies_to, AppliesTo::Stack { .. }) {
                    errors.add("credit.per", "a stack is credited once; `per` must be 1");
                }
            }
        }
        errors.finish()?;
        let issued = self.now_rfc3339();
        let body = serde_json::to_value(&r).map_err(internal)?;
        let record = self.sign_record(RecordKind::Recognition, body, &issued)?;
        let id = self.store.put_record(&record)?;
        self.sign_checkpoint()?;
        Ok(Published {
            id,
            bytes: Arc::new(record.bytes),
        })
    }

    /// Recognition rules held here (own and replicated), oldest first; only `issuer`'s when
    /// given. A replicated rule that fails validation (another node's bug, or a hostile
    /// district: `per: 0`, a negative amount) is left out, so no report divides by it.
    pub fn recognitions(&self, issuer: Option<&str>) -> Result<Vec<RecognitionEntry>, NodeError> {
        let mut out = Vec::new();
        for item in self.store.records_of_kind(RecordKind::Recognition) {
            let (id, bytes) = item?;
            let Ok((rec, recognition)) = decode_record::<Recognition>(&bytes) else {
                continue;
            };
            if issuer.is_some_and(|i| i != rec.issuer) {
                continue;
            }
            let mut errors = Errors::default();
            recognition.validate(&mut errors);
            if errors.finish().is_err() {
                tracing::warn!(%id, issuer = %rec.issuer, "ignoring an invalid recognition rule");
                continue;
            }
            out.push(RecognitionEntry {
                id,
                issuer: rec.issuer,
                issued: rec.issued,
                recognition,
            });
        }
        Ok(out)
    }

    /// The rules in force now (only `issuer`'s when given).
    pub(crate) fn rules_in_force(
        &self,
        issuer: Option<&str>,
    ) -> Result<Vec<RecognitionEntry>, NodeError> {
        let now = self.now();
        let mut rules = self.recognitions(issuer)?;
        rules.retain(|r| r.recognition.in_force(now));
        Ok(rules)
    }
}
