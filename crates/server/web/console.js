// EduDesk agent console: plain ES module, no build step. Talks to the REST API with the
// session cookie (+ CSRF header on writes) and to the realtime socket (docs/realtime.md).

const I18N = {
  zh: {
    signIn: "登录", email: "邮箱", password: "密码", wrong: "邮箱或密码错误", logout: "退出",
    merge: "合并联系人", mergeFrom: "另一个联系人 #", channels: "渠道", newChannel: "新建渠道", enabled: "启用", settingsJson: "设置（JSON）",
    secretSet: "已设置（留空则不变）", secretUnset: "未设置", webhook: "回调地址",
    callRinging: "来电", callAnswered: "通话中", line: "线路", openCall: "打开会话",
    kpis: "数据看板", show: "查看", nobody: "无人处理", csv: "导出 CSV", kpiChart: "图表",
    kpiGroups: { agent: "按客服", tier: "按层级", channel: "按渠道", category: "按分类", day: "按天", week: "按周", total: "合计" },
    kpiNames: { group: "分组", conversations: "会话量", handled: "人工处理", responded: "已响应", first_response_median_s: "首次响应（中位）", resolved: "已解决",
      resolution_rate: "解决率", resolution_median_s: "解决时长（中位）", one_touch_rate: "一次解决率", reopen_rate: "重开率", first_response_sla: "首响达标率", resolution_sla: "解决达标率" },
    kb: "知识库", inbox: "会话", newArticle: "新建文章", kbFilter: "筛选标题…", title: "标题", category: "分类", body: "正文（Markdown）",
    questions: "相似问法（每行一个）", tags: "标签（逗号分隔）", visibility: "可见性", lang: "语言", versions: "历史版本", preview: "在帮助中心查看",
    vis: { draft: "草稿", published: "已发布", internal: "内部" }, toWrite: "无结果的搜索（待写文章）", learned: "学到的问法（待采纳）", accept: "采纳", reject: "不采纳", noLearned: "暂无待处理的问法", accepted: "已采纳，机器人会用这篇文章回答这个问法", gaps: "没人能回答的问题（按话题）", nearest: "最接近", gapCount: (n, s, b) => `${n} 次（搜索 ${s}，机器人 ${b}）`, topSearches: "热门搜索", deflections: "自助解决次数",
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
    channelNames: { widget: "网页/App 聊天", email: "邮件", in_app: "App 反馈", wechat: "微信", social: "社交平台", sms: "短信", phone: "电话" },
    followUps: "待回访", due: "截止", waited: "已等待", minutes: "分钟", updated: "更新于", submit: "提交", note2: "补充说明（可选）",
    escalatedFrom: "从 T{from} 升级到 T{to}", escalatedBy: "处理人", reasonLabel: "原因", noteLabel: "备注", answersLabel: "SOP 回答", movedAway: "会话已转到 T{to}，不在你的层级内。",
    users: "用户", newUser: "新建用户", role: "角色", roles: { agent: "坐席", supervisor: "主管", admin: "管理员" }, skills: "技能（逗号分隔）", capacity: "同时处理上限",
    active: "启用", displayName: "姓名", newPassword: "密码（至少 12 位）", resetPassword: "新密码（留空不变）", teams: "团队（逗号分隔）",
    advancedJson: "高级：JSON", stepTitle: "步骤标题", stepText: "话术", mandatory: "必做", questionLabel: "问题",
    settingNames: { app_id: "AppID", api_base: "接口地址", welcome: "关注欢迎语", outbound_url: "回复推送地址", provider_url: "短信服务商地址", body_template: "请求体模板",
      sender: "发送方", lines: "热线号码 → 层级（JSON）", imap_host: "IMAP 主机", imap_port: "IMAP 端口", smtp_host: "SMTP 主机", smtp_port: "SMTP 端口", address: "邮箱地址",
      username: "登录名", smtp_username: "SMTP 登录名", poll_seconds: "轮询间隔（秒）" },
    optionLabels: { computer: "电脑", phone: "手机", tablet: "平板", tv: "电视", wifi: "Wi-Fi", mobile: "移动数据", wired: "有线网络", campus: "校园网", yes: "是", no: "否" },
  },
  en: {
    signIn: "Sign in", email: "Email", password: "Password", wrong: "Wrong email or password", logout: "Sign out",
    merge: "Merge contacts", mergeFrom: "other contact #", channels: "Channels", newChannel: "New channel", enabled: "Enabled", settingsJson: "Settings (JSON)",
    secretSet: "set (leave empty to keep)", secretUnset: "not set", webhook: "Webhook",
    callRinging: "Incoming call", callAnswered: "On the phone", line: "line", openCall: "Open conversation",
    kpis: "KPIs", show: "Show", nobody: "Nobody yet", csv: "Export CSV", kpiChart: "Chart",
    kpiGroups: { agent: "By agent", tier: "By tier", channel: "By channel", category: "By category", day: "By day", week: "By week", total: "Total" },
    kpiNames: { group: "Group", conversations: "Conversations", handled: "Handled by people", responded: "Responded", first_response_median_s: "First response (median)", resolved: "Resolved",
      resolution_rate: "Resolution rate", resolution_median_s: "Resolution time (median)", one_touch_rate: "One-touch", reopen_rate: "Reopened", first_response_sla: "First response SLA", resolution_sla: "Resolution SLA" },
    kb: "Knowledge base", inbox: "Inbox", newArticle: "New article", kbFilter: "Filter titles…", title: "Title", category: "Category", body: "Body (Markdown)",
    questions: "Alternative questions (one per line)", tags: "Tags (comma-separated)", visibility: "Visibility", lang: "Language", versions: "Versions", preview: "View in the help centre",
    vis: { draft: "Draft", published: "Published", internal: "Internal" }, toWrite: "Searches without results (articles to write)", learned: "Learned questions (to review)", accept: "Accept", reject: "Reject", noLearned: "Nothing to review", accepted: "Accepted: the bot now answers this wording with the article", gaps: "Questions nobody answered (by topic)", nearest: "closest", gapCount: (n, s, b) => `${n}× (searches ${s}, bot ${b})`, topSearches: "Top searches", deflections: "Self-service deflections",
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
    channelNames: { widget: "Web/app chat", email: "Email", in_app: "In-app feedback", wechat: "WeChat", social: "Social", sms: "SMS", phone: "Phone" },
    followUps: "Follow-ups", due: "due", waited: "waiting", minutes: "min", updated: "updated", submit: "Submit", note2: "Note (optional)",
    escalatedFrom: "Escalated from T{from} to T{to}", escalatedBy: "by", reasonLabel: "Reason", noteLabel: "Note", answersLabel: "SOP answers", movedAway: "The conversation moved to T{to}, outside your tier.",
    users: "Users", newUser: "New user", role: "Role", roles: { agent: "Agent", supervisor: "Supervisor", admin: "Admin" }, skills: "Skills (comma-separated)", capacity: "Concurrent limit",
    active: "Active", displayName: "Name", newPassword: "Password (12+ characters)", resetPassword: "New password (empty: unchanged)", teams: "Teams (comma-separated)",
    advancedJson: "Advanced: JSON", stepTitle: "Step title", stepText: "Script", mandatory: "Mandatory", questionLabel: "Question",
    settingNames: { app_id: "AppID", api_base: "API base URL", welcome: "Welcome message", outbound_url: "Outbound URL", provider_url: "SMS provider URL", body_template: "Body template",
      sender: "Sender", lines: "Hotline numbers → tier (JSON)", imap_host: "IMAP host", imap_port: "IMAP port", smtp_host: "SMTP host", smtp_port: "SMTP port", address: "Mailbox address",
      username: "Username", smtp_username: "SMTP username", poll_seconds: "Poll every (s)" },
    optionLabels: { computer: "Computer", phone: "Phone", tablet: "Tablet", tv: "TV", wifi: "Wi-Fi", mobile: "Mobile data", wired: "Wired", campus: "Campus network", yes: "Yes", no: "No" },
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
const state = { mode: "inbox", me: null, users: [], lists: {}, view: "tier", open: null, messages: new Map(), outbox: [], contact: null, socket: null, subscribed: false, sops: [], escalation: null, escalating: false };

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

// Messages for the agent appear in a toast in their language, never as a browser alert.
let toastTimer = null;
function toast(message, kind = "info") {
  document.querySelector(".toast")?.remove();
  const box = el("div", { class: "toast " + kind, role: "status", id: "toast" }, localiseIds(String(message)));
  document.body.append(box);
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => box.remove(), 6000);
}

// The server's SOP refusals list step and question ids ("questions.device"): the agent
// reads them as the SOP's own labels, in their language.
function localiseIds(text) {
  const match = /SOP.*:\s*([a-z0-9_.,\s-]+)$/i.exec(text);
  if (!match) return text;
  const items = match[1].split(",").map((item) => item.trim()).filter(Boolean).map((item) => { const [step, q] = item.split("."); return sopLabel(step, q) ?? item; });
  return `${t.missing}: ${items.join("、")}`;
}

function sopLabel(stepId, questionId) {
  const label = (x) => typeof x === "string" ? x : x?.[lang];
  for (const sop of state.sops || []) {
    const step = sop.steps?.find((s) => s.id === stepId);
    if (!step) continue;
    if (!questionId) return label(step.title);
    const question = step.questions?.find((q) => q.id === questionId);
    if (question) return `${label(step.title)} · ${label(question.label)}`;
  }
  return null;
}

const optionLabel = (value) => t.optionLabels[value] ?? value;

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
  state.sops = await api("GET", "/sops").catch(() => []);
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
  const usersButton = state.me.role === "admin" ? el("button", { id: "users-toggle", onclick: () => { state.mode = state.mode === "users" ? "inbox" : "users"; renderShell(); if (state.mode === "users") renderUsers(); else { renderLists(); renderConversation(); refreshTeam(); } } },
    state.mode === "users" ? t.inbox : t.users) : null;
  const kbButton = el("button", { id: "kb-toggle", onclick: () => { state.mode = state.mode === "kb" ? "inbox" : "kb"; renderShell(); if (state.mode === "kb") renderKb(); else { renderLists(); renderConversation(); refreshTeam(); } } },
    state.mode === "kb" ? t.inbox : t.kb);
  const kpiButton = el("button", { id: "kpi-toggle", onclick: () => { state.mode = state.mode === "kpis" ? "inbox" : "kpis"; renderShell(); if (state.mode === "kpis") renderKpis(); else { renderLists(); renderConversation(); refreshTeam(); } } },
    state.mode === "kpis" ? t.inbox : t.kpis);
  const logout = el("button", { id: "logout", onclick: async () => { await api("POST", "/auth/logout"); state.socket?.close(); location.reload(); } }, t.logout);
  app.replaceChildren(
    el("div", { class: "topbar" }, el("span", { class: "brand" }, "EduDesk"), el("span", { id: "me" }, `${state.me.display_name} · ${t.tierLabel} ${state.me.tier}`), kpiButton, kbButton, channelsButton, usersButton, presence, language, logout),
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
  document.getElementById("list").replaceChildren(...list.map(inboxRow));
}

// One inbox row: who, what they said last, how long they have waited, and the SLA state.
// Rows are buttons for the keyboard too (Tab to reach, Enter or Space to open).
function inboxRow(c) {
  const open = () => openConversation(c.id);
  const minutes = Math.max(0, Math.round((Date.now() - new Date(c.created_at)) / 60000));
  const waiting = !c.first_response_at && ["open", "pending"].includes(c.status);
  const time = (iso) => new Date(iso).toLocaleTimeString(lang === "zh" ? "zh-CN" : "en", { hour: "2-digit", minute: "2-digit" });
  const sla = c.sla?.breached?.length ? el("span", { class: "badge breached" }, t.breached) : c.sla?.warned?.length ? el("span", { class: "badge warned" }, t.warned) : null;
  return el("div", { class: "conv-item" + (state.open?.id === c.id ? " active" : ""), "data-id": c.id, tabindex: 0, role: "button", "aria-label": `${c.contact_name || t.learner}: ${c.subject || c.preview || c.id}`,
    onclick: open, onkeydown: (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); open(); } } },
    el("div", { class: "line" }, el("span", { class: "subject" }, el("span", { class: "who" }, c.contact_name || t.learner), " · ", (c.bot_active ? `[${t.bot}] ` : "") + (c.subject || `#${c.id}`)),
      el("span", { class: "badge " + c.priority }, t.priority[c.priority])),
    el("div", { class: "preview" }, c.preview || ""),
    el("div", { class: "line meta" }, el("span", {}, `#${c.id} · ${t.channelNames[c.channel] ?? c.channel} · T${c.tier} · ${waiting ? `${t.waited} ${minutes} ${t.minutes}` : `${t.updated} ${time(c.updated_at)}`}`),
      el("span", {}, sla, " ", el("span", { class: "badge " + c.status }, t.status[c.status]))));
}

