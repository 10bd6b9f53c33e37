//! EduDesk's integration tests: one binary, each test with its own database and a real
//! server on port 0. Every test in `backend_tests!` runs on SQLite and, when
//! `EDUDESK_TEST_POSTGRES_URL` is set, on PostgreSQL too.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod helpers;

mod bot;
mod channels;
mod email;
mod hiring;
mod incidents;
mod jobs;
mod kb;
mod kpis;
mod layers;

mod attachments;
mod auth;
mod awards;
mod bad_input;
mod browser;
mod calls;
mod cli;
mod conversations;
mod messages;
mod openapi;
mod outbound;
mod privacy;
mod quality;
mod realtime;
mod role_matrix;
mod routing;
mod scale_out;
mod search;
mod sla;
mod sops;
mod staffing;
mod surveys;
mod training;
mod users;
mod wall;
mod widget;
