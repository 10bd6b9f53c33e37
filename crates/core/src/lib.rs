//! EduDesk's domain core: plain Rust with no I/O.
//!
//! It owns the vocabulary every other part speaks (roles, tiers, channels, statuses,
//! priorities), the conversation lifecycle, input types parsed at the edge, and the
//! access rules that decide who may see or change what. Everything here is
//! deterministic and unit-tested; storage and HTTP live in the `edudesk` crate.

pub mod access;
pub mod awards;
pub mod feedback;
pub mod hiring;
pub mod input;
pub mod kpi;
pub mod lang;
pub mod lifecycle;
pub mod model;
pub mod qa;
pub mod routing;
pub mod sla;
pub mod sop;
pub mod spikes;
pub mod staffing;
pub mod training;

pub use access::{Access, ConversationScope, Principal, StaffPrincipal};
pub use lifecycle::{StatusChangeError, transition};
pub use model::*;
