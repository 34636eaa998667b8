//! `ecdsa-sd-2023` (W3C Data Integrity ECDSA Cryptosuites): selective disclosure. The issuer
//! signs, with its own key, the proof configuration, a per-credential ephemeral public key and
//! the hash of the mandatory statements; each other statement is signed on its own by the
//! ephemeral key. A holder derives a credential that reveals only some statements, carrying
//! their signatures and the blank-node labels the issuer used.
//!
//! Verified here: *derived* proofs (what a verifier is handed) and *base* proofs (the issuer's
//! whole credential, which a teacher may forward as it is). Both reduce to the same check: the
//! base signature over `proofHash || ephemeralKey || SHA(mandatory N-Quads)`, and one ephemeral
//! signature per non-mandatory N-Quad. Written by hand: no Rust crate implements the suite.
//! Tested against the specification's vectors (`tests/ecdsa_sd.rs`).

use crate::canon::{Canonicalizer, View};
use crate::error::ProofError;
use crate::public_key::PublicKey;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_bytes::ByteBuf;
use serde_json::Value;
use std::collections::BTreeMap;

/// CBOR tag 0x5d00: a base proof value.
const BASE_HEADER: [u8; 3] = [0xd9, 0x5d, 0x00];
/// CBOR tag 0x5d01: a derived proof value.
const DERIVED_HEADER: [u8; 3] = [0xd9, 0x5d, 0x01];
/// More signatures than this is no credential a person carries (a statement each).
const MAX_STATEMENTS: usize = 10_000;

/// A decoded `proofValue`: the issuer's signature, the per-credential ephemeral key (a
/// Multikey's bytes), one ephemeral signature per non-mandatory statement, and what makes it
/// a base or a derived proof.
pub(crate) struct SdProof {
    base_signature: Vec<u8>,
    public_key: Vec<u8>,
    signatures: Vec<Vec<u8>>,
    kind: SdKind,
}

enum SdKind {
    /// The issuer's: its HMAC key relabels blank nodes; `mandatory_pointers` (JSON Pointers
    /// into the credential) name the statements every derived credential must reveal.
    Base {
        hmac_key: Vec<u8>,
        mandatory_pointers: Vec<String>,
    },
    /// A holder's: the issuer's labels for the revealed blank nodes, by canonical index, and
    /// which of the revealed statements are the mandatory ones.
    Derived {
        label_map: BTreeMap<u64, Vec<u8>>,
        mandatory_indexes: Vec<u64>,
    },
}

fn malformed(what: impl std::fmt::Display) -> ProofError {
    ProofError::malformed(format!("ecdsa-sd-2023 proofValue: {what}"))
}

impl SdProof {
    /// Decodes a `u`-prefixed base64url proof value (either kind).
    pub(crate) fn parse(value: &str) -> Result<SdProof, ProofError> {
        let encoded = value
            .strip_prefix('u')
            .ok_or_else(|| malformed("must be multibase base64url (start with `u`)"))?;
        let bytes = URL_SAFE_NO_PAD
            .decode(encoded)
            .map_err(|e| malformed(format!("not base64url: {e}")))?;
        let proof = if let Some(body) = bytes.strip_prefix(&BASE_HEADER[..]) {
            type Base = (ByteBuf, ByteBuf, ByteBuf, Vec<ByteBuf>, Vec<String>);
            let (sig, key, hmac, sigs, pointers): Base = cbor4ii::serde::from_slice(body)
                .map_err(|e| malformed(format!("base proof: {e}")))?;
            if hmac.len() != 32 {
                return Err(malformed("the HMAC key must be 32 bytes (SHA-256)"));
            }
            SdProof::new(
                sig,
                key,
                sigs,
                SdKind::Base {
                    hmac_key: hmac.into_vec(),
                    mandatory_pointers: pointers,
                },
            )
        } else if let Some(body) = bytes.strip_prefix(&DERIVED_HEADER[..]) {
            type Derived = (
                ByteBuf,
                ByteBuf,
                Vec<ByteBuf>,
                BTreeMap<u64, ByteBuf>,
                Vec<u64>,
            );
            let (sig, key, sigs, labels, mandatory): Derived = cbor4ii::serde::from_slice(body)
                .map_err(|e| malformed(format!("derived proof: {e}")))?;
            if labels.values().any(|l| l.len() != 32) {
                return Err(malformed("blank-node labels must be 32 bytes (SHA-256)"));
            }
            SdProof::new(
                sig,
                key,
                sigs,
                SdKind::Derived {
                    label_map: labels.into_iter().map(|(k, v)| (k, v.into_vec())).collect(),
                    mandatory_indexes: mandatory,
                },
            )
        } else {
            return Err(malformed(
                "neither a base (0xd95d00) nor a derived (0xd95d01) proof",
            ));
        };
        if proof.signatures.len() > MAX_STATEMENTS {
            return Err(malformed(format!("more than {MAX_STATEMENTS} signatures")));
        }
        // The specification fixes the sizes: P-256 signatures.
        if proof.base_signature.len() != 64 || proof.signatures.iter().any(|s| s.len() != 64) {
            return Err(malformed("signatures must be 64 bytes (P-256)"));
        }
        Ok(proof)
    }

