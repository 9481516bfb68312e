//! Projects: donor-funded programmes with their participating organisations,
//! logframe outcomes, budget and period.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::dates::{self, DatePrecision};
use crate::enums::{ParticipationRole, ProjectStatus};
use crate::funding::{self, BudgetLine, Commitment, Sector};
use crate::results::{self, Indicator};
use crate::validation::{self, Check, FieldError};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Budget {
    /// A non-negative decimal as a string, so no client rounds it.
    #[validate(custom(function = "validation::decimal_amount"))]
    #[schema(
        example = "1250000.00",
        pattern = r"^(0|[1-9][0-9]{0,14})(\.[0-9]{1,4})?$"
    )]
    pub amount: String,
    /// ISO 4217.
    #[validate(custom(function = "validation::currency_code"))]
    #[schema(example = "EUR", pattern = "^[A-Z]{3}$")]
    pub currency: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ParticipatingOrganisation {
    /// Must name an existing organisation.
    pub organisation_id: Uuid,
    pub role: ParticipationRole,
}

/// An expected outcome of the project's logframe, with the indicators it is
/// measured by.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Outcome {
    /// Unique within the project; activities refer to it.
    #[validate(length(min = 1, max = 50), custom(function = "validation::not_blank"))]
    #[schema(example = "OC3", min_length = 1, max_length = 50, pattern = r"\S")]
    pub code: String,
    #[validate(length(min = 1, max = 500), custom(function = "validation::not_blank"))]
    #[schema(
        example = "Libya's reintegration into regional and international migration dialogues is supported",
        min_length = 1,
        max_length = 500,
        pattern = r"\S"
    )]
    pub title: String,
    #[validate(length(max = 5000))]
    #[schema(max_length = 5000)]
    pub description: Option<String>,
    /// Indicator codes are unique within the project.
    #[serde(default)]
    #[validate(length(max = 50), nested)]
    #[schema(max_items = 50)]
    pub indicators: Vec<Indicator>,
}

fn default_status() -> ProjectStatus {
    ProjectStatus::Planned
}

