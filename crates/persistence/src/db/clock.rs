//! The clock every stored time comes from.

use chrono::{DateTime, SubsecRound, Utc};

/// The current time at the precision PostgreSQL stores, so a value read back is
/// equal to the value written on both backends.
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}
