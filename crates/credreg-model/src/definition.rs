//! Credential definitions (catalog entries) and stacks.
//!
//! A [`CredentialDef`] is an Open Badges 3.0 `Achievement` (name, description, criteria) plus
//! what districts use to judge and value a micro-credential: competency, key method, research
//! basis, evidence requirements, rubric, review policy, effort and local value (see `domain.md`).

use crate::validate::{Errors, Validate};
use serde::{Deserialize, Serialize};

/// Lengths that keep one record small enough to gossip and to show on a page.
const NAME_MAX: usize = 200;
const TEXT_MAX: usize = 10_000;
const SHORT_MAX: usize = 500;
const LIST_MAX: usize = 50;

/// A micro-credential in a district's catalog.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CredentialDef {
    /// Title, e.g. "Wait Time After Discussion Questions".
    // Required fields default to empty so that validation, not deserialization, reports them:
    // a form with three missing fields gets three errors, not one.
    #[serde(default)]
    pub name: String,
    /// What the earner can do.
    #[serde(default)]
    pub description: String,
    /// How it is earned.
    #[serde(default)]
    pub criteria: Criteria,
    /// The one teaching skill it certifies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub competency: Option<String>,
    /// The method the teacher applies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_method: Option<String>,
    /// Components of the method.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub method_components: Vec<String>,
    /// Research behind the method.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub research_basis: Vec<Citation>,
    /// Learning resources.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<ResourceLink>,
    /// What the teacher must submit.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub evidence_requirements: Vec<EvidenceRequirement>,
    /// How the evidence is scored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rubric: Option<Rubric>,
    /// Who reviews and how disagreements are settled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review_policy: Option<ReviewPolicy>,
    /// Expected effort.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub estimated_effort: Option<Effort>,
    /// What earning it is worth at the issuing district.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local_value: Option<LocalValue>,
    /// Free-form keywords.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Version label, e.g. "1.0".
    #[serde(default = "default_version")]
    pub version: String,
    /// Lifecycle status.
    #[serde(default)]
    pub status: DefStatus,
}

impl CredentialDef {
    /// A definition with the three required fields and every optional one empty.
    pub fn new(
        name: impl Into<String>,
        description: impl Into<String>,
        narrative: impl Into<String>,
    ) -> Self {
        Self {
            name: name.into(),
            description: description.into(),
            criteria: Criteria {
                narrative: narrative.into(),
            },
            competency: None,
            key_method: None,
            method_components: vec![],
            research_basis: vec![],
            resources: vec![],
            evidence_requirements: vec![],
            rubric: None,
            review_policy: None,
            estimated_effort: None,
            local_value: None,
            tags: vec![],
            version: default_version(),
            status: DefStatus::Active,
        }
    }
}

fn default_version() -> String {
    "1.0".into()
}

/// OB 3.0 `Criteria`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Criteria {
    /// Narrative of what earning requires (Markdown allowed, as in OB 3.0).
    #[serde(default)]
    pub narrative: String,
}

/// A research citation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Citation {
    /// Full citation text.
    pub citation: String,
    /// Link, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// A learning resource.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResourceLink {
    /// Title.
    pub name: String,
    /// Link.
    pub url: String,
}

/// Kinds of evidence the field asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EvidenceKind {
    /// Answers to overview questions.
    Overview,
    /// Classroom artifacts: lesson plans, student work.
    Artifact,
    /// Classroom video.
    Video,
    /// The teacher's written reflection.
    Reflection,
    /// Students' reflections.
    StudentReflection,
    /// Anything else.
    Other,
}

/// One thing the teacher must submit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvidenceRequirement {
    /// Kind.
    pub kind: EvidenceKind,
    /// What exactly.
    pub description: String,
}

/// A scoring rubric: an earner must reach a passing level on every criterion.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rubric {
    /// Criteria.
    pub criteria: Vec<RubricCriterion>,
}

/// One rubric criterion.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RubricCriterion {
    /// Name.
    pub name: String,
    /// What is judged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Levels, lowest first.
    pub levels: Vec<RubricLevel>,
}

/// One level of a rubric criterion.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RubricLevel {
    /// Name, e.g. "Not yet", "Proficient".
    pub name: String,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Whether reaching this level passes the criterion.
    #[serde(default)]
    pub passing: bool,
}

