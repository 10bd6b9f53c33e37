// EduDesk agent console: plain ES module, no build step. Talks to the REST API with the
// session cookie (+ CSRF header on writes) and to the realtime socket (docs/realtime.md).

const I18N = {
  zh: {
    signIn: "登录", email: "邮箱", password: "密码", wrong: "邮箱或密码错误", logout: "退出",
    merge: "合并联系人", mergeFrom: "另一个联系人 #", channels: "渠道", newChannel: "新建渠道", enabled: "启用", settingsJson: "设置（JSON）",
    secretSet: "已设置（留空则不变）", secretUnset: "未设置", webhook: "回调地址",
    callRinging: "来电", callAnswered: "通话中", line: "线路", openCall: "打开会话",
    kb: "知识库", inbox: "会话", newArticle: "新建文章", kbFilter: "筛选标题…", title: "标题", category: "分类", body: "正文（Markdown）",
    questions: "相似问法（每行一个）", tags: "标签（逗号分隔）", visibility: "可见性", lang: "语言", versions: "历史版本", preview: "在帮助中心查看",
    vis: { draft: "草稿", published: "已发布", internal: "内部" }, toWrite: "无结果的搜索（待写文章）", topSearches: "热门搜索", deflections: "自助解决次数",
    toDraft: "转为知识库草稿", drafted: "已生成草稿", articleId: "文章 ID（字母、数字、-）",
    mine: "我的", unassigned: "未分配", tier: "本层级", all: "全部", team: "团队",
    online: "在线", away: "离开", offline: "离线", pick: "请选择左侧的会话",
    status: { open: "处理中", pending: "等待学员", resolved: "已解决", closed: "已关闭" },
    priority: { low: "低", normal: "普通", high: "高", urgent: "紧急" },
    assign: "分配给", nobody: "未分配", takeIt: "我来处理", send: "发送", attach: "附加文件", download: "下载", note: "内部备注", canned: "快捷回复…",
    learner: "学员", identities: "身份", attributes: "属性", history: "历史会话", typing: "学员正在输入…",
    reconnecting: "连接已断开，正在重连…", tierLabel: "层级", you: "我", bot: "机器人", system: "系统",
    queues: "队列", waiting: "等待", longest: "最长等待", tasks: "待办", done: "完成", escalate: "升级", escalateTo: "升级到层级", reason: "原因（必填）",
    firstDue: "首次响应截止", resolutionDue: "解决截止", breached: "已超时", warned: "即将超时", paused: "等待学员（计时暂停）",
    sop: "SOP 流程", startSop: "选择 SOP…", insert: "插入回复", next: "完成此步", saveNext: "保存并继续", handOver: "转交", missing: "待完成",
    followUpLater: "解决后自动安排回访", sopDone: "流程已完成", editSop: "编辑 SOP", save: "保存为新版本", cancel: "取消", saved: "已保存版本",
  },
  en: {
    signIn: "Sign in", email: "Email", password: "Password", wrong: "Wrong email or password", logout: "Sign out",
    merge: "Merge contacts", mergeFrom: "other contact #", channels: "Channels", newChannel: "New channel", enabled: "Enabled", settingsJson: "Settings (JSON)",
    secretSet: "set (leave empty to keep)", secretUnset: "not set", webhook: "Webhook",
    callRinging: "Incoming call", callAnswered: "On the phone", line: "line", openCall: "Open conversation",
    kb: "Knowledge base", inbox: "Inbox", newArticle: "New article", kbFilter: "Filter titles…", title: "Title", category: "Category", body: "Body (Markdown)",
    questions: "Alternative questions (one per line)", tags: "Tags (comma-separated)", visibility: "Visibility", lang: "Language", versions: "Versions", preview: "View in the help centre",
    vis: { draft: "Draft", published: "Published", internal: "Internal" }, toWrite: "Searches without results (articles to write)", topSearches: "Top searches", deflections: "Self-service deflections",
    toDraft: "Turn into a KB draft", drafted: "Draft created", articleId: "Article id (letters, digits, -)",
    mine: "Mine", unassigned: "Unassigned", tier: "My tier", all: "All", team: "Team",
    online: "Online", away: "Away", offline: "Offline", pick: "Pick a conversation on the left",
    status: { open: "Open", pending: "Pending", resolved: "Resolved", closed: "Closed" },
    priority: { low: "Low", normal: "Normal", high: "High", urgent: "Urgent" },
    assign: "Assign to", nobody: "Nobody", takeIt: "Take it", send: "Send", attach: "Attach a file", download: "Download", note: "Internal note", canned: "Canned reply…",
    learner: "Learner", identities: "Identities", attributes: "Attributes", history: "Past conversations", typing: "Learner is typing…",
    reconnecting: "Connection lost, reconnecting…", tierLabel: "Tier", you: "Me", bot: "Bot", system: "System",
    queues: "Queues", waiting: "waiting", longest: "longest wait", tasks: "Tasks", done: "Done", escalate: "Escalate", escalateTo: "Escalate to tier", reason: "Reason (required)",
    firstDue: "First response due", resolutionDue: "Resolution due", breached: "breached", warned: "due soon", paused: "Waiting on the learner (clock paused)",
    sop: "SOP", startSop: "Choose a SOP…", insert: "Insert as reply", next: "Step done", saveNext: "Save and continue", handOver: "Hand over to", missing: "To do",
    followUpLater: "A follow-up is scheduled when resolved", sopDone: "SOP finished", editSop: "Edit SOP", save: "Save as a new version", cancel: "Cancel", saved: "Saved version",
  },
};

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

