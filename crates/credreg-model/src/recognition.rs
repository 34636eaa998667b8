//! Recognitions: a receiving district's signed rules for what other districts' credentials are
//! worth to it (see `domain.md`, "value" and "the transfer problem"). Published in the
//! district's log and replicated, so a teacher can read in advance what transfers where.
//!
//! One record is one rule:
//! - **what it applies to**: one foreign credential definition, one foreign stack, any
//!   credential from the members of a federation (optionally only those meeting a quality
//!   standard), or the badges of one issuer outside the federation, named explicitly (an Open
//!   Badges 2.0 or 3.0 issuer such as a university or a PD provider, optionally only one of its
//!   BadgeClasses / achievements);
//! - **what it gives**: "counts as our credential Y" (the local definition's own value then
//!   applies, and Y counts toward local stacks), or an amount in a unit per `per` credentials
//!   (Lake County: 4 in-service hours per credential; Baltimore County: 1 CPD unit per 2);
//! - an optional **cap** per teacher or per calendar year of issuance, and validity dates.

use crate::definition::{is_record_id, ValueUnit};
use crate::validate::{Errors, Validate};
use serde::{Deserialize, Serialize};

/// The body of a `Recognition` record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Recognition {
    /// Name shown in reports, e.g. "Juab credentials on our pay scale".
    pub name: String,
    /// What it applies to.
    pub applies_to: AppliesTo,
    /// What a matching credential is worth here.
    pub credit: Credit,
    /// Most this rule grants.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cap: Option<Cap>,
    /// When the rule takes effect (RFC 3339).
    pub valid_from: String,
    /// When it ends (RFC 3339), if ever.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_until: Option<String>,
}

/// What a recognition applies to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum AppliesTo {
    /// One foreign credential definition (record id).
    Credential {
        /// The definition's record id.
        id: String,
    },
    /// One foreign stack (record id): granted once when the teacher's badges complete it.
    Stack {
        /// The stack's record id.
        id: String,
    },
    /// Any credential issued by a current member of `federation`, meeting `standard` if given.
    Federation {
        /// Federation name.
        federation: String,
        /// A quality standard's record id the credential's definition must meet.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        standard: Option<String>,
    },
    /// Badges of one issuer outside the federation, named by its id: an Open Badges 2.0
    /// issuer Profile URL or an Open Badges 3.0 issuer DID or URL. Its badges count nowhere
    /// else: a district recognizes an outside issuer only by naming it.
    Outside {
        /// The issuer's id.
        issuer: String,
        /// Only this BadgeClass (2.0) or achievement (3.0) id, if given.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        achievement: Option<String>,
    },
}

impl AppliesTo {
    /// How specific the rule is: when several rules match a badge, the most specific wins
    /// (one credential, then a federation with a standard, then a whole federation).
    pub fn specificity(&self) -> u8 {
        match self {
            AppliesTo::Credential { .. }
            | AppliesTo::Stack { .. }
            | AppliesTo::Outside {
                achievement: Some(_),
                ..
            } => 3,
            AppliesTo::Outside {
                achievement: None, ..
            } => 2,
            AppliesTo::Federation {
                standard: Some(_), ..
            } => 2,
            AppliesTo::Federation { standard: None, .. } => 1,
        }
    }
}

/// What a matching credential is worth.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Credit {
    /// Counts as this district's own credential (record id): its local value applies and it
    /// counts toward local stacks.
    Equivalent {
        /// The local definition's record id.
        credential: String,
    },
    /// `amount` of `unit` for every `per` matching credentials (default 1).
    Amount {
        /// Amount.
        amount: f64,
        /// Unit.
        unit: ValueUnit,
        /// Credentials per `amount` ("1 unit per 2 credentials" is `per: 2`).
        #[serde(default = "one", skip_serializing_if = "is_one")]
        per: u32,
    },
}

fn one() -> u32 {
    1
}

fn is_one(n: &u32) -> bool {
    *n == 1
}

/// The most a rule grants.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cap {
    /// For amount credits, the most in the credit's unit; for equivalences, the most
    /// credentials counted.
    pub max: f64,
    /// Per teacher (over the whole portfolio) or per calendar year of issuance.
    pub per: CapPeriod,
}

/// The period a cap applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CapPeriod {
    /// The teacher's whole portfolio.
    Teacher,
    /// Each calendar year in which awards were issued.
    Year,
}

fn rfc3339(s: &str) -> Option<time::OffsetDateTime> {
    time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()
}

impl Recognition {
    /// Whether the rule is in force at `now`.
    pub fn in_force(&self, now: time::OffsetDateTime) -> bool {
        let started = rfc3339(&self.valid_from).is_some_and(|f| f <= now);
        let not_ended = self
            .valid_until
            .as_deref()
            .is_none_or(|u| rfc3339(u).is_some_and(|u| now < u));
        started && not_ended
    }
}