/// How submissions are reviewed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReviewPolicy {
    /// Independent reviewers per submission.
    pub reviewers: u8,
    /// Whether a further reviewer breaks ties.
    #[serde(default)]
    pub tiebreak: bool,
    /// Whether reviewers must hold a calibration credential first.
    #[serde(default)]
    pub calibration_required: bool,
    /// Whether a committee must pre-approve before a teacher starts (for it to count for pay).
    #[serde(default)]
    pub pre_approval_required: bool,
    /// Whether reviewers see neither the teacher nor each other's scores before the decision
    /// (default: blind).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blind: Option<bool>,
    /// Submissions a teacher may make (default 3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attempts: Option<u8>,
    /// Business days a reviewer has (default 14); an overdue review is reassigned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_business_days: Option<u16>,
    /// Conflict rule: a reviewer may not work at the teacher's school.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub different_school: bool,
    /// On "not yet", criteria already met stay met for the resubmission.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub keep_met_criteria: bool,
    /// Reviewers claim submissions from a pool instead of being assigned the least loaded.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub pool: bool,
    /// With `calibration_required`: a credential of this node (record id) whose earners count
    /// as calibrated (a reviewer-training badge), besides scoring the calibration set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calibration_credential: Option<String>,
}

impl ReviewPolicy {
    /// One reviewer, blind, three attempts, 14 business days: what a definition without a
    /// policy gets.
    pub fn single() -> Self {
        ReviewPolicy {
            reviewers: 1,
            tiebreak: false,
            calibration_required: false,
            pre_approval_required: false,
            blind: None,
            attempts: None,
            due_business_days: None,
            different_school: false,
            keep_met_criteria: false,
            pool: false,
            calibration_credential: None,
        }
    }

    /// Whether reviewers are blind (the default).
    pub fn is_blind(&self) -> bool {
        self.blind.unwrap_or(true)
    }

    /// Submissions allowed.
    pub fn max_attempts(&self) -> u8 {
        self.attempts.unwrap_or(3)
    }

    /// Business days a reviewer has.
    pub fn due_days(&self) -> u16 {
        self.due_business_days.unwrap_or(14)
    }
}

/// Expected effort.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Effort {
    /// Hours of work.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hours: Option<u32>,
    /// Calendar weeks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weeks: Option<u32>,
}

/// Units districts pay credentials in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ValueUnit {
    /// US dollars added to base pay (Kettle Moraine: $200/$400/$600).
    Dollars,
    /// In-service hours (Lake County: 4 per credential).
    InServiceHours,
    /// Continuing-education points (Seminole County: 6).
    CePoints,
    /// Continuing professional development units (Baltimore County).
    CpdUnits,
}

/// An amount in a unit.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LocalValue {
    /// Amount (non-negative).
    pub amount: f64,
    /// Unit.
    pub unit: ValueUnit,
}

/// Lifecycle of a definition.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DefStatus {
    /// Being written; not awardable.
    Draft,
    /// Awardable.
    #[default]
    Active,
    /// No longer awarded; existing awards stay valid.
    Retired,
}