/// What a client sends to create (POST) or fully replace (PUT) a project. Fields
/// left out of a PUT take their defaults (empty lists, null, status `planned`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "code": "LIBMITAF",
    "title": "Libya's Migration Technical Assistance Facility",
    "summary": "Contributes to strengthening the Libyan national mechanisms for addressing migration in a comprehensive manner.",
    "objective": null,
    "status": "completed",
    "start_date": "2021-04-01",
    "start_date_precision": "month",
    "end_date": "2023-11-01",
    "end_date_precision": "month",
    "planned_start_date": null,
    "planned_start_date_precision": "day",
    "planned_end_date": null,
    "planned_end_date_precision": "day",
    "country_codes": ["LY"],
    "duty_stations": ["Tripoli"],
    "themes": ["capacity_development", "cross_cutting_topics", "governance"],
    "budget": null,
    "participating_organisations": [],
    "outcomes": [{"code": "OC3", "title": "Support Libya's reintegration into regional and international dialogues", "description": null, "indicators": [
        {"code": "OC3.1", "title": "Dialogue meetings attended by a Libyan delegation", "measure": "unit", "ascending": true,
         "baseline": {"year": 2021, "value": 0, "comment": null},
         "periods": [{"start": "2022-01-01", "end": "2022-12-31", "target": 2, "actual": 2, "comment": null}]}
    ]}],
    "commitments": [],
    "budget_lines": [],
    "sectors": [{"vocabulary": "1", "code": "15190", "percentage": 100}],
    "notes": null,
    "iati_identifier": null
}))]
pub struct ProjectInput {
    /// Short unique code, e.g. LIBMITAF.
    #[validate(length(min = 1, max = 40), custom(function = "validation::identifier"))]
    #[schema(
        min_length = 1,
        max_length = 40,
        pattern = "^[A-Za-z0-9][A-Za-z0-9._/-]*$"
    )]
    pub code: String,
    #[validate(length(min = 1, max = 500), custom(function = "validation::not_blank"))]
    #[schema(min_length = 1, max_length = 500, pattern = r"\S")]
    pub title: String,
    #[validate(length(max = 10000))]
    #[schema(max_length = 10000)]
    pub summary: Option<String>,
    #[validate(length(max = 10000))]
    #[schema(max_length = 10000)]
    pub objective: Option<String>,
    #[serde(default = "default_status")]
    #[schema(default = "planned")]
    pub status: ProjectStatus,
    /// The actual start (IATI activity-date 2); for a month or a year, the
    /// first day of it.
    pub start_date: Option<NaiveDate>,
    /// `day` when left out.
    #[serde(default = "dates::day")]
    pub start_date_precision: DatePrecision,
    /// The actual end (IATI activity-date 4); not before `start_date`.
    pub end_date: Option<NaiveDate>,
    /// `day` when left out.
    #[serde(default = "dates::day")]
    pub end_date_precision: DatePrecision,
    /// The planned start (IATI activity-date 1).
    pub planned_start_date: Option<NaiveDate>,
    /// `day` when left out.
    #[serde(default = "dates::day")]
    pub planned_start_date_precision: DatePrecision,
    /// The planned end (IATI activity-date 3); not before `planned_start_date`.
    pub planned_end_date: Option<NaiveDate>,
    /// `day` when left out.
    #[serde(default = "dates::day")]
    pub planned_end_date_precision: DatePrecision,
    /// ISO 3166-1 alpha-2, no duplicates.
    #[serde(default)]
    #[validate(length(max = 50), custom(function = "validation::country_codes"))]
    #[schema(schema_with = crate::paging::country_list_schema)]
    pub country_codes: Vec<String>,
    #[serde(default)]
    #[validate(length(max = 50), custom(function = "validation::text_list"))]
    #[schema(schema_with = crate::paging::text_list_schema)]
    pub duty_stations: Vec<String>,
    /// Free tags such as capacity_development or governance.
    #[serde(default)]
    #[validate(length(max = 50), custom(function = "validation::text_list"))]
    #[schema(schema_with = crate::paging::text_list_schema)]
    pub themes: Vec<String>,
    #[validate(nested)]
    pub budget: Option<Budget>,
    /// Each organisation must exist; an (organisation, role) pair appears once.
    #[serde(default)]
    #[validate(length(max = 100))]
    #[schema(max_items = 100)]
    pub participating_organisations: Vec<ParticipatingOrganisation>,
    /// Outcome codes are unique within the project.
    #[serde(default)]
    #[validate(length(max = 50), nested)]
    #[schema(max_items = 50)]
    pub outcomes: Vec<Outcome>,
    /// What each funder committed; each names a participating organisation
    /// with role `funding`.
    #[serde(default)]
    #[validate(length(max = 50), nested)]
    #[schema(max_items = 50)]
    pub commitments: Vec<Commitment>,
    /// The budget per period (end after start).
    #[serde(default)]
    #[validate(length(max = 100), nested)]
    #[schema(max_items = 100)]
    pub budget_lines: Vec<BudgetLine>,
    /// The percentages of one vocabulary add up to 100.
    #[serde(default)]
    #[validate(length(max = 50), nested)]
    #[schema(max_items = 50)]
    pub sectors: Vec<Sector>,
    /// Provenance and caveats, e.g. which values are ours rather than the sources'.
    #[validate(length(max = 10000))]
    #[schema(max_length = 10000)]
    pub notes: Option<String>,
    /// Unique across projects when given.
    #[validate(
        length(min = 1, max = 150),
        custom(function = "validation::identifier")
    )]
    #[schema(
        min_length = 1,
        max_length = 150,
        pattern = "^[A-Za-z0-9][A-Za-z0-9._/-]*$"
    )]
    pub iati_identifier: Option<String>,
}

impl Check for ProjectInput {
    fn check(&self) -> Vec<FieldError> {
        let mut errors = match self.validate() {
            Ok(()) => Vec::new(),
            Err(e) => validation::flatten(&e),
        };
        dates::check_pair(
            (self.start_date, self.start_date_precision),
            (self.end_date, self.end_date_precision),
            ("start_date", "end_date"),
            &mut errors,
        );
        dates::check_pair(
            (self.planned_start_date, self.planned_start_date_precision),
            (self.planned_end_date, self.planned_end_date_precision),
            ("planned_start_date", "planned_end_date"),
            &mut errors,
        );
        self.check_results(&mut errors);
        self.check_funding(&mut errors);
        let mut listed = std::collections::HashSet::new();
        for (i, p) in self.participating_organisations.iter().enumerate() {
            if !listed.insert((p.organisation_id, p.role)) {
                errors.push(FieldError::new(
                    format!("participating_organisations[{i}]"),
                    "duplicate",
                    "the same organisation is already listed with this role",
                ));
            }
        }
        let mut codes = std::collections::HashSet::new();
        for (i, o) in self.outcomes.iter().enumerate() {
            if !codes.insert(o.code.as_str()) {
                errors.push(FieldError::new(
                    format!("outcomes[{i}].code"),
                    "duplicate",
                    format!("outcome code {:?} is used twice", o.code),
                ));
            }
        }
        errors
    }
}