async function refreshTeam() {
  state.users = await api("GET", "/users");
  const team = document.getElementById("team");
  if (!team) return;
  team.replaceChildren(...state.users.filter((u) => u.active).map((u) => el("li", { "data-user": u.id },
    el("span", {}, el("span", { class: "dot " + u.presence }), `${u.display_name} (T${u.tier})`), el("span", { title: "open / max" }, `${u.open_conversations}/${u.max_concurrent}`))));
}

// ---- users (admins): create, change role, tier, skills, capacity, deactivate -----------------
async function renderUsers(selected, message) {
  const list = document.getElementById("list");
  if (!list) return;
  const users = await api("GET", "/users");
  state.users = users;
  document.getElementById("views")?.replaceChildren(el("button", { class: "view active", id: "user-new", onclick: () => editUser(null) }, t.newUser));
  list.replaceChildren(...users.map((u) => el("div", { class: "conv-item" + (selected === u.id ? " active" : ""), "data-user": u.id, tabindex: 0, role: "button",
    onclick: () => editUser(u), onkeydown: (e) => { if (e.key === "Enter") editUser(u); } },
    el("div", { class: "line" }, el("span", { class: "subject" }, u.display_name), el("span", { class: "badge " + (u.active ? "open" : "closed") }, u.active ? t.active : "—")),
    el("div", { class: "line meta" }, el("span", {}, `${u.email} · ${t.roles[u.role] ?? u.role} · T${u.tier}`)))));
  document.getElementById("sop-panel")?.replaceChildren();
  document.getElementById("profile")?.replaceChildren();
  document.getElementById("conversation").replaceChildren(el("p", { class: "placeholder" }, t.pick));
  if (selected) editUser(users.find((u) => u.id === selected) || null, message);
}

