//! What a credential says, read from the RDF its proof covers.
//!
//! A Data Integrity proof over RDFC-1.0 signs the canonical RDF of a document, not its JSON:
//! `"type": "X"` and `"type": ["X"]`, `"statusPurpose": "revocation"` and
//! `{"@value": "revocation"}`, a key and its full IRI all give the same quads and keep the proof
//! valid. Checks that read the JSON as written can therefore be steered by re-spelling it.
//! Every fact a verifier acts on is read here instead, from the very quads that were
//! canonicalized and hashed, by the terms' IRIs.
//!
//! For `eddsa-jcs-2022` the signed bytes are the JSON itself, and its RDF is a function of
//! those bytes and the (pinned) contexts, so the same extraction is sound there too: one
//! reading for both suite families.
//!
//! The root (the credential itself) is the one node typed `VerifiableCredential` that no
//! other statement points at; an embedded credential (an endorsement, say) is pointed at by
//! its parent. No root, or several, is reported as [`CredentialFacts::root_problem`].

use std::collections::HashMap;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// `https://www.w3.org/2018/credentials#`, shared by VC 1.1 and 2.0.
pub const CRED: &str = "https://www.w3.org/2018/credentials#";
/// The Bitstring Status List vocabulary.
pub const STATUS: &str = "https://www.w3.org/ns/credentials/status#";
/// The vocabulary of StatusList2021 (`https://w3id.org/vc/status-list/2021/v1`), the Bitstring
/// Status List's predecessor, still in badges issued before 2024. Same fields, other IRIs.
pub const STATUS_2021: &str = "https://w3id.org/vc/status-list#";
/// The Open Badges 3.0 vocabulary.
pub const OB: &str = "https://purl.imsglobal.org/spec/vc/ob/vocab.html#";
/// `rdf:type`.
pub const RDF_TYPE: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type";
const XSD: &str = "http://www.w3.org/2001/XMLSchema#";

/// An RDF term as the signed graph holds it, borrowed from the quads (the graph is built for
/// every verified credential, so it allocates no strings).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Term<'q> {
    /// A named node.
    Iri(&'q str),
    /// A blank node (its label within this graph).
    Blank(&'q str),
    /// A literal: lexical value and datatype IRI (language strings carry `rdf:langString`).
    Literal {
        /// Lexical form.
        value: &'q str,
        /// Datatype IRI.
        datatype: &'q str,
    },
}

impl<'q> Term<'q> {
    /// The IRI of a named node.
    pub fn iri(&self) -> Option<&'q str> {
        match self {
            Term::Iri(i) => Some(i),
            _ => None,
        }
    }

    /// The lexical form of a literal.
    pub fn lexical(&self) -> Option<&'q str> {
        match self {
            Term::Literal { value, .. } => Some(value),
            _ => None,
        }
    }

    fn from_subject(s: &'q oxrdf::Subject) -> Option<Term<'q>> {
        match s {
            oxrdf::Subject::NamedNode(n) => Some(Term::Iri(n.as_str())),
            oxrdf::Subject::BlankNode(b) => Some(Term::Blank(b.as_str())),
            #[allow(unreachable_patterns)]
            _ => None,
        }
    }

    fn from_term(t: &'q oxrdf::Term) -> Option<Term<'q>> {
        match t {
            oxrdf::Term::NamedNode(n) => Some(Term::Iri(n.as_str())),
            oxrdf::Term::BlankNode(b) => Some(Term::Blank(b.as_str())),
            oxrdf::Term::Literal(l) => Some(Term::Literal {
                value: l.value(),
                datatype: l.datatype().as_str(),
            }),
            #[allow(unreachable_patterns)]
            _ => None,
        }
    }
}

/// The default graph of a signed document, indexed by subject.
#[derive(Debug, Clone, Default)]
pub struct SignedGraph<'q> {
    by_subject: HashMap<Term<'q>, Vec<(&'q str, Term<'q>)>>,
    objects: std::collections::HashSet<Term<'q>>,
}

