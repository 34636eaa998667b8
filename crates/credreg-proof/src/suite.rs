//! Creating and verifying Data Integrity proofs.
//!
//! Supported: `DataIntegrityProof` with `eddsa-rdfc-2022` (and its pre-standard name
//! `eddsa-2022`, verify only) and `eddsa-jcs-2022`; `Ed25519Signature2020` (verify only);
//! `ecdsa-rdfc-2019` and `ecdsa-jcs-2019` with P-256 or P-384 keys (verify only: other
//! issuers' credentials).
//! All hash the same way: `H(canonical proof configuration) || H(canonical document)`, with
//! H = SHA-256 (SHA-384 for a P-384 key), signed with the key's algorithm; they differ in the
//! canonical form (RDFC-1.0 N-Quads or RFC 8785 JCS) and in the proof's field names.

use crate::canon::{context_urls, jcs, Canonicalizer, View};
use crate::error::ProofError;
use crate::facts::{CredentialFacts, SignedGraph};
use crate::keys::{multibase_decode, multibase_encode, KeyResolver, PublicKey, ResolvedKey};
use crate::sd::{SdProof, SdStatements};
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256, Sha384};
use std::collections::HashMap;
use std::sync::RwLock;
use time::OffsetDateTime;

/// A proof suite.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Suite {
    /// `DataIntegrityProof` + `eddsa-rdfc-2022` (what Open Badges verifiers accept).
    EddsaRdfc2022,
    /// `DataIntegrityProof` + `eddsa-jcs-2022` (cheap; for node-to-node records).
    EddsaJcs2022,
    /// Legacy `Ed25519Signature2020`; verification only.
    Ed25519Signature2020,
    /// `DataIntegrityProof` + `ecdsa-rdfc-2019` (P-256 or P-384); verification only.
    EcdsaRdfc2019,
    /// `DataIntegrityProof` + `ecdsa-jcs-2019` (P-256 or P-384); verification only.
    EcdsaJcs2019,
    /// `DataIntegrityProof` + `ecdsa-sd-2023` (P-256; selective disclosure, base and derived
    /// proofs, see [`crate::sd`]); verification only.
    EcdsaSd2023,
    /// Not a Data Integrity suite: the credential came as a compact JWS (VC-JWT), verified by
    /// the node's JOSE code. Named here so reports list every way a credential was signed.
    VcJwt,
}

impl Suite {
    /// The name shown in reports (`cryptosuite` or proof `type`).
    pub fn name(self) -> &'static str {
        match self {
            Suite::EddsaRdfc2022 => "eddsa-rdfc-2022",
            Suite::EddsaJcs2022 => "eddsa-jcs-2022",
            Suite::Ed25519Signature2020 => "Ed25519Signature2020",
            Suite::EcdsaRdfc2019 => "ecdsa-rdfc-2019",
            Suite::EcdsaJcs2019 => "ecdsa-jcs-2019",
            Suite::EcdsaSd2023 => "ecdsa-sd-2023",
            Suite::VcJwt => "VC-JWT",
        }
    }

    /// Whether the suite canonicalizes with JCS (else RDFC-1.0).
    fn is_jcs(self) -> bool {
        matches!(self, Suite::EddsaJcs2022 | Suite::EcdsaJcs2019)
    }

    /// Whether `key` is one this suite signs with.
    fn takes(self, key: &PublicKey) -> bool {
        match self {
            Suite::EcdsaRdfc2019 | Suite::EcdsaJcs2019 => {
                matches!(key, PublicKey::P256(_) | PublicKey::P384(_))
            }
            Suite::EcdsaSd2023 => matches!(key, PublicKey::P256(_)),
            Suite::VcJwt => false,
            _ => matches!(key, PublicKey::Ed25519(_)),
        }
    }

    fn of(proof: &Map<String, Value>) -> Result<Suite, ProofError> {
        let ty = proof.get("type").and_then(Value::as_str).unwrap_or("");
        match ty {
            "DataIntegrityProof" => match proof.get("cryptosuite").and_then(Value::as_str) {
                // `eddsa-2022` is the same algorithm under its pre-standard name, still found in
                // credentials issued in 2023 (the 1EdTech validator accepts it).
                Some("eddsa-rdfc-2022") | Some("eddsa-2022") => Ok(Suite::EddsaRdfc2022),
                Some("eddsa-jcs-2022") => Ok(Suite::EddsaJcs2022),
                Some("ecdsa-rdfc-2019") => Ok(Suite::EcdsaRdfc2019),
                Some("ecdsa-jcs-2019") => Ok(Suite::EcdsaJcs2019),
                Some("ecdsa-sd-2023") => Ok(Suite::EcdsaSd2023),
                Some(other) => Err(ProofError::UnsupportedSuite(format!(
                    "cryptosuite `{other}`"
                ))),
                None => Err(ProofError::malformed(
                    "DataIntegrityProof without `cryptosuite`",
                )),
            },
            "Ed25519Signature2020" => Ok(Suite::Ed25519Signature2020),
            "" => Err(ProofError::malformed("proof without `type`")),
            other => Err(ProofError::UnsupportedSuite(format!(
                "proof type `{other}`"
            ))),
        }
    }
}

