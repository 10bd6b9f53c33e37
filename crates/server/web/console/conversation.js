// One conversation, in the middle pane (#conversation) and the profile pane (#profile): its
// header (status, priority, assignee, SLA), the escalation form and the last escalation's
// summary, the messages and the composer (canned replies, attachments, internal notes),
// the learner's profile, past conversations, follow-ups and contact merging. Owns the open
// conversation and its messages; the SOP panel (sop.js) works on it through a small host
// object. Realtime frames for it arrive here from console/realtime.js.
import { el, byId } from "../shared/dom.js";
import { newClientId } from "../shared/socket.js";
import { api, upload } from "./api.js";
import { lang, t, optionLabel, locale } from "./i18n.js";
import { emit, on } from "./hub.js";
import { me, users } from "./staff.js";
import { rt } from "./realtime.js";
import { toast } from "./toast.js";
import { allSops } from "./sop-defs.js";
import { renderSop } from "./sop.js";
import { startCall, callTexts, openBoard, closeBoardUnless } from "./media.js";

// Canned replies; {{learner.name}} and {{agent.name}} are filled in when chosen.
const CANNED = {
  zh: [
    "您好 {{learner.name}}，我是{{agent.name}}，很高兴为您服务。",
    "非常理解您的着急，给您带来不便非常抱歉，我们马上帮您处理。",
    "请问您使用的是什么设备、网络（Wi-Fi/4G）和浏览器版本？",
    "问题已经解决，如果还有疑问，随时联系我们。祝您学习愉快！",
  ],
  en: [
    "Hi {{learner.name}}, this is {{agent.name}}. Happy to help!",
    "I understand how frustrating this is, and I'm sorry. Let's fix it right away.",
    "Which device, network (Wi-Fi/mobile) and browser version are you using?",
    "This is solved now. If anything else comes up, just write to us. Happy learning!",
  ],
};

let open = null;             // the conversation shown
let messages = new Map();    // its messages by seq (a seq seen twice is stored once)
let contact = null;          // its learner
let escalation = null;       // its latest escalation event
let escalating = false;      // the escalation form is shown
let tags = [];               // the team's tags on it

export const openId = () => open?.id ?? null;

const maxSeq = () => Math.max(0, ...messages.keys());

// What the SOP panel may do with the open conversation.
const sopHost = {
  conversation: () => open,
  setConversation: (conversation) => { open = conversation; },
  // After a step: the conversation as it is now (a hand-over moves it), shown again.
  async refresh() {
    try { open = await api("GET", `/conversations/${open.id}`); await loadEscalation(); } catch (error) { /* moved out of reach */ }
    renderConversation();
    emit("inbox:stale");
  },
};

export async function openConversation(id) {
  // A pop-up or link from another screen: back to the inbox first.
  emit("inbox:enter");
  if (open) rt.unsubscribe(open.id);
  closeBoardUnless(id);
  open = await api("GET", `/conversations/${id}`);
  tags = await api("GET", `/conversations/${id}/tags`).catch(() => []);
  messages = new Map();
  contact = null;
  escalating = false;
  await loadEscalation();
  emit("inbox:render");
  renderConversation();
  rt.subscribe(open.id, maxSeq);
  const [learner, history] = await Promise.all([api("GET", `/contacts/${open.contact_id}`), api("GET", `/conversations?contact_id=${open.contact_id}&limit=20`)]);
  contact = learner;
  renderProfile(history);
}