function editUser(user, message = "") {
  const pane = document.getElementById("conversation");
  pane.classList.add("form-pane");
  const u = user || { email: "", display_name: "", role: "agent", tier: 1, skills: [], teams: [], max_concurrent: 5, active: true };
  const input = (id, value, attrs = {}) => el("input", { id, value: value ?? "", ...attrs });
  const email = input("user-email", u.email, { type: "email", disabled: user ? true : null, autocomplete: "off" });
  const name = input("user-name", u.display_name);
  const role = el("select", { id: "user-role" }, ...["agent", "supervisor", "admin"].map((r) => el("option", { value: r, selected: u.role === r }, t.roles[r])));
  const tier = el("select", { id: "user-tier" }, ...[1, 2, 3].map((n) => el("option", { value: n, selected: u.tier === n }, `T${n}`)));
  const skills = input("user-skills", (u.skills || []).join(", "));
  const teams = input("user-teams", (u.teams || []).join(", "));
  const capacity = input("user-capacity", u.max_concurrent, { type: "number", min: 0, max: 100 });
  const active = el("input", { id: "user-active", type: "checkbox", checked: u.active ? true : null });
  const password = input("user-password", "", { type: "password", autocomplete: "new-password", placeholder: user ? t.resetPassword : t.newPassword });
  const status = el("p", { id: "user-status", class: "missing", role: "status" }, message);
  const split = (text) => text.split(/[,，]/).map((x) => x.trim()).filter(Boolean);
  const save = el("button", { class: "primary", id: "user-save", onclick: async () => {
    const body = { display_name: name.value.trim() || null, role: role.value, tier: Number(tier.value), skills: split(skills.value), teams: split(teams.value), max_concurrent: Number(capacity.value) };
    if (password.value) body.password = password.value;
    try {
      const saved = user ? await api("PATCH", `/users/${user.id}`, { ...body, active: active.checked }) : await api("POST", "/users", { ...body, email: email.value.trim(), password: password.value });
      renderUsers(saved.id, `${t.saved}: ${saved.display_name}`);
    } catch (error) { status.textContent = error.message; }
  } }, t.save);
  const row = (label, node) => [el("label", { for: node.id }, label), node];
  pane.replaceChildren(el("h2", {}, user ? u.display_name : t.newUser),
    el("div", { class: "form-grid" }, ...row(t.email, email), ...row(t.displayName, name), ...row(t.role, role), ...row(t.tierLabel, tier), ...row(t.skills, skills),
      ...row(t.teams, teams), ...row(t.capacity, capacity), ...(user ? row(t.active, active) : []), ...row(user ? t.resetPassword : t.newPassword, password)),
    el("p", {}, save), status);
}

