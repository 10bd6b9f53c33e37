// The SOP panel (#sop-panel) beside the open conversation: choosing a SOP, walking its
// current step (a script to insert, questions to answer, a self-help guide, a hand-over),
// what is still missing, and for supervisors the SOP editor. It works on the conversation
// through the host that conversation.js passes in:
//   host.conversation()        the open conversation (or null)
//   host.setConversation(c)    the server's newer copy of it
//   host.refresh()             after a step: refetch it and show it again (async)
import { el, byId } from "../shared/dom.js";
import { api } from "./api.js";
import { lang, t, optionLabel } from "./i18n.js";
import { me } from "./staff.js";
import { toast } from "./toast.js";
import { allSops, loadSops, sopLabel, localiseIds } from "./sop-defs.js";

// Live updates of the conversation call this often: it leaves the panel alone when nothing
// it shows changed (so a field being typed in keeps its focus and its element) and never
// replaces the SOP editor; `force` redraws anyway (leaving the editor).
export async function renderSop(host, { force = false } = {}) {
  const panel = byId("sop-panel");
  if (!panel || !host.conversation()) return;
  if (!force && byId("sop-form-edit")) return;
  // The panel's heading carries what it was drawn from; a cleared panel has none.
  const unchanged = (signature) => !force && panel.firstElementChild?.dataset.signature === signature;
  if (!host.conversation().sop) {
    const sops = await api("GET", "/sops");
    const signature = JSON.stringify([lang, host.conversation().id, sops]);
    if (unchanged(signature)) return;
    const choose = el("select", { id: "sop-choose", onchange: async (e) => {
      if (!e.target.value) return;
      try { const view = await api("POST", `/conversations/${host.conversation().id}/sop`, { sop_id: e.target.value }); host.setConversation(view.conversation); } catch (error) { toast(error.message, "error"); }
      renderSop(host);
    } }, el("option", { value: "" }, t.startSop), ...sops.map((s) => el("option", { value: s.id }, typeof s.title === "string" ? s.title : s.title[lang])));
    panel.replaceChildren(el("h3", { "data-signature": signature }, t.sop), choose);
    return;
  }
  const view = await api("GET", `/conversations/${host.conversation().id}/sop`);
  const signature = JSON.stringify([lang, me.role, host.conversation().id, view]);
  if (unchanged(signature)) return;
  // Answers typed but not yet saved survive a re-render of the same step (read after the
  // request above, so nothing typed meanwhile is lost).
  const drafts = {};
  const shownStep = byId("sop-step")?.dataset.stepId;
  for (const field of document.querySelectorAll("#sop-form [name]")) drafts[field.name] = field.value;
  const title = (x) => typeof x === "string" ? x : x[lang];
  const draft = (name, saved) => (shownStep === view.step?.id && drafts[name] !== undefined ? drafts[name] : saved);
  const step = view.step;
  const send = async (body) => {
    try { const next = await api("POST", `/conversations/${host.conversation().id}/sop/answers`, body); host.setConversation(next.conversation); } catch (error) { toast(error.message, "error"); }
    // A hand-over step moves the conversation: the lists, queues and the step all change.
    await host.refresh();
  };
  const children = [el("h3", { "data-signature": signature }, `${t.sop}: ${title(view.title)}`)];
  if (!step) {
    children.push(el("p", {}, t.sopDone));
  } else {
    children.push(el("div", { id: "sop-step", "data-step-id": step.id, "data-kind": step.kind }, el("strong", {}, title(step.title)), step.mandatory ? " *" : ""));
    if (step.kind === "say") {
      children.push(el("p", { class: "script", id: "sop-script" }, step.script),
        el("button", { id: "sop-insert", onclick: () => { const input = byId("composer-input"); input.value = step.script; input.focus(); } }, t.insert),
        el("button", { id: "sop-advance", onclick: () => send({ advance: true }) }, t.next));
    } else if (step.kind === "ask") {
      const form = el("form", { id: "sop-form" }, ...step.questions.map((q) => el("label", { class: "question" }, title(q.label), " ",
        q.type === "text" ? el("input", { name: `q-${q.id}`, value: draft(`q-${q.id}`, view.answers[q.id] || "") })
          : el("select", { name: `q-${q.id}` }, el("option", { value: "" }, "—"),
            ...(q.type === "yes_no" ? ["yes", "no"] : q.options).map((o) => el("option", { value: o, selected: draft(`q-${q.id}`, view.answers[q.id]) === o }, optionLabel(o)))))));
      form.addEventListener("submit", (e) => {
        e.preventDefault();
        const answers = {};
        for (const q of step.questions) { const value = form.elements[`q-${q.id}`].value.trim(); if (value) answers[q.id] = value; }
        send({ answers, advance: true });
      });
      form.append(el("button", { class: "primary", id: "sop-advance", type: "submit" }, t.saveNext));
      children.push(form);
    } else if (step.kind === "self_help") {
      children.push(el("ol", { id: "sop-guide" }, ...step.guide.map((line) => el("li", {}, line))), el("p", {}, step.articles.join(", ")),
        el("button", { id: "sop-insert", onclick: () => { const input = byId("composer-input"); input.value = step.guide.map((line, i) => `${i + 1}. ${line}`).join("\n"); } }, t.insert),
        el("button", { id: "sop-advance", onclick: () => send({ advance: true }) }, t.next));
    } else if (step.kind === "escalate") {
      children.push(el("button", { class: "primary", id: "sop-advance", onclick: () => send({ advance: true }) }, `${t.handOver} T${step.to_tier}`));
    } else if (step.kind === "follow_up") {
      children.push(el("p", { id: "sop-follow-up" }, t.followUpLater));
    }
  }
  if (view.missing.length) children.push(el("p", { class: "missing", id: "sop-missing" }, `${t.missing}: ${view.missing.map((m) => { const [step, q] = m.split("."); return sopLabel(step, q) ?? m; }).join("、")}`));
  if (me.role !== "agent") children.push(el("button", { id: "sop-edit", onclick: () => editSop(view.sop_id, host) }, t.editSop));
  panel.replaceChildren(...children);
}