const app = document.getElementById("app");
let lang = localStorage.getItem("edudesk.lang") || (document.documentElement.lang.startsWith("zh") ? "zh" : "en");
let t = I18N[lang];
const state = { mode: "inbox", me: null, users: [], lists: {}, view: "tier", open: null, messages: new Map(), outbox: [], contact: null, socket: null, subscribed: false };

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (value !== undefined && value !== null && value !== false) node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) if (child !== null && child !== undefined) node.append(child.nodeType ? child : String(child));
  return node;
}

function cookie(name) {
  return document.cookie.split("; ").find((part) => part.startsWith(name + "="))?.slice(name.length + 1);
}

async function api(method, path, body) {
  const headers = { "content-type": "application/json" };
  if (method !== "GET") headers["x-csrf-token"] = cookie("edudesk_csrf") || "";
  const response = await fetch("/api/v1" + path, { method, headers, credentials: "same-origin", body: body ? JSON.stringify(body) : undefined });
  const json = response.status === 204 ? null : await response.json().catch(() => null);
  if (!response.ok) throw Object.assign(new Error(json?.detail || response.statusText), { status: response.status });
  return json;
}

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
    const me = await api("GET", "/auth/me");
    if (me.kind !== "staff") return renderLogin();
    state.me = me.user;
  } catch (e) {
    return renderLogin();
  }
  if (state.me.presence === "offline") state.me = await api("PUT", "/presence", { presence: "online" });
  renderShell();
  connect();
  await Promise.all([refreshLists(), refreshTeam()]);
}

// ---- layout ----------------------------------------------------------------------------
const VIEWS = () => {
  const views = [["mine", "?assignee=me"], ["unassigned", "?assignee=none"], ["tier", `?tier=${state.me.tier}`]];
  if (state.me.role !== "agent") views.push(["all", ""]);
  return views;
};

function renderShell() {
  const presence = el("select", { id: "presence", onchange: async (e) => { state.me = await api("PUT", "/presence", { presence: e.target.value }); refreshTeam(); } },
    ...["online", "away", "offline"].map((p) => el("option", { value: p, selected: state.me.presence === p }, t[p])));
  const language = el("button", { id: "lang", onclick: () => { lang = lang === "zh" ? "en" : "zh"; localStorage.setItem("edudesk.lang", lang); t = I18N[lang]; renderShell(); renderLists(); renderConversation(); refreshTeam(); } }, lang === "zh" ? "EN" : "中文");
  const channelsButton = state.me.role === "admin" ? el("button", { id: "channels-toggle", onclick: () => { state.mode = state.mode === "channels" ? "inbox" : "channels"; renderShell(); if (state.mode === "channels") renderChannels(); else { renderLists(); renderConversation(); refreshTeam(); } } },
    state.mode === "channels" ? t.inbox : t.channels) : null;
  const kbButton = el("button", { id: "kb-toggle", onclick: () => { state.mode = state.mode === "kb" ? "inbox" : "kb"; renderShell(); if (state.mode === "kb") renderKb(); else { renderLists(); renderConversation(); refreshTeam(); } } },
    state.mode === "kb" ? t.inbox : t.kb);
  const logout = el("button", { id: "logout", onclick: async () => { await api("POST", "/auth/logout"); state.socket?.close(); location.reload(); } }, t.logout);
  app.replaceChildren(
    el("div", { class: "topbar" }, el("span", { class: "brand" }, "EduDesk"), el("span", { id: "me" }, `${state.me.display_name} · ${t.tierLabel} ${state.me.tier}`), kbButton, channelsButton, presence, language, logout),
    el("div", { class: "offline-banner", id: "offline" }, t.reconnecting),
    el("div", { class: "calls", id: "calls" }),
    el("div", { class: "layout" },
      el("nav", { class: "sidebar" }, el("div", { class: "views", id: "views" }), el("div", { id: "list" }),
        el("h3", { class: "team" }, t.queues), el("ul", { class: "team", id: "queues" }),
        el("h3", { class: "team" }, t.tasks), el("ul", { class: "team", id: "tasks" }),
        el("h3", { class: "team" }, t.team), el("ul", { class: "team", id: "team" })),
      el("section", { class: "main", id: "conversation" }, el("p", { class: "placeholder" }, t.pick)),
      el("aside", { class: "side" }, el("div", { class: "profile", id: "sop-panel" }), el("div", { class: "profile", id: "profile" }))));
}