export function renderConversation() {
  const pane = byId("conversation");
  if (!pane || !open) return;
  pane.classList.remove("form-pane");
  const c = open;
  const select = (id, values, current, labels, onchange) => el("select", { id, onchange }, ...values.map((v) => el("option", { value: v, selected: v === current }, labels[v] ?? v)));
  const change = (field) => async (e) => {
    const value = field === "assignee_id" ? (e.target.value ? Number(e.target.value) : null) : e.target.value;
    try { open = await api("PATCH", `/conversations/${c.id}`, { [field]: value }); } catch (error) { toast(error.message, "error"); }
    renderConversation();
    renderFollowUps().catch(() => {});
    emit("inbox:stale");
    emit("team:stale");
  };
  const assignees = ["", ...users.filter((u) => u.active).map((u) => String(u.id))];
  const names = Object.fromEntries([["", t.nobody], ...users.map((u) => [String(u.id), `${u.display_name} (T${u.tier}, ${u.open_conversations}/${u.max_concurrent})`])]);
  const canned = el("select", { id: "canned", onchange: (e) => { if (e.target.value !== "") insertCanned(Number(e.target.value)); e.target.value = ""; } },
    el("option", { value: "" }, t.canned), ...CANNED[lang].map((text, i) => el("option", { value: i }, text.slice(0, 28) + "…")));
  // A re-render (a live update of the conversation) keeps what the agent was typing.
  const previous = byId("composer-input");
  const typed = previous && open && Number(previous.dataset.conversation) === c.id ? previous.value : "";
  const hadFocus = previous && document.activeElement === previous;
  // So does a tag being typed.
  const previousTags = byId("conv-tags");
  const tagsDraft = previousTags && Number(previousTags.dataset.conversation) === c.id && document.activeElement === previousTags ? previousTags.value : null;
  const input = el("textarea", { id: "composer-input", oninput: sendTyping, "data-conversation": c.id });
  input.value = typed;
  input.addEventListener("keydown", (e) => { if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) send(); });
  renderSop(sopHost).catch(() => {});
  pane.replaceChildren(
    el("div", { class: "conv-header" }, el("h2", { id: "conv-title" }, c.subject || `#${c.id}`),
      select("status", ["open", "pending", "resolved", "closed"], c.status, t.status, change("status")),
      select("priority", ["low", "normal", "high", "urgent"], c.priority, t.priority, change("priority")),
      el("label", {}, t.assign, " ", select("assignee", assignees, c.assignee_id ? String(c.assignee_id) : "", names, change("assignee_id"))),
      el("button", { id: "take", onclick: () => change("assignee_id")({ target: { value: String(me.id) } }) }, t.takeIt),
      el("button", { id: "escalate", onclick: escalate }, t.escalate),
      c.status !== "closed" ? el("button", { id: "call-voice", title: callTexts().voice, onclick: () => startCall(c.id, "voice") }, "📞") : null,
      c.status !== "closed" ? el("button", { id: "call-video", title: callTexts().video, onclick: () => startCall(c.id, "video") }, "📹") : null,
      el("button", { id: "board-open", title: callTexts().board, onclick: () => openBoard(c.id) }, "🖊"),
      ["resolved", "closed"].includes(c.status) ? el("button", { id: "to-draft", onclick: async () => {
        try { const draft = await api("POST", `/conversations/${c.id}/article`); emit("go", "kb", draft.id); } catch (error) { toast(error.message, "error"); }
      } }, t.toDraft) : null,
      el("div", { class: "sla", id: "sla" }, ...slaLine(c)),
      el("input", { id: "conv-tags", "data-conversation": c.id, value: tags.join(", "), placeholder: t.search.tags, "aria-label": t.search.tags, onchange: saveTags }),
      escalating ? escalateForm(c) : null),
    escalationInfo() ?? "",
    el("div", { class: "messages", id: "messages" }),
    el("div", { class: "typing", id: "typing" }),
    el("div", { class: "composer" }, input,
      el("div", { class: "row" }, el("label", { class: "grow" }, el("input", { type: "checkbox", id: "internal" }), " ", t.note), canned,
        el("label", { class: "attach", title: t.attach }, "📎 ", el("input", { type: "file", id: "composer-file", "aria-label": t.attach })),
        el("button", { class: "primary", id: "composer-send", onclick: send }, t.send))));
  if (hadFocus) input.focus();
  if (tagsDraft !== null) { const field = byId("conv-tags"); field.value = tagsDraft; field.focus(); }
  renderMessages();
}

