// The feedback screen, in the middle pane: what learners said in their satisfaction surveys
// — the CSAT figures and the latest answers (supervisors everyone's, agents their own) — and
// the comments routed to a team (product, tech, ops), whose members and supervisors move them
// along by status. Learners' words are shown as text, never as HTML.
import { el, byId } from "../shared/dom.js";
import { api } from "./api.js";
import { t } from "./i18n.js";
import { toast } from "./toast.js";

const STATUSES = ["new", "acknowledged", "planned", "done", "wont_do"];

function percent(value) {
  return value === null || value === undefined ? "—" : `${Math.round(value * 100)}%`;
}

export async function renderFeedback() {
  const pane = byId("conversation");
  if (!pane) return;
  for (const id of ["views", "list", "sop-panel", "profile"]) byId(id)?.replaceChildren();
  const children = [el("h2", {}, t.feedback)];
  try {
    const [report, items] = await Promise.all([api("GET", "/surveys?limit=50"), api("GET", "/feedback-items")]);
    const s = report.summary;
    children.push(el("p", { id: "csat-summary", class: "csat-summary" },
      `${t.csatNames.rated} ${s.rated} · CSAT ${percent(s.csat)} · ${t.csatNames.average} ${s.average_rating === null ? "—" : s.average_rating.toFixed(1)}` +
      ` · ${t.csatNames.solved} ${percent(s.solved_share)} · NPS ${s.nps === null ? "—" : s.nps}`));
    children.push(el("h3", {}, t.csatNames.latest));
    children.push(el("table", { id: "survey-table", class: "kpi-table" },
      el("tr", {}, el("th", {}, "#"), el("th", {}, t.csatNames.rating), el("th", {}, t.csatNames.solved), el("th", {}, t.csatNames.comment)),
      ...report.surveys.map((survey) => el("tr", { "data-conversation": String(survey.conversation_id) },
        el("td", {}, `#${survey.conversation_id}`),
        el("td", {}, survey.rating ? "★".repeat(survey.rating) : "—"),
        el("td", {}, survey.resolved === null ? "—" : survey.resolved ? t.csatNames.yes : t.csatNames.no),
        el("td", {}, survey.comment || "")))));
    children.push(el("h3", {}, t.csatNames.routed));
    children.push(el("table", { id: "feedback-items", class: "kpi-table" },
      el("tr", {}, el("th", {}, t.csatNames.area), el("th", {}, t.csatNames.comment), el("th", {}, t.csatNames.status)),
      ...items.map((item) => {
        const status = el("select", { class: "feedback-status", onchange: async (event) => {
          try {
            await api("PATCH", `/feedback-items/${item.id}`, { status: event.target.value });
            toast(t.csatNames.saved);
          } catch (error) {
            toast(error.message, "error");
            event.target.value = item.status;
          }
        } }, ...STATUSES.map((value) => el("option", { value, selected: item.status === value }, t.feedbackStatus[value])));
        return el("tr", { "data-item": String(item.id), "data-area": item.area }, el("td", {}, t.feedbackArea[item.area] || item.area), el("td", {}, item.text), el("td", {}, status));
      })));
  } catch (error) { children.push(el("p", { class: "missing", id: "feedback-error" }, error.message)); }
  pane.classList.add("form-pane");
  pane.replaceChildren(...children);
}
