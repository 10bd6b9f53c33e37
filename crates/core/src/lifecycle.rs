//! The conversation lifecycle: which status changes are legal.
//!
//! ```text
//! open ⇄ pending
//!   │       │
//!   └─► resolved ─► closed
//!          │
//!          └─► open   (reopen)
//! ```
//! `closed` is final: a learner who writes again gets a new conversation.

use crate::model::Status;

/// Why a status change was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a conversation cannot go from {from} to {to}")]
pub struct StatusChangeError {
    pub from: Status,
    pub to: Status,
}

/// Checks a status change. `Ok(false)` means "already there": nothing to do, nothing to log.
pub fn transition(from: Status, to: Status) -> Result<bool, StatusChangeError> {
    use Status::*;
    if from == to {
        return Ok(false);
    }
    let legal = matches!((from, to), (Open, Pending) | (Open, Resolved) | (Pending, Open) | (Pending, Resolved) | (Resolved, Open) | (Resolved, Closed));
    if legal { Ok(true) } else { Err(StatusChangeError { from, to }) }
}

/// The status a conversation moves to when the learner writes in it, if it moves.
///
/// A learner's message ends the wait on them (`pending`) and reopens a `resolved`
/// conversation; `open` stays and `closed` never takes messages.
pub fn on_learner_message(current: Status) -> Option<Status> {
    match current {
        Status::Pending | Status::Resolved => Some(Status::Open),
        Status::Open | Status::Closed => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Status::*;

    #[test]
    fn the_documented_paths_are_legal() {
        for (from, to) in [(Open, Pending), (Pending, Open), (Open, Resolved), (Pending, Resolved), (Resolved, Closed), (Resolved, Open)] {
            assert_eq!(transition(from, to), Ok(true), "{from} -> {to}");
        }
    }

    #[test]
    fn closed_is_final_and_skipping_resolve_is_refused() {
        for to in [Open, Pending, Resolved] {
            assert_eq!(transition(Closed, to), Err(StatusChangeError { from: Closed, to }));
        }
        assert!(transition(Open, Closed).is_err());
        assert!(transition(Pending, Closed).is_err());
        assert!(transition(Resolved, Pending).is_err());
    }

    #[test]
    fn same_status_is_a_no_op() {
        for status in Status::ALL {
            assert_eq!(transition(*status, *status), Ok(false));
        }
    }

    #[test]
    fn learner_message_reopens() {
        assert_eq!(on_learner_message(Resolved), Some(Open));
        assert_eq!(on_learner_message(Pending), Some(Open));
        assert_eq!(on_learner_message(Open), None);
        assert_eq!(on_learner_message(Closed), None);
    }
}
