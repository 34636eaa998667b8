//! Open Badges 2.0 assertions (Badgr, Moodle, BloomBoard and most badges earned before 2023),
//! verified as the 2.0 specification's "Verification" section says:
//!
//! - **hosted**: the assertion is fetched from its own `id`; that copy is the one judged. Its
//!   BadgeClass and the issuer's Profile are fetched too, and the assertion must sit inside the
//!   issuer's verification scope: the Profile's origin, or its `verification.allowedOrigins` /
//!   `startsWith`. HTTP 410 or `revoked: true` means revoked (with `revocationReason`).
//! - **signed**: a compact JWS whose payload is the assertion; the key is only ever the one at
//!   `verification.creator`, which must name the issuer Profile as its `owner` and be listed
//!   in that Profile's `publicKey`; revocation is the Profile's `revocationList`.
//!
//! Every document comes from [`OutsideDocuments`] (fetched beforehand, see [`wanted`]). The
//! report uses the same eight checks as an Open Badges 3.0 credential, and states the
//! assertion's recipient, BadgeClass and dates as facts, so transfer reports and recognition
//! rules read them like any other badge's.

use super::checks::validity;
use super::outside::OutsideDocuments;
use super::source::EvidenceSource;
use super::{CheckResult, CheckStatus, CredentialReport, IssuerInfo};
use credreg_proof::facts::IdentityFact;
use credreg_proof::{CredentialFacts, DateFact};
use serde_json::Value;
use std::sync::Arc;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// The Open Badges 2.0 context.
pub const OB2_CONTEXT: &str = "https://w3id.org/openbadges/v2";

/// An Open Badges 2.0 badge as it arrived.
#[derive(Debug, Clone)]
pub enum Ob2 {
    /// A hosted assertion: its URL, and the JSON given (when given as JSON rather than a URL).
    Hosted {
        /// The assertion's id (where it is hosted).
        url: String,
        /// What the caller handed in, if JSON.
        given: Option<Value>,
    },
    /// A signed assertion: the compact JWS and its payload.
    Signed {
        /// The JWS.
        token: String,
        /// Its payload (the assertion), not yet checked.
        payload: Value,
    },
}

/// Whether `v` is an Open Badges 2.0 assertion (JSON, its hosted URL, or a signed JWS).
pub fn ob2_of(v: &Value) -> Option<Ob2> {
    match v {
        Value::String(s) if s.starts_with("https://") => Some(Ob2::Hosted {
            url: s.clone(),
            given: None,
        }),
        Value::String(s) => {
            let token = super::jose::read(s).ok()?;
            is_assertion(&token.credential).then(|| Ob2::Signed {
                token: s.clone(),
                payload: token.credential,
            })
        }
        Value::Object(_) if is_assertion(v) => Some(Ob2::Hosted {
            url: v.get("id").and_then(Value::as_str).unwrap_or("").to_owned(),
            given: Some(v.clone()),
        }),
        _ => None,
    }
}

fn is_assertion(v: &Value) -> bool {
    let ob2_context = match v.get("@context") {
        Some(Value::String(s)) => s == OB2_CONTEXT,
        Some(Value::Array(a)) => a.iter().any(|c| c.as_str() == Some(OB2_CONTEXT)),
        _ => false,
    };
    ob2_context && type_is(v, "Assertion")
}

fn type_is(v: &Value, t: &str) -> bool {
    match v.get("type") {
        Some(Value::String(s)) => s == t,
        Some(Value::Array(a)) => a.iter().any(|x| x.as_str() == Some(t)),
        _ => false,
    }
}

fn str_of<'a>(v: &'a Value, field: &str) -> Option<&'a str> {
    v.get(field).and_then(Value::as_str)
}

/// `field` as a URL to fetch, or the embedded object.
enum Linked<'a> {
    Url(&'a str),
    Embedded(&'a Value),
    Missing,
}

fn linked<'a>(v: &'a Value, field: &str) -> Linked<'a> {
    match v.get(field) {
        Some(Value::String(s)) => Linked::Url(s),
        Some(o @ Value::Object(_)) => Linked::Embedded(o),
        _ => Linked::Missing,
    }
}

