//! EduDesk: the customer-service system for an online-education platform.
//!
//! This crate is the whole application as a library; `main.rs` only parses the command
//! line and calls [`app::cli::run`]. It is built in layers, each using only the ones below
//! it (a test, `layers_only_import_downwards`, keeps it so):
//!
//! ```text
//! app        wiring: build and serve a node, the job worker, the command line
//! http       REST API, realtime socket, pages      channels   WeChat, SMS, email, CTI, social
//! services   the use cases (open, post, escalate, hand over, resolve...), AppState; demo data
//! realtime   hub and bus     knowledge   search index, bot, article import     error, clock
//! store      SQL on SQLite or PostgreSQL, the batch commit; its own error type
//! config     the typed configuration             crypto     hashes, tokens, signatures
//! ```
//!
//! Below them all, the pure crates: `edudesk-core` (domain rules) and `edudesk-bot`.

pub mod app;
pub mod channels;
pub mod clock;
pub mod config;
pub mod crypto;
pub mod demo;
pub mod error;
pub mod http;
pub mod knowledge;
pub mod realtime;
pub mod services;
pub mod store;

pub use app::App;
pub use config::Config;
pub use services::AppState;
