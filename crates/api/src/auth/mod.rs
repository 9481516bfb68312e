//! Authentication and authorisation: password hashing, access tokens, refresh
//! token rotation, and the extractors that enforce a minimum role per route.

pub mod access;
pub mod caller;
pub mod password;
pub mod tokens;

pub use caller::{Admin, Caller, Editor, Viewer, Writer, authenticate};
