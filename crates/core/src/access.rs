//! Who may see or change a conversation.
//!
//! The HTTP layer asks these functions and turns the answer into a status code, so the
//! rules live in one place and the role matrix in the docs can be checked against them:
//! - a learner sees only their own conversations; another's is reported as not found,
//!   so ids cannot be probed, and never sees internal notes or agent-only events;
//! - an agent works on conversations at or below their tier, or assigned to them;
//! - supervisors and admins work on every conversation.

use crate::model::{Role, Tier};

/// The authenticated caller of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Principal {
    /// A learner (contact), authenticated by a widget session.
    Learner { contact_id: i64 },
    /// A staff account: agent, supervisor or admin.
    Staff(StaffPrincipal),
}

/// A signed-in staff account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StaffPrincipal {
    pub user_id: i64,
    pub role: Role,
    pub tier: Tier,
}

/// The facts about a conversation that access depends on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConversationScope {
    pub contact_id: i64,
    pub tier: Tier,
    pub assignee_id: Option<i64>,
}

/// What a principal may do with one conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Staff: read everything, write replies and notes, change status, assign.
    Staff,
    /// The learner who owns it: read public messages, write public messages.
    Owner,
    /// Staff of another team pulled in as collaborators (e.g. finance on a refund
    /// dispute): they read what staff read and write internal notes only. Decided where
    /// collaborations are known (storage), never by [`Principal::conversation_access`].
    Collaborator,
    /// Staff outside their scope: the conversation exists but is not theirs to touch.
    Forbidden,
    /// Not visible at all (a learner probing another learner's id).
    Hidden,
}

impl StaffPrincipal {
    /// Whether this staff member may work on a conversation with the given scope.
    pub fn may_work_on(&self, scope: &ConversationScope) -> bool {
        self.role.oversees_all() || scope.assignee_id == Some(self.user_id) || scope.tier <= self.tier
    }

    /// Whether this staff member may list conversations of `tier` that are not theirs.
    pub fn may_see_tier(&self, tier: Tier) -> bool {
        self.role.oversees_all() || tier <= self.tier
    }
}

impl Principal {
    /// Decides access to one conversation.
    pub fn conversation_access(&self, scope: &ConversationScope) -> Access {
        match self {
            Principal::Learner { contact_id } if *contact_id == scope.contact_id => Access::Owner,
            Principal::Learner { .. } => Access::Hidden,
            Principal::Staff(staff) if staff.may_work_on(scope) => Access::Staff,
            Principal::Staff(_) => Access::Forbidden,
        }
    }

    pub fn staff(&self) -> Option<&StaffPrincipal> {
        match self {
            Principal::Staff(staff) => Some(staff),
            Principal::Learner { .. } => None,
        }
    }

    pub fn is_admin(&self) -> bool {
        matches!(self, Principal::Staff(StaffPrincipal { role: Role::Admin, .. }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn agent(user_id: i64, tier: Tier) -> Principal {
        Principal::Staff(StaffPrincipal { user_id, role: Role::Agent, tier })
    }

    const T2_UNASSIGNED: ConversationScope = ConversationScope { contact_id: 7, tier: Tier::TWO, assignee_id: None };

    #[test]
    fn learners_see_only_their_own() {
        assert_eq!(Principal::Learner { contact_id: 7 }.conversation_access(&T2_UNASSIGNED), Access::Owner);
        assert_eq!(Principal::Learner { contact_id: 8 }.conversation_access(&T2_UNASSIGNED), Access::Hidden);
    }

    #[test]
    fn agents_work_at_or_below_their_tier_or_when_assigned() {
        assert_eq!(agent(1, Tier::ONE).conversation_access(&T2_UNASSIGNED), Access::Forbidden);
        assert_eq!(agent(1, Tier::TWO).conversation_access(&T2_UNASSIGNED), Access::Staff);
        assert_eq!(agent(1, Tier::THREE).conversation_access(&T2_UNASSIGNED), Access::Staff);
        let assigned = ConversationScope { assignee_id: Some(1), ..T2_UNASSIGNED };
        assert_eq!(agent(1, Tier::ONE).conversation_access(&assigned), Access::Staff);
    }

    #[test]
    fn supervisors_and_admins_see_everything() {
        for role in [Role::Supervisor, Role::Admin] {
            let staff = Principal::Staff(StaffPrincipal { user_id: 9, role, tier: Tier::ONE });
            let t3 = ConversationScope { tier: Tier::THREE, ..T2_UNASSIGNED };
            assert_eq!(staff.conversation_access(&t3), Access::Staff);
        }
    }
}
