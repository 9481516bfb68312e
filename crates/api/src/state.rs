//! What every handler shares: the pool, the token keys, and a few settings.

use rihla_persistence::Db;

use crate::auth::access::AccessCache;
use crate::auth::tokens::JwtKeys;

#[derive(Debug)]
pub struct AppState {
    pub db: Db,
    pub jwt: JwtKeys,
    /// An Argon2id hash of a random password, verified against when an email is
    /// unknown so that login takes the same time either way.
    pub dummy_hash: String,
    pub refresh_ttl: chrono::Duration,
    pub idempotency_ttl: chrono::Duration,
    /// APP_AUDIT_RETENTION_DAYS: older audit events are pruned hourly.
    pub audit_retention: Option<chrono::Duration>,
    /// Users' role and active flag as recently read; user writes clear it.
    pub access: AccessCache,
}

impl AppState {
    /// One connection for all of a request's reads (see `rihla_persistence::reader`); drop it
    /// before the response is encoded.
    pub async fn reader(&self) -> Result<rihla_persistence::Conn, crate::error::ApiError> {
        Ok(rihla_persistence::reader(&self.db).await?)
    }
}