// The team's tags on the open conversation, saved when the field changes (comma-separated).
async function saveTags(e) {
  const id = open?.id;
  const wanted = e.target.value.split(/[,，、]/).map((tag) => tag.trim()).filter(Boolean);
  try { tags = await api("PUT", `/conversations/${id}/tags`, { tags: wanted }); emit("inbox:stale"); } catch (error) { toast(error.message, "error"); }
  if (open?.id === id) renderConversation();
}

function slaLine(c) {
  const time = (iso) => iso ? new Date(iso).toLocaleString(locale(), { month: "numeric", day: "numeric", hour: "2-digit", minute: "2-digit" }) : "–";
  const badge = (target) => c.sla.breached.includes(target) ? el("span", { class: "badge urgent" }, t.breached) : c.sla.warned.includes(target) ? el("span", { class: "badge pending" }, t.warned) : null;
  const parts = [`T${c.tier} · `];
  if (!c.first_response_at) parts.push(`${t.firstDue} ${time(c.sla.first_response_due_at)} `, badge("first_response"), " · ");
  parts.push(`${t.resolutionDue} ${time(c.sla.resolution_due_at)} `, badge("resolution"));
  if (c.sla.paused) parts.push(" · ", t.paused);
  return parts;
}

// Escalation is a form in the conversation: tier, reason (required), note. Agents go one
// tier up or any tier down; supervisors anywhere.
function escalateForm(c) {
  const tiers = [1, 2, 3].filter((tier) => tier !== c.tier && (me.role !== "agent" || tier === c.tier + 1 || tier < c.tier));
  const form = el("form", { class: "escalate-form", id: "escalate-form" },
    el("label", {}, t.escalateTo, " ", el("select", { name: "to_tier", id: "escalate-tier" }, ...tiers.map((tier) => el("option", { value: tier }, `T${tier}`)))),
    el("input", { name: "reason", id: "escalate-reason", required: true, maxlength: 500, placeholder: t.reason }),
    el("textarea", { name: "note", id: "escalate-note", rows: 2, placeholder: t.note2 }),
    el("button", { class: "primary", type: "submit", id: "escalate-submit" }, t.submit),
    el("button", { type: "button", onclick: () => { escalating = false; renderConversation(); } }, t.cancel));
  // A live re-render keeps what was already typed.
  const before = byId("escalate-form");
  if (before) for (const name of ["to_tier", "reason", "note"]) form.elements[name].value = before.elements[name].value;
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const to = Number(form.elements.to_tier.value);
    try {
      const moved = await api("POST", `/conversations/${c.id}/escalate`, { to_tier: to, reason: form.elements.reason.value, note: form.elements.note.value || null });
      escalating = false;
      emit("inbox:stale");
      // Still ours to see (a supervisor, or moved down)? Then show it as it is now.
      try { open = await api("GET", `/conversations/${c.id}`); await loadEscalation(); renderConversation(); }
      catch (error) {
        // Out of reach now: not followed any more, not even after a reconnect.
        open = null;
        rt.forget();
        byId("conversation").replaceChildren(el("p", { class: "placeholder", id: "moved-away" }, t.movedAway.replace("{to}", moved.tier)));
        byId("sop-panel")?.replaceChildren();
      }
    } catch (error) { toast(error.message, "error"); }
  });
  return form;
}

// The latest escalation, for whoever works the conversation next: reason, note, SOP answers.
async function loadEscalation() {
  escalation = null;
  if (!open) return;
  const events = await api("GET", `/conversations/${open.id}/events`).catch(() => []);
  escalation = [...events].reverse().find((e) => e.kind === "escalated") || null;
}

