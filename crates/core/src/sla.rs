//! SLA clocks: business hours and holidays in a time zone, and the first-response and
//! resolution targets per tier and priority.
//!
//! Targets count business minutes only: time outside opening hours and on holidays does
//! not count, and neither does time spent waiting on the learner (`pending`), which the
//! caller accumulates as paused business minutes.

use std::collections::BTreeSet;

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
use chrono_tz::Tz;

use crate::model::{Priority, Tier};

/// Opening hours per weekday (Monday first) and holidays, in one time zone.
#[derive(Debug, Clone)]
pub struct BusinessCalendar {
    pub time_zone: Tz,
    /// `None`: closed that day.
    pub hours: [Option<(NaiveTime, NaiveTime)>; 7],
    pub holidays: BTreeSet<NaiveDate>,
}

impl Default for BusinessCalendar {
    /// Asia/Shanghai, every day 09:00–21:00 (education support works evenings and weekends).
    fn default() -> Self {
        let hours = (NaiveTime::from_hms_opt(9, 0, 0).unwrap_or_default(), NaiveTime::from_hms_opt(21, 0, 0).unwrap_or_default());
        BusinessCalendar { time_zone: chrono_tz::Asia::Shanghai, hours: [Some(hours); 7], holidays: BTreeSet::new() }
    }
}

fn weekday_index(day: Weekday) -> usize {
    day.num_days_from_monday() as usize
}

impl BusinessCalendar {
    /// The open interval of a local date, in UTC, if the day is open.
    fn open_interval(&self, date: NaiveDate) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        if self.holidays.contains(&date) {
            return None;
        }
        let (open, close) = self.hours[weekday_index(date.weekday())]?;
        let start = self.time_zone.from_local_datetime(&date.and_time(open)).earliest()?;
        let end = self.time_zone.from_local_datetime(&date.and_time(close)).latest()?;
        (end > start).then(|| (start.with_timezone(&Utc), end.with_timezone(&Utc)))
    }

    /// When the support team is next open: `at` itself while open.
    pub fn next_opening(&self, at: DateTime<Utc>) -> DateTime<Utc> {
        self.add_business_minutes(at, 0)
    }

    /// Whether the team is open at `at`.
    pub fn is_open(&self, at: DateTime<Utc>) -> bool {
        self.next_opening(at) == at
    }

    /// The moment `minutes` business minutes after `start`.
    pub fn add_business_minutes(&self, start: DateTime<Utc>, minutes: i64) -> DateTime<Utc> {
        // Targets are bounded by configuration; clamp anyway so no input can overflow.
        let mut remaining = Duration::minutes(minutes.clamp(0, MAX_TARGET_MINUTES));
        let mut date = start.with_timezone(&self.time_zone).date_naive();
        // Bounded: a calendar with no open day at all ends after ten years of searching.
        for _ in 0..3660 {
            if let Some((open, close)) = self.open_interval(date) {
                let from = open.max(start);
                if from < close {
                    let available = close - from;
                    if remaining <= available {
                        return from + remaining;
                    }
                    remaining -= available;
                }
            }
            date = date.succ_opt().unwrap_or(date);
        }
        start.checked_add_signed(remaining).unwrap_or(start)
    }

    /// Business minutes between two moments (0 when `end` is not after `start`).
    pub fn business_minutes_between(&self, start: DateTime<Utc>, end: DateTime<Utc>) -> i64 {
        if end <= start {
            return 0;
        }
        let mut total = Duration::zero();
        let mut date = start.with_timezone(&self.time_zone).date_naive();
        let last = end.with_timezone(&self.time_zone).date_naive();
        while date <= last {
            if let Some((open, close)) = self.open_interval(date) {
                let from = open.max(start);
                let to = close.min(end);
                if to > from {
                    total += to - from;
                }
            }
            match date.succ_opt() {
                Some(next) => date = next,
                None => break,
            }
        }
        total.num_minutes()
    }
}

/// The longest target accepted: one year of business minutes.
pub const MAX_TARGET_MINUTES: i64 = 525_600;

/// Targets in business minutes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Targets {
    pub first_response_minutes: i64,
    pub resolution_minutes: i64,
}

/// SLA targets per tier and priority, the calendar they count in, and when to warn.
#[derive(Debug, Clone)]
pub struct SlaPolicy {
    pub calendar: BusinessCalendar,
    /// `targets[tier - 1][priority]`, priority in the order low, normal, high, urgent.
    pub targets: [[Targets; 4]; 3],
    /// Warn when this share of the target has passed (e.g. 0.8).
    pub warn_at: f64,
    /// Move a conversation up a tier when its resolution target is breached.
    pub auto_escalate_on_breach: bool,
}

const fn targets(first_response_minutes: i64, resolution_minutes: i64) -> Targets {
    Targets { first_response_minutes, resolution_minutes }
}

impl Default for SlaPolicy {
    fn default() -> Self {
        SlaPolicy {
            calendar: BusinessCalendar::default(),
            targets: [
                // Tier 1: frequent questions, fast.
                [targets(240, 2880), targets(60, 1440), targets(30, 480), targets(15, 240)],
                // Tier 2: technical and course content.
                [targets(480, 4320), targets(120, 2880), targets(60, 1440), targets(30, 480)],
                // Tier 3: systemic bugs and disputes.
                [targets(480, 10080), targets(240, 5760), targets(120, 2880), targets(60, 1440)],
            ],
            warn_at: 0.8,
            auto_escalate_on_breach: false,
        }
    }
}

