//! One module per table, mirroring the migrations. Relations are left out on
//! purpose: repositories load a page's children with one batched query per
//! child table instead of per row, or (projects, activities) from the copy
//! of them on the record's own row.
pub mod activities;
pub mod activity_dialogues;
pub mod activity_locations;
pub mod activity_organisations;
pub mod activity_tags;
pub mod api_keys;
pub mod audit_events;
pub mod audit_feed;
pub mod delegation_members;
pub mod delegations;
pub mod dialogue_meetings;
pub mod dialogue_regions;
pub mod dialogues;
pub mod document_languages;
pub mod document_organisations;
pub mod documents;
pub mod idempotency_keys;
pub mod login_failures;
pub mod organisations;
pub mod project_members;
pub mod project_outcomes;
pub mod project_participants;
pub mod project_tags;
pub mod projects;
pub mod refresh_tokens;
pub mod users;