async function refreshQueues() {
  const [queues, tasks] = await Promise.all([api("GET", "/queues"), api("GET", "/tasks?assignee=me")]);
  document.getElementById("queues")?.replaceChildren(...queues.map((q) => el("li", { "data-tier": q.tier },
    el("span", {}, `T${q.tier}: ${q.waiting} ${t.waiting}`), el("span", {}, `${t.longest} ${Math.round(q.longest_wait_seconds / 60)}m · ${q.free_capacity}/${q.agents_online}`))));
  document.getElementById("tasks")?.replaceChildren(...tasks.map((task) => el("li", { "data-task": task.id },
    el("a", { href: "#", onclick: (e) => { e.preventDefault(); openConversation(task.conversation_id); } }, `#${task.conversation_id} ${task.title}`),
    el("button", { onclick: async () => { await api("POST", `/tasks/${task.id}/done`); refreshQueues(); } }, t.done))));
}

async function refreshLists() {
  refreshQueues().catch(() => {});
  const results = await Promise.all(VIEWS().map(([name, query]) => api("GET", "/conversations" + query + (query ? "&" : "?") + "limit=200").then((list) => [name, list])));
  for (const [name, list] of results) state.lists[name] = list.filter((c) => c.status !== "closed");
  renderLists();
}

let refreshTimer = null;
function scheduleRefresh() {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(refreshLists, 250);
}

function renderLists() {
  const views = document.getElementById("views");
  // The knowledge base and channel screens own the sidebar while they are open.
  if (!views || state.mode !== "inbox") return;
  views.replaceChildren(...VIEWS().map(([name]) => el("button", { class: "view" + (state.view === name ? " active" : ""), "data-view": name, onclick: () => { state.view = name; renderLists(); } },
    t[name], el("span", { class: "count" }, state.lists[name]?.length ?? 0))));
  const list = state.lists[state.view] || [];
  document.getElementById("list").replaceChildren(...list.map((c) => el("div", { class: "conv-item" + (state.open?.id === c.id ? " active" : ""), "data-id": c.id, onclick: () => openConversation(c.id) },
    el("div", { class: "line" }, el("span", { class: "subject" }, (c.bot_active ? `[${t.bot}] ` : "") + (c.subject || `#${c.id}`)), el("span", { class: "badge " + c.priority }, t.priority[c.priority])),
    el("div", { class: "line" }, el("span", {}, `#${c.id} · ${c.channel} · T${c.tier}`), el("span", { class: "badge " + c.status }, t.status[c.status])))));
}

async function refreshTeam() {
  state.users = await api("GET", "/users");
  const team = document.getElementById("team");
  if (!team) return;
  team.replaceChildren(...state.users.filter((u) => u.active).map((u) => el("li", { "data-user": u.id },
    el("span", {}, el("span", { class: "dot " + u.presence }), `${u.display_name} (T${u.tier})`), el("span", { title: "open / max" }, `${u.open_conversations}/${u.max_concurrent}`))));
}

// ---- channels (admins): settings, write-only secrets ------------------------------------
const CHANNEL_SECRETS = { wechat: ["token", "app_secret"], social: ["secret"], sms: ["webhook_secret", "api_key"], cti: ["token"], email: ["password"] };

async function renderChannels(selected, message) {
  const list = document.getElementById("list");
  if (!list) return;
  const channels = await api("GET", "/channels");
  document.getElementById("views")?.replaceChildren(el("button", { class: "view active", id: "channel-new", onclick: () => editChannel(null) }, t.newChannel));
  list.replaceChildren(...channels.map((c) => el("div", { class: "conv-item" + (selected === `${c.kind}/${c.name}` ? " active" : ""), "data-channel": `${c.kind}/${c.name}`, onclick: () => editChannel(c) },
    el("div", { class: "line" }, el("span", { class: "subject" }, `${c.kind} / ${c.name}`), el("span", { class: "badge " + (c.enabled ? "open" : "closed") }, c.enabled ? t.enabled : "—")),
    el("div", { class: "line" }, el("span", {}, c.webhook_path)))));
  document.getElementById("sop-panel")?.replaceChildren();
  document.getElementById("profile")?.replaceChildren();
  document.getElementById("conversation").replaceChildren(el("p", { class: "placeholder" }, t.pick));
  if (selected) editChannel(channels.find((c) => `${c.kind}/${c.name}` === selected) || null, message);
}