impl Validate for CredentialDef {
    fn validate(&self, e: &mut Errors) {
        e.text("name", &self.name, NAME_MAX);
        e.text("description", &self.description, TEXT_MAX);
        e.text("criteria.narrative", &self.criteria.narrative, TEXT_MAX);
        if let Some(c) = &self.competency {
            e.text("competency", c, SHORT_MAX);
        }
        if let Some(k) = &self.key_method {
            e.text("key_method", k, SHORT_MAX);
        }
        e.max_items("method_components", &self.method_components, LIST_MAX);
        for (i, m) in self.method_components.iter().enumerate() {
            e.text(&format!("method_components[{i}]"), m, SHORT_MAX);
        }
        e.max_items("research_basis", &self.research_basis, LIST_MAX);
        for (i, c) in self.research_basis.iter().enumerate() {
            e.nested(&format!("research_basis[{i}]"), |e| {
                e.text("citation", &c.citation, SHORT_MAX * 2);
                if let Some(u) = &c.url {
                    e.url("url", u);
                }
            });
        }
        e.max_items("resources", &self.resources, LIST_MAX);
        for (i, r) in self.resources.iter().enumerate() {
            e.nested(&format!("resources[{i}]"), |e| {
                e.text("name", &r.name, NAME_MAX);
                e.url("url", &r.url);
            });
        }
        e.max_items(
            "evidence_requirements",
            &self.evidence_requirements,
            LIST_MAX,
        );
        for (i, r) in self.evidence_requirements.iter().enumerate() {
            e.text(
                &format!("evidence_requirements[{i}].description"),
                &r.description,
                SHORT_MAX * 2,
            );
        }
        if let Some(r) = &self.rubric {
            e.nested("rubric", |e| r.validate(e));
        }
        if let Some(p) = &self.review_policy {
            if !(1..=9).contains(&p.reviewers) {
                e.add("review_policy.reviewers", "must be between 1 and 9");
            }
            if p.attempts.is_some_and(|a| !(1..=10).contains(&a)) {
                e.add("review_policy.attempts", "must be between 1 and 10");
            }
            if p.due_business_days.is_some_and(|d| !(1..=120).contains(&d)) {
                e.add(
                    "review_policy.due_business_days",
                    "must be between 1 and 120",
                );
            }
            if p.calibration_credential
                .as_deref()
                .is_some_and(|c| !crate::is_record_id(c))
            {
                e.add(
                    "review_policy.calibration_credential",
                    "must be a credential id (64 lowercase hex digits)",
                );
            }
            if p.tiebreak && p.reviewers < 2 {
                e.add(
                    "review_policy.tiebreak",
                    "a tiebreak needs at least 2 reviewers",
                );
            }
        }
        if let Some(effort) = &self.estimated_effort {
            if effort.hours.is_none() && effort.weeks.is_none() {
                e.add("estimated_effort", "give hours, weeks or both");
            }
            if effort.weeks.is_some_and(|w| w > 104) {
                e.add("estimated_effort.weeks", "at most 104 weeks");
            }
            if effort.hours.is_some_and(|h| h > 2_000) {
                e.add("estimated_effort.hours", "at most 2000 hours");
            }
        }
        if let Some(v) = &self.local_value {
            e.nested("local_value", |e| v.validate(e));
        }
        e.max_items("tags", &self.tags, LIST_MAX);
        for (i, t) in self.tags.iter().enumerate() {
            e.text(&format!("tags[{i}]"), t, 64);
        }
        e.text("version", &self.version, 32);
    }
}

impl Validate for Rubric {
    fn validate(&self, e: &mut Errors) {
        if self.criteria.is_empty() {
            e.add("criteria", "a rubric needs at least one criterion");
        }
        e.max_items("criteria", &self.criteria, LIST_MAX);
        for (i, c) in self.criteria.iter().enumerate() {
            e.nested(&format!("criteria[{i}]"), |e| {
                e.text("name", &c.name, NAME_MAX);
                if c.levels.len() < 2 {
                    e.add("levels", "a criterion needs at least two levels");
                }
                e.max_items("levels", &c.levels, 10);
                if !c.levels.iter().any(|l| l.passing) {
                    e.add("levels", "at least one level must be passing");
                }
                for (j, l) in c.levels.iter().enumerate() {
                    e.text(&format!("levels[{j}].name"), &l.name, NAME_MAX);
                }
            });
        }
    }
}

impl Validate for LocalValue {
    fn validate(&self, e: &mut Errors) {
        if !self.amount.is_finite() || self.amount < 0.0 || self.amount > 1_000_000.0 {
            e.add("amount", "must be a number from 0 to 1,000,000");
        }
    }
}

/// A named set of credentials that together show a broader skill.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Stack {
    /// Name, e.g. "Basic Performance Assessment Design".
    #[serde(default)]
    pub name: String,
    /// What completing it shows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Completion rule.
    pub rule: StackRule,
    /// Credential definition ids (64 hex digits each).
    #[serde(default)]
    pub credentials: Vec<String>,
    /// What completing it is worth.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<LocalValue>,
}

/// "All of these" or "any N of these".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum StackRule {
    /// Every listed credential.
    AllOf,
    /// At least `n` of them.
    AnyOf {
        /// How many.
        n: u32,
    },
}

impl Stack {
    /// Whether holding `held` (definition ids) completes this stack.
    pub fn completed_by<'a>(&self, held: impl IntoIterator<Item = &'a str>) -> bool {
        let held: std::collections::HashSet<&str> = held.into_iter().collect();
        let have = self
            .credentials
            .iter()
            .filter(|c| held.contains(c.as_str()))
            .count();
        match self.rule {
            StackRule::AllOf => have == self.credentials.len(),
            StackRule::AnyOf { n } => have >= n as usize,
        }
    }
}