impl<'q> SignedGraph<'q> {
    /// The default-graph statements of `quads` (named graphs, such as the proofs of embedded
    /// credentials, are not statements about the document).
    pub fn from_quads(quads: &'q [oxrdf::Quad]) -> Self {
        let mut g = SignedGraph::default();
        for q in quads {
            if !q.graph_name.is_default_graph() {
                continue;
            }
            let (Some(s), Some(o)) = (Term::from_subject(&q.subject), Term::from_term(&q.object))
            else {
                continue;
            };
            if !matches!(o, Term::Literal { .. }) {
                g.objects.insert(o);
            }
            g.by_subject
                .entry(s)
                .or_default()
                .push((q.predicate.as_str(), o));
        }
        g
    }

    /// The objects of `subject`'s statements with `predicate`.
    pub fn values<'a>(&'a self, subject: &Term<'q>, predicate: &str) -> Vec<&'a Term<'q>> {
        self.by_subject
            .get(subject)
            .map(|ps| {
                ps.iter()
                    .filter(|(p, _)| *p == predicate)
                    .map(|(_, o)| o)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The `rdf:type` IRIs of `subject`.
    pub fn types(&self, subject: &Term<'q>) -> Vec<String> {
        let mut t: Vec<String> = self
            .values(subject, RDF_TYPE)
            .into_iter()
            .filter_map(|t| t.iri().map(str::to_owned))
            .collect();
        t.sort();
        t.dedup();
        t
    }

    /// Nodes typed `type_iri` that no other node points at (a node may point at itself: a
    /// credential whose `refreshService` shares its id, as in the 1EdTech examples).
    pub fn roots_of_type(&self, type_iri: &str) -> Vec<&Term<'q>> {
        let pointed_at_by_others = |s: &Term<'q>| {
            self.objects.contains(s)
                && self
                    .by_subject
                    .iter()
                    .any(|(subject, ps)| subject != s && ps.iter().any(|(_, o)| o == s))
        };
        let mut roots: Vec<&Term> = self
            .by_subject
            .keys()
            .filter(|s| !pointed_at_by_others(s))
            .filter(|s| {
                self.values(s, RDF_TYPE)
                    .iter()
                    .any(|t| t.iri() == Some(type_iri))
            })
            .collect();
        roots.sort_by_key(|t| format!("{t:?}"));
        roots
    }

    /// Number of statements.
    pub fn len(&self) -> usize {
        self.by_subject.values().map(Vec::len).sum()
    }

    /// Whether the graph has no statements.
    pub fn is_empty(&self) -> bool {
        self.by_subject.is_empty()
    }
}

/// A date a credential states, as signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DateFact {
    /// Not stated.
    Absent,
    /// Stated and understood.
    At(OffsetDateTime),
    /// Stated but not understood (not a date-time, several values, a foreign datatype): a
    /// check that depends on it must fail, never pass.
    Unreadable(String),
}

/// One `credentialStatus` entry, as signed. Values are lexical forms (IRIs for named nodes).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StatusFact {
    /// The entry's IRI, if it has one.
    pub id: Option<String>,
    /// `rdf:type` IRIs.
    pub types: Vec<String>,
    /// `statusPurpose` values.
    pub purposes: Vec<String>,
    /// `statusListCredential` values.
    pub lists: Vec<String>,
    /// `statusListIndex` values.
    pub indexes: Vec<String>,
}

/// An Open Badges `IdentityObject` of the subject, as signed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IdentityFact {
    /// `identityType` values.
    pub identity_type: Vec<String>,
    /// `identityHash` values.
    pub hash: Vec<String>,
    /// `hashed` values (`true` / `false` lexical forms).
    pub hashed: Vec<String>,
    /// `salt` values.
    pub salt: Vec<String>,
}