impl Validate for Recognition {
    fn validate(&self, e: &mut Errors) {
        e.text("name", &self.name, 200);
        match &self.applies_to {
            AppliesTo::Credential { id } | AppliesTo::Stack { id } => {
                if !is_record_id(id) {
                    e.add(
                        "applies_to.id",
                        "must be a record id (64 lowercase hex digits)",
                    );
                }
            }
            AppliesTo::Federation {
                federation,
                standard,
            } => {
                e.text("applies_to.federation", federation, 100);
                if standard.as_deref().is_some_and(|s| !is_record_id(s)) {
                    e.add(
                        "applies_to.standard",
                        "must be a quality standard's record id (64 lowercase hex digits)",
                    );
                }
            }
            // Checked below, with the ids it names.
            AppliesTo::Outside { .. } => {}
        }
        if let AppliesTo::Outside {
            issuer,
            achievement,
        } = &self.applies_to
        {
            let is_id = |s: &str| {
                (s.starts_with("https://") || s.starts_with("did:") || s.starts_with("urn:"))
                    && s.len() <= 2048
                    && !s.contains(char::is_whitespace)
            };
            if !is_id(issuer) || issuer.starts_with("urn:") {
                e.add(
                    "applies_to.issuer",
                    "must be the issuer's id: an https URL (an Open Badges 2.0 Profile) or a DID",
                );
            }
            if achievement.as_deref().is_some_and(|a| !is_id(a)) {
                e.add(
                    "applies_to.achievement",
                    "must be the BadgeClass's or achievement's id (an https URL, DID or urn)",
                );
            }
        }
        match &self.credit {
            Credit::Equivalent { credential } => {
                if !is_record_id(credential) {
                    e.add(
                        "credit.credential",
                        "must be a record id (64 lowercase hex digits)",
                    );
                }
            }
            Credit::Amount { amount, per, .. } => {
                if !amount.is_finite() || *amount <= 0.0 || *amount > 1_000_000.0 {
                    e.add(
                        "credit.amount",
                        "must be a number above 0, at most 1,000,000",
                    );
                }
                if *per == 0 || *per > 100 {
                    e.add("credit.per", "must be from 1 to 100 credentials");
                }
            }
        }
        if let Some(cap) = &self.cap {
            if !cap.max.is_finite() || cap.max <= 0.0 || cap.max > 1_000_000.0 {
                e.add("cap.max", "must be a number above 0, at most 1,000,000");
            }
        }
        e.validity_window(&self.valid_from, self.valid_until.as_deref());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::parse_validated;

    const ID: &str = "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262";

    #[test]
    fn baltimore_ratio_parses_and_defaults() {
        let json = r#"{"name":"Baltimore CPD","applies_to":{"kind":"federation","federation":"md"},
            "credit":{"kind":"amount","amount":1,"unit":"cpd_units","per":2},
            "valid_from":"2026-01-01T00:00:00Z"}"#;
        let r: Recognition = parse_validated(json.as_bytes()).expect("valid");
        assert_eq!(r.applies_to.specificity(), 1);
        let lake = r#"{"name":"Lake","applies_to":{"kind":"federation","federation":"fl"},
            "credit":{"kind":"amount","amount":4,"unit":"in_service_hours"},
            "valid_from":"2026-01-01T00:00:00Z"}"#;
        let r: Recognition = parse_validated(lake.as_bytes()).expect("valid");
        assert!(matches!(r.credit, Credit::Amount { per: 1, .. }));
        let now = rfc3339("2026-11-30T00:00:00Z").expect("time");
        assert!(r.in_force(now));
    }

    #[test]
    fn every_bad_field_is_reported() {
        let json = r#"{"name":"","applies_to":{"kind":"credential","id":"nope"},
            "credit":{"kind":"amount","amount":-1,"unit":"dollars","per":0},
            "cap":{"max":0,"per":"year"},
            "valid_from":"yesterday","valid_until":"never"}"#;
        let err = parse_validated::<Recognition>(json.as_bytes()).expect_err("invalid");
        let fields: Vec<&str> = err.0.iter().map(|e| e.field.as_str()).collect();
        for f in [
            "name",
            "applies_to.id",
            "credit.amount",
            "credit.per",
            "cap.max",
            "valid_from",
            "valid_until",
        ] {
            assert!(fields.contains(&f), "{f} missing from {fields:?}");
        }
        let unknown = format!(
            r#"{{"name":"x","applies_to":{{"kind":"credential","id":"{ID}"}},
                "credit":{{"kind":"equivalent","credential":"{ID}","bonus":1}},
                "valid_from":"2026-01-01T00:00:00Z"}}"#
        );
        assert!(parse_validated::<Recognition>(unknown.as_bytes()).is_err());
    }

    #[test]
    fn expired_rules_are_not_in_force() {
        let r = Recognition {
            name: "old".into(),
            applies_to: AppliesTo::Stack { id: ID.into() },
            credit: Credit::Equivalent {
                credential: ID.into(),
            },
            cap: None,
            valid_from: "2020-01-01T00:00:00Z".into(),
            valid_until: Some("2025-01-01T00:00:00Z".into()),
        };
        assert!(!r.in_force(rfc3339("2026-01-01T00:00:00Z").expect("time")));
        assert!(r.in_force(rfc3339("2024-01-01T00:00:00Z").expect("time")));
        assert!(!r.in_force(rfc3339("2019-01-01T00:00:00Z").expect("time")));
    }
}
