//! Canonical forms: RDFC-1.0 N-Quads of a JSON-LD document, and RFC 8785 JCS.
//!
//! The RDF path is `json-ld` (expansion and RDF conversion) followed by `rdf-canon`
//! (RDFC-1.0), both reproducing the W3C and Open Badges vectors byte-for-byte. Around them this
//! module adds what interoperability needs:
//! - a strict expansion policy: an undefined term or a type that does not expand to an absolute
//!   IRI is an error, never silently dropped (it would otherwise go unsigned);
//! - language tags lowercased, as jsonld.js (the Digital Bazaar stack) does;
//! - integers beyond 2^53 rejected (JavaScript verifiers cannot represent them exactly), and
//!   integral floats (`1.0`) treated as integers, as JavaScript does;
//! - a cache of processed top-level contexts keyed by the exact `@context` value, so the large
//!   VC 2.0 + Open Badges contexts are processed once per process rather than per credential;
//! - a bound on RDFC-1.0's costly hash-n-degree-quads step against crafted blank-node graphs.

use crate::contexts::ContextStore;
use crate::error::ProofError;
use crate::limits::DocumentLimits;
use json_ld::context_processing::Process;
use json_ld::expansion::{Action, Policy};
use json_ld::{Context, RdfQuads};
use rdf_types::{Id, LiteralType, Term};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

/// Largest integer JavaScript represents exactly.
const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;
/// Hash-n-degree-quads calls allowed per document. A real credential needs a handful; the
/// bound turns a crafted many-blank-node input into an error instead of minutes of CPU.
pub const DEFAULT_HNDQ_CALL_LIMIT: usize = 4_000;
/// Processed contexts kept; distinct `@context` values in practice are a few dozen.
const CONTEXT_CACHE_CAPACITY: usize = 64;
/// A processed context costs memory roughly in proportion to the text it was processed from;
/// the cache holds at most this much source text (the VC 2.0 + OB 3.0.3 pair is about 40 KB).
const CONTEXT_CACHE_SOURCE_BYTES: usize = 4 * 1024 * 1024;
/// `@context` values longer than this (inline definitions) are processed but never cached:
/// each distinct one would otherwise keep a processed context alive.
const CACHEABLE_CONTEXT_KEY_BYTES: usize = 2 * 1024;

/// Scoped contexts kept per thread and canonicalizer (see `vendor/json-ld-expansion`). A VC
/// uses a few dozen; a processed context is tens of KB, so this bounds a thread at a few MB
/// even against documents crafted to derive many distinct contexts.
const SCOPED_CACHE_CAPACITY: usize = 256;

/// Source of [`Canonicalizer`] ids: a scoped-context cache belongs to one canonicalizer (one
/// context store), so two stores mapping a URL to different documents never share entries.
static NEXT_CANONICALIZER_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

type ScopedCache = json_ld::expansion::ScopedCache<iref::IriBuf, rdf_types::BlankIdBuf>;

thread_local! {
    /// Per thread: canonicalizer id -> its scoped-context cache. The cache holds `Rc`s (the
    /// expansion futures are not `Send` anyway), hence one per thread.
    static SCOPED: std::cell::RefCell<HashMap<u64, std::rc::Rc<ScopedCache>>> =
        std::cell::RefCell::new(HashMap::new());
}

fn scoped_cache(canonicalizer: u64) -> std::rc::Rc<ScopedCache> {
    SCOPED.with(|m| {
        let mut m = m.borrow_mut();
        if m.len() > 16 && !m.contains_key(&canonicalizer) {
            // Canonicalizers are few and long-lived; this only drops caches of dropped ones.
            m.clear();
        }
        m.entry(canonicalizer)
            .or_insert_with(|| std::rc::Rc::new(ScopedCache::with_limit(SCOPED_CACHE_CAPACITY)))
            .clone()
    })
}

/// Turns JSON-LD documents into canonical N-Quads using only a [`ContextStore`].
pub struct Canonicalizer {
    id: u64,
    store: Arc<ContextStore>,
    processed: RwLock<ProcessedCache>,
    hndq_call_limit: usize,
    limits: DocumentLimits,
}

/// Processed top-level contexts by `@context` value, bounded in entries and in the source
/// bytes they were processed from.
#[derive(Default)]
struct ProcessedCache {
    map: HashMap<String, Arc<Context>>,
    source_bytes: usize,
}

