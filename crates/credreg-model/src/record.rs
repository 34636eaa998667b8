//! Records: the signed JSON documents an issuer appends to its log.
//!
//! Shape (before the proof is added): `{"type": <kind>, "issuer": <DID>, "issued": <RFC 3339>,
//! "body": {...}}`. The id of a signed record is blake3 of its stored bytes, which are its
//! RFC 8785 (JCS) serialization: any node can recompute it.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// Kinds of record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RecordKind {
    /// An issuer's public profile.
    IssuerProfile,
    /// A catalog entry.
    CredentialDef,
    /// A stack of catalog entries.
    Stack,
    /// The PII-free trace of an award.
    AwardReceipt,
    /// An award's revocation.
    Revocation,
    /// A federation anchor (state or consortium) vouching for a member issuer.
    Membership,
    /// A quality standard: named, checkable rules over a definition.
    QualityStandard,
    /// An issuer vouching for a definition or an issuer (carries an OB 3.0
    /// `EndorsementCredential`).
    Endorsement,
    /// A receiving district's rule for what foreign credentials are worth to it.
    Recognition,
    /// A review decision, logged before the award it leads to (no personal data).
    ReviewDecision,
    /// A definition's review statistics, as its issuer measured them.
    ReviewStatistics,
}

impl RecordKind {
    /// The `type` string.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::IssuerProfile => "IssuerProfile",
            Self::CredentialDef => "CredentialDef",
            Self::Stack => "Stack",
            Self::AwardReceipt => "AwardReceipt",
            Self::Revocation => "Revocation",
            Self::Membership => "Membership",
            Self::QualityStandard => "QualityStandard",
            Self::Endorsement => "Endorsement",
            Self::Recognition => "Recognition",
            Self::ReviewDecision => "ReviewDecision",
            Self::ReviewStatistics => "ReviewStatistics",
        }
    }

    /// Parses a `type` string.
    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::IssuerProfile,
            Self::CredentialDef,
            Self::Stack,
            Self::AwardReceipt,
            Self::Revocation,
            Self::Membership,
            Self::QualityStandard,
            Self::Endorsement,
            Self::Recognition,
            Self::ReviewDecision,
            Self::ReviewStatistics,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

/// A record before signing.
#[derive(Debug, Clone, PartialEq)]
pub struct UnsignedRecord {
    /// Kind.
    pub kind: RecordKind,
    /// Issuer DID.
    pub issuer: String,
    /// When it was issued (RFC 3339, UTC).
    pub issued: String,
    /// The body (e.g. a serialized [`crate::CredentialDef`]).
    pub body: Value,
}

impl UnsignedRecord {
    /// The JSON document to sign.
    pub fn to_json(&self) -> Value {
        json!({
            "type": self.kind.as_str(),
            "issuer": self.issuer,
            "issued": self.issued,
            "body": self.body,
        })
    }

    /// Reads the unsigned fields back from a (signed) record document.
    pub fn from_json(doc: &Value) -> Result<Self, String> {
        let kind_str = doc
            .get("type")
            .and_then(Value::as_str)
            .ok_or("record has no string `type`")?;
        let kind = RecordKind::parse(kind_str)
            .ok_or_else(|| format!("unknown record type `{kind_str}`"))?;
        let text = |k: &str| {
            doc.get(k)
                .and_then(Value::as_str)
                .map(str::to_owned)
                .ok_or_else(|| format!("record has no string `{k}`"))
        };
        Ok(Self {
            kind,
            issuer: text("issuer")?,
            issued: text("issued")?,
            body: doc.get("body").cloned().ok_or("record has no `body`")?,
        })
    }
}

/// The id of a stored record: lowercase hex blake3 of its exact bytes.
pub fn record_id(bytes: &[u8]) -> String {
    blake3::hash(bytes).to_hex().to_string()
}

/// Body of an [`RecordKind::AwardReceipt`]: what the federation learns of an award. No PII.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AwardReceipt {
    /// The award's `id` (`urn:uuid:...`).
    pub award_id: String,
    /// The credential definition's record id.
    pub credential_id: String,
    /// blake3 hex of the exact signed award bytes.
    pub award_digest: String,
    /// Hex SHA-256 of the award's RDFC-1.0 canonical N-Quads without its proof (the
    /// document half of what `eddsa-rdfc-2022` signs). It identifies the award however a
    /// wallet re-serializes or re-spells its JSON; absent in receipts written before it
    /// existed, for which only the exact bytes are compared.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub canonical_digest: Option<String>,
    /// The award's `validFrom`.
    pub issued_at: String,
    /// Index in the issuer's revocation status list.
    pub status_index: u64,
    /// How the submission was reviewed, when the issuer recorded it (no reviewer names).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review: Option<ReviewSummary>,
}

