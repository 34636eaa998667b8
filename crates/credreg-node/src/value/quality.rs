//! Quality in use: endorsements, the quality profile of a definition (standards met rule by
//! rule, endorsements, recognizing districts, award and review statistics) and quality
//! search. The standards themselves are records of their own (`standards.rs`).

use crate::catalog::stats::AwardStats;
use crate::error::{internal, NodeError};
use crate::node::{decode_record, Node, Published};
use crate::trust::Trust;
use crate::value::recognition::RuleMatcher;
use crate::value::standards::StandardEntry;
use crate::CatalogEntry;
use credreg_model::{CredentialDef, Endorsement, Errors, Evaluation, RecordKind, OB_V3, VC_V2};
use serde::Serialize;
use std::sync::Arc;

/// An endorsement as the quality profile shows it.
#[derive(Debug, Clone, Serialize)]
pub struct EndorsementView {
    /// Record id.
    pub id: String,
    /// The endorser.
    pub endorser: String,
    /// The endorser's trust status here.
    pub trust: Trust,
    /// The quality standard it was vetted against, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub standard: Option<String>,
    /// The comment.
    pub comment: String,
}

/// What the node can say about a definition's quality.
#[derive(Debug, Clone, Serialize)]
pub struct QualityProfile {
    /// What the definition itself declares.
    pub features: Features,
    /// The definition judged against every trusted publisher's standard.
    pub standards: Vec<StandardResult>,
    /// Who endorsed it (trusted or not: the trust status says).
    pub endorsements: Vec<EndorsementView>,
    /// Districts whose recognition rules in force give it value.
    pub recognized_by: Vec<String>,
    /// Awards issued and revoked, from the receipts and revocations replicated here, with
    /// review statistics when receipts carry them.
    pub awards: AwardStats,
    /// The review figures the issuer measured and signed (`ReviewStatistics`), if published.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub review: Option<credreg_model::ReviewStatistics>,
}

/// The quality-relevant features a definition declares.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Features {
    /// Research sources cited.
    pub research_citations: usize,
    /// Kinds of evidence required (`artifact`, `video`, `reflection`, ...).
    pub evidence: Vec<credreg_model::EvidenceKind>,
    /// Rubric criteria (0 without a rubric).
    pub rubric_criteria: usize,
    /// Reviewers per submission, if stated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reviewers: Option<u8>,
    /// A further reviewer breaks ties.
    pub tiebreak: bool,
    /// Reviewers must be calibrated first.
    pub calibrated_reviewers: bool,
    /// Expected hours of work, if stated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub effort_hours: Option<u32>,
}

impl Features {
    /// What `def` declares.
    pub fn of(def: &CredentialDef) -> Self {
        Self {
            research_citations: def.research_basis.len(),
            evidence: def.evidence_requirements.iter().map(|e| e.kind).collect(),
            rubric_criteria: def.rubric.as_ref().map_or(0, |r| r.criteria.len()),
            reviewers: def.review_policy.as_ref().map(|p| p.reviewers),
            tiebreak: def.review_policy.as_ref().is_some_and(|p| p.tiebreak),
            calibrated_reviewers: def
                .review_policy
                .as_ref()
                .is_some_and(|p| p.calibration_required),
            effort_hours: def.estimated_effort.as_ref().and_then(|e| e.hours),
        }
    }
}

/// A search hit's quality summary.
#[derive(Debug, Clone, Serialize)]
pub struct QualitySummary {
    /// Record ids of the trusted standards it meets.
    pub meets: Vec<String>,
    /// Endorsements held here.
    pub endorsements: u32,
    /// Districts recognizing it.
    pub recognized_by: usize,
    /// Award counts.
    pub awards: AwardStats,
}

/// One page of a quality-aware search.
#[derive(Debug, Clone)]
pub struct QualityPage {
    /// Hits in total.
    pub total: usize,
    /// This page: each definition with its quality summary.
    pub hits: Vec<(std::sync::Arc<CatalogEntry>, QualitySummary)>,
}

/// How to filter and order a quality-aware search.
#[derive(Debug, Clone, Default)]
pub struct QualityFilter {
    /// Only definitions meeting this standard (record id).
    pub meets: Option<String>,
    /// Only definitions with at least this many endorsements.
    pub min_endorsements: u32,
    /// Only definitions some district recognizes.
    pub recognized: bool,
    /// Order.
    pub sort: SortBy,
}

impl QualityFilter {
    /// Whether it neither filters nor orders by quality (a plain catalog search).
    pub fn is_plain(&self) -> bool {
        self.meets.is_none()
            && self.min_endorsements == 0
            && !self.recognized
            && self.sort == SortBy::Relevance
    }
}

/// Search orders.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SortBy {
    /// Name matches first, then newest (the catalog's order).
    #[default]
    Relevance,
    /// Most awards issued first.
    Awards,
    /// Most endorsements first.
    Endorsements,
    /// Recognized by the most districts first.
    Recognitions,
    /// By name.
    Name,
}

