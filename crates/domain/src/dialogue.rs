//! Dialogues: the standing international migration dialogues the partner
//! country takes part in, and their meetings (a sub-resource).

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::enums::{DialogueKind, MeetingStatus, MeetingType, Modality, ParticipationStatus};
use crate::validation::{self, Check, FieldError};

/// The partner country's national focal point for a dialogue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FocalPoint {
    #[validate(length(min = 1, max = 200), custom(function = "validation::not_blank"))]
    #[schema(min_length = 1, max_length = 200, pattern = r"\S")]
    pub name: String,
    #[validate(length(min = 1, max = 300), custom(function = "validation::not_blank"))]
    #[schema(min_length = 1, max_length = 300, pattern = r"\S")]
    pub position: Option<String>,
    /// Must name an existing organisation.
    pub organisation_id: Option<Uuid>,
}

/// What a client sends to create (POST) or fully replace (PUT) a dialogue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "name": "Rabat Process",
    "acronym": null,
    "kind": "interregional_forum",
    "regions": [],
    "description": "A migration dialogue of relevance for Libya; its secretariat intervened in the July 2023 LIBMITAF training on migration dialogues.",
    "established_year": null,
    "secretariat_organisation_id": null,
    "website": null,
    "participation_status": "member",
    "focal_point": null
}))]
pub struct DialogueInput {
    /// Unique across dialogues.
    #[validate(length(min = 1, max = 300), custom(function = "validation::not_blank"))]
    #[schema(min_length = 1, max_length = 300, pattern = r"\S")]
    pub name: String,
    #[validate(length(min = 1, max = 50), custom(function = "validation::not_blank"))]
    #[schema(example = "JVAP", min_length = 1, max_length = 50, pattern = r"\S")]
    pub acronym: Option<String>,
    pub kind: DialogueKind,
    #[serde(default)]
    #[validate(length(max = 50), custom(function = "validation::text_list"))]
    #[schema(schema_with = crate::paging::text_list_schema)]
    pub regions: Vec<String>,
    #[validate(length(max = 10000))]
    #[schema(max_length = 10000)]
    pub description: Option<String>,
    #[validate(range(min = 1900, max = 2100))]
    #[schema(example = 2006, minimum = 1900, maximum = 2100)]
    pub established_year: Option<i32>,
    /// Must name an existing organisation.
    pub secretariat_organisation_id: Option<Uuid>,
    /// An http(s) URL.
    #[validate(length(max = 2000), custom(function = "validation::http_url"))]
    #[schema(max_length = 2000, pattern = r"^https?://[^\s/?#:\u0000][^\s\u0000]*$")]
    pub website: Option<String>,
    /// Where the partner country stands in this dialogue.
    pub participation_status: Option<ParticipationStatus>,
    #[validate(nested)]
    pub focal_point: Option<FocalPoint>,
}

impl Check for DialogueInput {
    fn check(&self) -> Vec<FieldError> {
        match self.validate() {
            Ok(()) => Vec::new(),
            Err(e) => validation::flatten(&e),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "id": "019367e0-0000-7000-8000-000000000030",
    "name": "Khartoum Process",
    "acronym": null,
    "kind": "interregional_forum",
    "regions": [],
    "description": "A migration dialogue of relevance for Libya.",
    "established_year": null,
    "secretariat_organisation_id": null,
    "website": null,
    "participation_status": "member",
    "focal_point": null,
    "created_at": "2026-11-22T08:00:00Z",
    "updated_at": "2026-11-22T08:00:00Z",
    "created_by": "019367e0-0000-7000-8000-0000000000aa",
    "updated_by": "019367e0-0000-7000-8000-0000000000aa",
    "version": 1
}))]
pub struct Dialogue {
    pub id: Uuid,
    pub name: String,
    pub acronym: Option<String>,
    pub kind: DialogueKind,
    pub regions: Vec<String>,
    pub description: Option<String>,
    pub established_year: Option<i32>,
    pub secretariat_organisation_id: Option<Uuid>,
    pub website: Option<String>,
    pub participation_status: Option<ParticipationStatus>,
    pub focal_point: Option<FocalPoint>,
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

impl From<&Dialogue> for DialogueInput {
    fn from(d: &Dialogue) -> Self {
        DialogueInput {
            name: d.name.clone(),
            acronym: d.acronym.clone(),
            kind: d.kind,
            regions: d.regions.clone(),
            description: d.description.clone(),
            established_year: d.established_year,
            secretariat_organisation_id: d.secretariat_organisation_id,
            website: d.website.clone(),
            participation_status: d.participation_status,
            focal_point: d.focal_point.clone(),
        }
    }
}

crate::paging::sort_keys!(
    /// Keys `GET /dialogues` sorts by.
    DialogueSortKey by default Name asc {
        Name => "name",
        CreatedAt => "created_at",
        UpdatedAt => "updated_at",
    }
);

/// Filters, sort and paging of `GET /dialogues`.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DialogueListParams {
    pub kind: Option<DialogueKind>,
    pub participation_status: Option<ParticipationStatus>,
    /// Dialogues covering this region (exact match).
    pub region: Option<String>,
    /// Case-insensitive substring of name, acronym or description.
    pub q: Option<String>,
    /// A sort key, '-' for descending; ties are broken by id.
    #[param(schema_with = DialogueSortKey::schema)]
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

fn default_meeting_type() -> MeetingType {
    MeetingType::Other
}

fn default_meeting_status() -> MeetingStatus {
    MeetingStatus::Planned
}

/// What a client sends to create (POST) or fully replace (PUT) a meeting of a
/// dialogue. The dialogue is the one in the path.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "title": "Rabat Process meeting attended by a Libyan delegation (example: the seeds name no meeting or date)",
    "meeting_type": "other",
    "start_date": null,
    "end_date": null,
    "city": null,
    "country_code": null,
    "modality": null,
    "status": "held"
}))]
pub struct MeetingInput {
    #[validate(length(min = 1, max = 500), custom(function = "validation::not_blank"))]
    #[schema(min_length = 1, max_length = 500, pattern = r"\S")]
    pub title: String,
    #[serde(default = "default_meeting_type")]
    #[schema(default = "other")]
    pub meeting_type: MeetingType,
    pub start_date: Option<NaiveDate>,
    /// Not before `start_date`.
    pub end_date: Option<NaiveDate>,
    #[validate(length(min = 1, max = 200), custom(function = "validation::not_blank"))]
    #[schema(min_length = 1, max_length = 200, pattern = r"\S")]
    pub city: Option<String>,
    /// ISO 3166-1 alpha-2.
    #[validate(custom(function = "validation::country_code"))]
    #[schema(pattern = "^[A-Z]{2}$", example = "MA")]
    pub country_code: Option<String>,
    pub modality: Option<Modality>,
    #[serde(default = "default_meeting_status")]
    #[schema(default = "planned")]
    pub status: MeetingStatus,
}

