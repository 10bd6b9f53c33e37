//! Rate limits against guessing and flooding: fixed windows of counts per key (an account,
//! a client address), kept in this node's memory. Sign-in is limited per address and locks
//! an account after repeated failures; public writes (widget sessions, votes, deflections)
//! are limited per address. With several nodes each counts on its own, so the effective
//! limit is at most the node count times the configured one.

use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, Instant},
};

use crate::error::{AppError, AppResult};

/// Entries kept before expired ones are swept out.
const SWEEP_ABOVE: usize = 10_000;

#[derive(Debug, Default)]
pub struct RateLimiter {
    windows: Mutex<HashMap<String, Window>>,
}

#[derive(Debug, Clone, Copy)]
struct Window {
    started: Instant,
    count: u32,
}

impl RateLimiter {
    fn with_window<T>(&self, key: &str, length: Duration, f: impl FnOnce(&mut Window) -> T) -> T {
        let now = Instant::now();
        let mut windows = self.windows.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if windows.len() > SWEEP_ABOVE {
            windows.retain(|_, window| now.duration_since(window.started) < length.max(Duration::from_secs(900)));
        }
        let window = windows.entry(key.to_owned()).or_insert(Window { started: now, count: 0 });
        if now.duration_since(window.started) >= length {
            *window = Window { started: now, count: 0 };
        }
        f(window)
    }

    /// Counts one use of `key`; 429 (with how long to wait) once `limit` uses in `length`
    /// are spent.
    pub fn hit(&self, key: &str, limit: u32, length: Duration, what: &str) -> AppResult<()> {
        self.with_window(key, length, |window| {
            if window.count >= limit {
                return Err(too_many(what, length.saturating_sub(window.started.elapsed())));
            }
            window.count += 1;
            Ok(())
        })
    }

    /// 429 if `key` has already used `limit` in its window, without counting.
    pub fn check(&self, key: &str, limit: u32, length: Duration, what: &str) -> AppResult<()> {
        self.with_window(
            key,
            length,
            |window| if window.count >= limit { Err(too_many(what, length.saturating_sub(window.started.elapsed()))) } else { Ok(()) },
        )
    }

    /// Forgets `key` (a successful sign-in clears the account's failures).
    pub fn reset(&self, key: &str) {
        self.windows.lock().unwrap_or_else(std::sync::PoisonError::into_inner).remove(key);
    }
}

fn too_many(what: &str, wait: Duration) -> AppError {
    let seconds = wait.as_secs().max(1);
    AppError::TooManyRequests { detail: format!("{what}; try again in {seconds} s"), retry_after_seconds: seconds }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_key_gets_its_limit_per_window_then_429_until_reset() {
        let limiter = RateLimiter::default();
        let minute = Duration::from_secs(60);
        for _ in 0..3 {
            limiter.hit("ip:1", 3, minute, "too many").unwrap();
        }
        let refused = limiter.hit("ip:1", 3, minute, "too many").unwrap_err();
        assert!(matches!(refused, AppError::TooManyRequests { retry_after_seconds, .. } if (1..=60).contains(&retry_after_seconds)));
        assert!(limiter.check("ip:1", 3, minute, "x").is_err());
        limiter.hit("ip:2", 3, minute, "too many").unwrap();
        limiter.reset("ip:1");
        limiter.hit("ip:1", 3, minute, "too many").unwrap();
        // A window that has passed starts afresh.
        limiter.hit("short", 1, Duration::from_millis(1), "x").unwrap();
        std::thread::sleep(Duration::from_millis(5));
        limiter.hit("short", 1, Duration::from_millis(1), "x").unwrap();
    }
}