    fn new(
        base_signature: ByteBuf,
        public_key: ByteBuf,
        signatures: Vec<ByteBuf>,
        kind: SdKind,
    ) -> SdProof {
        SdProof {
            base_signature: base_signature.into_vec(),
            public_key: public_key.into_vec(),
            signatures: signatures.into_iter().map(ByteBuf::into_vec).collect(),
            kind,
        }
    }
}

/// The statements an `ecdsa-sd-2023` proof has the ephemeral key sign, one signature each
/// (the issuer's signature is checked by the caller, as for every suite).
pub(crate) struct SdStatements {
    ephemeral: PublicKey,
    signed: Vec<(Vec<u8>, Vec<u8>)>,
}

impl SdStatements {
    /// Whether the ephemeral key signed every one.
    pub(crate) fn hold(&self) -> bool {
        self.signed
            .iter()
            .all(|(quad, sig)| self.ephemeral.verify(quad, sig))
    }
}

/// What `proof` over `document` (without its proof) comes to, given the canonical proof
/// configuration and the document's canonical N-Quads: the message the issuer signed, the
/// issuer's signature over it, and the statements the ephemeral key signed.
pub(crate) fn check(
    canon: &Canonicalizer,
    proof: SdProof,
    document: &View<'_>,
    config_canon: &[u8],
    doc_canon: &[u8],
) -> Result<(Vec<u8>, Vec<u8>, SdStatements), ProofError> {
    use sha2::Digest as _;
    let proof_hash = sha2::Sha256::digest(config_canon);
    let canonical =
        std::str::from_utf8(doc_canon).map_err(|_| malformed("canonical N-Quads are not UTF-8"))?;
    let (nquads, mandatory) = match &proof.kind {
        SdKind::Derived {
            label_map,
            mandatory_indexes,
        } => derived_statements(canonical, label_map, mandatory_indexes)?,
        SdKind::Base {
            hmac_key,
            mandatory_pointers,
        } => {
            let selected = mandatory_statements(canon, document, mandatory_pointers)?;
            base_statements(canonical, hmac_key, &selected)?
        }
    };
    let ephemeral = PublicKey::from_multikey_bytes(&proof.public_key)
        .map_err(|e| malformed(format!("ephemeral public key: {e}")))?;
    let mut mandatory_text = Vec::new();
    let mut others = Vec::new();
    for (quad, is_mandatory) in nquads.into_iter().zip(mandatory) {
        if is_mandatory {
            mandatory_text.extend_from_slice(quad.as_bytes());
        } else {
            others.push(quad.into_bytes());
        }
    }
    if others.len() != proof.signatures.len() {
        return Err(ProofError::Signature);
    }
    let mut message = proof_hash.to_vec();
    message.extend_from_slice(&proof.public_key);
    message.extend_from_slice(&sha2::Sha256::digest(&mandatory_text));
    let statements = SdStatements {
        ephemeral,
        signed: others.into_iter().zip(proof.signatures).collect(),
    };
    Ok((message, proof.base_signature, statements))
}

