//! Black-box HTTP tests: each spawns the real app on 127.0.0.1:0 with its own
//! fresh database (SQLite, or PostgreSQL with TEST_DATABASE_URL).

// The workspace denies unwrap/expect outside tests; this crate is only tests.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

mod activities;
mod api_keys;
mod auth;
mod concurrency;
mod delegations;
mod demo;
mod dialogues;
mod documents;
mod donor;
mod errors;
mod export;
mod feed;
mod hardening;
mod history;
mod iati;
mod limits;
mod metrics;
mod openapi;
mod organisations;
mod paging;
mod projects;
mod reports;
mod roles;
mod schema;
mod scope;
mod security;
mod sessions;
mod snapshots;
mod strict;
mod tidy;
mod users;
