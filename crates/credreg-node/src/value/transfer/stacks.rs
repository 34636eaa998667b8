//! Stacks the badges complete: a foreign stack a rule recognizes (granted once), and the
//! district's own stacks completed through its own badges and equivalences.

use super::*;

impl Node {
    /// Foreign stacks completed by the eligible badges, each granted once.
    pub(super) fn foreign_stacks(
        &self,
        rules: &[Rule<'_>],
        tally: &mut Tally,
    ) -> Result<Vec<StackOutcome>, crate::NodeError> {
        let mut stacks = Vec::new();
        for rule in rules {
            let AppliesTo::Stack { id } = &rule.r.applies_to else {
                continue;
            };
            let Some(stack) = self.stack(id)? else {
                continue;
            };
            let from_issuer: Vec<&(usize, Arc<CatalogEntry>, i32)> = tally
                .eligible
                .iter()
                .filter(|(_, d, _)| d.issuer == stack.issuer)
                .collect();
            if !stack
                .stack
                .completed_by(from_issuer.iter().map(|(_, d, _)| d.id.as_str()))
            {
                continue;
            }
            let used: Vec<usize> = from_issuer
                .iter()
                .filter(|(_, d, _)| stack.stack.credentials.contains(&d.id))
                .map(|(i, _, _)| *i)
                .collect();
            let (equivalent, credit) = match &rule.r.credit {
                Credit::Equivalent { credential } => {
                    let (named, value) = self.local_named(credential);
                    tally
                        .held
                        .entry(named.id.clone())
                        .or_default()
                        .extend(used.iter().copied());
                    (Some(named), value)
                }
                Credit::Amount { amount, unit, .. } => (
                    None,
                    Some(Amount {
                        amount: rule.r.cap.map_or(*amount, |c| amount.min(c.max)),
                        unit: *unit,
                    }),
                ),
            };
            if let Some(c) = &credit {
                tally.add(c);
            }
            for i in &used {
                if tally.badges[*i].outcome == Outcome::NotRecognized
                    && tally.badges[*i].reason == Some(Reason::NoMatchingRule)
                {
                    tally.badges[*i].outcome = Outcome::Recognized;
                    tally.badges[*i].reason = None;
                    tally.badges[*i].note =
                        format!("Part of the recognized stack \"{}\".", stack.stack.name);
                }
            }
            stacks.push(StackOutcome {
                stack: Named {
                    id: stack.id.clone(),
                    name: stack.stack.name.clone(),
                },
                issuer: stack.issuer.clone(),
                kind: "foreign",
                rule: Some(rule.named()),
                equivalent,
                credit,
                badges: used,
            });
        }

        Ok(stacks)
    }

    /// The district's own stacks completed through own badges and equivalences.
    pub(super) fn local_stacks(
        &self,
        district: &str,
        tally: &mut Tally,
    ) -> Result<Vec<StackOutcome>, crate::NodeError> {
        let mut stacks = Vec::new();
        let mut local: Vec<_> = self.catalog.read()?.stacks_of(district);
        local.sort_by(|a, b| a.issued.cmp(&b.issued));
        for s in local {
            if !s.stack.completed_by(tally.held.keys().map(String::as_str)) {
                continue;
            }
            let used: Vec<usize> = s
                .stack
                .credentials
                .iter()
                .filter_map(|c| tally.held.get(c))
                .flatten()
                .copied()
                .collect::<BTreeSet<usize>>()
                .into_iter()
                .collect();
            let credit = s.stack.value;
            if let Some(c) = &credit {
                tally.add(c);
            }
            stacks.push(StackOutcome {
                stack: Named {
                    id: s.id.clone(),
                    name: s.stack.name.clone(),
                },
                issuer: s.issuer.clone(),
                kind: "local",
                rule: None,
                equivalent: None,
                credit,
                badges: used,
            });
        }

        Ok(stacks)
    }
}
