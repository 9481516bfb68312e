//! Reports: the figures programme staff and donors ask for, grouped by the
//! dimensions a request names. Owns what each report may be grouped by and
//! filtered on, the checks a request must pass, and the rows returned. The
//! counting itself happens in the database (persistence `repo::reports`).
//!
//! A multi-valued dimension (an activity's countries or organisations, a
//! delegation's members) puts one record in several groups: it counts once in
//! each group it belongs to, never twice in one, and `totals` counts every
//! record once, so the rows may add up to more than the totals.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::enums::string_enum;
use crate::validation::FieldError;
use crate::{ActivityKind, ActivityStatus, DelegationStatus, Modality};

/// The widest window a report takes: anything wider is a typo, not a question.
pub const MAX_WINDOW_YEARS: i32 = 100;
/// The most groups one report returns; more is a question for filters.
pub const MAX_GROUPS: usize = 10_000;

string_enum!(
    /// What an activity report may be grouped by. `country` and
    /// `organisation` are multi-valued (an activity may be held in two
    /// countries); `year`, `quarter`, `month` are periods of the start date
    /// (at most one of them).
    ActivityDimension {
        Project => "project",
        Outcome => "outcome",
        Kind => "kind",
        Status => "status",
        Modality => "modality",
        Country => "country",
        Organisation => "organisation",
        Dialogue => "dialogue",
        Year => "year",
        Quarter => "quarter",
        Month => "month",
    }
);

string_enum!(
    /// What a delegation report may be grouped by. `year` is the meeting's
    /// start year; `gender` and `role` are the members' (multi-valued).
    DelegationDimension {
        Dialogue => "dialogue",
        Meeting => "meeting",
        Status => "status",
        Country => "country",
        Project => "project",
        Year => "year",
        Gender => "gender",
        Role => "role",
    }
);

/// A period of a date, as a group's value: `2022`, `2022-Q3`, `2022-07`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    Year,
    Quarter,
    Month,
}

impl ActivityDimension {
    pub fn period(self) -> Option<Period> {
        match self {
            ActivityDimension::Year => Some(Period::Year),
            ActivityDimension::Quarter => Some(Period::Quarter),
            ActivityDimension::Month => Some(Period::Month),
            _ => None,
        }
    }

    /// The label that goes with a group's value (names of what an id names).
    pub fn label(self) -> Option<&'static str> {
        match self {
            ActivityDimension::Project => Some("project_title"),
            ActivityDimension::Organisation => Some("organisation_name"),
            ActivityDimension::Dialogue => Some("dialogue_name"),
            _ => None,
        }
    }
}

impl DelegationDimension {
    pub fn period(self) -> Option<Period> {
        (self == DelegationDimension::Year).then_some(Period::Year)
    }

    pub fn label(self) -> Option<&'static str> {
        match self {
            DelegationDimension::Project => Some("project_title"),
            DelegationDimension::Dialogue => Some("dialogue_name"),
            DelegationDimension::Meeting => Some("meeting_title"),
            _ => None,
        }
    }
}

