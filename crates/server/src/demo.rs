//! The demo seeded by `edudesk serve --demo`: staff of every role and tier, two learners
//! of the fictional platform 学知在线 (XueZhi Online) and a few conversations. It is
//! seeded only into an empty database, so restarting with `--demo` never duplicates it.

use edudesk_core::{
    Channel, IdentityKind, Priority, Role, Tier,
    input::{Email, Password},
};

use crate::{
    crypto,
    error::AppResult,
    store::{Store, conversations::NewConversation, messages::Author, users::NewUser},
};

/// The password of every demo account.
pub const DEMO_PASSWORD: &str = "edudesk-demo";
/// The platform secret the demo learner pages sign with.
pub const DEMO_PLATFORM_SECRET: &str = "demo-platform-secret";

/// Demo staff: (email, name, role, tier, skills).
pub const DEMO_STAFF: &[(&str, &str, Role, Tier, &str)] = &[
    ("admin@edudesk.demo", "Ada Admin", Role::Admin, Tier::THREE, ""),
    ("lead@edudesk.demo", "Lei Lead 雷主管", Role::Supervisor, Tier::THREE, "account,payment,refund,playback"),
    ("t1@edudesk.demo", "Tina 一线", Role::Agent, Tier::ONE, "account,payment,coupon,course_info,playback,refund"),
    ("t2@edudesk.demo", "Tom 二线", Role::Agent, Tier::TWO, "playback,app_fault,course_content"),
    ("t3@edudesk.demo", "Tian 三线专家", Role::Agent, Tier::THREE, "systemic_bug,refund_dispute"),
];

/// Demo learners: (platform id, name, email).
pub const DEMO_LEARNERS: &[(&str, &str, &str)] = &[("L1001", "李明 Li Ming", "liming@example.com"), ("L1002", "Emma Chen", "emma.chen@example.com")];

/// Seeds the demo if the database has no users yet. Returns whether it seeded.
/// The demo platform's API key for server-to-server calls (in-app feedback).
pub const DEMO_PLATFORM_API_KEY: &str = "demo-platform-api-key";

pub async fn seed(store: &Store) -> AppResult<bool> {
    if store.user_count().await? > 0 {
        return Ok(false);
    }
    for (email, name, role, tier, skills) in DEMO_STAFF {
        let new = NewUser {
            email: Email::parse(email)?,
            display_name: (*name).to_owned(),
            password_hash: crypto::hash_password(Password::parse(DEMO_PASSWORD)?).await?,
            role: *role,
            tier: *tier,
            skills: edudesk_core::input::parse_skills(skills)?,
            teams: vec![format!("tier-{tier}")],
            max_concurrent: 5,
        };
        let user = store.create_user(&new).await?;
        // The demo team is trained already: certified for their tiers, so routing uses them.
        store.certify(user.id, tier.level(), "granted", None, crate::store::now_ms()).await?;
    }
    crate::knowledge::import::import(store, crate::knowledge::import::DEMO_ARTICLES).await.map_err(crate::error::AppError::Internal)?;
    seed_channels(store).await?;
    let mut learners = Vec::new();
    for (platform_id, name, email) in DEMO_LEARNERS {
        let contact_id = store.upsert_contact_by_identity(IdentityKind::Platform, platform_id, Some(name)).await?;
        store.add_identity(contact_id, IdentityKind::Email, email).await?;
        learners.push(contact_id);
    }
    let conversations = [
        (
            learners[0],
            Channel::Widget,
            "视频无法播放",
            "playback",
            Tier::TWO,
            Priority::High,
            "老师好，《Python 入门》第三课的视频一直转圈，放不出来，怎么办？",
        ),
        (
            learners[1],
            Channel::Email,
            "Coupon not applying",
            "coupon",
            Tier::ONE,
            Priority::Normal,
            "Hi, my coupon SPRING50 says it is not applicable to the Data Science course. Can you help?",
        ),
    ];
    for (index, (contact_id, channel, subject, category, tier, priority, body)) in conversations.into_iter().enumerate() {
        let new = NewConversation {
            contact_id,
            channel,
            subject: Some(subject.to_owned()),
            category: Some(category.to_owned()),
            priority,
            tier,
            author: Author::Contact(contact_id),
            body: body.to_owned(),
            client_id: format!("demo-{index}"),
            at: crate::store::now_ms(),
            due: Some(crate::store::conversations::due_ms(edudesk_core::sla::SlaPolicy::default().due_times(chrono::Utc::now(), tier, priority, 0))),
            bot_active: false,
            sop: None,
            course: None,
        };
        store.create_conversation(&new).await?;
    }
    Ok(true)
}

/// The sign-in help printed after seeding.
pub fn logins_text(base_url: &str) -> String {
    let mut text = format!("EduDesk demo at {base_url}\n  password for every account: {DEMO_PASSWORD}\n");
    for (email, _, role, tier, _) in DEMO_STAFF {
        text.push_str(&format!("  {email:<22} {role} (tier {tier})\n"));
    }
    text.push_str(&format!("  learners: L1001, L1002 (widget signatures use the platform secret '{DEMO_PLATFORM_SECRET}')\n"));
    text
}

/// One demo channel of each kind (payloads documented in README, "Channels").
async fn seed_channels(store: &Store) -> AppResult<()> {
    let channels = [
        (
            "wechat",
            r#"{"app_id": "wx-demo-app", "welcome": "欢迎关注学知在线！"}"#,
            r#"{"token": "demo-wechat-token", "app_secret": "demo-wechat-app-secret"}"#,
        ),
        ("social", r#"{"platform": "demo"}"#, r#"{"secret": "demo-social-secret"}"#),
        ("sms", r#"{}"#, r#"{"webhook_secret": "demo-sms-secret"}"#),
        ("cti", r#"{"lines": {"400-800-1234": 1, "400-800-5678": 2}}"#, r#"{"token": "demo-cti-token"}"#),
    ];
    for (kind, settings, secrets) in channels {
        store.save_channel(kind, "demo", settings, secrets, true).await?;
    }
    // The support mailbox of the local mail servers `scripts/mail-servers` sets up; disabled
    // until an admin turns it on where those servers run (the console's Channels screen).
    let email = r#"{"imap_host": "127.0.0.1", "imap_port": 143, "smtp_host": "127.0.0.1", "smtp_port": 25, "address": "support@edudesk.test", "username": "support", "poll_seconds": 5}"#;
    store.save_channel("email", "demo", email, r#"{"password": "support-pass"}"#, false).await?;
    Ok(())
}
