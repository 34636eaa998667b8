//! Where the checks after the proof look things up. A node answers from its own records and
//! the logs it replicates; an offline bundle answers from what it carries. The checks
//! themselves (`checks.rs`) are written once, over this trait.

use super::CheckResult;
use credreg_proof::CredentialFacts;

/// How far a source trusts the credential's signed issuer.
pub(crate) struct TrustFinding {
    /// The `trusted` check.
    pub check: CheckResult,
    /// `this_node`, `anchor`, `member`, `allowed`, `denied`, `expired` or `unknown`.
    pub status: &'static str,
    /// For members: the anchor whose membership vouches for the issuer.
    pub anchor: Option<String>,
    /// Whether the source holds evidence that the issuer signed inconsistent logs.
    pub equivocated: bool,
    /// The issuer's name as the issuer itself published it (its signed profile), if known.
    pub published_name: Option<String>,
}

/// What a source knows of the definition an award names.
pub(crate) enum DefinitionFinding {
    /// A genuine definition of `issuer`, described for the report.
    Known {
        issuer: String,
        name: String,
        reason: String,
    },
    /// What the source holds contradicts the award (the check fails).
    Refused(String),
    /// The source holds no such definition (the check warns).
    Unknown(String),
}

/// A revocation `BitstringStatusListEntry`, read strictly from the signed facts.
pub(crate) struct BitstringEntry<'a> {
    pub purpose: &'a str,
    pub list: &'a str,
    pub index: u64,
}

/// The evidence a credential is checked against after its proof verified.
pub(crate) trait EvidenceSource {
    /// Trust in `issuer` (the signed issuer).
    fn trust(&self, issuer: &str) -> TrustFinding;

    /// The issuer's own records on award `id`, when this source holds them: they decide the
    /// `status` check whatever the credential's status entry says (or whether it has one).
    fn recorded_status(&self, issuer: &str, id: &str) -> Option<CheckResult>;

    /// The `status` check for one revocation entry of the credential.
    fn list_status(
        &self,
        facts: &CredentialFacts,
        issuer: &str,
        entry: &BitstringEntry<'_>,
    ) -> CheckResult;

    /// The `status` check for a `1EdTechRevocationList` entry naming the list at `list`.
    /// Such a list is plain JSON, unsigned; a source that cannot fetch it cannot check it.
    fn revocation_list_status(
        &self,
        _facts: &CredentialFacts,
        _issuer: &str,
        list: &str,
    ) -> CheckResult {
        CheckResult::new(
            "status",
            super::CheckStatus::Warn,
            Some(format!(
                "Revocation could not be checked: its 1EdTechRevocationList at {list} is not available here."
            )),
        )
    }

    /// Whether this source holds the issuer's log (without it `logged` only warns).
    fn holds_log(&self, issuer: &str) -> bool;

    /// The receipt for award `id` in the issuer's log: its entry index and exact bytes.
    fn receipt(&self, issuer: &str, id: &str) -> Result<(u64, Vec<u8>), String>;

    /// Whether the receipt `entry` at `index` is covered by a checkpoint signed by the
    /// issuer's key, with a verified inclusion proof; a sentence saying so.
    fn receipt_included(&self, issuer: &str, index: u64, entry: &[u8]) -> Result<String, String>;

    /// For receipts written before they recorded the award's canonical digest: that digest
    /// (hex) computed from the award as its issuer stored it, when this source has it.
    fn stored_canonical_digest(&self, issuer: &str, id: &str) -> Option<String>;

    /// The definition the achievement id `achievement` names.
    fn definition(&self, achievement: &str) -> DefinitionFinding;
}
