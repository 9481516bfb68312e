//! What every stored record carries, whatever its kind: the API derives
//! Location and ETag from it, the audit trail names and versions it.

use chrono::{DateTime, Utc};
use uuid::Uuid;

pub trait Record: serde::Serialize {
    fn id(&self) -> Uuid;
    fn version(&self) -> i32;
    fn deleted_at(&self) -> Option<DateTime<Utc>>;
}

macro_rules! record {
    ($($t:ty),+) => {$(
        impl Record for $t {
            fn id(&self) -> Uuid { self.id }
            fn version(&self) -> i32 { self.version }
            fn deleted_at(&self) -> Option<DateTime<Utc>> { self.deleted_at }
        }
    )+};
}
record!(
    crate::Activity,
    crate::ApiKey,
    crate::Document,
    crate::Delegation,
    crate::Dialogue,
    crate::Meeting,
    crate::Organisation,
    crate::Project,
    crate::ProjectMember,
    crate::User
);
