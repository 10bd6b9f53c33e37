// The quality screen, in the middle pane. Supervisors and admins get today's sample of
// resolved conversations (a few per agent) and score each on the rubric — empathy,
// accuracy, SOP adherence, tone, 1–5 — with a comment; a conversation opens in the inbox to
// be read first. Agents see the reviews of their own conversations and their average.
import { el, byId } from "../shared/dom.js";
import { api } from "./api.js";
import { t } from "./i18n.js";
import { me, users } from "./staff.js";
import { toast } from "./toast.js";

const CRITERIA = ["empathy", "accuracy", "sop_adherence", "tone"];

function agentName(id) {
  return users.find((user) => user.id === id)?.display_name ?? `#${id}`;
}

function reviewForm(item) {
  const marks = CRITERIA.map((name) => el("label", {}, t.qaCriteria[name], " ",
    el("select", { name, class: "qa-mark" }, ...[5, 4, 3, 2, 1].map((mark) => el("option", { value: String(mark) }, String(mark))))));
  const comment = el("textarea", { class: "qa-comment", rows: "2", maxlength: "4000", placeholder: t.qaComment });
  const save = el("button", { class: "primary qa-save", onclick: async () => {
    const body = Object.fromEntries(marks.map((label) => { const select = label.querySelector("select"); return [select.name, Number(select.value)]; }));
    if (comment.value.trim()) body.comment = comment.value;
    try {
      await api("PUT", `/conversations/${item.conversation_id}/review`, body);
      toast(t.qaSaved);
      renderQuality();
    } catch (error) { toast(error.message, "error"); }
  } }, t.qaSave);
  return el("div", { class: "qa-item", "data-conversation": String(item.conversation_id) },
    el("h4", {}, `#${item.conversation_id} · ${agentName(item.agent_id)}`), ...marks, comment, save);
}

export async function renderQuality() {
  const pane = byId("conversation");
  if (!pane) return;
  for (const id of ["views", "list", "sop-panel", "profile"]) byId(id)?.replaceChildren();
  const overseer = me.role !== "agent";
  const children = [el("h2", {}, t.quality)];
  try {
    if (overseer) {
      const sample = await api("GET", "/qa/sample?days=7&per_agent=3");
      children.push(el("h3", {}, t.qaSample), sample.length ? el("div", { id: "qa-sample" }, ...sample.map(reviewForm)) : el("p", { id: "qa-sample" }, t.qaNothing));
    }
    const report = await api("GET", "/qa/reviews?days=30");
    children.push(el("h3", {}, overseer ? t.qaRecent : t.qaMine),
      el("p", { id: "qa-average" }, `${t.qaAverage}: ${report.average_score === null ? "—" : report.average_score.toFixed(2)}`),
      el("table", { id: "qa-reviews", class: "kpi-table" },
        el("tr", {}, el("th", {}, "#"), el("th", {}, t.qaAgent), ...CRITERIA.map((name) => el("th", {}, t.qaCriteria[name])), el("th", {}, t.qaComment)),
        ...report.reviews.map((review) => el("tr", { "data-review": String(review.id) },
          el("td", {}, `#${review.conversation_id}`), el("td", {}, agentName(review.agent_id)),
          ...CRITERIA.map((name) => el("td", {}, String(review[name]))), el("td", {}, review.comment || "")))));
  } catch (error) { children.push(el("p", { class: "missing", id: "qa-error" }, error.message)); }
  pane.classList.add("form-pane");
  pane.replaceChildren(...children);
}