function escalationInfo() {
  const e = escalation;
  if (!e) return null;
  const d = e.data || {};
  const answers = d.context?.answers || {};
  const who = users.find((u) => u.id === e.actor_user_id)?.display_name;
  const sopId = d.context?.sop_id;
  const questionLabel = (id) => {
    const sop = allSops().find((s) => s.id === sopId);
    for (const step of sop?.steps || []) { const q = step.questions?.find((q) => q.id === id); if (q) return typeof q.label === "string" ? q.label : q.label[lang]; }
    return id;
  };
  return el("div", { class: "escalation-info", id: "escalation-info" },
    el("strong", {}, t.escalatedFrom.replace("{from}", d.from_tier).replace("{to}", d.to_tier)), who ? ` · ${t.escalatedBy} ${who}` : "",
    el("dl", {}, el("dt", {}, t.reasonLabel), el("dd", { id: "escalation-reason" }, d.reason || "—"),
      d.note ? [el("dt", {}, t.noteLabel), el("dd", {}, d.note)] : null,
      Object.keys(answers).length ? [el("dt", {}, t.answersLabel), el("dd", { id: "escalation-answers" }, Object.entries(answers).map(([k, v]) => `${questionLabel(k)}: ${optionLabel(v)}`).join(" · "))] : null));
}

function escalate() {
  escalating = !escalating;
  renderConversation();
  byId("escalate-reason")?.focus();
}

function insertCanned(index) {
  const name = contact?.display_name || (lang === "zh" ? "同学" : "there");
  const text = CANNED[lang][index].replaceAll("{{learner.name}}", name).replaceAll("{{agent.name}}", me.display_name);
  const input = byId("composer-input");
  input.value = input.value ? input.value + "\n" + text : text;
  input.focus();
}

function renderMessages() {
  const box = byId("messages");
  if (!box) return;
  const sorted = [...messages.values()].sort((a, b) => a.seq - b.seq);
  const who = (m) => m.author_kind === "contact" ? (contact?.display_name || t.learner)
    : m.author_kind === "agent" ? (m.author_user_id === me.id ? t.you : users.find((u) => u.id === m.author_user_id)?.display_name || "agent")
    : t[m.author_kind] || m.author_kind;
  box.replaceChildren(
    ...sorted.map((m) => el("div", { class: `msg ${m.author_kind}${m.internal ? " internal" : ""}`, "data-seq": m.seq }, el("div", { class: "who" }, `${who(m)} · #${m.seq}${m.internal ? " · " + t.note : ""}`),
      m.attachment_id ? attachmentView(m) : m.body)),
    ...rt.outbox.items().filter((o) => o.conversation_id === open?.id).map((o) => el("div", { class: `msg agent pending${o.internal ? " internal" : ""}`, "data-client-id": o.client_id }, o.body)));
  box.scrollTop = box.scrollHeight;
}

// An image shows inline; any other file is served only as a download, so the image fails
// to load and becomes a link to the file.
function attachmentView(m) {
  const url = `/api/v1/attachments/${m.attachment_id}`;
  const link = () => el("a", { class: "file", href: url, download: "" }, m.body.startsWith("📎") ? m.body : `📎 ${m.body} · ${t.download}`);
  const image = el("img", { class: "attachment", src: url, alt: m.body, onerror: () => image.replaceWith(link()) });
  return m.body.startsWith("📎") ? link() : image;
}

// Follow-ups still to come on the open conversation, each with the time it is due.
async function renderFollowUps() {
  const list = byId("follow-ups");
  if (!list || !open) return;
  const pending = await api("GET", `/conversations/${open.id}/follow-ups`).catch(() => []);
  const when = (iso) => new Date(iso).toLocaleString(locale(), { month: "numeric", day: "numeric", hour: "2-digit", minute: "2-digit" });
  list.replaceChildren(...(pending.length ? pending.map((f) => el("li", { "data-follow-up": f.id }, `${f.title} · ${t.due} ${when(f.due_at)}`)) : [el("li", {}, "—")]));
}