// ---- channels (admins): settings, write-only secrets ------------------------------------
const CHANNEL_SECRETS = { wechat: ["token", "app_secret"], social: ["secret"], sms: ["webhook_secret", "api_key"], cti: ["token"], email: ["password"] };
// Each kind's settings, edited as fields; numbers and JSON objects are typed on save.
const CHANNEL_SETTINGS = {
  wechat: ["app_id", "api_base", "welcome"], social: ["outbound_url"], sms: ["provider_url", "body_template", "sender"], cti: ["lines"],
  email: ["imap_host", "imap_port", "smtp_host", "smtp_port", "address", "username", "smtp_username", "poll_seconds"],
};
const NUMBER_SETTINGS = ["imap_port", "smtp_port", "poll_seconds"];
const JSON_SETTINGS = ["lines"];

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
  pane.classList.add("form-pane");
  const c = channel || { kind: "wechat", name: "", enabled: true, settings: {}, secrets_set: [] };
  const kind = el("select", { id: "channel-kind", disabled: channel ? true : null }, ...Object.keys(CHANNEL_SECRETS).map((k) => el("option", { value: k, selected: c.kind === k }, k)));
  const name = el("input", { id: "channel-name", value: c.name, disabled: channel ? true : null });
  const enabled = el("input", { id: "channel-enabled", type: "checkbox", checked: c.enabled ? true : null });
  const settingsBox = el("div", { class: "form-grid", id: "channel-settings" });
  const fillSettings = () => settingsBox.replaceChildren(...CHANNEL_SETTINGS[kind.value].flatMap((key) => {
    const value = c.settings?.[key];
    const shown = value === undefined || value === null ? "" : typeof value === "object" ? JSON.stringify(value) : String(value);
    return [el("label", { for: `setting-${key}` }, t.settingNames[key] ?? key), el("input", { id: `setting-${key}`, "data-setting": key, value: shown })];
  }));
  const readSettings = () => {
    const settings = {};
    for (const input of settingsBox.querySelectorAll("input[data-setting]")) {
      const key = input.dataset.setting;
      const raw = input.value.trim();
      if (!raw) continue;
      settings[key] = NUMBER_SETTINGS.includes(key) ? Number(raw) : JSON_SETTINGS.includes(key) ? JSON.parse(raw) : raw;
    }
    return settings;
  };
  const secretsBox = el("div", { id: "channel-secrets" });
  const fillSecrets = () => secretsBox.replaceChildren(...CHANNEL_SECRETS[kind.value].map((secret) => el("label", { style: "display:block;margin:6px 0" }, `${secret}: `,
    el("input", { type: "password", "data-secret": secret, autocomplete: "off", placeholder: c.secrets_set.includes(secret) ? t.secretSet : t.secretUnset }))));
  kind.addEventListener("change", () => { fillSecrets(); fillSettings(); });
  fillSecrets();
  fillSettings();
  const status = el("p", { id: "channel-status", class: "missing" }, message);
  const save = el("button", { class: "primary", id: "channel-save", onclick: async () => {
    try {
      const secrets = {};
      for (const input of secretsBox.querySelectorAll("input[data-secret]")) if (input.value) secrets[input.dataset.secret] = input.value;
      const saved = await api("PUT", `/channels/${kind.value}/${encodeURIComponent(name.value.trim())}`, { enabled: enabled.checked, settings: readSettings(), secrets });
      renderChannels(`${saved.kind}/${saved.name}`, `${t.saved}: ${saved.kind}/${saved.name}`);
    } catch (error) { status.textContent = error.message; }
  } }, t.save);
  pane.replaceChildren(el("h2", {}, channel ? `${c.kind} / ${c.name}` : t.newChannel),
    el("label", {}, "kind ", kind), " ", el("label", {}, "name ", name), " ", el("label", {}, enabled, ` ${t.enabled}`),
    el("p", {}, `${t.webhook}: ${c.webhook_path || "—"}`), settingsBox, secretsBox, save, status);
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
    const [stats, learned, gaps] = await Promise.all([api("GET", "/kb/search-stats"), api("GET", "/kb/learned-questions"), api("GET", "/kb/gaps")]);
    // An editor's decision on a learner's wording: accepted ones teach the bot at once.
    const decide = async (question, verdict) => {
      try {
        await api("POST", `/kb/learned-questions/${question.id}/${verdict}`);
        if (verdict === "accept") toast(t.accepted);
        renderKb(selectedId);
      } catch (error) { toast(error.message, "error"); }
    };
    const learnedList = learned.length ? learned.map((q) => el("li", { "data-learned": q.id },
      el("div", {}, `“${q.question}”`), el("div", { class: "muted" }, `→ ${q.article_title} (${q.article_id})`),
      el("button", { class: "primary accept", onclick: () => decide(q, "accept") }, t.accept), " ",
      el("button", { class: "reject", onclick: () => decide(q, "reject") }, t.reject))) : [el("li", { class: "muted" }, t.noLearned)];
    side?.replaceChildren(el("h3", {}, t.learned), el("ul", { id: "kb-learned" }, ...learnedList),
      el("h3", {}, t.gaps), el("ul", { id: "kb-gaps" }, ...gaps.map((g) => el("li", {}, `${g.examples.join(" / ")} — ${t.gapCount(g.count, g.searches, g.bot)}`
        + (g.nearest_article ? ` · ${t.nearest}: ${g.nearest_article}` : "")))),
      el("h3", {}, t.toWrite), el("ul", { id: "kb-zero" }, ...stats.zero_result_queries.map((q) => el("li", {}, `${q.query} (${q.searches})`))),
      el("h3", {}, t.topSearches), el("ul", { id: "kb-top" }, ...stats.top_queries.map((q) => el("li", {}, `${q.query} (${q.searches}, ${q.results})`))),
      el("p", {}, `${t.deflections}: ${stats.deflections}`));
  } catch (error) { side?.replaceChildren(); }
  if (selectedId) editArticle(articles.find((a) => a.id === selectedId) || null, message);
}

