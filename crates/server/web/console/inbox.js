// The inbox in the sidebar: the views (mine, unassigned, my tier, all) with their counts
// (#views), the conversation list (#list), the queues (#queues), my tasks (#tasks) and the
// team with presence and load (#team). Owns the fetched lists and the chosen view; refetches
// when realtime says something changed (debounced) and when the open conversation changes.
import { el, byId } from "../shared/dom.js";
import { api } from "./api.js";
import { t, locale } from "./i18n.js";
import { on, screen } from "./hub.js";
import { me, users, refreshUsers } from "./staff.js";
import { rt } from "./realtime.js";
import { openConversation, openId } from "./conversation.js";

let lists = {};      // view name → its conversations (closed ones left out)
let view = "tier";   // the view shown

const VIEWS = () => {
  const views = [["mine", "?assignee=me"], ["unassigned", "?assignee=none"], ["tier", `?tier=${me.tier}`]];
  if (me.role !== "agent") views.push(["all", ""]);
  return views;
};

export async function refreshQueues() {
  const [queues, tasks] = await Promise.all([api("GET", "/queues"), api("GET", "/tasks?assignee=me")]);
  byId("queues")?.replaceChildren(...queues.map((q) => el("li", { "data-tier": q.tier },
    el("span", {}, `T${q.tier}: ${q.waiting} ${t.waiting}`), el("span", {}, `${t.longest} ${Math.round(q.longest_wait_seconds / 60)}m · ${q.free_capacity}/${q.agents_online}`))));
  byId("tasks")?.replaceChildren(...tasks.map((task) => el("li", { "data-task": task.id },
    el("a", { href: "#", onclick: (e) => { e.preventDefault(); openConversation(task.conversation_id); } }, `#${task.conversation_id} ${task.title}`),
    el("button", { onclick: async () => { await api("POST", `/tasks/${task.id}/done`); refreshQueues(); } }, t.done))));
}

export async function refreshLists() {
  refreshQueues().catch(() => {});
  const results = await Promise.all(VIEWS().map(([name, query]) => api("GET", "/conversations" + query + (query ? "&" : "?") + "limit=200").then((list) => [name, list])));
  for (const [name, list] of results) lists[name] = list.filter((c) => c.status !== "closed");
  renderLists();
}

let refreshTimer = null;
export function scheduleRefresh() {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(refreshLists, 250);
}

export function renderLists() {
  const views = byId("views");
  // The knowledge base and channel screens own the sidebar while they are open.
  if (!views || screen() !== "inbox") return;
  views.replaceChildren(...VIEWS().map(([name]) => el("button", { class: "view" + (view === name ? " active" : ""), "data-view": name, onclick: () => { view = name; renderLists(); } },
    t[name], el("span", { class: "count" }, lists[name]?.length ?? 0))));
  const list = lists[view] || [];
  byId("list").replaceChildren(...list.map(inboxRow));
}

// One inbox row: who, what they said last, how long they have waited, and the SLA state.
// Rows are buttons for the keyboard too (Tab to reach, Enter or Space to open).
function inboxRow(c) {
  const open = () => openConversation(c.id);
  const minutes = Math.max(0, Math.round((Date.now() - new Date(c.created_at)) / 60000));
  const waiting = !c.first_response_at && ["open", "pending"].includes(c.status);
  const time = (iso) => new Date(iso).toLocaleTimeString(locale(), { hour: "2-digit", minute: "2-digit" });
  const sla = c.sla?.breached?.length ? el("span", { class: "badge breached" }, t.breached) : c.sla?.warned?.length ? el("span", { class: "badge warned" }, t.warned) : null;
  return el("div", { class: "conv-item" + (openId() === c.id ? " active" : ""), "data-id": c.id, tabindex: 0, role: "button", "aria-label": `${c.contact_name || t.learner}: ${c.subject || c.preview || c.id}`,
    onclick: open, onkeydown: (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); open(); } } },
    el("div", { class: "line" }, el("span", { class: "subject" }, el("span", { class: "who" }, c.contact_name || t.learner), " · ", (c.bot_active ? `[${t.bot}] ` : "") + (c.subject || `#${c.id}`)),
      el("span", { class: "badge " + c.priority }, t.priority[c.priority])),
    el("div", { class: "preview" }, c.preview || ""),
    el("div", { class: "line meta" }, el("span", {}, `#${c.id} · ${t.channelNames[c.channel] ?? c.channel} · T${c.tier} · ${waiting ? `${t.waited} ${minutes} ${t.minutes}` : `${t.updated} ${time(c.updated_at)}`}`),
      el("span", {}, sla, " ", el("span", { class: "badge " + c.status }, t.status[c.status]))));
}

export async function refreshTeam() {
  await refreshUsers();
  const team = byId("team");
  if (!team) return;
  team.replaceChildren(...users.filter((u) => u.active).map((u) => el("li", { "data-user": u.id },
    el("span", {}, el("span", { class: "dot " + u.presence }), `${u.display_name} (T${u.tier})`), el("span", { title: "open / max" }, `${u.open_conversations}/${u.max_concurrent}`))));
}

// Something changed on the server: the lists are refetched (a burst of frames, once).
rt.on("welcome", scheduleRefresh);
rt.on("message", scheduleRefresh);
rt.on("conversation", scheduleRefresh);
rt.on("resync", scheduleRefresh);

// The open conversation changed here.
on("inbox:stale", () => { scheduleRefresh(); refreshQueues().catch(() => {}); });
on("inbox:render", renderLists);
on("team:stale", refreshTeam);
