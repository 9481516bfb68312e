//! Activities: what a project delivers on given days (trainings, workshops,
//! working sessions...), with where, with whom and by whom.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::dates::{self, DatePrecision};
use crate::enums::{
    ActivityKind, ActivityRole, ActivityStatus, FacilitatorKind, FacilitatorRole, Modality,
};
use crate::validation::{self, Check, FieldError};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Location {
    /// Null when only the country is known.
    #[serde(default)]
    #[validate(length(min = 1, max = 200), custom(function = "validation::not_blank"))]
    #[schema(example = "Tripoli", min_length = 1, max_length = 200, pattern = r"\S")]
    pub city: Option<String>,
    /// ISO 3166-1 alpha-2.
    #[validate(custom(function = "validation::country_code"))]
    #[schema(example = "LY", pattern = "^[A-Z]{2}$")]
    pub country_code: String,
    #[validate(length(min = 1, max = 300), custom(function = "validation::not_blank"))]
    #[schema(
        example = "Diplomatic Institute",
        min_length = 1,
        max_length = 300,
        pattern = r"\S"
    )]
    pub venue: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActivityOrganisation {
    /// Must name an existing organisation.
    pub organisation_id: Uuid,
    pub role: ActivityRole,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Facilitator {
    #[validate(length(min = 1, max = 200), custom(function = "validation::not_blank"))]
    #[schema(
        example = "Megan Pilli",
        min_length = 1,
        max_length = 200,
        pattern = r"\S"
    )]
    pub name: String,
    #[validate(length(min = 1, max = 300), custom(function = "validation::not_blank"))]
    #[schema(example = "ICMPD", min_length = 1, max_length = 300, pattern = r"\S")]
    pub affiliation: Option<String>,
    pub role: FacilitatorRole,
    /// The person's position, e.g. "Head of the Migration Division".
    #[serde(default)]
    #[validate(length(min = 1, max = 300), custom(function = "validation::not_blank"))]
    #[schema(min_length = 1, max_length = 300, pattern = r"\S")]
    pub position: Option<String>,
    /// The organisation the facilitator is, or speaks for; must exist.
    #[serde(default)]
    pub organisation_id: Option<Uuid>,
    /// `organisation` when a body (a dialogue's secretariat, say) facilitated
    /// rather than a named person.
    /// `person` when left out.
    #[serde(default = "person")]
    pub kind: FacilitatorKind,
}

fn person() -> FacilitatorKind {
    FacilitatorKind::Person
}

/// Head counts; any may be unknown (null). `female + male` never exceeds `actual`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Participants {
    #[validate(range(min = 0, max = 1_000_000))]
    #[schema(minimum = 0, maximum = 1_000_000)]
    pub planned: Option<i32>,
    #[validate(range(min = 0, max = 1_000_000))]
    #[schema(minimum = 0, maximum = 1_000_000)]
    pub actual: Option<i32>,
    #[validate(range(min = 0, max = 1_000_000))]
    #[schema(minimum = 0, maximum = 1_000_000)]
    pub female: Option<i32>,
    #[validate(range(min = 0, max = 1_000_000))]
    #[schema(minimum = 0, maximum = 1_000_000)]
    pub male: Option<i32>,
}

fn default_status() -> ActivityStatus {
    ActivityStatus::Planned
}