function editChannel(channel, message = "") {
  const pane = document.getElementById("conversation");
  const c = channel || { kind: "wechat", name: "", enabled: true, settings: {}, secrets_set: [] };
  const kind = el("select", { id: "channel-kind", disabled: channel ? true : null }, ...Object.keys(CHANNEL_SECRETS).map((k) => el("option", { value: k, selected: c.kind === k }, k)));
  const name = el("input", { id: "channel-name", value: c.name, disabled: channel ? true : null });
  const enabled = el("input", { id: "channel-enabled", type: "checkbox", checked: c.enabled ? true : null });
  const settings = el("textarea", { id: "channel-settings", rows: 8, style: "width:100%;font-family:monospace" });
  settings.value = JSON.stringify(c.settings || {}, null, 2);
  const secretsBox = el("div", { id: "channel-secrets" });
  const fillSecrets = () => secretsBox.replaceChildren(...CHANNEL_SECRETS[kind.value].map((secret) => el("label", { style: "display:block;margin:6px 0" }, `${secret}: `,
    el("input", { type: "password", "data-secret": secret, autocomplete: "off", placeholder: c.secrets_set.includes(secret) ? t.secretSet : t.secretUnset }))));
  kind.addEventListener("change", fillSecrets);
  fillSecrets();
  const status = el("p", { id: "channel-status", class: "missing" }, message);
  const save = el("button", { class: "primary", id: "channel-save", onclick: async () => {
    try {
      const secrets = {};
      for (const input of secretsBox.querySelectorAll("input[data-secret]")) if (input.value) secrets[input.dataset.secret] = input.value;
      const saved = await api("PUT", `/channels/${kind.value}/${encodeURIComponent(name.value.trim())}`, { enabled: enabled.checked, settings: JSON.parse(settings.value || "{}"), secrets });
      renderChannels(`${saved.kind}/${saved.name}`, `${t.saved}: ${saved.kind}/${saved.name}`);
    } catch (error) { status.textContent = error.message; }
  } }, t.save);
  pane.replaceChildren(el("h2", {}, channel ? `${c.kind} / ${c.name}` : t.newChannel),
    el("label", {}, "kind ", kind), " ", el("label", {}, "name ", name), " ", el("label", {}, enabled, ` ${t.enabled}`),
    el("p", {}, `${t.webhook}: ${c.webhook_path || "—"}`), el("label", {}, t.settingsJson, el("br"), settings), secretsBox, save, status);
}

// ---- knowledge base: list, edit with versions, search analytics ---------------------------
async function renderKb(selectedId, message) {
  const list = document.getElementById("list");
  const pane = document.getElementById("conversation");
  const side = document.getElementById("profile");
  if (!list || !pane) return;
  const articles = await api("GET", "/kb/articles");
  document.getElementById("views")?.replaceChildren(el("button", { class: "view active", id: "kb-new", onclick: () => editArticle(null) }, t.newArticle));
  const filter = el("input", { id: "kb-filter", placeholder: t.kbFilter, style: "width:100%;margin:6px 0" });
  const items = el("div", { id: "kb-list" });
  const fill = () => items.replaceChildren(...articles.filter((a) => !filter.value || (a.title + a.id).toLowerCase().includes(filter.value.toLowerCase())).map((a) =>
    el("div", { class: "conv-item" + (a.id === selectedId ? " active" : ""), "data-article": a.id, onclick: () => editArticle(a) },
      el("div", { class: "line" }, el("span", { class: "subject" }, a.title), el("span", { class: "badge " + a.visibility }, t.vis[a.visibility])),
      el("div", { class: "line" }, el("span", {}, `${a.id} · ${a.lang} · v${a.version}`), el("span", {}, `👁 ${a.views} · 👍 ${a.helpful_yes} · 👎 ${a.helpful_no}`)))));
  filter.addEventListener("input", fill);
  fill();
  list.replaceChildren(filter, items);
  pane.replaceChildren(el("p", { class: "placeholder" }, t.pick));
  document.getElementById("sop-panel")?.replaceChildren();
  try {
    const stats = await api("GET", "/kb/search-stats");
    side?.replaceChildren(el("h3", {}, t.toWrite), el("ul", { id: "kb-zero" }, ...stats.zero_result_queries.map((q) => el("li", {}, `${q.query} (${q.searches})`))),
      el("h3", {}, t.topSearches), el("ul", { id: "kb-top" }, ...stats.top_queries.map((q) => el("li", {}, `${q.query} (${q.searches}, ${q.results})`))),
      el("p", {}, `${t.deflections}: ${stats.deflections}`));
  } catch (error) { side?.replaceChildren(); }
  if (selectedId) editArticle(articles.find((a) => a.id === selectedId) || null, message);
}

