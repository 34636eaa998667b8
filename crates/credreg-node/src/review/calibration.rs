//! Calibration: before reviewing a credential whose policy asks for it, a reviewer scores its
//! calibration set (sample submissions a coordinator scored for reference) and is calibrated
//! when their levels agree with the references often enough (Arkansas' inter-rater
//! reliability credential, in `domain.md`).

use super::decide::check_scores;
use super::people::{Actor, PersonRole};
use super::submission::{CriterionScore, EvidenceItem};
use crate::error::{internal, NodeError};
use crate::node::Node;
use credreg_model::{Errors, Rubric, Validate};
use credreg_store::Family;
use serde::{Deserialize, Serialize};

/// One sample submission with the levels it should get.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalibrationSample {
    /// The evidence (links, answers, reflections).
    pub items: Vec<EvidenceItem>,
    /// The reference level per rubric criterion.
    pub reference: Vec<usize>,
}

/// A definition's calibration set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalibrationSet {
    /// The definition.
    pub credential_id: String,
    /// Least share of criterion levels (over all samples) that must match the references.
    pub min_agreement_percent: u8,
    /// The samples (1 to 20).
    pub samples: Vec<CalibrationSample>,
}

/// A calibration set as a reviewer sees it: the samples without their references.
#[derive(Debug, Clone, Serialize)]
pub struct CalibrationView {
    /// The definition.
    pub credential_id: String,
    /// Its rubric.
    pub rubric: Rubric,
    /// The threshold.
    pub min_agreement_percent: u8,
    /// Each sample's evidence, in order.
    pub samples: Vec<Vec<EvidenceItem>>,
}

/// The outcome of a calibration attempt.
#[derive(Debug, Clone, Serialize)]
pub struct CalibrationResult {
    /// Share of criterion levels that matched the references.
    pub agreement: f64,
    /// Whether the reviewer is now calibrated for the definition.
    pub calibrated: bool,
    /// Per sample: whether the reviewer's pass / not yet matched the reference's.
    pub samples_matched: Vec<bool>,
}

impl Node {
    /// Sets (or replaces) a definition's calibration set (coordinators).
    pub fn set_calibration_set(&self, actor: &Actor, set: CalibrationSet) -> Result<(), NodeError> {
        actor.require_coordinator()?;
        let (_, rubric, _) = self.reviewable(&set.credential_id)?;
        let mut e = Errors::default();
        if !(1..=20).contains(&set.samples.len()) {
            e.add("samples", "give 1 to 20 samples");
        }
        if !(1..=100).contains(&set.min_agreement_percent) {
            e.add("min_agreement_percent", "must be from 1 to 100");
        }
        for (i, sample) in set.samples.iter().enumerate() {
            if sample.items.is_empty() {
                e.add(&format!("samples[{i}].items"), "a sample needs evidence");
            }
            for (j, item) in sample.items.iter().enumerate() {
                e.nested(&format!("samples[{i}].items[{j}]"), |e| item.validate(e));
            }
            let as_scores: Vec<CriterionScore> = sample
                .reference
                .iter()
                .map(|l| CriterionScore {
                    level: *l,
                    comment: String::new(),
                })
                .collect();
            e.nested(&format!("samples[{i}].reference"), |e| {
                check_scores(&rubric, &as_scores, e)
            });
        }
        e.finish()?;
        let bytes = serde_json::to_vec(&set).map_err(internal)?;
        self.store
            .put_document(Family::Calibrations, &set.credential_id, &bytes)?;
        Ok(())
    }

    fn stored_calibration_set(&self, credential_id: &str) -> Result<CalibrationSet, NodeError> {
        let bytes = self
            .store
            .document(Family::Calibrations, credential_id)?
            .ok_or_else(|| NodeError::NotFound {
                what: "calibration set",
                id: credential_id.to_owned(),
            })?;
        serde_json::from_slice(&bytes).map_err(|e| internal(format!("calibration set: {e}")))
    }

    /// A definition's calibration set without its references (reviewers and coordinators).
    pub fn calibration_set(
        &self,
        actor: &Actor,
        credential_id: &str,
    ) -> Result<CalibrationView, NodeError> {
        if !actor.has(PersonRole::Reviewer) && !actor.is_coordinator() {
            return Err(NodeError::Forbidden("Only reviewers calibrate.".to_owned()));
        }
        let (_, rubric, _) = self.reviewable(credential_id)?;
        let set = self.stored_calibration_set(credential_id)?;
        Ok(CalibrationView {
            credential_id: set.credential_id,
            rubric,
            min_agreement_percent: set.min_agreement_percent,
            samples: set.samples.into_iter().map(|s| s.items).collect(),
        })
    }

    /// The signed-in reviewer scores the calibration set (`levels`: one list per sample, one
    /// level per criterion); at the threshold or above, they are calibrated for it.
    pub fn attempt_calibration(
        &self,
        actor: &Actor,
        credential_id: &str,
        levels: Vec<Vec<usize>>,
    ) -> Result<CalibrationResult, NodeError> {
        let me = match actor.person() {
            Some(id) if actor.has(PersonRole::Reviewer) => id.to_owned(),
            _ => {
                return Err(NodeError::Forbidden(
                    "Only a reviewer calibrates.".to_owned(),
                ))
            }
        };
        let (_, rubric, _) = self.reviewable(credential_id)?;
        let set = self.stored_calibration_set(credential_id)?;
        let mut e = Errors::default();
        if levels.len() != set.samples.len() {
            e.add(
                "levels",
                format!("give one list per sample ({})", set.samples.len()),
            );
        }
        for (i, l) in levels.iter().enumerate() {
            let as_scores: Vec<CriterionScore> = l
                .iter()
                .map(|level| CriterionScore {
                    level: *level,
                    comment: String::new(),
                })
                .collect();
            e.nested(&format!("levels[{i}]"), |e| {
                check_scores(&rubric, &as_scores, e)
            });
        }
        e.finish()?;
        let (mut matched, mut total) = (0usize, 0usize);
        let mut samples_matched = Vec::new();
        for (given, sample) in levels.iter().zip(&set.samples) {
            for (g, r) in given.iter().zip(&sample.reference) {
                total += 1;
                matched += usize::from(g == r);
            }
            samples_matched.push(
                super::decide::passes(&rubric, given)
                    == super::decide::passes(&rubric, &sample.reference),
            );
        }
        let agreement = if total == 0 {
            0.0
        } else {
            matched as f64 / total as f64
        };
        let calibrated = agreement * 100.0 + 1e-9 >= f64::from(set.min_agreement_percent);
        if calibrated {
            self.set_calibrated(&Actor::Operator, &me, credential_id, true)?;
        }
        Ok(CalibrationResult {
            agreement: (agreement * 10_000.0).round() / 10_000.0,
            calibrated,
            samples_matched,
        })
    }
}
