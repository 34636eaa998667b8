//! Open Badges 3.0 awards (`OpenBadgeCredential`, VC Data Model 2.0), unsigned.
//!
//! Only terms defined by the VC 2.0 and OB 3.0.3 contexts appear, so JSON-LD safe-mode
//! verifiers (DCC, 1EdTech) expand every property; the definition's extra catalog fields stay
//! in its record.

use crate::definition::CredentialDef;
use crate::identity::hash_identity;
use crate::validate::{Errors, Validate};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// The VC 2.0 context URL.
pub const VC_V2: &str = "https://www.w3.org/ns/credentials/v2";
/// The Open Badges 3.0.3 context URL.
pub const OB_V3: &str = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json";

/// The earner, as given by the issuing coordinator.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Recipient {
    /// E-mail the award is issued to; stored in the award only as a salted hash.
    #[serde(default)]
    pub email: String,
    /// Display name; optional. It appears in the award in the clear (as in most badges).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

impl Validate for Recipient {
    fn validate(&self, e: &mut Errors) {
        if !crate::identity::looks_like_email(&self.email) {
            e.add("email", "must be an e-mail address");
        }
        if let Some(n) = &self.name {
            e.text("name", n, 200);
        }
    }
}

/// A link to the evidence the earner submitted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Evidence {
    /// URL of the artifact or portfolio.
    pub id: String,
    /// Title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// What it shows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

impl Validate for Evidence {
    fn validate(&self, e: &mut Errors) {
        e.url("id", &self.id);
        if let Some(n) = &self.name {
            e.text("name", n, 200);
        }
        if let Some(d) = &self.description {
            e.max_len("description", d, 5_000);
        }
    }
}

/// The issuing district as it appears in the award.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwardIssuer {
    /// Its DID (`did:key:...`).
    pub did: String,
    /// Its name.
    pub name: String,
}

/// A `BitstringStatusListEntry` for revocation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusEntry {
    /// URL of the status list credential.
    pub list_url: String,
    /// Index of this award's bit.
    pub index: u64,
}

/// Everything an award is built from. The caller supplies id, time and salt (this crate has
/// no clock and no randomness).
#[derive(Debug, Clone)]
pub struct AwardDraft<'a> {
    /// `urn:uuid:...`.
    pub id: String,
    /// Issuer.
    pub issuer: &'a AwardIssuer,
    /// The achievement's URL (the definition's address at the issuing node).
    pub achievement_id: String,
    /// The definition.
    pub definition: &'a CredentialDef,
    /// Recipient.
    pub recipient: &'a Recipient,
    /// Random salt for the identity hash (hex).
    pub salt: String,
    /// Evidence links.
    pub evidence: &'a [Evidence],
    /// Revocation status entry.
    pub status: StatusEntry,
    /// Issuance time (RFC 3339, UTC, whole seconds).
    pub valid_from: String,
    /// The rubric result of a reviewed award: the level reached on each criterion of the
    /// definition's rubric (index into its levels), in criterion order. Empty for awards
    /// issued without review.
    pub rubric_levels: &'a [usize],
    /// Further addresses of the same earner (hashed with the same salt, one identity object
    /// each), so the award matches any of them.
    pub other_emails: &'a [String],
}

impl AwardDraft<'_> {
    /// The unsigned `OpenBadgeCredential`.
    pub fn to_credential(&self) -> Value {
        let def = self.definition;
        let mut achievement = json!({
            "id": self.achievement_id,
            "type": ["Achievement"],
            "achievementType": "MicroCredential",
            "name": def.name,
            "description": def.description,
            "criteria": {"narrative": def.criteria.narrative},
            "creator": {"id": self.issuer.did, "type": ["Profile"], "name": self.issuer.name},
            "version": def.version,
        });
        if !def.tags.is_empty() {
            achievement["tag"] = json!(def.tags);
        }
        let results = self.rubric_results(&mut achievement);
        let mut identifiers = vec![json!({
            "type": "IdentityObject",
            "identityHash": hash_identity(&crate::identity::normalize_email(&self.recipient.email), &self.salt),
            "identityType": "emailAddress",
            "hashed": true,
            "salt": self.salt,
        })];
        for other in self.other_emails {
            identifiers.push(json!({
                "type": "IdentityObject",
                "identityHash": hash_identity(&crate::identity::normalize_email(other), &self.salt),
                "identityType": "emailAddress",
                "hashed": true,
                "salt": self.salt,
            }));
        }
        if let Some(name) = &self.recipient.name {
            identifiers.push(json!({
                "type": "IdentityObject",
                "identityHash": name,
                "identityType": "name",
                "hashed": false,
            }));
        }
        let mut credential = json!({
            "@context": [VC_V2, OB_V3],
            "id": self.id,
            "type": ["VerifiableCredential", "OpenBadgeCredential"],
            "name": def.name,
            "description": def.description,
            "issuer": {"id": self.issuer.did, "type": ["Profile"], "name": self.issuer.name},
            "validFrom": self.valid_from,
            "credentialSubject": {
                "type": ["AchievementSubject"],
                "identifier": identifiers,
                "achievement": achievement,
            },
            "credentialStatus": {
                "id": format!("{}#{}", self.status.list_url, self.status.index),
                "type": "BitstringStatusListEntry",
                "statusPurpose": "revocation",
                "statusListIndex": self.status.index.to_string(),
                "statusListCredential": self.status.list_url,
            },
        });
        if !results.is_empty() {
            credential["credentialSubject"]["result"] = json!(results);
        }
        if !self.evidence.is_empty() {
            credential["evidence"] = self
                .evidence
                .iter()
                .map(|e| {
                    let mut v = json!({"id": e.id, "type": ["Evidence"]});
                    if let Some(n) = &e.name {
                        v["name"] = json!(n);
                    }
                    if let Some(d) = &e.description {
                        v["description"] = json!(d);
                    }
                    v
                })
                .collect();
        }
        credential
    }
}

