//! Support KPIs computed from facts — the conversations' event log (status changes, handovers,
//! SLA breaches) and their public agent messages — never from counters kept on the side, so
//! a KPI can always be recomputed and explained. Pure: the server loads the facts, this module
//! groups and measures them.
//!
//! Definitions (times in seconds; a conversation belongs to the period in which it started):
//! - **start**: when a person became responsible — the bot's handover, else creation.
//! - **first response time**: start → first public agent message (agents stepping in while
//!   the bot talks count from creation). Attributed to the agent who wrote it.
//! - **resolution time**: start → first change to `resolved` (or `closed` without resolving).
//! - **resolution rate**: resolved ÷ conversations handled by people (not contained by the bot).
//! - **one-touch resolution**: resolved with exactly one public agent message before it.
//! - **reopen rate**: resolved conversations later reopened ÷ resolved.
//! - **SLA attainment**: share of handled conversations without a first-response breach, and
//!   without a resolution breach.
//! - **bot contained**: conversations the bot handled to the end (no handover, no agent message).
//! - **agent**: whoever resolved it, else whoever answered first; "none" if no person did.
//! - **CSAT**: of the conversations whose learner rated the service (1–5) in the survey, the
//!   share rating 4 or 5; with the average rating. A conversation counts once (its survey).
//! - **team**: the teams of the conversation's agent (an agent in two teams counts for both).
//! - **occupancy** (agents, teams, total): of the time the agents were online (the presence
//!   log), the share during which they had a conversation in hand — from their first public
//!   reply to its resolution (or, unresolved, their last reply); concurrent conversations count
//!   once, so it is at most 100 %. Volume per hour of the day and per course are groupings too.

use std::collections::BTreeMap;

use chrono::TimeZone;
use chrono_tz::Tz;
use serde::Serialize;

/// A change of status, from the event log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusChange {
    pub at: i64,
    /// `open`, `pending`, `resolved` or `closed`.
    pub to: String,
    pub by_user: Option<i64>,
    pub reopened: bool,
}

/// What the log says about one conversation.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ConversationFacts {
    pub id: i64,
    pub channel: String,
    pub category: Option<String>,
    /// The course the learner asked from, if the platform named it.
    pub course: Option<String>,
    pub tier: i64,
    /// UTC milliseconds.
    pub created_at: i64,
    pub handed_over_at: Option<i64>,
    /// Still with the bot (never handed over).
    pub with_bot: bool,
    /// In order.
    pub status_changes: Vec<StatusChange>,
    /// Public agent messages: (time, author), in order.
    pub agent_replies: Vec<(i64, Option<i64>)>,
    /// SLA targets breached: `first_response`, `resolution`.
    pub breaches: Vec<String>,
    /// The learner's rating in the satisfaction survey (1–5), if they gave one.
    pub rating: Option<i64>,
}

/// How to group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupBy {
    Agent,
    /// The teams of the agent who handled it (an agent in two teams counts for both).
    Team,
    Tier,
    Channel,
    Category,
    Course,
    /// Hour of the day (local), `09:00`: when learners come.
    Hour,
    Day,
    Week,
    /// Everything in one row.
    Total,
}

impl GroupBy {
    pub fn parse(raw: &str) -> Option<GroupBy> {
        Some(match raw {
            "agent" => GroupBy::Agent,
            "team" => GroupBy::Team,
            "tier" => GroupBy::Tier,
            "channel" => GroupBy::Channel,
            "category" => GroupBy::Category,
            "course" => GroupBy::Course,
            "hour" => GroupBy::Hour,
            "day" => GroupBy::Day,
            "week" => GroupBy::Week,
            "total" => GroupBy::Total,
            _ => return None,
        })
    }
}

