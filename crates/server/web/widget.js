/*
 * EduDesk chat widget. The education platform embeds it with one script tag:
 *
 *   <script src="https://support.example.com/widget.js" defer
 *     data-learner-id="L1001" data-name="李明" data-signature="<hex HMAC-SHA256(secret, learner id)>"
 *     data-attributes='{"course": "Python 入门"}'></script>
 *
 * Without data-learner-id the visitor chats anonymously. Messages wait in an outbox (kept
 * in localStorage) until the server acknowledges them, so reloads and network drops lose
 * nothing; every message has its conversation's sequence number, so nothing shows twice.
 * The realtime protocol is described in docs/realtime.md.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || window.__edudeskWidget) return;
  window.__edudeskWidget = true;

  var base = new URL(script.src, location.href).origin;
  var data = script.dataset;
  var learnerId = data.learnerId || "";
  var attributes = {};
  try { attributes = JSON.parse(data.attributes || "{}"); } catch (e) { attributes = {}; }
  var lang = (data.lang || navigator.language || "en").toLowerCase().indexOf("zh") === 0 ? "zh" : "en";
  var T = {
    zh: { launcher: "在线客服", title: "学知在线客服", placeholder: "请描述您遇到的问题…", send: "发送", sending: "发送中…",
          typing: "客服正在输入…", read: "已读", servedBy: "为您服务：", offline: "网络已断开，正在重连…", empty: "您好！有什么可以帮您？", close: "关闭",
          image: "图片", imageBody: "[图片]", badImage: "只能发送 PNG、JPEG、GIF 或 WebP 图片", tooBig: "图片不能超过 5 MB",
          suggest: "这些文章也许能直接解决：", bot: "智能助手", readArticle: "查看文章",
          agent: "人工客服", human: "转人工", humanText: "转人工", unread: "条新消息",
          hours: "服务时间：每天 {hours}（{zone}）。", openWait: "现在有客服在线，预计等待约 {minutes} 分钟。", openNow: "现在有客服在线，马上为您服务。",
          closedNow: "现在不在人工服务时间，客服将于 {at} 起回复您；智能助手 24 小时在线。", noAgents: "客服暂时都在忙，留言后我们会尽快回复。",
          resolved: "本次问题已标记为已解决。如果还有问题，直接回复即可继续。" },
    en: { launcher: "Chat with us", title: "XueZhi Support", placeholder: "Tell us what went wrong…", send: "Send", sending: "Sending…",
          typing: "Agent is typing…", read: "Read", servedBy: "With you: ", offline: "Connection lost, reconnecting…", empty: "Hi! How can we help?", close: "Close",
          image: "Image", imageBody: "[image]", badImage: "Only PNG, JPEG, GIF or WebP images", tooBig: "Images may be at most 5 MB",
          suggest: "These articles may answer it right away:", bot: "Assistant", readArticle: "Read the article",
          agent: "Support agent", human: "Talk to a person", humanText: "I'd like to talk to a person", unread: "new messages",
          hours: "We're here every day {hours} ({zone}).", openWait: "Agents are online: expect a reply in about {minutes} min.", openNow: "Agents are online and will be with you right away.",
          closedNow: "We're closed right now; a person will answer from {at}. The assistant is here 24/7.", noAgents: "All agents are busy; leave a message and we'll answer soon.",
          resolved: "This question is marked as solved. Reply any time if something is still wrong." }
  }[lang];

  // ---- persisted state -------------------------------------------------------------
  var storeKey = "edudesk:v1:" + base + ":" + (learnerId || "visitor");
  var state = load();
  function load() {
    try {
      var saved = JSON.parse(localStorage.getItem(storeKey) || "null");
      if (saved && typeof saved === "object") return saved;
    } catch (e) { /* corrupt or unavailable: start fresh */ }
    return { token: null, conversationId: null, messages: {}, outbox: [], agentRead: 0, agentName: null, unread: 0, resolved: false };
  }
  function save() {
    try { localStorage.setItem(storeKey, JSON.stringify(state)); } catch (e) { /* private mode: memory only */ }
  }
  function maxSeq() {
    var seqs = Object.keys(state.messages).map(Number);
    return seqs.length ? Math.max.apply(null, seqs) : 0;
  }
  function newClientId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return "c-" + Date.now().toString(36) + "-" + Math.random().toString(36).slice(2);
  }

  // ---- UI (in a shadow root, so the platform's CSS and ours never mix) ---------------
  var host = document.createElement("div");
  host.id = "edudesk-widget";
  document.body.appendChild(host);
  var root = host.attachShadow({ mode: "open" });
  root.innerHTML =
    "<style>" +
    ":host{all:initial}*{box-sizing:border-box;font-family:system-ui,-apple-system,'Noto Sans CJK SC',sans-serif}" +
    ".launcher{position:fixed;right:20px;bottom:20px;z-index:2147483000;background:#2563eb;color:#fff;border:0;border-radius:24px;padding:12px 18px;font-size:15px;cursor:pointer;box-shadow:0 4px 14px rgba(0,0,0,.2)}" +
    ".panel{position:fixed;right:20px;bottom:80px;z-index:2147483000;width:360px;height:520px;max-height:calc(100vh - 100px);background:#fff;border-radius:12px;box-shadow:0 8px 30px rgba(0,0,0,.25);display:none;flex-direction:column;overflow:hidden}" +
    ".panel.open{display:flex}" +
    "header{background:#2563eb;color:#fff;padding:12px 14px;display:flex;justify-content:space-between;align-items:center}" +
    "header .agent{font-size:12px;opacity:.9}header button{background:none;border:0;color:#fff;font-size:20px;cursor:pointer}" +
    ".status{background:#fef3c7;color:#92400e;font-size:12px;padding:4px 12px;display:none}.status.show{display:block}" +
    ".messages{flex:1;overflow-y:auto;padding:12px;background:#f8fafc}" +
    ".msg{max-width:80%;margin:6px 0;padding:8px 11px;border-radius:10px;white-space:pre-wrap;word-wrap:break-word;font-size:14px;line-height:1.45}" +
    ".msg.theirs{background:#fff;border:1px solid #e2e8f0}.msg.mine{background:#2563eb;color:#fff;margin-left:auto}" +
    ".msg.pending{opacity:.6}.meta{font-size:11px;color:#64748b;text-align:right;margin:-2px 0 4px}" +
    ".typing{font-size:12px;color:#64748b;padding:2px 12px;min-height:18px}" +
    "form{display:flex;gap:8px;padding:10px;border-top:1px solid #e2e8f0}" +
    "textarea{flex:1;resize:none;height:42px;border:1px solid #cbd5e1;border-radius:8px;padding:8px;font-size:14px}" +
    "form button{background:#2563eb;color:#fff;border:0;border-radius:8px;padding:0 14px;font-size:14px;cursor:pointer}" +
    "form .attach{background:#e2e8f0;color:#1f2937;padding:0 10px}.msg img{max-width:100%;border-radius:6px;display:block}" +
    ".empty{color:#64748b;font-size:13px;text-align:center;margin-top:30px}" +
    ".suggest{border-top:1px solid #e2e8f0;padding:8px 12px;background:#eff6ff;font-size:13px;display:none}.suggest.show{display:block}" +
    ".suggest a{display:block;color:#1d4ed8;margin:4px 0;text-decoration:none}.msg a{color:inherit;text-decoration:underline}" +
    ".msg.bot{border-color:#bfdbfe;background:#f0f9ff}.who{font-size:11px;color:#64748b;margin:6px 0 -4px}" +
    ".launcher .unread{display:inline-block;min-width:20px;margin-left:6px;padding:0 6px;border-radius:10px;background:#ef4444;color:#fff;font-size:12px;line-height:20px;text-align:center}" +
    ".greeting{background:#eff6ff;border:1px solid #bfdbfe;border-radius:10px;padding:8px 11px;font-size:13px;color:#1e3a8a;margin-bottom:8px}" +
    ".notice{background:#f0fdf4;border:1px solid #bbf7d0;border-radius:10px;padding:8px 11px;font-size:13px;color:#166534;margin:8px 0}" +
    "header .human{font-size:12px;background:#fff;color:#2563eb;border-radius:12px;padding:3px 10px;margin-right:6px}" +
    "@media (max-width:480px){.panel{right:0;bottom:0;width:100vw;height:100vh;max-height:100vh;border-radius:0}}" +
    "</style>" +
    "<button class='launcher' part='launcher'></button>" +
    "<section class='panel' role='dialog'>" +
    "<header><div><div class='title'></div><div class='agent'></div></div><div><button class='human' type='button'></button><button class='close'>×</button></div></header>" +
    "<div class='status'></div><div class='messages' aria-live='polite'></div><div class='typing'></div>" +
    "<div class='suggest' aria-live='polite'></div>" +
    "<form><button class='attach' type='button'></button><input class='file' type='file' accept='image/png,image/jpeg,image/gif,image/webp' hidden>" +
    "<textarea class='input'></textarea><button class='send' type='submit'></button></form>" +
    "</section>";
  var $ = function (selector) { return root.querySelector(selector); };
  var panel = $(".panel"), list = $(".messages"), input = $(".input"), typingLine = $(".typing"), statusLine = $(".status");
  $(".launcher").textContent = T.launcher;
  $(".title").textContent = T.title;
  $(".close").setAttribute("aria-label", T.close);
  $(".send").textContent = T.send;
  $(".human").textContent = T.human;
  $(".attach").textContent = T.image;
  input.placeholder = T.placeholder;

  // Opening hours and the expected wait, asked of the server when the panel opens.
  var status = null;
  function loadStatus() {
    fetch(base + "/api/v1/widget/status").then(function (response) { return response.ok ? response.json() : null; })
      .then(function (answer) { if (answer) { status = answer; render(); } }).catch(function () { /* shown without it */ });
  }
  function greeting() {
    if (!status) return null;
    var box = document.createElement("div");
    box.className = "greeting";
    var at = new Date(status.next_opening_at).toLocaleString(lang === "zh" ? "zh-CN" : "en", { weekday: "short", hour: "2-digit", minute: "2-digit" });
    var line = !status.open_now ? T.closedNow.replace("{at}", at)
      : status.expected_wait_minutes === null || status.expected_wait_minutes === undefined ? T.noAgents
      : status.expected_wait_minutes <= 1 ? T.openNow : T.openWait.replace("{minutes}", status.expected_wait_minutes);
    box.textContent = T.hours.replace("{hours}", status.business_hours).replace("{zone}", status.time_zone) + " " + line;
    return box;
  }
  function showUnread() {
    var launcher = $(".launcher");
    launcher.textContent = T.launcher;
    if (state.unread > 0 && !panel.classList.contains("open")) {
      var badge = document.createElement("span");
      badge.className = "unread";
      badge.textContent = String(state.unread);
      badge.setAttribute("aria-label", state.unread + " " + T.unread);
      launcher.appendChild(badge);
    }
  }

  function render() {
    showUnread();
    list.textContent = "";
    var hello = greeting();
    if (hello) list.appendChild(hello);
    var seqs = Object.keys(state.messages).map(Number).sort(function (a, b) { return a - b; });
    var lastMine = 0;
    seqs.forEach(function (seq) { if (state.messages[seq].author_kind === "contact") lastMine = seq; });
    if (!seqs.length && !state.outbox.length) {
      var empty = document.createElement("div");
      empty.className = "empty";
      empty.textContent = T.empty;
      list.appendChild(empty);
    }
    seqs.forEach(function (seq) {
      var message = state.messages[seq];
      var mine = message.author_kind === "contact";
      var bubble = document.createElement("div");
      bubble.className = "msg " + (mine ? "mine" : "theirs") + (message.author_kind === "bot" ? " bot" : "");
      bubble.dataset.seq = String(seq);
      // Who answered: the assistant, or the agent by name (tiers are never shown to learners).
      if (message.author_kind === "bot" || message.author_kind === "agent") {
        var who = document.createElement("div");
        who.className = "who";
        who.textContent = message.author_kind === "bot" ? T.bot : (message.author_name || T.agent);
        list.appendChild(who);
      }
      if (message.attachment_id) bubble.appendChild(attachment(message.attachment_id, message.body)); else appendText(bubble, message.body, message.author_kind === "bot");
      list.appendChild(bubble);
      if (mine && seq === lastMine && state.agentRead >= seq) {
        var meta = document.createElement("div");
        meta.className = "meta read";
        meta.textContent = T.read;
        list.appendChild(meta);
      }
    });
    state.outbox.forEach(function (item) {
      var bubble = document.createElement("div");
      bubble.className = "msg mine pending";
      bubble.dataset.clientId = item.client_id;
      bubble.textContent = item.attachment_id ? T.imageBody : item.body;
      list.appendChild(bubble);
      var meta = document.createElement("div");
      meta.className = "meta";
      meta.textContent = T.sending;
      list.appendChild(meta);
    });
    if (state.resolved) {
      var notice = document.createElement("div");
      notice.className = "notice";
      notice.textContent = T.resolved;
      list.appendChild(notice);
    }
    $(".agent").textContent = state.agentName ? T.servedBy + state.agentName : "";
    list.scrollTop = list.scrollHeight;
  }

  // Text as text; the bot's links to help-centre articles become links (built as DOM
  // nodes, never as HTML, so nothing a learner or agent writes can inject markup).
  function appendText(bubble, text, linkify) {
    if (!linkify) { bubble.textContent = text; return; }
    text.split(/((?:https?:\/\/[^\s\/]+)?\/help\/articles\/[A-Za-z0-9_-]+)/).forEach(function (part, index) {
      if (index % 2 === 0) { bubble.appendChild(document.createTextNode(part)); return; }
      var link = document.createElement("a");
      link.href = (/^https?:/.test(part) ? part : base + part) + "?lang=" + lang;
      link.target = "_blank";
      link.rel = "noopener";
      link.textContent = T.readArticle;
      bubble.appendChild(link);
    });
  }

  // ---- deflection: matching articles while the learner types, before a conversation -----
  var suggestBox = $(".suggest"), suggestTimer = null, suggestedFor = "";
  function suggest() {
    var query = input.value.trim();
    if (state.conversationId || Object.keys(state.messages).length || query.length < 2) { suggestBox.classList.remove("show"); return; }
    if (query === suggestedFor) return;
    suggestedFor = query;
    api("GET", "/kb/search?source=widget&limit=3&lang=" + lang + "&q=" + encodeURIComponent(query)).then(function (found) {
      if (input.value.trim() !== query) return;
      suggestBox.textContent = "";
      if (!found.results.length) { suggestBox.classList.remove("show"); return; }
      var heading = document.createElement("div");
      heading.textContent = T.suggest;
      suggestBox.appendChild(heading);
      found.results.forEach(function (hit) {
        var link = document.createElement("a");
        link.href = base + "/help/articles/" + encodeURIComponent(hit.id) + "?lang=" + lang;
        link.target = "_blank";
        link.rel = "noopener";
        link.className = "suggestion";
        link.dataset.articleId = hit.id;
        link.textContent = "› " + hit.title;
        link.addEventListener("click", function () {
          api("POST", "/kb/deflections", { article_id: hit.id, query: query }).catch(function () { /* counting is best effort */ });
        });
        suggestBox.appendChild(link);
      });
      suggestBox.classList.add("show");
    }).catch(function () { suggestBox.classList.remove("show"); });
  }
  input.addEventListener("input", function () {
    clearTimeout(suggestTimer);
    suggestTimer = setTimeout(suggest, 250);
  });

  // Attachments need the bearer token, so they are fetched and shown from blob URLs: an
  // image inline, any other file (served as a download) as a link with its name.
  var attachmentUrls = {};
  function attachment(id, body) {
    var holder = document.createElement("span");
    var show = function (entry) {
      if (entry.image) {
        var img = document.createElement("img");
        img.alt = T.imageBody;
        img.src = entry.url;
        holder.replaceChildren(img);
      } else {
        var link = document.createElement("a");
        link.href = entry.url;
        link.download = entry.name;
        link.className = "file";
        link.textContent = "📎 " + entry.name;
        holder.replaceChildren(link);
      }
    };
    holder.textContent = body;
    if (attachmentUrls[id]) { show(attachmentUrls[id]); return holder; }
    ensureSession().then(function (token) {
      return fetch(base + "/api/v1/attachments/" + id, { headers: { authorization: "Bearer " + token } });
    }).then(function (response) {
      if (!response.ok) return null;
      var disposition = response.headers.get("content-disposition") || "";
      var match = /filename\*=UTF-8''([^;]+)/.exec(disposition);
      var name = match ? decodeURIComponent(match[1]) : String(body).replace(/^📎\s*/, "");
      return response.blob().then(function (blob) {
        return { url: URL.createObjectURL(blob), image: /^image\//.test(blob.type) && !disposition, name: name };
      });
    }).then(function (entry) {
      if (entry) { attachmentUrls[id] = entry; show(entry); }
    }).catch(function () { /* shown as its text */ });
    return holder;
  }

  // ---- REST --------------------------------------------------------------------------
  function api(method, path, body, token) {
    var headers = { "content-type": "application/json" };
    if (token) headers.authorization = "Bearer " + token;
    return fetch(base + "/api/v1" + path, { method: method, headers: headers, body: body ? JSON.stringify(body) : undefined })
      .then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (json) {
          if (!response.ok) { var error = new Error(json.detail || response.statusText); error.status = response.status; throw error; }
          return json;
        });
      });
  }

  var sessionPromise = null;
  function ensureSession() {
    if (state.token) return Promise.resolve(state.token);
    if (!sessionPromise) {
      var request = { attributes: attributes };
      if (learnerId) { request.learner_id = learnerId; request.signature = data.signature || ""; }
      if (data.name) request.name = data.name;
      if (data.email) request.email = data.email;
      sessionPromise = api("POST", "/widget/sessions", request).then(function (session) {
        state.token = session.token;
        save();
        return session.token;
      }).finally(function () { sessionPromise = null; });
    }
    return sessionPromise;
  }

  function accept(message) {
    if (!message || typeof message.seq !== "number") return;
    var known = !!state.messages[message.seq];
    state.messages[message.seq] = { seq: message.seq, body: message.body, author_kind: message.author_kind, client_id: message.client_id, attachment_id: message.attachment_id || null, author_name: message.author_name || null };
    if (message.author_kind === "agent" && message.author_name) state.agentName = message.author_name;
    // A reply while the panel is closed counts as unread until the learner opens it.
    if (!known && message.author_kind !== "contact" && !panel.classList.contains("open")) state.unread = (state.unread || 0) + 1;
    if (message.author_kind === "contact") state.resolved = false;
    state.outbox = state.outbox.filter(function (item) { return item.client_id !== message.client_id || message.author_kind !== "contact"; });
    save();
    render();
  }

  // The first message opens the conversation over REST (idempotent by client_id).
  var creating = false;
  function createConversation() {
    var first = state.outbox[0];
    if (creating || state.conversationId || !first) return;
    creating = true;
    ensureSession()
      .then(function (token) {
        return api("POST", "/conversations", { channel: "widget", message: { body: first.body, client_id: first.client_id } }, token);
      })
      .then(function (conversation) {
        state.conversationId = conversation.id;
        accept(conversation.message);
        creating = false;
        if (socket && socket.readyState === 1) {
          // The socket is already open (e.g. after the previous conversation was closed).
          subscribed = false;
          socket.send(JSON.stringify({ type: "subscribe", conversation_id: state.conversationId, after_seq: maxSeq() }));
        } else {
          connect();
        }
      })
      .catch(function (error) {
        creating = false;
        if (error.status === 401) { state.token = null; save(); }
        if (error.status === 400 || error.status === 413 || error.status === 415 || error.status === 422) {
          // Refused for good (e.g. empty text): drop it rather than retry forever.
          state.outbox.shift(); save(); render();
          return;
        }
        setTimeout(createConversation, 2000);
      });
  }

  // ---- realtime ----------------------------------------------------------------------
  var socket = null, subscribed = false, backoff = 1000, lastHeard = 0, reconnectTimer = null;
  function connect() {
    if (socket || !state.conversationId) return;
    ensureSession().then(function (token) {
      if (socket) return;
      socket = new WebSocket(base.replace(/^http/, "ws") + "/api/v1/ws");
      subscribed = false;
      socket.onopen = function () { socket.send(JSON.stringify({ type: "hello", token: token })); };
      socket.onmessage = function (event) { lastHeard = Date.now(); onFrame(JSON.parse(event.data)); };
      socket.onclose = function () {
        socket = null;
        subscribed = false;
        statusLine.textContent = T.offline;
        statusLine.classList.add("show");
        clearTimeout(reconnectTimer);
        reconnectTimer = setTimeout(connect, backoff);
        backoff = Math.min(backoff * 2, 15000);
      };
    }).catch(function () {
      clearTimeout(reconnectTimer);
      reconnectTimer = setTimeout(connect, backoff);
      backoff = Math.min(backoff * 2, 15000);
    });
  }

  function flushOutbox() {
    if (!socket || !subscribed) return;
    state.outbox.forEach(function (item) {
      socket.send(JSON.stringify({ type: "send", conversation_id: state.conversationId, client_id: item.client_id, body: item.body, attachment_id: item.attachment_id || null }));
    });
  }

  function onFrame(frame) {
    switch (frame.type) {
      case "welcome":
        backoff = 1000;
        statusLine.classList.remove("show");
        socket.send(JSON.stringify({ type: "subscribe", conversation_id: state.conversationId, after_seq: maxSeq() }));
        break;
      case "subscribed":
        subscribed = true;
        flushOutbox();
        markRead();
        break;
      case "message":
        if (frame.conversation_id === state.conversationId) { accept(frame.message); markRead(); }
        break;
      case "ack":
        accept(frame.message);
        break;
      case "nack":
        if (frame.status === 409 && /closed/.test(frame.detail || "")) {
          // The agent closed the conversation: the message opens a new one instead.
          startOver();
        } else if (frame.status < 500 && frame.status !== 429) {
          state.outbox = state.outbox.filter(function (item) { return item.client_id !== frame.client_id; });
          save(); render();
        }
        break;
      case "conversation":
        if (frame.conversation && frame.conversation.id === state.conversationId) {
          if (frame.conversation.status === "closed") { startOver(); break; }
          var resolved = frame.conversation.status === "resolved";
          if (resolved !== !!state.resolved) { state.resolved = resolved; save(); render(); }
        }
        break;
      case "typing":
        if (frame.who && frame.who.kind === "agent") {
          if (frame.who.name) { state.agentName = frame.who.name; }
          typingLine.textContent = frame.typing ? T.typing : "";
          render();
        }
        break;
      case "read":
        if (frame.who && frame.who.kind === "agent") {
          state.agentRead = Math.max(state.agentRead, frame.seq);
          if (frame.who.name) state.agentName = frame.who.name;
          save(); render();
        }
        break;
      case "error":
        if (frame.status === 401) { state.token = null; save(); }
        if (frame.status === 404) {
          // The conversation is not ours any more (a new anonymous session): start afresh.
          state.conversationId = null; state.messages = {}; save(); render();
        }
        break;
    }
  }

  // A closed conversation takes no more messages: the next one (still in the outbox) starts a new one.
  function startOver() {
    if (socket && state.conversationId) socket.send(JSON.stringify({ type: "unsubscribe", conversation_id: state.conversationId }));
    state.conversationId = null;
    state.messages = {};
    state.agentRead = 0;
    subscribed = false;
    save();
    render();
    createConversation();
  }

  function markRead() {
    if (socket && subscribed && panel.classList.contains("open") && document.visibilityState === "visible") {
      socket.send(JSON.stringify({ type: "read", conversation_id: state.conversationId, seq: maxSeq() }));
    }
  }

  // A silent connection is a dead one: ping, and reconnect when nothing comes back.
  setInterval(function () {
    if (!socket || socket.readyState !== 1) return;
    if (Date.now() - lastHeard > 60000) { socket.close(); return; }
    socket.send(JSON.stringify({ type: "ping" }));
  }, 25000);
  window.addEventListener("online", function () { if (!socket) { backoff = 1000; connect(); } });
  document.addEventListener("visibilitychange", markRead);

  // ---- user actions ------------------------------------------------------------------
  var typingSent = 0, typingTimer = null;
  input.addEventListener("input", function () {
    if (!socket || !subscribed) return;
    var now = Date.now();
    if (now - typingSent > 3000) {
      socket.send(JSON.stringify({ type: "typing", conversation_id: state.conversationId, typing: true }));
      typingSent = now;
    }
    clearTimeout(typingTimer);
    typingTimer = setTimeout(function () {
      if (socket && subscribed) socket.send(JSON.stringify({ type: "typing", conversation_id: state.conversationId, typing: false }));
      typingSent = 0;
    }, 4000);
  });
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) { event.preventDefault(); $("form").requestSubmit(); }
  });
  $("form").addEventListener("submit", function (event) {
    event.preventDefault();
    var body = input.value.trim();
    if (!body) return;
    input.value = "";
    suggestBox.classList.remove("show");
    state.outbox.push({ client_id: newClientId(), body: body });
    save();
    render();
    if (state.conversationId) { flushOutbox(); } else { createConversation(); }
  });
  // Images: checked here for a quick answer, and again by the server, which decides.
  function flash(text) {
    statusLine.textContent = text;
    statusLine.classList.add("show");
    setTimeout(function () { statusLine.classList.remove("show"); }, 4000);
  }
  function whenConversation() {
    if (state.conversationId) return Promise.resolve(state.conversationId);
    state.outbox.push({ client_id: newClientId(), body: T.imageBody });
    save(); render(); createConversation();
    return new Promise(function (resolve) {
      var wait = setInterval(function () { if (state.conversationId) { clearInterval(wait); resolve(state.conversationId); } }, 100);
    });
  }
  $(".attach").addEventListener("click", function () { $(".file").click(); });
  $(".file").addEventListener("change", function () {
    var file = $(".file").files[0];
    $(".file").value = "";
    if (!file) return;
    if (!/^image\/(png|jpeg|gif|webp)$/.test(file.type)) { flash(T.badImage); return; }
    if (file.size > 5 * 1024 * 1024) { flash(T.tooBig); return; }
    whenConversation().then(function (conversationId) {
      return ensureSession().then(function (token) {
        return fetch(base + "/api/v1/conversations/" + conversationId + "/attachments",
          { method: "POST", headers: { authorization: "Bearer " + token, "content-type": file.type }, body: file });
      });
    }).then(function (response) {
      return response.json().then(function (json) {
        if (!response.ok) throw new Error(json.detail || response.statusText);
        state.outbox.push({ client_id: newClientId(), body: "", attachment_id: json.id });
        save(); render(); flushOutbox();
      });
    }).catch(function (error) { flash(error.message); });
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
  $(".launcher").addEventListener("click", function () { if (panel.classList.contains("open")) panel.classList.remove("open"); else open(); });
  $(".close").addEventListener("click", function () { panel.classList.remove("open"); showUnread(); });
  // "Talk to a person": the same words the assistant hands over on, sent like any message.
  $(".human").addEventListener("click", function () {
    state.outbox.push({ client_id: newClientId(), body: T.humanText });
    save(); render();
    if (state.conversationId) flushOutbox(); else createConversation();
  });

  render();
  // A conversation in progress reconnects at once, so nothing waits for a click.
  if (state.conversationId || state.outbox.length) {
    if (state.conversationId) connect(); else createConversation();
  }
})();
