//! Pinning `did:web` keys: the first time this node sees a `did:web` document, it keeps the
//! keys the document lists for assertions. A later document with other keys is a rotation or
//! a takeover of the issuer's web server; a verifier cannot tell which, so the report says so
//! (the `issuer_key` check warns) for [`CHANGE_NOTICE_DAYS`] after the change, naming the
//! date, and the new keys become the pin.

use crate::node::Node;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// How long a key change is reported.
pub const CHANGE_NOTICE_DAYS: i64 = 30;

/// Most pins kept: beyond this, new `did:web` issuers are not pinned (their reports simply
/// say nothing about changes).
pub const MAX_PINS: usize = 10_000;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
struct Pin {
    keys: Vec<String>,
    seen: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    changed: Option<String>,
}

/// The keys a DID document lists for `assertionMethod` (Multikey strings or JWK JSON), sorted.
fn assertion_keys(doc: &Value) -> Vec<String> {
    let listed: Vec<&str> = match doc.get("assertionMethod") {
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|m| m.as_str().or_else(|| m.get("id").and_then(Value::as_str)))
            .collect(),
        _ => Vec::new(),
    };
    let mut keys: Vec<String> = doc
        .get("verificationMethod")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .chain(
            doc.get("assertionMethod")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter(|m| m.is_object()),
        )
        .filter(|m| {
            m.get("id").and_then(Value::as_str).is_some_and(|id| {
                listed
                    .iter()
                    .any(|l| *l == id || (l.starts_with('#') && id.ends_with(l)))
            })
        })
        .filter_map(|m| {
            m.get("publicKeyMultibase")
                .and_then(Value::as_str)
                .map(str::to_owned)
                .or_else(|| m.get("publicKeyJwk").map(Value::to_string))
        })
        .collect();
    keys.sort();
    keys.dedup();
    keys
}

impl Node {
    /// Compares `doc` (the fetched document of `did`) with the pin, pins it if new, and
    /// returns the sentence a report adds when its keys changed recently.
    pub(crate) fn key_change_note(&self, did: &str, doc: &Value) -> Option<String> {
        if !did.starts_with("did:web:") {
            return None;
        }
        let keys = assertion_keys(doc);
        if keys.is_empty() {
            return None;
        }
        let now = self.now();
        let today = crate::node::format_time(now);
        let pinned: Option<Pin> = self
            .store
            .key_pin(did)
            .ok()
            .flatten()
            .and_then(|s| serde_json::from_str(&s).ok());
        let save = |pin: &Pin| {
            if let Ok(text) = serde_json::to_string(pin) {
                if let Err(e) = self.store.set_key_pin(did, &text) {
                    tracing::warn!(error = %e, "a did:web pin could not be stored");
                }
            }
        };
        match pinned {
            None => {
                if self.store.key_pins() < MAX_PINS {
                    save(&Pin {
                        keys,
                        seen: today,
                        changed: None,
                    });
                }
                None
            }
            Some(pin) if pin.keys == keys => {
                let changed = pin.changed.as_deref()?;
                let at = time::OffsetDateTime::parse(
                    changed,
                    &time::format_description::well_known::Rfc3339,
                )
                .ok()?;
                (now - at < time::Duration::days(CHANGE_NOTICE_DAYS)).then(|| {
                    format!("The keys of {did} changed on {changed} (first seen {}): a rotation, or someone else now controls its web server.", pin.seen)
                })
            }
            Some(pin) => {
                let note = format!("The keys of {did} changed on {today} (first seen {}): a rotation, or someone else now controls its web server.", pin.seen);
                save(&Pin {
                    keys,
                    seen: pin.seen,
                    changed: Some(today),
                });
                Some(note)
            }
        }
    }
}
