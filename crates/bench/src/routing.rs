//! Routing benchmark: decisions per second with many agents and open conversations,
//! measured on the pure decision code (`edudesk_core::routing`), with no I/O.

use std::time::Instant;

use edudesk_core::{
    Presence, Tier,
    routing::{AgentState, Waiting, assign_waiting, pick_agent},
};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[arg(long, default_value_t = 1_000)]
    agents: usize,
    #[arg(long, default_value_t = 100_000)]
    conversations: usize,
    /// Places per agent (max concurrent conversations).
    #[arg(long, default_value_t = 50)]
    capacity: i64,
}

const SKILLS: [&str; 6] = ["account", "payment", "coupon", "playback", "app_fault", "refund"];

/// A deterministic pseudo-random sequence (xorshift), so runs are comparable.
struct Sequence(u64);

impl Sequence {
    fn next(&mut self, below: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % below
    }
}

pub fn main(args: Args) -> anyhow::Result<()> {
    let mut random = Sequence(0x9E37_79B9_7F4A_7C15);
    let tiers = [Tier::ONE, Tier::TWO, Tier::THREE];
    let agents: Vec<AgentState> = (0..args.agents)
        .map(|n| AgentState {
            user_id: n as i64 + 1,
            tier: tiers[random.next(3) as usize],
            presence: [Presence::Online, Presence::Online, Presence::Online, Presence::Away][random.next(4) as usize],
            skills: (0..random.next(3)).map(|_| SKILLS[random.next(6) as usize].to_owned()).collect(),
            max_concurrent: args.capacity,
            load: random.next(args.capacity as u64) as i64,
            last_assigned: random.next(1_000_000) as i64,
            certified: true,
        })
        .collect();
    let waiting: Vec<Waiting> = (0..args.conversations)
        .map(|n| Waiting {
            conversation_id: n as i64 + 1,
            tier: tiers[random.next(3) as usize],
            category: Some(SKILLS[random.next(6) as usize].to_owned()),
            since: random.next(10_000_000) as i64,
        })
        .collect();

    // A new conversation at a time: one decision each against the current agents.
    let started = Instant::now();
    let mut found = 0usize;
    for conversation in &waiting {
        if pick_agent(&agents, conversation.tier, conversation.category.as_deref()).is_some() {
            found += 1;
        }
    }
    let single = started.elapsed();

    // A full sweep: every waiting conversation, oldest first, with loads updated as it goes.
    let mut sweep_agents = agents.clone();
    let started = Instant::now();
    let assignments = assign_waiting(&waiting, &mut sweep_agents, 2_000_000);
    let sweep = started.elapsed();

    println!(
        "agents={} conversations={} single_decisions={:.0}/s (found an agent for {}) sweep={:.0} decisions/s ({} assigned, {:.1} ms)",
        args.agents,
        args.conversations,
        args.conversations as f64 / single.as_secs_f64(),
        found,
        args.conversations as f64 / sweep.as_secs_f64(),
        assignments.len(),
        sweep.as_secs_f64() * 1000.0
    );
    Ok(())
}
