//! The domain of Rihla: the records it keeps, what a client may send for each,
//! and the rules a value must satisfy before it is stored.
//!
//! Owns request/response types, enums, validation and list parameters. Knows
//! nothing of HTTP or SQL (no actix, no sea-orm), so both the API and the
//! persistence layer depend on it and it depends on neither.

pub mod activity;
pub mod api_key;
pub mod audit;
pub mod codes;
pub mod dates;
pub mod delegation;
pub mod dialogue;
pub mod document;
pub mod enums;
pub mod funding;
pub mod iati_codes;
pub mod member;
pub mod organisation;
pub mod paging;
pub mod patch;
pub mod project;
pub mod record;
pub mod report;
pub mod resource_type;
pub mod results;
pub mod user;
pub mod validation;

pub use activity::{
    Activity, ActivityInput, ActivityListParams, ActivityOrganisation, ActivitySortKey,
    Facilitator, Location, Participants,
};
pub use api_key::{API_KEY_PREFIX, ApiKey, ApiKeyCreate, ApiKeyListParams, ApiKeyWithSecret};
pub use audit::{
    ActorType, AuditAction, AuditEvent, AuditEventListParams, ChangeEvent, ChangeFeed,
    ChangeListParams, Changes, FieldChange, HistoryParams, ReadParams,
};
pub use dates::DatePrecision;
pub use delegation::{
    Delegation, DelegationInput, DelegationListParams, DelegationSortKey, MeetingSummary, Member,
    Preparation,
};
pub use dialogue::{
    Dialogue, DialogueInput, DialogueListParams, DialogueSortKey, FocalPoint, Meeting,
    MeetingInput, MeetingListParams, MeetingSortKey,
};
pub use document::{
    Document, DocumentInput, DocumentKind, DocumentListParams, DocumentOrganisation, DocumentRole,
    DocumentSortKey,
};
pub use enums::{
    ActivityKind, ActivityRole, ActivityStatus, DelegationStatus, DialogueKind, FacilitatorKind,
    FacilitatorRole, Gender, MeetingStatus, MeetingType, MemberRole, Modality, OrganisationKind,
    ParticipationRole, ParticipationStatus, ProjectRole, ProjectStatus, Role, SupportKind,
};
pub use funding::{BudgetLine, BudgetStatus, BudgetType, Commitment, Sector};
pub use member::{MemberCreate, MemberListParams, MemberPatch, ProjectMember};
pub use organisation::{
    Organisation, OrganisationInput, OrganisationListParams, OrganisationSortKey,
};
pub use paging::{Page, Sort};
pub use project::{
    Budget, Outcome, ParticipatingOrganisation, Project, ProjectInput, ProjectListParams,
    ProjectSortKey,
};
pub use record::Record;
pub use resource_type::ResourceType;
pub use results::{Baseline, Indicator, IndicatorMeasure, IndicatorPeriod};
pub use user::{
    PasswordChange, PasswordReset, PasswordResetResult, RefreshRequest, TokenRequest,
    TokenResponse, User, UserCreate, UserListParams, UserPatch,
};
pub use validation::{Check, FieldError, Reference};
