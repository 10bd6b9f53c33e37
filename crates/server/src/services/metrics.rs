//! This node's counters for `/metrics` (requests by status class, their latency, the bot's
//! answers and handovers): plain atomics, written by the request layer and the bot, read by
//! the metrics endpoint.

use std::sync::atomic::{AtomicU64, Ordering};

/// Upper bounds of the latency histogram, in seconds.
pub const BUCKETS: [f64; 10] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0];

/// Counters kept in memory by this node (each node of a cluster is scraped on its own).
#[derive(Debug, Default)]
pub struct Metrics {
    /// Requests by status class: 1xx..5xx.
    pub by_class: [AtomicU64; 5],
    /// Cumulative latency buckets (the last is +Inf), and the sum in microseconds.
    pub buckets: [AtomicU64; 11],
    pub latency_micros: AtomicU64,
    pub bot_answers: AtomicU64,
    pub bot_handovers: AtomicU64,
}

impl Metrics {
    pub fn record(&self, status: u16, seconds: f64) {
        let class = usize::from(status / 100).clamp(1, 5) - 1;
        self.by_class[class].fetch_add(1, Ordering::Relaxed);
        for (index, bound) in BUCKETS.iter().enumerate() {
            if seconds <= *bound {
                self.buckets[index].fetch_add(1, Ordering::Relaxed);
            }
        }
        self.buckets[BUCKETS.len()].fetch_add(1, Ordering::Relaxed);
        self.latency_micros.fetch_add((seconds * 1_000_000.0) as u64, Ordering::Relaxed);
    }
}
