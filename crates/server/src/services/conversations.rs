//! Conversations as use cases: who may see one ([`access`]), opening one ([`open`]),
//! changing one — status (resolve, close, reopen), priority, assignee, category — ([`change`])
//! — resolving schedules the SOP's check-back and the CSAT survey — and moving one between
//! tiers, up or down ([`escalate`]). The REST API, the realtime
//! socket, the channel adapters, the bot, the SLA check and SOPs all call these, so a rule
//! written here holds on every path.

use edudesk_core::{Access, Channel, Principal, Priority, Role, StaffPrincipal, Status, Tier};

use crate::{
    AppState,
    error::{AppError, AppResult},
    realtime::{Event, Route},
    services::{bot, delivery, learning, routing, sops, surveys},
    store::{
        conversations::{Conversation, ConversationChanges, NewConversation, due_ms},
        events::Actor,
        messages::{Author, Message},
        now_ms,
        routing::Escalation,
        to_utc,
    },
};

/// The one refusal for staff outside a conversation's tier.
pub fn outside_your_tier() -> AppError {
    AppError::Forbidden("this conversation is outside your tier and not assigned to you".to_owned())
}

/// Loads a conversation for `principal` and says how they may use it: a learner sees only
/// their own (another's is 404, so ids cannot be probed), staff work at or below their tier
/// or when assigned, supervisors and admins everywhere, and a collaborator pulled in from
/// another team reads it and writes internal notes (403 for everyone else).
pub async fn access(state: &AppState, principal: Principal, id: i64) -> AppResult<(Conversation, Access)> {
    let conversation = state.store.conversation(id).await?;
    let access = access_to(state, principal, &conversation).await?;
    match access {
        Access::Hidden => Err(AppError::not_found("conversation")),
        Access::Forbidden => Err(outside_your_tier()),
        access => Ok((conversation, access)),
    }
}

/// How `principal` may use a conversation already loaded, collaborators included
/// (`Hidden` and `Forbidden` are answers here, not errors).
pub async fn access_to(state: &AppState, principal: Principal, conversation: &Conversation) -> AppResult<Access> {
    match principal.conversation_access(&conversation.scope()) {
        Access::Forbidden => match principal.staff() {
            Some(staff) if state.store.is_collaborator(conversation.id, staff.user_id).await? => Ok(Access::Collaborator),
            _ => Ok(Access::Forbidden),
        },
        access => Ok(access),
    }
}

/// A conversation to open, with its first message.
#[derive(Debug, Clone)]
pub struct Opening {
    pub contact_id: i64,
    pub channel: Channel,
    /// The configured channel it came through or goes out by (`wechat/demo`, `email/support`).
    pub account: Option<String>,
    pub subject: Option<String>,
    /// A category someone chose; otherwise the first message's words decide.
    pub category: Option<String>,
    /// A tier someone chose; otherwise the category's.
    pub tier: Option<Tier>,
    pub priority: Priority,
    pub author: Author,
    /// The first message, already checked.
    pub body: String,
    pub client_id: String,
    /// The bot answers first (when the bot is enabled).
    pub bot: bool,
    /// Send the first message to the learner on the conversation's channel (staff starting
    /// an email).
    pub deliver_first: bool,
    /// The course the learner was on (the widget passes the platform's `course` attribute).
    pub course: Option<String>,
}

/// An opened conversation, its first message, and whether it had been opened before with
/// the same client id (nothing happened now).
#[derive(Debug)]
pub struct Opened {
    pub conversation: Conversation,
    pub message: Message,
    pub replayed: bool,
}

