// The console's language: its text tables (zh/en), the language in use and its table `t`,
// and switching (saved in localStorage["edudesk.lang"], the console's explicit choice). The
// rule that picks the language at start is shared/i18n.js's, the same as the widget's.
// `lang` and `t` are live bindings: importers always read the current ones.
import { pickLang } from "../shared/i18n.js";

const SAVED = "edudesk.lang";

export const I18N = {
  zh: {
    signIn: "登录", email: "邮箱", password: "密码", wrong: "邮箱或密码错误", logout: "退出",
    merge: "合并联系人", mergeFrom: "另一个联系人 #", channels: "渠道", newChannel: "新建渠道", enabled: "启用", settingsJson: "设置（JSON）",
    secretSet: "已设置（留空则不变）", secretUnset: "未设置", webhook: "回调地址",
    callRinging: "来电", callAnswered: "通话中", line: "线路", openCall: "打开会话",
    staffing: { title: "排班建议（明天）", hour: "时段", forecast: "预计进线", needed: "需要人数", scheduled: "已排班", gap: "差额", serviceLevel: "服务水平", abandon: "放弃率",
      assumptions: (aht, sl, target) => `假设：平均处理 ${aht} 秒，目标 ${sl}% 在 ${target} 秒内响应（Erlang C / A）` },
    awards: "荣誉榜", awardNames: { leaderboard: "综合排名", score: "综合分", teams: "团队排名", team: "团队", announce: "公布本月服务之星", announced: "服务之星已公布",
      given: "获奖", star: "服务之星", bestCase: "最佳案例奖", pending: "待审批的提名", nominate: "提名最佳案例", why: "推荐理由", nominated: "提名已提交" },
    quality: "质检", qaSample: "今日抽检", qaNothing: "暂无待质检的会话", qaRecent: "最近的质检", qaMine: "我的质检结果", qaAverage: "平均分", qaAgent: "客服",
    qaComment: "评语", qaSave: "保存评分", qaSaved: "评分已保存", qaCriteria: { empathy: "共情", accuracy: "准确", sop_adherence: "遵循 SOP", tone: "语气" },
    feedback: "满意度与反馈", csatNames: { rated: "评价数", average: "平均评分", solved: "已解决", latest: "最新评价", rating: "评分", comment: "意见", routed: "转给负责团队的意见", area: "方向", status: "状态", yes: "是", no: "否", saved: "已更新" },
    feedbackArea: { product: "产品", tech: "技术", ops: "客服运营" },
    feedbackStatus: { new: "新", acknowledged: "已确认", planned: "已排期", done: "已完成", wont_do: "不处理" },
    search: { view: "搜索", text: "关键词或 #编号", any: "全部", status: "状态", channel: "渠道", category: "分类", tag: "标签", sla: "SLA",
      slaStates: { ok: "正常", warned: "即将超时", breached: "已超时" }, from: "创建自", to: "至", apply: "搜索", name: "视图名称", save: "保存为视图",
      saved: "视图已保存", remove: "删除此视图", tags: "会话标签（逗号分隔）", nothing: "没有符合条件的会话" },
    hiring: { title: "招聘测试", name: "姓名", email: "邮箱（可选）", invite: "邀请候选人", linkOnce: "测试链接（只显示这一次，请复制发给候选人）：", none: "还没有候选人",
      status: "状态", statuses: { invited: "已邀请", in_progress: "进行中", done: "已完成", expired: "已过期" }, typingZh: "中文打字", typingEn: "英文打字", perMinute: "字/分",
      suspicious: "过快（可能是粘贴）", quiz: "选择题", review: "评审", empathy: "共情情景作答",
      signals: { acknowledges: "共情致歉", owns: "主动承担", asks: "询问信息", next_step: "给出下一步", blames: "责怪学员" },
      score: "作答评分", decision: "结论", decisions: { hire: "录用", hold: "待定", reject: "不录用" }, note: "备注", save: "保存评审", saved: "评审已保存" },
    wall: { title: "实时监控", queues: "队列", waiting: "等待", longest: "最长等待", online: "在线客服", free: "空位", created: "今日新会话", resolved: "今日已解决",
      openNow: "处理中", atRisk: "SLA 风险", none: "暂无", agents: "客服状态", agent: "客服", presence: "状态", load: "负载", awaiting: "待回复",
      longestReply: "最久待回复", trend: "近 7 天会话量", myPage: "我的主页", last7: "近 7 天", openConvs: "处理中的会话", reviews: "质检", ratings: "学员评价", back: "返回监控" },
    kpis: "数据看板", show: "查看", nobody: "无人处理", csv: "导出 CSV", kpiChart: "图表",
    kpiGroups: { agent: "按客服", tier: "按层级", channel: "按渠道", category: "按分类", day: "按天", week: "按周", total: "合计" },
    kpiNames: { group: "分组", conversations: "会话量", handled: "人工处理", responded: "已响应", first_response_median_s: "首次响应（中位）", resolved: "已解决",
      resolution_rate: "解决率", resolution_median_s: "解决时长（中位）", one_touch_rate: "一次解决率", reopen_rate: "重开率", first_response_sla: "首响达标率", resolution_sla: "解决达标率",
      rated: "评价数", csat: "满意度", average_rating: "平均评分" },
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
    staffing: { title: "Staffing plan (tomorrow)", hour: "Hour", forecast: "Forecast", needed: "Needed", scheduled: "Scheduled", gap: "Gap", serviceLevel: "Service level", abandon: "Abandon",
      assumptions: (aht, sl, target) => `Assuming ${aht} s handling, ${sl}% answered within ${target} s (Erlang C / A)` },
    awards: "Recognition", awardNames: { leaderboard: "Balanced ranking", score: "Score", teams: "Teams", team: "Team", announce: "Announce the service star", announced: "Service star announced",
      given: "Awards", star: "Service star", bestCase: "Best case", pending: "Nominations to decide", nominate: "Nominate a best case", why: "Why it stands out", nominated: "Nomination sent" },
    quality: "Quality", qaSample: "Today's sample", qaNothing: "Nothing to review", qaRecent: "Recent reviews", qaMine: "My reviews", qaAverage: "Average score", qaAgent: "Agent",
    qaComment: "Comment", qaSave: "Save review", qaSaved: "Review saved", qaCriteria: { empathy: "Empathy", accuracy: "Accuracy", sop_adherence: "SOP adherence", tone: "Tone" },
    feedback: "Satisfaction & feedback", csatNames: { rated: "Rated", average: "Average", solved: "Solved", latest: "Latest answers", rating: "Rating", comment: "Comment", routed: "Routed to the owning team", area: "Area", status: "Status", yes: "Yes", no: "No", saved: "Updated" },
    feedbackArea: { product: "Product", tech: "Engineering", ops: "Support operations" },
    feedbackStatus: { new: "New", acknowledged: "Acknowledged", planned: "Planned", done: "Done", wont_do: "Won't do" },
    search: { view: "Search", text: "Words or #number", any: "Any", status: "Status", channel: "Channel", category: "Category", tag: "Tag", sla: "SLA",
      slaStates: { ok: "on track", warned: "due soon", breached: "breached" }, from: "Created from", to: "to", apply: "Search", name: "View name", save: "Save as view",
      saved: "View saved", remove: "Delete this view", tags: "Conversation tags (comma-separated)", nothing: "No conversation matches" },
    hiring: { title: "Hiring", name: "Name", email: "Email (optional)", invite: "Invite candidate", linkOnce: "Test link (shown this once: copy it to the candidate):", none: "No candidates yet",
      status: "Status", statuses: { invited: "Invited", in_progress: "In progress", done: "Done", expired: "Expired" }, typingZh: "Chinese typing", typingEn: "English typing", perMinute: "chars/min",
      suspicious: "too fast (pasted?)", quiz: "Quiz", review: "Review", empathy: "Empathy scenario answer",
      signals: { acknowledges: "Acknowledges", owns: "Takes ownership", asks: "Asks for details", next_step: "Gives a next step", blames: "Blames the learner" },
      score: "Answer score", decision: "Decision", decisions: { hire: "Hire", hold: "Hold", reject: "Reject" }, note: "Note", save: "Save review", saved: "Review saved" },
    wall: { title: "Live wall", queues: "Queues", waiting: "Waiting", longest: "Longest wait", online: "Agents online", free: "Free places", created: "New today",
      resolved: "Resolved today", openNow: "Open now", atRisk: "SLA at risk", none: "None", agents: "Agents", agent: "Agent", presence: "Presence", load: "Load",
      awaiting: "Awaiting reply", longestReply: "Longest reply wait", trend: "Conversations, last 7 days", myPage: "My page", last7: "Last 7 days",
      openConvs: "Open conversations", reviews: "Quality reviews", ratings: "Learners' ratings", back: "Back to the wall" },
    kpis: "KPIs", show: "Show", nobody: "Nobody yet", csv: "Export CSV", kpiChart: "Chart",
    kpiGroups: { agent: "By agent", tier: "By tier", channel: "By channel", category: "By category", day: "By day", week: "By week", total: "Total" },
    kpiNames: { group: "Group", conversations: "Conversations", handled: "Handled by people", responded: "Responded", first_response_median_s: "First response (median)", resolved: "Resolved",
      resolution_rate: "Resolution rate", resolution_median_s: "Resolution time (median)", one_touch_rate: "One-touch", reopen_rate: "Reopened", first_response_sla: "First response SLA", resolution_sla: "Resolution SLA",
      rated: "Rated", csat: "CSAT", average_rating: "Average rating" },
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

function savedChoice() {
  try { return localStorage.getItem(SAVED); } catch (e) { return null; }
}

export let lang = pickLang({ explicit: savedChoice() });
export let t = I18N[lang];

// The agent's toggle: remembered as their explicit choice.
export function setLang(next) {
  lang = next;
  t = I18N[lang];
  localStorage.setItem(SAVED, lang);
}

export const optionLabel = (value) => t.optionLabels[value] ?? value;

// The locale dates and times are written in.
export const locale = () => (lang === "zh" ? "zh-CN" : "en");
