//! Delegations: a country's delegation to one dialogue meeting, its members,
//! the support it received, and its status workflow.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::enums::{DelegationStatus, Gender, MemberRole, SupportKind};
use crate::validation::{self, Check, FieldError};

fn default_member_role() -> MemberRole {
    MemberRole::Member
}

fn default_gender() -> Gender {
    Gender::Undisclosed
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Member {
    #[validate(length(min = 1, max = 200), custom(function = "validation::not_blank"))]
    #[schema(min_length = 1, max_length = 200, pattern = r"\S")]
    pub name: String,
    #[validate(length(min = 1, max = 300), custom(function = "validation::not_blank"))]
    #[schema(min_length = 1, max_length = 300, pattern = r"\S")]
    pub position: Option<String>,
    /// Must name an existing organisation.
    pub organisation_id: Option<Uuid>,
    /// At most one member of a delegation is `head`.
    #[serde(default = "default_member_role")]
    #[schema(default = "member")]
    pub role: MemberRole,
    #[serde(default = "default_gender")]
    #[schema(default = "undisclosed")]
    pub gender: Gender,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Preparation {
    #[validate(length(max = 20000))]
    #[schema(max_length = 20000)]
    pub talking_points: Option<String>,
    #[validate(length(max = 20000))]
    #[schema(max_length = 20000)]
    pub statement: Option<String>,
}

fn default_status() -> DelegationStatus {
    DelegationStatus::Planned
}

/// What a client sends to create (POST) or fully replace (PUT) a delegation.
/// A new delegation may start in any state (a record of one already under way);
/// after that, `status` moves only along the workflow: planned -> nominated ->
/// confirmed -> attended, or to cancelled / declined from any state before
/// attended. An illegal move is 409.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "meeting_id": "019367e0-0000-7000-8000-000000000040",
    "project_id": "019367e0-0000-7000-8000-000000000010",
    "country_code": "LY",
    "lead_organisation_id": null,
    "status": "attended",
    "members": [],
    "support_provided": [],
    "preparation": {"talking_points": null, "statement": null},
    "report": null,
    "notes": "Example record. The LIBMITAF project page says the project accompanied Libyan delegations to Rabat Process and Khartoum Process meetings and supported them in preparing their participation; it names no meeting, date, lead organisation or member, so those are left empty."
}))]
pub struct DelegationInput {
    /// The dialogue meeting; must exist. The dialogue follows from it.
    pub meeting_id: Uuid,
    /// The project that supported the delegation; must exist.
    pub project_id: Option<Uuid>,
    /// ISO 3166-1 alpha-2 of the country sending the delegation.
    #[validate(custom(function = "validation::country_code"))]
    #[schema(pattern = "^[A-Z]{2}$", example = "LY")]
    pub country_code: Option<String>,
    /// Must name an existing organisation.
    pub lead_organisation_id: Option<Uuid>,
    #[serde(default = "default_status")]
    #[schema(default = "planned")]
    pub status: DelegationStatus,
    #[serde(default)]
    #[validate(length(max = 100), nested)]
    #[schema(max_items = 100)]
    pub members: Vec<Member>,
    /// No value twice.
    #[serde(default)]
    #[schema(max_items = 6)]
    pub support_provided: Vec<SupportKind>,
    #[serde(default)]
    #[validate(nested)]
    pub preparation: Preparation,
    /// What happened, after the meeting.
    #[validate(length(max = 20000))]
    #[schema(max_length = 20000)]
    pub report: Option<String>,
    #[validate(length(max = 10000))]
    #[schema(max_length = 10000)]
    pub notes: Option<String>,
}

impl Check for DelegationInput {
    fn check(&self) -> Vec<FieldError> {
        let mut errors = match self.validate() {
            Ok(()) => Vec::new(),
            Err(e) => validation::flatten(&e),
        };
        let heads: Vec<usize> = self
            .members
            .iter()
            .enumerate()
            .filter(|(_, m)| m.role == MemberRole::Head)
            .map(|(i, _)| i)
            .collect();
        for i in heads.iter().skip(1) {
            errors.push(FieldError::new(
                format!("members[{i}].role"),
                "second_head",
                "a delegation has at most one member with role head",
            ));
        }
        if validation::has_duplicates(&self.support_provided) {
            errors.push(FieldError::new(
                "support_provided",
                "duplicate",
                "support_provided must not list the same value twice",
            ));
        }
        errors
    }
}