/// What to put in a new proof.
#[derive(Debug, Clone)]
pub struct SignOptions {
    /// Suite to sign with (not `Ed25519Signature2020`).
    pub suite: Suite,
    /// Verification method id, e.g. `did:key:z6Mk...#z6Mk...`.
    pub verification_method: String,
    /// Proof purpose; `assertionMethod` for credentials.
    pub proof_purpose: String,
    /// `created`, as an XML Schema dateTime (`2026-11-22T10:00:00Z`). The caller supplies the
    /// time: this crate reads no clock.
    pub created: Option<String>,
    /// Optional `expires`.
    pub expires: Option<String>,
}

impl SignOptions {
    /// `assertionMethod` options for `suite` and `method`, created at `created`.
    pub fn assertion(suite: Suite, method: impl Into<String>, created: impl Into<String>) -> Self {
        Self {
            suite,
            verification_method: method.into(),
            proof_purpose: "assertionMethod".into(),
            created: Some(created.into()),
            expires: None,
        }
    }
}

/// What a verifier requires of a proof.
#[derive(Debug, Clone)]
pub struct VerifyOptions {
    /// Required proof purpose.
    pub proof_purpose: String,
    /// The verification time; `None` skips `created`/`expires` checks.
    pub now: Option<OffsetDateTime>,
    /// Allowed clock skew for `created` in the future.
    pub max_clock_skew: time::Duration,
    /// Whether to read the signed document's [`CredentialFacts`] (for credentials; records
    /// verified by the thousand leave it off).
    pub credential_facts: bool,
}

impl Default for VerifyOptions {
    fn default() -> Self {
        Self {
            proof_purpose: "assertionMethod".into(),
            now: None,
            max_clock_skew: time::Duration::minutes(5),
            credential_facts: false,
        }
    }
}

/// One proof that verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedProof {
    /// Its suite.
    pub suite: Suite,
    /// The key that made it.
    pub key: ResolvedKey,
    /// Its `created`, if any.
    pub created: Option<String>,
    /// Whether the key's controller is the document's `issuer` (id), i.e. the issuer signed it.
    pub signed_by_issuer: bool,
    /// SHA-256 of the canonical document this proof signed (RDFC-1.0 N-Quads or JCS bytes,
    /// without the proof): the second half of the signed message. Two spellings of one RDF
    /// share it; any change of meaning changes it.
    pub document_digest: [u8; 32],
}

/// The outcome of verifying a document's proof set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    /// Proofs that verified (at least one).
    pub proofs: Vec<VerifiedProof>,
    /// Proofs of types this crate does not implement, skipped (type or cryptosuite names).
    pub skipped: Vec<String>,
    /// What the signed document says, when [`VerifyOptions::credential_facts`] asked for it.
    pub facts: Option<CredentialFacts>,
}

