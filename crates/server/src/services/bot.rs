//! The bot in the running system. A learner's widget conversation starts with the bot
//! (`bot_active`), outside every queue. Each learner message gets the bot's decision
//! (`edudesk_bot`): an answer with the article's link, an "I can't answer that" that offers a
//! person, or a handover. The handover moves the conversation into its tier's queue — the
//! category from the detected intent, or from the words when they point higher (a complaint
//! goes to tier 3) — and leaves the agent a summary: who the learner is, the transcript, the
//! intent, the candidate articles with scores and the reason. Any error in the bot's part
//! hands over too: a learner is never left with a silent bot.

use edudesk_bot::{Candidate, ConversationState, HandoffReason, Outcome, Reply};
use edudesk_core::Priority;
use serde_json::json;

use crate::{
    AppState,
    error::AppResult,
    realtime::Event,
    store::{conversations::Conversation, messages::Author, now_ms, to_utc},
};

/// Knowledge-base categories (as the demo KB names them, Chinese and English) → routing
/// categories of the pyramid.
const KB_TO_ROUTING: &[(&str, &str)] = &[
    ("账号与登录", "account"),
    ("Account & Login", "account"),
    ("隐私与安全", "account"),
    ("Privacy & Security", "account"),
    ("家长与儿童账号", "account"),
    ("购买与支付", "payment"),
    ("Payments", "payment"),
    ("会员", "payment"),
    ("VIP Membership", "payment"),
    ("发票", "payment"),
    ("Invoices", "payment"),
    ("优惠券", "coupon"),
    ("Coupons", "coupon"),
    ("退款", "refund"),
    ("Refunds", "refund"),
    ("视频播放", "playback"),
    ("Video Playback", "playback"),
    ("直播课", "playback"),
    ("Live Classes", "playback"),
    ("App与设备", "app_fault"),
    ("App & Devices", "app_fault"),
    ("作业与考试", "course_content"),
    ("Homework & Exams", "course_content"),
    ("证书", "course_info"),
    ("Certificates", "course_info"),
    ("课程与学习", "course_info"),
];

/// The routing category for a KB category (the KB category itself when the routing table
/// knows it by that name).
fn routing_category(state: &AppState, kb_category: &str) -> Option<String> {
    KB_TO_ROUTING
        .iter()
        .find(|(kb, _)| *kb == kb_category)
        .map(|(_, routing)| (*routing).to_owned())
        .or_else(|| state.categories.knows(kb_category).then(|| kb_category.to_owned()))
}

fn reason_text(reason: HandoffReason, chinese: bool) -> &'static str {
    match (reason, chinese) {
        (HandoffReason::Requested, true) => "学员要求转人工",
        (HandoffReason::Frustrated, true) => "学员情绪激动/不满",
        (HandoffReason::LowConfidence, true) => "机器人没有把握回答",
        (HandoffReason::Ambiguous, true) => "多个候选答案难以区分",
        (HandoffReason::RepeatedFailure, true) => "多次回答未解决",
        (HandoffReason::InternalError, true) => "机器人出错",
        (HandoffReason::Requested, false) => "the learner asked for a person",
        (HandoffReason::Frustrated, false) => "the learner is upset",
        (HandoffReason::LowConfidence, false) => "the bot was not confident",
        (HandoffReason::Ambiguous, false) => "two answers were too close to call",
        (HandoffReason::RepeatedFailure, false) => "answers did not help",
        (HandoffReason::InternalError, false) => "the bot failed",
    }
}

/// The bot's "I failed" decision for `text`: hand over, so a learner is never left waiting.
fn failure_reply(text: &str) -> Reply {
    Reply {
        outcome: Outcome::Handoff,
        reason: Some(HandoffReason::InternalError),
        article: None,
        candidates: Vec::new(),
        options: Vec::new(),
        signals: edudesk_bot::signals::Signals::read(text, text),
        chinese: edudesk_bot::features::looks_chinese(text),
    }
}