// Supervisors edit a SOP as a form — each step's title, script and whether it is mandatory,
// each question's label, in both languages — and, for structural changes (new steps,
// branches), as JSON under "Advanced". Saving makes a new version; running conversations
// keep theirs.
async function editSop(id, host) {
  const panel = byId("sop-panel");
  const sop = (await api("GET", "/sops")).find((s) => s.id === id);
  if (!panel || !sop) return;
  const draft = structuredClone(sop);
  const bilingual = (value, onchange, multiline) => {
    const pair = typeof value === "string" ? { zh: value, en: value } : { zh: value?.zh ?? "", en: value?.en ?? "" };
    return ["zh", "en"].map((l) => {
      const input = multiline ? el("textarea", { rows: 3, "data-lang": l }) : el("input", { "data-lang": l });
      input.value = pair[l];
      input.addEventListener("input", () => { pair[l] = input.value; onchange({ ...pair }); });
      return el("label", { class: "question" }, `${l === "zh" ? "中文" : "English"} `, input);
    });
  };
  const steps = draft.steps.map((step, index) => el("fieldset", { class: "sop-step-edit", "data-step": step.id },
    el("legend", {}, `${index + 1}. ${step.id} (${step.kind})`),
    el("div", {}, t.stepTitle), ...bilingual(step.title, (v) => { step.title = v; }),
    step.text != null || step.kind === "say" ? [el("div", {}, t.stepText), ...bilingual(step.text, (v) => { step.text = v; }, true)] : null,
    ["say", "ask", "self_help"].includes(step.kind) ? el("label", { class: "question" }, el("input", { type: "checkbox", "data-mandatory": step.id, checked: step.mandatory ? true : null,
      onchange: (e) => { step.mandatory = e.target.checked; } }), ` ${t.mandatory}`) : null,
    ...(step.questions || []).map((q) => [el("div", {}, `${t.questionLabel}: ${q.id}`), ...bilingual(q.label, (v) => { q.label = v; })])));
  const text = el("textarea", { id: "sop-json", rows: 18, style: "width:100%;font-family:monospace;font-size:12px" });
  text.value = JSON.stringify(sop, null, 2);
  let jsonEdited = false;
  text.addEventListener("input", () => { jsonEdited = true; });
  const status = el("p", { class: "missing", id: "sop-status", role: "status" });
  panel.replaceChildren(el("h3", {}, `${t.editSop}: ${id} v${sop.version}`), el("form", { id: "sop-form-edit" }, ...steps),
    el("details", {}, el("summary", {}, t.advancedJson), text), status,
    el("button", { class: "primary", id: "sop-save", onclick: async () => {
      try {
        const body = jsonEdited ? JSON.parse(text.value) : draft;
        delete body.version;
        const saved = await api("PUT", `/sops/${id}`, body);
        status.textContent = `${t.saved} ${saved.version}`;
        await loadSops(allSops());
      } catch (error) { status.textContent = localiseIds(error.message); }
    } }, t.save),
    el("button", { onclick: () => renderSop(host, { force: true }) }, t.cancel));
}
