//! Who may review what, who gets it (the least-loaded eligible reviewer), and due dates in
//! business days.

use super::people::{Person, PersonRole};
use super::state::ReviewBook;
use credreg_model::ReviewPolicy;
use time::{Duration, OffsetDateTime, Weekday};

/// Why a reviewer may not review a submission, in words (`None`: they may).
pub(crate) fn ineligible(
    policy: &ReviewPolicy,
    credential_id: &str,
    teacher: &Person,
    reviewer: &Person,
    already: &[String],
) -> Option<&'static str> {
    if !reviewer.has(PersonRole::Reviewer) {
        return Some("is not a reviewer");
    }
    if reviewer.id == teacher.id {
        return Some("cannot review their own submission");
    }
    if already.contains(&reviewer.id) {
        return Some("already reviews this submission");
    }
    if policy.calibration_required && !reviewer.calibrated.iter().any(|c| c == credential_id) {
        return Some("is not calibrated for this credential");
    }
    if policy.different_school
        && teacher.school.is_some()
        && reviewer.school.as_deref().map(str::to_lowercase)
            == teacher.school.as_deref().map(str::to_lowercase)
    {
        return Some("works at the teacher's school");
    }
    None
}

/// The eligible reviewer with the fewest open reviews (ties: the lowest id, so assignment
/// is reproducible).
pub(crate) fn least_loaded<'a>(
    book: &'a ReviewBook,
    policy: &ReviewPolicy,
    credential_id: &str,
    teacher: &Person,
    already: &[String],
) -> Option<&'a Person> {
    book.people
        .values()
        .filter(|r| ineligible(policy, credential_id, teacher, r, already).is_none())
        .min_by_key(|r| (book.open_load(&r.id), r.id.clone()))
}

/// `start` plus `days` business days (Monday to Friday), same time of day.
pub fn add_business_days(start: OffsetDateTime, days: u16) -> OffsetDateTime {
    let mut t = start;
    let mut left = days;
    while left > 0 {
        t += Duration::days(1);
        if !matches!(t.weekday(), Weekday::Saturday | Weekday::Sunday) {
            left -= 1;
        }
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn business_days_skip_weekends() {
        // Friday 2026-12-04 10:00 UTC.
        let friday = OffsetDateTime::from_unix_timestamp(1_796_378_400).expect("time");
        assert_eq!(friday.weekday(), Weekday::Friday);
        let monday = add_business_days(friday, 1);
        assert_eq!(monday.weekday(), Weekday::Monday);
        assert_eq!((monday - friday).whole_days(), 3);
        // 14 business days from a Friday: 20 calendar days.
        assert_eq!((add_business_days(friday, 14) - friday).whole_days(), 20);
        assert_eq!(add_business_days(friday, 0), friday);
    }
}