impl std::fmt::Debug for Canonicalizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Canonicalizer")
            .field("contexts", &self.store.iter().count())
            .field("hndq_call_limit", &self.hndq_call_limit)
            .finish()
    }
}

impl Canonicalizer {
    /// A canonicalizer reading contexts from `store`.
    pub fn new(store: Arc<ContextStore>) -> Self {
        Self {
            id: NEXT_CANONICALIZER_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            store,
            processed: RwLock::new(ProcessedCache::default()),
            hndq_call_limit: DEFAULT_HNDQ_CALL_LIMIT,
            limits: DocumentLimits::default(),
        }
    }

    /// Overrides the bounds checked before a document is processed.
    pub fn with_limits(mut self, limits: DocumentLimits) -> Self {
        self.limits = limits;
        self
    }

    /// The bounds checked before a document is processed.
    pub fn limits(&self) -> &DocumentLimits {
        &self.limits
    }

    /// Overrides the hash-n-degree-quads call bound.
    pub fn with_hndq_call_limit(mut self, limit: usize) -> Self {
        self.hndq_call_limit = limit;
        self
    }

    /// The context store in use.
    pub fn store(&self) -> &ContextStore {
        &self.store
    }

    /// RDFC-1.0 canonical N-Quads of `doc` (a JSON object with an `@context`).
    pub fn rdfc(&self, doc: &Value) -> Result<String, ProofError> {
        let obj = doc
            .as_object()
            .ok_or_else(|| ProofError::malformed("a JSON-LD document must be a JSON object"))?;
        self.rdfc_view(&View::of(obj))
    }

    /// RDFC-1.0 canonical N-Quads of a [`View`] of a JSON object.
    pub fn rdfc_view(&self, doc: &View<'_>) -> Result<String, ProofError> {
        self.rdfc_view_with(doc, true)
    }

    /// [`rdfc`](Self::rdfc) through upstream json-ld's expansion, without the scoped-context
    /// cache: the reference the cached path is tested against.
    #[doc(hidden)]
    pub fn rdfc_uncached(&self, doc: &Value) -> Result<String, ProofError> {
        let obj = doc
            .as_object()
            .ok_or_else(|| ProofError::malformed("a JSON-LD document must be a JSON object"))?;
        self.rdfc_view_with(&View::of(obj), false)
    }

    fn rdfc_view_with(&self, doc: &View<'_>, cached: bool) -> Result<String, ProofError> {
        let quads = self.quads_with(doc, cached)?;
        self.canonicalize(&quads)
    }

    /// RDFC-1.0 canonical N-Quads of a [`View`], with the quads they were computed from (for
    /// reading the signed facts, [`crate::facts`]).
    pub fn rdfc_with_quads(
        &self,
        doc: &View<'_>,
    ) -> Result<(String, Vec<oxrdf::Quad>), ProofError> {
        let quads = self.quads_with(doc, true)?;
        Ok((self.canonicalize(&quads)?, quads))
    }

    /// The RDF quads of a [`View`] of a JSON-LD document, before canonicalization.
    pub fn quads(&self, doc: &View<'_>) -> Result<Vec<oxrdf::Quad>, ProofError> {
        self.quads_with(doc, true)
    }

