//! Quality review: supervisors score sampled conversations on a rubric — empathy, accuracy,
//! SOP adherence, tone — each 1 (poor) to 5 (excellent), with comments. A review's score is
//! the mean of its four marks; an agent's quality is the mean of their reviews' scores.

use serde::{Deserialize, Serialize};

/// The rubric's criteria, in the order reviewers see them.
pub const CRITERIA: [&str; 4] = ["empathy", "accuracy", "sop_adherence", "tone"];

/// One review's marks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Marks {
    pub empathy: i64,
    pub accuracy: i64,
    pub sop_adherence: i64,
    pub tone: i64,
}

impl Marks {
    /// Each mark 1–5, or the name of the first that is not.
    pub fn check(&self) -> Result<(), String> {
        for (name, mark) in CRITERIA.iter().zip(self.all()) {
            if !(1..=5).contains(&mark) {
                return Err(format!("{name}: 1 to 5"));
            }
        }
        Ok(())
    }

    pub fn all(&self) -> [i64; 4] {
        [self.empathy, self.accuracy, self.sop_adherence, self.tone]
    }

    /// The review's score: the mean of the four marks (1–5).
    pub fn score(&self) -> f64 {
        self.all().iter().sum::<i64>() as f64 / 4.0
    }
}

/// Picks up to `per_agent` conversations for each agent from `candidates` (conversation id,
/// agent id), spread over agents so that a busy agent does not fill the sample; `seed`
/// makes the pick reproducible (a supervisor reloading sees the same sample).
pub fn sample(candidates: &[(i64, i64)], per_agent: usize, seed: u64) -> Vec<(i64, i64)> {
    let mut by_agent: std::collections::BTreeMap<i64, Vec<i64>> = std::collections::BTreeMap::new();
    for (conversation, agent) in candidates {
        by_agent.entry(*agent).or_default().push(*conversation);
    }
    let mut picked = Vec::new();
    for (agent, mut conversations) in by_agent {
        // A cheap deterministic shuffle: order by a hash of (seed, conversation).
        conversations.sort_by_key(|id| (*id as u64 ^ seed).wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(17));
        picked.extend(conversations.into_iter().take(per_agent).map(|conversation| (conversation, agent)));
    }
    picked
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_are_checked_and_averaged() {
        let marks = Marks { empathy: 5, accuracy: 4, sop_adherence: 3, tone: 4 };
        assert_eq!(marks.check(), Ok(()));
        assert_eq!(marks.score(), 4.0);
        assert_eq!(Marks { tone: 6, ..marks }.check(), Err("tone: 1 to 5".to_owned()));
        assert_eq!(Marks { empathy: 0, ..marks }.check(), Err("empathy: 1 to 5".to_owned()));
    }

    #[test]
    fn the_sample_spreads_over_agents_and_is_reproducible() {
        let candidates: Vec<(i64, i64)> = (1..=20).map(|id| (id, 7)).chain((21..=22).map(|id| (id, 8))).collect();
        let picked = sample(&candidates, 3, 42);
        assert_eq!(picked.iter().filter(|(_, agent)| *agent == 7).count(), 3, "a busy agent gets at most 3");
        assert_eq!(picked.iter().filter(|(_, agent)| *agent == 8).count(), 2, "a quiet agent gets all they have");
        assert_eq!(picked, sample(&candidates, 3, 42), "the same seed, the same sample");
        assert_ne!(sample(&candidates, 3, 42), sample(&candidates, 3, 43), "another seed, another sample");
    }
}