impl AwardDraft<'_> {
    /// OB 3.0's rubric result: each criterion becomes a `ResultDescription` of type
    /// `RubricCriterionLevel` on the achievement (its levels as `rubricCriterionLevel`), and the
    /// subject's `result` names the level reached. Returns the subject's results (none when
    /// the award was not reviewed or the definition has no rubric).
    fn rubric_results(&self, achievement: &mut Value) -> Vec<Value> {
        let Some(rubric) = &self.definition.rubric else {
            return Vec::new();
        };
        if self.rubric_levels.is_empty() {
            return Vec::new();
        }
        let mut descriptions = Vec::new();
        let mut results = Vec::new();
        for (i, (criterion, level)) in rubric.criteria.iter().zip(self.rubric_levels).enumerate() {
            let id = format!("{}#criterion-{i}", self.achievement_id);
            let levels: Vec<Value> = criterion
                .levels
                .iter()
                .enumerate()
                .map(|(j, l)| {
                    let mut v = json!({
                        "id": format!("{id}-level-{j}"),
                        "type": ["RubricCriterionLevel"],
                        "name": l.name,
                    });
                    if let Some(d) = &l.description {
                        v["description"] = json!(d);
                    }
                    v
                })
                .collect();
            descriptions.push(json!({
                "id": id,
                "type": ["ResultDescription"],
                "name": criterion.name,
                "resultType": "RubricCriterionLevel",
                "rubricCriterionLevel": levels,
            }));
            results.push(json!({
                "type": ["Result"],
                "resultDescription": id,
                "achievedLevel": format!("{id}-level-{level}"),
            }));
        }
        achievement["resultDescription"] = json!(descriptions);
        results
    }
}

/// Whether one identity object names `email`: an `emailAddress` identifier whose hash (salted
/// SHA-256, or the address itself when not hashed) matches. The one rule for reading an
/// award's recipient, whether the identifier was read from JSON or from signed data.
pub fn identity_names_email(
    identity_type: &str,
    hash: &str,
    hashed: bool,
    salt: &str,
    email: &str,
) -> bool {
    if identity_type != "emailAddress" {
        return false;
    }
    let email = crate::identity::normalize_email(email);
    if hashed {
        // Open Badges 2.0 badges made before 2017 may hash with MD5 (`md5$`).
        if hash
            .get(..4)
            .is_some_and(|p| p.eq_ignore_ascii_case("md5$"))
        {
            return hash.eq_ignore_ascii_case(&crate::identity::md5_identity(&email, salt));
        }
        hash.eq_ignore_ascii_case(&hash_identity(&email, salt))
    } else {
        crate::identity::normalize_email(hash) == email
    }
}

/// Whether `credential` names `email` among its `emailAddress` identifiers (read as JSON).
pub fn credential_names_email(credential: &Value, email: &str) -> bool {
    let ids = match credential.pointer("/credentialSubject/identifier") {
        Some(Value::Array(a)) => a.iter().collect::<Vec<_>>(),
        Some(v @ Value::Object(_)) => vec![v],
        _ => return false,
    };
    ids.iter().any(|id| {
        let field = |k: &str| id.get(k).and_then(Value::as_str);
        let (Some(kind), Some(hash)) = (field("identityType"), field("identityHash")) else {
            return false;
        };
        let hashed = id.get("hashed").and_then(Value::as_bool) == Some(true);
        identity_names_email(kind, hash, hashed, field("salt").unwrap_or(""), email)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn award_hides_email_and_matches_it() {
        let def = CredentialDef::new("Wait Time", "Pausing after questions", "Submit a video");
        let issuer = AwardIssuer {
            did: "did:key:z6Mk".into(),
            name: "Juab School District".into(),
        };
        let recipient = Recipient {
            email: "Ana@Juab.org".into(),
            name: Some("Ana Ruiz".into()),
        };
        let draft = AwardDraft {
            id: "urn:uuid:0".into(),
            issuer: &issuer,
            achievement_id: "http://127.0.0.1:8080/api/v1/credentials/x".into(),
            definition: &def,
            recipient: &recipient,
            salt: "0011".into(),
            evidence: &[],
            status: StatusEntry {
                list_url: "http://127.0.0.1:8080/api/v1/status-lists/0".into(),
                index: 7,
            },
            valid_from: "2026-11-22T10:00:00Z".into(),
            rubric_levels: &[],
            other_emails: &[],
        };
        let c = draft.to_credential();
        let text = c.to_string();
        assert!(!text.to_lowercase().contains("ana@juab.org"));
        assert!(credential_names_email(&c, " ana@juab.ORG"));
        assert!(!credential_names_email(&c, "someone@juab.org"));
        assert_eq!(c["credentialStatus"]["statusListIndex"], "7");
    }
}