async function editArticle(article, message = "") {
  const pane = document.getElementById("conversation");
  const a = article || { id: "", lang, category: "", title: "", body: "", questions: [], tags: [], visibility: "draft", version: 0 };
  const field = (label, node) => el("label", { class: "question", style: "display:block;margin:6px 0" }, label, el("br"), node);
  const id = el("input", { id: "kb-id", value: a.id, placeholder: t.articleId, disabled: article ? true : null, style: "width:100%" });
  const language = el("select", { id: "kb-lang" }, ...["zh", "en"].map((l) => el("option", { value: l, selected: a.lang === l }, l)));
  const category = el("input", { id: "kb-category", value: a.category, style: "width:100%" });
  const title = el("input", { id: "kb-title", value: a.title, style: "width:100%" });
  const body = el("textarea", { id: "kb-body", rows: 14, style: "width:100%;font-family:monospace" });
  body.value = a.body;
  const questions = el("textarea", { id: "kb-questions", rows: 4, style: "width:100%" });
  questions.value = a.questions.join("\n");
  const tags = el("input", { id: "kb-tags", value: a.tags.join(", "), style: "width:100%" });
  const visibility = el("select", { id: "kb-visibility" }, ...["draft", "published", "internal"].map((v) => el("option", { value: v, selected: a.visibility === v }, t.vis[v])));
  const status = el("p", { id: "kb-status", class: "missing" }, message);
  const save = el("button", { class: "primary", id: "kb-save", onclick: async () => {
    const input = { id: id.value.trim(), lang: language.value, category: category.value.trim(), title: title.value.trim(), body: body.value,
      questions: questions.value.split("\n").map((q) => q.trim()).filter(Boolean), tags: tags.value.split(/[,，]/).map((x) => x.trim()).filter(Boolean), visibility: visibility.value };
    try {
      const saved = await api("PUT", `/kb/articles/${encodeURIComponent(input.id)}`, input);
      renderKb(saved.id, `${t.saved} ${saved.version}`);
    } catch (error) { status.textContent = error.message; }
  } }, t.save);
  const children = [el("h2", {}, article ? `${a.title} · v${a.version}` : t.newArticle), field("ID", id), field(t.lang, language), field(t.category, category), field(t.title, title),
    field(t.body, body), field(t.questions, questions), field(t.tags, tags), field(t.visibility, visibility), save, status];
  if (article) {
    children.push(el("a", { href: `/help/articles/${encodeURIComponent(a.id)}?lang=${a.lang}`, target: "_blank", id: "kb-preview" }, t.preview));
    const versions = await api("GET", `/kb/articles/${encodeURIComponent(a.id)}/versions`).catch(() => []);
    children.push(el("h3", {}, t.versions), el("ol", { id: "kb-versions" }, ...versions.map((v) => el("li", {}, `v${v.version} · ${v.article?.title ?? ""}`))));
  }
  pane.replaceChildren(...children);
}

// ---- one conversation ------------------------------------------------------------------
async function openConversation(id) {
  if (state.mode !== "inbox") {
    // A pop-up or link from another screen: back to the inbox first.
    state.mode = "inbox";
    renderShell();
    refreshLists().catch(() => {});
    refreshTeam().catch(() => {});
  }
  if (state.open && state.socket?.readyState === WebSocket.OPEN) state.socket.send(JSON.stringify({ type: "unsubscribe", conversation_id: state.open.id }));
  state.open = await api("GET", `/conversations/${id}`);
  state.messages = new Map();
  state.contact = null;
  renderLists();
  renderConversation();
  subscribe();
  const [contact, history] = await Promise.all([api("GET", `/contacts/${state.open.contact_id}`), api("GET", `/conversations?contact_id=${state.open.contact_id}&limit=20`)]);
  state.contact = contact;
  renderProfile(history);
}

function renderConversation() {
  const pane = document.getElementById("conversation");
  if (!pane || !state.open) return;
  const c = state.open;
  const select = (id, values, current, labels, onchange) => el("select", { id, onchange }, ...values.map((v) => el("option", { value: v, selected: v === current }, labels[v] ?? v)));
  const change = (field) => async (e) => {
    const value = field === "assignee_id" ? (e.target.value ? Number(e.target.value) : null) : e.target.value;
    try { state.open = await api("PATCH", `/conversations/${c.id}`, { [field]: value }); } catch (error) { alert(error.message); }
    renderConversation();
    scheduleRefresh();
    refreshTeam();
  };
  const assignees = ["", ...state.users.filter((u) => u.active).map((u) => String(u.id))];
  const names = Object.fromEntries([["", t.nobody], ...state.users.map((u) => [String(u.id), `${u.display_name} (T${u.tier}, ${u.open_conversations}/${u.max_concurrent})`])]);
  const canned = el("select", { id: "canned", onchange: (e) => { if (e.target.value !== "") insertCanned(Number(e.target.value)); e.target.value = ""; } },
    el("option", { value: "" }, t.canned), ...CANNED[lang].map((text, i) => el("option", { value: i }, text.slice(0, 28) + "…")));
  const input = el("textarea", { id: "composer-input", oninput: sendTyping });
  input.addEventListener("keydown", (e) => { if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) send(); });
  renderSop().catch(() => {});
  pane.replaceChildren(
    el("div", { class: "conv-header" }, el("h2", { id: "conv-title" }, c.subject || `#${c.id}`),
      select("status", ["open", "pending", "resolved", "closed"], c.status, t.status, change("status")),
      select("priority", ["low", "normal", "high", "urgent"], c.priority, t.priority, change("priority")),
      el("label", {}, t.assign, " ", select("assignee", assignees, c.assignee_id ? String(c.assignee_id) : "", names, change("assignee_id"))),
      el("button", { id: "take", onclick: () => change("assignee_id")({ target: { value: String(state.me.id) } }) }, t.takeIt),
      el("button", { id: "escalate", onclick: escalate }, t.escalate),
      ["resolved", "closed"].includes(c.status) ? el("button", { id: "to-draft", onclick: async () => {
        try { const draft = await api("POST", `/conversations/${c.id}/article`); state.mode = "kb"; renderShell(); renderKb(draft.id); } catch (error) { alert(error.message); }
      } }, t.toDraft) : null,
      el("div", { class: "sla", id: "sla" }, ...slaLine(c))),
    el("div", { class: "messages", id: "messages" }),
    el("div", { class: "typing", id: "typing" }),
    el("div", { class: "composer" }, input,
      el("div", { class: "row" }, el("label", { class: "grow" }, el("input", { type: "checkbox", id: "internal" }), " ", t.note), canned,
        el("label", { class: "attach", title: t.attach }, "📎 ", el("input", { type: "file", id: "composer-file", "aria-label": t.attach })),
        el("button", { class: "primary", id: "composer-send", onclick: send }, t.send))));
  renderMessages();
}

