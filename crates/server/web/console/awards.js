// The recognition screen (荣誉榜), in the middle pane: this month's agents and teams ranked by
// balanced score (quality, satisfaction, resolution, capped volume — never volume alone), the
// awards given (服务之星, 最佳案例奖), a form to nominate a finished case, and for supervisors
// the button that announces the month's star and the nominations to decide.
import { el, byId } from "../shared/dom.js";
import { api } from "./api.js";
import { t } from "./i18n.js";
import { emit } from "./hub.js";
import { me, users } from "./staff.js";
import { toast } from "./toast.js";

const percent = (value) => (value === null || value === undefined ? "—" : `${Math.round(value * 100)}%`);
const nameOf = (id) => users.find((user) => user.id === id)?.display_name ?? `#${id}`;

export async function renderAwards() {
  const pane = byId("conversation");
  if (!pane) return;
  for (const id of ["views", "list", "sop-panel", "profile"]) byId(id)?.replaceChildren();
  const overseer = me.role !== "agent";
  const children = [el("h2", {}, t.awards)];
  try {
    const [board, awards] = await Promise.all([api("GET", "/awards/leaderboard"), api("GET", "/awards")]);
    children.push(el("h3", {}, `${t.awardNames.leaderboard} · ${board.month}`),
      el("table", { id: "leaderboard", class: "kpi-table" },
        el("tr", {}, el("th", {}, "#"), el("th", {}, t.qaAgent), el("th", {}, t.awardNames.score), el("th", {}, t.quality), el("th", {}, "CSAT"),
          el("th", {}, t.kpiNames.resolution_rate), el("th", {}, t.kpiNames.handled)),
        ...board.agents.map((row) => el("tr", { "data-agent": String(row.agent_id) }, el("td", {}, String(row.rank)), el("td", {}, row.name),
          el("td", {}, row.score.toFixed(2)), el("td", {}, percent(row.quality)), el("td", {}, percent(row.csat)),
          el("td", {}, percent(row.resolution_rate)), el("td", {}, String(row.handled))))),
      el("h3", {}, t.awardNames.teams),
      el("table", { id: "team-board", class: "kpi-table" },
        el("tr", {}, el("th", {}, "#"), el("th", {}, t.awardNames.team), el("th", {}, t.awardNames.score)),
        ...board.teams.map((row) => el("tr", { "data-team": row.team }, el("td", {}, String(row.rank)), el("td", {}, row.team), el("td", {}, row.score.toFixed(2))))));
    if (overseer) {
      children.push(el("p", {}, el("button", { class: "primary", id: "announce-star", onclick: async () => {
        try { await api("POST", "/awards/service-star", { month: board.month }); toast(t.awardNames.announced); emit("star:changed"); renderAwards(); } catch (error) { toast(error.message, "error"); }
      } }, `${t.awardNames.announce} (${board.month})`)));
    }
    const given = awards.filter((award) => award.status === "approved");
    children.push(el("h3", {}, t.awardNames.given), el("ul", { id: "awards" }, ...given.map((award) => el("li", { "data-award": String(award.id), "data-kind": award.kind },
      `${award.kind === "service_star" ? "⭐ " + t.awardNames.star : "🏅 " + t.awardNames.bestCase} · ${nameOf(award.agent_id)}` +
      (award.conversation_id ? ` · #${award.conversation_id}` : "") + ` — ${award.reason}`))));
    const pending = awards.filter((award) => award.status === "pending");
    if (overseer && pending.length) {
      children.push(el("h3", {}, t.awardNames.pending), el("ul", { id: "nominations" }, ...pending.map((award) => {
        const decide = (approve) => async () => {
          try { await api("POST", `/awards/nominations/${award.id}/decision`, { approve }); renderAwards(); } catch (error) { toast(error.message, "error"); }
        };
        return el("li", { "data-award": String(award.id) }, `🏅 ${nameOf(award.agent_id)} · #${award.conversation_id} — ${award.reason} `,
          el("button", { class: "decide", "data-approve": "true", onclick: decide(true) }, t.accept), " ",
          el("button", { class: "decide", "data-approve": "false", onclick: decide(false) }, t.reject));
      })));
    }
    const conversation = el("input", { id: "nominate-conversation", type: "number", min: "1", placeholder: "#" });
    const reason = el("input", { id: "nominate-reason", maxlength: "500", placeholder: t.awardNames.why });
    children.push(el("h3", {}, t.awardNames.nominate), el("p", { class: "kpi-form" }, conversation, " ", reason, " ",
      el("button", { id: "nominate-submit", onclick: async () => {
        try {
          await api("POST", "/awards/nominations", { conversation_id: Number(conversation.value), reason: reason.value });
          toast(t.awardNames.nominated);
          renderAwards();
        } catch (error) { toast(error.message, "error"); }
      } }, t.awardNames.nominate)));
  } catch (error) { children.push(el("p", { class: "missing", id: "awards-error" }, error.message)); }
  pane.classList.add("form-pane");
  pane.replaceChildren(...children);
}
