// The incidents screen (all staff), in the middle pane: incidents opened by volume spikes
// (a category or a course far above its seasonal baseline), newest first, each with what
// spiked, how far above the expected volume, the conversations it links, one answer sent to
// all of them, and for supervisors the learners' banner and resolving it. A supervisor can
// also run the spike check now.
import { el, byId } from "../shared/dom.js";
import { api } from "./api.js";
import { t } from "./i18n.js";
import { screen } from "./hub.js";
import { me } from "./staff.js";
import { toast } from "./toast.js";

function card(incident, supervisor, redraw) {
  const tx = t.incidents;
  const what = `${incident.dimension === "course" ? tx.course : tx.category}: ${incident.category}`;
  const when = new Date(incident.opened_at).toLocaleString();
  const node = el("section", { class: "incident", "data-incident": String(incident.id), "data-status": incident.status },
    el("h3", {}, what, " ", el("span", { class: `badge ${incident.status === "open" ? "breached" : "ok"}` }, tx.statuses[incident.status] ?? incident.status)),
    el("p", { class: "hint" }, `${tx.opened} ${when} · ${tx.observed} ${incident.observed} / ${tx.expected} ${incident.expected.toFixed(1)} · `,
      el("span", { class: "linked" }, `${incident.conversations} ${tx.conversations}`)));
  if (incident.status !== "open") return node;
  const answer = el("textarea", { class: "incident-answer", rows: "2", maxlength: "4000", placeholder: tx.answerHint });
  const send = el("button", { class: "primary incident-send", onclick: async () => {
    if (!answer.value.trim()) return;
    try {
      const sent = await api("POST", `/incidents/${incident.id}/answer`, { body: answer.value });
      node.querySelector(".sent").textContent = `${tx.sent} ${sent.answered}`;
      node.querySelector(".sent").dataset.answered = String(sent.answered);
    } catch (error) { toast(error.message, "error"); }
  } }, tx.answerAll);
  node.append(answer, el("p", {}, send, " ", el("span", { class: "sent" })));
  if (supervisor) {
    const banner = el("input", { class: "incident-banner", maxlength: "300", value: incident.banner ?? "", placeholder: tx.bannerHint });
    const save = el("button", { class: "incident-banner-save", onclick: async () => {
      try { await api("PATCH", `/incidents/${incident.id}`, { banner: banner.value.trim() || null }); toast(tx.bannerSaved); } catch (error) { toast(error.message, "error"); }
    } }, tx.saveBanner);
    const resolve = el("button", { class: "incident-resolve", onclick: async () => {
      try { await api("PATCH", `/incidents/${incident.id}`, { status: "resolved" }); redraw(); } catch (error) { toast(error.message, "error"); }
    } }, tx.resolve);
    node.append(el("p", {}, banner, " ", save, " ", resolve));
  }
  return node;
}

export async function renderIncidents() {
  const pane = byId("conversation");
  if (!pane) return;
  for (const id of ["views", "search-bar", "list", "sop-panel", "profile"]) byId(id)?.replaceChildren();
  const tx = t.incidents;
  const supervisor = me.role !== "agent";
  let incidents;
  try { incidents = await api("GET", "/incidents"); } catch (error) {
    pane.replaceChildren(el("h2", {}, tx.title), el("p", { class: "missing" }, error.message));
    return;
  }
  if (screen() !== "incidents") return;
  const redraw = () => renderIncidents();
  const check = supervisor ? el("button", { id: "incident-check", onclick: async () => {
    try { const report = await api("POST", "/incidents/check", {}); toast(`${tx.checked} ${report.opened}`); redraw(); } catch (error) { toast(error.message, "error"); }
  } }, tx.checkNow) : null;
  pane.classList.add("form-pane");
  pane.replaceChildren(el("h2", {}, tx.title), el("p", { class: "hint" }, tx.explain, " ", check),
    el("div", { id: "incident-list" }, ...(incidents.length ? incidents.map((incident) => card(incident, supervisor, redraw)) : [el("p", {}, tx.none)])));
}