// ---- KPIs ---------------------------------------------------------------------------
// Supervisors and admins see every grouping; agents their own row. The chart is an SVG the
// server draws; the CSV is the same report for spreadsheets.
async function renderKpis() {
  const pane = document.getElementById("conversation");
  if (!pane) return;
  for (const id of ["views", "list", "sop-panel", "profile"]) document.getElementById(id)?.replaceChildren();
  const overseer = state.me.role !== "agent";
  const day = (offset) => new Date(Date.now() - offset * 864e5).toISOString().slice(0, 10);
  const chosen = state.kpi || { from: day(6), to: day(0), group: overseer ? "agent" : "agent", metric: "conversations" };
  const from = el("input", { type: "date", id: "kpi-from", value: chosen.from });
  const to = el("input", { type: "date", id: "kpi-to", value: chosen.to });
  const groups = overseer ? ["agent", "tier", "channel", "category", "day", "week", "total"] : ["agent"];
  const group = el("select", { id: "kpi-group" }, ...groups.map((g) => el("option", { value: g, selected: chosen.group === g }, t.kpiGroups[g])));
  const charted = ["conversations", "first_response_median_s", "resolution_median_s", "resolution_rate", "one_touch_rate", "reopen_rate", "first_response_sla", "resolution_sla"];
  const metric = el("select", { id: "kpi-metric" }, ...charted.map((m) => el("option", { value: m, selected: chosen.metric === m }, t.kpiNames[m])));
  const show = el("button", { class: "primary", id: "kpi-show", onclick: () => { state.kpi = { from: from.value, to: to.value, group: group.value, metric: metric.value }; renderKpis(); } }, t.show);
  const query = new URLSearchParams({ from: chosen.from, to: chosen.to, group_by: chosen.group }).toString();
  const children = [el("h2", {}, t.kpis), el("div", { class: "kpi-form" }, from, " – ", to, " ", group, " ", metric, " ", show)];
  try {
    const report = await api("GET", `/kpis?${query}`);
    const columns = ["conversations", "handled", "responded", "first_response_median_s", "resolved", "resolution_rate", "resolution_median_s", "one_touch_rate", "reopen_rate", "first_response_sla", "resolution_sla"];
    const shown = (key, value) => {
      if (value === null || value === undefined) return "—";
      if (key.endsWith("_s")) return value < 90 ? `${Math.round(value)}s` : value < 5400 ? `${Math.round(value / 60)}m` : `${(value / 3600).toFixed(1)}h`;
      if (key.endsWith("rate") || key.endsWith("sla")) return `${Math.round(value * 100)}%`;
      return String(value);
    };
    const table = el("table", { id: "kpi-table", class: "kpi-table" },
      el("tr", {}, el("th", {}, t.kpiNames.group), ...columns.map((c) => el("th", {}, t.kpiNames[c]))),
      ...report.rows.map((row) => el("tr", { "data-group": row.group }, el("td", {}, row.name || (row.group === "none" ? t.nobody : row.group)), ...columns.map((c) => el("td", {}, shown(c, row[c]))))));
    children.push(
      el("img", { id: "kpi-chart", alt: t.kpiChart, src: `/api/v1/kpis?${query}&format=svg&metric=${encodeURIComponent(chosen.metric)}&lang=${lang}` }),
      table,
      el("p", {}, el("a", { id: "kpi-csv", href: `/api/v1/kpis?${query}&format=csv` }, t.csv)));
  } catch (error) { children.push(el("p", { class: "missing", id: "kpi-error" }, error.message)); }
  pane.classList.add("form-pane");
  pane.replaceChildren(...children);
}