/// Opens a conversation: categorised, given its tier and SLA targets, stored with its first
/// message; then its SOP is offered, it appears live, and the bot answers (if it is the
/// bot's) or it goes to its tier's queue and is offered to an agent at once.
pub async fn open(state: &AppState, opening: Opening) -> AppResult<Opened> {
    let category = match opening.category {
        Some(category) => Some(category),
        None => state.categories.classify(&opening.body).map(str::to_owned),
    };
    let tier = opening.tier.unwrap_or_else(|| state.categories.tier_of(category.as_deref()));
    let at = now_ms();
    let due = state.sla.due_times(to_utc(at), tier, opening.priority, 0);
    let sop = sops::offer_for_category(state, category.as_deref()).await?;
    let new = NewConversation {
        at,
        due: Some(due_ms(due)),
        contact_id: opening.contact_id,
        channel: opening.channel,
        subject: opening.subject,
        category,
        priority: opening.priority,
        tier,
        author: opening.author,
        body: opening.body,
        client_id: opening.client_id,
        bot_active: opening.bot && state.config.bot_enabled,
        sop,
        course: opening.course,
    };
    let (conversation, message, replayed) = state.opener.create(new).await?;
    if replayed {
        return Ok(Opened { conversation, message, replayed });
    }
    if let Some(account) = &opening.account {
        state.store.set_channel_account(conversation.id, account).await?;
    }
    if opening.deliver_first {
        delivery::send_to_learner(state, &message).await?;
    }
    state.bus.publish(Event::conversation(&conversation)).await;
    state.bus.publish(Event::Message { route: Route::of(&conversation), message: message.clone() }).await;
    let conversation = if conversation.bot_active {
        // The bot answers before anyone queues it; its reply arrives as a message.
        bot::after_learner_message(state, conversation.id, &message.body).await;
        state.store.conversation(conversation.id).await?
    } else {
        routing::assign_new(state, conversation).await?
    };
    tell_the_wait(state, &conversation, &message).await?;
    Ok(Opened { conversation, message, replayed: false })
}

/// A learner writing on a channel without EduDesk's widget (WeChat, SMS, email, the app...)
/// and waiting in the queue is told, on that channel, when to expect a person: the wait, that
/// everyone is busy, or the opening hours when the team is off (the widget shows the same in
/// its greeting). Off with `channel_wait_notice = false`.
async fn tell_the_wait(state: &AppState, conversation: &Conversation, first: &Message) -> AppResult<()> {
    let waits = conversation.assignee_id.is_none() && !conversation.bot_active && conversation.status == Status::Open;
    let learner_wrote = first.author_kind == edudesk_core::AuthorKind::Contact;
    if !state.config.channel_wait_notice || !waits || !learner_wrote || matches!(conversation.channel, Channel::Widget | Channel::Phone) {
        return Ok(());
    }
    let availability = routing::availability(state).await?;
    let zh = edudesk_bot::features::looks_chinese(&first.body);
    let zone = state.sla.calendar.time_zone;
    let back = availability.next_opening_at.with_timezone(&zone).format("%m-%d %H:%M");
    let hours = &state.config.business_hours;
    let body = match (availability.open_now, availability.expected_wait_minutes, zh) {
        (false, _, true) => format!("您好，已收到您的消息。现在不在人工服务时间（每天 {hours}），客服将于 {back} 起回复您。"),
        (false, _, false) => format!("Hello, we have your message. Our team is off now (every day {hours}); a person will answer from {back}."),
        (true, None, true) => "您好，已收到您的消息。客服暂时都在忙，我们会尽快回复您。".to_owned(),
        (true, None, false) => "Hello, we have your message. All agents are busy right now; we will answer as soon as we can.".to_owned(),
        (true, Some(minutes), true) => format!("您好，已收到您的消息，客服预计约 {} 分钟内回复您。", minutes.max(1)),
        (true, Some(minutes), false) => format!("Hello, we have your message; a person will answer in about {} min.", minutes.max(1)),
    };
    let appended = crate::services::messages::append(state, conversation.id, Author::System, body, false, None, "wait").await?;
    delivery::send_to_learner(state, &appended.message).await
}

/// Who changes a conversation.
#[derive(Debug, Clone, Copy)]
pub enum ChangedBy {
    /// A staff member, within their access (checked again on the locked row); resolving
    /// waits for the SOP's mandatory steps.
    Staff(StaffPrincipal),
    /// The system on someone's behalf (a phone call answered by an agent): no access check.
    System(Actor),
}