/// Parses `group_by` (comma-separated, in the order the rows' groups should
/// read): each name known, none twice, at most one period.
pub fn parse_group_by<D>(
    raw: Option<&str>,
    all: &[D],
    period: impl Fn(D) -> Option<Period>,
) -> Result<Vec<D>, FieldError>
where
    D: std::str::FromStr + Copy + PartialEq + std::fmt::Display,
{
    let allowed = || {
        all.iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut dims: Vec<D> = Vec::new();
    let raw = raw.unwrap_or("");
    // Exactly the pattern the contract gives: names, one comma between.
    for name in raw.split(',').filter(|_| !raw.is_empty()) {
        let Ok(dim) = name.parse::<D>() else {
            return Err(FieldError::new(
                "group_by",
                "unknown_dimension",
                format!(
                    "cannot group by '{name}'; group_by takes any of: {}",
                    allowed()
                ),
            ));
        };
        if dims.contains(&dim) {
            return Err(FieldError::new(
                "group_by",
                "duplicate_dimension",
                format!("group_by names '{name}' twice"),
            ));
        }
        dims.push(dim);
    }
    if dims.iter().filter(|d| period(**d).is_some()).count() > 1 {
        return Err(FieldError::new(
            "group_by",
            "several_periods",
            "group_by takes at most one period (year, quarter or month)",
        ));
    }
    Ok(dims)
}

/// A country filter: two letters (either case).
pub fn check_country(code: Option<&str>) -> Vec<FieldError> {
    match code {
        Some(c) if !(c.len() == 2 && c.chars().all(|ch| ch.is_ascii_alphabetic())) => {
            vec![FieldError::new(
                "country_code",
                "country_code",
                "country_code must be two letters (ISO 3166-1 alpha-2)",
            )]
        }
        _ => Vec::new(),
    }
}

/// `from` <= `to`, and no more than `MAX_WINDOW_YEARS` apart.
pub fn check_window(from: Option<NaiveDate>, to: Option<NaiveDate>) -> Vec<FieldError> {
    let (Some(from), Some(to)) = (from, to) else {
        return Vec::new();
    };
    if from > to {
        return vec![FieldError::new(
            "from",
            "window",
            format!("from ({from}) is after to ({to})"),
        )];
    }
    let limit = from
        .checked_add_months(chrono::Months::new(12 * MAX_WINDOW_YEARS as u32))
        .unwrap_or(NaiveDate::MAX);
    if to > limit {
        return vec![FieldError::new(
            "to",
            "window",
            format!("the window from {from} to {to} is wider than {MAX_WINDOW_YEARS} years"),
        )];
    }
    Vec::new()
}

/// Filters and grouping of `GET /reports/participation` and
/// `GET /reports/activities`. Dates select by start date: an activity is in
/// the window when `from <= start_date <= to` (both inclusive), so it falls
/// in the same period group whichever window selected it; an activity
/// without a start date is left out by any window.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ActivityReportParams {
    /// Comma-separated dimensions, in the order each row's `group` reads:
    /// project, outcome, kind, status, modality, country, organisation,
    /// dialogue, and at most one of year, quarter, month (of the start
    /// date). Empty: one row for everything that matches.
    #[param(
        example = "kind,quarter",
        pattern = r"^((project|outcome|kind|status|modality|country|organisation|dialogue|year|quarter|month)(,(project|outcome|kind|status|modality|country|organisation|dialogue|year|quarter|month))*)?$"
    )]
    pub group_by: Option<String>,
    pub project_id: Option<Uuid>,
    /// Activities starting on or after this day; a month- or year-precise
    /// start counts when any day of its period is (it is still grouped by
    /// its first day).
    pub from: Option<NaiveDate>,
    /// Activities starting on or before this day.
    pub to: Option<NaiveDate>,
    pub kind: Option<ActivityKind>,
    pub status: Option<ActivityStatus>,
    pub modality: Option<Modality>,
    /// Activities preparing for this dialogue.
    pub dialogue_id: Option<Uuid>,
    /// Activities with a location in this country (ISO 3166-1 alpha-2).
    #[param(pattern = "^[A-Za-z]{2}$")]
    pub country_code: Option<String>,
    /// Activities this organisation takes part in.
    pub organisation_id: Option<Uuid>,
}

/// Filters and grouping of `GET /reports/delegations`. Dates select by the
/// meeting's start date, both ends inclusive.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DelegationReportParams {
    /// Comma-separated dimensions: dialogue, meeting, status, country,
    /// project, year (of the meeting), gender, role (of the members).
    /// Empty: one row for everything that matches.
    #[param(
        example = "dialogue,year,status",
        pattern = r"^((dialogue|meeting|status|country|project|year|gender|role)(,(dialogue|meeting|status|country|project|year|gender|role))*)?$"
    )]
    pub group_by: Option<String>,
    pub project_id: Option<Uuid>,
    pub dialogue_id: Option<Uuid>,
    pub meeting_id: Option<Uuid>,
    pub status: Option<DelegationStatus>,
    /// The sending country (ISO 3166-1 alpha-2).
    #[param(pattern = "^[A-Za-z]{2}$")]
    pub country_code: Option<String>,
    /// Meetings starting on or after this day.
    pub from: Option<NaiveDate>,
    /// Meetings starting on or before this day.
    pub to: Option<NaiveDate>,
}