/// What a client sends to create (POST) or fully replace (PUT) an activity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "project_id": "019367e0-0000-7000-8000-000000000010",
    "outcome_code": "A2",
    "dialogue_id": null,
    "dialogue_ids": [],
    "title": "Working session on consular crisis management and preparedness",
    "kind": "working_session",
    "status": "completed",
    "start_date": "2022-11-08",
    "start_date_precision": "day",
    "end_date": "2022-11-09",
    "end_date_precision": "day",
    "modality": null,
    "locations": [],
    "organisations": [
        {"organisation_id": "019367e0-0000-7000-8000-000000000001", "role": "organiser"},
        {"organisation_id": "019367e0-0000-7000-8000-000000000002", "role": "participant"}
    ],
    "topics": ["consular crisis management", "contingency planning"],
    "description": "Two-day working session with the Libyan Ministry of Foreign Affairs and the Ministry of Interior.",
    "outputs": ["Draft training plan"],
    "participants": {"planned": null, "actual": null, "female": null, "male": null},
    "facilitators": [
        {"name": "Megan Pilli", "affiliation": "ICMPD", "role": "trainer", "position": null, "organisation_id": null, "kind": "person"},
        {"name": "Khaled Shorman", "affiliation": null, "role": "expert", "position": null, "organisation_id": null, "kind": "person"}
    ],
    "indicator_codes": [],
    "sessions": null,
    "organisations_reached": null,
    "notes": null
}))]
pub struct ActivityInput {
    /// The project that delivers it; must exist.
    pub project_id: Uuid,
    /// One of the project's outcome codes.
    #[validate(length(min = 1, max = 50), custom(function = "validation::not_blank"))]
    #[schema(example = "OC3", min_length = 1, max_length = 50, pattern = r"\S")]
    pub outcome_code: Option<String>,
    /// Deprecated, kept for older clients: the first of `dialogue_ids`.
    /// Alone, it stands for `dialogue_ids: [dialogue_id]`; with
    /// `dialogue_ids` it must be their first or null. A PATCH of one of the
    /// two replaces both.
    pub dialogue_id: Option<Uuid>,
    /// The dialogues this activity prepares for; each must exist, none twice.
    #[serde(default)]
    #[validate(length(max = 20))]
    #[schema(max_items = 20)]
    pub dialogue_ids: Vec<Uuid>,
    #[validate(length(min = 1, max = 500), custom(function = "validation::not_blank"))]
    #[schema(min_length = 1, max_length = 500, pattern = r"\S")]
    pub title: String,
    pub kind: ActivityKind,
    #[serde(default = "default_status")]
    #[schema(default = "planned")]
    pub status: ActivityStatus,
    /// For a month or a year, the first day of it.
    pub start_date: Option<NaiveDate>,
    /// `day` when left out.
    #[serde(default = "dates::day")]
    pub start_date_precision: DatePrecision,
    /// Not before `start_date`.
    pub end_date: Option<NaiveDate>,
    /// `day` when left out.
    #[serde(default = "dates::day")]
    pub end_date_precision: DatePrecision,
    pub modality: Option<Modality>,
    #[serde(default)]
    #[validate(length(max = 50), nested)]
    #[schema(max_items = 50)]
    pub locations: Vec<Location>,
    /// Each organisation must exist; an (organisation, role) pair appears once.
    #[serde(default)]
    #[validate(length(max = 100))]
    #[schema(max_items = 100)]
    pub organisations: Vec<ActivityOrganisation>,
    #[serde(default)]
    #[validate(length(max = 50), custom(function = "validation::text_list"))]
    #[schema(schema_with = crate::paging::text_list_schema)]
    pub topics: Vec<String>,
    #[validate(length(max = 10000))]
    #[schema(max_length = 10000)]
    pub description: Option<String>,
    /// What the activity produced, e.g. "Draft training plan".
    #[serde(default)]
    #[validate(length(max = 50), custom(function = "validation::text_list"))]
    #[schema(schema_with = crate::paging::text_list_schema)]
    pub outputs: Vec<String>,
    #[serde(default)]
    #[validate(nested)]
    pub participants: Participants,
    #[serde(default)]
    #[validate(length(max = 50), nested)]
    #[schema(max_items = 50)]
    pub facilitators: Vec<Facilitator>,
    /// Indicators of the project's outcomes this activity serves.
    #[serde(default)]
    #[validate(length(max = 50), custom(function = "validation::text_list"))]
    #[schema(schema_with = crate::paging::text_list_schema)]
    pub indicator_codes: Vec<String>,
    /// How many sessions it had (e.g. four capacity building sessions).
    #[validate(range(min = 0, max = 100_000))]
    #[schema(minimum = 0, maximum = 100_000)]
    pub sessions: Option<i32>,
    /// How many organisations it reached (e.g. 27 civil society organisations).
    #[validate(range(min = 0, max = 1_000_000))]
    #[schema(minimum = 0, maximum = 1_000_000)]
    pub organisations_reached: Option<i32>,
    /// Provenance and caveats, e.g. which values are ours rather than the sources'.
    #[validate(length(max = 10000))]
    #[schema(max_length = 10000)]
    pub notes: Option<String>,
}

