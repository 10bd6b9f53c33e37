// The widget's texts in Chinese and English ({name} placeholders are filled by the shared
// translator). Which language is used is decided by shared/i18n.js.
export const TEXT = {
  zh: { launcher: "在线客服", title: "学知在线客服", placeholder: "请描述您遇到的问题…", send: "发送", sending: "发送中…",
    typing: "客服正在输入…", read: "已读", servedBy: "为您服务：", offline: "网络已断开，正在重连…", empty: "您好！有什么可以帮您？", close: "关闭",
    image: "图片", imageBody: "[图片]", badImage: "只能发送 PNG、JPEG、GIF 或 WebP 图片", tooBig: "图片不能超过 5 MB",
    suggest: "这些文章也许能直接解决：", bot: "智能助手", readArticle: "查看文章",
    agent: "人工客服", human: "转人工", humanText: "转人工", unread: "条新消息",
    hours: "服务时间：每天 {hours}（{zone}）。", openWait: "现在有客服在线，预计等待约 {minutes} 分钟。", openNow: "现在有客服在线，马上为您服务。",
    closedNow: "现在不在人工服务时间，客服将于 {at} 起回复您；智能助手 24 小时在线。", noAgents: "客服暂时都在忙，留言后我们会尽快回复。",
    resolved: "本次问题已标记为已解决。如果还有问题，直接回复即可继续。",
    rate: "请为本次服务评分：", rated: "谢谢您的评价！", ratingLabels: ["很不满意", "不满意", "一般", "满意", "非常满意"],
    commentPlaceholder: "还有什么想告诉我们的吗？（可选）", commentSend: "提交", commentSent: "已收到，谢谢！" },
  en: { launcher: "Chat with us", title: "XueZhi Support", placeholder: "Tell us what went wrong…", send: "Send", sending: "Sending…",
    typing: "Agent is typing…", read: "Read", servedBy: "With you: ", offline: "Connection lost, reconnecting…", empty: "Hi! How can we help?", close: "Close",
    image: "Image", imageBody: "[image]", badImage: "Only PNG, JPEG, GIF or WebP images", tooBig: "Images may be at most 5 MB",
    suggest: "These articles may answer it right away:", bot: "Assistant", readArticle: "Read the article",
    agent: "Support agent", human: "Talk to a person", humanText: "I'd like to talk to a person", unread: "new messages",
    hours: "We're here every day {hours} ({zone}).", openWait: "Agents are online: expect a reply in about {minutes} min.", openNow: "Agents are online and will be with you right away.",
    closedNow: "We're closed right now; a person will answer from {at}. The assistant is here 24/7.", noAgents: "All agents are busy; leave a message and we'll answer soon.",
    resolved: "This question is marked as solved. Reply any time if something is still wrong.",
    rate: "Please rate our service:", rated: "Thank you for your rating!", ratingLabels: ["Very unhappy", "Unhappy", "OK", "Happy", "Very happy"],
    commentPlaceholder: "Anything else you want to tell us? (optional)", commentSend: "Send", commentSent: "Received, thank you!" }
};