function slaLine(c) {
  const time = (iso) => iso ? new Date(iso).toLocaleString(lang === "zh" ? "zh-CN" : "en", { month: "numeric", day: "numeric", hour: "2-digit", minute: "2-digit" }) : "–";
  const badge = (target) => c.sla.breached.includes(target) ? el("span", { class: "badge urgent" }, t.breached) : c.sla.warned.includes(target) ? el("span", { class: "badge pending" }, t.warned) : null;
  const parts = [`T${c.tier} · `];
  if (!c.first_response_at) parts.push(`${t.firstDue} ${time(c.sla.first_response_due_at)} `, badge("first_response"), " · ");
  parts.push(`${t.resolutionDue} ${time(c.sla.resolution_due_at)} `, badge("resolution"));
  if (c.sla.paused) parts.push(" · ", t.paused);
  return parts;
}

async function escalate() {
  const to = prompt(t.escalateTo, String(Math.min(3, state.open.tier + 1)));
  if (!to) return;
  const reason = prompt(t.reason, "");
  if (!reason) return;
  try { state.open = await api("POST", `/conversations/${state.open.id}/escalate`, { to_tier: Number(to), reason }); } catch (error) { alert(error.message); }
  renderConversation();
  scheduleRefresh();
}

// ---- SOP ---------------------------------------------------------------------------------
async function renderSop() {
  const panel = document.getElementById("sop-panel");
  if (!panel || !state.open) return;
  if (!state.open.sop) {
    const sops = await api("GET", "/sops");
    const choose = el("select", { id: "sop-choose", onchange: async (e) => {
      if (!e.target.value) return;
      try { const view = await api("POST", `/conversations/${state.open.id}/sop`, { sop_id: e.target.value }); state.open = view.conversation; } catch (error) { alert(error.message); }
      renderSop();
    } }, el("option", { value: "" }, t.startSop), ...sops.map((s) => el("option", { value: s.id }, typeof s.title === "string" ? s.title : s.title[lang])));
    panel.replaceChildren(el("h3", {}, t.sop), choose);
    return;
  }
  const view = await api("GET", `/conversations/${state.open.id}/sop`);
  const title = (x) => typeof x === "string" ? x : x[lang];
  const step = view.step;
  const send = async (body) => {
    try { const next = await api("POST", `/conversations/${state.open.id}/sop/answers`, body); state.open = next.conversation; } catch (error) { alert(error.message); }
    renderConversation();
  };
  const children = [el("h3", {}, `${t.sop}: ${title(view.title)}`)];
  if (!step) {
    children.push(el("p", {}, t.sopDone));
  } else {
    children.push(el("div", { id: "sop-step", "data-step-id": step.id, "data-kind": step.kind }, el("strong", {}, title(step.title)), step.mandatory ? " *" : ""));
    if (step.kind === "say") {
      children.push(el("p", { class: "script", id: "sop-script" }, step.script),
        el("button", { id: "sop-insert", onclick: () => { const input = document.getElementById("composer-input"); input.value = step.script; input.focus(); } }, t.insert),
        el("button", { id: "sop-advance", onclick: () => send({ advance: true }) }, t.next));
    } else if (step.kind === "ask") {
      const form = el("form", { id: "sop-form" }, ...step.questions.map((q) => el("label", { class: "question" }, title(q.label), " ",
        q.type === "text" ? el("input", { name: `q-${q.id}`, value: view.answers[q.id] || "" })
          : el("select", { name: `q-${q.id}` }, el("option", { value: "" }, "—"),
            ...(q.type === "yes_no" ? ["yes", "no"] : q.options).map((o) => el("option", { value: o, selected: view.answers[q.id] === o }, o))))));
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
        el("button", { id: "sop-insert", onclick: () => { const input = document.getElementById("composer-input"); input.value = step.guide.map((line, i) => `${i + 1}. ${line}`).join("\n"); } }, t.insert),
        el("button", { id: "sop-advance", onclick: () => send({ advance: true }) }, t.next));
    } else if (step.kind === "escalate") {
      children.push(el("button", { class: "primary", id: "sop-advance", onclick: () => send({ advance: true }) }, `${t.handOver} T${step.to_tier}`));
    } else if (step.kind === "follow_up") {
      children.push(el("p", { id: "sop-follow-up" }, t.followUpLater));
    }
  }
  if (view.missing.length) children.push(el("p", { class: "missing", id: "sop-missing" }, `${t.missing}: ${view.missing.join(", ")}`));
  if (state.me.role !== "agent") children.push(el("button", { id: "sop-edit", onclick: () => editSop(view.sop_id) }, t.editSop));
  panel.replaceChildren(...children);
}