/// The documents a badge needs next, given what has been fetched so far: the assertion, then
/// its BadgeClass, then the issuer Profile, then (signed) the key and revocation list.
pub fn wanted(badge: &Ob2, docs: &OutsideDocuments) -> Vec<String> {
    let mut out = Vec::new();
    let assertion = match badge {
        Ob2::Hosted { url, .. } => {
            if url.starts_with("https://") && docs.get(url).is_none() {
                return vec![url.clone()];
            }
            match docs.json(url) {
                Some(a) => Value::clone(&a),
                None => return out,
            }
        }
        Ob2::Signed { payload, .. } => {
            if let Some(key) = payload
                .pointer("/verification/creator")
                .and_then(Value::as_str)
            {
                out.push(key.to_owned());
            }
            payload.clone()
        }
    };
    let badge_class = match linked(&assertion, "badge") {
        Linked::Url(u) => {
            out.push(u.to_owned());
            docs.json(u).map(|v| Value::clone(&v))
        }
        Linked::Embedded(b) => Some(b.clone()),
        Linked::Missing => None,
    };
    if let Some(class) = badge_class {
        if let Linked::Url(u) = linked(&class, "issuer") {
            out.push(u.to_owned());
            if let (Some(profile), Ob2::Signed { .. }) = (docs.json(u), badge) {
                if let Some(list) = str_of(&profile, "revocationList") {
                    out.push(list.to_owned());
                }
            }
        }
    }
    out.retain(|u| u.starts_with("https://") && docs.get(u).is_none());
    out
}

/// The assertion, BadgeClass and Profile of a badge, as fetched (or embedded).
struct Documents {
    assertion: Value,
    class: Value,
    profile: Value,
}

fn fail(check: &'static str, why: String) -> CheckResult {
    CheckResult::new(check, CheckStatus::Fail, Some(why))
}