/// Changes status, priority, assignee or category. Resolving schedules the SOP's check-back
/// and lets the bot learn from the agent's answer; a new status or assignee sweeps the queues.
pub async fn change(state: &AppState, id: i64, changes: ConversationChanges, by: ChangedBy) -> AppResult<Conversation> {
    let before = state.store.conversation(id).await?;
    let (actor, principal) = match by {
        ChangedBy::Staff(staff) => (Actor { user_id: Some(staff.user_id), contact_id: None }, Some(Principal::Staff(staff))),
        ChangedBy::System(actor) => (actor, None),
    };
    if let Some(principal) = principal
        && access(state, principal, id).await?.1 != Access::Staff
    {
        return Err(AppError::Forbidden("only staff change a conversation".to_owned()));
    }
    let sop = sops::definition(state, &before).await?;
    let resolving = matches!(changes.status, Some(Status::Resolved | Status::Closed));
    // Access is checked again on the locked row, so a concurrent reassignment cannot slip past.
    let updated = state
        .store
        .update_conversation(id, &changes, actor, &state.sla, |current: &Conversation| match principal.map(|p| p.conversation_access(&current.scope())) {
            Some(Access::Staff) | None if resolving && !matches!(current.status, Status::Resolved | Status::Closed) => {
                sops::require_complete(sop.as_ref(), current, "resolve")
            }
            Some(Access::Staff) | None => Ok(()),
            Some(_) => Err(outside_your_tier()),
        })
        .await?;
    if updated.status == Status::Resolved && before.status != Status::Resolved {
        // The SOP's check-back, e.g. 24 h after resolution.
        if let Some(user_id) = actor.user_id {
            sops::follow_up_on_resolve(state, &updated, user_id).await?;
        }
        // What the bot can learn from how the agent answered; never fails the resolve.
        if let Err(error) = learning::after_resolve(state, &updated).await {
            tracing::warn!(%error, conversation_id = updated.id, "learning from the resolved conversation failed");
        }
        // How it went, asked of the learner a little later.
        surveys::after_resolve(state, &updated, actor.user_id).await?;
    }
    state.bus.publish(Event::conversation(&updated)).await;
    if changes.status.is_some() || changes.assignee_id.is_some() {
        // An agent may have room now, or the conversation is back in its queue.
        routing::sweep_soon(state);
    }
    Ok(updated)
}

/// Whether a staff member may move a conversation from its tier to `to_tier`: agents one
/// tier up at a time (or down to any lower tier); supervisors and admins anywhere.
pub fn may_move_tier(staff: StaffPrincipal, current: Tier, to_tier: Tier) -> AppResult<()> {
    let next_up = current.level() + 1 == to_tier.level();
    let down = to_tier < current;
    if staff.role == Role::Agent && !next_up && !down {
        return Err(AppError::Forbidden(format!("agents escalate one tier at a time: from tier {} to tier {}", current, current.level() + 1)));
    }
    Ok(())
}

/// Moves a conversation to another tier's queue — up (escalation) or down (de-escalation) —
/// with its whole history and the escalation note, if `guard` still agrees on the locked
/// row; then it appears live, is offered to an agent of that tier, and the previous
/// assignee's room is given to the queue. Every caller (an agent, an SOP step, an SLA
/// breach) brings its own rules as `guard`; `at` is when, by the caller's clock.
pub async fn escalate(
    state: &AppState,
    id: i64,
    escalation: &Escalation,
    actor: Actor,
    at: i64,
    guard: impl FnOnce(&Conversation) -> AppResult<()> + Send,
) -> AppResult<Conversation> {
    let moved = state.store.escalate(id, escalation, actor, at, &state.sla, guard).await?;
    state.bus.publish(Event::conversation(&moved)).await;
    let moved = routing::assign_new(state, moved).await?;
    // The previous assignee has room again.
    routing::sweep_soon(state);
    Ok(moved)
}