    fn quads_with(&self, doc: &View<'_>, cached: bool) -> Result<Vec<oxrdf::Quad>, ProofError> {
        self.limits.check_entries(doc.entries())?;
        let null = Value::Null;
        let context_value = doc
            .entries()
            .find(|(k, _)| *k == "@context")
            .map_or(&null, |(_, v)| v);
        let (active, root_key) = self.processed_context(context_value)?;

        // Expand the body under the cached active context: identical to processing the
        // document's own `@context` first, without re-processing it.
        let mut body = json_syntax::Object::new();
        for (k, v) in doc.entries() {
            if k != "@context" {
                body.push(k.into(), to_json_syntax(v)?);
            }
        }
        let body = json_syntax::Value::Object(body);
        let loader = self.store.loader();
        // Scoped contexts (VC, Data Integrity, Open Badges types) are processed once per
        // thread and then reused: the patched expansion memoizes them by derivation from the
        // root context, identified here by its `@context` value (the store is fixed per
        // canonicalizer and the options are constant).
        let expanded = if cached {
            let cache = scoped_cache(self.id);
            futures::executor::block_on(json_ld::expansion::expand_cached(
                &body,
                &mut (),
                &active,
                &root_key,
                &cache,
                None,
                &loader,
                strict_options(),
                (),
            ))
        } else {
            use json_ld::Expand as _;
            futures::executor::block_on(body.expand_full(
                &mut (),
                (*active).clone(),
                None,
                &loader,
                strict_options(),
                (),
            ))
        };
        let mut expanded = match expanded {
            Ok(e) => e,
            Err(e) => {
                return Err(expansion_error(
                    e,
                    loader.missing.borrow().clone(),
                    doc,
                    &active,
                ))
            }
        };

        let mut generator = rdf_types::generator::Blank::new();
        expanded.relabel_and_canonicalize_with(&mut (), &mut generator);
        let mut quads = Vec::new();
        for quad in expanded.rdf_quads_full(&mut (), &mut generator, None, false) {
            let rdf_types::Quad(s, p, o, g) = quad;
            let subject = subject_of(s.as_ref())?;
            let predicate = match p.as_ref() {
                Id::Iri(i) => oxrdf::NamedNode::new_unchecked(i.as_str()),
                Id::Blank(_) => continue, // generalized RDF is not produced
            };
            let object: oxrdf::Term = match o {
                Term::Id(id) => subject_of(&id)?.into(),
                Term::Literal(lit) => {
                    let value = lit.value;
                    match lit.type_ {
                        LiteralType::Any(dt) => oxrdf::Literal::new_typed_literal(
                            value,
                            oxrdf::NamedNode::new_unchecked(dt.as_str()),
                        ),
                        LiteralType::LangString(tag) => {
                            oxrdf::Literal::new_language_tagged_literal_unchecked(
                                value,
                                tag.as_str().to_ascii_lowercase(),
                            )
                        }
                    }
                    .into()
                }
            };
            let graph = match g {
                None => oxrdf::GraphName::DefaultGraph,
                Some(Id::Iri(i)) => oxrdf::NamedNode::new_unchecked(i.as_str()).into(),
                Some(Id::Blank(b)) => oxrdf::BlankNode::new_unchecked(b.suffix()).into(),
            };
            quads.push(oxrdf::Quad::new(subject, predicate, object, graph));
        }
        Ok(quads)
    }

    fn canonicalize(&self, quads: &[oxrdf::Quad]) -> Result<String, ProofError> {
        let options = rdf_canon::CanonicalizationOptions {
            hndq_call_limit: Some(self.hndq_call_limit),
        };
        rdf_canon::canonicalize_quads_with::<sha2::Sha256>(quads, &options)
            .map_err(|e| ProofError::Canonicalization(e.to_string()))
    }

    /// The canonical label RDFC-1.0 issues each blank node of `quads` (`b0` -> `c14n3`).
    pub(crate) fn issued_labels(
        &self,
        quads: &[oxrdf::Quad],
    ) -> Result<HashMap<String, String>, ProofError> {
        let options = rdf_canon::CanonicalizationOptions {
            hndq_call_limit: Some(self.hndq_call_limit),
        };
        rdf_canon::issue_quads_with::<sha2::Sha256>(quads, &options)
            .map_err(|e| ProofError::Canonicalization(e.to_string()))
    }

