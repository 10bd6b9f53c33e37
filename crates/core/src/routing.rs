//! Routing: which tier's queue a conversation belongs in, and which agent gets it.
//!
//! - A category maps to a tier through a configurable [`CategoryTable`]; a category is
//!   found from the learner's choice, the bot's intent or, failing those, keyword rules.
//! - An agent may receive a conversation when they are online, of the conversation's
//!   tier, below their capacity, and have the needed skill (the category) — an agent with
//!   no skills listed is a generalist and takes any category of their tier.
//! - A conversation is never unroutable: when no online agent of its tier covers its
//!   category at all (nobody with the skill and no generalist online), it is treated as a
//!   general conversation of the tier — any online agent with room takes it. While a
//!   skilled agent is online but full, it waits for them.
//! - Among eligible agents the least loaded wins; among equally loaded ones, the one
//!   assigned longest ago (round robin), then the lowest id.
//! - Waiting conversations are served oldest first.

use std::collections::HashMap;

use crate::model::{Presence, Tier};

/// Category → tier, with keyword rules to find a category in free text.
#[derive(Debug, Clone)]
pub struct CategoryTable {
    tiers: HashMap<String, Tier>,
    keywords: Vec<(String, Vec<String>)>,
    default_tier: Tier,
}

/// The built-in pyramid: Tier 1 answers the frequent questions, Tier 2 technical faults and
/// course content, Tier 3 systemic bugs and complex refund disputes. Playback problems are
/// the most frequent technical question, so they start in Tier 1, where the video SOP
/// guides self-help and hands to Tier 2 what self-help cannot fix.
pub const DEFAULT_CATEGORIES: &[(&str, u8, &[&str])] = &[
    ("account", 1, &["登录", "登陆", "密码", "账号", "帐号", "注册", "验证码", "login", "log in", "password", "account", "sign in", "verification code"]),
    ("payment", 1, &["支付", "付款", "扣款", "订单", "发票", "payment", "pay ", "charged", "order", "invoice"]),
    ("coupon", 1, &["优惠券", "优惠码", "折扣", "coupon", "discount", "promo code"]),
    ("course_info", 1, &["课程介绍", "上课时间", "有效期", "证书", "course info", "schedule", "certificate", "syllabus"]),
    ("refund", 1, &["退款", "退费", "refund"]),
    ("playback", 1, &["视频", "播放", "卡顿", "黑屏", "转圈", "加载不出", "video", "playback", "buffering", "won't play", "black screen"]),
    ("app_fault", 2, &["闪退", "崩溃", "app 打不开", "报错", "crash", "app error", "freezes"]),
    ("course_content", 2, &["作业", "题目", "答案", "讲解", "homework", "exercise", "quiz", "explain"]),
    ("refund_dispute", 3, &["投诉", "12315", "维权", "chargeback", "dispute"]),
    ("systemic_bug", 3, &["所有人", "大面积", "全部用户", "everyone", "outage", "all users"]),
];

impl Default for CategoryTable {
    fn default() -> Self {
        let mut table = CategoryTable { tiers: HashMap::new(), keywords: Vec::new(), default_tier: Tier::ONE };
        for (category, tier, keywords) in DEFAULT_CATEGORIES {
            let tier = Tier::new(i64::from(*tier)).unwrap_or(Tier::ONE);
            table.set(category, tier, keywords.iter().map(|k| (*k).to_owned()).collect());
        }
        table
    }
}

impl CategoryTable {
    /// Adds or replaces a category.
    pub fn set(&mut self, category: &str, tier: Tier, keywords: Vec<String>) {
        self.tiers.insert(category.to_owned(), tier);
        self.keywords.retain(|(known, _)| known != category);
        self.keywords.push((category.to_owned(), keywords.into_iter().map(|k| k.to_lowercase()).collect()));
    }

    /// The tier a category belongs to; unknown categories go to the default tier.
    /// Whether `category` is in the table.
    pub fn knows(&self, category: &str) -> bool {
        self.tiers.contains_key(category)
    }