/// Everything a verifier decides on, read from the signed RDF.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialFacts {
    /// Why no single credential could be found in the signed data, if so. Every other field
    /// is then empty and a verifier must refuse the credential.
    pub root_problem: Option<String>,
    /// The credential's IRI (`None` for a credential without an id).
    pub id: Option<String>,
    /// Its `rdf:type` IRIs.
    pub types: Vec<String>,
    /// Its issuer IRIs (a well-formed credential has exactly one).
    pub issuers: Vec<String>,
    /// `validFrom`, or VC 1.1 `issuanceDate` when there is no `validFrom`.
    pub valid_from: DateFact,
    /// `validUntil`, or VC 1.1 `expirationDate` when there is no `validUntil`.
    pub valid_until: DateFact,
    /// Status entries.
    pub status: Vec<StatusFact>,
    /// IRIs of the subjects' `achievement`s.
    pub achievements: Vec<String>,
    /// Whether it states a `credentialSubject` at all.
    pub has_subject: bool,
    /// Subject IRIs (`credentialSubject.id`).
    pub subject_ids: Vec<String>,
    /// The subjects' identity objects.
    pub identifiers: Vec<IdentityFact>,
    /// Evidence IRIs.
    pub evidence: Vec<String>,
    /// The subjects' `encodedList`s (a `BitstringStatusListCredential`'s bits).
    pub encoded_lists: Vec<String>,
}

impl CredentialFacts {
    /// Reads the facts of the credential at the root of `graph`. `top_id` is the `id` of
    /// the document's top-level object, if it has one: it names the root when the graph's
    /// shape alone does not (a credential that something inside it points back at).
    pub fn from_graph(graph: &SignedGraph<'_>, top_id: Option<&str>) -> Self {
        let vc = format!("{CRED}VerifiableCredential");
        let roots = graph.roots_of_type(&vc);
        let named = top_id.map(Term::Iri).filter(|t| {
            graph
                .values(t, RDF_TYPE)
                .iter()
                .any(|ty| ty.iri() == Some(vc.as_str()))
        });
        let root = match (roots.as_slice(), named) {
            ([one], None) => **one,
            ([one], Some(n)) if **one == n => n,
            (_, Some(n)) => n,
            ([], None) => {
                return Self::refused(
                    "the signed data holds no credential (nothing typed VerifiableCredential at its root)",
                )
            }
            (_, None) => {
                return Self::refused(
                    "the signed data holds more than one credential at its root",
                )
            }
        };
        let p = |name: &str| format!("{CRED}{name}");
        let iris = |subject: &Term<'_>, predicate: &str| -> Vec<String> {
            let mut v: Vec<String> = graph
                .values(subject, predicate)
                .into_iter()
                .filter_map(|t| t.iri().map(str::to_owned))
                .collect();
            v.sort();
            v.dedup();
            v
        };
        let lexicals = |subject: &Term<'_>, predicate: &str| -> Vec<String> {
            let mut v: Vec<String> = graph
                .values(subject, predicate)
                .into_iter()
                .map(|t| match t {
                    Term::Iri(i) => (*i).to_owned(),
                    Term::Blank(b) => format!("_:{b}"),
                    Term::Literal { value, .. } => (*value).to_owned(),
                })
                .collect();
            v.sort();
            v.dedup();
            v
        };
        // A status field in either vocabulary (an entry uses one; a list names its own).
        let both = |subject: &Term<'_>, field: &str| -> Vec<String> {
            let mut v = lexicals(subject, &format!("{STATUS}{field}"));
            v.extend(lexicals(subject, &format!("{STATUS_2021}{field}")));
            v
        };
        let date = |name: &str, fallback: &str| -> DateFact {
            let primary = date_fact(graph.values(&root, &p(name)), name);
            if primary == DateFact::Absent {
                date_fact(graph.values(&root, &p(fallback)), fallback)
            } else {
                primary
            }
        };

        let status = graph
            .values(&root, &p("credentialStatus"))
            .into_iter()
            .map(|entry| StatusFact {
                id: entry.iri().map(str::to_owned),
                types: graph.types(entry),
                purposes: both(entry, "statusPurpose"),
                lists: both(entry, "statusListCredential"),
                indexes: both(entry, "statusListIndex"),
            })
            .collect();

        let subjects = graph.values(&root, &p("credentialSubject"));
        let mut achievements = Vec::new();
        let mut subject_ids = Vec::new();
        let mut identifiers = Vec::new();
        let mut encoded_lists = Vec::new();
        for s in &subjects {
            encoded_lists.extend(both(s, "encodedList"));
            if let Some(i) = s.iri() {
                subject_ids.push(i.to_owned());
            }
            achievements.extend(iris(s, &format!("{OB}achievement")));
            for id in graph.values(s, &format!("{OB}identifier")) {
                identifiers.push(IdentityFact {
                    identity_type: lexicals(id, &format!("{OB}identityType")),
                    hash: lexicals(id, &format!("{OB}identityHash")),
                    hashed: lexicals(id, &format!("{OB}hashed")),
                    salt: lexicals(id, &format!("{OB}salt")),
                });
            }
        }
        achievements.sort();
        achievements.dedup();

        CredentialFacts {
            root_problem: None,
            id: root.iri().map(str::to_owned),
            types: graph.types(&root),
            issuers: iris(&root, &p("issuer")),
            valid_from: date("validFrom", "issuanceDate"),
            valid_until: date("validUntil", "expirationDate"),
            status,
            achievements,
            has_subject: !subjects.is_empty(),
            subject_ids,
            identifiers,
            evidence: iris(&root, &p("evidence")),
            encoded_lists,
        }
    }

    fn refused(why: &str) -> Self {
        CredentialFacts {
            root_problem: Some(why.to_owned()),
            ..Self::empty()
        }
    }

    /// Facts stating nothing (a base for facts read some other way).
    pub fn empty() -> Self {
        CredentialFacts {
            root_problem: None,
            id: None,
            types: Vec::new(),
            issuers: Vec::new(),
            valid_from: DateFact::Absent,
            valid_until: DateFact::Absent,
            status: Vec::new(),
            achievements: Vec::new(),
            has_subject: false,
            subject_ids: Vec::new(),
            identifiers: Vec::new(),
            evidence: Vec::new(),
            encoded_lists: Vec::new(),
        }
    }

    /// Whether the credential is typed with the vocabulary IRI `iri`.
    pub fn has_type(&self, iri: &str) -> bool {
        self.types.iter().any(|t| t == iri)
    }

    /// The single issuer, if exactly one is stated.
    pub fn issuer(&self) -> Option<&str> {
        match self.issuers.as_slice() {
            [one] => Some(one),
            _ => None,
        }
    }

    /// The single achievement, if exactly one is stated.
    pub fn achievement(&self) -> Option<&str> {
        match self.achievements.as_slice() {
            [one] => Some(one),
            _ => None,
        }
    }

    /// Whether it is an Open Badges award (`OpenBadgeCredential`, of which
    /// `AchievementCredential` is an alias in the OB 3.0 context).
    pub fn is_open_badge(&self) -> bool {
        self.has_type(&format!("{OB}OpenBadgeCredential"))
            || self.has_type(&format!("{OB}AchievementCredential"))
    }
}

