//! The reports' SQL: one GROUP BY per report, run by the database on both
//! backends, so no record is loaded into the server to be counted. Only the
//! period expressions differ by backend.
//!
//! A report on single-valued dimensions groups twice: by the raw columns
//! (in the order of the covering index `ix_activities_report`), then by the
//! values computed from them (a date's quarter). Multi-valued dimensions (an activity's countries and organisations) are
//! joined only when grouped by, and then through `SELECT DISTINCT (activity,
//! group values)` first: an activity held in two cities of one country counts
//! once for that country, and once for each of two countries. Filters on them
//! are `IN` subqueries, which never multiply a row. Delegation members are
//! joined for their counts; delegations are counted `DISTINCT`.

use crate::Connection;
use std::collections::HashSet;

use rihla_domain::report::{
    ActivityDimension, ActivityReportParams, DelegationDimension, DelegationFigures,
    DelegationReportParams, Group, Labels, MAX_GROUPS, ParticipationFigures, Period,
};
use sea_orm::{DbBackend, QueryResult, Statement, Value};
use uuid::Uuid;

use crate::RepoError;
use crate::scope::Scope;

/// A statement under construction: text and the values bound into it, with
/// the placeholder style of the backend.
struct Sql {
    backend: DbBackend,
    text: String,
    values: Vec<Value>,
}

impl Sql {
    fn new(backend: DbBackend) -> Self {
        Sql {
            backend,
            text: String::new(),
            values: Vec::new(),
        }
    }

    /// A placeholder for `value`.
    fn bind(&mut self, value: impl Into<Value>) -> String {
        self.values.push(value.into());
        match self.backend {
            DbBackend::Postgres => format!("${}", self.values.len()),
            _ => "?".to_owned(),
        }
    }

    fn statement(self) -> Statement {
        Statement::from_sql_and_values(self.backend, self.text, self.values)
    }
}

/// The group value of `date` (a DATE column) for a period, as text.
fn period_sql(backend: DbBackend, period: Period, date: &str) -> String {
    match (backend, period) {
        (DbBackend::Postgres, Period::Year) => format!("to_char({date}, 'YYYY')"),
        (DbBackend::Postgres, Period::Quarter) => format!("to_char({date}, 'YYYY-\"Q\"Q')"),
        (DbBackend::Postgres, Period::Month) => format!("to_char({date}, 'YYYY-MM')"),
        // SQLite keeps a DATE as 'YYYY-MM-DD' text.
        (_, Period::Year) => format!("substr({date}, 1, 4)"),
        (_, Period::Quarter) => format!(
            "substr({date}, 1, 4) || '-Q' || ((CAST(substr({date}, 6, 2) AS INTEGER) + 2) / 3)"
        ),
        (_, Period::Month) => format!("substr({date}, 1, 7)"),
    }
}

/// How a group value is read back.
#[derive(Clone, Copy)]
enum Kind {
    Id,
    Text,
}

/// One dimension as SQL: its expression, how it reads back, the join it
/// needs (if multi-valued).
struct Dim {
    name: &'static str,
    /// The column the value comes from.
    column: &'static str,
    /// The period of the column (a date) the group is, if any.
    period: Option<Period>,
    kind: Kind,
    join: Option<&'static str>,
    label: Option<&'static str>,
}

impl Dim {
    /// The group value, computed from `source` (the column, or a subquery's
    /// copy of it).
    fn expr(&self, backend: DbBackend, source: &str) -> String {
        match self.period {
            Some(period) => period_sql(backend, period, source),
            None => source.to_owned(),
        }
    }
}

fn read_group(row: &QueryResult, dims: &[Dim]) -> Result<Vec<Option<String>>, RepoError> {
    dims.iter()
        .enumerate()
        .map(|(i, d)| {
            Ok(match d.kind {
                Kind::Id => row
                    .try_get_by_index::<Option<Uuid>>(i)?
                    .map(|u| u.to_string()),
                Kind::Text => row.try_get_by_index::<Option<String>>(i)?,
            })
        })
        .collect()
}

fn too_many_groups() -> RepoError {
    RepoError::BadParams(vec![rihla_domain::FieldError::new(
        "group_by",
        "too_many_groups",
        format!(
            "the report has more than {MAX_GROUPS} groups; filter it or group by fewer dimensions"
        ),
    )])
}