    /// The processed top-level context for `context_value`, and the key naming it.
    fn processed_context(
        &self,
        context_value: &Value,
    ) -> Result<(Arc<Context>, String), ProofError> {
        let key = serde_json::to_string(context_value)
            .map_err(|e| ProofError::malformed(e.to_string()))?;
        if let Some(hit) = self
            .processed
            .read()
            .ok()
            .and_then(|m| m.map.get(&key).cloned())
        {
            return Ok((hit, key));
        }
        // Name a missing top-level context before attempting anything else.
        for url in context_urls(context_value) {
            if !self.store.contains(url) {
                return Err(ProofError::ContextMissing {
                    url: url.to_owned(),
                });
            }
        }
        let active = if context_value.is_null() {
            Context::new(None)
        } else {
            let local =
                json_ld::syntax::context::Context::try_from_json(to_json_syntax(context_value)?)
                    .map_err(|e| ProofError::malformed(format!("invalid @context: {e}")))?;
            let loader = self.store.loader();
            let processed = futures::executor::block_on(local.process_full(
                &mut (),
                &Context::new(None),
                &loader,
                None,
                json_ld::context_processing::Options::default(),
                (),
            ));
            match processed {
                Ok(p) => p.into_processed(),
                Err(e) => {
                    if let Some(url) = loader.missing.borrow().clone() {
                        return Err(ProofError::ContextMissing { url });
                    }
                    return Err(ProofError::Canonicalization(format!(
                        "context processing failed: {e}"
                    )));
                }
            }
        };
        let active = Arc::new(active);
        if key.len() <= CACHEABLE_CONTEXT_KEY_BYTES {
            let source: usize = key.len()
                + context_urls(context_value)
                    .iter()
                    .filter_map(|u| self.store.get(u))
                    .map(|c| c.text.len())
                    .sum::<usize>();
            if let Ok(mut cache) = self.processed.write() {
                if cache.map.len() >= CONTEXT_CACHE_CAPACITY
                    || cache.source_bytes + source > CONTEXT_CACHE_SOURCE_BYTES
                {
                    cache.map.clear();
                    cache.source_bytes = 0;
                }
                cache.source_bytes += source;
                cache.map.insert(key.clone(), active.clone());
            }
        }
        Ok((active, key))
    }
}

use json_ld::syntax::TryFromJson;

fn strict_options() -> json_ld::expansion::Options {
    json_ld::expansion::Options {
        processing_mode: json_ld::ProcessingMode::JsonLd1_1,
        ordered: false,
        policy: Policy {
            // A term that is not an absolute IRI after expansion (undefined, no @vocab) fails.
            invalid: Action::Reject,
            // Terms covered by a context's explicit @vocab are defined by that context.
            vocab: Action::Keep,
            allow_undefined: false,
        },
    }
}

fn expansion_error(
    e: json_ld::expansion::Error,
    missing: Option<String>,
    doc: &View<'_>,
    active: &Context,
) -> ProofError {
    use json_ld::expansion::Error as E;
    if let Some(url) = missing {
        return ProofError::ContextMissing { url };
    }
    match e {
        E::KeyExpansionFailed(term) => ProofError::UndefinedTerm { term },
        // json-ld does not say which type failed ("relative @type reference"): find it.
        E::InvalidTypeValue => ProofError::UndefinedTerm {
            term: undefined_type(doc, active).unwrap_or_else(|| "a `type` value".into()),
        },
        E::InvalidIdValue => ProofError::malformed("an `id` is not an absolute IRI"),
        other => ProofError::Canonicalization(format!("JSON-LD expansion failed: {other}")),
    }
}

/// The first `type` value in `doc`, at any depth, that is neither defined by the top-level
/// context nor an absolute IRI.
fn undefined_type(doc: &View<'_>, active: &Context) -> Option<String> {
    fn in_entries<'a>(
        entries: impl IntoIterator<Item = (&'a str, &'a Value)>,
        active: &Context,
    ) -> Option<String> {
        entries.into_iter().find_map(|(k, v)| {
            let undefined = (k == "type" || k == "@type")
                .then(|| {
                    let types = match v {
                        Value::Array(a) => a.as_slice(),
                        other => std::slice::from_ref(other),
                    };
                    types
                        .iter()
                        .filter_map(Value::as_str)
                        .find(|t| !t.contains(':') && active.get(*t).is_none())
                        .map(str::to_owned)
                })
                .flatten();
            undefined.or_else(|| in_value(v, active))
        })
    }
    fn in_value(v: &Value, active: &Context) -> Option<String> {
        match v {
            Value::Object(o) => in_entries(o.iter().map(|(k, v)| (k.as_str(), v)), active),
            Value::Array(a) => a.iter().find_map(|v| in_value(v, active)),
            _ => None,
        }
    }
    in_entries(doc.entries().filter(|(k, _)| *k != "@context"), active)
}

fn subject_of(id: &Id<iref::IriBuf, rdf_types::BlankIdBuf>) -> Result<oxrdf::Subject, ProofError> {
    Ok(match id {
        Id::Iri(i) => oxrdf::NamedNode::new_unchecked(i.as_str()).into(),
        Id::Blank(b) => oxrdf::BlankNode::new_unchecked(b.suffix()).into(),
    })
}