/// One group's values: each dimension of `group_by` and its value (an id, a
/// code or a period); null where the records have none (no country, no date).
pub type Group = BTreeMap<String, Option<String>>;
/// Names of what the group's ids name: `project_title`, `organisation_name`,
/// `dialogue_name`, `meeting_title`.
pub type Labels = BTreeMap<String, String>;

/// Activities and their participants. Participant sums add the figures the
/// activities report and are null when none of the group's activities
/// reports that figure.
#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
pub struct ParticipationFigures {
    pub activities: i64,
    pub planned: Option<i64>,
    pub actual: Option<i64>,
    pub female: Option<i64>,
    pub male: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ParticipationRow {
    #[schema(value_type = BTreeMap<String, Option<String>>, example = json!({"kind": "training", "quarter": "2022-Q2"}))]
    pub group: Group,
    #[schema(value_type = BTreeMap<String, String>)]
    pub labels: Labels,
    #[serde(flatten)]
    pub figures: ParticipationFigures,
}

/// `GET /reports/participation`: one row per group, in the order of the
/// group's values (nulls last), and the totals over every matching activity
/// counted once.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
/// The example is the demo data's (`serve --demo`), which records no
/// participant figures: the seeds give none.
#[schema(example = json!({
    "group_by": ["project", "year"],
    "rows": [
        {"group": {"project": "019367e0-0000-7000-8000-000000000011", "year": "2020"},
         "labels": {"project_title": "Strategic and Institutional Management of Migration in Libya"},
         "activities": 2, "planned": null, "actual": null, "female": null, "male": null},
        {"group": {"project": "019367e0-0000-7000-8000-000000000011", "year": null},
         "labels": {"project_title": "Strategic and Institutional Management of Migration in Libya"},
         "activities": 3, "planned": null, "actual": null, "female": null, "male": null},
        {"group": {"project": "019367e0-0000-7000-8000-000000000010", "year": "2022"},
         "labels": {"project_title": "Libya's Migration Technical Assistance Facility"},
         "activities": 2, "planned": null, "actual": null, "female": null, "male": null},
        {"group": {"project": "019367e0-0000-7000-8000-000000000010", "year": "2023"},
         "labels": {"project_title": "Libya's Migration Technical Assistance Facility"},
         "activities": 1, "planned": null, "actual": null, "female": null, "male": null}
    ],
    "totals": {"activities": 8, "planned": null, "actual": null, "female": null, "male": null}
}))]
pub struct ParticipationReport {
    pub group_by: Vec<String>,
    pub rows: Vec<ParticipationRow>,
    pub totals: ParticipationFigures,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
pub struct ActivityFigures {
    pub activities: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ActivityRow {
    #[schema(value_type = BTreeMap<String, Option<String>>, example = json!({"kind": "training", "status": "completed", "modality": "in_person", "year": "2023"}))]
    pub group: Group,
    #[schema(value_type = BTreeMap<String, String>)]
    pub labels: Labels,
    #[serde(flatten)]
    pub figures: ActivityFigures,
}

/// `GET /reports/activities`: activity counts per group.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
/// The example is the demo data's, grouped by year, kind and modality.
#[schema(example = json!({
    "group_by": ["year", "kind", "modality"],
    "rows": [
        {"group": {"year": "2020", "kind": "training", "modality": "online"}, "labels": {}, "activities": 1},
        {"group": {"year": "2020", "kind": "workshop", "modality": "hybrid"}, "labels": {}, "activities": 1},
        {"group": {"year": "2022", "kind": "brainstorming", "modality": null}, "labels": {}, "activities": 1},
        {"group": {"year": "2022", "kind": "working_session", "modality": null}, "labels": {}, "activities": 1},
        {"group": {"year": "2023", "kind": "training", "modality": null}, "labels": {}, "activities": 1},
        {"group": {"year": null, "kind": "conference", "modality": null}, "labels": {}, "activities": 2},
        {"group": {"year": null, "kind": "training", "modality": null}, "labels": {}, "activities": 1}
    ],
    "totals": {"activities": 8}
}))]
pub struct ActivityReport {
    pub group_by: Vec<String>,
    pub rows: Vec<ActivityRow>,
    pub totals: ActivityFigures,
}

