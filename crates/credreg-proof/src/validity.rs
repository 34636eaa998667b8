//! A proof's own validity window: `created` not in the future (beyond the allowed clock skew)
//! and `expires` not passed, judged at the caller's time (this crate reads no clock).

use crate::error::ProofError;
use crate::suite::VerifyOptions;
use serde_json::{Map, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

pub(crate) fn check_validity(
    proof: &Map<String, Value>,
    options: &VerifyOptions,
) -> Result<(), ProofError> {
    let parse = |name: &str| -> Result<Option<OffsetDateTime>, ProofError> {
        match proof.get(name) {
            None => Ok(None),
            Some(Value::String(s)) => OffsetDateTime::parse(s, &Rfc3339).map(Some).map_err(|_| {
                ProofError::malformed(format!("proof `{name}` is not an RFC 3339 date-time: {s}"))
            }),
            Some(_) => Err(ProofError::malformed(format!(
                "proof `{name}` must be a string"
            ))),
        }
    };
    let created = parse("created")?;
    let expires = parse("expires")?;
    if let Some(now) = options.now {
        if let Some(c) = created {
            if c > now + options.max_clock_skew {
                return Err(ProofError::Validity(format!(
                    "it was created in the future ({c})"
                )));
            }
        }
        if let Some(e) = expires {
            if e < now {
                return Err(ProofError::Validity(format!("it expired at {e}")));
            }
        }
    }
    Ok(())
}
