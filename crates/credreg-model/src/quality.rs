//! Quality standards: named, checkable rules over a credential definition, as states and
//! consortia write them (research-based, evidence-based, assessment-based; see `domain.md`).
//! Evaluation is pure and explains every rule's result in one sentence.

use crate::definition::{CredentialDef, EvidenceKind};
use crate::review::ReviewStatistics;
use crate::validate::{Errors, Validate};
use serde::{Deserialize, Serialize};

/// A published quality standard (the body of a future `QualityStandard` record).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QualityStandard {
    /// Name, e.g. "Arkansas Micro-credential Quality Standard 2026".
    pub name: String,
    /// The rules; a definition meets the standard when it passes every one.
    pub rules: Vec<QualityRule>,
}

/// One checkable rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "rule", rename_all = "snake_case", deny_unknown_fields)]
pub enum QualityRule {
    /// Research-based: cites at least `min` research sources.
    CitesResearch {
        /// Fewest citations.
        min: u32,
    },
    /// Evidence-based: requires this kind of evidence.
    RequiresEvidence {
        /// The kind.
        kind: EvidenceKind,
    },
    /// Assessment-based: scored with a rubric of at least `min` criteria, each with a passing
    /// level.
    RubricCriteria {
        /// Fewest criteria.
        min: u32,
    },
    /// Reviewed by at least `min` independent reviewers (with a tiebreak when `tiebreak`).
    Reviewers {
        /// Fewest reviewers.
        min: u8,
        /// A further reviewer must break ties.
        tiebreak: bool,
    },
    /// Reviewers must first complete a calibration credential.
    CalibratedReviewers,
    /// Measured: the first two reviewers agree on pass / not yet at least `min_percent` of the
    /// time, in the issuer's signed review statistics.
    ReviewAgreement {
        /// Least agreement, in percent.
        min_percent: u8,
    },
    /// Measured: the median time from submission to decision is at most `max_days`, in the
    /// issuer's signed review statistics.
    ReviewTurnaround {
        /// Most days.
        max_days: u16,
    },
}

/// The result of one rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleResult {
    /// The rule.
    pub rule: QualityRule,
    /// Whether the definition passes it.
    pub passed: bool,
    /// Why, in one sentence.
    pub reason: String,
}

/// A definition judged against a standard.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Evaluation {
    /// The standard's name.
    pub standard: String,
    /// Whether every rule passed.
    pub meets: bool,
    /// Each rule, in the standard's order.
    pub rules: Vec<RuleResult>,
}

impl Validate for QualityStandard {
    fn validate(&self, e: &mut Errors) {
        e.text("name", &self.name, 200);
        if self.rules.is_empty() {
            e.add("rules", "a standard needs at least one rule");
        }
        e.max_items("rules", &self.rules, 50);
    }
}

fn evidence_name(kind: EvidenceKind) -> &'static str {
    match kind {
        EvidenceKind::Overview => "answers to overview questions",
        EvidenceKind::Artifact => "classroom artifacts",
        EvidenceKind::Video => "classroom video",
        EvidenceKind::Reflection => "a written reflection",
        EvidenceKind::StudentReflection => "student reflections",
        EvidenceKind::Other => "other evidence",
    }
}

impl QualityRule {
    /// Whether `def` passes this rule (no explanation: the fast path for search); `reviews`
    /// are its issuer's signed review statistics, when held.
    pub fn passes(self, def: &CredentialDef, reviews: Option<&ReviewStatistics>) -> bool {
        match self {
            QualityRule::ReviewAgreement { min_percent } => reviews
                .and_then(|r| r.percent_agreement)
                .is_some_and(|a| a * 100.0 + 1e-9 >= f64::from(min_percent)),
            QualityRule::ReviewTurnaround { max_days } => reviews
                .and_then(|r| r.median_turnaround_days)
                .is_some_and(|d| d <= f64::from(max_days)),
            QualityRule::CitesResearch { min } => def.research_basis.len() >= min as usize,
            QualityRule::RequiresEvidence { kind } => {
                def.evidence_requirements.iter().any(|r| r.kind == kind)
            }
            QualityRule::RubricCriteria { min } => def.rubric.as_ref().is_some_and(|r| {
                r.criteria.len() >= min as usize
                    && r.criteria
                        .iter()
                        .all(|c| c.levels.iter().any(|l| l.passing))
            }),
            QualityRule::Reviewers { min, tiebreak } => def
                .review_policy
                .as_ref()
                .is_some_and(|p| p.reviewers >= min && (!tiebreak || p.tiebreak)),
            QualityRule::CalibratedReviewers => def
                .review_policy
                .as_ref()
                .is_some_and(|p| p.calibration_required),
        }
    }