/// Lets the bot handle a learner's message in `conversation` if it is the bot's. Messages
/// of one conversation are handled one at a time (the bot's memory is read, then written).
pub async fn after_learner_message(state: &AppState, conversation_id: i64, text: &str) {
    let _in_order = state.knowledge.conversation_lock(conversation_id).lock().await;
    let conversation = match state.store.conversation(conversation_id).await {
        Ok(conversation) if conversation.bot_active && state.config.bot_enabled => conversation,
        Ok(_) => return,
        Err(error) => {
            tracing::warn!(%error, conversation_id, "bot could not read the conversation");
            return;
        }
    };
    if let Err(error) = respond(state, &conversation, text).await {
        tracing::error!(%error, conversation_id, "bot failed; handing over");
        let reply = failure_reply(text);
        if let Err(error) = hand_over(state, &conversation, &reply, &[]).await {
            tracing::error!(%error, conversation_id, "handover after a bot failure failed too");
        }
    }
}

/// An agent wrote to the learner in a conversation the bot was handling: the agent has it
/// now, and the bot stops answering.
pub async fn agent_stepped_in(state: &AppState, conversation_id: i64) -> AppResult<()> {
    if !state.store.conversation(conversation_id).await?.bot_active {
        return Ok(());
    }
    if state.store.end_bot(conversation_id).await? {
        let conversation = state.store.conversation(conversation_id).await?;
        state.bus.publish(Event::conversation(&conversation)).await;
    }
    Ok(())
}

async fn respond(state: &AppState, conversation: &Conversation, text: &str) -> AppResult<()> {
    let mut memory: ConversationState = state.store.bot_state(conversation.id).await?.and_then(|saved| serde_json::from_str(&saved).ok()).unwrap_or_default();
    let bot = state.knowledge.bot();
    // The bot is pure computation; a panic in it is an internal error, handled as a handover.
    let decided = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let mut memory = memory.clone();
        let reply = bot.reply(text, &mut memory);
        (reply, memory)
    }));
    let reply = match decided {
        Ok((reply, updated)) => {
            memory = updated;
            reply
        }
        Err(_) => {
            tracing::error!(conversation_id = conversation.id, "the bot panicked; handing over");
            failure_reply(text)
        }
    };
    let saved = serde_json::to_string(&memory).map_err(|error| crate::error::AppError::Internal(error.into()))?;
    state.store.save_bot_state(conversation.id, &saved).await?;
    // What the bot could not answer is an article to write (GET /kb/gaps).
    let unanswered = match (reply.outcome, reply.reason) {
        (Outcome::OutOfScope, _) => Some("out_of_scope"),
        (Outcome::Handoff, Some(reason @ (HandoffReason::LowConfidence | HandoffReason::Ambiguous))) => Some(reason.as_str()),
        _ => None,
    };
    if let Some(reason) = unanswered {
        state.store.record_unanswered(text, reason, conversation.id).await?;
    }
    let zh = reply.chinese;
    let message = match reply.outcome {
        Outcome::Answer => {
            state.metrics.bot_answers.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let article = reply.article.as_ref().map(|a| a.id.as_str()).unwrap_or_default();
            let title = reply.article.as_ref().map(|a| a.title.as_str()).unwrap_or_default();
            let short = bot.short_answer(article, 160).unwrap_or_default();
            let base = state.config.public_url.as_deref().unwrap_or("").trim_end_matches('/');
            let link = format!("{base}/help/articles/{article}");
            if zh {
                format!("{short}\n\n参考文章《{title}》：{link}\n\n这个回答有帮助吗？没解决的话可以继续描述，或回复「转人工」联系人工客服。")
            } else {
                format!("{short}\n\nArticle \"{title}\": {link}\n\nDid this help? If not, tell me more, or type \"agent\" to reach a person.")
            }
        }
        Outcome::OutOfScope if zh => "抱歉，这个问题超出了我能回答的范围。需要的话回复「转人工」，人工客服会帮您处理。".to_owned(),
        Outcome::OutOfScope => "Sorry, that is outside what I can answer. Type \"agent\" if you would like a person to help.".to_owned(),
        Outcome::Clarify if zh => "抱歉没能帮上忙。能再具体描述一下遇到的问题吗？也可以回复「转人工」联系人工客服。".to_owned(),
        Outcome::Clarify => "Sorry that did not help. Could you describe the problem in more detail? Or type \"agent\" for a person.".to_owned(),
        Outcome::Choose => {
            let titles: Vec<String> = reply.options.iter().enumerate().map(|(i, option)| format!("{}. {}", i + 1, option.title)).collect();
            if zh {
                format!("您想问的是哪一个？\n{}\n回复 1 或 2；都不是的话可以换个说法，或回复「转人工」。", titles.join("\n"))
            } else {
                format!("Which of these do you mean?\n{}\nReply 1 or 2; if neither, say it another way or type \"agent\".", titles.join("\n"))
            }
        }
        Outcome::Handoff => return hand_over(state, conversation, &reply, &memory.answered).await,
    };
    say(state, conversation.id, message, false).await
}

