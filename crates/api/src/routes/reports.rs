//! /api/v1/reports/{participation,activities,delegations}: figures per
//! group, counted by the database (`repo::reports`), as JSON or CSV. A
//! partner's reports count only its projects' records. Query parameters are
//! checked by name: a misspelt filter is a 400 listing the allowed ones,
//! never a report silently unfiltered.

use actix_web::web::Data;
use actix_web::{HttpRequest, HttpResponse, get};
use chrono::NaiveDate;
use rihla_domain::FieldError;
use rihla_domain::report::{
    ActivityDimension, ActivityFigures, ActivityReport, ActivityReportParams, ActivityRow,
    DelegationDimension, DelegationReport, DelegationReportParams, DelegationRow,
    ParticipationFigures, ParticipationReport, ParticipationRow, Period, check_country,
    check_window, parse_group_by,
};
use rihla_persistence::repo::reports;
use utoipa::IntoParams;

use crate::auth::{Caller, Viewer};
use crate::error::ApiError;
use crate::export::{self, Column, Wants};
use crate::state::AppState;

/// The query as `P`, after checking every parameter name is one `P` (or
/// the format) takes.
fn params<P: IntoParams + serde::de::DeserializeOwned>(req: &HttpRequest) -> Result<P, ApiError> {
    let mut allowed: Vec<String> = P::into_params(|| None)
        .into_iter()
        .map(|p| p.name)
        .collect();
    allowed.extend(["format".to_owned(), "bom".to_owned()]);
    let pairs = actix_web::web::Query::<Vec<(String, String)>>::from_query(req.query_string())
        .map_err(|e| ApiError::BadRequest {
            detail: format!("invalid query string: {e}"),
            errors: vec![],
        })?;
    let unknown: Vec<FieldError> = pairs
        .iter()
        .filter(|(name, _)| !allowed.contains(name))
        .map(|(name, _)| {
            FieldError::new(
                name,
                "unknown_parameter",
                format!(
                    "unknown parameter '{name}'; this report takes: {}",
                    allowed.join(", ")
                ),
            )
        })
        .collect();
    if !unknown.is_empty() {
        return Err(ApiError::bad_params(unknown));
    }
    actix_web::web::Query::<P>::from_query(req.query_string())
        .map(actix_web::web::Query::into_inner)
        .map_err(|e| ApiError::BadRequest {
            detail: format!("invalid query parameter: {e}"),
            errors: vec![],
        })
}

/// The dimensions of `group_by`, after the checks every report makes of
/// its window and country.
fn checked<D>(
    group_by: Option<&str>,
    all: &[D],
    period: impl Fn(D) -> Option<Period>,
    (from, to): (Option<NaiveDate>, Option<NaiveDate>),
    country: Option<&str>,
) -> Result<Vec<D>, ApiError>
where
    D: std::str::FromStr + Copy + PartialEq + std::fmt::Display,
{
    let dims = parse_group_by(group_by, all, period).map_err(|e| ApiError::bad_params(vec![e]))?;
    let errors = [check_window(from, to), check_country(country)].concat();
    if errors.is_empty() {
        Ok(dims)
    } else {
        Err(ApiError::bad_params(errors))
    }
}

/// CSV columns: each dimension, the label of each that has one, then the
/// figures.
fn columns(dims: &[(&str, Option<&str>)], figures: &[&str]) -> Vec<Column> {
    let mut columns: Vec<Column> = Vec::new();
    for (name, _) in dims {
        columns.push(Column::new(name, &["group", name]));
    }
    for (_, label) in dims {
        if let Some(label) = label {
            columns.push(Column::new(label, &["labels", label]));
        }
    }
    columns.extend(figures.iter().map(|f| Column::new(f, &[f])));
    columns
}

/// An activity report's query, checked and run: its dimensions, rows and
/// totals. `default_group` stands in for a missing `group_by`.
async fn activity_report(
    state: &AppState,
    caller: &Caller,
    req: &HttpRequest,
    default_group: Option<&str>,
) -> Result<(Vec<ActivityDimension>, Counted<ParticipationFigures>), ApiError> {
    let mut p: ActivityReportParams = params(req)?;
    if p.group_by.is_none() {
        p.group_by = default_group.map(str::to_owned);
    }
    let dims = checked(
        p.group_by.as_deref(),
        ActivityDimension::ALL,
        ActivityDimension::period,
        (p.from, p.to),
        p.country_code.as_deref(),
    )?;
    let counted =
        reports::participation(&state.reader().await?, &caller.scope(), &dims, &p).await?;
    Ok((dims, counted))
}

/// The rows and the totals of a report, as the data layer gives them.
type Counted<F> = (Vec<reports::Grouped<F>>, F);

/// Each dimension's name and label, for the CSV columns.
fn named<D: Copy>(
    dims: &[D],
    name: impl Fn(D) -> &'static str,
    label: impl Fn(D) -> Option<&'static str>,
) -> Vec<(&'static str, Option<&'static str>)> {
    dims.iter().map(|d| (name(*d), label(*d))).collect()
}