/// The report for one Open Badges 2.0 badge.
pub(crate) fn judge<S: EvidenceSource>(
    index: usize,
    badge: &Ob2,
    outside: &OutsideDocuments,
    source: impl FnOnce(&str) -> S,
    now: OffsetDateTime,
) -> CredentialReport {
    let mut checks: Vec<CheckResult> = Vec::new();
    let mut issuer = IssuerInfo {
        id: None,
        name: None,
        status: "unknown",
        anchor: None,
        equivocated: false,
    };
    let stop = |mut checks: Vec<CheckResult>, issuer: IssuerInfo| {
        for c in super::CHECKS[checks.len()..].iter().copied() {
            checks.push(CheckResult::new(
                c,
                CheckStatus::Skip,
                Some("not checked because an earlier check failed".to_owned()),
            ));
        }
        report(index, issuer, checks, None, None)
    };

    // well_formed and proof: the assertion as its issuer hosts or signed it.
    let (assertion, proof) = match badge {
        Ob2::Hosted { url, given } => {
            if !url.starts_with("https://") {
                checks.push(fail(
                    "well_formed",
                    "The Open Badges 2.0 assertion has no https id to fetch it from.".into(),
                ));
                return stop(checks, issuer);
            }
            if let Some(g) = given {
                let kind = g.pointer("/verification/type").and_then(Value::as_str);
                if !matches!(kind, None | Some("hosted" | "HostedBadge")) {
                    checks.push(fail(
                        "well_formed",
                        "The assertion says it is signed, but no signature came with it (give the signed badge, as baked in its image).".into(),
                    ));
                    return stop(checks, issuer);
                }
            }
            match outside.get(url) {
                Some(Err(why)) if why.contains(credreg_wire::fetch::GONE) => {
                    // The issuer withdrew it: the 2.0 specification's revocation for hosted
                    // badges. Nothing else can be read from a copy the issuer disowns.
                    return withdrawn(index, issuer, url);
                }
                Some(Err(why)) => {
                    checks.push(CheckResult::new("well_formed", CheckStatus::Pass, None));
                    checks.push(fail("proof", format!("The hosted assertion could not be fetched from {url} ({why}), so nothing shows it is genuine.")));
                    return stop(checks, issuer);
                }
                None => {
                    checks.push(CheckResult::new("well_formed", CheckStatus::Pass, None));
                    checks.push(fail("proof", "The hosted assertion was not fetched (this node's fetching is off), so nothing shows it is genuine.".into()));
                    return stop(checks, issuer);
                }
                Some(Ok((_, age))) => match outside.json(url) {
                    // The issuer's copy is the badge, whatever copy was handed in.
                    Some(fetched) if str_of(&fetched, "id") == Some(url.as_str()) => (
                        Value::clone(&fetched),
                        format!("hosted by its issuer at {url} (fetched {age} s ago)"),
                    ),
                    _ => {
                        checks.push(fail("well_formed", format!("What {url} serves is not the Open Badges 2.0 assertion with that id.")));
                        return stop(checks, issuer);
                    }
                },
            }
        }
        Ob2::Signed { payload, .. } => (payload.clone(), String::new()),
    };
    let docs = match documents(&assertion, outside) {
        Ok(d) => d,
        Err(why) => {
            checks.push(fail("well_formed", why));
            return stop(checks, issuer);
        }
    };
    let profile_id = str_of(&docs.profile, "id").unwrap_or_default().to_owned();
    issuer.id = Some(profile_id.clone());
    issuer.name = str_of(&docs.profile, "name").map(str::to_owned);
    checks.push(CheckResult::new("well_formed", CheckStatus::Pass, None));

    let key_check = match badge {
        Ob2::Hosted { url, .. } => {
            checks.push(CheckResult::new("proof", CheckStatus::Pass, Some(proof)));
            scope_check(url, &docs.profile)
        }
        Ob2::Signed { token, .. } => {
            match signed_check(token, &assertion, &docs.profile, outside) {
                Ok((how, key)) => {
                    checks.push(CheckResult::new("proof", CheckStatus::Pass, Some(how)));
                    key
                }
                Err(e) => {
                    checks.push(e);
                    return stop(checks, issuer);
                }
            }
        }
    };
    let key_failed = key_check.status == CheckStatus::Fail;
    checks.push(key_check);
    if key_failed {
        return stop(checks, issuer);
    }

    let facts = facts_of(&assertion, &docs, &profile_id);
    let src = source(&profile_id);
    let trust = src.trust(&profile_id);
    issuer.status = trust.status;
    issuer.anchor = trust.anchor;
    issuer.equivocated = trust.equivocated;
    checks.push(trust.check);
    checks.push(validity(&facts, now));
    checks.push(match badge {
        Ob2::Hosted { .. } => hosted_status(&assertion),
        Ob2::Signed { .. } => signed_status(&assertion, &docs.profile, outside),
    });
    checks.push(CheckResult::new(
        "logged",
        CheckStatus::Skip,
        Some("An Open Badges 2.0 badge has no receipt in a federation log.".into()),
    ));
    let class_name = str_of(&docs.class, "name").unwrap_or("(unnamed)");
    checks.push(CheckResult::new(
        "definition",
        CheckStatus::Pass,
        Some(format!(
            "an Open Badges 2.0 BadgeClass, \"{class_name}\", of {}",
            issuer.name.as_deref().unwrap_or(&profile_id)
        )),
    ));
    let mut r = report(
        index,
        issuer,
        checks,
        str_of(&assertion, "id").map(str::to_owned),
        Some(class_name.to_owned()),
    );
    r.facts = Some(Arc::new(facts));
    r
}

/// A hosted badge its issuer withdrew (HTTP 410): revoked.
fn withdrawn(index: usize, issuer: IssuerInfo, url: &str) -> CredentialReport {
    let mut checks = vec![CheckResult::new("well_formed", CheckStatus::Pass, None)];
    checks.push(CheckResult::new(
        "proof",
        CheckStatus::Skip,
        Some("The issuer no longer hosts the assertion.".into()),
    ));
    for c in ["issuer_key", "trusted", "validity"] {
        checks.push(CheckResult::new(c, CheckStatus::Skip, None));
    }
    checks.push(fail(
        "status",
        format!("Its issuer withdrew it ({url} answers 410 Gone): the badge was revoked."),
    ));
    for c in ["logged", "definition"] {
        checks.push(CheckResult::new(c, CheckStatus::Skip, None));
    }
    report(index, issuer, checks, Some(url.to_owned()), None)
}

