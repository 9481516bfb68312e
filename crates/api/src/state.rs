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
    /// Scopes this instance found shut, for a few seconds.
    pub shut: std::sync::Arc<ShutScopes>,
}

/// Throttle scopes this instance found past their limit, remembered for at
/// most `ShutScopes::HOLD`: a flood of refused logins is answered from
/// memory instead of reading the database each time, while an unlock
/// (`rihla user unlock`, or any instance's successful login) is seen within
/// seconds. Bounded: past `MAX` entries it forgets the lapsed ones, and
/// then all.
#[derive(Debug, Default)]
pub struct ShutScopes(
    std::sync::Mutex<std::collections::HashMap<String, (std::time::Instant, std::time::Instant)>>,
);

impl ShutScopes {
    const HOLD: std::time::Duration = std::time::Duration::from_secs(5);
    const MAX: usize = 10_000;

    /// How long `scope` stays shut, if this instance knows it is.
    pub fn shut_for(&self, scope: &str) -> Option<std::time::Duration> {
        let mut map = self.0.lock().ok()?;
        let (recheck, until) = *map.get(scope)?;
        let now = std::time::Instant::now();
        if now >= recheck {
            map.remove(scope);
            return None;
        }
        until.checked_duration_since(now)
    }

    /// Remembers `scope` as shut for `left`; the database is asked again
    /// after `HOLD`.
    pub fn remember(&self, scope: &str, left: std::time::Duration) {
        let Ok(mut map) = self.0.lock() else { return };
        let now = std::time::Instant::now();
        if map.len() >= Self::MAX {
            map.retain(|_, (recheck, _)| *recheck > now);
            if map.len() >= Self::MAX {
                map.clear();
            }
        }
        map.insert(scope.to_owned(), (now + left.min(Self::HOLD), now + left));
    }
}

impl AppState {
    /// One connection for all of a request's reads (see `rihla_persistence::reader`); drop it
    /// before the response is encoded.
    pub async fn reader(&self) -> Result<rihla_persistence::Conn, crate::error::ApiError> {
        Ok(rihla_persistence::reader(&self.db).await?)
    }
}