impl ProjectInput {
    fn check_results(&self, errors: &mut Vec<FieldError>) {
        let mut seen = std::collections::HashSet::new();
        for (o, outcome) in self.outcomes.iter().enumerate() {
            for (n, indicator) in outcome.indicators.iter().enumerate() {
                let at = format!("outcomes[{o}].indicators[{n}]");
                if !seen.insert(indicator.code.as_str()) {
                    errors.push(FieldError::new(
                        format!("{at}.code"),
                        "duplicate",
                        format!(
                            "indicator code {:?} is used twice in the project",
                            indicator.code
                        ),
                    ));
                }
                results::check_indicator(indicator, &at, errors);
            }
        }
    }

    fn check_funding(&self, errors: &mut Vec<FieldError>) {
        let funders: std::collections::HashSet<_> = self
            .participating_organisations
            .iter()
            .filter(|p| p.role == ParticipationRole::Funding)
            .map(|p| p.organisation_id)
            .collect();
        for (i, c) in self.commitments.iter().enumerate() {
            if !funders.contains(&c.organisation_id) {
                errors.push(FieldError::new(
                    format!("commitments[{i}].organisation_id"),
                    "not_a_funder",
                    "must be listed in participating_organisations with role funding",
                ));
            }
        }
        for (i, b) in self.budget_lines.iter().enumerate() {
            if b.period_end <= b.period_start {
                errors.push(FieldError::new(
                    format!("budget_lines[{i}].period_end"),
                    "before_start",
                    "period_end must be after period_start",
                ));
            }
        }
        funding::check_sectors(&self.sectors, errors);
    }

    /// Every indicator code of the project's outcomes.
    pub fn indicator_codes(&self) -> impl Iterator<Item = &str> {
        self.outcomes
            .iter()
            .flat_map(|o| o.indicators.iter().map(|i| i.code.as_str()))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "id": "019367e0-0000-7000-8000-000000000010",
    "code": "LIBMITAF",
    "title": "Libya's Migration Technical Assistance Facility",
    "summary": "Contributes to strengthening the Libyan national mechanisms for addressing migration in a comprehensive manner.",
    "objective": null,
    "status": "completed",
    "start_date": "2021-04-01",
    "start_date_precision": "month",
    "end_date": "2023-11-01",
    "end_date_precision": "month",
    "planned_start_date": null,
    "planned_start_date_precision": "day",
    "planned_end_date": null,
    "planned_end_date_precision": "day",
    "country_codes": ["LY"],
    "duty_stations": ["Tripoli"],
    "themes": ["capacity_development", "cross_cutting_topics", "governance"],
    "budget": null,
    "participating_organisations": [{"organisation_id": "019367e0-0000-7000-8000-000000000002", "role": "funding"}],
    "outcomes": [{"code": "OC3", "title": "Support Libya's reintegration into regional and international dialogues", "description": null, "indicators": [
        {"code": "OC3.1", "title": "Dialogue meetings attended by a Libyan delegation", "measure": "unit", "ascending": true,
         "baseline": {"year": 2021, "value": 0, "comment": null},
         "periods": [{"start": "2022-01-01", "end": "2022-12-31", "target": 2, "actual": 2, "comment": null}]}
    ]}],
    "commitments": [],
    "budget_lines": [],
    "sectors": [{"vocabulary": "1", "code": "15190", "percentage": 100}],
    "notes": null,
    "iati_identifier": null,
    "created_at": "2026-11-22T08:00:00Z",
    "updated_at": "2026-11-22T08:00:00Z",
    "created_by": "019367e0-0000-7000-8000-0000000000aa",
    "updated_by": "019367e0-0000-7000-8000-0000000000aa",
    "version": 1
}))]
pub struct Project {
    pub id: Uuid,
    pub code: String,
    pub title: String,
    pub summary: Option<String>,
    pub objective: Option<String>,
    pub status: ProjectStatus,
    pub start_date: Option<NaiveDate>,
    pub start_date_precision: DatePrecision,
    pub end_date: Option<NaiveDate>,
    pub end_date_precision: DatePrecision,
    pub planned_start_date: Option<NaiveDate>,
    pub planned_start_date_precision: DatePrecision,
    pub planned_end_date: Option<NaiveDate>,
    pub planned_end_date_precision: DatePrecision,
    pub country_codes: Vec<String>,
    pub duty_stations: Vec<String>,
    pub themes: Vec<String>,
    pub budget: Option<Budget>,
    pub participating_organisations: Vec<ParticipatingOrganisation>,
    pub outcomes: Vec<Outcome>,
    pub commitments: Vec<Commitment>,
    pub budget_lines: Vec<BudgetLine>,
    pub sectors: Vec<Sector>,
    pub notes: Option<String>,
    pub iati_identifier: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub created_by: Option<Uuid>,
    pub updated_by: Option<Uuid>,
    /// +1 on every write; the ETag is derived from it.
    pub version: i32,
    /// Set when the record was deleted; only admins see deleted records
    /// (`include_deleted=true`), and `POST .../restore` clears it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted_at: Option<DateTime<Utc>>,
    /// Who deleted it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted_by: Option<Uuid>,
}

