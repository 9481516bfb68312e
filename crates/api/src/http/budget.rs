//! Request budgets (OWASP API4): what one caller (a user or an API key) may
//! spend. A rate per caller, as GCRA (a token bucket kept as one instant
//! per caller): past it, 429 with Retry-After; every answer to a caller
//! carries the IETF httpapi draft's `RateLimit-Policy` and `RateLimit`
//! headers. And streamed exports: at most a few at once per caller, and a
//! send timeout, so a client that stops reading holds neither a page of
//! memory nor a slot for longer than that (`Slot`, `export::guarded`).
//!
//! Each instance counts on its own, in memory: behind a load balancer a
//! caller's budget is the per-instance figure times the instances it
//! reaches. Nothing here is written to the database.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::web;
use uuid::Uuid;

use crate::error::ApiError;

/// The settings (APP_RATE_LIMIT_*, APP_EXPORTS_*).
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Requests per minute a caller may make on average; 0: no limit.
    pub per_minute: u32,
    /// Requests a caller may make at once beyond the average.
    pub burst: u32,
    /// Streamed exports one caller may have open at once.
    pub exports: usize,
    /// How long a streamed export waits for its client to take the next
    /// chunk before it ends.
    pub send_timeout: Duration,
}

const SHARDS: usize = 16;

/// Every caller's budget on this instance.
pub struct Budgets {
    limits: Limits,
    /// Nanoseconds since `epoch` at which each caller's bucket is full
    /// again (GCRA's theoretical arrival time).
    rate: [Mutex<HashMap<Uuid, u64>>; SHARDS],
    exports: [Mutex<HashMap<Uuid, Arc<AtomicUsize>>>; SHARDS],
    epoch: Instant,
}

/// What a caller has left, for the `RateLimit` header.
#[derive(Debug, Clone, Copy)]
pub struct Left {
    /// Requests it may make right now.
    pub remaining: u64,
    /// Seconds until its budget is whole again.
    pub reset_secs: u64,
}

fn shard(id: &Uuid) -> usize {
    id.as_u128() as usize % SHARDS
}

impl Budgets {
    pub fn new(limits: Limits) -> Self {
        Budgets {
            limits,
            rate: std::array::from_fn(|_| Mutex::new(HashMap::new())),
            exports: std::array::from_fn(|_| Mutex::new(HashMap::new())),
            epoch: Instant::now(),
        }
    }

    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// Spends one request of `caller`'s budget: what is left, or how long
    /// until the next one is allowed.
    pub fn spend(&self, caller: Uuid) -> Result<Left, Duration> {
        let per_minute = u64::from(self.limits.per_minute);
        let interval = 60_000_000_000 / per_minute.max(1);
        let tolerance = interval * u64::from(self.limits.burst.max(1));
        let now = self.epoch.elapsed().as_nanos() as u64;
        let Ok(mut map) = self.rate[shard(&caller)].lock() else {
            // A poisoned lock only follows a panic elsewhere: do not turn
            // it into refusals.
            return Ok(Left {
                remaining: 0,
                reset_secs: 0,
            });
        };
        let tat = map.get(&caller).copied().unwrap_or(now).max(now);
        let next = tat + interval;
        if next - now > tolerance {
            return Err(Duration::from_nanos(next - now - tolerance));
        }
        // Keep the map to callers that spent something lately.
        if map.len() > 4_096 {
            map.retain(|_, t| *t > now);
        }
        map.insert(caller, next);
        Ok(Left {
            remaining: (tolerance - (next - now)) / interval,
            reset_secs: (next - now).div_ceil(1_000_000_000),
        })
    }

    /// A slot for one streamed export of `caller`, or 429 when it has as
    /// many open as it may.
    pub fn export_slot(&self, caller: Uuid) -> Result<Slot, ApiError> {
        let count = {
            let Ok(mut map) = self.exports[shard(&caller)].lock() else {
                return Err(ApiError::internal("export slots are unavailable"));
            };
            map.retain(|_, c| c.load(Ordering::Acquire) > 0);
            map.entry(caller).or_default().clone()
        };
        let open = count.fetch_add(1, Ordering::AcqRel);
        if open >= self.limits.exports {
            count.fetch_sub(1, Ordering::AcqRel);
            return Err(ApiError::TooManyRequests {
                detail: format!(
                    "you have {open} exports streaming already, at most {} at once; retry when one ends",
                    self.limits.exports
                ),
                retry_after_secs: 5,
            });
        }
        Ok(Slot {
            count,
            send_timeout: self.limits.send_timeout,
        })
    }
}

