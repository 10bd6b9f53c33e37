// The hiring screen (supervisors and admins), in the middle pane: invite a candidate (the
// personal test link is shown once, to copy), the candidates with their results — typing
// speed and accuracy in Chinese and English, the quiz score, the review — and, for the one
// picked, the written answer with what it shows, the quiz score, and the review form.
import { el, byId } from "../shared/dom.js";
import { api } from "./api.js";
import { t } from "./i18n.js";
import { screen } from "./hub.js";
import { toast } from "./toast.js";

// The last invitation's link: shown until the next one (the server cannot show it again).
let lastLink = null;

const percent = (share) => `${Math.round(share * 100)}%`;

function typing(result, unit) {
  if (!result) return "—";
  return `${Math.round(result.speed)} ${unit} · ${percent(result.accuracy)}${result.suspicious ? ` ⚠ ${t.hiring.suspicious}` : ""}`;
}

function inviteForm(onInvited) {
  const h = t.hiring;
  const name = el("input", { id: "hiring-name", maxlength: "100", placeholder: h.name, required: true });
  const email = el("input", { id: "hiring-email", type: "email", maxlength: "200", placeholder: h.email });
  const lang = el("select", { id: "hiring-lang" }, el("option", { value: "zh" }, "中文"), el("option", { value: "en" }, "English"));
  const tier = el("select", { id: "hiring-tier" }, ...[1, 2, 3].map((n) => el("option", { value: String(n) }, `T${n}`)));
  const link = el("p", { id: "hiring-link-row" }, ...(lastLink ? [h.linkOnce, " ", el("input", { id: "hiring-link", readonly: true, value: lastLink, size: "60", onfocus: (e) => e.target.select() })] : []));
  const submit = el("button", { class: "primary", id: "hiring-invite", type: "submit" }, h.invite);
  const form = el("form", { class: "search-form", id: "hiring-form", onsubmit: async (event) => {
    event.preventDefault();
    const body = { name: name.value, lang: lang.value, tier: Number(tier.value) };
    if (email.value.trim()) body.email = email.value.trim();
    try {
      const invited = await api("POST", "/hiring/candidates", body);
      lastLink = invited.link.startsWith("/") ? location.origin + invited.link : invited.link;
      onInvited(invited.candidate);
    } catch (error) { toast(error.message, "error"); }
  } }, name, email, lang, tier, submit);
  return [form, link];
}

function detail(candidate, onSaved) {
  const h = t.hiring;
  const pane = el("div", { id: "hiring-detail", "data-candidate": String(candidate.id) }, el("h3", {}, `${candidate.name} · T${candidate.tier}`));
  if (candidate.status !== "done") {
    pane.append(el("p", {}, h.statuses[candidate.status] ?? candidate.status));
    return pane;
  }
  pane.append(
    el("h4", {}, h.empathy),
    el("p", { id: "hiring-answer", class: "passage-answer" }, candidate.empathy_answer ?? ""),
    el("p", { id: "hiring-signals" }, ...["acknowledges", "owns", "asks", "next_step", "blames"].map((signal) =>
      el("span", { class: `badge ${candidate.empathy_signals.includes(signal) ? (signal === "blames" ? "breached" : "ok") : "off"}`, "data-signal": signal },
        `${candidate.empathy_signals.includes(signal) ? "✓" : "·"} ${h.signals[signal]}`), " ")),
    el("h4", {}, `${h.quiz} ${candidate.quiz ? `${candidate.quiz.correct}/${candidate.quiz.total}` : "—"}`));
  const score = el("select", { id: "hiring-score" }, ...[5, 4, 3, 2, 1].map((n) => el("option", { value: String(n), selected: candidate.review?.score === n }, String(n))));
  const decision = el("select", { id: "hiring-decision" }, ...["hire", "hold", "reject"].map((d) => el("option", { value: d, selected: candidate.review?.decision === d }, h.decisions[d])));
  const note = el("textarea", { id: "hiring-note", rows: "2", maxlength: "2000", placeholder: h.note }, candidate.review?.note ?? "");
  const save = el("button", { class: "primary", id: "hiring-save", onclick: async () => {
    const body = { score: Number(score.value), decision: decision.value };
    if (note.value.trim()) body.note = note.value.trim();
    try {
      onSaved(await api("PUT", `/hiring/candidates/${candidate.id}/review`, body));
      toast(h.saved);
    } catch (error) { toast(error.message, "error"); }
  } }, h.save);
  pane.append(el("h4", {}, h.review), el("label", {}, h.score, " ", score), " ", el("label", {}, h.decision, " ", decision), note, save);
  return pane;
}

export async function renderHiring(selectedId) {
  const pane = byId("conversation");
  if (!pane) return;
  for (const id of ["views", "search-bar", "list", "sop-panel", "profile"]) byId(id)?.replaceChildren();
  const h = t.hiring;
  let candidates;
  try { candidates = await api("GET", "/hiring/candidates"); } catch (error) {
    pane.replaceChildren(el("h2", {}, h.title), el("p", { class: "missing" }, error.message));
    return;
  }
  if (screen() !== "hiring") return;
  let selected = candidates.find((c) => c.id === selectedId) ?? null;
  const detailHost = el("div", {});
  const show = (candidate) => { selected = candidate; detailHost.replaceChildren(detail(candidate, (saved) => renderHiring(saved.id))); };
  const table = el("table", { class: "kpi-table", id: "hiring-candidates" },
    el("tr", {}, ...[h.name, h.status, h.typingZh, h.typingEn, h.quiz, h.review].map((label) => el("th", {}, label))),
    ...candidates.map((c) => el("tr", { "data-candidate": String(c.id), class: "clickable", onclick: () => show(c) },
      el("td", {}, el("a", { href: "#", onclick: (e) => e.preventDefault() }, c.name)),
      el("td", { class: "status" }, h.statuses[c.status] ?? c.status),
      el("td", { class: "typing-zh" }, typing(c.typing_zh, h.perMinute)),
      el("td", { class: "typing-en" }, typing(c.typing_en, "WPM")),
      el("td", { class: "quiz" }, c.quiz ? `${c.quiz.correct}/${c.quiz.total}` : "—"),
      el("td", { class: "decision" }, c.review ? `${h.decisions[c.review.decision]} · ${c.review.score}/5` : "—"))));
  pane.classList.add("form-pane");
  pane.replaceChildren(el("h2", {}, h.title), ...inviteForm((candidate) => renderHiring(candidate.id)),
    candidates.length ? table : el("p", { id: "hiring-candidates" }, h.none), detailHost);
  if (selected) show(selected);
}