impl SortBy {
    /// Parses `relevance`, `awards`, `endorsements`, `recognitions` or `name`.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "relevance" => Self::Relevance,
            "awards" => Self::Awards,
            "endorsements" => Self::Endorsements,
            "recognitions" => Self::Recognitions,
            "name" => Self::Name,
            _ => return None,
        })
    }
}

/// A definition judged against one standard, with the standard's publisher and their trust.
#[derive(Debug, Clone, Serialize)]
pub struct StandardResult {
    /// The standard's record id.
    pub standard_id: String,
    /// Who published it.
    pub issuer: String,
    /// The publisher's trust status here.
    pub trust: Trust,
    /// Rule by rule.
    pub evaluation: Evaluation,
}

impl Node {
    /// Endorses a definition (record id) or an issuer (DID), optionally as vetted against a
    /// quality standard: an Open Badges 3.0 `EndorsementCredential` signed with
    /// `eddsa-rdfc-2022`, published in this node's log inside an `Endorsement` record.
    pub fn endorse(
        &self,
        subject: &str,
        standard: Option<String>,
        comment: &str,
    ) -> Result<Published, NodeError> {
        let mut errors = Errors::default();
        errors.text("comment", comment, 2_000);
        let subject_iri = if subject.starts_with("did:") {
            subject.to_owned()
        } else if self.definition(subject)?.is_some() {
            self.credential_url(subject)
        } else {
            errors.add(
                "subject",
                "must be a known credential definition id or an issuer DID",
            );
            String::new()
        };
        if let Some(s) = &standard {
            if !self.quality_standards()?.iter().any(|q| &q.id == s) {
                errors.add(
                    "standard",
                    "must be the record id of a known quality standard",
                );
            }
        }
        errors.finish()?;
        let now = self.now_rfc3339();
        let credential = serde_json::json!({
            "@context": [VC_V2, OB_V3],
            "id": self.settings().env.urn_uuid(),
            "type": ["VerifiableCredential", "EndorsementCredential"],
            "name": format!("Endorsement by {}", self.settings().name),
            "issuer": {"id": self.did(), "type": ["Profile"], "name": self.settings().name},
            "validFrom": now,
            "credentialSubject": {
                "id": subject_iri,
                "type": ["EndorsementSubject"],
                "endorsementComment": comment
            }
        });
        let signed = self.sign_credential(&credential, &now)?;
        let body = serde_json::to_value(Endorsement {
            subject: subject.to_owned(),
            standard,
            comment: comment.to_owned(),
            credential: signed,
        })
        .map_err(internal)?;
        let record = self.sign_record(RecordKind::Endorsement, body, &now)?;
        let id = self.store.put_record(&record)?;
        self.catalog.stats_mut()?.endorsed(subject);
        self.sign_checkpoint()?;
        Ok(Published {
            id,
            bytes: Arc::new(record.bytes),
        })
    }

    /// The quality profile of definition `id` (`None` if the definition is unknown).
    pub fn quality_profile(&self, id: &str) -> Result<Option<QualityProfile>, NodeError> {
        let Some(entry) = self.definition(id)? else {
            return Ok(None);
        };
        let mut endorsements = Vec::new();
        for item in self.store.records_of_kind(RecordKind::Endorsement) {
            let (rid, bytes) = item?;
            let (rec, e) = decode_record::<Endorsement>(&bytes)?;
            if e.subject == id {
                endorsements.push(EndorsementView {
                    id: rid,
                    trust: self.trust_of(&rec.issuer),
                    endorser: rec.issuer,
                    standard: e.standard,
                    comment: e.comment,
                });
            }
        }
        let mut matcher = RuleMatcher::new(self)?;
        let rules = self.rules_in_force(None)?;
        let recognized_by = recognized_by(&entry, &rules, &mut matcher);
        let awards = self.catalog.stats()?.awards(id);
        Ok(Some(QualityProfile {
            features: Features::of(&entry.def),
            standards: self.judged_by_trusted(&entry, matcher.standards),
            endorsements,
            recognized_by,
            awards,
            review: self.review_statistics_of(&entry),
        }))
    }