/// How an award's submission was reviewed: what a consortium judging a credential's rigor
/// wants to see across its awards (`domain.md`: two reviewers, a third to break ties,
/// resubmissions).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReviewSummary {
    /// Reviewers who scored it (a tiebreaker included).
    pub reviewers: u8,
    /// Whether the first reviewers agreed without a tiebreak.
    pub agreed: bool,
    /// Submissions it took to pass (1 = passed the first time).
    pub attempts: u8,
    /// Asserted by whoever issued the award (an import of earlier reviews), not produced by
    /// the node's own review.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub declared: bool,
}

impl crate::Validate for ReviewSummary {
    fn validate(&self, e: &mut crate::Errors) {
        if !(1..=10).contains(&self.reviewers) {
            e.add("reviewers", "must be from 1 to 10");
        }
        if !(1..=20).contains(&self.attempts) {
            e.add("attempts", "must be from 1 to 20");
        }
    }
}

/// Body of a [`RecordKind::Revocation`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Revocation {
    /// The award's `id`.
    pub award_id: String,
    /// Why (shown to verifiers).
    pub reason: String,
    /// When (RFC 3339).
    pub revoked_at: String,
}

/// Body of an [`RecordKind::IssuerProfile`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IssuerProfile {
    /// Display name.
    pub name: String,
    /// district, state, consortium or provider.
    pub kind: String,
    /// The issuer DID.
    pub did: String,
    /// Where the node's API is reachable, if public.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The libp2p peer id of the node's transport key, when it federates: signed here by the
    /// issuer key, it binds the network identity to the issuer (the two keys stay separate).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peer_id: Option<String>,
}

/// Body of a [`RecordKind::Membership`]: "issuer `member` belongs to federation `federation`".
/// Published by a trust anchor in its own log. The newest membership an anchor published for
/// a member replaces the earlier ones, so ending a membership early is a new record with
/// `valid_until` set (the log stays append-only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Membership {
    /// The member's DID.
    pub member: String,
    /// Federation name.
    pub federation: String,
    /// `district`, `state`, `consortium` or `provider`.
    pub role: String,
    /// Start of validity (RFC 3339).
    pub valid_from: String,
    /// End of validity (RFC 3339), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_until: Option<String>,
}

/// Body of a [`RecordKind::Endorsement`]: the endorser's signed Open Badges 3.0
/// `EndorsementCredential` (`eddsa-rdfc-2022`, verifiable by any OB verifier), with what it is
/// about in plain fields for indexing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Endorsement {
    /// A definition's record id, or an issuer's DID.
    pub subject: String,
    /// The quality standard (record id) it was vetted against, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub standard: Option<String>,
    /// The endorser's comment.
    pub comment: String,
    /// The signed `EndorsementCredential`.
    pub credential: Value,
}

/// Roles a membership can give.
pub const MEMBER_ROLES: [&str; 4] = ["district", "state", "consortium", "provider"];

impl crate::Validate for Membership {
    fn validate(&self, e: &mut crate::Errors) {
        if !self.member.starts_with("did:") {
            e.add("member", "must be a DID (did:key:... or did:web:...)");
        }
        e.max_len("member", &self.member, 512);
        e.text("federation", &self.federation, 100);
        if !MEMBER_ROLES.contains(&self.role.as_str()) {
            e.add(
                "role",
                format!("must be one of {}", MEMBER_ROLES.join(", ")),
            );
        }
        e.validity_window(&self.valid_from, self.valid_until.as_deref());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_round_trip() {
        let r = UnsignedRecord {
            kind: RecordKind::Stack,
            issuer: "did:key:z6Mk".into(),
            issued: "2026-11-22T10:00:00Z".into(),
            body: json!({"name": "s"}),
        };
        assert_eq!(UnsignedRecord::from_json(&r.to_json()), Ok(r));
        assert!(UnsignedRecord::from_json(&json!({"type": "Nope"})).is_err());
        assert_eq!(
            record_id(b""),
            "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262"
        );
    }
}
