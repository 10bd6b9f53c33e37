//! Catching topic spikes: is the last hour's volume of one category (or course) far above
//! what is normal for this hour of the week?
//!
//! The baseline is seasonal and adaptive: the hour-of-week profile (the mean of the same
//! weekday and hour over past weeks, so Monday mornings are not a surprise every Monday)
//! times a level — an EWMA of recent hours' actual ÷ profile ratios, so slow growth lifts the
//! baseline instead of raising alarms. The last `window` minutes are a spike when their count
//! is at least `MIN_COUNT`, at least twice the expected and at least `Z` Poisson standard
//! deviations above it. Checked every few minutes, a real spike is caught within minutes.

use serde::Serialize;

/// Fewest arrivals in the window that can be a spike (a few tickets are never an incident).
pub const MIN_COUNT: f64 = 5.0;
/// Standard deviations above the expected count.
pub const Z: f64 = 4.0;
/// The EWMA weight of the newest hour in the level.
const ALPHA: f64 = 0.3;

/// The verdict on one window.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Assessment {
    pub observed: f64,
    pub expected: f64,
    /// (observed − expected) ÷ √max(expected, 1).
    pub score: f64,
    pub spike: bool,
}

/// The level: an EWMA of (actual + 1) ÷ (profile + 1) over recent hours, oldest first,
/// clamped to [0.5, 2] so one odd day cannot blind or deafen the detector.
pub fn level(recent: &[(f64, f64)]) -> f64 {
    recent.iter().fold(1.0, |level, (actual, profiled)| (1.0 - ALPHA) * level + ALPHA * ((actual + 1.0) / (profiled + 1.0))).clamp(0.5, 2.0)
}

/// Judges `observed` arrivals in the last `window_minutes` against the hour's profile value
/// (arrivals per hour, normally) and the level.
pub fn assess(observed: f64, profile_per_hour: f64, level: f64, window_minutes: f64) -> Assessment {
    let expected = profile_per_hour * level * window_minutes / 60.0;
    let score = (observed - expected) / expected.max(1.0).sqrt();
    let spike = observed >= MIN_COUNT && observed >= 2.0 * expected && score >= Z;
    Assessment { observed, expected, score, spike }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::staffing::hour_of_week_profile;

    /// A normal week of one category: busy weekday daytimes (Mondays busiest), quiet nights.
    fn normal(weekday: u32, hour: u32) -> u32 {
        let day = if (9..22).contains(&hour) { 12 } else { 2 };
        match weekday {
            0 => day * 2,
            5 | 6 => day / 2,
            _ => day,
        }
    }

    #[test]
    fn weekly_seasonality_is_no_alarm_and_an_injected_spike_is_caught_within_minutes() {
        let weeks = 4;
        let history = (0..weeks).flat_map(|_| (0..7).flat_map(|d| (0..24).flat_map(move |h| std::iter::repeat_n((d, h), normal(d, h) as usize))));
        let profile = hour_of_week_profile(history, weeks);
        // A fifth, normal week, hour by hour (with ±20 % noise): never a spike, not even at
        // the Monday rush.
        for d in 0..7u32 {
            for h in 0..24u32 {
                let noisy = f64::from(normal(d, h)) * if (d + h) % 2 == 0 { 1.2 } else { 0.8 };
                let assessment = assess(noisy, profile[d as usize][h as usize], 1.0, 60.0);
                assert!(!assessment.spike, "false alarm at weekday {d} {h}:00: {assessment:?}");
            }
        }
        // Tuesday 14:00: a payment outage triples the rate (12 → 36 an hour). Checked every 5
        // minutes on the last 30 minutes, it is caught within half an hour; a fivefold one sooner.
        let (d, h) = (1usize, 14usize);
        let caught = |times: f64| {
            let rate_per_minute = times * profile[d][h] / 60.0;
            (1..=12).map(|five| five * 5).find(|minutes: &u32| {
                let observed = (rate_per_minute * f64::from((*minutes).min(30))).round();
                assess(observed, profile[d][h], 1.0, 30.0).spike
            })
        };
        assert_eq!(caught(3.0), Some(30), "a tripling is caught within 30 minutes");
        assert_eq!(caught(5.0), Some(20), "a fivefold rise within 20");
        assert_eq!(caught(1.3), None, "30 % more is no incident");
        // A quiet night: a handful of tickets is not an incident even if it is many times normal.
        assert!(!assess(4.0, profile[2][3], 1.0, 60.0).spike);
    }

    #[test]
    fn the_level_follows_slow_growth_but_not_a_single_odd_hour() {
        let grown = level(&vec![(15.0, 10.0); 24]);
        assert!(grown > 1.3 && grown < 1.5, "{grown}");
        // With the level, 50 % more than the profile at steady growth is normal.
        assert!(!assess(18.0, 12.0, grown, 60.0).spike);
        assert_eq!(level(&[(500.0, 1.0)]), 2.0, "clamped");
        assert_eq!(level(&[]), 1.0);
    }
}