    /// A quality-aware search: the catalog search (`federation`: every trusted issuer's
    /// definitions), filtered and ordered by `filter`, one page of hits with their quality
    /// summary.
    pub fn search_quality(
        &self,
        query: crate::SearchQuery,
        federation: bool,
        filter: &QualityFilter,
    ) -> Result<QualityPage, NodeError> {
        let mut matcher = RuleMatcher::new(self)?;
        let rules = self.rules_in_force(None)?;
        let trusted_standards: Vec<usize> = matcher
            .standards
            .iter()
            .enumerate()
            .filter(|(_, s)| self.trust_of(&s.issuer).status.is_trusted())
            .map(|(i, _)| i)
            .collect();
        if let Some(m) = &filter.meets {
            if !matcher.standards.iter().any(|s| &s.id == m) {
                return Err(NodeError::NotFound {
                    what: "quality standard",
                    id: m.clone(),
                });
            }
        }
        let stats = self.catalog.stats()?;
        let (total, page) = if filter.is_plain() {
            // Nothing to filter or order by: the catalog pages itself, and only the page gets
            // quality summaries (materializing every hit tripled a plain search's time).
            let page = self.search_scoped(query, federation)?;
            let hits: Vec<(std::sync::Arc<CatalogEntry>, Option<usize>)> =
                page.items.into_iter().map(|e| (e, None)).collect();
            (page.total, hits)
        } else {
            let (limit, offset) = (query.limit, query.offset);
            let all = self.search_scoped(
                crate::SearchQuery {
                    limit: usize::MAX,
                    offset: 0,
                    ..query
                },
                federation,
            )?;
            let need_recognitions = filter.recognized || filter.sort == SortBy::Recognitions;
            let mut hits: Vec<(std::sync::Arc<CatalogEntry>, Option<usize>)> = Vec::new();
            for e in all.items {
                if filter
                    .meets
                    .as_deref()
                    .is_some_and(|m| !matcher.meets(m, &e))
                {
                    continue;
                }
                if stats.endorsement_count(&e.id) < filter.min_endorsements {
                    continue;
                }
                // Counted here only when filtering or sorting needs it; otherwise for the page.
                let recognitions =
                    need_recognitions.then(|| recognized_by(&e, &rules, &mut matcher).len());
                if filter.recognized && recognitions == Some(0) {
                    continue;
                }
                hits.push((e, recognitions));
            }
            match filter.sort {
                SortBy::Relevance => {}
                SortBy::Awards => {
                    hits.sort_by_key(|(e, _)| std::cmp::Reverse(stats.issued_count(&e.id)))
                }
                SortBy::Endorsements => {
                    hits.sort_by_key(|(e, _)| std::cmp::Reverse(stats.endorsement_count(&e.id)))
                }
                SortBy::Recognitions => hits.sort_by_key(|(_, r)| std::cmp::Reverse(*r)),
                SortBy::Name => hits.sort_by(|(a, _), (b, _)| a.def.name.cmp(&b.def.name)),
            }
            let total = hits.len();
            (total, hits.into_iter().skip(offset).take(limit).collect())
        };
        let mut out = Vec::with_capacity(page.len());
        for (e, recognitions) in page {
            let summary = QualitySummary {
                meets: trusted_standards
                    .iter()
                    .map(|&i| &matcher.standards[i])
                    .filter(|s| {
                        s.standard
                            .met_by(&e.def, stats.review_statistics(&e.id, &e.issuer))
                    })
                    .map(|s| s.id.clone())
                    .collect(),
                endorsements: stats.endorsement_count(&e.id),
                recognized_by: recognitions
                    .unwrap_or_else(|| recognized_by(&e, &rules, &mut matcher).len()),
                awards: stats.awards(&e.id),
            };
            out.push((e, summary));
        }
        Ok(QualityPage { total, hits: out })
    }

    /// The newest review statistics `entry`'s own issuer signed for it.
    fn review_statistics_of(
        &self,
        entry: &CatalogEntry,
    ) -> Option<credreg_model::ReviewStatistics> {
        self.catalog
            .stats()
            .ok()?
            .review_statistics(&entry.id, &entry.issuer)
            .cloned()
    }

    /// Judges definition `id` against standard `standard` (any known standard, trusted or
    /// not; `None` if either is unknown).
    pub fn evaluate(&self, id: &str, standard: &str) -> Result<Option<StandardResult>, NodeError> {
        let Some(entry) = self.definition(id)? else {
            return Ok(None);
        };
        Ok(self
            .quality_standards()?
            .into_iter()
            .find(|s| s.id == standard)
            .map(|s| StandardResult {
                evaluation: s
                    .standard
                    .evaluate(&entry.def, self.review_statistics_of(&entry).as_ref()),
                trust: self.trust_of(&s.issuer),
                standard_id: s.id,
                issuer: s.issuer,
            }))
    }

    /// `entry` judged against every standard (of `standards`) whose publisher this node
    /// trusts.
    fn judged_by_trusted(
        &self,
        entry: &CatalogEntry,
        standards: Vec<StandardEntry>,
    ) -> Vec<StandardResult> {
        let reviews = self.review_statistics_of(entry);
        standards
            .into_iter()
            .filter_map(|s| {
                let trust = self.trust_of(&s.issuer);
                trust.status.is_trusted().then(|| StandardResult {
                    evaluation: s.standard.evaluate(&entry.def, reviews.as_ref()),
                    standard_id: s.id,
                    issuer: s.issuer,
                    trust,
                })
            })
            .collect()
    }
}

/// Districts (other than its issuer) with a rule in force that gives `entry` value.
fn recognized_by(
    entry: &CatalogEntry,
    rules: &[crate::RecognitionEntry],
    matcher: &mut RuleMatcher<'_>,
) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for rule in rules {
        if rule.issuer != entry.issuer
            && !out.contains(&rule.issuer)
            && matcher.covers(&rule.recognition.applies_to, entry)
        {
            out.push(rule.issuer.clone());
        }
    }
    out
}