/// `project_column IN (the partner's projects)`, or nothing for an
/// organisation-wide scope.
fn scope_sql(sql: &mut Sql, scope: &Scope, project_column: &str) -> Option<String> {
    let reach = scope.reach(false)?;
    if reach.ids().is_empty() {
        return Some("1 = 0".to_owned());
    }
    let list: Vec<String> = reach.ids().iter().map(|id| sql.bind(*id)).collect();
    Some(format!("{project_column} IN ({})", list.join(", ")))
}

/// Rows in the order of their group values, nulls last, so both backends
/// (which order nulls differently) answer alike.
fn sort_groups<F>(rows: &mut [(Vec<Option<String>>, F)]) {
    rows.sort_by(|(a, _), (b, _)| {
        a.iter()
            .zip(b.iter())
            .map(|(x, y)| match (x, y) {
                (Some(x), Some(y)) => x.cmp(y),
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (None, None) => std::cmp::Ordering::Equal,
            })
            .find(|o| o.is_ne())
            .unwrap_or(std::cmp::Ordering::Equal)
    });
}

/// Runs a report's grouped statement: each row's group values (the first
/// columns) and figures (`read` from the column after them), the groups
/// with something in them (`counts`), in order; a 400 past `MAX_GROUPS`.
async fn grouped<F>(
    db: &impl Connection,
    sql: Sql,
    dims: &[Dim],
    read: impl Fn(&QueryResult, usize) -> Result<F, RepoError>,
    counts: impl Fn(&F) -> bool,
) -> Result<Vec<(Vec<Option<String>>, F)>, RepoError> {
    let result = db.query_all_raw(sql.statement()).await?;
    if result.len() > MAX_GROUPS {
        return Err(too_many_groups());
    }
    let mut rows = Vec::with_capacity(result.len());
    for row in &result {
        let figures = read(row, dims.len())?;
        if counts(&figures) {
            rows.push((read_group(row, dims)?, figures));
        }
    }
    sort_groups(&mut rows);
    Ok(rows)
}

/// One report row as the domain has it: the group by dimension name, and
/// the names of what its ids name.
pub struct Grouped<F> {
    pub group: Group,
    pub labels: Labels,
    pub figures: F,
}

/// Names each group's ids (titles of projects, names of organisations and
/// dialogues, titles of meetings), one `IN` query per dimension.
async fn label<F>(
    db: &impl Connection,
    dims: &[Dim],
    rows: Vec<(Vec<Option<String>>, F)>,
) -> Result<Vec<Grouped<F>>, RepoError> {
    let backend = db.get_database_backend();
    let mut names: Vec<std::collections::HashMap<String, String>> = Vec::new();
    for (i, dim) in dims.iter().enumerate() {
        let mut found = std::collections::HashMap::new();
        if let Some(label) = dim.label {
            let (table, column) = match label {
                "project_title" => ("projects", "title"),
                "organisation_name" => ("organisations", "name"),
                "dialogue_name" => ("dialogues", "name"),
                _ => ("dialogue_meetings", "title"),
            };
            let ids: HashSet<Uuid> = rows
                .iter()
                .filter_map(|(g, _)| g[i].as_deref().and_then(|v| v.parse().ok()))
                .collect();
            let ids: Vec<Uuid> = ids.into_iter().collect();
            for chunk in ids.chunks(500) {
                let mut sql = Sql::new(backend);
                let list: Vec<String> = chunk.iter().map(|id| sql.bind(*id)).collect();
                sql.text = format!(
                    "SELECT id, {column} FROM {table} WHERE id IN ({})",
                    list.join(", ")
                );
                for row in db.query_all_raw(sql.statement()).await? {
                    let id: Uuid = row.try_get_by_index(0)?;
                    let name: String = row.try_get_by_index(1)?;
                    found.insert(id.to_string(), name);
                }
            }
        }
        names.push(found);
    }
    Ok(rows
        .into_iter()
        .map(|(values, figures)| {
            let mut group = Group::new();
            let mut labels = Labels::new();
            for (i, (dim, value)) in dims.iter().zip(values).enumerate() {
                if let (Some(label), Some(v)) = (dim.label, value.as_deref())
                    && let Some(name) = names[i].get(v)
                {
                    labels.insert(label.to_owned(), name.clone());
                }
                group.insert(dim.name.to_owned(), value);
            }
            Grouped {
                group,
                labels,
                figures,
            }
        })
        .collect())
}

