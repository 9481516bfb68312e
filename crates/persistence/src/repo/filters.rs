//! List filters every repository shares: text search and date windows.

use chrono::NaiveDate;
use rihla_domain::FieldError;
use sea_orm::sea_query::{Expr, ExprTrait, Func, LikeExpr};
use sea_orm::{ColumnTrait, Condition};

use crate::RepoError;
use crate::keyset::like_pattern;

/// Case-insensitive substring match on any of `cols` (LIKE with the pattern
/// characters escaped). `None` when `q` is blank.
pub(crate) fn text_search<C: ColumnTrait>(q: Option<&str>, cols: &[C]) -> Option<Condition> {
    let q = q.map(str::trim).filter(|q| !q.is_empty())?;
    let pattern = like_pattern(q);
    Some(cols.iter().fold(Condition::any(), |any, col| {
        any.add(
            Expr::expr(Func::lower(Expr::col(*col)))
                .like(LikeExpr::new(pattern.clone()).escape('\\')),
        )
    }))
}

/// Records whose [start, end] period overlaps the window [from, to]. A record
/// without an end date lasts its start day; one without dates matches no window.
pub(crate) fn overlapping<C: ColumnTrait>(
    (start, end): (C, C),
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> Result<Option<Condition>, RepoError> {
    if let (Some(f), Some(t)) = (from, to)
        && t < f
    {
        return Err(RepoError::BadParams(vec![FieldError::new(
            "to",
            "before_from",
            "to must not be before from",
        )]));
    }
    let mut cond = Condition::all();
    if let Some(to) = to {
        cond = cond.add(start.lte(to));
    }
    if let Some(from) = from {
        cond = cond.add(
            Condition::any()
                .add(end.gte(from))
                .add(Condition::all().add(end.is_null()).add(start.gte(from))),
        );
    }
    Ok((from.is_some() || to.is_some()).then_some(cond))
}
