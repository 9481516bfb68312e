//! Organisations: ministries, agencies, institutes, donors and partners, with
//! departments nested under a parent.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::enums::OrganisationKind;
use crate::validation::{self, Check, FieldError};

/// What a client sends to create (POST) or fully replace (PUT) an organisation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "name": "Mansour Rashid Al-Kikhia Institute for Diplomatic Studies",
    "acronym": null,
    "kind": "diplomatic_institute",
    "country_code": "LY",
    "parent_id": null,
    "iati_org_ref": null
}))]
pub struct OrganisationInput {
    /// Unique across all organisations.
    #[validate(length(min = 1, max = 300), custom(function = "validation::not_blank"))]
    #[schema(min_length = 1, max_length = 300, pattern = r"\S")]
    pub name: String,
    #[validate(length(min = 1, max = 50), custom(function = "validation::not_blank"))]
    #[schema(min_length = 1, max_length = 50, pattern = r"\S")]
    pub acronym: Option<String>,
    pub kind: OrganisationKind,
    /// ISO 3166-1 alpha-2.
    #[validate(custom(function = "validation::country_code"))]
    #[schema(pattern = "^[A-Z]{2}$", example = "LY")]
    pub country_code: Option<String>,
    /// The organisation this one is a department of; must exist.
    pub parent_id: Option<Uuid>,
    /// IATI organisation identifier, e.g. "XM-DAC-47066".
    #[validate(
        length(min = 1, max = 150),
        custom(function = "validation::identifier")
    )]
    #[schema(
        min_length = 1,
        max_length = 150,
        pattern = "^[A-Za-z0-9][A-Za-z0-9._/-]*$"
    )]
    pub iati_org_ref: Option<String>,
}

impl Check for OrganisationInput {
    fn check(&self) -> Vec<FieldError> {
        match self.validate() {
            Ok(()) => Vec::new(),
            Err(e) => validation::flatten(&e),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "id": "019367e0-0000-7000-8000-000000000001",
    "name": "Ministry of Foreign Affairs and International Cooperation",
    "acronym": "MoFA",
    "kind": "government_ministry",
    "country_code": "LY",
    "parent_id": null,
    "iati_org_ref": null,
    "created_at": "2026-11-22T08:00:00Z",
    "updated_at": "2026-11-22T08:00:00Z",
    "created_by": "019367e0-0000-7000-8000-0000000000aa",
    "updated_by": "019367e0-0000-7000-8000-0000000000aa",
    "version": 1
}))]
pub struct Organisation {
    pub id: Uuid,
    pub name: String,
    pub acronym: Option<String>,
    pub kind: OrganisationKind,
    pub country_code: Option<String>,
    pub parent_id: Option<Uuid>,
    pub iati_org_ref: Option<String>,
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

impl From<&Organisation> for OrganisationInput {
    fn from(o: &Organisation) -> Self {
        OrganisationInput {
            name: o.name.clone(),
            acronym: o.acronym.clone(),
            kind: o.kind,
            country_code: o.country_code.clone(),
            parent_id: o.parent_id,
            iati_org_ref: o.iati_org_ref.clone(),
        }
    }
}

crate::paging::sort_keys!(
    /// Keys `GET /organisations` sorts by.
    OrganisationSortKey by default Name asc {
        Name => "name",
        Kind => "kind",
        CreatedAt => "created_at",
        UpdatedAt => "updated_at",
    }
);

/// Filters, sort and paging of `GET /organisations`.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OrganisationListParams {
    pub kind: Option<OrganisationKind>,
    /// ISO 3166-1 alpha-2.
    pub country_code: Option<String>,
    /// Only the departments of this organisation.
    pub parent_id: Option<Uuid>,
    /// Case-insensitive substring of name or acronym.
    pub q: Option<String>,
    /// A sort key, '-' for descending; ties are broken by id.
    #[param(schema_with = OrganisationSortKey::schema)]
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