impl Check for MeetingInput {
    fn check(&self) -> Vec<FieldError> {
        let mut errors = match self.validate() {
            Ok(()) => Vec::new(),
            Err(e) => validation::flatten(&e),
        };
        validation::check_period(self.start_date, self.end_date, &mut errors);
        errors
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "id": "019367e0-0000-7000-8000-000000000040",
    "dialogue_id": "019367e0-0000-7000-8000-000000000030",
    "title": "Rabat Process meeting attended by a Libyan delegation (example: the seeds name no meeting or date)",
    "meeting_type": "other",
    "start_date": null,
    "end_date": null,
    "city": null,
    "country_code": null,
    "modality": null,
    "status": "held",
    "created_at": "2026-11-22T08:00:00Z",
    "updated_at": "2026-11-22T08:00:00Z",
    "created_by": "019367e0-0000-7000-8000-0000000000aa",
    "updated_by": "019367e0-0000-7000-8000-0000000000aa",
    "version": 1
}))]
pub struct Meeting {
    pub id: Uuid,
    pub dialogue_id: Uuid,
    pub title: String,
    pub meeting_type: MeetingType,
    pub start_date: Option<NaiveDate>,
    pub end_date: Option<NaiveDate>,
    pub city: Option<String>,
    pub country_code: Option<String>,
    pub modality: Option<Modality>,
    pub status: MeetingStatus,
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

impl From<&Meeting> for MeetingInput {
    fn from(m: &Meeting) -> Self {
        MeetingInput {
            title: m.title.clone(),
            meeting_type: m.meeting_type,
            start_date: m.start_date,
            end_date: m.end_date,
            city: m.city.clone(),
            country_code: m.country_code.clone(),
            modality: m.modality,
            status: m.status,
        }
    }
}

crate::paging::sort_keys!(
    /// Keys the meeting lists sort by.
    MeetingSortKey by default StartDate asc {
        StartDate => "start_date",
        EndDate => "end_date",
        Title => "title",
        CreatedAt => "created_at",
        UpdatedAt => "updated_at",
    }
);

/// Filters, sort and paging of `GET /meetings` and `GET /dialogues/{id}/meetings`.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MeetingListParams {
    /// Meetings of this dialogue (the nested route sets it from the path).
    pub dialogue_id: Option<Uuid>,
    pub status: Option<MeetingStatus>,
    pub meeting_type: Option<MeetingType>,
    /// ISO 3166-1 alpha-2 of the host country.
    pub country_code: Option<String>,
    /// With `to`: meetings overlapping the window [from, to]; alone, those
    /// ending on or after this day.
    pub from: Option<NaiveDate>,
    /// Meetings starting on or before this day.
    pub to: Option<NaiveDate>,
    /// Case-insensitive substring of the title.
    pub q: Option<String>,
    /// A sort key, '-' for descending; ties are broken by id. Undated
    /// meetings come last under a date sort.
    #[param(schema_with = MeetingSortKey::schema)]
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