    pub fn tier_of(&self, category: Option<&str>) -> Tier {
        category.and_then(|category| self.tiers.get(category)).copied().unwrap_or(self.default_tier)
    }

    pub fn categories(&self) -> impl Iterator<Item = (&str, Tier)> {
        self.tiers.iter().map(|(category, tier)| (category.as_str(), *tier))
    }

    /// The category whose keywords appear in `text`; the highest tier wins when several do
    /// (a complaint about a refund is a dispute, not a refund question).
    pub fn classify(&self, text: &str) -> Option<&str> {
        let text = text.to_lowercase();
        self.keywords
            .iter()
            .filter(|(_, keywords)| keywords.iter().any(|keyword| text.contains(keyword.as_str())))
            .max_by_key(|(category, _)| self.tiers.get(category.as_str()).copied().unwrap_or(self.default_tier))
            .map(|(category, _)| category.as_str())
    }
}

/// What routing knows of an agent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentState {
    pub user_id: i64,
    pub tier: Tier,
    pub presence: Presence,
    pub skills: Vec<String>,
    pub max_concurrent: i64,
    /// Conversations assigned and not resolved.
    pub load: i64,
    /// When they last got a conversation (any monotonic number; smaller is longer ago).
    pub last_assigned: i64,
    /// Certified for their tier (issue 13.8): trainees get no conversations from routing.
    pub certified: bool,
}

impl AgentState {
    /// Whether this agent may take a conversation of `tier` needing `skill`.
    pub fn can_take(&self, tier: Tier, skill: Option<&str>) -> bool {
        self.certified && self.presence == Presence::Online && self.tier == tier && self.load < self.max_concurrent && self.covers(skill)
    }

    /// Whether the agent handles `skill` (generalists handle everything).
    pub fn covers(&self, skill: Option<&str>) -> bool {
        self.skills.is_empty() || skill.is_none_or(|skill| self.skills.iter().any(|own| own == skill))
    }
}

/// The skill a conversation of `tier` and `category` needs now: its category while some
/// online agent of the tier covers it, none (the tier's general queue) otherwise.
pub fn needed_skill<'a>(agents: &[AgentState], tier: Tier, category: Option<&'a str>) -> Option<&'a str> {
    category.filter(|_| agents.iter().any(|agent| agent.presence == Presence::Online && agent.tier == tier && agent.covers(category)))
}

/// A conversation waiting in a queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Waiting {
    pub conversation_id: i64,
    pub tier: Tier,
    pub category: Option<String>,
    /// When it started waiting (smaller is older).
    pub since: i64,
}

/// The agent (index into `agents`) who should get a conversation, if anyone may.
pub fn pick_agent(agents: &[AgentState], tier: Tier, category: Option<&str>) -> Option<usize> {
    let skill = needed_skill(agents, tier, category);
    agents
        .iter()
        .enumerate()
        .filter(|(_, agent)| agent.can_take(tier, skill))
        .min_by_key(|(_, agent)| (agent.load, agent.last_assigned, agent.user_id))
        .map(|(index, _)| index)
}

