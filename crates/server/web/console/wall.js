// Team dashboards in the middle pane. The live wall (supervisors and admins): each tier's
// queue and its longest wait, how the day is going, the conversations in SLA trouble still
// being worked, every agent's presence, load and the learners waiting for their reply, and
// the last seven days' volume as the server's chart. It redraws on realtime changes
// (debounced) and every 15 s while shown, so waits keep counting. The agent page (an agent's
// own, or any agent's for supervisors, opened from the wall): their KPIs for the last seven
// days, open conversations, quality reviews and learners' ratings.
import { el, byId } from "../shared/dom.js";
import { api } from "./api.js";
import { lang, t } from "./i18n.js";
import { emit, screen } from "./hub.js";
import { me } from "./staff.js";
import { rt } from "./realtime.js";
import { formatKpi } from "./kpis.js";

const minutes = (seconds) => seconds < 90 ? `${Math.round(seconds)}s` : seconds < 5400 ? `${Math.round(seconds / 60)}m` : `${(seconds / 3600).toFixed(1)}h`;

function clearSidePanes() {
  for (const id of ["views", "search-bar", "list", "sop-panel", "profile"]) byId(id)?.replaceChildren();
}

// A conversation row that opens it in the inbox.
function conversationRow(c) {
  const sla = c.sla?.breached?.length ? el("span", { class: "badge breached" }, t.breached) : c.sla?.warned?.length ? el("span", { class: "badge warned" }, t.warned) : null;
  return el("li", { "data-conversation": String(c.id) },
    el("a", { href: "#", onclick: (e) => { e.preventDefault(); emit("conversation:open", c.id); } }, `#${c.id} ${c.contact_name || ""} · ${c.subject || c.preview || ""}`),
    " ", sla, " ", el("span", { class: "meta" }, `T${c.tier} · ${t.status[c.status]}`));
}

let wallTimer = null;

export async function renderWall() {
  const pane = byId("conversation");
  if (!pane) return;
  clearSidePanes();
  const w = t.wall;
  let wall;
  try { wall = await api("GET", "/wall"); } catch (error) {
    pane.replaceChildren(el("h2", {}, w.title), el("p", { class: "missing", id: "wall-error" }, error.message));
    return;
  }
  if (screen() !== "wall") return;
  const queues = el("table", { class: "kpi-table", id: "wall-queues" },
    el("tr", {}, ...["", w.waiting, w.longest, w.online, w.free].map((h) => el("th", {}, h))),
    ...wall.queues.map((q) => el("tr", { "data-tier": String(q.tier), class: q.longest_wait_seconds > 300 ? "short" : "" },
      el("td", {}, `T${q.tier}`), el("td", { class: "waiting" }, String(q.waiting)), el("td", {}, q.waiting ? minutes(q.longest_wait_seconds) : "—"),
      el("td", {}, String(q.agents_online)), el("td", {}, String(q.free_capacity)))));
  const today = el("div", { class: "cards", id: "wall-today" },
    ...[["created", wall.today.created], ["resolved", wall.today.resolved], ["openNow", wall.today.open_now], ["atRisk", wall.at_risk.length]].map(([key, value]) =>
      el("div", { class: "card", "data-key": key }, el("div", { class: "value" }, String(value)), el("div", { class: "label" }, w[key]))));
  const risk = wall.at_risk.length ? el("ul", { class: "wall-list", id: "wall-risk" }, ...wall.at_risk.map(conversationRow)) : el("p", { id: "wall-risk" }, w.none);
  const agents = el("table", { class: "kpi-table", id: "wall-agents" },
    el("tr", {}, ...[w.agent, w.presence, w.load, w.awaiting, w.longestReply].map((h) => el("th", {}, h))),
    ...wall.agents.map((a) => el("tr", { "data-agent": String(a.id), class: a.longest_reply_wait_seconds > 600 ? "short" : "" },
      el("td", {}, el("a", { href: "#", onclick: (e) => { e.preventDefault(); emit("go", "agent", a.id); } }, `${a.display_name} (T${a.tier})`)),
      el("td", {}, el("span", { class: "dot " + a.presence }), t[a.presence] ?? a.presence),
      el("td", {}, `${a.open_conversations}/${a.max_concurrent}`),
      el("td", { class: "awaiting" }, String(a.awaiting_reply)),
      el("td", {}, a.longest_reply_wait_seconds === null ? "—" : minutes(a.longest_reply_wait_seconds)))));
  pane.classList.add("form-pane");
  pane.replaceChildren(el("h2", {}, `${w.title} · ${wall.day}`), today,
    el("h3", {}, w.queues), queues, el("h3", {}, w.atRisk), risk, el("h3", {}, w.agents), agents,
    el("h3", {}, w.trend), el("img", { id: "wall-trend", alt: w.trend, src: `/api/v1/kpis?group_by=day&format=svg&metric=conversations&lang=${lang}` }));
  clearTimeout(wallTimer);
  wallTimer = setTimeout(() => { if (screen() === "wall") renderWall(); }, 15000);
}