fn report(
    index: usize,
    issuer: IssuerInfo,
    checks: Vec<CheckResult>,
    id: Option<String>,
    name: Option<String>,
) -> CredentialReport {
    let verdict = super::verdict_of(&checks);
    let trusted = checks
        .iter()
        .any(|c| c.check == "trusted" && c.status == CheckStatus::Pass);
    let reason = checks
        .iter()
        .find(|c| c.status == CheckStatus::Fail)
        .or_else(|| {
            (verdict == super::Verdict::CouldNotCheck)
                .then(|| checks.iter().find(|c| c.check == "status"))
                .flatten()
        })
        .and_then(|c| c.reason.clone());
    CredentialReport {
        index,
        format: super::Format::OpenBadges2,
        trusted,
        id,
        name,
        verdict,
        reason,
        issuer,
        checks,
        facts: None,
    }
}

/// The BadgeClass and issuer Profile of `assertion`, fetched or embedded.
fn documents(assertion: &Value, outside: &OutsideDocuments) -> Result<Documents, String> {
    let fetch = |what: &str, l: Linked<'_>| -> Result<Value, String> {
        match l {
            Linked::Embedded(v) => Ok(v.clone()),
            Linked::Url(u) => match outside.get(u) {
                Some(Ok(_)) => outside
                    .json(u)
                    .filter(|d| str_of(d, "id") == Some(u))
                    .map(|d| Value::clone(&d))
                    .ok_or_else(|| format!("What {u} serves is not the {what} with that id.")),
                Some(Err(why)) => Err(format!("Its {what} could not be fetched from {u}: {why}.")),
                None => Err(format!("Its {what} at {u} was not fetched.")),
            },
            Linked::Missing => Err(format!("It names no {what}.")),
        }
    };
    let class = fetch("BadgeClass", linked(assertion, "badge"))?;
    if !type_is(&class, "BadgeClass") {
        return Err("Its badge is not a BadgeClass.".into());
    }
    let profile = fetch("issuer Profile", linked(&class, "issuer"))?;
    if !(type_is(&profile, "Issuer") || type_is(&profile, "Profile")) {
        return Err("Its BadgeClass's issuer is not an Issuer Profile.".into());
    }
    if str_of(&profile, "id").is_none_or(|id| !id.starts_with("https://")) {
        return Err("Its issuer Profile has no https id.".into());
    }
    Ok(Documents {
        assertion: assertion.clone(),
        class,
        profile,
    })
}

fn origin(url: &str) -> Option<String> {
    let rest = url.strip_prefix("https://")?;
    let host = rest.split(['/', '?', '#']).next()?;
    Some(format!("https://{}", host.to_ascii_lowercase()))
}