    /// Judges `def` against this rule, with the reason.
    pub fn check(self, def: &CredentialDef, reviews: Option<&ReviewStatistics>) -> RuleResult {
        let (passed, reason) = match self {
            QualityRule::ReviewAgreement { min_percent } => {
                match reviews.and_then(|r| r.percent_agreement) {
                    None => (false, "publishes no measured reviewer agreement".to_owned()),
                    Some(a) => (
                        self.passes(def, reviews),
                        format!(
                            "its reviewers agreed {:.0}% of the time; the standard asks for at least {min_percent}%",
                            a * 100.0
                        ),
                    ),
                }
            }
            QualityRule::ReviewTurnaround { max_days } => {
                match reviews.and_then(|r| r.median_turnaround_days) {
                    None => (false, "publishes no measured review turnaround".to_owned()),
                    Some(d) => (
                        self.passes(def, reviews),
                        format!(
                            "its median review took {d:.1} days; the standard asks for at most {max_days}"
                        ),
                    ),
                }
            }
            QualityRule::CitesResearch { min } => {
                let n = def.research_basis.len();
                (
                    n >= min as usize,
                    format!("cites {n} research source(s); the standard asks for at least {min}"),
                )
            }
            QualityRule::RequiresEvidence { kind } => {
                let has = def.evidence_requirements.iter().any(|r| r.kind == kind);
                (
                    has,
                    if has {
                        format!("requires {}", evidence_name(kind))
                    } else {
                        format!("does not require {}", evidence_name(kind))
                    },
                )
            }
            QualityRule::RubricCriteria { min } => match &def.rubric {
                None => (false, "has no rubric".to_owned()),
                Some(r) => {
                    let n = r.criteria.len();
                    let all_passable = r
                        .criteria
                        .iter()
                        .all(|c| c.levels.iter().any(|l| l.passing));
                    (
                        n >= min as usize && all_passable,
                        if all_passable {
                            format!("has a rubric of {n} criteria; the standard asks for at least {min}")
                        } else {
                            format!("has a rubric of {n} criteria, but not every criterion has a passing level")
                        },
                    )
                }
            },
            QualityRule::Reviewers { min, tiebreak } => {
                match &def.review_policy {
                    None => (false, "states no review policy".to_owned()),
                    Some(p) => (
                        p.reviewers >= min && (!tiebreak || p.tiebreak),
                        format!(
                        "is reviewed by {} reviewer(s){}; the standard asks for at least {min}{}",
                        p.reviewers,
                        if p.tiebreak { " with a tiebreak" } else { " without a tiebreak" },
                        if tiebreak { " with a tiebreak" } else { "" }
                    ),
                    ),
                }
            }
            QualityRule::CalibratedReviewers => {
                let yes = def
                    .review_policy
                    .as_ref()
                    .is_some_and(|p| p.calibration_required);
                (
                    yes,
                    if yes {
                        "requires reviewers to complete calibration first".to_owned()
                    } else {
                        "does not require reviewer calibration".to_owned()
                    },
                )
            }
        };
        RuleResult {
            rule: self,
            passed,
            reason,
        }
    }
}

impl QualityStandard {
    /// Whether `def` meets every rule (the fast path for search).
    pub fn met_by(&self, def: &CredentialDef, reviews: Option<&ReviewStatistics>) -> bool {
        self.rules.iter().all(|r| r.passes(def, reviews))
    }