let redrawTimer = null;
function wallStale() {
  if (screen() !== "wall") return;
  clearTimeout(redrawTimer);
  redrawTimer = setTimeout(() => { if (screen() === "wall") renderWall(); }, 500);
}
for (const frame of ["message", "conversation", "welcome", "resync"]) rt.on(frame, wallStale);

export async function renderAgentPage(id) {
  const pane = byId("conversation");
  if (!pane) return;
  clearSidePanes();
  const w = t.wall;
  const agentId = Number(id) || me.id;
  const [users, kpis, open, reviews, ratings] = await Promise.all([
    api("GET", "/users").catch(() => [me]),
    api("GET", "/kpis?group_by=agent").catch((error) => ({ error })),
    api("GET", `/conversations?assignee=${agentId}&limit=50`).catch(() => []),
    api("GET", `/qa/reviews?agent_id=${agentId}`).catch(() => null),
    api("GET", `/surveys?agent_id=${agentId}&limit=50`).catch(() => null),
  ]);
  if (screen() !== "agent") return;
  const agent = users.find((user) => user.id === agentId) || (agentId === me.id ? me : { id: agentId, display_name: `#${agentId}`, tier: "?" });
  const row = kpis.rows?.find((r) => r.group === String(agentId));
  const cardKeys = ["conversations", "first_response_median_s", "resolution_median_s", "resolution_rate", "one_touch_rate", "reopen_rate", "resolution_sla", "csat"];
  const cards = el("div", { class: "cards", id: "agent-kpis" }, ...cardKeys.map((key) =>
    el("div", { class: "card", "data-key": key }, el("div", { class: "value" }, row ? formatKpi(key, row[key]) : "—"), el("div", { class: "label" }, t.kpiNames[key]))));
  const working = open.filter((c) => ["open", "pending"].includes(c.status));
  const reviewList = (reviews?.reviews || []).slice(0, 5).map((r) => el("li", { "data-review": String(r.id) },
    `#${r.conversation_id} · ${["empathy", "accuracy", "sop_adherence", "tone"].map((k) => `${t.qaCriteria[k]} ${r[k]}`).join(" · ")}`, r.comment ? ` — ${r.comment}` : ""));
  const ratingList = (ratings?.surveys || []).filter((s) => s.rating != null).slice(0, 5).map((s) => el("li", { "data-survey": String(s.id) },
    `#${s.conversation_id} · ${"★".repeat(s.rating ?? 0)}${"☆".repeat(5 - (s.rating ?? 0))}`, s.comment ? ` — ${s.comment}` : ""));
  const back = me.role !== "agent" ? el("button", { id: "agent-back", onclick: () => emit("go", "wall") }, w.back) : null;
  pane.classList.add("form-pane");
  pane.replaceChildren(
    el("h2", { id: "agent-name", "data-agent": String(agentId) }, `${agent.display_name} · T${agent.tier}`, " ", back),
    el("h3", {}, `${w.last7}${kpis.from ? ` (${kpis.from} – ${kpis.to})` : ""}`), kpis.error ? el("p", { class: "missing" }, kpis.error.message) : cards,
    el("h3", {}, `${w.openConvs} (${working.length})`),
    working.length ? el("ul", { class: "wall-list", id: "agent-open" }, ...working.map(conversationRow)) : el("p", { id: "agent-open" }, w.none),
    el("h3", {}, `${w.reviews}${reviews?.average_score != null ? ` · ${t.qaAverage} ${reviews.average_score.toFixed(2)}` : ""}`),
    reviewList.length ? el("ul", { id: "agent-reviews" }, ...reviewList) : el("p", { id: "agent-reviews" }, w.none),
    el("h3", {}, `${w.ratings}${ratings?.summary?.csat != null ? ` · CSAT ${Math.round(ratings.summary.csat * 100)}%` : ""}`),
    ratingList.length ? el("ul", { id: "agent-ratings" }, ...ratingList) : el("p", { id: "agent-ratings" }, w.none));
}