async fn say(state: &AppState, conversation_id: i64, body: String, internal: bool) -> AppResult<()> {
    let appended = crate::services::messages::append(state, conversation_id, Author::Bot, body, internal, None, "bot").await?;
    // Out through the conversation's channel (WeChat, SMS...), if it came from one.
    crate::services::delivery::after_outbound(state, &appended.message).await
}

/// What the learner is asking about, judged on the whole conversation — not only on the
/// last message, which is often just "转人工" — as (intent, routing category): the article
/// answered now, a confident candidate for this message (unless it is only a request for a
/// person), the articles the bot gave (latest first), or the best match for everything the
/// learner wrote. The category is the first of these that maps to a routing category.
fn conversation_intent(state: &AppState, reply: &Reply, answered: &[String], learner_text: &str) -> (Option<Candidate>, Option<String>) {
    let bot = state.knowledge.bot();
    let floor = state.config.bot.out_of_scope_threshold;
    let of_article = |id: &String| {
        bot.article(id).map(|article| Candidate { id: article.id.clone(), title: article.title.clone(), category: article.category.clone(), score: 0.0 })
    };
    let this_message = if reply.reason == Some(HandoffReason::Requested) { None } else { reply.candidates.first().filter(|c| c.score >= floor).cloned() };
    let whole = bot.matcher().search(learner_text, 1).into_iter().next().filter(|c| c.score >= floor);
    let readings: Vec<Candidate> =
        reply.article.clone().into_iter().chain(this_message).chain(answered.iter().rev().filter_map(of_article)).chain(whole).collect();
    let category = readings.iter().find_map(|c| routing_category(state, &c.category));
    (readings.into_iter().next(), category)
}

