//! Staffing as a use case: for one day, each hour's expected arrivals (the hour-of-week
//! profile of the last four weeks, per channel), the agents Erlang C says the service-level
//! target needs, what Erlang A expects with the agents scheduled (waits and abandonment), and
//! who is scheduled — so a supervisor sees the hours that are short before they happen.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate, TimeZone, Timelike};
use edudesk_core::staffing::{self, ErlangA};
use serde::Serialize;
use utoipa::ToSchema;

use crate::{
    AppState,
    error::{AppError, AppResult},
};

/// Weeks of history the forecast averages.
const HISTORY_WEEKS: u32 = 4;
/// The busiest agents may be: above this, service collapses at the slightest peak.
const MAX_OCCUPANCY: f64 = 0.85;

/// One hour of the plan.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StaffingHour {
    /// 0–23, in the support team's time zone.
    pub hour: u32,
    /// Expected arrivals, per channel and in total.
    #[schema(value_type = Object)]
    pub forecast_by_channel: BTreeMap<String, f64>,
    pub forecast: f64,
    /// Agents Erlang C needs to meet the service-level target (occupancy at most 85 %).
    pub needed: u32,
    /// Agents whose shifts cover the hour.
    pub scheduled: u32,
    /// scheduled − needed (negative: short).
    pub gap: i64,
    /// With the agents scheduled: the share answered within the target time (Erlang C).
    pub service_level: Option<f64>,
    /// With the agents scheduled, learners giving up after their patience (Erlang A).
    pub with_abandonment: Option<ErlangA>,
}

/// The day's plan and the assumptions it was made with.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StaffingPlan {
    pub date: String,
    pub aht_seconds: u64,
    pub target_seconds: u64,
    pub service_level_target: f64,
    pub patience_seconds: u64,
    pub hours: Vec<StaffingHour>,
}

/// The plan for `date` (`YYYY-MM-DD` in the team's time zone).
pub async fn plan(state: &AppState, date: &str) -> AppResult<StaffingPlan> {
    let day = NaiveDate::parse_from_str(date, "%Y-%m-%d").map_err(|_| AppError::BadRequest(format!("date: '{date}' is not YYYY-MM-DD")))?;
    let zone = state.sla.calendar.time_zone;
    let since = state.clock.now_ms() - i64::from(HISTORY_WEEKS) * 7 * 24 * 3_600_000;
    let arrivals = state.store.arrivals_since(since).await?;
    let mut by_channel: BTreeMap<String, Vec<(u32, u32)>> = BTreeMap::new();
    for (channel, at) in arrivals {
        let Some(local) = zone.timestamp_millis_opt(at).single() else { continue };
        by_channel.entry(channel).or_default().push((local.weekday().num_days_from_monday(), local.hour()));
    }
    let profiles: BTreeMap<String, [[f64; 24]; 7]> =
        by_channel.into_iter().map(|(channel, arrivals)| (channel, staffing::hour_of_week_profile(arrivals, HISTORY_WEEKS))).collect();
    let weekday = day.weekday().num_days_from_monday() as i64;
    let shifts = state.store.all_shifts().await?;
    let config = &state.config;
    let (aht, target) = (config.staffing_aht_seconds as f64, config.staffing_target_seconds as f64);
    let sl_target = f64::from(config.staffing_service_level_percent) / 100.0;
    let hours = (0..24u32)
        .map(|hour| {
            let forecast_by_channel: BTreeMap<String, f64> =
                profiles.iter().map(|(channel, profile)| (channel.clone(), profile[weekday as usize][hour as usize])).filter(|(_, n)| *n > 0.0).collect();
            let forecast: f64 = forecast_by_channel.values().sum();
            let needed = staffing::agents_needed(forecast, aht, target, sl_target, MAX_OCCUPANCY);
            let scheduled = shifts
                .iter()
                .filter(|(_, shift)| shift.weekday == weekday && shift.start_hour <= i64::from(hour) && i64::from(hour) < shift.end_hour)
                .map(|(user, _)| *user)
                .collect::<std::collections::BTreeSet<_>>()
                .len() as u32;
            let traffic = staffing::traffic(forecast, aht);
            let busy = forecast > 0.0 && scheduled > 0;
            StaffingHour {
                hour,
                forecast_by_channel,
                forecast,
                needed,
                scheduled,
                gap: i64::from(scheduled) - i64::from(needed),
                service_level: busy.then(|| staffing::service_level(scheduled, traffic, aht, target)),
                with_abandonment: busy.then(|| staffing::erlang_a(scheduled, forecast, aht, config.staffing_patience_seconds as f64)),
            }
        })
        .collect();
    Ok(StaffingPlan {
        date: day.to_string(),
        aht_seconds: config.staffing_aht_seconds,
        target_seconds: config.staffing_target_seconds,
        service_level_target: sl_target,
        patience_seconds: config.staffing_patience_seconds,
        hours,
    })
}