/// Assigns waiting conversations, oldest first, to agents with room; updates the agents'
/// load and round-robin order. Returns (conversation id, user id) pairs.
pub fn assign_waiting(waiting: &[Waiting], agents: &mut [AgentState], clock: i64) -> Vec<(i64, i64)> {
    let mut order: Vec<&Waiting> = waiting.iter().collect();
    order.sort_by_key(|w| (w.since, w.conversation_id));
    let mut assignments = Vec::new();
    for (n, conversation) in order.into_iter().enumerate() {
        if let Some(index) = pick_agent(agents, conversation.tier, conversation.category.as_deref()) {
            let agent = &mut agents[index];
            agent.load += 1;
            agent.last_assigned = clock + n as i64;
            assignments.push((conversation.conversation_id, agent.user_id));
        }
    }
    assignments
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn agent(user_id: i64, tier: Tier, presence: Presence, load: i64, max: i64, skills: &[&str]) -> AgentState {
        AgentState {
            user_id,
            tier,
            presence,
            skills: skills.iter().map(|s| (*s).to_owned()).collect(),
            max_concurrent: max,
            load,
            last_assigned: 0,
            certified: true,
        }
    }

    #[test]
    fn categories_map_to_the_pyramid() {
        let table = CategoryTable::default();
        assert_eq!(table.tier_of(Some("coupon")), Tier::ONE);
        assert_eq!(table.tier_of(Some("playback")), Tier::ONE);
        assert_eq!(table.tier_of(Some("app_fault")), Tier::TWO);
        assert_eq!(table.tier_of(Some("refund_dispute")), Tier::THREE);
        assert_eq!(table.tier_of(Some("unknown")), Tier::ONE);
        assert_eq!(table.classify("老师，第三课的视频一直在转圈"), Some("playback"));
        assert_eq!(table.classify("My coupon won't apply"), Some("coupon"));
        assert_eq!(table.classify("不给退款我就去 12315 投诉"), Some("refund_dispute"));
        assert_eq!(table.classify("你好"), None);
    }

    #[test]
    fn least_loaded_then_longest_idle_then_lowest_id() {
        let mut agents = vec![
            agent(1, Tier::ONE, Presence::Online, 2, 5, &[]),
            agent(2, Tier::ONE, Presence::Online, 1, 5, &[]),
            agent(3, Tier::ONE, Presence::Online, 1, 5, &[]),
        ];
        agents[1].last_assigned = 10;
        agents[2].last_assigned = 5;
        assert_eq!(pick_agent(&agents, Tier::ONE, None), Some(2));
    }

    #[test]
    fn trainees_not_certified_for_their_tier_get_nothing() {
        let mut agents = vec![agent(1, Tier::ONE, Presence::Online, 0, 5, &[]), agent(2, Tier::ONE, Presence::Online, 3, 5, &[])];
        agents[0].certified = false;
        assert_eq!(pick_agent(&agents, Tier::ONE, None), Some(1), "the busier certified agent, not the idle trainee");
        agents[1].certified = false;
        assert_eq!(pick_agent(&agents, Tier::ONE, None), None);
    }

    #[test]
    fn away_offline_full_wrong_tier_and_unskilled_agents_get_nothing() {
        let agents = vec![
            agent(1, Tier::ONE, Presence::Away, 0, 5, &[]),
            agent(2, Tier::ONE, Presence::Offline, 0, 5, &[]),
            agent(3, Tier::ONE, Presence::Online, 5, 5, &[]),
            agent(4, Tier::TWO, Presence::Online, 0, 5, &[]),
            agent(5, Tier::ONE, Presence::Online, 0, 5, &["refund"]),
        ];
        assert_eq!(pick_agent(&agents, Tier::ONE, Some("coupon")), None);
        assert_eq!(pick_agent(&agents, Tier::ONE, Some("refund")), Some(4));
    }

    #[test]
    fn a_category_nobody_online_covers_goes_to_the_tiers_general_queue() {
        // Issue 10.3: only a coupon specialist is online; a playback conversation must not
        // wait for hours beside free capacity.
        let mut agents = vec![agent(1, Tier::ONE, Presence::Online, 0, 5, &["coupon"]), agent(2, Tier::ONE, Presence::Offline, 0, 5, &["playback"])];
        assert_eq!(pick_agent(&agents, Tier::ONE, Some("playback")), Some(0));
        // A playback specialist online but full: the conversation waits for them.
        agents[1].presence = Presence::Online;
        agents[1].load = 5;
        assert_eq!(pick_agent(&agents, Tier::ONE, Some("playback")), None);
        assert_eq!(pick_agent(&agents, Tier::TWO, Some("playback")), None, "never another tier");
    }

    #[test]
    fn oldest_waiting_conversation_goes_first() {
        let mut agents = vec![agent(1, Tier::ONE, Presence::Online, 0, 1, &[])];
        let waiting = vec![
            Waiting { conversation_id: 10, tier: Tier::ONE, category: None, since: 300 },
            Waiting { conversation_id: 11, tier: Tier::ONE, category: None, since: 100 },
            Waiting { conversation_id: 12, tier: Tier::ONE, category: None, since: 200 },
        ];
        assert_eq!(assign_waiting(&waiting, &mut agents, 0), vec![(11, 1)]);
    }

    fn any_agent() -> impl Strategy<Value = AgentState> {
        (1..=3i64, 0..3u8, 0..6i64, 0..6i64, proptest::collection::vec(0..3usize, 0..2), 0..50i64).prop_map(|(tier, presence, load, max, skills, last)| {
            AgentState {
                user_id: 0,
                tier: Tier::new(tier).unwrap_or(Tier::ONE),
                presence: [Presence::Online, Presence::Away, Presence::Offline][presence as usize],
                skills: skills.into_iter().map(|s| ["playback", "coupon", "refund"][s].to_owned()).collect(),
                max_concurrent: max,
                load,
                last_assigned: last,
                certified: true,
            }
        })
    }

    fn any_waiting() -> impl Strategy<Value = Waiting> {
        (1..=3i64, proptest::option::of(0..3usize), 0..1000i64).prop_map(|(tier, category, since)| Waiting {
            conversation_id: 0,
            tier: Tier::new(tier).unwrap_or(Tier::ONE),
            category: category.map(|c| ["playback", "coupon", "refund"][c].to_owned()),
            since,
        })
    }

    proptest! {
        /// No conversation goes to a full, away, offline, wrong-tier or unskilled agent; each is
        /// assigned at most once; and a conversation is left waiting only if no agent could take
        /// it, with every older one of the same needs assigned before it.
        #[test]
        fn assignments_respect_presence_capacity_skill_and_age(
            mut agents in proptest::collection::vec(any_agent(), 0..12),
            mut waiting in proptest::collection::vec(any_waiting(), 0..40),
        ) {
            for (i, agent) in agents.iter_mut().enumerate() { agent.user_id = i as i64 + 1; }
            for (i, w) in waiting.iter_mut().enumerate() { w.conversation_id = i as i64 + 1; }
            let before = agents.clone();
            let assignments = assign_waiting(&waiting, &mut agents, 1000);

            let mut loads: HashMap<i64, i64> = before.iter().map(|a| (a.user_id, a.load)).collect();
            let mut assigned = std::collections::HashSet::new();
            for (conversation_id, user_id) in &assignments {
                prop_assert!(assigned.insert(*conversation_id), "assigned twice");
                let w = waiting.iter().find(|w| w.conversation_id == *conversation_id).unwrap();
                let mut agent = before.iter().find(|a| a.user_id == *user_id).unwrap().clone();
                agent.load = loads[user_id];
                let skill = needed_skill(&before, w.tier, w.category.as_deref());
                prop_assert!(agent.can_take(w.tier, skill), "assigned to an agent who could not take it");
                *loads.get_mut(user_id).unwrap() += 1;
            }
            for agent in &agents {
                prop_assert!(agent.load <= agent.max_concurrent.max(before.iter().find(|b| b.user_id == agent.user_id).unwrap().load));
            }
            // Everything left waiting has no agent who can take it now.
            for w in waiting.iter().filter(|w| !assigned.contains(&w.conversation_id)) {
                prop_assert!(pick_agent(&agents, w.tier, w.category.as_deref()).is_none(), "conversation {} left waiting though an agent is free", w.conversation_id);
            }
            // Oldest first: a waiting conversation never loses to a younger one with the same needs.
            for left in waiting.iter().filter(|w| !assigned.contains(&w.conversation_id)) {
                for (taken, _) in &assignments {
                    let taken = waiting.iter().find(|w| w.conversation_id == *taken).unwrap();
                    if taken.tier == left.tier && taken.category == left.category {
                        prop_assert!((taken.since, taken.conversation_id) < (left.since, left.conversation_id), "a younger conversation was served first");
                    }
                }
            }
        }
    }
}