/// `canonical` (RDFC-1.0 N-Quads, labels `_:c14nN`) with each blank node relabelled by
/// `label` and the lines sorted again: the statements as the issuer signed them. Only terms
/// are relabelled: a literal or an IRI that happens to contain `_:c14n0` keeps its text.
fn relabelled(
    canonical: &str,
    label: impl Fn(&str) -> Result<String, ProofError>,
) -> Result<Vec<String>, ProofError> {
    let mut lines = Vec::new();
    for line in canonical.split_inclusive('\n') {
        let bytes = line.as_bytes();
        let mut out = String::with_capacity(line.len());
        let (mut at, mut copied) = (0, 0);
        let (mut in_literal, mut in_iri) = (false, false);
        while at < bytes.len() {
            match bytes[at] {
                // An escape inside a literal: the escaped character is never a quote.
                b'\\' if in_literal => at += 1,
                b'"' if !in_iri => in_literal = !in_literal,
                b'<' if !in_literal => in_iri = true,
                b'>' if !in_literal => in_iri = false,
                b'_' if !in_literal && !in_iri && line[at..].starts_with("_:") => {
                    let start = at + 2;
                    let end = line[start..]
                        .find(|c: char| !c.is_ascii_alphanumeric())
                        .map_or(line.len(), |n| start + n);
                    out.push_str(&line[copied..start]);
                    out.push_str(&label(&line[start..end])?);
                    (at, copied) = (end, end);
                    continue;
                }
                _ => {}
            }
            at += 1;
        }
        out.push_str(&line[copied..]);
        lines.push(out);
    }
    lines.sort();
    Ok(lines)
}

/// A *derived* proof's statements (the revealed document's, relabelled as the issuer
/// labelled them) and which of them are mandatory.
fn derived_statements(
    canonical: &str,
    label_map: &BTreeMap<u64, Vec<u8>>,
    mandatory_indexes: &[u64],
) -> Result<(Vec<String>, Vec<bool>), ProofError> {
    let nquads = relabelled(canonical, |c14n| {
        let n: u64 = c14n
            .strip_prefix("c14n")
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| malformed(format!("unexpected blank node `{c14n}`")))?;
        let bytes = label_map
            .get(&n)
            .ok_or_else(|| malformed(format!("no label for blank node `{c14n}`")))?;
        Ok(format!("u{}", URL_SAFE_NO_PAD.encode(bytes)))
    })?;
    let mut mandatory = vec![false; nquads.len()];
    for &i in mandatory_indexes {
        let slot = usize::try_from(i)
            .ok()
            .and_then(|i| mandatory.get_mut(i))
            .ok_or_else(|| malformed(format!("mandatory index {i} out of range")))?;
        *slot = true;
    }
    Ok((nquads, mandatory))
}

/// A *base* proof's statements (the whole credential's, blank nodes relabelled with the
/// issuer's HMAC key) and which of them are mandatory: those in `selected`, the statements
/// its JSON Pointers select, under the document's canonical blank-node labels.
fn base_statements(
    canonical: &str,
    hmac_key: &[u8],
    selected: &[String],
) -> Result<(Vec<String>, Vec<bool>), ProofError> {
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, hmac_key);
    let hmac_label = |c14n: &str| {
        Ok(format!(
            "u{}",
            URL_SAFE_NO_PAD.encode(ring::hmac::sign(&key, c14n.as_bytes()).as_ref())
        ))
    };
    let nquads = relabelled(canonical, hmac_label)?;
    let chosen: std::collections::HashSet<String> = relabelled(&selected.concat(), hmac_label)?
        .into_iter()
        .collect();
    let mandatory = nquads.iter().map(|q| chosen.contains(q)).collect();
    Ok((nquads, mandatory))
}

/// Prefix of the IRIs that stand for blank nodes while statements are selected.
const SKOLEM: &str = "urn:bnid:";