impl Verification {
    /// The first proof made by the issuer's own key, if any.
    pub fn issuer_proof(&self) -> Option<&VerifiedProof> {
        self.proofs.iter().find(|p| p.signed_by_issuer)
    }
}

/// Signs and verifies Data Integrity proofs. Cheap to share (`Arc`) across threads.
#[derive(Debug)]
pub struct DataIntegrity {
    canon: Canonicalizer,
    did_key_cache: RwLock<HashMap<String, ResolvedKey>>,
}

/// A proof reduced to the bytes its key checks (Ed25519 ones go to batch verification).
struct Prepared {
    message: Vec<u8>,
    signature: Vec<u8>,
    /// For `ecdsa-sd-2023`: the statements the ephemeral key signed, checked after the
    /// issuer's signature over `message`.
    statements: Option<SdStatements>,
    verified: VerifiedProof,
}

impl Prepared {
    /// The Ed25519 key and signature, when this is an Ed25519 proof.
    fn ed25519(&self) -> Option<(VerifyingKey, Signature)> {
        let key = self.verified.key.key.as_ed25519()?;
        let sig: [u8; 64] = self.signature.as_slice().try_into().ok()?;
        Some((*key, Signature::from_bytes(&sig)))
    }

    fn check(&self) -> Result<(), ProofError> {
        if self.verified.key.key.verify(&self.message, &self.signature)
            && self.statements.as_ref().is_none_or(SdStatements::hold)
        {
            Ok(())
        } else {
            Err(ProofError::Signature)
        }
    }
}

/// Canonical proof configuration, canonical document, and (when asked for) the document's quads.
type CanonicalPair = (Vec<u8>, Vec<u8>, Option<Vec<oxrdf::Quad>>);

/// A document's proofs reduced to [`Prepared`], with the facts of the signed document.
type PreparedDoc = (Vec<Prepared>, Vec<String>, Option<CredentialFacts>);

impl DataIntegrity {
    /// A signer/verifier over the contexts in `canon`'s store.
    pub fn new(canon: Canonicalizer) -> Self {
        Self {
            canon,
            did_key_cache: RwLock::new(HashMap::new()),
        }
    }

    /// The canonicalizer (for reproducing intermediate values in tests and tools).
    pub fn canonicalizer(&self) -> &Canonicalizer {
        &self.canon
    }

    /// Returns `doc` with a new proof appended (a second proof makes a proof set).
    pub fn sign(
        &self,
        doc: &Value,
        key: &SigningKey,
        options: &SignOptions,
    ) -> Result<Value, ProofError> {
        self.sign_with_digest(doc, key, options)
            .map(|(signed, _)| signed)
    }

    /// [`sign`](Self::sign), also returning the new proof's
    /// [`document_digest`](VerifiedProof::document_digest).
    pub fn sign_with_digest(
        &self,
        doc: &Value,
        key: &SigningKey,
        options: &SignOptions,
    ) -> Result<(Value, [u8; 32]), ProofError> {
        let obj = doc
            .as_object()
            .ok_or_else(|| ProofError::malformed("only JSON objects can be signed"))?;
        if !matches!(options.suite, Suite::EddsaRdfc2022 | Suite::EddsaJcs2022) {
            // Ed25519Signature2020, the ECDSA suites and VC-JWT are read, never written.
            return Err(ProofError::UnsupportedSuite(format!(
                "{} is accepted for verification only",
                options.suite.name()
            )));
        }
        let mut proof = Map::new();
        proof.insert("type".into(), "DataIntegrityProof".into());
        proof.insert("cryptosuite".into(), options.suite.name().into());
        if let Some(c) = &options.created {
            proof.insert("created".into(), c.clone().into());
        }
        if let Some(e) = &options.expires {
            proof.insert("expires".into(), e.clone().into());
        }
        proof.insert(
            "verificationMethod".into(),
            options.verification_method.clone().into(),
        );
        proof.insert("proofPurpose".into(), options.proof_purpose.clone().into());

        let existing = obj.get("proof").cloned();
        let (config_canon, doc_canon) = self.canonical_views(
            &View::of(obj).without(&["proof"]),
            &View::of(&proof),
            options.suite,
        )?;
        let message = sha256_pair(&config_canon, &doc_canon);
        let signature = key.sign(&message);
        proof.insert(
            "proofValue".into(),
            multibase_encode(&signature.to_bytes()).into(),
        );

        let mut out = obj.clone();
        let proof = Value::Object(proof);
        let new_proof = match existing {
            None => proof,
            Some(Value::Array(mut a)) => {
                a.push(proof);
                Value::Array(a)
            }
            Some(single) => Value::Array(vec![single, proof]),
        };
        out.insert("proof".into(), new_proof);
        Ok((Value::Object(out), digest_half(&message)))
    }

