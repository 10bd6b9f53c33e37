//! Staffing: how many agents each hour needs, from the arrivals expected then.
//!
//! - **Forecast**: the arrivals of an hour are the mean of the same hour of the same weekday
//!   over the last weeks (an hour-of-week profile), per channel.
//! - **Erlang C** (M/M/n: nobody gives up): the probability a learner waits, the service level
//!   (share answered within a target time) and the average speed of answer for `n` agents
//!   and a traffic of `A` erlangs (arrivals per second × average handling time); the agents
//!   needed are the fewest meeting the service-level target without an occupancy above the cap.
//! - **Erlang A** (M/M/n+M: learners give up after an exponential patience): the probability
//!   of waiting, of abandoning, and the mean wait, from the birth–death chain of the queue.
//!
//! Checked against published tables (Erlang B 10 lines at 10 erlangs: 21.46 %; the classic
//! Erlang C example, 10 erlangs: 11 agents wait 68.21 %, 14 agents answer 88.84 % in 20 s).

use serde::Serialize;

/// Erlang B: the blocking probability of `servers` lines offered `traffic` erlangs
/// (computed by the stable recursion B(k) = A·B(k−1) / (k + A·B(k−1))).
pub fn erlang_b(servers: u32, traffic: f64) -> f64 {
    (1..=servers).fold(1.0, |b, k| traffic * b / (k as f64 + traffic * b))
}

/// Erlang C: the probability that an arriving learner waits, with `agents` agents and
/// `traffic` erlangs; 1 when the agents cannot keep up (`agents ≤ traffic`).
pub fn erlang_c(agents: u32, traffic: f64) -> f64 {
    let n = agents as f64;
    if n <= traffic {
        return 1.0;
    }
    let b = erlang_b(agents, traffic);
    n * b / (n - traffic * (1.0 - b))
}

/// The share of learners answered within `target_s` seconds (Erlang C).
pub fn service_level(agents: u32, traffic: f64, aht_s: f64, target_s: f64) -> f64 {
    let n = agents as f64;
    if n <= traffic {
        return 0.0;
    }
    1.0 - erlang_c(agents, traffic) * (-(n - traffic) * target_s / aht_s).exp()
}

/// The mean wait before an answer, in seconds (Erlang C).
pub fn average_speed_of_answer(agents: u32, traffic: f64, aht_s: f64) -> f64 {
    let n = agents as f64;
    if n <= traffic {
        return f64::INFINITY;
    }
    erlang_c(agents, traffic) * aht_s / (n - traffic)
}

/// The traffic in erlangs of `arrivals_per_hour` learners each taking `aht_s` seconds.
pub fn traffic(arrivals_per_hour: f64, aht_s: f64) -> f64 {
    arrivals_per_hour * aht_s / 3600.0
}

/// The fewest agents that answer `service_level_target` of learners within `target_s`
/// seconds, with an occupancy (traffic ÷ agents) at most `max_occupancy`. No arrivals: 0.
pub fn agents_needed(arrivals_per_hour: f64, aht_s: f64, target_s: f64, service_level_target: f64, max_occupancy: f64) -> u32 {
    if arrivals_per_hour <= 0.0 {
        return 0;
    }
    let a = traffic(arrivals_per_hour, aht_s);
    let mut n = (a.floor() as u32 + 1).max((a / max_occupancy).ceil() as u32);
    while service_level(n, a, aht_s, target_s) < service_level_target {
        n += 1;
    }
    n
}

/// What Erlang A says about a queue where learners give up.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ErlangA {
    /// The probability an arriving learner waits.
    pub wait_probability: f64,
    /// The probability an arriving learner gives up before an answer.
    pub abandon_probability: f64,
    /// The mean wait of arriving learners (answered or not), in seconds.
    pub mean_wait_s: f64,
}

/// Erlang A (M/M/n+M) for `agents` agents, `arrivals_per_hour`, handling `aht_s` seconds
/// and a mean patience of `patience_s` seconds, from the queue's stationary distribution.
pub fn erlang_a(agents: u32, arrivals_per_hour: f64, aht_s: f64, patience_s: f64) -> ErlangA {
    let lambda = arrivals_per_hour / 3600.0;
    let (mu, theta) = (1.0 / aht_s, 1.0 / patience_s.max(1e-9));
    let n = agents as usize;
    // Unnormalised π_k = Π λ / d_j, in a running product; stop when the tail is negligible.
    let mut weights = vec![1.0_f64];
    let mut k = 0usize;
    loop {
        k += 1;
        let death = (k.min(n) as f64) * mu + (k.saturating_sub(n) as f64) * theta;
        let next = weights[k - 1] * lambda / death;
        weights.push(next);
        if (k > n && next < 1e-15 * weights.iter().sum::<f64>()) || k > n + 100_000 {
            break;
        }
    }
    let total: f64 = weights.iter().sum();
    let waiting: f64 = weights.iter().skip(n).sum::<f64>() / total;
    let queue: f64 = weights.iter().enumerate().skip(n).map(|(k, w)| (k - n) as f64 * w).sum::<f64>() / total;
    ErlangA {
        wait_probability: waiting,
        abandon_probability: if lambda > 0.0 { theta * queue / lambda } else { 0.0 },
        mean_wait_s: if lambda > 0.0 { queue / lambda } else { 0.0 },
    }
}

