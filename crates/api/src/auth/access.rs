//! A short-lived, per-process memory of what each caller may do (a user's
//! role, active flag and session epoch; a partner's project memberships), so
//! an authenticated request does not pay a database round trip just to
//! learn what the previous request learnt a moment ago.
//!
//! Changes made through this process (a user patched, deleted or restored)
//! clear it at once, so here a deactivated user's next request is refused.
//! A change made elsewhere (another instance, the CLI) is seen within `TTL`.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use rihla_persistence::repo::users;
use uuid::Uuid;

/// How stale an entry may be when the change came from another process.
pub const TTL: Duration = Duration::from_secs(1);
/// Entries kept at most; beyond it the map starts over (it refills in one
/// request per active user).
const CAPACITY: usize = 10_000;

/// What the database said of a user: `None` when there is no such live user.
pub type Access = Option<users::Access>;

/// Users' access, cleared by every change to a user made here.
pub type AccessCache = TtlCache<Access>;
/// Partners' memberships, cleared by every membership change made here.
pub type ScopeCache = TtlCache<rihla_persistence::Scope>;

#[derive(Debug)]
pub struct TtlCache<V> {
    inner: Mutex<Inner<V>>,
}

impl<V> Default for TtlCache<V> {
    fn default() -> Self {
        TtlCache {
            inner: Mutex::new(Inner {
                generation: 0,
                entries: HashMap::new(),
            }),
        }
    }
}

#[derive(Debug)]
struct Inner<V> {
    /// Bumped by every invalidation; a read that began under an older
    /// generation is not stored, so it cannot bring back what was cleared.
    generation: u64,
    entries: HashMap<Uuid, (Instant, V)>,
}

impl<V: Clone> TtlCache<V> {
    /// The remembered value and the generation to store a fresh read under.
    pub fn get(&self, id: Uuid) -> Result<V, u64> {
        let inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        match inner.entries.get(&id) {
            Some((at, value)) if at.elapsed() < TTL => Ok(value.clone()),
            _ => Err(inner.generation),
        }
    }

    /// Remembers a read begun under `generation`, unless something was
    /// invalidated since.
    pub fn put(&self, id: Uuid, generation: u64, value: V) {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if inner.generation != generation {
            return;
        }
        if inner.entries.len() >= CAPACITY {
            inner.entries.clear();
        }
        inner.entries.insert(id, (Instant::now(), value));
    }

    /// Forgets everything; called after a change it depends on commits.
    pub fn invalidate(&self) {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        inner.generation += 1;
        inner.entries.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rihla_domain::Role;

    const ADMIN: Access = Some(users::Access {
        role: Role::Admin,
        active: true,
        session_epoch: 0,
    });

    #[test]
    fn a_read_begun_before_an_invalidation_is_not_remembered() {
        let cache = AccessCache::default();
        let id = Uuid::nil();
        let generation = cache.get(id).err().unwrap_or(u64::MAX);
        cache.invalidate();
        cache.put(id, generation, ADMIN);
        assert!(cache.get(id).is_err());

        let generation = cache.get(id).err().unwrap_or(u64::MAX);
        cache.put(id, generation, ADMIN);
        assert_eq!(cache.get(id), Ok(ADMIN));
        cache.invalidate();
        assert!(cache.get(id).is_err());
    }
}