    /// Judges `def` against every rule.
    pub fn evaluate(&self, def: &CredentialDef, reviews: Option<&ReviewStatistics>) -> Evaluation {
        let rules: Vec<RuleResult> = self.rules.iter().map(|r| r.check(def, reviews)).collect();
        Evaluation {
            standard: self.name.clone(),
            meets: rules.iter().all(|r| r.passed),
            rules,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse_validated;

    #[test]
    fn the_fast_path_agrees_with_the_explained_one() {
        let s = standard();
        let bare = CredentialDef::new("Bare", "No research, no rubric", "Submit something");
        assert!(!s.met_by(&bare, None));
        assert_eq!(s.met_by(&bare, None), s.evaluate(&bare, None).meets);
        for rule in &s.rules {
            assert_eq!(
                rule.passes(&bare, None),
                rule.check(&bare, None).passed,
                "{rule:?}"
            );
        }
    }

    #[test]
    fn measured_rules_read_the_signed_statistics() {
        let def = CredentialDef::new("Wait Time", "Pausing after questions", "Submit a video");
        let stats = |agreement: Option<f64>, days: Option<f64>| ReviewStatistics {
            credential_id: "ab".repeat(32),
            submissions: 10,
            decisions: 10,
            first_attempt_pass_rate: None,
            mean_attempts: None,
            percent_agreement: agreement,
            kappa: None,
            median_turnaround_days: days,
            as_of: "2026-12-01T00:00:00Z".into(),
        };
        let agreement = QualityRule::ReviewAgreement { min_percent: 80 };
        let turnaround = QualityRule::ReviewTurnaround { max_days: 14 };
        let good = stats(Some(0.8), Some(9.5));
        let poor = stats(Some(0.7), Some(20.0));
        for (rule, reviews, passed) in [
            (agreement, None, false),
            (agreement, Some(&good), true),
            (agreement, Some(&poor), false),
            (turnaround, Some(&good), true),
            (turnaround, Some(&poor), false),
            (turnaround, Some(&stats(None, None)), false),
        ] {
            let r = rule.check(&def, reviews);
            assert_eq!(
                (r.passed, rule.passes(&def, reviews)),
                (passed, passed),
                "{r:?}"
            );
        }
        assert!(agreement.check(&def, Some(&poor)).reason.contains("70%"));
        let parsed: QualityRule =
            serde_json::from_str(r#"{"rule": "review_agreement", "min_percent": 80}"#)
                .expect("rule");
        assert_eq!(parsed, agreement);
    }

    fn standard() -> QualityStandard {
        serde_json::from_value(serde_json::json!({
            "name": "State quality standard",
            "rules": [
                {"rule": "cites_research", "min": 1},
                {"rule": "requires_evidence", "kind": "artifact"},
                {"rule": "requires_evidence", "kind": "reflection"},
                {"rule": "rubric_criteria", "min": 2},
                {"rule": "reviewers", "min": 2, "tiebreak": true}
            ]
        }))
        .expect("standard parses")
    }

    #[test]
    fn a_kettle_moraine_style_definition_meets_the_standard_and_a_bare_one_does_not() {
        let full: CredentialDef = parse_validated(
            serde_json::json!({
                "name": "Wait Time After Discussion Questions",
                "description": "Uses deliberate wait time after posing a question.",
                "criteria": {"narrative": "Submit a lesson plan, a video and a reflection."},
                "research_basis": [{"citation": "Rowe, M. B. (1986). Wait time. Journal of Teacher Education, 37(1), 43-50."}],
                "evidence_requirements": [
                    {"kind": "artifact", "description": "Lesson plan."},
                    {"kind": "reflection", "description": "500 words."}
                ],
                "rubric": {"criteria": [
                    {"name": "Planned pauses", "levels": [{"name": "Not yet"}, {"name": "Proficient", "passing": true}]},
                    {"name": "Reflection", "levels": [{"name": "Not yet"}, {"name": "Proficient", "passing": true}]}
                ]},
                "review_policy": {"reviewers": 2, "tiebreak": true}
            })
            .to_string()
            .as_bytes(),
        )
        .expect("valid definition");
        let e = standard().evaluate(&full, None);
        assert!(e.meets, "{e:?}");
        assert!(e.rules.iter().all(|r| r.passed));

        let bare = CredentialDef::new("Design Thinking", "Leads a design cycle.", "Submit a plan.");
        let e = standard().evaluate(&bare, None);
        assert!(!e.meets);
        let failed: Vec<&str> = e
            .rules
            .iter()
            .filter(|r| !r.passed)
            .map(|r| r.reason.as_str())
            .collect();
        assert_eq!(
            failed,
            [
                "cites 0 research source(s); the standard asks for at least 1",
                "does not require classroom artifacts",
                "does not require a written reflection",
                "has no rubric",
                "states no review policy"
            ]
        );
    }

    #[test]
    fn unknown_rules_are_refused() {
        let bad = serde_json::from_value::<QualityStandard>(serde_json::json!({
            "name": "x", "rules": [{"rule": "vibes", "min": 1}]
        }));
        assert!(bad.is_err());
    }
}