/// A date-time statement: exactly one literal, typed `xsd:dateTime` or a plain string, in
/// RFC 3339 form.
fn date_fact(values: Vec<&Term<'_>>, name: &str) -> DateFact {
    let mut distinct: Vec<&Term<'_>> = values;
    distinct.sort_by_key(|t| format!("{t:?}"));
    distinct.dedup();
    match distinct.as_slice() {
        [] => DateFact::Absent,
        [Term::Literal { value, datatype }] => {
            let dt = datatype.strip_prefix(XSD).unwrap_or("");
            if dt != "dateTime" && dt != "string" {
                return DateFact::Unreadable(format!(
                    "{name} has the datatype {datatype}, not a date-time"
                ));
            }
            match parse_date_time(value) {
                Some(t) => DateFact::At(t),
                None => {
                    DateFact::Unreadable(format!("{name} is not an XML Schema date-time: {value}"))
                }
            }
        }
        [_] => DateFact::Unreadable(format!("{name} is not a literal date-time")),
        _ => DateFact::Unreadable(format!("{name} is stated more than once")),
    }
}

/// An RFC 3339 date-time; an `xsd:dateTime` without a time zone (allowed by VC 1.1) is read
/// as UTC, as the DCC and 1EdTech verifiers do.
pub fn parse_date_time(value: &str) -> Option<OffsetDateTime> {
    if let Ok(t) = OffsetDateTime::parse(value, &Rfc3339) {
        return Some(t);
    }
    let has_zone = value.ends_with('Z')
        || value
            .rsplit_once('T')
            .is_some_and(|(_, time)| time.contains('+') || time.contains('-'));
    if has_zone {
        return None;
    }
    OffsetDateTime::parse(&format!("{value}Z"), &Rfc3339).ok()
}
