//! A proof's own validity window: `created` not in the future (beyond the allowed clock skew)
//! and `expires` not passed, judged at the caller's time (this crate reads no clock).

use crate::error::ProofError;
use serde_json::{Map, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// Refuses `proof` if, at `now`, it was created more than `max_clock_skew` ahead or has
/// expired; without `now` only its dates' form is checked.
pub(crate) fn check_validity(
    proof: &Map<String, Value>,
    now: Option<OffsetDateTime>,
    max_clock_skew: time::Duration,
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
    if let Some(now) = now {
        if let Some(c) = created {
            if c > now + max_clock_skew {
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