// Supervisors edit a SOP as JSON; saving makes a new version (running conversations keep theirs).
async function editSop(id) {
  const panel = document.getElementById("sop-panel");
  const sop = (await api("GET", "/sops")).find((s) => s.id === id);
  if (!panel || !sop) return;
  const text = el("textarea", { id: "sop-json", rows: 24, style: "width:100%;font-family:monospace;font-size:12px" });
  text.value = JSON.stringify(sop, null, 2);
  const status = el("p", { class: "missing" });
  panel.replaceChildren(el("h3", {}, `${t.editSop}: ${id} v${sop.version}`), text, status,
    el("button", { class: "primary", id: "sop-save", onclick: async () => {
      try {
        const saved = await api("PUT", `/sops/${id}`, JSON.parse(text.value));
        status.textContent = `${t.saved} ${saved.version}`;
      } catch (error) { status.textContent = error.message; }
    } }, t.save),
    el("button", { onclick: () => renderSop() }, t.cancel));
}

function insertCanned(index) {
  const name = state.contact?.display_name || (lang === "zh" ? "同学" : "there");
  const text = CANNED[lang][index].replaceAll("{{learner.name}}", name).replaceAll("{{agent.name}}", state.me.display_name);
  const input = document.getElementById("composer-input");
  input.value = input.value ? input.value + "\n" + text : text;
  input.focus();
}

function renderMessages() {
  const box = document.getElementById("messages");
  if (!box) return;
  const sorted = [...state.messages.values()].sort((a, b) => a.seq - b.seq);
  const who = (m) => m.author_kind === "contact" ? (state.contact?.display_name || t.learner)
    : m.author_kind === "agent" ? (m.author_user_id === state.me.id ? t.you : state.users.find((u) => u.id === m.author_user_id)?.display_name || "agent")
    : t[m.author_kind] || m.author_kind;
  box.replaceChildren(
    ...sorted.map((m) => el("div", { class: `msg ${m.author_kind}${m.internal ? " internal" : ""}`, "data-seq": m.seq }, el("div", { class: "who" }, `${who(m)} · #${m.seq}${m.internal ? " · " + t.note : ""}`),
      m.attachment_id ? attachmentView(m) : m.body)),
    ...state.outbox.filter((o) => o.conversation_id === state.open?.id).map((o) => el("div", { class: `msg agent pending${o.internal ? " internal" : ""}`, "data-client-id": o.client_id }, o.body)));
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

function renderProfile(history) {
  const profile = document.getElementById("profile");
  const contact = state.contact;
  if (!profile || !contact) return;
  const attributes = Object.entries(contact.attributes || {});
  profile.replaceChildren(
    el("h3", {}, t.learner), el("div", { id: "learner-name" }, contact.display_name || `#${contact.id}`),
    el("h3", {}, t.identities), el("dl", {}, ...contact.identities.flatMap((i) => [el("dt", {}, i.kind), el("dd", {}, i.value)])),
    el("h3", {}, t.attributes), el("dl", { id: "attributes" }, ...attributes.flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, String(v))])),
    el("h3", {}, t.history), el("ul", { id: "history" }, ...history.map((c) => el("li", {}, el("a", { href: "#", onclick: (e) => { e.preventDefault(); openConversation(c.id); } }, `#${c.id} ${c.channel} ${c.subject || ""}`), " ", el("span", { class: "badge " + c.status }, t.status[c.status])))),
    el("h3", {}, t.merge), el("div", {}, el("input", { id: "merge-from", type: "number", placeholder: t.mergeFrom, style: "width:8em" }), " ",
      el("button", { id: "merge", onclick: async () => {
        const from = Number(document.getElementById("merge-from").value);
        if (!from) return;
        try {
          state.contact = await api("POST", `/contacts/${contact.id}/merge`, { from });
          renderProfile(await api("GET", `/conversations?contact_id=${contact.id}&limit=20`));
        } catch (error) { alert(error.message); }
      } }, t.merge)));
}

// ---- realtime --------------------------------------------------------------------------
let backoff = 1000;
function connect() {
  const socket = new WebSocket(location.origin.replace(/^http/, "ws") + "/api/v1/ws");
  state.socket = socket;
  state.subscribed = false;
  socket.onmessage = (event) => onFrame(JSON.parse(event.data));
  socket.onclose = () => {
    state.socket = null;
    state.subscribed = false;
    document.getElementById("offline")?.classList.add("show");
    setTimeout(connect, backoff);
    backoff = Math.min(backoff * 2, 15000);
  };
}