/// The KPIs of one group.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct KpiRow {
    /// The group: an agent's user id (or `none`), a tier, channel, category, course (or `unknown`),
    /// hour of the day (`09:00`), date (`2026-12-01`), ISO week (`2026-W49`) or `total`.
    pub group: String,
    pub conversations: u64,
    pub bot_contained: u64,
    /// Conversations people handled (not contained by the bot).
    pub handled: u64,
    pub responded: u64,
    pub first_response_avg_s: Option<f64>,
    pub first_response_median_s: Option<f64>,
    pub resolved: u64,
    pub resolution_rate: Option<f64>,
    pub resolution_avg_s: Option<f64>,
    pub resolution_median_s: Option<f64>,
    pub one_touch_rate: Option<f64>,
    pub reopened: u64,
    pub reopen_rate: Option<f64>,
    pub first_response_sla: Option<f64>,
    pub resolution_sla: Option<f64>,
    /// Conversations whose learner rated the service.
    pub rated: u64,
    /// Share of those ratings that are 4 or 5.
    pub csat: Option<f64>,
    pub average_rating: Option<f64>,
    /// Agents, teams and the total: the share of the agents' online time during which they had
    /// a conversation in hand (see [`occupancy`]); none for other groupings.
    pub occupancy: Option<f64>,
}

/// One conversation measured.
#[derive(Debug, Clone, Copy, Default)]
struct Measured {
    contained: bool,
    first_response_s: Option<f64>,
    resolution_s: Option<f64>,
    one_touch: bool,
    reopened: bool,
    first_response_breached: bool,
    resolution_breached: bool,
    agent: Option<i64>,
    rating: Option<i64>,
}

fn measure(facts: &ConversationFacts) -> Measured {
    let start = facts.handed_over_at.unwrap_or(facts.created_at);
    let first_reply = facts.agent_replies.first();
    let resolution = facts.status_changes.iter().find(|c| c.to == "resolved").or_else(|| facts.status_changes.iter().find(|c| c.to == "closed"));
    let seconds = |from: i64, to: i64| (to.saturating_sub(from)).max(0) as f64 / 1000.0;
    let first_response_s = first_reply.map(|(at, _)| seconds(if *at < start { facts.created_at } else { start }, *at));
    let resolution_s = resolution.map(|r| seconds(start.min(r.at), r.at));
    let touches = resolution.map(|r| facts.agent_replies.iter().filter(|(at, _)| *at <= r.at).count()).unwrap_or(0);
    let contained = facts.with_bot && facts.agent_replies.is_empty();
    Measured {
        contained,
        first_response_s,
        resolution_s,
        one_touch: resolution.is_some() && touches == 1,
        reopened: resolution.is_some() && facts.status_changes.iter().any(|c| c.reopened),
        first_response_breached: facts.breaches.iter().any(|b| b == "first_response"),
        resolution_breached: facts.breaches.iter().any(|b| b == "resolution"),
        agent: resolution.and_then(|r| r.by_user).or_else(|| first_reply.and_then(|(_, by)| *by)),
        rating: facts.rating,
    }
}

fn group_of(facts: &ConversationFacts, measured: &Measured, by: GroupBy, zone: Tz) -> String {
    let local = || zone.timestamp_millis_opt(facts.handed_over_at.unwrap_or(facts.created_at)).single();
    match by {
        GroupBy::Agent => measured.agent.map_or_else(|| "none".to_owned(), |id| id.to_string()),
        GroupBy::Team => "none".to_owned(),
        GroupBy::Tier => facts.tier.to_string(),
        GroupBy::Channel => facts.channel.clone(),
        GroupBy::Category => facts.category.clone().unwrap_or_else(|| "uncategorised".to_owned()),
        GroupBy::Course => facts.course.clone().unwrap_or_else(|| "unknown".to_owned()),
        GroupBy::Hour => local().map(|t| t.format("%H:00").to_string()).unwrap_or_default(),
        GroupBy::Day => local().map(|t| t.format("%Y-%m-%d").to_string()).unwrap_or_default(),
        GroupBy::Week => local()
            .map(|t| {
                let week = chrono::Datelike::iso_week(&t);
                format!("{}-W{:02}", week.year(), week.week())
            })
            .unwrap_or_default(),
        GroupBy::Total => "total".to_owned(),
    }
}