fn activity_dim(d: ActivityDimension) -> Dim {
    let (column, kind, join) = match d {
        ActivityDimension::Project => ("a.project_id", Kind::Id, None),
        ActivityDimension::Outcome => ("a.outcome_code", Kind::Text, None),
        ActivityDimension::Kind => ("a.kind", Kind::Text, None),
        ActivityDimension::Status => ("a.status", Kind::Text, None),
        ActivityDimension::Modality => ("a.modality", Kind::Text, None),
        ActivityDimension::Dialogue => (
            "ad.dialogue_id",
            Kind::Id,
            Some("LEFT JOIN activity_dialogues ad ON ad.activity_id = a.id"),
        ),
        ActivityDimension::Country => (
            "l.country_code",
            Kind::Text,
            Some("LEFT JOIN activity_locations l ON l.activity_id = a.id"),
        ),
        ActivityDimension::Organisation => (
            "o.organisation_id",
            Kind::Id,
            Some("LEFT JOIN activity_organisations o ON o.activity_id = a.id"),
        ),
        ActivityDimension::Year | ActivityDimension::Quarter | ActivityDimension::Month => {
            ("a.start_date", Kind::Text, None)
        }
    };
    Dim {
        name: d.as_str(),
        column,
        period: d.period(),
        kind,
        join,
        label: d.label(),
    }
}

/// Conditions under construction, each binding its value.
struct Conditions<'a> {
    sql: &'a mut Sql,
    all: Vec<String>,
}

impl Conditions<'_> {
    /// `condition` with its `?` bound to `value`, when there is a value.
    fn add<V: Into<Value>>(&mut self, condition: &str, value: Option<V>) {
        if let Some(v) = value {
            let at = self.sql.bind(v);
            self.all.push(condition.replacen('?', &at, 1));
        }
    }
}

/// The WHERE clause of an activity report.
fn activity_filters(sql: &mut Sql, scope: &Scope, p: &ActivityReportParams) -> String {
    let mut c = Conditions {
        sql,
        all: vec!["a.deleted_at IS NULL".to_owned()],
    };
    c.add("a.project_id = ?", p.project_id);
    // A month- or year-precise start counts when any day of its period is in
    // the window. Such a period is at most a year long, so the first
    // condition keeps the scan of the index a range.
    c.add(
        "a.start_date >= ?",
        p.from
            .and_then(|f| f.checked_sub_days(chrono::Days::new(366))),
    );
    c.add("a.start_date_last >= ?", p.from);
    c.add("a.start_date <= ?", p.to);
    c.add("a.kind = ?", p.kind.map(|v| v.as_str()));
    c.add("a.status = ?", p.status.map(|v| v.as_str()));
    c.add("a.modality = ?", p.modality.map(|v| v.as_str()));
    c.add(
        "a.id IN (SELECT activity_id FROM activity_dialogues WHERE dialogue_id = ?)",
        p.dialogue_id,
    );
    c.add(
        "a.id IN (SELECT activity_id FROM activity_locations WHERE country_code = ?)",
        p.country_code.as_ref().map(|cc| cc.to_uppercase()),
    );
    c.add(
        "a.id IN (SELECT activity_id FROM activity_organisations WHERE organisation_id = ?)",
        p.organisation_id,
    );
    let mut all = c.all;
    if let Some(cond) = scope_sql(sql, scope, "a.project_id") {
        all.push(cond);
    }
    all.join(" AND ")
}

const PARTICIPANTS: [&str; 4] = [
    "participants_planned",
    "participants_actual",
    "participants_female",
    "participants_male",
];

fn read_participation(row: &QueryResult, at: usize) -> Result<ParticipationFigures, RepoError> {
    Ok(ParticipationFigures {
        activities: row.try_get_by_index::<i64>(at)?,
        planned: row.try_get_by_index::<Option<i64>>(at + 1)?,
        actual: row.try_get_by_index::<Option<i64>>(at + 2)?,
        female: row.try_get_by_index::<Option<i64>>(at + 3)?,
        male: row.try_get_by_index::<Option<i64>>(at + 4)?,
    })
}

fn add(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a + b),
        (a, b) => a.or(b),
    }
}

