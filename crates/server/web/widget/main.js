// EduDesk chat widget, as a module. widget-loader.js (the platform's one script tag, served
// as /widget.js) reads its data attributes and calls start(options):
//
//   start({ base: "https://support.example.com",   // the support server's origin
//           learnerId: "L1001", name: "李明", email: "...",
//           signature: "<hex HMAC-SHA256(secret, learner id)>",
//           attributes: '{"course": "Python 入门"}',  // JSON text (or an object)
//           lang: "zh" })                             // optional: the explicit language
//
// Without a learnerId the visitor chats anonymously. Owns everything the learner sees (a
// launcher and a chat panel in a shadow root), the widget session (a bearer token), and its
// state in localStorage. Messages wait in the realtime client's outbox (kept in localStorage
// too) until the server acknowledges them, so reloads and network drops lose nothing; every
// message has its conversation's sequence number, so nothing shows twice. The realtime
// protocol is described in docs/realtime.md.
import { el } from "../shared/dom.js";
import { createApi } from "../shared/api.js";
import { createSocket, newClientId } from "../shared/socket.js";
import { pickLang, translator } from "../shared/i18n.js";
import { TEXT } from "./text.js";
import { MARKUP } from "./markup.js";
import { createCalls } from "../shared/call.js";
import { CALL_TEXT } from "../shared/call-text.js";
import { createBoard, BOARD_TEXT } from "../shared/board.js";

let started = false;

export function start(options = {}) {
  if (started) return;
  started = true;
  window.__edudeskWidget = true;
  if (document.body) run(options);
  else document.addEventListener("DOMContentLoaded", () => run(options), { once: true });
}