fn list_of(v: Option<&Value>) -> Vec<&str> {
    match v {
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

/// The assertion must be hosted where the issuer says its badges live.
fn scope_check(url: &str, profile: &Value) -> CheckResult {
    let profile_id = str_of(profile, "id").unwrap_or_default();
    let policy = profile.get("verification");
    let allowed_origins = list_of(policy.and_then(|p| p.get("allowedOrigins")));
    let starts_with = list_of(policy.and_then(|p| p.get("startsWith")));
    let host = origin(url)
        .map(|o| o.trim_start_matches("https://").to_owned())
        .unwrap_or_default();
    let inside = if !starts_with.is_empty() {
        starts_with.iter().any(|p| url.starts_with(p))
    } else if !allowed_origins.is_empty() {
        allowed_origins
            .iter()
            .any(|o| o.eq_ignore_ascii_case(&host))
    } else {
        origin(url).is_some() && origin(url) == origin(profile_id)
    };
    if inside {
        CheckResult::new(
            "issuer_key",
            CheckStatus::Pass,
            Some(format!(
                "hosted within the verification scope of its issuer {profile_id}"
            )),
        )
    } else {
        fail(
            "issuer_key",
            format!("It is hosted at {url}, outside the places its issuer {profile_id} allows for its badges, so the issuer did not vouch for it."),
        )
    }
}

/// A signed assertion: the key at `verification.creator`, owned by the issuer Profile and
/// listed in its `publicKey`, must have made the JWS. Returns the proof sentence and the
/// `issuer_key` check.
fn signed_check(
    token: &str,
    assertion: &Value,
    profile: &Value,
    outside: &OutsideDocuments,
) -> Result<(String, CheckResult), CheckResult> {
    let proof_fail = |why: String| fail("proof", why);
    let creator = assertion
        .pointer("/verification/creator")
        .and_then(Value::as_str)
        .ok_or_else(|| {
            proof_fail("The signed assertion names no key (`verification.creator`).".into())
        })?;
    let key_doc = match outside.get(creator) {
        Some(Ok(_)) => outside
            .json(creator)
            .ok_or_else(|| proof_fail(format!("The key at {creator} is not JSON.")))?,
        Some(Err(why)) => {
            return Err(proof_fail(format!(
                "Its key could not be fetched from {creator}: {why}."
            )))
        }
        None => return Err(proof_fail(format!("Its key at {creator} was not fetched."))),
    };
    let pem = str_of(&key_doc, "publicKeyPem")
        .ok_or_else(|| proof_fail(format!("The key at {creator} has no publicKeyPem.")))?;
    let header = jsonwebtoken::decode_header(token).map_err(|e| {
        proof_fail(format!(
            "The signed assertion's header cannot be read: {e}."
        ))
    })?;
    let decoding = match header.alg {
        jsonwebtoken::Algorithm::RS256 => jsonwebtoken::DecodingKey::from_rsa_pem(pem.as_bytes()),
        jsonwebtoken::Algorithm::ES256 => jsonwebtoken::DecodingKey::from_ec_pem(pem.as_bytes()),
        other => return Err(proof_fail(format!("The signed assertion uses {other:?}; Open Badges 2.0 signs with RS256 (ES256 is also read)."))),
    }
    .map_err(|e| proof_fail(format!("The key at {creator} cannot be read: {e}.")))?;
    let mut validation = jsonwebtoken::Validation::new(header.alg);
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    validation.required_spec_claims.clear();
    jsonwebtoken::decode::<Value>(token, &decoding, &validation).map_err(|e| {
        let mut c = proof_fail(format!("The signature does not verify: {e}."));
        c.code = Some("signature");
        c
    })?;
    let profile_id = str_of(profile, "id").unwrap_or_default();
    let owner = str_of(&key_doc, "owner").unwrap_or_default();
    let listed = match profile.get("publicKey") {
        Some(Value::Object(o)) => o.get("id").and_then(Value::as_str) == Some(creator),
        other => {
            list_of(other).contains(&creator)
                || other
                    .and_then(Value::as_array)
                    .is_some_and(|a| a.iter().any(|k| str_of(k, "id") == Some(creator)))
        }
    };
    let key_check = if owner == profile_id && listed {
        CheckResult::new(
            "issuer_key",
            CheckStatus::Pass,
            Some(format!(
                "signed by a key its issuer's Profile lists ({creator})"
            )),
        )
    } else if owner != profile_id {
        fail(
            "issuer_key",
            format!(
                "The key {creator} belongs to {}, not to the issuer {profile_id}.",
                if owner.is_empty() {
                    "no one named"
                } else {
                    owner
                }
            ),
        )
    } else {
        fail(
            "issuer_key",
            format!(
                "The issuer {profile_id} does not list the key {creator} among its public keys."
            ),
        )
    };
    Ok((
        format!(
            "signature verified (Open Badges 2.0 signed, {:?})",
            header.alg
        ),
        key_check,
    ))
}

fn revoked_sentence(reason: Option<&str>) -> String {
    match reason.map(str::trim).filter(|r| !r.is_empty()) {
        Some(r) => format!(
            "The issuer revoked this badge: {}.",
            r.trim_end_matches('.')
        ),
        None => "The issuer revoked this badge.".into(),
    }
}

fn hosted_status(assertion: &Value) -> CheckResult {
    if assertion.get("revoked").and_then(Value::as_bool) == Some(true) {
        return fail(
            "status",
            revoked_sentence(str_of(assertion, "revocationReason")),
        );
    }
    CheckResult::new(
        "status",
        CheckStatus::Pass,
        Some("not revoked: its issuer still hosts it and does not mark it revoked".into()),
    )
}

fn signed_status(assertion: &Value, profile: &Value, outside: &OutsideDocuments) -> CheckResult {
    let id = str_of(assertion, "id").unwrap_or_default();
    if assertion.get("revoked").and_then(Value::as_bool) == Some(true) {
        return fail(
            "status",
            revoked_sentence(str_of(assertion, "revocationReason")),
        );
    }
    let Some(list_url) = str_of(profile, "revocationList") else {
        return CheckResult::new(
            "status",
            CheckStatus::Skip,
            Some("Its issuer publishes no revocation list, so it cannot revoke this badge.".into()),
        );
    };
    let warn = |why: String| CheckResult::new("status", CheckStatus::Warn, Some(why));
    let list = match outside.get(list_url) {
        Some(Ok((_, age))) => match outside.json(list_url) {
            Some(l) if type_is(&l, "RevocationList") => (l, *age),
            _ => return warn(format!("Whether it is revoked could not be checked: {list_url} is not a RevocationList.")),
        },
        Some(Err(why)) => return warn(format!("Whether it is revoked could not be checked: its revocation list could not be fetched from {list_url}: {why}.")),
        None => return warn(format!("Whether it is revoked could not be checked: its revocation list {list_url} was not fetched.")),
    };
    let (list, age) = list;
    let entries = list.get("revokedAssertions").and_then(Value::as_array);
    let hit = entries.into_iter().flatten().find(|e| match e {
        Value::String(s) => s == id,
        other => {
            str_of(other, "id") == Some(id)
                || str_of(other, "uid") == str_of(assertion, "uid")
                    && str_of(other, "uid").is_some()
        }
    });
    match hit {
        Some(e) => fail("status", revoked_sentence(str_of(e, "revocationReason"))),
        None => CheckResult::new(
            "status",
            CheckStatus::Pass,
            Some(format!(
                "not revoked (its issuer's revocation list, fetched {age} s ago)"
            )),
        ),
    }
}

/// What the assertion states, as the rest of the node reads badges.
fn facts_of(assertion: &Value, docs: &Documents, profile_id: &str) -> CredentialFacts {
    let date = |field: &str| match str_of(assertion, field) {
        None => DateFact::Absent,
        Some(s) => parse_date(s)
            .map(DateFact::At)
            .unwrap_or_else(|| DateFact::Unreadable(format!("`{field}` is not a date: {s}"))),
    };
    let mut facts = CredentialFacts::empty();
    facts.id = str_of(assertion, "id").map(str::to_owned);
    facts.types = vec![format!("{OB2_CONTEXT}#Assertion")];
    facts.issuers = vec![profile_id.to_owned()];
    facts.valid_from = date("issuedOn");
    facts.valid_until = date("expires");
    facts.achievements = str_of(&docs.class, "id")
        .map(|s| vec![s.to_owned()])
        .unwrap_or_default();
    facts.has_subject = true;
    if let Some(r) = docs.assertion.get("recipient") {
        let kind = str_of(r, "type").unwrap_or("email");
        let hashed = r.get("hashed").and_then(Value::as_bool).unwrap_or(false);
        facts.identifiers.push(IdentityFact {
            identity_type: vec![if kind == "email" {
                "emailAddress".into()
            } else {
                kind.to_owned()
            }],
            hash: str_of(r, "identity")
                .map(|s| vec![s.to_owned()])
                .unwrap_or_default(),
            hashed: vec![hashed.to_string()],
            salt: str_of(r, "salt")
                .map(|s| vec![s.to_owned()])
                .unwrap_or_default(),
        });
    }
    facts
}

/// An ISO 8601 date-time (2.0 allows a date alone, and a time without seconds' fraction).
fn parse_date(s: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(s, &Rfc3339).ok().or_else(|| {
        let d = time::Date::parse(
            s.get(..10)?,
            time::macros::format_description!("[year]-[month]-[day]"),
        )
        .ok()?;
        (s.len() == 10).then(|| d.midnight().assume_utc())
    })
}
