//! Authentication and authorisation: password hashing (bounded), access
//! tokens with their session epoch, refresh token rotation, API keys, the
//! caller's scope, and the extractors that enforce a minimum role per route.
//! Which records a caller reaches is decided in the data layer (`Scope`).

pub mod access;
pub mod caller;
pub mod password;
pub mod tokens;

pub use caller::{Admin, Caller, Editor, Viewer, Writer, authenticate, principal_of};