/// The expected arrivals of each hour of the week (Monday 0 … Sunday 6 × hour 0–23): the mean
/// over `weeks` weeks of the arrivals at that weekday and hour, given as (weekday, hour).
pub fn hour_of_week_profile(arrivals: impl IntoIterator<Item = (u32, u32)>, weeks: u32) -> [[f64; 24]; 7] {
    let mut profile = [[0.0; 24]; 7];
    for (weekday, hour) in arrivals {
        if weekday < 7 && hour < 24 {
            profile[weekday as usize][hour as usize] += 1.0;
        }
    }
    let weeks = f64::from(weeks.max(1));
    for day in &mut profile {
        for hour in day.iter_mut() {
            *hour /= weeks;
        }
    }
    profile
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, within: f64) -> bool {
        (a - b).abs() <= within
    }

    #[test]
    fn erlang_b_matches_the_published_table() {
        assert!(close(erlang_b(10, 10.0), 0.2146, 5e-5), "{}", erlang_b(10, 10.0));
        assert!(close(erlang_b(5, 2.0), 0.0367, 5e-5));
        assert!(close(erlang_b(1, 1.0), 0.5, 1e-12));
    }

    #[test]
    fn erlang_c_matches_the_classic_example() {
        // 100 calls in 30 minutes, 180 s each: 10 erlangs; target 80 % in 20 s.
        let a = traffic(200.0, 180.0);
        assert!(close(a, 10.0, 1e-12));
        assert!(close(erlang_c(11, a), 0.6821, 5e-5));
        assert!(close(service_level(11, a, 180.0, 20.0), 0.3896, 5e-5));
        assert!(close(erlang_c(14, a), 0.1741, 5e-5));
        assert!(close(service_level(14, a, 180.0, 20.0), 0.8884, 5e-5));
        assert!(close(average_speed_of_answer(14, a, 180.0), 7.8, 0.05));
        // M/M/2 at 50 % load: P(wait) = 2ρ² / (1 + ρ) = 1/3.
        assert!(close(erlang_c(2, 1.0), 1.0 / 3.0, 1e-12));
        assert_eq!(erlang_c(10, 10.0), 1.0, "no agent to spare: everyone waits");
        assert_eq!(agents_needed(200.0, 180.0, 20.0, 0.8, 1.0), 14, "13 agents answer 79.6 %, 14 agents 88.8 %");
        assert_eq!(agents_needed(200.0, 180.0, 20.0, 0.8, 0.7), 15, "at most 70 % busy needs 15");
        assert_eq!(agents_needed(0.0, 180.0, 20.0, 0.8, 0.85), 0);
    }

    #[test]
    fn erlang_a_tends_to_erlang_c_and_abandonment_shortens_the_queue() {
        let patient = erlang_a(11, 200.0, 180.0, 1e9);
        assert!(close(patient.wait_probability, erlang_c(11, 10.0), 1e-4), "{patient:?}");
        assert!(close(patient.mean_wait_s, average_speed_of_answer(11, 10.0, 180.0), 0.5), "{patient:?}");
        assert!(patient.abandon_probability < 1e-6);
        let impatient = erlang_a(11, 200.0, 180.0, 60.0);
        assert!(impatient.wait_probability < patient.wait_probability);
        assert!(impatient.mean_wait_s < patient.mean_wait_s);
        assert!(impatient.abandon_probability > 0.05 && impatient.abandon_probability < 0.5, "{impatient:?}");
        // Even with too few agents the queue is stable: people leave.
        let overloaded = erlang_a(8, 200.0, 180.0, 60.0);
        assert!(overloaded.abandon_probability > impatient.abandon_probability && overloaded.wait_probability < 1.0);
    }

    #[test]
    fn the_profile_averages_each_hour_of_the_week() {
        let arrivals = [(0, 9), (0, 9), (0, 9), (0, 9), (6, 23)];
        let profile = hour_of_week_profile(arrivals, 2);
        assert_eq!(profile[0][9], 2.0);
        assert_eq!(profile[6][23], 0.5);
        assert_eq!(profile[3][12], 0.0);
    }
}
