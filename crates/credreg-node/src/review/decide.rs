//! The decision rules, pure: scores checked against the rubric, whether they pass, and what
//! happens once reviews are in (decide, or ask a third reviewer).

use super::submission::{CriterionFeedback, CriterionScore, Review};
use credreg_model::{DecisionOutcome, Errors, ReviewPolicy, Rubric};

/// Checks one reviewer's scores: one per criterion, each a level the criterion has.
pub(crate) fn check_scores(rubric: &Rubric, scores: &[CriterionScore], e: &mut Errors) {
    if scores.len() != rubric.criteria.len() {
        e.add(
            "scores",
            format!(
                "give one score per rubric criterion ({}), in order",
                rubric.criteria.len()
            ),
        );
        return;
    }
    for (i, (s, c)) in scores.iter().zip(&rubric.criteria).enumerate() {
        if s.level >= c.levels.len() {
            e.add(
                &format!("scores[{i}].level"),
                format!("\"{}\" has levels 0 to {}", c.name, c.levels.len() - 1),
            );
        }
        e.max_len(&format!("scores[{i}].comment"), &s.comment, 5_000);
    }
}

/// Whether the levels pass: every criterion at a passing level.
pub(crate) fn passes(rubric: &Rubric, levels: &[usize]) -> bool {
    levels.len() == rubric.criteria.len()
        && rubric
            .criteria
            .iter()
            .zip(levels)
            .all(|(c, l)| c.levels.get(*l).is_some_and(|level| level.passing))
}

/// What to do once a review came in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Next {
    /// Reviews are still open.
    Wait,
    /// The first reviewers disagree: a third decides.
    Tiebreak,
    /// Decide now.
    Decide {
        outcome: DecisionOutcome,
        levels: Vec<usize>,
        agreed: bool,
        /// The reviews whose scores counted (indexes into the submission's reviews).
        counted: Vec<usize>,
    },
}

/// The next step for a submission's reviews under `policy`. `kept` are criteria a
/// resubmission keeps as met (when the policy says so).
pub(crate) fn next_step(
    policy: &ReviewPolicy,
    rubric: &Rubric,
    reviews: &[Review],
    kept: &[Option<usize>],
) -> Next {
    let scored: Vec<(usize, Vec<usize>)> = reviews
        .iter()
        .enumerate()
        .filter(|(_, r)| !r.tiebreak && r.reassigned_at.is_none())
        .filter_map(|(i, r)| {
            r.scores
                .as_ref()
                .map(|s| (i, with_kept(s.iter().map(|c| c.level).collect(), kept)))
        })
        .collect();
    if scored.len() < usize::from(policy.reviewers.max(1)) {
        return Next::Wait;
    }
    let verdicts: Vec<bool> = scored.iter().map(|(_, l)| passes(rubric, l)).collect();
    let passing = verdicts.iter().filter(|v| **v).count();
    let agreed = passing == 0 || passing == verdicts.len();
    if agreed {
        // Agreement: each criterion at the lowest level any reviewer gave (a pass stays a
        // pass: every level given was passing).
        let levels = (0..rubric.criteria.len())
            .map(|c| scored.iter().map(|(_, l)| l[c]).min().unwrap_or(0))
            .collect();
        return Next::Decide {
            outcome: if passing > 0 {
                DecisionOutcome::Pass
            } else {
                DecisionOutcome::NotYet
            },
            levels,
            agreed: true,
            counted: scored.iter().map(|(i, _)| *i).collect(),
        };
    }
    if policy.tiebreak {
        let tiebreak = reviews
            .iter()
            .enumerate()
            .find(|(_, r)| r.tiebreak && r.reassigned_at.is_none());
        return match tiebreak {
            Some((i, r)) => match &r.scores {
                Some(s) => {
                    let levels = with_kept(s.iter().map(|c| c.level).collect(), kept);
                    let mut counted: Vec<usize> = scored.iter().map(|(j, _)| *j).collect();
                    counted.push(i);
                    Next::Decide {
                        outcome: if passes(rubric, &levels) {
                            DecisionOutcome::Pass
                        } else {
                            DecisionOutcome::NotYet
                        },
                        levels,
                        agreed: false,
                        counted,
                    }
                }
                None => Next::Wait,
            },
            None => Next::Tiebreak,
        };
    }
    // No tiebreak: a strict majority passes; a split is not yet (the evidence did not
    // convince the panel).
    let outcome = if passing * 2 > verdicts.len() {
        DecisionOutcome::Pass
    } else {
        DecisionOutcome::NotYet
    };
    let side: Vec<&(usize, Vec<usize>)> = scored
        .iter()
        .zip(&verdicts)
        .filter(|(_, v)| **v == (outcome == DecisionOutcome::Pass))
        .map(|(s, _)| s)
        .collect();
    let levels = (0..rubric.criteria.len())
        .map(|c| side.iter().map(|(_, l)| l[c]).min().unwrap_or(0))
        .collect();
    Next::Decide {
        outcome,
        levels,
        agreed: false,
        counted: scored.iter().map(|(i, _)| *i).collect(),
    }
}

/// Levels with the criteria a resubmission keeps raised to their kept level.
fn with_kept(mut levels: Vec<usize>, kept: &[Option<usize>]) -> Vec<usize> {
    for (l, k) in levels.iter_mut().zip(kept) {
        if let Some(k) = k {
            *l = (*l).max(*k);
        }
    }
    levels
}

/// Feedback per criterion from the counted reviews' comments.
pub(crate) fn feedback(
    rubric: &Rubric,
    levels: &[usize],
    reviews: &[Review],
    counted: &[usize],
) -> Vec<CriterionFeedback> {
    rubric
        .criteria
        .iter()
        .enumerate()
        .map(|(c, criterion)| {
            let level = levels.get(c).copied().unwrap_or(0);
            let comments = counted
                .iter()
                .filter_map(|i| reviews.get(*i))
                .filter_map(|r| r.scores.as_ref())
                .filter_map(|s| s.get(c))
                .map(|s| s.comment.trim().to_owned())
                .filter(|t| !t.is_empty())
                .collect();
            CriterionFeedback {
                criterion: criterion.name.clone(),
                level: criterion
                    .levels
                    .get(level)
                    .map(|l| l.name.clone())
                    .unwrap_or_default(),
                met: criterion.levels.get(level).is_some_and(|l| l.passing),
                comments,
            }
        })
        .collect()
}
