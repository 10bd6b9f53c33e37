//! The clock that schedules work (jobs, follow-ups, task due times). It is the system
//! clock, shifted by `clock_offset_seconds` from the configuration — zero in production;
//! tests and demos set it to see what happens "a day later" without waiting a day.

use crate::store::now_ms;

#[derive(Debug, Clone, Copy, Default)]
pub struct Clock {
    offset_ms: i64,
}

impl Clock {
    pub fn with_offset_seconds(seconds: i64) -> Clock {
        Clock { offset_ms: seconds.saturating_mul(1000) }
    }

    /// Now, in UTC milliseconds, as the scheduler sees it.
    pub fn now_ms(&self) -> i64 {
        now_ms() + self.offset_ms
    }

    /// Today's date in `zone` (the team's calendar, not the server's or a browser's: at 16:00
    /// UTC it is already tomorrow in Shanghai).
    pub fn today_in(&self, zone: chrono_tz::Tz) -> chrono::NaiveDate {
        chrono::DateTime::<chrono::Utc>::from_timestamp_millis(self.now_ms()).unwrap_or_default().with_timezone(&zone).date_naive()
    }
}

/// Where the day `date` begins in `zone`, in UTC milliseconds (the earliest instant, should a
/// time-zone change make midnight ambiguous).
pub fn day_start_ms(zone: chrono_tz::Tz, date: chrono::NaiveDate) -> i64 {
    use chrono::TimeZone;
    zone.from_local_datetime(&date.and_time(chrono::NaiveTime::MIN)).earliest().map(|t| t.timestamp_millis()).unwrap_or(0)
}