/// Activities and participant sums per group of `dims`, and the totals over
/// every matching activity once.
pub async fn participation(
    db: &impl Connection,
    scope: &Scope,
    dims: &[ActivityDimension],
    p: &ActivityReportParams,
) -> Result<(Vec<Grouped<ParticipationFigures>>, ParticipationFigures), RepoError> {
    let backend = db.get_database_backend();
    let dims: Vec<Dim> = dims.iter().map(|d| activity_dim(*d)).collect();
    let multi = dims.iter().any(|d| d.join.is_some());
    let mut sql = Sql::new(backend);
    let filters = activity_filters(&mut sql, scope, p);
    let ordinals = (1..=dims.len())
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(", ");
    let group_clause = if dims.is_empty() {
        String::new()
    } else {
        format!(" GROUP BY {ordinals}")
    };
    let mut select: Vec<String> = Vec::new();
    if multi {
        // Each (activity, group values) once, then counted.
        let joins: Vec<&str> = dims.iter().filter_map(|d| d.join).collect();
        let mut inner: Vec<String> = vec!["a.id AS aid".to_owned()];
        inner.extend(
            dims.iter()
                .enumerate()
                .map(|(i, d)| format!("{} AS d{i}", d.expr(backend, d.column))),
        );
        inner.extend(PARTICIPANTS.iter().map(|c| format!("a.{c} AS {c}")));
        select.extend((0..dims.len()).map(|i| format!("t.d{i}")));
        select.push("COUNT(*)".to_owned());
        select.extend(PARTICIPANTS.iter().map(|c| format!("SUM(t.{c})")));
        sql.text = format!(
            "SELECT {} FROM (SELECT DISTINCT {} FROM activities a {} WHERE {filters}) t{group_clause} LIMIT {}",
            select.join(", "),
            inner.join(", "),
            joins.join(" "),
            MAX_GROUPS + 1
        );
    } else if dims.is_empty() {
        select.push("COUNT(*)".to_owned());
        select.extend(PARTICIPANTS.iter().map(|c| format!("SUM(a.{c})")));
        sql.text = format!(
            "SELECT {} FROM activities a WHERE {filters}",
            select.join(", ")
        );
    } else {
        // Grouped twice: first by the columns alone (led by the start date,
        // in the order of `ix_activities_report`, which covers every column
        // here, so SQLite needs no sort), then by the group values computed
        // from them: a period is computed once per day, not per activity.
        let mut columns: Vec<&str> = Vec::new();
        for d in &dims {
            if !columns.contains(&d.column) {
                columns.push(d.column);
            }
        }
        columns.sort_by_key(|c| *c != "a.start_date");
        let at = |column: &str| columns.iter().position(|c| *c == column).unwrap_or(0);
        let mut inner: Vec<String> = columns
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{c} AS c{i}"))
            .collect();
        inner.push("COUNT(*) AS n".to_owned());
        inner.extend(PARTICIPANTS.iter().map(|c| format!("SUM(a.{c}) AS {c}")));
        let inner_group: Vec<String> = (1..=columns.len()).map(|i| i.to_string()).collect();
        select.extend(
            dims.iter()
                .map(|d| d.expr(backend, &format!("t.c{}", at(d.column)))),
        );
        // PostgreSQL sums bigints as numeric: back to bigint.
        select.push("CAST(SUM(t.n) AS BIGINT)".to_owned());
        select.extend(
            PARTICIPANTS
                .iter()
                .map(|c| format!("CAST(SUM(t.{c}) AS BIGINT)")),
        );
        sql.text = format!(
            "SELECT {} FROM (SELECT {} FROM activities a WHERE {filters} GROUP BY {}) t{group_clause} LIMIT {}",
            select.join(", "),
            inner.join(", "),
            inner_group.join(", "),
            MAX_GROUPS + 1
        );
    }
    let rows = grouped(db, sql, &dims, read_participation, |f| f.activities > 0).await?;
    let totals = if multi {
        let mut sql = Sql::new(backend);
        let filters = activity_filters(&mut sql, scope, p);
        let sums: Vec<String> = PARTICIPANTS.iter().map(|c| format!("SUM(a.{c})")).collect();
        sql.text = format!(
            "SELECT COUNT(*), {} FROM activities a WHERE {filters}",
            sums.join(", ")
        );
        match db.query_one_raw(sql.statement()).await? {
            Some(row) => read_participation(&row, 0)?,
            None => ParticipationFigures::default(),
        }
    } else {
        rows.iter()
            .fold(ParticipationFigures::default(), |t, (_, f)| {
                ParticipationFigures {
                    activities: t.activities + f.activities,
                    planned: add(t.planned, f.planned),
                    actual: add(t.actual, f.actual),
                    female: add(t.female, f.female),
                    male: add(t.male, f.male),
                }
            })
    };
    Ok((label(db, &dims, rows).await?, totals))
}