/// Participation: activities and participants per group
///
/// Activity count and the sums of planned, actual, female and male
/// participants, grouped by any combination of `group_by`'s dimensions.
/// An activity counts once in each group it falls in: held in Libya and
/// Tunisia, it counts once under LY and once under TN (twice across the
/// `country` rows) and once in `totals`, which count every matching
/// activity once. Groups with no activity are absent (periods are not
/// filled in). A sum is null when no activity of the group reports that
/// figure. At most 10,000 groups.
#[utoipa::path(
    tag = "reports",
    extensions(("x-rihla" = json!(["export"]))),
    params(ActivityReportParams),
    responses((status = 200, description = "One row per group, ordered by the group's values (nulls last), and the totals", body = ParticipationReport))
)]
#[get("/reports/participation")]
async fn participation_report(
    caller: Viewer,
    state: Data<AppState>,
    req: HttpRequest,
    wants: Wants,
) -> Result<HttpResponse, ApiError> {
    let (dims, (rows, totals)) = activity_report(&state, &caller, &req, None).await?;
    let rows: Vec<ParticipationRow> = rows
        .into_iter()
        .map(|r| ParticipationRow {
            group: r.group,
            labels: r.labels,
            figures: r.figures,
        })
        .collect();
    if let Wants::Csv { bom, .. } = wants {
        let dims = named(&dims, |d| d.as_str(), |d| d.label());
        let columns = columns(
            &dims,
            &["activities", "planned", "actual", "female", "male"],
        );
        return Ok(export::csv_response("participation", bom, &columns, &rows));
    }
    Ok(HttpResponse::Ok().json(ParticipationReport {
        group_by: dims.iter().map(|d| d.as_str().to_owned()).collect(),
        rows,
        totals,
    }))
}

/// Activities: counts per group
///
/// How many activities per group of `group_by` (by default kind, status
/// and modality per year of the start date), with the filters of the
/// participation report. Multi-valued dimensions count as there.
#[utoipa::path(
    tag = "reports",
    extensions(("x-rihla" = json!(["export"]))),
    params(ActivityReportParams),
    responses((status = 200, description = "One row per group, ordered by the group's values (nulls last), and the totals", body = ActivityReport))
)]
#[get("/reports/activities")]
async fn activities_report(
    caller: Viewer,
    state: Data<AppState>,
    req: HttpRequest,
    wants: Wants,
) -> Result<HttpResponse, ApiError> {
    let (dims, (rows, totals)) =
        activity_report(&state, &caller, &req, Some("year,kind,status,modality")).await?;
    let rows: Vec<ActivityRow> = rows
        .into_iter()
        .map(|r| ActivityRow {
            group: r.group,
            labels: r.labels,
            figures: ActivityFigures {
                activities: r.figures.activities,
            },
        })
        .collect();
    if let Wants::Csv { bom, .. } = wants {
        let dims = named(&dims, |d| d.as_str(), |d| d.label());
        return Ok(export::csv_response(
            "activity-report",
            bom,
            &columns(&dims, &["activities"]),
            &rows,
        ));
    }
    Ok(HttpResponse::Ok().json(ActivityReport {
        group_by: dims.iter().map(|d| d.as_str().to_owned()).collect(),
        rows,
        totals: ActivityFigures {
            activities: totals.activities,
        },
    }))
}

/// Delegations: counts per dialogue, meeting, status and year, and members
///
/// Delegations (each once per group) and their members, with the members
/// who are women and men; grouped by `gender` or `role`, the members
/// counted are those of that gender or role, and a delegation counts once
/// in each such group it has members in. By default grouped by dialogue,
/// year and status. Groups with no delegation are absent.
#[utoipa::path(
    tag = "reports",
    extensions(("x-rihla" = json!(["export"]))),
    params(DelegationReportParams),
    responses((status = 200, description = "One row per group, ordered by the group's values (nulls last), and the totals", body = DelegationReport))
)]
#[get("/reports/delegations")]
async fn delegations_report(
    caller: Viewer,
    state: Data<AppState>,
    req: HttpRequest,
    wants: Wants,
) -> Result<HttpResponse, ApiError> {
    let mut p: DelegationReportParams = params(&req)?;
    if p.group_by.is_none() {
        p.group_by = Some("dialogue,year,status".into());
    }
    let dims = checked(
        p.group_by.as_deref(),
        DelegationDimension::ALL,
        DelegationDimension::period,
        (p.from, p.to),
        p.country_code.as_deref(),
    )?;
    let (rows, totals) =
        reports::delegations(&state.reader().await?, &caller.scope(), &dims, &p).await?;
    let rows: Vec<DelegationRow> = rows
        .into_iter()
        .map(|r| DelegationRow {
            group: r.group,
            labels: r.labels,
            figures: r.figures,
        })
        .collect();
    if let Wants::Csv { bom, .. } = wants {
        let dims = named(&dims, |d| d.as_str(), |d| d.label());
        let columns = columns(&dims, &["delegations", "members", "female", "male"]);
        return Ok(export::csv_response(
            "delegation-report",
            bom,
            &columns,
            &rows,
        ));
    }
    Ok(HttpResponse::Ok().json(DelegationReport {
        group_by: dims.iter().map(|d| d.as_str().to_owned()).collect(),
        rows,
        totals,
    }))
}

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(participation_report)
        .service(activities_report)
        .service(delegations_report);
}
