//! Soft delete: `deleted_at` / `deleted_by` mark a deleted record, and
//! every read, reference check and uniqueness rule looks only at live rows
//! unless it says otherwise.

use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, Select};

/// A table whose rows are soft-deleted: `deleted_at` / `deleted_by` mark a
/// deleted record, and every read, reference check and uniqueness rule looks
/// only at live rows unless it says otherwise.
pub trait SoftDelete: EntityTrait {
    const ID: Self::Column;
    const CREATED_AT: Self::Column;
    const CREATED_BY: Self::Column;
    const DELETED_AT: Self::Column;
    const DELETED_BY: Self::Column;
    const VERSION: Self::Column;
    const UPDATED_AT: Self::Column;
    const UPDATED_BY: Self::Column;
}

macro_rules! soft_delete {
    ($($table:ident),+) => {$(
        impl SoftDelete for crate::entities::$table::Entity {
            const ID: Self::Column = crate::entities::$table::Column::Id;
            const CREATED_AT: Self::Column = crate::entities::$table::Column::CreatedAt;
            const CREATED_BY: Self::Column = crate::entities::$table::Column::CreatedBy;
            const DELETED_AT: Self::Column = crate::entities::$table::Column::DeletedAt;
            const DELETED_BY: Self::Column = crate::entities::$table::Column::DeletedBy;
            const VERSION: Self::Column = crate::entities::$table::Column::Version;
            const UPDATED_AT: Self::Column = crate::entities::$table::Column::UpdatedAt;
            const UPDATED_BY: Self::Column = crate::entities::$table::Column::UpdatedBy;
        }
    )+};
}
soft_delete!(
    api_keys,
    users,
    organisations,
    projects,
    activities,
    dialogues,
    dialogue_meetings,
    delegations,
    documents,
    project_members
);

/// The rows a list starts from: live ones, or all with `include_deleted`
/// (admins only; the API checked the role).
pub(crate) fn listed<E: SoftDelete>(p: &impl rihla_domain::paging::Paged) -> Select<E> {
    let select = E::find();
    if p.include_deleted() == Some(true) {
        select
    } else {
        select.filter(live::<E>())
    }
}

/// Live rows only.
pub(crate) fn live<E: SoftDelete>() -> Condition {
    Condition::all().add(E::DELETED_AT.is_null())
}
