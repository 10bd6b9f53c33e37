// The inbox in the sidebar: the views (mine, unassigned, my tier, all) with their counts
// (#views), search with its filters (#search-bar) and the person's saved views, the
// conversation list (#list), the queues (#queues), my tasks (#tasks) and the team with
// presence and load (#team). Owns the fetched lists and the chosen view; refetches when
// realtime says something changed (debounced) and when the open conversation changes.
import { el, byId } from "../shared/dom.js";
import { api } from "./api.js";
import { t, locale } from "./i18n.js";
import { on, screen } from "./hub.js";
import { me, users, refreshUsers } from "./staff.js";
import { rt } from "./realtime.js";
import { openConversation, openId } from "./conversation.js";
import { toast } from "./toast.js";

let lists = {};      // view name → its conversations (closed ones left out, except in searches)
let view = "tier";   // the view shown: a built-in one, "search" or "saved-<id>"
let savedViews = null; // the person's saved views (GET /views), once loaded
let search = {};     // the search form's filters as typed: q, status, channel, category, tag, sla, from, to
let tagsInUse = [];  // suggestions for the tag filter

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

// The query of the search or saved view shown (closed conversations included: searches
// reach history), or null for a built-in view.
function customQuery() {
  const filters = view === "search" ? search : savedViews?.find((v) => `saved-${v.id}` === view)?.filters;
  if (!filters) return null;
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(filters)) if (value) query.set(key, value);
  query.set("limit", "200");
  return query.toString();
}

export async function refreshLists() {
  refreshQueues().catch(() => {});
  if (savedViews === null) {
    [savedViews, tagsInUse] = await Promise.all([api("GET", "/views").catch(() => []), api("GET", "/tags").catch(() => [])]);
  }
  const custom = customQuery();
  const builtIn = VIEWS().map(([name, query]) => api("GET", "/conversations" + query + (query ? "&" : "?") + "limit=200").then((list) => [name, list.filter((c) => c.status !== "closed")]));
  const shown = view;
  const extra = custom === null ? [] : [api("GET", `/conversations?${custom}`).then((list) => [shown, list]).catch((error) => { toast(error.message, "error"); return [shown, []]; })];
  const results = await Promise.all([...builtIn, ...extra]);
  for (const [name, list] of results) lists[name] = list;
  renderLists();
}

function choose(name) {
  view = name;
  renderLists();
  if (customQuery() !== null) refreshLists().catch(() => {});
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
  const button = (name, label, count) => el("button", { class: "view" + (view === name ? " active" : ""), "data-view": name, onclick: () => choose(name) },
    label, count === null ? null : el("span", { class: "count" }, count));
  views.replaceChildren(...VIEWS().map(([name]) => button(name, t[name], lists[name]?.length ?? 0)),
    button("search", `🔍 ${t.search.view}`, view === "search" && lists.search ? lists.search.length : null),
    ...(savedViews || []).map((v) => button(`saved-${v.id}`, v.name, view === `saved-${v.id}` && lists[view] ? lists[view].length : null)));
  renderSearchBar();
  const list = lists[view] || [];
  const custom = view === "search" || view.startsWith("saved-");
  byId("list").replaceChildren(...(list.length || !custom ? list.map(inboxRow) : [el("p", { class: "placeholder", id: "search-empty" }, t.search.nothing)]));
}

// Under the views: the search form, or for a saved view its delete button. Drawn when the
// view changes, not on every refresh, so a field being typed in keeps its focus.
function renderSearchBar() {
  const bar = byId("search-bar");
  if (!bar || bar.dataset.for === view) return;
  bar.dataset.for = view;
  if (view === "search") bar.replaceChildren(searchForm());
  else if (view.startsWith("saved-")) bar.replaceChildren(el("button", { id: "view-delete", onclick: deleteView }, t.search.remove));
  else bar.replaceChildren();
}

function searchForm() {
  const s = t.search;
  const field = (name, node) => {
    node.name = name;
    node.value = search[name] ?? "";
    const keep = () => { search[name] = node.value.trim(); };
    node.addEventListener("input", keep);
    node.addEventListener("change", keep);
    return node;
  };
  const options = (values, labels, what) => [el("option", { value: "" }, `${what}: ${s.any}`), ...values.map((v) => el("option", { value: v }, labels[v] ?? v))];
  const form = el("form", { id: "search-form", class: "search-form", onsubmit: (e) => { e.preventDefault(); refreshLists().catch(() => {}); } },
    field("q", el("input", { type: "search", placeholder: s.text, "aria-label": s.text })),
    el("div", { class: "row" },
      field("status", el("select", { "aria-label": s.status }, ...options(["open", "pending", "resolved", "closed"], t.status, s.status))),
      field("channel", el("select", { "aria-label": s.channel }, ...options(Object.keys(t.channelNames), t.channelNames, s.channel))),
      field("sla", el("select", { "aria-label": s.sla }, ...options(["ok", "warned", "breached"], s.slaStates, s.sla)))),
    el("div", { class: "row" },
      field("category", el("input", { placeholder: s.category, "aria-label": s.category })),
      field("tag", el("input", { placeholder: s.tag, "aria-label": s.tag, list: "search-tags" })),
      el("datalist", { id: "search-tags" }, ...tagsInUse.map((x) => el("option", { value: x.tag })))),
    el("div", { class: "row" },
      el("label", {}, s.from, " ", field("from", el("input", { type: "date" }))),
      el("label", {}, s.to, " ", field("to", el("input", { type: "date" })))),
    el("div", { class: "row" },
      el("button", { class: "primary", type: "submit", id: "search-apply" }, s.apply),
      el("input", { id: "search-name", placeholder: s.name, "aria-label": s.name, maxlength: 60 }),
      el("button", { type: "button", id: "search-save", onclick: saveView }, s.save)));
  return form;
}

async function saveView() {
  const name = byId("search-name")?.value.trim();
  if (!name) { byId("search-name")?.focus(); return; }
  const filters = Object.fromEntries(Object.entries(search).filter(([, value]) => value));
  try {
    const saved = await api("POST", "/views", { name, filters });
    savedViews = [...(savedViews || []), saved].sort((a, b) => a.name.localeCompare(b.name));
    toast(t.search.saved);
    choose(`saved-${saved.id}`);
  } catch (error) { toast(error.message, "error"); }
}

async function deleteView() {
  const id = Number(view.slice("saved-".length));
  try { await api("DELETE", `/views/${id}`); } catch (error) { if (error.status !== 404) { toast(error.message, "error"); return; } }
  savedViews = (savedViews || []).filter((v) => v.id !== id);
  choose("tier");
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