/// The N-Quads (one per line, each ending in a newline) that `pointers` select from
/// `document`, their blank nodes under the labels RDFC-1.0 gives the whole document. As the
/// specification's `canonicalizeAndGroup`: every node object is first given an IRI (so a
/// selection keeps naming the same nodes), the selection is built from the pointers with the
/// `id` and `type` of every object on the way, and both are turned back into blank nodes.
fn mandatory_statements(
    canon: &Canonicalizer,
    document: &View<'_>,
    pointers: &[String],
) -> Result<Vec<String>, ProofError> {
    let mut skolemized: serde_json::Map<String, Value> = document
        .entries()
        .map(|(k, v)| (k.to_owned(), v.clone()))
        .collect();
    let mut counter = 0usize;
    for (key, value) in skolemized.iter_mut() {
        if key != "@context" {
            skolemize(value, &mut counter);
        }
    }
    if !skolemized.contains_key("id") && !skolemized.contains_key("@id") {
        skolemized.insert("id".into(), Value::String(format!("{SKOLEM}b{counter}")));
    }
    let full = deskolemized(canon.quads(&View::of(&skolemized))?);
    let issued = canon.issued_labels(&full)?;
    let Some(selection) = select(&skolemized, pointers)? else {
        return Ok(Vec::new());
    };
    let Value::Object(selection) = selection else {
        return Err(malformed("the selection is not an object"));
    };
    let mut lines = Vec::new();
    for quad in deskolemized(canon.quads(&View::of(&selection))?) {
        let quad = rdf_canon::api::relabel_quad(quad.as_ref(), &issued)
            .map_err(|e| malformed(format!("a selected statement: {e}")))?;
        lines.push(format!("{quad} .\n"));
    }
    Ok(lines)
}

/// Gives every node object under `value` (not value objects, not contexts) an `id`.
fn skolemize(value: &mut Value, counter: &mut usize) {
    match value {
        Value::Array(items) => items.iter_mut().for_each(|v| skolemize(v, counter)),
        Value::Object(map) => {
            if map.contains_key("@value") {
                return;
            }
            if !map.contains_key("id") && !map.contains_key("@id") {
                map.insert("id".into(), Value::String(format!("{SKOLEM}b{counter}")));
                *counter += 1;
            }
            for (key, v) in map.iter_mut() {
                if key != "@context" {
                    skolemize(v, counter);
                }
            }
        }
        _ => {}
    }
}

/// `quads` with every `urn:bnid:` IRI a blank node again.
fn deskolemized(quads: Vec<oxrdf::Quad>) -> Vec<oxrdf::Quad> {
    use oxrdf::{BlankNode, GraphName, Subject, Term};
    let blank = |iri: &str| iri.strip_prefix(SKOLEM).map(BlankNode::new_unchecked);
    quads
        .into_iter()
        .map(|mut q| {
            if let Subject::NamedNode(n) = &q.subject {
                if let Some(b) = blank(n.as_str()) {
                    q.subject = Subject::BlankNode(b);
                }
            }
            if let Term::NamedNode(n) = &q.object {
                if let Some(b) = blank(n.as_str()) {
                    q.object = Term::BlankNode(b);
                }
            }
            if let GraphName::NamedNode(n) = &q.graph_name {
                if let Some(b) = blank(n.as_str()) {
                    q.graph_name = GraphName::BlankNode(b);
                }
            }
            q
        })
        .collect()
}

/// A selection being built: arrays keep the indexes of what was selected from them until the
/// end, when they close up (as the specification's sparse arrays do).
enum Selected {
    Object(serde_json::Map<String, Value>, BTreeMap<String, Selected>),
    Array(BTreeMap<usize, Selected>),
    Whole(Value),
}

impl Selected {
    /// The selection of an object before anything under it is chosen: its `id` (unless a
    /// blank node's) and its `type`.
    fn initial(value: &Value) -> Selected {
        let mut kept = serde_json::Map::new();
        if let Value::Object(map) = value {
            for key in ["id", "@id"] {
                if let Some(id) = map.get(key) {
                    if !id.as_str().is_some_and(|s| s.starts_with("_:")) {
                        kept.insert(key.into(), id.clone());
                    }
                }
            }
            for key in ["type", "@type"] {
                if let Some(t) = map.get(key) {
                    kept.insert(key.into(), t.clone());
                }
            }
        }
        match value {
            Value::Array(_) => Selected::Array(BTreeMap::new()),
            _ => Selected::Object(kept, BTreeMap::new()),
        }
    }

