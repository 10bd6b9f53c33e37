// EduDesk agent console, the entry module (plain ES modules, no build step): signing in,
// booting, the shell (top bar: KPIs, knowledge base, channels, users, presence, language,
// sign out; the offline banner, the call bar and the three panes) and switching between
// screens. Each screen module owns its panes and its state; they ask for a switch through
// the hub (console/hub.js). The REST API is used with the session cookie (+ CSRF header on
// writes) and the realtime socket as in docs/realtime.md.
import { el } from "../shared/dom.js";
import { api } from "./api.js";
import { lang, t, setLang } from "./i18n.js";
import { on, screen, setScreen } from "./hub.js";
import { me, setMe } from "./staff.js";
import { rt } from "./realtime.js";
import { loadSops } from "./sop-defs.js";
import { refreshLists, renderLists, refreshTeam } from "./inbox.js";
import { renderConversation } from "./conversation.js";
import { showCall } from "./calls.js";
import { renderUsers } from "./users.js";
import { renderChannels } from "./channels.js";
import { renderKb } from "./kb.js";
import { renderKpis } from "./kpis.js";
import { renderFeedback } from "./feedback.js";
import { renderQuality } from "./quality.js";
import { renderAwards } from "./awards.js";
import { renderWall, renderAgentPage } from "./wall.js";
import { renderHiring } from "./hiring.js";
import { renderTraining } from "./training.js";
import { renderIncidents } from "./incidents.js";

const app = document.getElementById("app");

// The screens besides the inbox, each drawn by its own module.
const SCREENS = { channels: renderChannels, users: renderUsers, kb: renderKb, kpis: renderKpis, feedback: renderFeedback, quality: renderQuality, awards: renderAwards,
  wall: renderWall, agent: renderAgentPage, hiring: renderHiring, training: renderTraining, incidents: renderIncidents };

// ---- sign in ---------------------------------------------------------------------------
function renderLogin(message = "") {
  const error = el("div", { class: "error", id: "login-error" }, message);
  const form = el("form", { class: "login", id: "login-form" },
    el("h1", {}, "EduDesk"),
    el("label", { for: "login-email" }, t.email), el("input", { id: "login-email", type: "email", autocomplete: "username", required: true }),
    el("label", { for: "login-password" }, t.password), el("input", { id: "login-password", type: "password", autocomplete: "current-password", required: true }),
    el("p", {}, el("button", { class: "primary", id: "login-submit", type: "submit" }, t.signIn)), error);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await api("POST", "/auth/login", { email: form.querySelector("#login-email").value, password: form.querySelector("#login-password").value });
      await boot();
    } catch (e) {
      error.textContent = e.status === 401 ? t.wrong : e.message;
    }
  });
  app.replaceChildren(form);
}

async function boot() {
  try {
    const who = await api("GET", "/auth/me");
    if (who.kind !== "staff") return renderLogin();
    setMe(who.user);
  } catch (e) {
    return renderLogin();
  }
  if (me.presence === "offline") setMe(await api("PUT", "/presence", { presence: "online" }));
  renderShell();
  rt.connect();
  loadStar();
  await loadSops();
  await Promise.all([refreshLists(), refreshTeam()]);
}

// ---- layout ----------------------------------------------------------------------------
// Back to the inbox from another screen: the lists and the open conversation as they were.
function showInbox() {
  renderLists();
  renderConversation();
  refreshTeam();
}

// A top-bar button: to its screen, or back to the inbox when it is already shown.
function toggle(name) {
  setScreen(screen() === name ? "inbox" : name);
  renderShell();
  if (screen() === name) SCREENS[name]();
  else showInbox();
}

// The month's 服务之星, announced to the whole team in the top bar: the latest star of this
// month or the last (loaded at start and when a supervisor announces one).
let star = null;
async function loadStar() {
  try {
    const [awards, users] = await Promise.all([api("GET", "/awards?status=approved"), api("GET", "/users")]);
    const recent = new Date();
    recent.setMonth(recent.getMonth() - 1);
    const since = `${recent.getFullYear()}-${String(recent.getMonth() + 1).padStart(2, "0")}`;
    const latest = awards.filter((a) => a.kind === "service_star" && a.month >= since).sort((a, b) => b.month.localeCompare(a.month))[0];
    star = latest ? { ...latest, name: users.find((u) => u.id === latest.agent_id)?.display_name ?? `#${latest.agent_id}` } : null;
  } catch { star = null; }
  const slot = document.getElementById("star");
  if (slot) slot.replaceWith(starBadge());
}
on("star:changed", loadStar);