function subscribe() {
  if (state.socket?.readyState === WebSocket.OPEN && state.open) {
    const after = Math.max(0, ...[...state.messages.keys()]);
    state.socket.send(JSON.stringify({ type: "subscribe", conversation_id: state.open.id, after_seq: after }));
  }
}

// Incoming calls pop up above everything with the caller and their recent conversations.
function showCall(popup) {
  const call = popup.call;
  const bar = document.getElementById("calls");
  if (!bar) return;
  bar.querySelector(`[data-call="${CSS.escape(call.call_id)}"]`)?.remove();
  if (call.state === "ended" || call.state === "missed") return;
  const item = el("div", { class: "call", "data-call": call.call_id, "data-state": call.state },
    el("strong", {}, `${call.state === "ringing" ? t.callRinging : t.callAnswered}: ${call.caller}`), " ",
    popup.contact_name ? `${popup.contact_name} · ` : "", `${t.line} ${call.line} `,
    el("button", { class: "primary", onclick: () => openConversation(call.conversation_id) }, t.openCall),
    el("span", { class: "recent" }, ...popup.recent.map((c) => el("a", { href: "#", onclick: (e) => { e.preventDefault(); openConversation(c.id); } }, ` #${c.id} ${c.channel} ${t.status[c.status]}`))),
    el("button", { onclick: () => item.remove() }, "×"));
  bar.append(item);
}

function onFrame(frame) {
  switch (frame.type) {
    case "call":
      showCall(frame.call);
      break;
    case "welcome":
      backoff = 1000;
      document.getElementById("offline")?.classList.remove("show");
      subscribe();
      scheduleRefresh();
      break;
    case "subscribed":
      state.subscribed = true;
      flushOutbox();
      markRead();
      break;
    case "message":
    case "ack":
      if (frame.message && frame.conversation_id === state.open?.id) {
        state.messages.set(frame.message.seq, frame.message);
        state.outbox = state.outbox.filter((o) => o.client_id !== frame.message.client_id);
        renderMessages();
        markRead();
      }
      if (frame.type === "message") scheduleRefresh();
      break;
    case "nack":
      state.outbox = state.outbox.filter((o) => o.client_id !== frame.client_id);
      renderMessages();
      alert(frame.detail);
      break;
    case "conversation":
      if (frame.conversation.id === state.open?.id) { state.open = frame.conversation; renderConversation(); }
      scheduleRefresh();
      break;
    case "typing":
      if (frame.conversation_id === state.open?.id && frame.who.kind === "contact") document.getElementById("typing").textContent = frame.typing ? t.typing : "";
      break;
    case "resync":
      scheduleRefresh();
      break;
  }
}

async function send() {
  const input = document.getElementById("composer-input");
  const picker = document.getElementById("composer-file");
  const file = picker?.files?.[0];
  let body = input.value.trim();
  if ((!body && !file) || !state.open) return;
  const internal = document.getElementById("internal").checked;
  let attachment_id = null;
  if (file) {
    // Uploaded first (raw bytes, its name in the query); the message then refers to it.
    const response = await fetch(`/api/v1/conversations/${state.open.id}/attachments?filename=${encodeURIComponent(file.name)}`, {
      method: "POST", credentials: "same-origin", body: file,
      headers: { "content-type": file.type || "application/octet-stream", "x-csrf-token": cookie("edudesk_csrf") || "" } });
    const json = await response.json().catch(() => null);
    if (!response.ok) { alert(json?.detail || response.statusText); return; }
    attachment_id = json.id;
    if (!body) body = `📎 ${file.name}`;
    picker.value = "";
  }
  state.outbox.push({ client_id: crypto.randomUUID(), conversation_id: state.open.id, body, internal, attachment_id });
  input.value = "";
  renderMessages();
  flushOutbox();
}

function flushOutbox() {
  if (!state.subscribed || state.socket?.readyState !== WebSocket.OPEN) return;
  for (const o of state.outbox) {
    state.socket.send(JSON.stringify({ type: "send", conversation_id: o.conversation_id, client_id: o.client_id, body: o.body, internal: o.internal, attachment_id: o.attachment_id ?? null }));
  }
}

function markRead() {
  if (state.subscribed && state.open && document.visibilityState === "visible" && state.messages.size) {
    state.socket.send(JSON.stringify({ type: "read", conversation_id: state.open.id, seq: Math.max(...state.messages.keys()) }));
  }
}

let typingSent = 0;
function sendTyping() {
  if (state.subscribed && Date.now() - typingSent > 3000) {
    typingSent = Date.now();
    state.socket.send(JSON.stringify({ type: "typing", conversation_id: state.open.id, typing: true }));
  }
}

document.addEventListener("visibilitychange", markRead);
boot();