/// The meeting a delegation goes to, carried on every delegation read so a
/// client needs no second call. Read-only: writes name only `meeting_id`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct MeetingSummary {
    pub id: Uuid,
    #[schema(
        example = "Rabat Process meeting attended by a Libyan delegation (example: the seeds name no meeting or date)"
    )]
    pub title: String,
    pub start_date: Option<NaiveDate>,
    pub end_date: Option<NaiveDate>,
    pub dialogue_id: Uuid,
    #[schema(example = "Rabat Process")]
    pub dialogue_name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "id": "019367e0-0000-7000-8000-000000000050",
    "meeting_id": "019367e0-0000-7000-8000-000000000040",
    "meeting": {
        "id": "019367e0-0000-7000-8000-000000000040",
        "title": "Rabat Process meeting attended by a Libyan delegation (example: the seeds name no meeting or date)",
        "start_date": null,
        "end_date": null,
        "dialogue_id": "019367e0-0000-7000-8000-000000000030",
        "dialogue_name": "Rabat Process"
    },
    "project_id": "019367e0-0000-7000-8000-000000000010",
    "country_code": "LY",
    "lead_organisation_id": null,
    "status": "attended",
    "members": [],
    "support_provided": [],
    "preparation": {"talking_points": null, "statement": null},
    "report": null,
    "notes": "Example record. The LIBMITAF project page says the project accompanied Libyan delegations to Rabat Process and Khartoum Process meetings and supported them in preparing their participation; it names no meeting, date, lead organisation or member, so those are left empty.",
    "created_at": "2026-11-22T08:00:00Z",
    "updated_at": "2026-11-22T08:00:00Z",
    "created_by": "019367e0-0000-7000-8000-0000000000aa",
    "updated_by": "019367e0-0000-7000-8000-0000000000aa",
    "version": 1
}))]
pub struct Delegation {
    pub id: Uuid,
    pub meeting_id: Uuid,
    /// The meeting's title, dates and dialogue (read-only).
    pub meeting: MeetingSummary,
    pub project_id: Option<Uuid>,
    pub country_code: Option<String>,
    pub lead_organisation_id: Option<Uuid>,
    pub status: DelegationStatus,
    pub members: Vec<Member>,
    pub support_provided: Vec<SupportKind>,
    pub preparation: Preparation,
    pub report: Option<String>,
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

impl From<&Delegation> for DelegationInput {
    fn from(d: &Delegation) -> Self {
        DelegationInput {
            meeting_id: d.meeting_id,
            project_id: d.project_id,
            country_code: d.country_code.clone(),
            lead_organisation_id: d.lead_organisation_id,
            status: d.status,
            members: d.members.clone(),
            support_provided: d.support_provided.clone(),
            preparation: d.preparation.clone(),
            report: d.report.clone(),
            notes: d.notes.clone(),
        }
    }
}

crate::paging::sort_keys!(
    /// Keys the delegation lists sort by.
    DelegationSortKey by default CreatedAt desc {
        CreatedAt => "created_at",
        UpdatedAt => "updated_at",
        Status => "status",
    }
);

/// Filters, sort and paging of `GET /delegations` and the nested list under a meeting.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DelegationListParams {
    /// Delegations to meetings of this dialogue.
    pub dialogue_id: Option<Uuid>,
    /// Delegations to this meeting (the nested route sets it from the path).
    pub meeting_id: Option<Uuid>,
    pub project_id: Option<Uuid>,
    pub status: Option<DelegationStatus>,
    /// ISO 3166-1 alpha-2 of the sending country.
    pub country_code: Option<String>,
    /// With `to`: delegations whose meeting overlaps [from, to]; alone, whose
    /// meeting ends on or after this day.
    pub from: Option<NaiveDate>,
    /// Delegations whose meeting starts on or before this day.
    pub to: Option<NaiveDate>,
    /// A sort key, '-' for descending; ties are broken by id.
    #[param(schema_with = DelegationSortKey::schema)]
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