/// One streamed export's place among its caller's; freed when dropped (the
/// export ended, its client went away, or it timed out).
#[derive(Debug)]
pub struct Slot {
    count: Arc<AtomicUsize>,
    pub send_timeout: Duration,
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.count.fetch_sub(1, Ordering::AcqRel);
    }
}

const RATELIMIT_POLICY: HeaderName = HeaderName::from_static("ratelimit-policy");
const RATELIMIT: HeaderName = HeaderName::from_static("ratelimit");

/// The budget middleware: after authentication, spends a request of the
/// caller's budget (429 past it) and says what is left on the answer.
/// Requests without a caller (public routes, refused credentials) pass:
/// logins have their own throttle.
pub async fn spend(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<actix_web::body::BoxBody>, actix_web::Error> {
    let budgets = req.app_data::<web::Data<Budgets>>().cloned();
    let caller = crate::auth::principal_of(req.request());
    let (Some(budgets), Some(caller)) = (budgets, caller) else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let limits = budgets.limits();
    if limits.per_minute == 0 {
        return Ok(next.call(req).await?.map_into_boxed_body());
    }
    let policy = format!("\"default\";q={};w=60", limits.per_minute);
    match budgets.spend(caller) {
        Err(wait) => {
            let err = ApiError::TooManyRequests {
                detail: format!(
                    "this caller's request budget is spent ({} a minute, {} at once); retry after Retry-After seconds",
                    limits.per_minute, limits.burst
                ),
                retry_after_secs: wait.as_secs() + 1,
            };
            let mut res = actix_web::ResponseError::error_response(&err);
            let headers = res.headers_mut();
            if let Ok(v) = HeaderValue::from_str(&policy) {
                headers.insert(RATELIMIT_POLICY, v);
            }
            if let Ok(v) =
                HeaderValue::from_str(&format!("\"default\";r=0;t={}", wait.as_secs() + 1))
            {
                headers.insert(RATELIMIT, v);
            }
            Ok(req.into_response(res))
        }
        Ok(left) => {
            let mut res = next.call(req).await?.map_into_boxed_body();
            let headers = res.headers_mut();
            if let Ok(v) = HeaderValue::from_str(&policy) {
                headers.insert(RATELIMIT_POLICY, v);
            }
            if let Ok(v) = HeaderValue::from_str(&format!(
                "\"default\";r={};t={}",
                left.remaining, left.reset_secs
            )) {
                headers.insert(RATELIMIT, v);
            }
            Ok(res)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn budgets(per_minute: u32, burst: u32) -> Budgets {
        Budgets::new(Limits {
            per_minute,
            burst,
            exports: 2,
            send_timeout: Duration::from_secs(1),
        })
    }

    #[test]
    fn a_caller_spends_its_burst_then_waits_and_others_are_untouched() {
        let b = budgets(60, 3);
        let (me, other) = (Uuid::now_v7(), Uuid::now_v7());
        let first = b.spend(me).unwrap_or_else(|_| panic!("first"));
        assert_eq!(first.remaining, 2);
        assert!(b.spend(me).is_ok() && b.spend(me).is_ok());
        let wait = b.spend(me).err().unwrap_or_default();
        assert!(wait > Duration::from_millis(900) && wait <= Duration::from_secs(1));
        assert!(b.spend(other).is_ok());
    }

    #[test]
    fn export_slots_are_counted_per_caller_and_freed_on_drop() {
        let b = budgets(60, 3);
        let me = Uuid::now_v7();
        let one = b.export_slot(me);
        let two = b.export_slot(me);
        assert!(one.is_ok() && two.is_ok());
        assert!(b.export_slot(me).is_err());
        assert!(b.export_slot(Uuid::now_v7()).is_ok());
        drop(one);
        assert!(b.export_slot(me).is_ok());
    }
}