fn priority_index(priority: Priority) -> usize {
    match priority {
        Priority::Low => 0,
        Priority::Normal => 1,
        Priority::High => 2,
        Priority::Urgent => 3,
    }
}

/// When a conversation's targets fall due.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DueTimes {
    pub first_response: DateTime<Utc>,
    pub resolution: DateTime<Utc>,
}

impl SlaPolicy {
    pub fn set_targets(&mut self, tier: Tier, priority: Priority, targets: Targets) {
        self.targets[(tier.level() - 1).clamp(0, 2) as usize][priority_index(priority)] = targets;
    }

    pub fn targets_for(&self, tier: Tier, priority: Priority) -> Targets {
        self.targets[(tier.level() - 1).clamp(0, 2) as usize][priority_index(priority)]
    }

    /// Due times for a conversation opened at `created`, after `paused_minutes` of business
    /// time spent waiting on the learner.
    pub fn due_times(&self, created: DateTime<Utc>, tier: Tier, priority: Priority, paused_minutes: i64) -> DueTimes {
        let targets = self.targets_for(tier, priority);
        DueTimes {
            first_response: self.calendar.add_business_minutes(created, targets.first_response_minutes),
            resolution: self.calendar.add_business_minutes(created, targets.resolution_minutes.saturating_add(paused_minutes.max(0))),
        }
    }

    /// The moment to warn before `due`, for a clock that started at `start`.
    pub fn warning_time(&self, start: DateTime<Utc>, due: DateTime<Utc>) -> DateTime<Utc> {
        let total = self.calendar.business_minutes_between(start, due);
        self.calendar.add_business_minutes(start, (total as f64 * self.warn_at).floor() as i64)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// Shanghai local time as UTC.
    fn sh(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        chrono_tz::Asia::Shanghai.with_ymd_and_hms(y, m, d, h, min, 0).unwrap().with_timezone(&Utc)
    }

    fn weekdays_nine_to_six() -> BusinessCalendar {
        let hours = Some((NaiveTime::from_hms_opt(9, 0, 0).unwrap(), NaiveTime::from_hms_opt(18, 0, 0).unwrap()));
        BusinessCalendar { time_zone: chrono_tz::Asia::Shanghai, hours: [hours, hours, hours, hours, hours, None, None], holidays: BTreeSet::new() }
    }

    #[test]
    fn minutes_count_only_inside_opening_hours() {
        let calendar = weekdays_nine_to_six();
        // Monday 2026-11-23 17:30 + 60 business minutes = Tuesday 09:30.
        assert_eq!(calendar.add_business_minutes(sh(2026, 11, 23, 17, 30), 60), sh(2026, 11, 24, 9, 30));
        // Before opening: the clock starts at 09:00.
        assert_eq!(calendar.add_business_minutes(sh(2026, 11, 23, 7, 0), 30), sh(2026, 11, 23, 9, 30));
        // Friday 17:00 + 120 minutes skips the weekend: Monday 10:00.
        assert_eq!(calendar.add_business_minutes(sh(2026, 11, 27, 17, 0), 120), sh(2026, 11, 30, 10, 0));
    }

    #[test]
    fn holidays_do_not_count() {
        let mut calendar = weekdays_nine_to_six();
        calendar.holidays.insert(NaiveDate::from_ymd_opt(2026, 11, 24).unwrap());
        assert_eq!(calendar.add_business_minutes(sh(2026, 11, 23, 17, 30), 60), sh(2026, 11, 25, 9, 30));
        assert_eq!(calendar.business_minutes_between(sh(2026, 11, 23, 17, 0), sh(2026, 11, 25, 10, 0)), 60 + 60);
    }

    #[test]
    fn between_and_add_agree() {
        let calendar = weekdays_nine_to_six();
        let start = sh(2026, 11, 20, 16, 10);
        for minutes in [0, 1, 50, 540, 541, 2000, 10_000] {
            let end = calendar.add_business_minutes(start, minutes);
            assert_eq!(calendar.business_minutes_between(start, end), minutes, "{minutes}");
        }
    }

    #[test]
    fn pending_time_extends_the_resolution_target_only() {
        let policy = SlaPolicy { calendar: weekdays_nine_to_six(), ..SlaPolicy::default() };
        let created = sh(2026, 11, 23, 10, 0);
        let plain = policy.due_times(created, Tier::ONE, Priority::Urgent, 0);
        assert_eq!(plain.first_response, sh(2026, 11, 23, 10, 15));
        assert_eq!(plain.resolution, sh(2026, 11, 23, 14, 0));
        let paused = policy.due_times(created, Tier::ONE, Priority::Urgent, 90);
        assert_eq!(paused.first_response, plain.first_response);
        assert_eq!(paused.resolution, sh(2026, 11, 23, 15, 30));
    }

    #[test]
    fn warnings_come_at_eighty_percent() {
        let policy = SlaPolicy { calendar: weekdays_nine_to_six(), ..SlaPolicy::default() };
        let created = sh(2026, 11, 23, 10, 0);
        let due = policy.due_times(created, Tier::ONE, Priority::Urgent, 0).resolution;
        assert_eq!(policy.warning_time(created, due), sh(2026, 11, 23, 13, 12));
    }
}