impl From<&Project> for ProjectInput {
    fn from(p: &Project) -> Self {
        ProjectInput {
            code: p.code.clone(),
            title: p.title.clone(),
            summary: p.summary.clone(),
            objective: p.objective.clone(),
            status: p.status,
            start_date: p.start_date,
            start_date_precision: p.start_date_precision,
            end_date: p.end_date,
            end_date_precision: p.end_date_precision,
            planned_start_date: p.planned_start_date,
            planned_start_date_precision: p.planned_start_date_precision,
            planned_end_date: p.planned_end_date,
            planned_end_date_precision: p.planned_end_date_precision,
            country_codes: p.country_codes.clone(),
            duty_stations: p.duty_stations.clone(),
            themes: p.themes.clone(),
            budget: p.budget.clone(),
            participating_organisations: p.participating_organisations.clone(),
            outcomes: p.outcomes.clone(),
            commitments: p.commitments.clone(),
            budget_lines: p.budget_lines.clone(),
            sectors: p.sectors.clone(),
            notes: p.notes.clone(),
            iati_identifier: p.iati_identifier.clone(),
        }
    }
}

crate::paging::sort_keys!(
    /// Keys `GET /projects` sorts by.
    ProjectSortKey by default CreatedAt desc {
        Code => "code",
        Title => "title",
        StartDate => "start_date",
        EndDate => "end_date",
        CreatedAt => "created_at",
        UpdatedAt => "updated_at",
    }
);

/// Filters, sort and paging of `GET /projects`.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProjectListParams {
    pub status: Option<ProjectStatus>,
    /// Projects working in this country (ISO 3166-1 alpha-2).
    pub country_code: Option<String>,
    /// Projects this organisation participates in.
    pub organisation_id: Option<Uuid>,
    /// With `organisation_id`: only in this role (e.g. `funding`).
    pub role: Option<ParticipationRole>,
    /// Projects carrying this theme tag.
    pub theme: Option<String>,
    /// Start date on or after this day.
    pub start_from: Option<NaiveDate>,
    /// Start date on or before this day.
    pub start_to: Option<NaiveDate>,
    /// Case-insensitive substring of code, title or summary.
    pub q: Option<String>,
    /// A sort key, '-' for descending; ties are broken by id. Undated projects
    /// come last under a date sort.
    #[param(schema_with = ProjectSortKey::schema)]
    pub sort: Option<String>,
    /// Page size, 1..100.
    #[param(minimum = 1, maximum = 100, default = 20)]
    pub limit: Option<u64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Also return `total`, the number of matching records.
    pub count: Option<bool>,
    /// Admins only: list deleted records too (each carries `deleted_at`).
    #[param(default = false)]
    pub include_deleted: Option<bool>,
}