function run(options) {
  const base = options.base || location.origin;
  const learnerId = options.learnerId || "";
  let attributes = {};
  if (options.attributes && typeof options.attributes === "object") {
    attributes = options.attributes;
  } else {
    try { attributes = JSON.parse(options.attributes || "{}"); } catch (e) { attributes = {}; }
  }
  const lang = pickLang({ explicit: options.lang });
  const T = TEXT[lang];
  const tr = translator(TEXT, lang);
  const api = createApi({ base });

  // ---- persisted state -------------------------------------------------------------
  const storeKey = "edudesk:v1:" + base + ":" + (learnerId || "visitor");
  // The outbox is kept by the realtime client under a key of its own, deliberately not
  // starting with "edudesk:v1:": the state stays the one key with that prefix.
  const outboxKey = "edudesk:outbox:v1:" + base + ":" + (learnerId || "visitor");
  const state = load();
  function load() {
    try {
      const saved = JSON.parse(localStorage.getItem(storeKey) || "null");
      if (saved && typeof saved === "object") return saved;
    } catch (e) { /* corrupt or unavailable: start fresh */ }
    return { token: null, conversationId: null, messages: {}, agentRead: 0, agentName: null, unread: 0, resolved: false };
  }
  function save() {
    try { localStorage.setItem(storeKey, JSON.stringify(state)); } catch (e) { /* private mode: memory only */ }
  }
  function maxSeq() {
    const seqs = Object.keys(state.messages).map(Number);
    return seqs.length ? Math.max(...seqs) : 0;
  }

  // ---- realtime ----------------------------------------------------------------------
  // Browsers cannot set headers on WebSockets, and the platform's page is another origin:
  // the widget's token goes in a `hello` frame. There is a socket only while there is a
  // conversation.
  const rt = createSocket({
    base,
    token: ensureSession,
    outboxKey,
    canConnect: () => !!state.conversationId,
    // Refused for good: dropped. Refused because the agent closed the conversation: kept, it
    // opens a new one. Server trouble or a rate limit: kept and sent again.
    isPermanent: (nack) => !closedConversation(nack) && nack.status < 500 && nack.status !== 429,
    heartbeat: { everyMs: 25000, deadMs: 60000 },
    reconnectWhenOnline: true,
  });
  // Before the outbox had a key of its own it was part of the state: carried over once.
  if (Array.isArray(state.outbox)) {
    if (!rt.outbox.size) state.outbox.forEach((item) => rt.outbox.push(item));
    delete state.outbox;
    save();
  }

  function closedConversation(nack) {
    return nack.status === 409 && /closed/.test(nack.detail || "");
  }

  // ---- UI (in a shadow root, so the platform's CSS and ours never mix) ---------------
  const host = el("div", { id: "edudesk-widget" });
  document.body.appendChild(host);
  const root = host.attachShadow({ mode: "open" });
  root.innerHTML = MARKUP;
  const $ = (selector) => root.querySelector(selector);
  const panel = $(".panel"), list = $(".messages"), input = $(".input"), typingLine = $(".typing"), statusLine = $(".status");
  $(".launcher").textContent = T.launcher;
  $(".title").textContent = T.title;
  $(".close").setAttribute("aria-label", T.close);
  $(".send").textContent = T.send;
  $(".human").textContent = T.human;
  $(".attach").textContent = T.image;
  input.placeholder = T.placeholder;

  // Opening hours and the expected wait, asked of the server when the panel opens.
  let status = null;
  function loadStatus() {
    api.get("/widget/status").then((response) => (response.ok ? response.json() : null))
      .then((answer) => { if (answer) { status = answer; render(); } }).catch(() => { /* shown without it */ });
  }
  function greeting() {
    if (!status) return null;
    const at = new Date(status.next_opening_at).toLocaleString(lang === "zh" ? "zh-CN" : "en", { weekday: "short", hour: "2-digit", minute: "2-digit" });
    const line = !status.open_now ? tr("closedNow", { at })
      : status.expected_wait_minutes === null || status.expected_wait_minutes === undefined ? T.noAgents
      : status.expected_wait_minutes <= 1 ? T.openNow : tr("openWait", { minutes: status.expected_wait_minutes });
    const greeting = el("div", { class: "greeting" }, tr("hours", { hours: status.business_hours, zone: status.time_zone }) + " " + line);
    // Known incidents first: the learner sees at once that it is not them.
    const banners = (status.banners || []).map((text) => el("div", { class: "banner", role: "status" }, "⚠ " + text));
    if (!banners.length) return greeting;
    const box = el("div", {});
    banners.forEach((banner) => box.appendChild(banner));
    box.appendChild(greeting);
    return box;
  }
  function showUnread() {
    const launcher = $(".launcher");
    launcher.textContent = T.launcher;
    if (state.unread > 0 && !panel.classList.contains("open")) {
      launcher.appendChild(el("span", { class: "unread", "aria-label": state.unread + " " + T.unread }, String(state.unread)));
    }
  }

  function render() {
    showUnread();
    list.textContent = "";
    const hello = greeting();
    if (hello) list.appendChild(hello);
    const seqs = Object.keys(state.messages).map(Number).sort((a, b) => a - b);
    const pending = rt.outbox.items();
    let lastMine = 0;
    seqs.forEach((seq) => { if (state.messages[seq].author_kind === "contact") lastMine = seq; });
    if (!seqs.length && !pending.length) list.appendChild(el("div", { class: "empty" }, T.empty));
    seqs.forEach((seq) => {
      const message = state.messages[seq];
      const mine = message.author_kind === "contact";
      // Who answered: the assistant, or the agent by name (tiers are never shown to learners).
      if (message.author_kind === "bot" || message.author_kind === "agent") {
        list.appendChild(el("div", { class: "who" }, message.author_kind === "bot" ? T.bot : (message.author_name || T.agent)));
      }
      const bubble = el("div", { class: "msg " + (mine ? "mine" : "theirs") + (message.author_kind === "bot" ? " bot" : ""), "data-seq": String(seq) });
      // The survey invitation: its link (a placeholder: the widget answers with the learner's
      // own session) gives way to the pop-up.
      const survey = message.author_kind === "system" && /\S*\/survey\/\{survey\}\S*/.exec(message.body || "");
      const text = survey ? message.body.replace(survey[0], "").trim() : message.body;
      if (message.attachment_id) bubble.appendChild(attachment(message.attachment_id, message.body)); else appendText(bubble, text, message.author_kind === "bot");
      list.appendChild(bubble);
      if (survey) list.appendChild(surveyPanel(message.conversation_id || state.conversationId));
      if (mine && seq === lastMine && state.agentRead >= seq) list.appendChild(el("div", { class: "meta read" }, T.read));
    });
    pending.forEach((item) => {
      list.appendChild(el("div", { class: "msg mine pending", "data-client-id": item.client_id }, item.attachment_id ? T.imageBody : item.body));
      list.appendChild(el("div", { class: "meta" }, T.sending));
    });
    if (state.resolved) list.appendChild(el("div", { class: "notice" }, T.resolved));
    $(".agent").textContent = state.agentName ? T.servedBy + state.agentName : "";
    // Calls need a conversation to belong to.
    $(".call-voice").hidden = $(".call-video").hidden = $(".board-open").hidden = !state.conversationId;
    list.scrollTop = list.scrollHeight;
  }

  // ---- CSAT: the survey the server sends after a resolve shows as a pop-up in the chat ----
  // Five rating buttons, then an optional comment; answers go to the conversation's survey
  // with the learner's own session (the message carries no key anyone else could use).
  // What was answered is remembered.
  function surveyPanel(conversationId) {
    state.surveys = state.surveys || {};
    const token = "c" + conversationId;
    const answered = state.surveys[token] || {};
    const panel = el("div", { class: "csat", "data-survey": token });
    const answer = (body) => ensureSession().then((session) => api.request("POST", "/conversations/" + conversationId + "/survey", body, { token: session }));
    if (!answered.rating) {
      panel.appendChild(el("div", { class: "csat-title" }, T.rate));
      const row = el("div", { class: "csat-ratings" });
      for (let rating = 1; rating <= 5; rating++) {
        row.appendChild(el("button", { type: "button", "data-rating": String(rating), title: T.ratingLabels[rating - 1], onclick: () => {
          answer({ rating }).then(() => { state.surveys[token] = { rating }; save(); render(); }).catch((error) => flash(error.message));
        } }, "★".repeat(rating)));
      }
      panel.appendChild(row);
      return panel;
    }
    panel.appendChild(el("div", { class: "csat-title" }, T.rated + " " + "★".repeat(answered.rating)));
    if (answered.commented) {
      panel.appendChild(el("div", { class: "csat-done" }, T.commentSent));
      return panel;
    }
    const box = el("textarea", { class: "csat-comment", rows: "2", maxlength: "2000", placeholder: T.commentPlaceholder });
    panel.appendChild(box);
    panel.appendChild(el("button", { type: "button", class: "csat-send", onclick: () => {
      if (!box.value.trim()) return;
      answer({ comment: box.value }).then(() => { state.surveys[token] = { rating: answered.rating, commented: true }; save(); render(); }).catch((error) => flash(error.message));
    } }, T.commentSend));
    return panel;
  }

  // Text as text; the bot's links to help-centre articles become links (built as DOM
  // nodes, never as HTML, so nothing a learner or agent writes can inject markup).
  function appendText(bubble, text, linkify) {
    if (!linkify) { bubble.textContent = text; return; }
    text.split(/((?:https?:\/\/[^\s\/]+)?\/help\/articles\/[A-Za-z0-9_-]+)/).forEach((part, index) => {
      if (index % 2 === 0) { bubble.appendChild(document.createTextNode(part)); return; }
      bubble.appendChild(el("a", { href: (/^https?:/.test(part) ? part : base + part) + "?lang=" + lang, target: "_blank", rel: "noopener" }, T.readArticle));
    });
  }

  // ---- deflection: matching articles while the learner types, before a conversation -----
  const suggestBox = $(".suggest");
  let suggestTimer = null, suggestedFor = "";
  function suggest() {
    const query = input.value.trim();
    if (state.conversationId || Object.keys(state.messages).length || query.length < 2) { suggestBox.classList.remove("show"); return; }
    if (query === suggestedFor) return;
    suggestedFor = query;
    api.request("GET", "/kb/search?source=widget&limit=3&lang=" + lang + "&q=" + encodeURIComponent(query)).then((found) => {
      if (input.value.trim() !== query) return;
      suggestBox.textContent = "";
      if (!found.results.length) { suggestBox.classList.remove("show"); return; }
      suggestBox.appendChild(el("div", {}, T.suggest));
      found.results.forEach((hit) => {
        suggestBox.appendChild(el("a", {
          href: base + "/help/articles/" + encodeURIComponent(hit.id) + "?lang=" + lang, target: "_blank", rel: "noopener", class: "suggestion", "data-article-id": hit.id,
          onclick: () => { api.request("POST", "/kb/deflections", { article_id: hit.id, query }).catch(() => { /* counting is best effort */ }); },
        }, "› " + hit.title));
      });
      suggestBox.classList.add("show");
    }).catch(() => { suggestBox.classList.remove("show"); });
  }
  input.addEventListener("input", () => {
    clearTimeout(suggestTimer);
    suggestTimer = setTimeout(suggest, 250);
  });

  // Attachments need the bearer token, so they are fetched and shown from blob URLs: an
  // image inline, any other file (served as a download) as a link with its name.
  const attachmentUrls = {};
  function attachment(id, body) {
    const holder = document.createElement("span");
    const show = (entry) => {
      if (entry.image) holder.replaceChildren(el("img", { alt: T.imageBody, src: entry.url }));
      else holder.replaceChildren(el("a", { href: entry.url, download: entry.name, class: "file" }, "📎 " + entry.name));
    };
    holder.textContent = body;
    if (attachmentUrls[id]) { show(attachmentUrls[id]); return holder; }
    ensureSession().then((token) => api.get("/attachments/" + id, { token })).then((response) => {
      if (!response.ok) return null;
      const disposition = response.headers.get("content-disposition") || "";
      const match = /filename\*=UTF-8''([^;]+)/.exec(disposition);
      const name = match ? decodeURIComponent(match[1]) : String(body).replace(/^📎\s*/, "");
      return response.blob().then((blob) => ({ url: URL.createObjectURL(blob), image: /^image\//.test(blob.type) && !disposition, name }));
    }).then((entry) => {
      if (entry) { attachmentUrls[id] = entry; show(entry); }
    }).catch(() => { /* shown as its text */ });
    return holder;
  }

  // ---- the session and the conversation ----------------------------------------------
  let sessionPromise = null;
  function ensureSession() {
    if (state.token) return Promise.resolve(state.token);
    if (!sessionPromise) {
      const request = { attributes };
      if (learnerId) { request.learner_id = learnerId; request.signature = options.signature || ""; }
      if (options.name) request.name = options.name;
      if (options.email) request.email = options.email;
      sessionPromise = api.request("POST", "/widget/sessions", request).then((session) => {
        state.token = session.token;
        save();
        return session.token;
      }).finally(() => { sessionPromise = null; });
    }
    return sessionPromise;
  }

  function accept(message) {
    if (!message || typeof message.seq !== "number") return;
    const known = !!state.messages[message.seq];
    state.messages[message.seq] = { seq: message.seq, body: message.body, author_kind: message.author_kind, client_id: message.client_id, attachment_id: message.attachment_id || null, author_name: message.author_name || null };
    if (message.author_kind === "agent" && message.author_name) state.agentName = message.author_name;
    // A reply while the panel is closed counts as unread until the learner opens it.
    if (!known && message.author_kind !== "contact" && !panel.classList.contains("open")) state.unread = (state.unread || 0) + 1;
    if (message.author_kind === "contact") { state.resolved = false; rt.outbox.remove(message.client_id); }
    save();
    render();
  }

  // The first message opens the conversation over REST (idempotent by client_id).
  let creating = false;
  function createConversation() {
    const first = rt.outbox.first();
    if (creating || state.conversationId || !first) return;
    creating = true;
    ensureSession()
      .then((token) => api.request("POST", "/conversations", {
        channel: "widget", message: { body: first.body, client_id: first.client_id },
        // The course page the learner asked from, when the platform names it: volume and spikes per course.
        ...(typeof attributes.course === "string" && attributes.course.trim() ? { course: attributes.course.trim().slice(0, 100) } : {}),
      }, { token }))
      .then((conversation) => {
        state.conversationId = conversation.id;
        accept(conversation.message);
        creating = false;
        // Followed at once if the socket is already open (e.g. after the previous
        // conversation was closed), else once it is.
        connect();
      })
      .catch((error) => {
        creating = false;
        if (error.status === 401) { state.token = null; save(); }
        if (error.status === 400 || error.status === 413 || error.status === 415 || error.status === 422) {
          // Refused for good (e.g. empty text): drop it rather than retry forever.
          rt.outbox.remove(first.client_id);
          render();
          return;
        }
        setTimeout(createConversation, 2000);
      });
  }

  // Follows the conversation (re-subscribed after every reconnect from the highest seq held).
  function connect() {
    if (!state.conversationId) return;
    if (rt.following() !== state.conversationId) rt.subscribe(state.conversationId, maxSeq);
    rt.connect();
  }

  rt.on("down", () => {
    statusLine.textContent = T.offline;
    statusLine.classList.add("show");
  });
  rt.on("welcome", () => statusLine.classList.remove("show"));
  rt.on("subscribed", () => markRead());
  rt.on("message", (frame) => {
    if (frame.conversation_id === state.conversationId) { accept(frame.message); markRead(); }
  });
  rt.on("ack", (frame) => accept(frame.message));
  rt.on("nack", (frame) => {
    // The agent closed the conversation: the message opens a new one instead.
    if (closedConversation(frame)) startOver();
    else if (frame.status < 500 && frame.status !== 429) render();   // dropped from the outbox
  });
  rt.on("conversation", (frame) => {
    if (frame.conversation && frame.conversation.id === state.conversationId) {
      if (frame.conversation.status === "closed") { startOver(); return; }
      const resolved = frame.conversation.status === "resolved";
      if (resolved !== !!state.resolved) { state.resolved = resolved; save(); render(); }
    }
  });
  rt.on("typing", (frame) => {
    if (frame.who && frame.who.kind === "agent") {
      if (frame.who.name) { state.agentName = frame.who.name; }
      typingLine.textContent = frame.typing ? T.typing : "";
      render();
    }
  });
  rt.on("read", (frame) => {
    if (frame.who && frame.who.kind === "agent") {
      state.agentRead = Math.max(state.agentRead, frame.seq);
      if (frame.who.name) state.agentName = frame.who.name;
      save(); render();
    }
  });
  rt.on("error", (frame) => {
    if (frame.status === 401) { state.token = null; save(); }
    if (frame.status === 404) {
      // The conversation is not ours any more (a new anonymous session): start afresh.
      state.conversationId = null; state.messages = {}; rt.forget(); save(); render();
    }
  });

  // A closed conversation takes no more messages: the next one (still in the outbox) starts a new one.
  function startOver() {
    if (state.conversationId) rt.unsubscribe(state.conversationId);
    rt.forget();
    state.conversationId = null;
    state.messages = {};
    state.agentRead = 0;
    save();
    render();
    createConversation();
  }

  function markRead() {
    if (rt.subscribed && panel.classList.contains("open") && document.visibilityState === "visible") rt.read(state.conversationId, maxSeq());
  }
  document.addEventListener("visibilitychange", markRead);

  // ---- calls: the learner rings the agents, or answers an agent's call -----------------
  const CT = CALL_TEXT[lang];
  const callArea = $(".call-area");
  const callPanel = el("div", {}), callPrompt = el("div", {});
  callArea.append(callPrompt, callPanel);
  const calls = createCalls({
    api, rt, token: ensureSession, container: callPanel, texts: CT, side: "contact",
    onIncoming: (call, ringsForMe) => {
      callPrompt.replaceChildren();
      if (!ringsForMe || call.conversation_id !== state.conversationId) return;
      panel.classList.add("open");
      callPrompt.append(el("div", { class: "call-incoming", "data-call": call.id },
        (call.media === "video" ? "📹 " : "📞 ") + CT.incoming + " ",
        el("button", { class: "call-accept", onclick: () => { callPrompt.replaceChildren(); calls.accept(call).catch((error) => flash(error.message)); } }, CT.accept),
        el("button", { class: "call-decline", onclick: () => { callPrompt.replaceChildren(); calls.decline(call).catch((error) => flash(error.message)); } }, CT.decline)));
    },
  });
  // The shared whiteboard, in and outside calls.
  const board = createBoard({ rt, container: $(".board-area"), texts: BOARD_TEXT[lang] });
  $(".board-open").title = BOARD_TEXT[lang].title;
  $(".board-open").addEventListener("click", () => {
    if (board.isOpen()) board.close(); else if (state.conversationId) board.open(state.conversationId);
  });
  $(".call-voice").title = CT.voice;
  $(".call-video").title = CT.video;
  $(".call-voice").addEventListener("click", () => { if (state.conversationId) calls.start(state.conversationId, "voice").catch((error) => flash(error.message)); });
  $(".call-video").addEventListener("click", () => { if (state.conversationId) calls.start(state.conversationId, "video").catch((error) => flash(error.message)); });

  // ---- user actions ------------------------------------------------------------------
  let typingSent = 0, typingTimer = null;
  input.addEventListener("input", () => {
    if (!rt.subscribed) return;
    const now = Date.now();
    if (now - typingSent > 3000) {
      rt.typing(state.conversationId, true);
      typingSent = now;
    }
    clearTimeout(typingTimer);
    typingTimer = setTimeout(() => {
      rt.typing(state.conversationId, false);
      typingSent = 0;
    }, 4000);
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) { event.preventDefault(); $("form").requestSubmit(); }
  });
  $("form").addEventListener("submit", (event) => {
    event.preventDefault();
    const body = input.value.trim();
    if (!body) return;
    input.value = "";
    suggestBox.classList.remove("show");
    rt.outbox.push({ client_id: newClientId(), body });
    render();
    if (state.conversationId) rt.flush(); else createConversation();
  });
  // Images: checked here for a quick answer, and again by the server, which decides.
  function flash(text) {
    statusLine.textContent = text;
    statusLine.classList.add("show");
    setTimeout(() => { statusLine.classList.remove("show"); }, 4000);
  }
  function whenConversation() {
    if (state.conversationId) return Promise.resolve(state.conversationId);
    rt.outbox.push({ client_id: newClientId(), body: T.imageBody });
    render(); createConversation();
    return new Promise((resolve) => {
      const wait = setInterval(() => { if (state.conversationId) { clearInterval(wait); resolve(state.conversationId); } }, 100);
    });
  }
  $(".attach").addEventListener("click", () => { $(".file").click(); });
  $(".file").addEventListener("change", () => {
    const file = $(".file").files[0];
    $(".file").value = "";
    if (!file) return;
    if (!/^image\/(png|jpeg|gif|webp)$/.test(file.type)) { flash(T.badImage); return; }
    if (file.size > 5 * 1024 * 1024) { flash(T.tooBig); return; }
    whenConversation()
      .then((conversationId) => ensureSession().then((token) => api.upload("/conversations/" + conversationId + "/attachments", file, { token, contentType: file.type })))
      .then((uploaded) => {
        rt.outbox.push({ client_id: newClientId(), body: "", attachment_id: uploaded.id });
        render(); rt.flush();
      })
      .catch((error) => { flash(error.message); });
  });

  function open() {
    panel.classList.add("open");
    state.unread = 0;
    save();
    loadStatus();
    render();
    if (state.conversationId) connect(); else createConversation();
    markRead();
    input.focus();
  }
  $(".launcher").addEventListener("click", () => { if (panel.classList.contains("open")) panel.classList.remove("open"); else open(); });
  $(".close").addEventListener("click", () => { panel.classList.remove("open"); showUnread(); });
  // "Talk to a person": the same words the assistant hands over on, sent like any message.
  $(".human").addEventListener("click", () => {
    rt.outbox.push({ client_id: newClientId(), body: T.humanText });
    render();
    if (state.conversationId) rt.flush(); else createConversation();
  });

  render();
  // A conversation in progress reconnects at once, so nothing waits for a click.
  if (state.conversationId || rt.outbox.size) {
    if (state.conversationId) connect(); else createConversation();
  }
}
