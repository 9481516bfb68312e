//! Documents: the deliverables a programme produces (studies, manuals,
//! guides, curricula, training plans, white papers), tied to the project or
//! activity that produced them and to the organisations that wrote,
//! published or partnered on them.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::{Validate, ValidationError};

use crate::enums::string_enum;
use crate::validation::{self, Check, FieldError};

string_enum!(
    /// What kind of deliverable the document is.
    DocumentKind {
        Study => "study",
        Manual => "manual",
        Guide => "guide",
        Curriculum => "curriculum",
        TrainingPlan => "training_plan",
        WhitePaper => "white_paper",
        Report => "report",
        Statement => "statement",
        Other => "other",
    }
);

string_enum!(
    /// What an organisation did for the document.
    DocumentRole { Author => "author", Publisher => "publisher", Partner => "partner" }
);

/// An organisation and its part in the document.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DocumentOrganisation {
    /// Must exist.
    pub organisation_id: Uuid,
    pub role: DocumentRole,
}

/// ISO 639-1: two lower-case letters.
pub fn language_codes(v: &[String]) -> Result<(), ValidationError> {
    if v.iter()
        .all(|c| c.len() == 2 && c.bytes().all(|b| b.is_ascii_lowercase()))
    {
        Ok(())
    } else {
        let mut e = ValidationError::new("language_code");
        e.message = Some("each language must be an ISO 639-1 code such as \"ar\" or \"en\"".into());
        Err(e)
    }
}

/// What a client sends to create (POST) or fully replace (PUT) a document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "title": "Legal Guide for Foreigners",
    "kind": "guide",
    "languages": ["ar", "en"],
    "published_on": "2020-01-01",
    "url": null,
    "project_id": "019367e0-0000-7000-8000-000000000010",
    "activity_id": null,
    "organisations": [
        {"organisation_id": "019367e0-0000-7000-8000-000000000001", "role": "author"}
    ],
    "summary": "First published in January 2020 and updated under LIBMITAF."
}))]
pub struct DocumentInput {
    #[validate(length(min = 1, max = 500), custom(function = "validation::not_blank"))]
    #[schema(min_length = 1, max_length = 500, pattern = r"\S")]
    pub title: String,
    pub kind: DocumentKind,
    /// The languages the document is written in, ISO 639-1, each once.
    #[serde(default)]
    #[validate(length(max = 20), custom(function = "language_codes"))]
    #[schema(max_items = 20, value_type = Vec<String>, example = json!(["ar", "en"]))]
    pub languages: Vec<String>,
    /// When it was (first) published.
    pub published_on: Option<NaiveDate>,
    /// Where to read it: an http(s) URL.
    #[validate(length(max = 2000), custom(function = "validation::http_url"))]
    #[schema(max_length = 2000, pattern = r"^https?://[^\s/?#:\u0000][^\s\u0000]*$")]
    pub url: Option<String>,
    /// The project that produced it; it or `activity_id` (or both) is given,
    /// and each must exist.
    pub project_id: Option<Uuid>,
    /// The activity that produced it.
    pub activity_id: Option<Uuid>,
    /// Each organisation at most once per role.
    #[serde(default)]
    #[validate(length(max = 50))]
    #[schema(max_items = 50)]
    pub organisations: Vec<DocumentOrganisation>,
    #[validate(length(max = 10000))]
    #[schema(max_length = 10000)]
    pub summary: Option<String>,
}

impl Check for DocumentInput {
    fn check(&self) -> Vec<FieldError> {
        let mut errors = match self.validate() {
            Ok(()) => Vec::new(),
            Err(e) => validation::flatten(&e),
        };
        if self.project_id.is_none() && self.activity_id.is_none() {
            errors.push(FieldError::new(
                "project_id",
                "required",
                "give project_id, activity_id or both: a document belongs to a project or an activity",
            ));
        }
        if validation::has_duplicates(&self.languages) {
            errors.push(FieldError::new(
                "languages",
                "duplicate",
                "each language at most once",
            ));
        }
        if validation::has_duplicates(&self.organisations) {
            errors.push(FieldError::new(
                "organisations",
                "duplicate",
                "each organisation at most once per role",
            ));
        }
        errors
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "id": "019367e0-0000-7000-8000-000000000050",
    "title": "Legal Guide for Foreigners",
    "kind": "guide",
    "languages": ["ar", "en"],
    "published_on": "2020-01-01",
    "url": null,
    "project_id": "019367e0-0000-7000-8000-000000000010",
    "activity_id": null,
    "organisations": [
        {"organisation_id": "019367e0-0000-7000-8000-000000000001", "role": "author"}
    ],
    "summary": "First published in January 2020 and updated under LIBMITAF.",
    "created_at": "2026-11-22T08:00:00Z",
    "updated_at": "2026-11-22T08:00:00Z",
    "created_by": "019367e0-0000-7000-8000-0000000000aa",
    "updated_by": "019367e0-0000-7000-8000-0000000000aa",
    "version": 1
}))]
pub struct Document {
    pub id: Uuid,
    pub title: String,
    pub kind: DocumentKind,
    pub languages: Vec<String>,
    pub published_on: Option<NaiveDate>,
    pub url: Option<String>,
    pub project_id: Option<Uuid>,
    pub activity_id: Option<Uuid>,
    pub organisations: Vec<DocumentOrganisation>,
    pub summary: Option<String>,
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

impl From<&Document> for DocumentInput {
    fn from(d: &Document) -> Self {
        DocumentInput {
            title: d.title.clone(),
            kind: d.kind,
            languages: d.languages.clone(),
            published_on: d.published_on,
            url: d.url.clone(),
            project_id: d.project_id,
            activity_id: d.activity_id,
            organisations: d.organisations.clone(),
            summary: d.summary.clone(),
        }
    }
}

crate::paging::sort_keys!(
    /// Keys `GET /documents` sorts by.
    DocumentSortKey by default Title asc {
        Title => "title",
        PublishedOn => "published_on",
        CreatedAt => "created_at",
        UpdatedAt => "updated_at",
    }
);

/// Filters, sort and paging of `GET /documents`. No filter carries an
/// example, so Swagger UI's "Try it out" lists every document.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DocumentListParams {
    /// Documents of this project.
    pub project_id: Option<Uuid>,
    /// Documents of this activity.
    pub activity_id: Option<Uuid>,
    pub kind: Option<DocumentKind>,
    /// Documents in this language (ISO 639-1, e.g. `ar`).
    pub language: Option<String>,
    /// Case-insensitive substring of title or summary.
    pub q: Option<String>,
    /// A sort key, '-' for descending; ties are broken by id. Documents
    /// without `published_on` come last in either direction.
    #[param(schema_with = DocumentSortKey::schema)]
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