fn delegation_dim(d: DelegationDimension) -> Dim {
    let (column, kind) = match d {
        DelegationDimension::Dialogue => ("m.dialogue_id", Kind::Id),
        DelegationDimension::Meeting => ("d.meeting_id", Kind::Id),
        DelegationDimension::Status => ("d.status", Kind::Text),
        DelegationDimension::Country => ("d.country_code", Kind::Text),
        DelegationDimension::Project => ("d.project_id", Kind::Id),
        DelegationDimension::Year => ("m.start_date", Kind::Text),
        DelegationDimension::Gender => ("dm.gender", Kind::Text),
        DelegationDimension::Role => ("dm.role", Kind::Text),
    };
    Dim {
        name: d.as_str(),
        column,
        period: d.period(),
        kind,
        join: None,
        label: d.label(),
    }
}

fn delegation_filters(sql: &mut Sql, scope: &Scope, p: &DelegationReportParams) -> String {
    let mut c = Conditions {
        sql,
        all: vec!["d.deleted_at IS NULL".to_owned()],
    };
    c.add("d.project_id = ?", p.project_id);
    c.add("m.dialogue_id = ?", p.dialogue_id);
    c.add("d.meeting_id = ?", p.meeting_id);
    c.add("d.status = ?", p.status.map(|v| v.as_str()));
    c.add(
        "d.country_code = ?",
        p.country_code.as_ref().map(|cc| cc.to_uppercase()),
    );
    c.add("m.start_date >= ?", p.from);
    c.add("m.start_date <= ?", p.to);
    let mut all = c.all;
    if let Some(cond) = scope_sql(sql, scope, "d.project_id") {
        all.push(cond);
    }
    all.join(" AND ")
}

/// Delegations and member counts per group of `dims`, and the totals.
pub async fn delegations(
    db: &impl Connection,
    scope: &Scope,
    dims: &[DelegationDimension],
    p: &DelegationReportParams,
) -> Result<(Vec<Grouped<DelegationFigures>>, DelegationFigures), RepoError> {
    let backend = db.get_database_backend();
    let dims: Vec<Dim> = dims.iter().map(|d| delegation_dim(*d)).collect();
    // A delegation's member rows multiply it: delegations are counted
    // DISTINCT, members are the joined rows.
    let figures = "COUNT(DISTINCT d.id), COUNT(dm.delegation_id), \
         COALESCE(SUM(CASE WHEN dm.gender = 'female' THEN 1 ELSE 0 END), 0), \
         COALESCE(SUM(CASE WHEN dm.gender = 'male' THEN 1 ELSE 0 END), 0)";
    let from = "delegations d JOIN dialogue_meetings m ON m.id = d.meeting_id \
         LEFT JOIN delegation_members dm ON dm.delegation_id = d.id";
    let read = |row: &QueryResult, at: usize| -> Result<DelegationFigures, RepoError> {
        Ok(DelegationFigures {
            delegations: row.try_get_by_index(at)?,
            members: row.try_get_by_index(at + 1)?,
            female: row.try_get_by_index(at + 2)?,
            male: row.try_get_by_index(at + 3)?,
        })
    };

    let mut sql = Sql::new(backend);
    let filters = delegation_filters(&mut sql, scope, p);
    let mut select: Vec<String> = dims.iter().map(|d| d.expr(backend, d.column)).collect();
    select.push(figures.to_owned());
    let group_clause = if dims.is_empty() {
        String::new()
    } else {
        let ordinals: Vec<String> = (1..=dims.len()).map(|i| i.to_string()).collect();
        format!(" GROUP BY {}", ordinals.join(", "))
    };
    sql.text = format!(
        "SELECT {} FROM {from} WHERE {filters}{group_clause} LIMIT {}",
        select.join(", "),
        MAX_GROUPS + 1
    );
    let rows = grouped(db, sql, &dims, read, |f| f.delegations > 0).await?;

    let mut sql = Sql::new(backend);
    let filters = delegation_filters(&mut sql, scope, p);
    sql.text = format!("SELECT {figures} FROM {from} WHERE {filters}");
    let totals = match db.query_one_raw(sql.statement()).await? {
        Some(row) => read(&row, 0)?,
        None => DelegationFigures::default(),
    };
    Ok((label(db, &dims, rows).await?, totals))
}
