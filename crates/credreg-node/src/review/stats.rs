//! Review statistics, pure: per definition (what is published as a signed record) and per
//! reviewer (private to coordinators).

use super::decide::passes;
use super::submission::{Submission, SubmissionState};
use credreg_model::{DecisionOutcome, Rubric};
use serde::Serialize;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// A definition's figures.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DefinitionFigures {
    /// Submissions made (drafts not counted).
    pub submissions: u64,
    /// Decisions.
    pub decisions: u64,
    /// Of decided first attempts, the share that passed.
    pub first_attempt_pass_rate: Option<f64>,
    /// Mean attempts to pass.
    pub mean_attempts: Option<f64>,
    /// Share of submissions whose first two reviewers agreed.
    pub percent_agreement: Option<f64>,
    /// Cohen's kappa between the first two reviewers.
    pub kappa: Option<f64>,
    /// Median days from submission to decision.
    pub median_turnaround_days: Option<f64>,
}

/// One reviewer's figures.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReviewerFigures {
    /// The reviewer.
    pub reviewer: String,
    /// Open reviews now.
    pub open: u64,
    /// Reviews scored.
    pub scored: u64,
    /// Of scored reviews on decided submissions, the share whose pass / not yet matched the
    /// decision.
    pub agreement_with_decision: Option<f64>,
    /// Reviews taken away because they were overdue.
    pub late: u64,
}

fn days_between(a: &str, b: &str) -> Option<f64> {
    let a = OffsetDateTime::parse(a, &Rfc3339).ok()?;
    let b = OffsetDateTime::parse(b, &Rfc3339).ok()?;
    Some((b - a).as_seconds_f64() / 86_400.0)
}

fn median(mut v: Vec<f64>) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    })
}

/// Cohen's kappa for two raters' yes/no judgements on the same items:
/// (p_o - p_e) / (1 - p_e), with p_e from each rater's own rate of "yes". `None` without
/// items; 1 when both raters always gave the same single answer (p_e = 1, full agreement).
pub fn cohen_kappa(pairs: &[(bool, bool)]) -> Option<f64> {
    if pairs.is_empty() {
        return None;
    }
    let n = pairs.len() as f64;
    let agree = pairs.iter().filter(|(a, b)| a == b).count() as f64 / n;
    let a_yes = pairs.iter().filter(|(a, _)| *a).count() as f64 / n;
    let b_yes = pairs.iter().filter(|(_, b)| *b).count() as f64 / n;
    let expected = a_yes * b_yes + (1.0 - a_yes) * (1.0 - b_yes);
    if (1.0 - expected).abs() < f64::EPSILON {
        return Some(if (agree - 1.0).abs() < f64::EPSILON {
            1.0
        } else {
            0.0
        });
    }
    Some((agree - expected) / (1.0 - expected))
}

/// A definition's figures over its submissions.
pub fn definition_figures<'a>(
    rubric: &Rubric,
    submissions: impl Iterator<Item = &'a Submission>,
) -> DefinitionFigures {
    let mut f = DefinitionFigures::default();
    let (mut first_decided, mut first_passed) = (0u64, 0u64);
    let mut attempts_to_pass = Vec::new();
    let mut pairs = Vec::new();
    let mut turnaround = Vec::new();
    for s in submissions {
        if s.state == SubmissionState::Draft {
            continue;
        }
        f.submissions += 1;
        let first_two: Vec<bool> = s
            .reviews
            .iter()
            .filter(|r| !r.tiebreak && r.reassigned_at.is_none())
            .filter_map(|r| r.scores.as_ref())
            .take(2)
            .map(|scores| passes(rubric, &scores.iter().map(|c| c.level).collect::<Vec<_>>()))
            .collect();
        if let [a, b] = first_two[..] {
            pairs.push((a, b));
        }
        let Some(d) = &s.decision else { continue };
        f.decisions += 1;
        let passed = d.outcome == DecisionOutcome::Pass;
        if s.attempt == 1 {
            first_decided += 1;
            first_passed += u64::from(passed);
        }
        if passed {
            attempts_to_pass.push(f64::from(s.attempt));
        }
        if let Some(t) = s
            .submitted_at
            .as_deref()
            .and_then(|at| days_between(at, &d.decided_at))
        {
            turnaround.push(t);
        }
    }
    f.first_attempt_pass_rate =
        (first_decided > 0).then(|| first_passed as f64 / first_decided as f64);
    f.mean_attempts = (!attempts_to_pass.is_empty())
        .then(|| attempts_to_pass.iter().sum::<f64>() / attempts_to_pass.len() as f64);
    f.percent_agreement = (!pairs.is_empty())
        .then(|| pairs.iter().filter(|(a, b)| a == b).count() as f64 / pairs.len() as f64);
    f.kappa = cohen_kappa(&pairs);
    f.median_turnaround_days = median(turnaround);
    f
}

/// Each reviewer's figures (load, agreement with the final decision, lateness).
pub fn reviewer_figures<'a>(
    rubric_of: impl Fn(&str) -> Option<Rubric>,
    submissions: impl Iterator<Item = &'a Submission>,
) -> Vec<ReviewerFigures> {
    let mut by: std::collections::BTreeMap<String, (u64, u64, u64, u64, u64)> =
        std::collections::BTreeMap::new();
    for s in submissions {
        let rubric = rubric_of(&s.credential_id);
        for r in &s.reviews {
            let e = by.entry(r.reviewer.clone()).or_default();
            if r.is_open() {
                e.0 += 1;
            }
            if r.reassigned_at.is_some() {
                e.4 += 1;
            }
            let Some(scores) = &r.scores else { continue };
            e.1 += 1;
            if let (Some(d), Some(rubric)) = (&s.decision, &rubric) {
                let pass = passes(rubric, &scores.iter().map(|c| c.level).collect::<Vec<_>>());
                e.2 += 1;
                e.3 += u64::from(pass == (d.outcome == DecisionOutcome::Pass));
            }
        }
    }
    by.into_iter()
        .map(
            |(reviewer, (open, scored, judged, matched, late))| ReviewerFigures {
                reviewer,
                open,
                scored,
                agreement_with_decision: (judged > 0).then(|| matched as f64 / judged as f64),
                late,
            },
        )
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kappa_matches_a_hand_computed_table() {
        // 10 items: both pass 4, both not yet 3, A pass / B not 2, A not / B pass 1.
        // p_o = 0.7; A yes 0.6, B yes 0.5; p_e = 0.3 + 0.2 = 0.5; kappa = 0.2 / 0.5 = 0.4.
        let mut pairs = vec![(true, true); 4];
        pairs.extend(vec![(false, false); 3]);
        pairs.extend(vec![(true, false); 2]);
        pairs.push((false, true));
        let k = cohen_kappa(&pairs).expect("kappa");
        assert!((k - 0.4).abs() < 1e-12, "{k}");
        assert_eq!(cohen_kappa(&[]), None);
        assert_eq!(cohen_kappa(&[(true, true), (true, true)]), Some(1.0));
        // Perfect disagreement on balanced answers: kappa -1.
        let k = cohen_kappa(&[(true, false), (false, true)]).expect("kappa");
        assert!((k + 1.0).abs() < 1e-12, "{k}");
    }

    #[test]
    fn medians() {
        assert_eq!(median(vec![]), None);
        assert_eq!(median(vec![3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(vec![4.0, 1.0, 2.0, 3.0]), Some(2.5));
    }
}