async function editArticle(article, message = "") {
  const pane = document.getElementById("conversation");
  pane.classList.add("form-pane");
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
  state.escalating = false;
  await loadEscalation();
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
  pane.classList.remove("form-pane");
  const c = state.open;
  const select = (id, values, current, labels, onchange) => el("select", { id, onchange }, ...values.map((v) => el("option", { value: v, selected: v === current }, labels[v] ?? v)));
  const change = (field) => async (e) => {
    const value = field === "assignee_id" ? (e.target.value ? Number(e.target.value) : null) : e.target.value;
    try { state.open = await api("PATCH", `/conversations/${c.id}`, { [field]: value }); } catch (error) { toast(error.message, "error"); }
    renderConversation();
    renderFollowUps().catch(() => {});
    scheduleRefresh();
    refreshQueues().catch(() => {});
    refreshTeam();
  };
  const assignees = ["", ...state.users.filter((u) => u.active).map((u) => String(u.id))];
  const names = Object.fromEntries([["", t.nobody], ...state.users.map((u) => [String(u.id), `${u.display_name} (T${u.tier}, ${u.open_conversations}/${u.max_concurrent})`])]);
  const canned = el("select", { id: "canned", onchange: (e) => { if (e.target.value !== "") insertCanned(Number(e.target.value)); e.target.value = ""; } },
    el("option", { value: "" }, t.canned), ...CANNED[lang].map((text, i) => el("option", { value: i }, text.slice(0, 28) + "…")));
  // A re-render (a live update of the conversation) keeps what the agent was typing.
  const previous = document.getElementById("composer-input");
  const typed = previous && state.open && Number(previous.dataset.conversation) === c.id ? previous.value : "";
  const hadFocus = previous && document.activeElement === previous;
  const input = el("textarea", { id: "composer-input", oninput: sendTyping, "data-conversation": c.id });
  input.value = typed;
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
        try { const draft = await api("POST", `/conversations/${c.id}/article`); state.mode = "kb"; renderShell(); renderKb(draft.id); } catch (error) { toast(error.message, "error"); }
      } }, t.toDraft) : null,
      el("div", { class: "sla", id: "sla" }, ...slaLine(c)),
      state.escalating ? escalateForm(c) : null),
    escalationInfo() ?? "",
    el("div", { class: "messages", id: "messages" }),
    el("div", { class: "typing", id: "typing" }),
    el("div", { class: "composer" }, input,
      el("div", { class: "row" }, el("label", { class: "grow" }, el("input", { type: "checkbox", id: "internal" }), " ", t.note), canned,
        el("label", { class: "attach", title: t.attach }, "📎 ", el("input", { type: "file", id: "composer-file", "aria-label": t.attach })),
        el("button", { class: "primary", id: "composer-send", onclick: send }, t.send))));
  if (hadFocus) input.focus();
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

