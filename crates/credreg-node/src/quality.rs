//! Quality standards as records: published by a state or consortium (or any node), replicated
//! like every record, and applied to any definition the node knows.

use crate::error::NodeError;
use crate::node::{decode_record, internal, now_rfc3339, Node, Published};
use crate::trust::Trust;
use credreg_model::{
    Endorsement, Errors, Evaluation, QualityStandard, RecordKind, Validate, OB_V3, VC_V2,
};
use serde::Serialize;
use std::sync::Arc;

/// A standard this node holds.
#[derive(Debug, Clone)]
pub struct StandardEntry {
    /// Record id.
    pub id: String,
    /// Who published it.
    pub issuer: String,
    /// The standard.
    pub standard: QualityStandard,
}

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
    /// The definition judged against every trusted publisher's standard.
    pub standards: Vec<StandardResult>,
    /// Who endorsed it (trusted or not: the trust status says).
    pub endorsements: Vec<EndorsementView>,
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
    /// Publishes a quality standard (signed record in this node's log, replicated).
    pub fn publish_quality_standard(
        &self,
        standard: QualityStandard,
    ) -> Result<Published, NodeError> {
        let mut errors = Errors::default();
        standard.validate(&mut errors);
        errors.finish()?;
        let body = serde_json::to_value(&standard).map_err(internal)?;
        let record = self.sign_record(RecordKind::QualityStandard, body, &now_rfc3339())?;
        let id = self.store.put_record(&record)?;
        self.sign_checkpoint()?;
        Ok(Published {
            id,
            bytes: Arc::new(record.bytes),
        })
    }

    /// Every quality standard stored (own and replicated), oldest first.
    pub fn quality_standards(&self) -> Result<Vec<StandardEntry>, NodeError> {
        let mut out = Vec::new();
        for item in self.store.records_of_kind(RecordKind::QualityStandard) {
            let (id, bytes) = item?;
            let (rec, standard) = decode_record::<QualityStandard>(&bytes)?;
            out.push(StandardEntry {
                id,
                issuer: rec.issuer,
                standard,
            });
        }
        Ok(out)
    }

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
        let now = now_rfc3339();
        let credential = serde_json::json!({
            "@context": [VC_V2, OB_V3],
            "id": format!("urn:uuid:{}", uuid::Uuid::new_v4()),
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
        self.sign_checkpoint()?;
        Ok(Published {
            id,
            bytes: Arc::new(record.bytes),
        })
    }

    /// The quality profile of definition `id` (`None` if the definition is unknown).
    pub fn quality_profile(&self, id: &str) -> Result<Option<QualityProfile>, NodeError> {
        let Some(standards) = self.quality_of(id)? else {
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
        Ok(Some(QualityProfile {
            standards,
            endorsements,
        }))
    }

    /// Judges definition `id` against every standard of a trusted publisher (`None` if the
    /// definition is unknown).
    pub fn quality_of(&self, id: &str) -> Result<Option<Vec<StandardResult>>, NodeError> {
        let Some(entry) = self.definition(id)? else {
            return Ok(None);
        };
        let mut out = Vec::new();
        for s in self.quality_standards()? {
            let trust = self.trust_of(&s.issuer);
            if !trust.status.is_trusted() {
                continue;
            }
            out.push(StandardResult {
                evaluation: s.standard.evaluate(&entry.def),
                standard_id: s.id,
                issuer: s.issuer,
                trust,
            });
        }
        Ok(Some(out))
    }
}