function renderProfile(history) {
  const profile = byId("profile");
  const learner = contact;
  if (!profile || !learner) return;
  setTimeout(() => renderFollowUps(), 0);
  const attributes = Object.entries(learner.attributes || {});
  profile.replaceChildren(
    el("h3", {}, t.learner), el("div", { id: "learner-name" }, learner.display_name || `#${learner.id}`),
    el("h3", {}, t.identities), el("dl", {}, ...learner.identities.flatMap((i) => [el("dt", {}, i.kind), el("dd", {}, i.value)])),
    el("h3", {}, t.attributes), el("dl", { id: "attributes" }, ...attributes.flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, String(v))])),
    el("h3", {}, t.history), el("ul", { id: "history" }, ...history.map((c) => el("li", {}, el("a", { href: "#", onclick: (e) => { e.preventDefault(); openConversation(c.id); } }, `#${c.id} ${t.channelNames[c.channel] ?? c.channel} ${c.subject || ""}`), " ", el("span", { class: "badge " + c.status }, t.status[c.status])))),
    el("h3", {}, t.followUps), el("ul", { id: "follow-ups" }),
    el("h3", {}, t.merge), el("div", {}, el("input", { id: "merge-from", type: "number", placeholder: t.mergeFrom, style: "width:8em" }), " ",
      el("button", { id: "merge", onclick: async () => {
        const from = Number(byId("merge-from").value);
        if (!from) return;
        try {
          contact = await api("POST", `/contacts/${learner.id}/merge`, { from });
          renderProfile(await api("GET", `/conversations?contact_id=${learner.id}&limit=20`));
        } catch (error) { toast(error.message, "error"); }
      } }, t.merge)));
}

// ---- the composer -----------------------------------------------------------------------
async function send() {
  const input = byId("composer-input");
  const picker = byId("composer-file");
  const file = picker?.files?.[0];
  let body = input.value.trim();
  if ((!body && !file) || !open) return;
  const internal = byId("internal").checked;
  let attachment_id = null;
  if (file) {
    // Uploaded first (raw bytes, its name in the query); the message then refers to it.
    let uploaded;
    try {
      uploaded = await upload(`/conversations/${open.id}/attachments?filename=${encodeURIComponent(file.name)}`, file);
    } catch (error) { toast(error.message, "error"); return; }
    attachment_id = uploaded.id;
    if (!body) body = `📎 ${file.name}`;
    picker.value = "";
  }
  rt.outbox.push({ client_id: newClientId(), conversation_id: open.id, body, internal, attachment_id });
  input.value = "";
  renderMessages();
  rt.flush();
}

function markRead() {
  if (rt.subscribed && open && document.visibilityState === "visible" && messages.size) rt.read(open.id, Math.max(...messages.keys()));
}

let typingSent = 0;
function sendTyping() {
  if (rt.subscribed && Date.now() - typingSent > 3000) {
    typingSent = Date.now();
    rt.typing(open.id, true);
  }
}

document.addEventListener("visibilitychange", markRead);

// ---- realtime ----------------------------------------------------------------------------
rt.on("subscribed", markRead);
// Another module (a call being accepted) asks for a conversation.
on("conversation:open", (id) => { openConversation(id).catch((error) => toast(error.message, "error")); });

// A message, or the ack of ours (carrying it with its seq): stored by seq, so never twice.
function onMessage(frame) {
  if (frame.message && frame.conversation_id === open?.id) {
    messages.set(frame.message.seq, frame.message);
    rt.outbox.remove(frame.message.client_id);
    renderMessages();
    markRead();
  }
}
rt.on("message", onMessage);
rt.on("ack", onMessage);

rt.on("nack", (frame) => {
  renderMessages();
  toast(frame.detail, "error");
});

rt.on("conversation", (frame) => {
  if (frame.conversation.id === open?.id) { open = frame.conversation; renderConversation(); }
});

rt.on("typing", (frame) => {
  const line = byId("typing");
  if (line && frame.conversation_id === open?.id && frame.who.kind === "contact") line.textContent = frame.typing ? t.typing : "";
});