impl ActivityInput {
    /// The dialogues the activity names: `dialogue_ids`, or the one
    /// `dialogue_id` of an older client.
    pub fn dialogues(&self) -> Vec<Uuid> {
        if self.dialogue_ids.is_empty() {
            self.dialogue_id.into_iter().collect()
        } else {
            self.dialogue_ids.clone()
        }
    }
}

impl Check for ActivityInput {
    const ALIASES: &'static [(&'static str, &'static str)] = &[("dialogue_id", "dialogue_ids")];

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
        if validation::has_duplicates(&self.dialogue_ids) {
            errors.push(FieldError::new(
                "dialogue_ids",
                "duplicate",
                "must not list the same dialogue twice",
            ));
        }
        if let (Some(one), Some(first)) = (self.dialogue_id, self.dialogue_ids.first())
            && one != *first
        {
            errors.push(FieldError::new(
                "dialogue_id",
                "disagrees",
                "dialogue_id is the first of dialogue_ids: leave it out, or give the same id",
            ));
        }
        let p = &self.participants;
        if let Some(actual) = p.actual
            && i64::from(p.female.unwrap_or(0)) + i64::from(p.male.unwrap_or(0)) > i64::from(actual)
        {
            errors.push(FieldError::new(
                "participants",
                "exceeds_actual",
                "participants.female + participants.male must not exceed participants.actual",
            ));
        }
        let mut listed = std::collections::HashSet::new();
        for (i, o) in self.organisations.iter().enumerate() {
            if !listed.insert((o.organisation_id, o.role)) {
                errors.push(FieldError::new(
                    format!("organisations[{i}]"),
                    "duplicate",
                    "the same organisation is already listed with this role",
                ));
            }
        }
        errors
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "id": "019367e0-0000-7000-8000-000000000020",
    "project_id": "019367e0-0000-7000-8000-000000000010",
    "outcome_code": "A1",
    "dialogue_id": null,
    "dialogue_ids": [],
    "title": "Training for Libyan officials on Migration Dialogues",
    "kind": "training",
    "status": "completed",
    "start_date": "2023-07-17",
    "start_date_precision": "day",
    "end_date": "2023-07-18",
    "end_date_precision": "day",
    "modality": null,
    "locations": [],
    "organisations": [{"organisation_id": "019367e0-0000-7000-8000-000000000001", "role": "organiser"}],
    "topics": ["benefits of migration dialogues", "drafting talking points and statements"],
    "description": "Practical steps in preparation for a Migration Dialogue.",
    "outputs": [],
    "participants": {"planned": null, "actual": null, "female": null, "male": null},
    "facilitators": [],
    "indicator_codes": [],
    "sessions": null,
    "organisations_reached": null,
    "notes": null,
    "created_at": "2026-11-22T08:00:00Z",
    "updated_at": "2026-11-22T08:00:00Z",
    "created_by": "019367e0-0000-7000-8000-0000000000aa",
    "updated_by": "019367e0-0000-7000-8000-0000000000aa",
    "version": 1
}))]
pub struct Activity {
    pub id: Uuid,
    pub project_id: Uuid,
    pub outcome_code: Option<String>,
    /// The first of `dialogue_ids` (deprecated).
    pub dialogue_id: Option<Uuid>,
    pub dialogue_ids: Vec<Uuid>,
    pub title: String,
    pub kind: ActivityKind,
    pub status: ActivityStatus,
    pub start_date: Option<NaiveDate>,
    pub start_date_precision: DatePrecision,
    pub end_date: Option<NaiveDate>,
    pub end_date_precision: DatePrecision,
    pub modality: Option<Modality>,
    pub locations: Vec<Location>,
    pub organisations: Vec<ActivityOrganisation>,
    pub topics: Vec<String>,
    pub description: Option<String>,
    pub outputs: Vec<String>,
    pub participants: Participants,
    pub facilitators: Vec<Facilitator>,
    pub indicator_codes: Vec<String>,
    pub sessions: Option<i32>,
    pub organisations_reached: Option<i32>,
    pub notes: Option<String>,
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

impl From<&Activity> for ActivityInput {
    fn from(a: &Activity) -> Self {
        ActivityInput {
            project_id: a.project_id,
            outcome_code: a.outcome_code.clone(),
            // One dialogue in the older field, several in the list: the
            // form a PATCH of either field merges into cleanly.
            dialogue_id: match a.dialogue_ids.as_slice() {
                [one] => Some(*one),
                _ => None,
            },
            dialogue_ids: if a.dialogue_ids.len() > 1 {
                a.dialogue_ids.clone()
            } else {
                Vec::new()
            },
            title: a.title.clone(),
            kind: a.kind,
            status: a.status,
            start_date: a.start_date,
            start_date_precision: a.start_date_precision,
            end_date: a.end_date,
            end_date_precision: a.end_date_precision,
            modality: a.modality,
            locations: a.locations.clone(),
            organisations: a.organisations.clone(),
            topics: a.topics.clone(),
            description: a.description.clone(),
            outputs: a.outputs.clone(),
            participants: a.participants.clone(),
            facilitators: a.facilitators.clone(),
            indicator_codes: a.indicator_codes.clone(),
            sessions: a.sessions,
            organisations_reached: a.organisations_reached,
            notes: a.notes.clone(),
        }
    }
}

crate::paging::sort_keys!(
    /// Keys `GET /activities` sorts by.
    ActivitySortKey by default StartDate asc {
        StartDate => "start_date",
        EndDate => "end_date",
        Title => "title",
        CreatedAt => "created_at",
        UpdatedAt => "updated_at",
    }
);

/// Filters, sort and paging of `GET /activities` and `GET /projects/{id}/activities`.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ActivityListParams {
    /// Activities of this project (the nested route sets it from the path).
    pub project_id: Option<Uuid>,
    /// Activities preparing for this dialogue (one of their `dialogue_ids`).
    pub dialogue_id: Option<Uuid>,
    pub kind: Option<ActivityKind>,
    pub status: Option<ActivityStatus>,
    pub modality: Option<Modality>,
    /// Activities with a location in this country (ISO 3166-1 alpha-2).
    pub country_code: Option<String>,
    /// Activities this organisation takes part in.
    pub organisation_id: Option<Uuid>,
    /// With `organisation_id`: only in this role (e.g. `organiser`).
    pub role: Option<ActivityRole>,
    /// Activities carrying this topic.
    pub topic: Option<String>,
    /// With `to`: activities overlapping the window [from, to]; alone, those
    /// ending on or after this day. A month- or year-precise date counts as
    /// its whole period.
    pub from: Option<NaiveDate>,
    /// Activities starting on or before this day.
    pub to: Option<NaiveDate>,
    /// Case-insensitive substring of title, description or any output.
    pub q: Option<String>,
    /// A sort key, '-' for descending; ties are broken by id. Undated
    /// activities come last under a date sort.
    #[param(schema_with = ActivitySortKey::schema)]
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