    /// Verifies every proof on `doc`. Fails if any supported proof fails, or if none is supported.
    pub fn verify(
        &self,
        doc: &Value,
        resolver: &KeyResolver,
        options: &VerifyOptions,
    ) -> Result<Verification, ProofError> {
        let (prepared, skipped, facts) = self.prepare(doc, resolver, options)?;
        let mut proofs = Vec::with_capacity(prepared.len());
        for p in prepared {
            p.check()?;
            proofs.push(p.verified);
        }
        Ok(Verification {
            proofs,
            skipped,
            facts,
        })
    }

    /// Verifies many documents, checking all their signatures with one Ed25519 batch
    /// verification (falling back to one-by-one only to find the culprits when the batch fails).
    /// Results are in input order.
    pub fn verify_batch<'d>(
        &self,
        docs: impl IntoIterator<Item = &'d Value>,
        resolver: &KeyResolver,
        options: &VerifyOptions,
    ) -> Vec<Result<Verification, ProofError>> {
        let prepared: Vec<_> = docs
            .into_iter()
            .map(|d| self.prepare(d, resolver, options))
            .collect();
        let mut messages: Vec<&[u8]> = Vec::new();
        let mut signatures = Vec::new();
        let mut keys = Vec::new();
        for (ps, _, _) in prepared.iter().flatten() {
            for p in ps {
                if let Some((key, signature)) = p.ed25519() {
                    messages.push(&p.message);
                    signatures.push(signature);
                    keys.push(key);
                }
            }
        }
        // Batch verification cannot reject weak (small-order) keys the way verify_strict does.
        let any_weak = keys.iter().any(VerifyingKey::is_weak);
        let batch_ok =
            !any_weak && ed25519_dalek::verify_batch(&messages, &signatures, &keys).is_ok();
        prepared
            .into_iter()
            .map(|r| {
                let (ps, skipped, facts) = r?;
                let mut proofs = Vec::with_capacity(ps.len());
                for p in ps {
                    // ECDSA proofs are not in the batch: each is checked on its own.
                    if !batch_ok || p.ed25519().is_none() {
                        p.check()?;
                    }
                    proofs.push(p.verified);
                }
                Ok(Verification {
                    proofs,
                    skipped,
                    facts,
                })
            })
            .collect()
    }

    fn prepare(
        &self,
        doc: &Value,
        resolver: &KeyResolver,
        options: &VerifyOptions,
    ) -> Result<PreparedDoc, ProofError> {
        let obj = doc
            .as_object()
            .ok_or_else(|| ProofError::malformed("a credential must be a JSON object"))?;
        let proofs: Vec<&Map<String, Value>> = match obj.get("proof") {
            None => return Err(ProofError::NoProof),
            Some(Value::Object(p)) => vec![p],
            Some(Value::Array(a)) => a
                .iter()
                .map(|p| {
                    p.as_object()
                        .ok_or_else(|| ProofError::malformed("a proof must be an object"))
                })
                .collect::<Result<_, _>>()?,
            Some(_) => {
                return Err(ProofError::malformed(
                    "`proof` must be an object or an array",
                ))
            }
        };
        let issuer = issuer_id(obj);

        let mut prepared = Vec::new();
        let mut skipped = Vec::new();
        // The facts come from the quads of the document a proof without `previousProof`
        // signed (a chained proof signs the document plus earlier proofs).
        let mut quads = None;
        for proof in &proofs {
            let suite = match Suite::of(proof) {
                Ok(s) => s,
                Err(ProofError::UnsupportedSuite(what)) => {
                    skipped.push(what);
                    continue;
                }
                Err(e) => return Err(e),
            };
            let want_quads =
                options.credential_facts && quads.is_none() && !proof.contains_key("previousProof");
            let (p, q) = self.prepare_one(
                obj, &proofs, proof, suite, issuer, resolver, options, want_quads,
            )?;
            if q.is_some() {
                quads = q;
            }
            prepared.push(p);
        }
        if prepared.is_empty() {
            return Err(ProofError::UnsupportedSuite(format!(
                "no supported proof ({})",
                skipped.join(", ")
            )));
        }
        let facts = if options.credential_facts {
            let quads = match quads {
                Some(q) => q,
                None => self.canon.quads(&View::of(obj).without(&["proof"]))?,
            };
            let top_id = obj
                .get("id")
                .or_else(|| obj.get("@id"))
                .and_then(Value::as_str);
            Some(CredentialFacts::from_graph(
                &SignedGraph::from_quads(&quads),
                top_id,
            ))
        } else {
            None
        };
        Ok((prepared, skipped, facts))
    }

    #[allow(clippy::too_many_arguments)]
    fn prepare_one(
        &self,
        secured: &Map<String, Value>,
        all_proofs: &[&Map<String, Value>],
        proof: &Map<String, Value>,
        suite: Suite,
        issuer: Option<&str>,
        resolver: &KeyResolver,
        options: &VerifyOptions,
        want_quads: bool,
    ) -> Result<(Prepared, Option<Vec<oxrdf::Quad>>), ProofError> {
        let purpose = str_field(proof, "proofPurpose")?;
        if purpose != options.proof_purpose {
            return Err(ProofError::WrongPurpose {
                expected: options.proof_purpose.clone(),
                found: purpose.to_owned(),
            });
        }
        let method = str_field(proof, "verificationMethod")?;
        let created = proof
            .get("created")
            .and_then(Value::as_str)
            .map(str::to_owned);
        crate::validity::check_validity(proof, options.now, options.max_clock_skew)?;
        let key = self.resolve(method, purpose, resolver)?;
        if !suite.takes(&key.key) {
            return Err(ProofError::key(
                method,
                format!(
                    "{} does not sign with a {} key",
                    suite.name(),
                    key.key.curve()
                ),
            ));
        }

        let value = str_field(proof, "proofValue")?;
        // `ecdsa-sd-2023` packs several signatures and more into its value; every other
        // suite's is one signature.
        let sd_proof = match suite {
            Suite::EcdsaSd2023 => Some(SdProof::parse(value)?),
            _ => None,
        };
        let signature = match sd_proof {
            Some(_) => Vec::new(),
            None => one_signature(value, &key.key)?,
        };

        let config = View::of(proof).without(&["proofValue"]);
        // A chained proof signs the document together with the proofs it names.
        let chained_value;
        let mut document = View::of(secured).without(&["proof"]);
        if let Some(prev) = proof.get("previousProof") {
            let wanted: Vec<&str> = match prev {
                Value::String(s) => vec![s.as_str()],
                Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
                _ => {
                    return Err(ProofError::malformed(
                        "previousProof must be a string or array",
                    ))
                }
            };
            let mut chained = Vec::new();
            for id in wanted {
                let found = all_proofs
                    .iter()
                    .find(|p| p.get("id").and_then(Value::as_str) == Some(id))
                    .ok_or_else(|| {
                        ProofError::malformed(format!(
                            "previousProof `{id}` is not in the proof set"
                        ))
                    })?;
                chained.push(Value::Object((*found).clone()));
            }
            chained_value = if chained.len() == 1 {
                chained.remove(0)
            } else {
                Value::Array(chained)
            };
            document = document.with("proof", &chained_value);
        }
        let (config_canon, doc_canon, quads) =
            self.canonical_views_with_quads(&document, &config, suite, want_quads)?;
        let document_digest: [u8; 32] = Sha256::digest(&doc_canon).into();
        let (message, signature, statements) = match sd_proof {
            Some(sd_proof) => {
                let (message, signature, statements) =
                    crate::sd::check(&self.canon, sd_proof, &document, &config_canon, &doc_canon)?;
                (message, signature, Some(statements))
            }
            None => {
                let message = match key.key {
                    PublicKey::P384(_) => {
                        let mut m = Sha384::digest(&config_canon).to_vec();
                        m.extend_from_slice(&Sha384::digest(&doc_canon));
                        m
                    }
                    _ => sha256_pair(&config_canon, &doc_canon).to_vec(),
                };
                (message, signature, None)
            }
        };
        let signed_by_issuer = issuer.is_some_and(|i| i == key.controller);
        Ok((
            Prepared {
                message,
                signature,
                statements,
                verified: VerifiedProof {
                    suite,
                    key,
                    created,
                    signed_by_issuer,
                    document_digest,
                },
            },
            quads,
        ))
    }

    fn resolve(
        &self,
        method: &str,
        purpose: &str,
        resolver: &KeyResolver,
    ) -> Result<ResolvedKey, ProofError> {
        // did:key decoding includes a curve point decompression; cache it, as records from
        // a handful of issuers arrive by the thousand. A did:key authorizes its key for every
        // purpose, so the cached resolution holds whatever `purpose` asks.
        if !method.starts_with("did:key:") {
            return resolver.resolve(method, purpose);
        }
        if let Some(hit) = self
            .did_key_cache
            .read()
            .ok()
            .and_then(|m| m.get(method).cloned())
        {
            return Ok(hit);
        }
        let resolved = resolver.resolve(method, purpose)?;
        if let Ok(mut m) = self.did_key_cache.write() {
            if m.len() > 10_000 {
                m.clear();
            }
            m.insert(method.to_owned(), resolved.clone());
        }
        Ok(resolved)
    }

    /// `SHA-256(canonical config) || SHA-256(canonical document)` for `suite` (what an
    /// EdDSA or P-256 proof signs).
    pub fn hash_data(
        &self,
        unsecured: &Map<String, Value>,
        config: &Map<String, Value>,
        suite: Suite,
    ) -> Result<[u8; 64], ProofError> {
        let (c, d) = self.canonical_views(&View::of(unsecured), &View::of(config), suite)?;
        Ok(sha256_pair(&c, &d))
    }

    /// What an unsigned credential states, read from its RDF (for credentials whose signature
    /// is not a Data Integrity proof: a VC-JWT's payload, checked by its JWS).
    pub fn facts_of(&self, doc: &Value) -> Result<CredentialFacts, ProofError> {
        let obj = doc
            .as_object()
            .ok_or_else(|| ProofError::malformed("a credential must be a JSON object"))?;
        let quads = self.canon.quads(&View::of(obj).without(&["proof"]))?;
        let top_id = obj
            .get("id")
            .or_else(|| obj.get("@id"))
            .and_then(Value::as_str);
        Ok(CredentialFacts::from_graph(
            &SignedGraph::from_quads(&quads),
            top_id,
        ))
    }

    /// SHA-256 of `doc`'s canonical form under `suite`, without its `proof`: the
    /// [`document_digest`](VerifiedProof::document_digest) a proof over it would carry.
    pub fn document_digest(&self, doc: &Value, suite: Suite) -> Result<[u8; 32], ProofError> {
        let obj = doc
            .as_object()
            .ok_or_else(|| ProofError::malformed("only JSON objects are canonicalized"))?;
        let unsecured = View::of(obj).without(&["proof"]);
        let canonical = if suite.is_jcs() {
            jcs(&unsecured)?
        } else {
            self.canon.rdfc_view(&unsecured)?.into_bytes()
        };
        Ok(Sha256::digest(&canonical).into())
    }

    /// The canonical proof configuration and canonical document, as the suite defines them.
    pub fn canonical_pair(
        &self,
        unsecured: &Map<String, Value>,
        config: &Map<String, Value>,
        suite: Suite,
    ) -> Result<(Vec<u8>, Vec<u8>), ProofError> {
        self.canonical_views(&View::of(unsecured), &View::of(config), suite)
    }

    fn canonical_views(
        &self,
        unsecured: &View<'_>,
        config: &View<'_>,
        suite: Suite,
    ) -> Result<(Vec<u8>, Vec<u8>), ProofError> {
        self.canonical_views_with_quads(unsecured, config, suite, false)
            .map(|(c, d, _)| (c, d))
    }

    /// The canonical configuration and document, and (when `want_quads`) the document's RDF
    /// quads: the ones canonicalized for RDFC suites; for JCS, the RDF of the signed JSON.
    fn canonical_views_with_quads(
        &self,
        unsecured: &View<'_>,
        config: &View<'_>,
        suite: Suite,
        want_quads: bool,
    ) -> Result<CanonicalPair, ProofError> {
        let mut config = config.clone();
        if suite.is_jcs() {
            if let Some(proof_ctx) = config.get("@context") {
                // The proof's contexts must be a prefix of the document's.
                let doc_ctx = unsecured
                    .get("@context")
                    .map(context_urls)
                    .unwrap_or_default();
                let proof_ctx = context_urls(proof_ctx);
                if !doc_ctx.starts_with(&proof_ctx) {
                    return Err(ProofError::malformed(
                        "the proof's @context is not a prefix of the document's",
                    ));
                }
            }
            if let Some(ctx) = unsecured.get("@context") {
                config = config.with("@context", ctx);
            }
            let config_canon = jcs(&config)?;
            let doc_canon = jcs(unsecured)?;
            let quads = if want_quads {
                Some(self.canon.quads(unsecured)?)
            } else {
                None
            };
            Ok((config_canon, doc_canon, quads))
        } else {
            // The proof configuration is expanded with the document's contexts; without
            // them it would expand to nothing and sign an empty configuration.
            let ctx = unsecured
                .get("@context")
                .ok_or_else(|| ProofError::malformed("a JSON-LD credential needs an @context"))?;
            let config = config.with("@context", ctx);
            let config_canon = self.canon.rdfc_view(&config)?;
            let (doc_canon, quads) = if want_quads {
                let (c, q) = self.canon.rdfc_with_quads(unsecured)?;
                (c, Some(q))
            } else {
                (self.canon.rdfc_view(unsecured)?, None)
            };
            Ok((config_canon.into_bytes(), doc_canon.into_bytes(), quads))
        }
    }
}

