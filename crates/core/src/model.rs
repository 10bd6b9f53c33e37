//! The enumerations of the domain model and their stable string forms.
//!
//! The string forms are what the database stores and the API speaks; they never change
//! once shipped, so each enum has one `as_str`/`parse` pair used everywhere.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Declares a string-backed enum with `as_str`, `parse`, `ALL` and serde/OpenAPI support.
macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vmeta])* $variant),+ }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stable string form stored in the database and used in the API.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            /// Parses the stable string form; `None` for anything else.
            pub fn parse(text: &str) -> Option<Self> {
                match text { $($text => Some($name::$variant),)+ _ => None }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

string_enum! {
    /// What a staff account may do. Learners are contacts, not users, and have no role.
    Role {
        /// Answers conversations of their tier.
        Agent => "agent",
        /// Sees and steers every queue.
        Supervisor => "supervisor",
        /// Manages users and configuration; has every supervisor right.
        Admin => "admin",
    }
}

impl Role {
    /// Supervisors and admins see every conversation regardless of tier.
    pub fn oversees_all(self) -> bool {
        matches!(self, Role::Supervisor | Role::Admin)
    }
}

string_enum! {
    /// Whether a staff member takes conversations now.
    Presence {
        Online => "online",
        Away => "away",
        Offline => "offline",
    }
}

string_enum! {
    /// Where a conversation came from and where replies go back out.
    Channel {
        Widget => "widget",
        Email => "email",
        /// The platform apps' feedback form (`POST /api/v1/feedback`).
        InApp => "in_app",
        Wechat => "wechat",
        Sms => "sms",
        Phone => "phone",
        Voice => "voice",
        Social => "social",
        Api => "api",
    }
}

string_enum! {
    /// The lifecycle state of a conversation (ticket). See [`crate::lifecycle`].
    Status {
        Open => "open",
        /// Waiting on the learner.
        Pending => "pending",
        Resolved => "resolved",
        /// Final: nothing more is added.
        Closed => "closed",
    }
}

string_enum! {
    /// Urgency of a conversation.
    Priority {
        Low => "low",
        Normal => "normal",
        High => "high",
        Urgent => "urgent",
    }
}

string_enum! {
    /// Who wrote a message.
    AuthorKind {
        /// The learner (contact).
        Contact => "contact",
        Agent => "agent",
        Bot => "bot",
        System => "system",
    }
}

string_enum! {
    /// The kind of an entry in a conversation's append-only event log.
    EventKind {
        Created => "created",
        Assigned => "assigned",
        Unassigned => "unassigned",
        Escalated => "escalated",
        StatusChanged => "status_changed",
        PriorityChanged => "priority_changed",
        CategoryChanged => "category_changed",
        SlaWarning => "sla_warning",
        SlaBreached => "sla_breached",
        SopStarted => "sop_started",
        CollaboratorsAdded => "collaborators_added",
        /// The bot passed the conversation to a person, with its summary.
        HandedOver => "handed_over",
        /// An in-browser call rang, was accepted, declined, missed or ended.
        Call => "call",
    }
}

impl EventKind {
    /// Events a learner may see about their own conversation; the rest are agents' business.
    pub fn learner_visible(self) -> bool {
        matches!(self, EventKind::Created | EventKind::StatusChanged)
    }
}

string_enum! {
    /// Kinds of identity by which a contact is known on some channel.
    IdentityKind {
        /// The education platform's learner id (signed by the platform).
        Platform => "platform",
        Email => "email",
        Phone => "phone",
        WechatOpenid => "wechat_openid",
        /// A user of another social platform, as `<channel>:<user id>`.
        Social => "social",
        /// A random id for an anonymous widget visitor.
        Visitor => "visitor",
    }
}

/// Support tier: 1 answers frequent questions, 2 technical/course content, 3 experts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema)]
#[serde(try_from = "i64", into = "i64")]
#[schema(value_type = i64, description = "Support tier: 1, 2 or 3")]
pub struct Tier(u8);

impl Tier {
    pub const ONE: Tier = Tier(1);
    pub const TWO: Tier = Tier(2);
    pub const THREE: Tier = Tier(3);

    pub fn new(level: i64) -> Option<Tier> {
        (1..=3).contains(&level).then_some(Tier(level as u8))
    }

    pub fn level(self) -> i64 {
        i64::from(self.0)
    }
}

impl TryFrom<i64> for Tier {
    type Error = String;
    fn try_from(level: i64) -> Result<Self, Self::Error> {
        Tier::new(level).ok_or_else(|| format!("tier must be 1, 2 or 3, not {level}"))
    }
}

impl From<Tier> for i64 {
    fn from(tier: Tier) -> i64 {
        tier.level()
    }
}

impl std::fmt::Display for Tier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_forms_round_trip() {
        for status in Status::ALL {
            assert_eq!(Status::parse(status.as_str()), Some(*status));
        }
        for channel in Channel::ALL {
            assert_eq!(Channel::parse(channel.as_str()), Some(*channel));
        }
        assert_eq!(Role::parse("root"), None);
    }

    #[test]
    fn tier_accepts_only_one_to_three() {
        assert_eq!(Tier::new(0), None);
        assert_eq!(Tier::new(4), None);
        assert_eq!(Tier::new(2), Some(Tier::TWO));
        assert!(serde_json::from_str::<Tier>("5").is_err());
    }
}
