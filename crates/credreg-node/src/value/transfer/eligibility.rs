//! Which badges may earn credit: genuine, unrevoked, from a trusted issuer, issued to the
//! given e-mail, of a definition held from that issuer. Every other badge gets its reason.

use super::*;

impl Node {
    /// Each badge's line, and the badges that may earn credit under `district`'s rules.
    pub(super) fn eligibility(
        &self,
        verification: &VerifyReport,
        district: &str,
        email: Option<&str>,
    ) -> Tally {
        let federation = self.settings().federation.name.clone();
        let mut tally = Tally {
            badges: Vec::with_capacity(verification.credentials.len()),
            eligible: Vec::new(),
            outside: Vec::new(),
            held: BTreeMap::new(),
            totals: BTreeMap::new(),
        };
        for report in &verification.credentials {
            let mut out = outcome_of(report);
            let empty = CredentialFacts::empty();
            let facts = report.facts.as_deref().unwrap_or(&empty);
            let def = definition_id(facts).and_then(|id| self.definition(id).ok().flatten());
            out.credential = def.as_ref().map(|d| Named {
                id: d.id.clone(),
                name: d.def.name.clone(),
            });
            let issuer = report.issuer.id.clone().unwrap_or_default();
            let not = |out: &mut BadgeOutcome, reason: Reason, note: String| {
                out.outcome = Outcome::NotRecognized;
                out.reason = Some(reason);
                out.note = note;
            };
            // A badge whose revocation could not be checked earns credit only where the
            // district says so; otherwise it is told apart from a valid one.
            // (An untrusted issuer's badge is refused for that first, whatever its status.)
            let verdict = match report.verdict {
                Verdict::CouldNotCheck
                    if self.settings().credit_unchecked_status || !report.trusted =>
                {
                    Verdict::Valid
                }
                v => v,
            };
            match verdict {
                Verdict::Expired => {
                    let why = report.reason.clone().unwrap_or_default();
                    not(&mut out, Reason::Expired, why);
                }
                Verdict::CouldNotCheck => {
                    let why = report.reason.clone().unwrap_or_default();
                    not(
                        &mut out,
                        Reason::StatusUnchecked,
                        format!("Not credited: {why}"),
                    );
                }
                Verdict::Invalid => {
                    let why = report.reason.clone().unwrap_or_default();
                    not(&mut out, Reason::Invalid, format!("Not genuine: {why}"));
                }
                Verdict::Revoked => {
                    let why = report.reason.clone().unwrap_or_default();
                    not(&mut out, Reason::Revoked, why);
                }
                Verdict::Valid if issuer == district => {
                    out.outcome = Outcome::Own;
                    out.note = "One of this district's own credentials.".into();
                    if let Some(d) = &def {
                        tally
                            .held
                            .entry(d.id.clone())
                            .or_default()
                            .push(report.index);
                    }
                }
                Verdict::Valid if !report.trusted => {
                    // An issuer nobody vouches for, and the operator did not refuse: its badge
                    // may still count where a rule names that issuer (`best_rules`).
                    if report.issuer.status == "unknown" && !issuer.is_empty() {
                        tally.outside.push(OutsideBadge {
                            index: report.index,
                            issuer: issuer.clone(),
                            achievement: facts.achievement().map(str::to_owned),
                            year: issuance_year(facts),
                            recipient_matches: email.is_none_or(|e| names_email(facts, e)),
                        });
                    }
                    let note = if report.issuer.equivocated {
                        "Its issuer signed inconsistent logs, so its badges are not recognized."
                            .to_owned()
                    } else {
                        format!(
                            "Its issuer {} is not a member of {} ({}).",
                            report.issuer.name.as_deref().unwrap_or(&issuer),
                            if federation.is_empty() {
                                "this node's federation"
                            } else {
                                &federation
                            },
                            report.issuer.status
                        )
                    };
                    not(&mut out, Reason::UnknownIssuer, note);
                }
                Verdict::Valid if email.is_some_and(|e| !names_email(facts, e)) => {
                    not(
                        &mut out,
                        Reason::IdentityMismatch,
                        "It was not issued to the given e-mail address.".into(),
                    );
                }
                Verdict::Valid => match &def {
                    Some(d) if d.issuer == issuer => {
                        tally
                            .eligible
                            .push((report.index, d.clone(), issuance_year(facts)));
                    }
                    _ => not(
                        &mut out,
                        Reason::UnknownCredential,
                        "Its credential definition is not in the federation's catalogs here."
                            .into(),
                    ),
                },
            }
            tally.badges.push(out);
        }

        tally
    }
}
