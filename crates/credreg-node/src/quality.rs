//! Quality standards as records: published by a state or consortium (or any node), replicated
//! like every record, and applied to any definition the node knows.

use crate::error::NodeError;
use crate::node::{decode_record, internal, now_rfc3339, Node, Published};
use crate::trust::Trust;
use credreg_model::{Errors, Evaluation, QualityStandard, RecordKind, Validate};
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