// Escalation is a form in the conversation: tier, reason (required), note. Agents go one
// tier up or any tier down; supervisors anywhere.
function escalateForm(c) {
  const tiers = [1, 2, 3].filter((tier) => tier !== c.tier && (state.me.role !== "agent" || tier === c.tier + 1 || tier < c.tier));
  const form = el("form", { class: "escalate-form", id: "escalate-form" },
    el("label", {}, t.escalateTo, " ", el("select", { name: "to_tier", id: "escalate-tier" }, ...tiers.map((tier) => el("option", { value: tier }, `T${tier}`)))),
    el("input", { name: "reason", id: "escalate-reason", required: true, maxlength: 500, placeholder: t.reason }),
    el("textarea", { name: "note", id: "escalate-note", rows: 2, placeholder: t.note2 }),
    el("button", { class: "primary", type: "submit", id: "escalate-submit" }, t.submit),
    el("button", { type: "button", onclick: () => { state.escalating = false; renderConversation(); } }, t.cancel));
  // A live re-render keeps what was already typed.
  const before = document.getElementById("escalate-form");
  if (before) for (const name of ["to_tier", "reason", "note"]) form.elements[name].value = before.elements[name].value;
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const to = Number(form.elements.to_tier.value);
    try {
      const moved = await api("POST", `/conversations/${c.id}/escalate`, { to_tier: to, reason: form.elements.reason.value, note: form.elements.note.value || null });
      state.escalating = false;
      scheduleRefresh();
      refreshQueues().catch(() => {});
      // Still ours to see (a supervisor, or moved down)? Then show it as it is now.
      try { state.open = await api("GET", `/conversations/${c.id}`); await loadEscalation(); renderConversation(); }
      catch (error) { state.open = null; document.getElementById("conversation").replaceChildren(el("p", { class: "placeholder", id: "moved-away" }, t.movedAway.replace("{to}", moved.tier))); document.getElementById("sop-panel")?.replaceChildren(); }
    } catch (error) { toast(error.message, "error"); }
  });
  return form;
}

// The latest escalation, for whoever works the conversation next: reason, note, SOP answers.
async function loadEscalation() {
  state.escalation = null;
  if (!state.open) return;
  const events = await api("GET", `/conversations/${state.open.id}/events`).catch(() => []);
  state.escalation = [...events].reverse().find((e) => e.kind === "escalated") || null;
}