/// Passes the conversation to its tier's queue with the summary for the agent.
/// `answered`: the articles the bot gave in this conversation, oldest first.
async fn hand_over(state: &AppState, conversation: &Conversation, reply: &Reply, answered: &[String]) -> AppResult<()> {
    let reason = reply.reason.unwrap_or(HandoffReason::LowConfidence);
    let zh = reply.chinese;
    let transcript = state.store.messages(conversation.id, 0, false, 200).await?;
    let contact = state.store.contact(conversation.contact_id).await?;
    // The intent's category, unless the learner's own words point to a higher tier (a
    // complaint, an outage): those are what the agent must handle.
    let learner_text: String =
        transcript.iter().filter(|m| m.author_kind == edudesk_core::AuthorKind::Contact).map(|m| m.body.as_str()).collect::<Vec<_>>().join("\n");
    let (intent, intent_category) = conversation_intent(state, reply, answered, &learner_text);
    let intent = intent.as_ref();
    let word_category = state.categories.classify(&learner_text).map(str::to_owned);
    let category = match (&intent_category, &word_category) {
        (Some(from_intent), Some(from_words)) if state.categories.tier_of(Some(from_words)) > state.categories.tier_of(Some(from_intent)) => {
            Some(from_words.clone())
        }
        (Some(from_intent), _) => Some(from_intent.clone()),
        (None, from_words) => from_words.clone().or_else(|| conversation.category.clone()),
    };
    let tier = state.categories.tier_of(category.as_deref()).max(conversation.tier);
    let now = now_ms();
    let priority = if reason == HandoffReason::Frustrated { Priority::High } else { conversation.priority };
    let due = state.sla.due_times(to_utc(now), tier, priority, 0);
    // The articles the agent may want: this message's, unless it only asks for a person
    // ("还是不会弄，转人工" matches nothing), then the best for everything the learner wrote.
    let whole_conversation;
    let ranked = if reply.reason == Some(HandoffReason::Requested) || reply.candidates.is_empty() {
        whole_conversation = state.knowledge.bot().matcher().search(&learner_text, 3);
        &whole_conversation
    } else {
        &reply.candidates
    };
    let candidates: Vec<serde_json::Value> =
        ranked.iter().take(3).map(|c| json!({"id": c.id, "title": c.title, "category": c.category, "score": (c.score * 1000.0).round() / 1000.0})).collect();
    let summary = json!({
        "reason": reason.as_str(),
        "reason_text": reason_text(reason, zh),
        "intent": intent.map(|c| json!({"article_id": c.id, "title": c.title, "kb_category": c.category})),
        "category": category,
        "tier": tier,
        "frustration": (reply.signals.frustration * 100.0).round() / 100.0,
        "candidates": candidates,
        "learner": {
            "contact_id": contact.id,
            "name": contact.display_name,
            "anonymous": contact.anonymous,
            "identities": contact.identities.iter().map(|i| json!({"kind": i.kind, "value": i.value})).collect::<Vec<_>>(),
            "attributes": contact.attributes,
        },
        "transcript": transcript.iter().map(|m| json!({"author": m.author_kind, "body": m.body, "at": m.created_at})).collect::<Vec<_>>(),
    });
    let Some(handed) =
        state.store.hand_over(conversation.id, category.as_deref(), tier, priority, crate::store::conversations::due_ms(due), now, summary).await?
    else {
        return Ok(());
    };
    state.metrics.bot_handovers.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let farewell = if zh {
        "好的，正在为您转接人工客服，请稍候。客服会看到我们刚才的对话，您不需要重复描述。"
    } else {
        "I'm passing you to a person now. They will see our conversation, so you won't need to repeat anything."
    };
    say(state, conversation.id, farewell.to_owned(), false).await?;
    say(state, conversation.id, note_for_agent(reply, reason, zh, &contact, category.as_deref(), tier), true).await?;
    let handed = state.store.conversation(handed.id).await?;
    // Its category is known now: offer that category's SOP to the agent.
    let handed = crate::services::sops::start_for_category(state, handed).await?;
    state.bus.publish(Event::conversation(&handed)).await;
    crate::services::routing::assign_new(state, handed).await?;
    Ok(())
}

/// The summary as an internal note, readable at a glance in any console.
fn note_for_agent(
    reply: &Reply,
    reason: HandoffReason,
    zh: bool,
    contact: &crate::store::contacts::Contact,
    category: Option<&str>,
    tier: edudesk_core::Tier,
) -> String {
    let name = contact.display_name.clone().unwrap_or_else(|| if zh { "匿名访客".to_owned() } else { "anonymous visitor".to_owned() });
    let identities: Vec<String> = contact.identities.iter().map(|i| format!("{}:{}", i.kind, i.value)).collect();
    let candidates: Vec<String> = reply.candidates.iter().take(3).map(|c| format!("{} ({:.2})", c.title, c.score)).collect();
    let label = |zh_text: &'static str, en_text: &'static str| if zh { zh_text } else { en_text };
    format!(
        "[{}] {}\n{}: {} [{}]\n{}: {} · {}: {}\n{}: {}\n{}",
        label("机器人转人工", "Bot handover"),
        reason_text(reason, zh),
        label("学员", "Learner"),
        name,
        identities.join(", "),
        label("分类", "Category"),
        category.unwrap_or("-"),
        label("层级", "Tier"),
        tier.level(),
        label("候选文章", "Candidate articles"),
        if candidates.is_empty() { "-".to_owned() } else { candidates.join("; ") },
        label("完整对话见上方，结构化摘要见事件记录（handed_over）。", "The transcript is above; the structured summary is in the event log (handed_over)."),
    )
}