/// The remote context URLs named at the top of a `@context` value.
pub fn context_urls(context: &Value) -> Vec<&str> {
    match context {
        Value::String(s) => vec![s.as_str()],
        Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

/// Converts to the `json-ld` crate's JSON type, applying JavaScript's number semantics.
fn to_json_syntax(v: &Value) -> Result<json_syntax::Value, ProofError> {
    Ok(match v {
        Value::Null => json_syntax::Value::Null,
        Value::Bool(b) => json_syntax::Value::Boolean(*b),
        Value::String(s) => json_syntax::Value::String(s.as_str().into()),
        Value::Number(n) => number(n)?,
        Value::Array(a) => {
            json_syntax::Value::Array(a.iter().map(to_json_syntax).collect::<Result<_, _>>()?)
        }
        Value::Object(o) => {
            let mut out = json_syntax::Object::new();
            for (k, v) in o {
                out.push(k.as_str().into(), to_json_syntax(v)?);
            }
            json_syntax::Value::Object(out)
        }
    })
}

fn number(n: &serde_json::Number) -> Result<json_syntax::Value, ProofError> {
    let too_big = || {
        ProofError::malformed(format!(
            "the number {n} is beyond 2^53, which JavaScript verifiers cannot represent exactly"
        ))
    };
    if let Some(u) = n.as_u64() {
        if u > MAX_SAFE_INTEGER {
            return Err(too_big());
        }
        return Ok(json_syntax::Value::from(u));
    }
    if let Some(i) = n.as_i64() {
        if i.unsigned_abs() > MAX_SAFE_INTEGER {
            return Err(too_big());
        }
        return Ok(json_syntax::Value::from(i));
    }
    let f = n
        .as_f64()
        .ok_or_else(|| ProofError::malformed(format!("unreadable number {n}")))?;
    if !f.is_finite() {
        return Err(ProofError::malformed("non-finite number"));
    }
    if f.fract() == 0.0 && f.abs() <= MAX_SAFE_INTEGER as f64 {
        // JavaScript has one number type: 1.0 is the integer 1 (xsd:integer in RDF).
        return Ok(json_syntax::Value::from(f as i64));
    }
    if f.fract() == 0.0 {
        return Err(too_big());
    }
    json_syntax::Value::try_from(f)
        .map_err(|_| ProofError::malformed(format!("unrepresentable number {n}")))
}

/// RFC 8785 (JCS) canonical bytes of `v`.
pub fn jcs(v: &impl serde::Serialize) -> Result<Vec<u8>, ProofError> {
    serde_json_canonicalizer::to_vec(v).map_err(|e| ProofError::malformed(format!("JCS: {e}")))
}

/// A JSON object seen with some entries left out and others added, without copying it: the
/// "unsecured document" (a credential minus `proof`) and the "proof configuration" (a proof
/// minus `proofValue`, plus the document's `@context`) are views of what was received.
#[derive(Debug, Clone)]
pub struct View<'a> {
    base: &'a serde_json::Map<String, Value>,
    skip: &'static [&'static str],
    extra: Vec<(&'a str, &'a Value)>,
}

impl<'a> View<'a> {
    /// The whole object.
    pub fn of(base: &'a serde_json::Map<String, Value>) -> Self {
        Self {
            base,
            skip: &[],
            extra: Vec::new(),
        }
    }

    /// Leaves out the entries named in `skip`.
    pub fn without(mut self, skip: &'static [&'static str]) -> Self {
        self.skip = skip;
        self
    }

    /// Adds (or replaces) an entry.
    pub fn with(mut self, key: &'a str, value: &'a Value) -> Self {
        self.extra.retain(|(k, _)| *k != key);
        self.extra.push((key, value));
        self
    }

    /// The entry `key`, as seen through the view.
    pub fn get(&self, key: &str) -> Option<&'a Value> {
        self.entries().find(|(k, _)| *k == key).map(|(_, v)| v)
    }

    /// The entries as seen through the view.
    pub fn entries(&self) -> impl Iterator<Item = (&'a str, &'a Value)> + '_ {
        self.base
            .iter()
            .filter(|(k, _)| {
                !self.skip.contains(&k.as_str()) && !self.extra.iter().any(|(e, _)| e == k)
            })
            .map(|(k, v)| (k.as_str(), v))
            .chain(self.extra.iter().copied())
    }
}

impl serde::Serialize for View<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(None)?;
        for (k, v) in self.entries() {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}