function escalationInfo() {
  const e = state.escalation;
  if (!e) return null;
  const d = e.data || {};
  const answers = d.context?.answers || {};
  const who = state.users.find((u) => u.id === e.actor_user_id)?.display_name;
  const sopId = d.context?.sop_id;
  const questionLabel = (id) => {
    const sop = state.sops.find((s) => s.id === sopId);
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
  state.escalating = !state.escalating;
  renderConversation();
  document.getElementById("escalate-reason")?.focus();
}

// ---- SOP ---------------------------------------------------------------------------------
async function renderSop() {
  const panel = document.getElementById("sop-panel");
  if (!panel || !state.open) return;
  if (!state.open.sop) {
    const sops = await api("GET", "/sops");
    const choose = el("select", { id: "sop-choose", onchange: async (e) => {
      if (!e.target.value) return;
      try { const view = await api("POST", `/conversations/${state.open.id}/sop`, { sop_id: e.target.value }); state.open = view.conversation; } catch (error) { toast(error.message, "error"); }
      renderSop();
    } }, el("option", { value: "" }, t.startSop), ...sops.map((s) => el("option", { value: s.id }, typeof s.title === "string" ? s.title : s.title[lang])));
    panel.replaceChildren(el("h3", {}, t.sop), choose);
    return;
  }
  const view = await api("GET", `/conversations/${state.open.id}/sop`);
  // Answers typed but not yet saved survive a re-render of the same step (read after the
  // request above, so nothing typed meanwhile is lost).
  const drafts = {};
  const shownStep = document.getElementById("sop-step")?.dataset.stepId;
  for (const field of document.querySelectorAll("#sop-form [name]")) drafts[field.name] = field.value;
  const title = (x) => typeof x === "string" ? x : x[lang];
  const draft = (name, saved) => (shownStep === view.step?.id && drafts[name] !== undefined ? drafts[name] : saved);
  const step = view.step;
  const send = async (body) => {
    try { const next = await api("POST", `/conversations/${state.open.id}/sop/answers`, body); state.open = next.conversation; } catch (error) { toast(error.message, "error"); }
    // A hand-over step moves the conversation: the lists, queues and the step all change.
    try { state.open = await api("GET", `/conversations/${state.open.id}`); await loadEscalation(); } catch (error) { /* moved out of reach */ }
    renderConversation();
    scheduleRefresh();
    refreshQueues().catch(() => {});
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
        el("button", { id: "sop-insert", onclick: () => { const input = document.getElementById("composer-input"); input.value = step.guide.map((line, i) => `${i + 1}. ${line}`).join("\n"); } }, t.insert),
        el("button", { id: "sop-advance", onclick: () => send({ advance: true }) }, t.next));
    } else if (step.kind === "escalate") {
      children.push(el("button", { class: "primary", id: "sop-advance", onclick: () => send({ advance: true }) }, `${t.handOver} T${step.to_tier}`));
    } else if (step.kind === "follow_up") {
      children.push(el("p", { id: "sop-follow-up" }, t.followUpLater));
    }
  }
  if (view.missing.length) children.push(el("p", { class: "missing", id: "sop-missing" }, `${t.missing}: ${view.missing.map((m) => { const [step, q] = m.split("."); return sopLabel(step, q) ?? m; }).join("、")}`));
  if (state.me.role !== "agent") children.push(el("button", { id: "sop-edit", onclick: () => editSop(view.sop_id) }, t.editSop));
  panel.replaceChildren(...children);
}

// Supervisors edit a SOP as a form — each step's title, script and whether it is mandatory,
// each question's label, in both languages — and, for structural changes (new steps,
// branches), as JSON under "Advanced". Saving makes a new version; running conversations
// keep theirs.
async function editSop(id) {
  const panel = document.getElementById("sop-panel");
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
        state.sops = await api("GET", "/sops").catch(() => state.sops);
      } catch (error) { status.textContent = localiseIds(error.message); }
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

// Follow-ups still to come on the open conversation, each with the time it is due.
async function renderFollowUps() {
  const list = document.getElementById("follow-ups");
  if (!list || !state.open) return;
  const pending = await api("GET", `/conversations/${state.open.id}/follow-ups`).catch(() => []);
  const when = (iso) => new Date(iso).toLocaleString(lang === "zh" ? "zh-CN" : "en", { month: "numeric", day: "numeric", hour: "2-digit", minute: "2-digit" });
  list.replaceChildren(...(pending.length ? pending.map((f) => el("li", { "data-follow-up": f.id }, `${f.title} · ${t.due} ${when(f.due_at)}`)) : [el("li", {}, "—")]));
}

function renderProfile(history) {
  const profile = document.getElementById("profile");
  const contact = state.contact;
  if (!profile || !contact) return;
  setTimeout(() => renderFollowUps(), 0);
  const attributes = Object.entries(contact.attributes || {});
  profile.replaceChildren(
    el("h3", {}, t.learner), el("div", { id: "learner-name" }, contact.display_name || `#${contact.id}`),
    el("h3", {}, t.identities), el("dl", {}, ...contact.identities.flatMap((i) => [el("dt", {}, i.kind), el("dd", {}, i.value)])),
    el("h3", {}, t.attributes), el("dl", { id: "attributes" }, ...attributes.flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, String(v))])),
    el("h3", {}, t.history), el("ul", { id: "history" }, ...history.map((c) => el("li", {}, el("a", { href: "#", onclick: (e) => { e.preventDefault(); openConversation(c.id); } }, `#${c.id} ${t.channelNames[c.channel] ?? c.channel} ${c.subject || ""}`), " ", el("span", { class: "badge " + c.status }, t.status[c.status])))),
    el("h3", {}, t.followUps), el("ul", { id: "follow-ups" }),
    el("h3", {}, t.merge), el("div", {}, el("input", { id: "merge-from", type: "number", placeholder: t.mergeFrom, style: "width:8em" }), " ",
      el("button", { id: "merge", onclick: async () => {
        const from = Number(document.getElementById("merge-from").value);
        if (!from) return;
        try {
          state.contact = await api("POST", `/contacts/${contact.id}/merge`, { from });
          renderProfile(await api("GET", `/conversations?contact_id=${contact.id}&limit=20`));
        } catch (error) { toast(error.message, "error"); }
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
      toast(frame.detail, "error");
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
    if (!response.ok) { toast(json?.detail || response.statusText, "error"); return; }
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
