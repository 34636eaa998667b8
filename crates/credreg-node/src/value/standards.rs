//! Quality standards as records: published by a state or consortium (or any node),
//! replicated like every record, and read by quality profiles and recognition rules alike
//! (which is why they sit below both).

use crate::error::{internal, NodeError};
use crate::node::{decode_record, Node, Published};
use credreg_model::{Errors, QualityStandard, RecordKind, Validate};
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
        let record = self.sign_record(RecordKind::QualityStandard, body, &self.now_rfc3339())?;
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
}
