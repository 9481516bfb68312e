//! What every handler shares: the pool, the token keys, and a few settings.

use rihla_persistence::Db;

use crate::auth::access::{AccessCache, ScopeCache};
use crate::auth::password::Hasher;
use crate::auth::tokens::JwtKeys;

#[derive(Debug)]
pub struct AppState {
    pub db: Db,
    pub jwt: JwtKeys,
    /// An Argon2id hash of a random password, verified against when an email is
    /// unknown so that login takes the same time either way.
    pub dummy_hash: String,
    pub refresh_ttl: chrono::Duration,
    /// APP_SESSION_MAX_AGE_SECS: a login's refresh tokens end then at the latest.
    pub session_max_age: chrono::Duration,
    /// Password hashing, a bounded number at once.
    pub hasher: Hasher,
    pub login: LoginThrottle,
    pub idempotency_ttl: chrono::Duration,
    /// APP_AUDIT_RETENTION_DAYS: older audit events are pruned hourly.
    pub audit_retention: Option<chrono::Duration>,
    /// Users' role and active flag as recently read; user writes clear it.
    pub access: AccessCache,
    /// Partners' memberships as recently read; membership changes clear it.
    pub scopes: ScopeCache,
    /// SQLite: held while serving, so a second `serve` on the same data
    /// folder is refused.
    pub data_lock: Option<std::fs::File>,
    /// APP_IATI_REPORTING_ORG_*: the publisher IATI exports name; unset, the
    /// exports answer 409.
    pub iati: Option<crate::iati::ReportingOrg>,
}

/// How failed logins are throttled (see `routes::auth`): an account from
/// one address, and an address, are shut for the rest of the window past
/// their limits; an account from everywhere is only slowed down, so no
/// stranger can shut another's account.
#[derive(Debug, Clone)]
pub struct LoginThrottle {
    /// Failures of one account from one address (APP_LOGIN_MAX_FAILURES);
    /// also where an account starts to be slowed down.
    pub max_per_pair: i32,
    pub max_per_address: i32,
    pub window: chrono::Duration,
    /// Read the client address from X-Forwarded-For (behind a proxy).
    pub trust_forwarded_for: bool,
}

impl AppState {
    /// One connection for all of a request's reads (see `rihla_persistence::reader`); drop it
    /// before the response is encoded.
    pub async fn reader(&self) -> Result<rihla_persistence::Conn, crate::error::ApiError> {
        Ok(rihla_persistence::reader(&self.db).await?)
    }
}