/// Delegations and their members: `delegations` counts the delegations in
/// the group (once each), `members` their members (with `gender` or `role`
/// grouped, the members of that gender or role), `female` and `male` the
/// members of each gender.
#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
pub struct DelegationFigures {
    pub delegations: i64,
    pub members: i64,
    pub female: i64,
    pub male: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct DelegationRow {
    #[schema(value_type = BTreeMap<String, Option<String>>, example = json!({"dialogue": "019367e0-0000-7000-8000-000000000030", "year": "2023", "status": "attended"}))]
    pub group: Group,
    #[schema(value_type = BTreeMap<String, String>)]
    pub labels: Labels,
    #[serde(flatten)]
    pub figures: DelegationFigures,
}

/// `GET /reports/delegations`: delegations and members per group.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
/// The example is the demo data's: two attended delegations to undated
/// meetings, with no members named (the seeds name none).
#[schema(example = json!({
    "group_by": ["dialogue", "year", "status"],
    "rows": [
        {"group": {"dialogue": "019367e0-0000-7000-8000-000000000031", "year": null, "status": "attended"},
         "labels": {"dialogue_name": "Khartoum Process"},
         "delegations": 1, "members": 0, "female": 0, "male": 0},
        {"group": {"dialogue": "019367e0-0000-7000-8000-000000000030", "year": null, "status": "attended"},
         "labels": {"dialogue_name": "Rabat Process"},
         "delegations": 1, "members": 0, "female": 0, "male": 0}
    ],
    "totals": {"delegations": 2, "members": 0, "female": 0, "male": 0}
}))]
pub struct DelegationReport {
    pub group_by: Vec<String>,
    pub rows: Vec<DelegationRow>,
    pub totals: DelegationFigures,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dims(raw: &str) -> Result<Vec<ActivityDimension>, FieldError> {
        parse_group_by(Some(raw), ActivityDimension::ALL, ActivityDimension::period)
    }

    #[test]
    fn group_by_keeps_order_and_refuses_unknown_duplicate_and_two_periods() {
        assert_eq!(
            dims("kind,quarter").unwrap(),
            vec![ActivityDimension::Kind, ActivityDimension::Quarter]
        );
        assert!(dims("kind, quarter").is_err());
        assert!(dims("kind,").is_err());
        assert!(dims("").unwrap().is_empty());
        let unknown = dims("kind,colour").unwrap_err();
        assert!(unknown.message.contains("'colour'"));
        assert!(
            unknown.message.contains("organisation"),
            "lists the allowed names"
        );
        assert_eq!(dims("kind,kind").unwrap_err().code, "duplicate_dimension");
        assert_eq!(dims("year,month").unwrap_err().code, "several_periods");
    }

    #[test]
    fn window_must_be_ordered_and_at_most_a_century() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok();
        assert!(check_window(d("2022-01-01"), d("2022-01-01")).is_empty());
        assert_eq!(
            check_window(d("2022-01-02"), d("2022-01-01"))[0].field,
            "from"
        );
        assert!(check_window(d("1925-01-01"), d("2025-01-01")).is_empty());
        assert_eq!(
            check_window(d("1925-01-01"), d("2025-01-02"))[0].field,
            "to"
        );
        assert!(check_window(None, d("2025-01-02")).is_empty());
    }
}