/// Whether `s` looks like a record id: 64 lowercase hex digits (blake3).
pub fn is_record_id(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

impl Validate for Stack {
    fn validate(&self, e: &mut Errors) {
        e.text("name", &self.name, NAME_MAX);
        if let Some(d) = &self.description {
            e.max_len("description", d, TEXT_MAX);
        }
        if self.credentials.is_empty() {
            e.add("credentials", "a stack needs at least one credential");
        }
        e.max_items("credentials", &self.credentials, 100);
        let mut seen = std::collections::HashSet::new();
        for (i, c) in self.credentials.iter().enumerate() {
            if !is_record_id(c) {
                e.add(
                    &format!("credentials[{i}]"),
                    "must be a credential id (64 lowercase hex digits)",
                );
            } else if !seen.insert(c) {
                e.add(&format!("credentials[{i}]"), "is listed twice");
            }
        }
        if let StackRule::AnyOf { n } = self.rule {
            if n == 0 || n as usize > self.credentials.len() {
                e.add(
                    "rule.n",
                    format!("must be between 1 and {}", self.credentials.len()),
                );
            }
        }
        if let Some(v) = &self.value {
            e.nested("value", |e| v.validate(e));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::parse_validated;

    fn check(json: &str, expected_fields: &[&str]) {
        match parse_validated::<CredentialDef>(json.as_bytes()) {
            Ok(_) => assert!(
                expected_fields.is_empty(),
                "expected errors {expected_fields:?}"
            ),
            Err(inv) => {
                let got: Vec<&str> = inv.0.iter().map(|f| f.field.as_str()).collect();
                assert_eq!(got, expected_fields, "{inv}");
            }
        }
    }

    #[test]
    fn definitions_are_validated_field_by_field() {
        check(
            r#"{"name":"Wait Time","description":"d","criteria":{"narrative":"n"}}"#,
            &[],
        );
        check(
            r#"{"name":" ","description":"","criteria":{"narrative":"n"}}"#,
            &["name", "description"],
        );
        check(
            r#"{"name":"x","description":"d","criteria":{"narrative":"n"},"rubric":{"criteria":[{"name":"c","levels":[{"name":"only"}]}]}}"#,
            &["rubric.criteria[0].levels", "rubric.criteria[0].levels"],
        );
        check(
            r#"{"name":"x","description":"d","criteria":{"narrative":"n"},"resources":[{"name":"r","url":"ftp://x"}],"local_value":{"amount":-1,"unit":"dollars"}}"#,
            &["resources[0].url", "local_value.amount"],
        );
        check(
            r#"{"criteria":{}}"#,
            &["name", "description", "criteria.narrative"],
        );
        check(
            r#"{"name":"x","description":"d","criteria":{"narrative":"n"},"colour":"red"}"#,
            &["colour"],
        );
        check(
            r#"{"name":"x","description":"d","criteria":{"narrative":"n"},"local_value":{"amount":1,"unit":"yen"}}"#,
            &["local_value.unit"],
        );
    }

    #[test]
    fn stacks_check_rule_and_ids() {
        let id = "a".repeat(64);
        let ok =
            format!(r#"{{"name":"s","rule":{{"kind":"any_of","n":1}},"credentials":["{id}"]}}"#);
        assert!(parse_validated::<Stack>(ok.as_bytes()).is_ok());
        let bad = format!(
            r#"{{"name":"s","rule":{{"kind":"any_of","n":3}},"credentials":["{id}","{id}","nothex"]}}"#
        );
        let err = parse_validated::<Stack>(bad.as_bytes()).expect_err("must fail");
        let fields: Vec<_> = err.0.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["credentials[1]", "credentials[2]"]);
        let bad_n =
            format!(r#"{{"name":"s","rule":{{"kind":"any_of","n":0}},"credentials":["{id}"]}}"#);
        let err = parse_validated::<Stack>(bad_n.as_bytes()).expect_err("must fail");
        assert_eq!(err.0[0].field, "rule.n");
    }

    #[test]
    fn stack_completion() {
        let a = "a".repeat(64);
        let b = "b".repeat(64);
        let all = Stack {
            name: "s".into(),
            description: None,
            rule: StackRule::AllOf,
            credentials: vec![a.clone(), b.clone()],
            value: None,
        };
        assert!(!all.completed_by([a.as_str()]));
        assert!(all.completed_by([a.as_str(), b.as_str()]));
        let any = Stack {
            rule: StackRule::AnyOf { n: 1 },
            ..all
        };
        assert!(any.completed_by([b.as_str()]));
        assert!(!any.completed_by([]));
    }
}