    fn into_value(self) -> Value {
        match self {
            Selected::Whole(v) => v,
            Selected::Array(items) => {
                Value::Array(items.into_values().map(Selected::into_value).collect())
            }
            Selected::Object(mut kept, children) => {
                for (k, v) in children {
                    kept.insert(k, v.into_value());
                }
                Value::Object(kept)
            }
        }
    }
}

/// The specification's `selectJsonLd`: what `pointers` select from `document` (its
/// `@context` kept), or `None` for no pointers.
fn select(
    document: &serde_json::Map<String, Value>,
    pointers: &[String],
) -> Result<Option<Value>, ProofError> {
    if pointers.is_empty() {
        return Ok(None);
    }
    let root = Value::Object(document.clone());
    let mut selection = Selected::initial(&root);
    for pointer in pointers {
        let steps = parse_pointer(pointer)?;
        select_path(&root, &steps, &mut selection)
            .ok_or_else(|| malformed(format!("mandatory pointer `{pointer}` selects nothing")))?;
    }
    let mut out = selection.into_value();
    if let (Value::Object(out), Some(ctx)) = (&mut out, document.get("@context")) {
        out.insert("@context".into(), ctx.clone());
    }
    Ok(Some(out))
}

fn parse_pointer(pointer: &str) -> Result<Vec<String>, ProofError> {
    let rest = pointer
        .strip_prefix('/')
        .ok_or_else(|| malformed(format!("`{pointer}` is not a JSON Pointer")))?;
    Ok(rest
        .split('/')
        .map(|t| t.replace("~1", "/").replace("~0", "~"))
        .collect())
}

/// Adds what `steps` reach in `value` to `selected`; `None` if a step leads nowhere.
fn select_path(value: &Value, steps: &[String], selected: &mut Selected) -> Option<()> {
    let (step, rest) = steps.split_first()?;
    let next = match value {
        Value::Object(map) => map.get(step)?,
        Value::Array(items) => items.get(step.parse::<usize>().ok()?)?,
        _ => return None,
    };
    let slot = match selected {
        Selected::Object(_, children) => children
            .entry(step.clone())
            .or_insert_with(|| Selected::initial(next)),
        Selected::Array(items) => items
            .entry(step.parse().ok()?)
            .or_insert_with(|| Selected::initial(next)),
        Selected::Whole(_) => return Some(()),
    };
    if rest.is_empty() {
        // The end of the pointer: all of it, over what was already chosen of it.
        *slot = match (std::mem::replace(slot, Selected::Whole(Value::Null)), next) {
            (Selected::Object(mut kept, children), Value::Object(whole)) => {
                for (k, v) in children {
                    kept.insert(k, v.into_value());
                }
                for (k, v) in whole {
                    kept.insert(k.clone(), v.clone());
                }
                Selected::Whole(Value::Object(kept))
            }
            _ => Selected::Whole(next.clone()),
        };
        return Some(());
    }
    select_path(next, rest, slot)
}

#[cfg(test)]
mod tests {
    use super::relabelled;

    #[test]
    fn only_blank_node_terms_are_relabelled() {
        let canonical = concat!(
            "_:c14n1 <http://example.org/v#note> \"see _:c14n0 \\\" and _:c14n1\" _:c14n0 .\n",
            "<http://example.org/_:c14n0> <http://example.org/v#p> _:c14n1 .\n",
        );
        let lines = relabelled(canonical, |l| Ok(format!("X{l}"))).expect("relabels");
        assert_eq!(
            lines,
            [
                "<http://example.org/_:c14n0> <http://example.org/v#p> _:Xc14n1 .\n",
                "_:Xc14n1 <http://example.org/v#note> \"see _:c14n0 \\\" and _:c14n1\" _:Xc14n0 .\n",
            ]
        );
    }
}