fn average(values: &[f64]) -> Option<f64> {
    (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
}

fn median(values: &mut [f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let middle = values.len() / 2;
    Some(if values.len().is_multiple_of(2) { (values[middle - 1] + values[middle]) / 2.0 } else { values[middle] })
}

fn share(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

/// The KPIs of `conversations`, one row per group, in the group's order.
pub fn compute(conversations: &[ConversationFacts], by: GroupBy, zone: Tz) -> Vec<KpiRow> {
    compute_with_teams(conversations, by, zone, &BTreeMap::new())
}

/// [`compute`], with each agent's teams for [`GroupBy::Team`] (handled by nobody, or by an
/// agent in no team: `none`).
pub fn compute_with_teams(conversations: &[ConversationFacts], by: GroupBy, zone: Tz, teams: &BTreeMap<i64, Vec<String>>) -> Vec<KpiRow> {
    let mut groups: BTreeMap<String, Vec<Measured>> = BTreeMap::new();
    for facts in conversations {
        let measured = measure(facts);
        if by == GroupBy::Team {
            match measured.agent.and_then(|agent| teams.get(&agent)).filter(|teams| !teams.is_empty()) {
                Some(teams) => teams.iter().for_each(|team| groups.entry(team.clone()).or_default().push(measured)),
                None => groups.entry("none".to_owned()).or_default().push(measured),
            }
        } else {
            groups.entry(group_of(facts, &measured, by, zone)).or_default().push(measured);
        }
    }
    groups
        .into_iter()
        .map(|(group, members)| {
            let handled: Vec<&Measured> = members.iter().filter(|m| !m.contained).collect();
            let mut first_responses: Vec<f64> = handled.iter().filter_map(|m| m.first_response_s).collect();
            let mut resolutions: Vec<f64> = handled.iter().filter_map(|m| m.resolution_s).collect();
            let count = |test: &dyn Fn(&Measured) -> bool| handled.iter().filter(|m| test(m)).count() as u64;
            let handled_count = handled.len() as u64;
            let resolved = resolutions.len() as u64;
            let reopened = count(&|m| m.reopened);
            let ratings: Vec<f64> = members.iter().filter_map(|m| m.rating).map(|r| r as f64).collect();
            KpiRow {
                group,
                conversations: members.len() as u64,
                bot_contained: members.len() as u64 - handled_count,
                handled: handled_count,
                responded: first_responses.len() as u64,
                first_response_avg_s: average(&first_responses),
                first_response_median_s: median(&mut first_responses),
                resolved,
                resolution_rate: share(resolved, handled_count),
                resolution_avg_s: average(&resolutions),
                resolution_median_s: median(&mut resolutions),
                one_touch_rate: share(count(&|m| m.one_touch), resolved),
                reopened,
                reopen_rate: share(reopened, resolved),
                first_response_sla: share(count(&|m| !m.first_response_breached), handled_count),
                resolution_sla: share(count(&|m| !m.resolution_breached), handled_count),
                rated: ratings.len() as u64,
                csat: share(ratings.iter().filter(|r| **r >= 4.0).count() as u64, ratings.len() as u64),
                average_rating: average(&ratings),
                occupancy: None,
            }
        })
        .collect()
}

/// Time intervals `[start, end)` in UTC ms.
pub type Intervals = Vec<(i64, i64)>;

/// Sorted, merged, empty ones dropped.
fn union(mut intervals: Intervals) -> Intervals {
    intervals.retain(|(start, end)| end > start);
    intervals.sort_unstable();
    let mut merged: Intervals = Vec::with_capacity(intervals.len());
    for (start, end) in intervals {
        match merged.last_mut() {
            Some(last) if start <= last.1 => last.1 = last.1.max(end),
            _ => merged.push((start, end)),
        }
    }
    merged
}

/// Total length (ms) of the overlap of two merged interval lists.
fn overlap_ms(a: &[(i64, i64)], b: &[(i64, i64)]) -> i64 {
    let (mut i, mut j, mut total) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        let (start, end) = (a[i].0.max(b[j].0), a[i].1.min(b[j].1));
        total += (end - start).max(0);
        if a[i].1 < b[j].1 { i += 1 } else { j += 1 }
    }
    total
}

/// Each person's online time within `[from, to)` from their presence changes
/// `(user, online?, at)`, in time order per user, starting with the state they were in at
/// `from` (a change before it).
pub fn online_intervals(changes: &[(i64, bool, i64)], from: i64, to: i64) -> BTreeMap<i64, Intervals> {
    let mut online: BTreeMap<i64, Intervals> = BTreeMap::new();
    let mut since: BTreeMap<i64, i64> = BTreeMap::new();
    for &(user, is_online, at) in changes {
        match (is_online, since.get(&user).copied()) {
            (true, None) => {
                since.insert(user, at);
            }
            (false, Some(start)) => {
                online.entry(user).or_default().push((start.max(from), at.min(to)));
                since.remove(&user);
            }
            _ => {}
        }
    }
    for (user, start) in since {
        online.entry(user).or_default().push((start.max(from), to));
    }
    online
}

/// The time an agent had work in hand: for each conversation they handled, from their first
/// public reply to its resolution (or, unresolved, to their last reply), clipped to `[from, to)`.
pub fn busy_intervals(conversations: &[ConversationFacts], from: i64, to: i64) -> BTreeMap<i64, Intervals> {
    let mut busy: BTreeMap<i64, Intervals> = BTreeMap::new();
    for facts in conversations {
        let Some(agent) = measure(facts).agent else { continue };
        let replies: Vec<i64> = facts.agent_replies.iter().filter(|(_, by)| *by == Some(agent)).map(|(at, _)| *at).collect();
        let Some(&first) = replies.first() else { continue };
        let resolved = facts.status_changes.iter().find(|c| (c.to == "resolved" || c.to == "closed") && c.at >= first).map(|c| c.at);
        let end = resolved.unwrap_or_else(|| replies.last().copied().unwrap_or(first));
        busy.entry(agent).or_default().push((first.max(from), end.min(to)));
    }
    busy
}

/// Occupancy: of the time agents were online, the share during which they had at least one
/// conversation in hand (concurrent conversations count once, so it never exceeds 100 %).
/// `online` and `busy` per agent; returns (online ms, occupied ms) summed over `agents`.
pub fn occupancy<'a>(agents: impl IntoIterator<Item = &'a i64>, online: &BTreeMap<i64, Intervals>, busy: &BTreeMap<i64, Intervals>) -> (i64, i64) {
    let mut totals = (0, 0);
    for agent in agents {
        let online = union(online.get(agent).cloned().unwrap_or_default());
        let busy = union(busy.get(agent).cloned().unwrap_or_default());
        totals.0 += online.iter().map(|(start, end)| end - start).sum::<i64>();
        totals.1 += overlap_ms(&online, &busy);
    }
    totals
}

/// The rows as CSV (RFC 4180: quoted where needed), with a header line.
pub fn to_csv(rows: &[KpiRow]) -> String {
    let mut out = String::from(
        "group,conversations,bot_contained,handled,responded,first_response_avg_s,first_response_median_s,resolved,resolution_rate,\
         resolution_avg_s,resolution_median_s,one_touch_rate,reopened,reopen_rate,first_response_sla,resolution_sla,rated,csat,average_rating,occupancy\r\n",
    );
    let number = |value: Option<f64>| value.map(|v| format!("{:.3}", v)).unwrap_or_default();
    for row in rows {
        let group = if row.group.contains([',', '"', '\n', '\r']) { format!("\"{}\"", row.group.replace('"', "\"\"")) } else { row.group.clone() };
        // A leading =, +, - or @ would be a formula in a spreadsheet.
        let group = if group.starts_with(['=', '+', '-', '@']) { format!("'{group}") } else { group };
        out.push_str(&format!(
            "{group},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}\r\n",
            row.conversations,
            row.bot_contained,
            row.handled,
            row.responded,
            number(row.first_response_avg_s),
            number(row.first_response_median_s),
            row.resolved,
            number(row.resolution_rate),
            number(row.resolution_avg_s),
            number(row.resolution_median_s),
            number(row.one_touch_rate),
            row.reopened,
            number(row.reopen_rate),
            number(row.first_response_sla),
            number(row.resolution_sla),
            row.rated,
            number(row.csat),
            number(row.average_rating),
            number(row.occupancy),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINUTE: i64 = 60_000;
    /// 2026-12-01 10:00 in Shanghai.
    const T0: i64 = 1_796_090_400_000;

    fn change(at: i64, to: &str, by: i64, reopened: bool) -> StatusChange {
        StatusChange { at, to: to.to_owned(), by_user: Some(by), reopened }
    }

    /// Four conversations worked out by hand.
    fn fixture() -> Vec<ConversationFacts> {
        vec![
            // A: widget, agent 7 answers after 2 min, resolves at 10 min with that one reply.
            ConversationFacts {
                id: 1,
                channel: "widget".into(),
                category: Some("refund".into()),
                tier: 1,
                created_at: T0,
                status_changes: vec![change(T0 + 10 * MINUTE, "resolved", 7, false)],
                agent_replies: vec![(T0 + 2 * MINUTE, Some(7))],
                rating: Some(5),
                ..ConversationFacts::default()
            },
            // B: the bot hands over at +5; agent 8 answers at +9 and +20, resolves at +30;
            // the learner reopens at +40; the resolution target was breached.
            ConversationFacts {
                id: 2,
                channel: "widget".into(),
                category: Some("playback".into()),
                tier: 2,
                created_at: T0,
                handed_over_at: Some(T0 + 5 * MINUTE),
                status_changes: vec![
                    change(T0 + 30 * MINUTE, "resolved", 8, false),
                    StatusChange { at: T0 + 40 * MINUTE, to: "open".into(), by_user: None, reopened: true },
                ],
                agent_replies: vec![(T0 + 9 * MINUTE, Some(8)), (T0 + 20 * MINUTE, Some(8))],
                breaches: vec!["resolution".into()],
                rating: Some(2),
                ..ConversationFacts::default()
            },
            // C: email, agent 7 answers after 60 min, not resolved; first response breached.
            ConversationFacts {
                id: 3,
                channel: "email".into(),
                tier: 1,
                created_at: T0 + MINUTE,
                agent_replies: vec![(T0 + 61 * MINUTE, Some(7))],
                breaches: vec!["first_response".into()],
                ..ConversationFacts::default()
            },
            // D: the bot answered and the learner left satisfied: contained.
            ConversationFacts { id: 4, channel: "widget".into(), tier: 1, created_at: T0 + 2 * MINUTE, with_bot: true, ..ConversationFacts::default() },
        ]
    }

    #[test]
    fn totals_match_the_hand_computed_fixture() {
        let rows = compute(&fixture(), GroupBy::Total, chrono_tz::Asia::Shanghai);
        assert_eq!(rows.len(), 1);
        let total = &rows[0];
        assert_eq!((total.conversations, total.bot_contained, total.handled, total.responded, total.resolved), (4, 1, 3, 3, 2));
        // First responses: 120 s, 240 s (from the handover at +5 to +9), 3600 s.
        assert_eq!(total.first_response_avg_s, Some((120.0 + 240.0 + 3600.0) / 3.0));
        assert_eq!(total.first_response_median_s, Some(240.0));
        // Resolutions: 600 s, 1500 s (+5 → +30).
        assert_eq!((total.resolution_avg_s, total.resolution_median_s), (Some(1050.0), Some(1050.0)));
        assert_eq!(total.resolution_rate, Some(2.0 / 3.0));
        assert_eq!(total.one_touch_rate, Some(0.5), "A had one reply, B two");
        assert_eq!((total.reopened, total.reopen_rate), (1, Some(0.5)));
        assert_eq!((total.first_response_sla, total.resolution_sla), (Some(2.0 / 3.0), Some(2.0 / 3.0)));
        // A rated 5, B rated 2: one happy of two; average 3.5.
        assert_eq!((total.rated, total.csat, total.average_rating), (2, Some(0.5), Some(3.5)));
        let by_agent = compute(&fixture(), GroupBy::Agent, chrono_tz::Asia::Shanghai);
        assert_eq!(by_agent.iter().map(|r| (r.group.as_str(), r.csat)).collect::<Vec<_>>(), vec![("7", Some(1.0)), ("8", Some(0.0)), ("none", None)]);
    }

    #[test]
    fn groups_by_agent_channel_and_day() {
        let zone = chrono_tz::Asia::Shanghai;
        let by_agent = compute(&fixture(), GroupBy::Agent, zone);
        let groups: Vec<(&str, u64, u64)> = by_agent.iter().map(|r| (r.group.as_str(), r.conversations, r.resolved)).collect();
        assert_eq!(groups, vec![("7", 2, 1), ("8", 1, 1), ("none", 1, 0)]);
        let by_channel = compute(&fixture(), GroupBy::Channel, zone);
        assert_eq!(by_channel.iter().map(|r| (r.group.as_str(), r.conversations)).collect::<Vec<_>>(), vec![("email", 1), ("widget", 3)]);
        let by_day = compute(&fixture(), GroupBy::Day, zone);
        assert_eq!(by_day.iter().map(|r| r.group.as_str()).collect::<Vec<_>>(), vec!["2026-12-01"]);
        assert_eq!(compute(&fixture(), GroupBy::Week, zone)[0].group, "2026-W49");
        assert!(compute(&[], GroupBy::Total, zone).is_empty());
    }

    #[test]
    fn teams_count_an_agents_conversations_in_each_of_their_teams() {
        let teams = BTreeMap::from([(7, vec!["a".to_owned(), "b".to_owned()]), (8, vec!["b".to_owned()])]);
        let rows = compute_with_teams(&fixture(), GroupBy::Team, chrono_tz::Asia::Shanghai, &teams);
        let groups: Vec<(&str, u64, u64)> = rows.iter().map(|r| (r.group.as_str(), r.conversations, r.resolved)).collect();
        // a: A and C (agent 7); b: A, C and B (agents 7 and 8); none: the contained D.
        assert_eq!(groups, vec![("a", 2, 1), ("b", 3, 2), ("none", 1, 0)]);
    }

    #[test]
    fn occupancy_is_the_online_time_with_work_in_hand() {
        let busy = busy_intervals(&fixture(), T0 - 60 * MINUTE, T0 + 120 * MINUTE);
        // Agent 7: A from the first reply (+2) to the resolution (+10); C's single unresolved
        // reply is an instant. Agent 8: B from +9 to its resolution at +30.
        assert_eq!(busy[&7], vec![(T0 + 2 * MINUTE, T0 + 10 * MINUTE), (T0 + 61 * MINUTE, T0 + 61 * MINUTE)]);
        assert_eq!(busy[&8], vec![(T0 + 9 * MINUTE, T0 + 30 * MINUTE)]);
        let online = BTreeMap::from([(7, vec![(T0, T0 + 60 * MINUTE)]), (8, vec![(T0, T0 + 20 * MINUTE)])]);
        assert_eq!(occupancy(&[7], &online, &busy), (60 * MINUTE, 8 * MINUTE));
        assert_eq!(occupancy(&[7, 8], &online, &busy), (80 * MINUTE, 19 * MINUTE));
        // Concurrent conversations count once; offline work does not count.
        let busy = BTreeMap::from([(9, vec![(0, 30), (10, 20), (50, 70), (100, 120)])]);
        let online = BTreeMap::from([(9, vec![(0, 60), (55, 65)])]);
        assert_eq!(occupancy(&[9], &online, &busy), (65, 45), "online 0–65 merged; busy 0–30 and 50–65 of it");
        assert_eq!(occupancy(&[10], &online, &busy), (0, 0), "never online: no occupancy");
    }

    #[test]
    fn online_time_runs_from_going_online_to_leaving_within_the_window() {
        // 7 went online before the window and away inside it; 8 came and went twice, the second
        // time still online at the end; repeating "online" changes nothing.
        let changes = [(7, true, 50), (7, false, 300), (8, true, 120), (8, true, 150), (8, false, 200), (8, true, 400)];
        let online = online_intervals(&changes, 100, 500);
        assert_eq!(online[&7], vec![(100, 300)]);
        assert_eq!(online[&8], vec![(120, 200), (400, 500)]);
    }

    #[test]
    fn csv_has_a_header_and_neutralises_formulas() {
        let mut rows = compute(&fixture(), GroupBy::Total, chrono_tz::Asia::Shanghai);
        rows[0].group = "=cmd|' /C calc'!A0".into();
        let csv = to_csv(&rows);
        let lines: Vec<&str> = csv.lines().collect();
        assert!(lines[0].starts_with("group,conversations,"));
        assert!(lines[1].starts_with("'=cmd"), "{}", lines[1]);
        assert!(lines[1].contains(",4,1,3,3,"), "{}", lines[1]);
    }
}