function starBadge() {
  return el("span", { id: "star", title: star?.reason ?? "", "data-agent": star ? String(star.agent_id) : "" }, star ? `⭐ ${star.month} ${t.awardNames.star}: ${star.name}` : "");
}

function renderShell() {
  const mode = screen();
  const presence = el("select", { id: "presence", onchange: async (e) => { setMe(await api("PUT", "/presence", { presence: e.target.value })); refreshTeam(); } },
    ...["online", "away", "offline"].map((p) => el("option", { value: p, selected: me.presence === p }, t[p])));
  const language = el("button", { id: "lang", onclick: () => { setLang(lang === "zh" ? "en" : "zh"); renderShell(); renderLists(); renderConversation(); refreshTeam(); } }, lang === "zh" ? "EN" : "中文");
  const channelsButton = me.role === "admin" ? el("button", { id: "channels-toggle", onclick: () => toggle("channels") }, mode === "channels" ? t.inbox : t.channels) : null;
  const usersButton = me.role === "admin" ? el("button", { id: "users-toggle", onclick: () => toggle("users") }, mode === "users" ? t.inbox : t.users) : null;
  const kbButton = el("button", { id: "kb-toggle", onclick: () => toggle("kb") }, mode === "kb" ? t.inbox : t.kb);
  const kpiButton = el("button", { id: "kpi-toggle", onclick: () => toggle("kpis") }, mode === "kpis" ? t.inbox : t.kpis);
  const feedbackButton = el("button", { id: "feedback-toggle", onclick: () => toggle("feedback") }, mode === "feedback" ? t.inbox : t.feedback);
  const qualityButton = el("button", { id: "qa-toggle", onclick: () => toggle("quality") }, mode === "quality" ? t.inbox : t.quality);
  const awardsButton = el("button", { id: "awards-toggle", onclick: () => toggle("awards") }, mode === "awards" ? t.inbox : t.awards);
  const wallButton = me.role !== "agent" ? el("button", { id: "wall-toggle", onclick: () => toggle("wall") }, mode === "wall" ? t.inbox : t.wall.title) : null;
  const hiringButton = me.role !== "agent" ? el("button", { id: "hiring-toggle", onclick: () => toggle("hiring") }, mode === "hiring" ? t.inbox : t.hiring.title) : null;
  const incidentsButton = el("button", { id: "incidents-toggle", onclick: () => toggle("incidents") }, mode === "incidents" ? t.inbox : t.incidents.title);
  const trainingButton = el("button", { id: "training-toggle", onclick: () => toggle("training") }, mode === "training" ? t.inbox : t.training.title);
  const myPageButton = el("button", { id: "agent-toggle", onclick: () => toggle("agent") }, mode === "agent" ? t.inbox : t.wall.myPage);
  const logout = el("button", { id: "logout", onclick: async () => { await api("POST", "/auth/logout"); rt.close(); location.reload(); } }, t.logout);
  app.replaceChildren(
    el("div", { class: "topbar" }, el("span", { class: "brand" }, "EduDesk"), el("span", { id: "me" }, `${me.display_name} · ${t.tierLabel} ${me.tier}`), starBadge(), wallButton, myPageButton, incidentsButton, kpiButton, feedbackButton, qualityButton, awardsButton, trainingButton, hiringButton, kbButton, channelsButton, usersButton, presence, language, logout),
    el("div", { class: "offline-banner", id: "offline" }, t.reconnecting),
    el("div", { class: "calls", id: "calls" }),
    el("div", { class: "layout" },
      el("nav", { class: "sidebar" }, el("div", { class: "views", id: "views" }), el("div", { id: "search-bar" }), el("div", { id: "list" }),
        el("h3", { class: "team" }, t.queues), el("ul", { class: "team", id: "queues" }),
        el("h3", { class: "team" }, t.tasks), el("ul", { class: "team", id: "tasks" }),
        el("h3", { class: "team" }, t.team), el("ul", { class: "team", id: "team" })),
      el("section", { class: "main", id: "conversation" }, el("p", { class: "placeholder" }, t.pick)),
      el("aside", { class: "side" }, el("div", { class: "profile", id: "sop-panel" }), el("div", { class: "profile", id: "profile" }))));
}

// A conversation opens from another screen (a call pop-up, a link): the inbox comes back
// first, with fresh lists; the conversation then draws itself.
on("inbox:enter", () => {
  if (screen() === "inbox") return;
  setScreen("inbox");
  renderShell();
  refreshLists().catch(() => {});
  refreshTeam().catch(() => {});
});

// A screen asks for another, e.g. the knowledge base with a draft made from a conversation.
on("go", (name, arg) => {
  setScreen(name);
  renderShell();
  SCREENS[name](arg);
});

rt.on("call", (frame) => showCall(frame.call));

boot();
