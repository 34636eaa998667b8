//! Rules: each eligible badge's best rule, and one rule applied to the badges it covers
//! (credits, ratio groups, caps in issuance order, equivalences; a pure function, unit-tested
//! on its own).

use super::*;

/// Each eligible badge's best rule: the most specific in force, the newest among equals
/// (stack rules are applied to whole stacks, in `stacks.rs`). Badges no rule covers are marked
/// so. Outside issuers' badges get a rule only if one names their issuer; otherwise they keep
/// their "not a member" line. Returns rule index -> the badges it matched, with their year of issuance.
pub(super) fn best_rules(
    rules: &[Rule<'_>],
    matcher: &mut RuleMatcher<'_>,
    tally: &mut Tally,
) -> BTreeMap<usize, Vec<(usize, i32)>> {
    let mut by_rule: BTreeMap<usize, Vec<(usize, i32)>> = BTreeMap::new();
    for (index, def, year) in &tally.eligible {
        let best = rules
            .iter()
            .enumerate()
            .filter(|(_, rule)| {
                !matches!(rule.r.applies_to, AppliesTo::Stack { .. })
                    && matcher.covers(&rule.r.applies_to, def)
            })
            .max_by(|(_, a), (_, b)| {
                (a.r.applies_to.specificity(), a.issued)
                    .cmp(&(b.r.applies_to.specificity(), b.issued))
            });
        match best {
            Some((k, _)) => by_rule.entry(k).or_default().push((*index, *year)),
            None => {
                let b = &mut tally.badges[*index];
                b.outcome = Outcome::NotRecognized;
                b.reason = Some(Reason::NoMatchingRule);
                b.note = "No recognition rule of this district applies to it.".into();
            }
        }
    }

    for badge in &tally.outside {
        let best = rules
            .iter()
            .enumerate()
            .filter(|(_, rule)| {
                RuleMatcher::covers_outside(
                    &rule.r.applies_to,
                    &badge.issuer,
                    badge.achievement.as_deref(),
                )
            })
            .max_by(|(_, a), (_, b)| {
                (a.r.applies_to.specificity(), a.issued)
                    .cmp(&(b.r.applies_to.specificity(), b.issued))
            });
        let Some((k, _)) = best else { continue };
        if !badge.recipient_matches {
            let b = &mut tally.badges[badge.index];
            b.reason = Some(Reason::IdentityMismatch);
            b.note = "It was not issued to the given e-mail address.".into();
            continue;
        }
        by_rule
            .entry(k)
            .or_default()
            .push((badge.index, badge.year));
    }

    by_rule
}

/// Applies one rule to the badges it matched (`(badge index, year of issuance)`), taken in
/// issuance order so a cap keeps the earliest: sets each badge's outcome, note and credit.
/// Returns the credits granted and, for equivalences, the local credential each badge now
/// counts as (for the district's own stacks).
pub(super) fn apply_rule(
    rule: &Rule<'_>,
    mut matched: Vec<(usize, i32)>,
    badges: &mut [BadgeOutcome],
    local_named: &dyn Fn(&str) -> (Named, Option<LocalValue>),
) -> (Vec<Amount>, Vec<(String, usize)>) {
    matched.sort_by_key(|(i, y)| (*y, *i));
    let mut credits = Vec::new();
    let mut counts_as = Vec::new();
    // Per cap period (the year, or 0 for the whole portfolio): badges counted, amount granted.
    let mut used: HashMap<i32, (u32, f64)> = HashMap::new();
    let cap = rule.r.cap.map(|c| c.max);
    for (index, year) in matched {
        let period = match rule.r.cap.map(|c| c.per) {
            Some(CapPeriod::Year) => year,
            _ => 0,
        };
        let (count, granted) = used.entry(period).or_insert((0, 0.0));
        let Some(b) = badges.get_mut(index) else {
            continue;
        };
        b.rule = Some(rule.named());
        let capped = |b: &mut BadgeOutcome| {
            b.outcome = Outcome::NotRecognized;
            b.reason = Some(Reason::CapReached);
            b.note = format!("The cap of rule \"{}\" is used up.", rule.r.name);
        };
        match &rule.r.credit {
            Credit::Equivalent { credential } => {
                if cap.is_some_and(|m| f64::from(*count) >= m) {
                    capped(b);
                    continue;
                }
                *count += 1;
                let (named, value) = local_named(credential);
                b.outcome = Outcome::Recognized;
                b.note = format!("Counts as our \"{}\".", named.name);
                b.credit = value;
                credits.extend(b.credit);
                counts_as.push((named.id.clone(), index));
                b.equivalent = Some(named);
            }
            Credit::Amount { amount, unit, per } => {
                let per = (*per).max(1);
                *count += 1;
                if *count % per != 0 {
                    b.outcome = Outcome::Counted;
                    b.note = format!(
                        "Counts toward {} per {per} credentials ({} of {per} so far).",
                        show_amount(&Amount {
                            amount: *amount,
                            unit: *unit
                        }),
                        *count % per
                    );
                    continue;
                }
                let remaining = cap.map_or(f64::INFINITY, |m| m - *granted);
                let grant = amount.min(remaining);
                if grant <= 0.0 {
                    capped(b);
                    continue;
                }
                *granted += grant;
                let credit = Amount {
                    amount: grant,
                    unit: *unit,
                };
                credits.push(credit);
                b.outcome = Outcome::Recognized;
                b.note = if grant < *amount {
                    format!(
                        "Worth {} here (capped by \"{}\").",
                        show_amount(&credit),
                        rule.r.name
                    )
                } else if per > 1 {
                    format!("Completes a group of {per}: {}.", show_amount(&credit))
                } else {
                    format!("Worth {} here.", show_amount(&credit))
                };
                b.credit = Some(credit);
            }
        }
    }
    (credits, counts_as)
}

#[cfg(test)]
mod tests {
    use super::*;
    use credreg_model::{Cap, Recognition};

    fn badge(index: usize) -> BadgeOutcome {
        let issuer = IssuerInfo {
            id: Some("did:key:zJuab".into()),
            name: None,
            status: "member",
            anchor: None,
            equivocated: false,
        };
        BadgeOutcome::undecided(index, None, None, issuer, Verdict::Valid)
    }

    fn rule(credit: Credit, cap: Option<Cap>) -> Recognition {
        Recognition {
            name: "r".into(),
            applies_to: AppliesTo::Federation {
                federation: "wi".into(),
                standard: None,
            },
            credit,
            cap,
            valid_from: "2020-01-01T00:00:00Z".into(),
            valid_until: None,
        }
    }

    /// Per badge (outcome, credit), and what each equivalence counts as.
    type Applied = (Vec<(Outcome, f64)>, Vec<(String, usize)>);

    fn run(r: &Recognition, years: &[i32]) -> Applied {
        let mut badges: Vec<BadgeOutcome> = (0..years.len()).map(badge).collect();
        let matched = years.iter().copied().enumerate().collect();
        let local = |id: &str| {
            (
                Named {
                    id: id.to_owned(),
                    name: "Ours".into(),
                },
                Some(LocalValue {
                    amount: 400.0,
                    unit: ValueUnit::Dollars,
                }),
            )
        };
        let rule = Rule {
            id: "rule",
            issued: "2026-01-01T00:00:00Z",
            r,
        };
        let (credits, counts_as) = apply_rule(&rule, matched, &mut badges, &local);
        let total: f64 = credits.iter().map(|c| c.amount).sum();
        let lines: Vec<(Outcome, f64)> = badges
            .iter()
            .map(|b| (b.outcome, b.credit.map_or(0.0, |c| c.amount)))
            .collect();
        assert_eq!(total, lines.iter().map(|l| l.1).sum::<f64>());
        (lines, counts_as)
    }

    const DOLLARS: ValueUnit = ValueUnit::Dollars;

    #[test]
    fn a_yearly_cap_applies_to_each_year_in_issuance_order() {
        let r = rule(
            Credit::Amount {
                amount: 200.0,
                unit: DOLLARS,
                per: 1,
            },
            Some(Cap {
                max: 300.0,
                per: CapPeriod::Year,
            }),
        );
        // Request order differs from issuance order: the 2025 badges are capped first.
        let (lines, _) = run(&r, &[2026, 2025, 2025, 2026, 2026]);
        use Outcome::*;
        assert_eq!(
            lines,
            [
                (Recognized, 200.0),
                (Recognized, 200.0),
                (Recognized, 100.0),
                (Recognized, 100.0),
                (NotRecognized, 0.0)
            ]
        );
    }

    #[test]
    fn ratios_fill_groups_and_respect_a_teacher_cap() {
        let r = rule(
            Credit::Amount {
                amount: 1.0,
                unit: ValueUnit::CpdUnits,
                per: 2,
            },
            Some(Cap {
                max: 2.0,
                per: CapPeriod::Teacher,
            }),
        );
        let (lines, _) = run(&r, &[2026; 7]);
        let credits: Vec<f64> = lines.iter().map(|l| l.1).collect();
        assert_eq!(credits, [0.0, 1.0, 0.0, 1.0, 0.0, 0.0, 0.0]);
        assert_eq!(
            lines[5].0,
            Outcome::NotRecognized,
            "the third unit is over the cap"
        );
        assert_eq!(lines[6].0, Outcome::Counted);
    }

    #[test]
    fn equivalences_grant_the_local_value_up_to_a_count_cap() {
        let r = rule(
            Credit::Equivalent {
                credential: "ours".into(),
            },
            Some(Cap {
                max: 2.0,
                per: CapPeriod::Teacher,
            }),
        );
        let (lines, counts_as) = run(&r, &[2024, 2025, 2026]);
        assert_eq!(
            lines,
            [
                (Outcome::Recognized, 400.0),
                (Outcome::Recognized, 400.0),
                (Outcome::NotRecognized, 0.0)
            ]
        );
        assert_eq!(counts_as, [("ours".to_owned(), 0), ("ours".to_owned(), 1)]);
    }
}