/// `SHA-256(config) || SHA-256(document)`.
fn sha256_pair(config_canon: &[u8], doc_canon: &[u8]) -> [u8; 64] {
    let mut out = [0u8; 64];
    out[..32].copy_from_slice(&Sha256::digest(config_canon));
    out[32..].copy_from_slice(&Sha256::digest(doc_canon));
    out
}

fn digest_half(message: &[u8; 64]) -> [u8; 32] {
    let mut d = [0u8; 32];
    d.copy_from_slice(&message[32..]);
    d
}

fn issuer_id(doc: &Map<String, Value>) -> Option<&str> {
    match doc.get("issuer")? {
        Value::String(s) => Some(s),
        Value::Object(o) => o.get("id").and_then(Value::as_str),
        _ => None,
    }
}

fn str_field<'a>(proof: &'a Map<String, Value>, name: &str) -> Result<&'a str, ProofError> {
    proof
        .get(name)
        .and_then(Value::as_str)
        .ok_or_else(|| ProofError::malformed(format!("proof has no string `{name}`")))
}

/// The one signature a `proofValue` holds (base58btc), of the size `key`'s curve makes.
fn one_signature(value: &str, key: &PublicKey) -> Result<Vec<u8>, ProofError> {
    let signature =
        multibase_decode(value).map_err(|e| ProofError::malformed(format!("proofValue: {e}")))?;
    let size = match key {
        PublicKey::P384(_) => 96,
        _ => 64,
    };
    if signature.len() != size {
        return Err(ProofError::malformed(format!(
            "proofValue must be {size} bytes, found {}",
            signature.len()
        )));
    }
    Ok(signature)
}
