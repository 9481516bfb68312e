//! The one error type of the HTTP layer and its RFC 9457 problem+json form.
//!
//! Every 4xx/5xx the server sends is a `Problem`: handlers return `ApiError`,
//! and `http::request_context` rewrites anything else (actix's own 404,
//! 405, 413...) into the same shape and stamps `request_id` and `instance`.
//! Internal causes go to the log with the request id, never to the client.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, ResponseError};
use rihla_domain::{FieldError, Reference};
use rihla_persistence::RepoError;
use serde::Serialize;
use utoipa::ToSchema;

pub const PROBLEM_JSON: &str = "application/problem+json";

/// RFC 9457 problem details.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "type": "https://rihla.dev/problems/validation-failed",
    "title": "Unprocessable Content",
    "status": 422,
    "detail": "2 fields failed validation",
    "instance": "/api/v1/projects",
    "request_id": "0193a0c4-5b1e-7c1a-9f0e-3d2b1a0c4e5f",
    "errors": [
        {"field": "end_date", "code": "before_start", "message": "end_date must not be before start_date"},
        {"field": "country_codes", "code": "country_code", "message": "country_codes: must be an upper-case ISO 3166-1 alpha-2 code such as LY"}
    ]
}))]
pub struct Problem {
    #[serde(rename = "type")]
    pub problem_type: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// The request path.
    pub instance: String,
    /// Quote it when reporting a problem: the server log has the same id.
    pub request_id: String,
    /// The X-Request-Id the client sent, if any (its own correlation id).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub correlation_id: Option<String>,
    /// Every failing field (validation, bad parameters, conflicts on a field).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// For a 409 on delete: the records that still reference the target.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<Reference>,
    /// For a 412: the version now stored (its ETag is `"<current_version>"`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_version: Option<i32>,
    /// For a 409 on a workflow move: the state the record is in.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "confirmed")]
    pub current_state: Option<String>,
    /// For a 409 on a workflow move: where the record may go from here (empty
    /// when the current state is final).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = json!(["attended", "cancelled", "declined"]))]
    pub allowed_next_states: Option<Vec<String>>,
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{detail}")]
    BadRequest {
        detail: String,
        errors: Vec<FieldError>,
    },
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{detail}")]
    Conflict {
        detail: String,
        errors: Vec<FieldError>,
        references: Vec<Reference>,
    },
    #[error("{detail}")]
    IllegalTransition {
        detail: String,
        current_state: String,
        allowed_next_states: Vec<String>,
    },
    #[error("the record has changed since it was read")]
    PreconditionFailed { current_version: i32 },
    #[error("request body is larger than {limit} bytes")]
    PayloadTooLarge { limit: usize },
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// The Accept header allows none of the formats a resource is served in.
    #[error("{0}")]
    NotAcceptable(String),
    #[error("{detail}")]
    Unprocessable {
        detail: String,
        errors: Vec<FieldError>,
    },
    /// Too many failed logins: wait `retry_after_secs`.
    #[error("{detail}")]
    TooManyRequests {
        detail: String,
        retry_after_secs: u64,
    },
    #[error("{0}")]
    Unavailable(String),
    /// The server is at a bound it keeps on purpose (concurrent password
    /// hashes); 503 with Retry-After.
    #[error("{0}")]
    Busy(String),
    /// Logged with its cause; the client sees only the request id.
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    pub fn validation(errors: Vec<FieldError>) -> Self {
        let detail = match errors.len() {
            1 => format!("{} failed validation", errors[0].field),
            n => format!("{n} fields failed validation"),
        };
        ApiError::Unprocessable { detail, errors }
    }

    pub fn bad_params(errors: Vec<FieldError>) -> Self {
        let detail = errors
            .iter()
            .map(|e| e.message.clone())
            .collect::<Vec<_>>()
            .join("; ");
        ApiError::BadRequest { detail, errors }
    }

    pub fn internal(cause: impl std::fmt::Display) -> Self {
        ApiError::Internal(cause.to_string())
    }

    fn slug(&self) -> &'static str {
        match self {
            ApiError::BadRequest { .. } => "bad-request",
            ApiError::Unauthorized(_) => "unauthorized",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::NotFound(_) => "not-found",
            ApiError::Conflict { .. } => "conflict",
            ApiError::IllegalTransition { .. } => "illegal-transition",
            ApiError::PreconditionFailed { .. } => "precondition-failed",
            ApiError::PayloadTooLarge { .. } => "payload-too-large",
            ApiError::UnsupportedMediaType(_) => "unsupported-media-type",
            ApiError::NotAcceptable(_) => "not-acceptable",
            ApiError::Unprocessable { .. } => "validation-failed",
            ApiError::TooManyRequests { .. } => "too-many-requests",
            ApiError::Unavailable(_) | ApiError::Busy(_) => "service-unavailable",
            ApiError::Internal(_) => "internal-error",
        }
    }
}

/// A problem for a status, with the request-specific fields left for the
/// middleware to fill in.
pub fn problem(status: StatusCode, slug: &str, detail: String) -> Problem {
    Problem {
        problem_type: format!("https://rihla.dev/problems/{slug}"),
        title: status.canonical_reason().unwrap_or("Error").to_owned(),
        status: status.as_u16(),
        detail,
        instance: String::new(),
        request_id: String::new(),
        correlation_id: None,
        errors: Vec::new(),
        references: Vec::new(),
        current_version: None,
        current_state: None,
        allowed_next_states: None,
    }
}

pub fn problem_response(status: StatusCode, body: &Problem) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((header::CONTENT_TYPE, PROBLEM_JSON))
        .json(body)
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Conflict { .. } | ApiError::IllegalTransition { .. } => StatusCode::CONFLICT,
            ApiError::PreconditionFailed { .. } => StatusCode::PRECONDITION_FAILED,
            ApiError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::NotAcceptable(_) => StatusCode::NOT_ACCEPTABLE,
            ApiError::Unprocessable { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Unavailable(_) | ApiError::Busy(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        let detail = match self {
            ApiError::Internal(cause) => {
                tracing::error!(%cause, "internal error");
                "the server failed to handle this request; quote the request_id when reporting it"
                    .to_owned()
            }
            ApiError::Unavailable(cause) => {
                tracing::warn!(%cause, "service unavailable");
                "the database is unavailable or busy; retry shortly".to_owned()
            }
            other => other.to_string(),
        };
        let mut body = problem(status, self.slug(), detail);
        match self {
            ApiError::BadRequest { errors, .. } | ApiError::Unprocessable { errors, .. } => {
                body.errors = errors.clone();
            }
            ApiError::Conflict {
                errors, references, ..
            } => {
                body.errors = errors.clone();
                body.references = references.clone();
            }
            ApiError::PreconditionFailed { current_version } => {
                body.current_version = Some(*current_version);
            }
            ApiError::IllegalTransition {
                detail,
                current_state,
                allowed_next_states,
            } => {
                body.errors = vec![FieldError::new("status", "illegal_transition", detail)];
                body.current_state = Some(current_state.clone());
                body.allowed_next_states = Some(allowed_next_states.clone());
            }
            _ => {}
        }
        let mut res = problem_response(status, &body);
        match self {
            ApiError::Unauthorized(_) => {
                let value = header::HeaderValue::from_static(
                    "Bearer realm=\"rihla\", error=\"invalid_token\"",
                );
                res.headers_mut().insert(header::WWW_AUTHENTICATE, value);
            }
            ApiError::Unavailable(_) => {
                res.headers_mut()
                    .insert(header::RETRY_AFTER, header::HeaderValue::from_static("2"));
            }
            ApiError::Busy(_) => {
                res.headers_mut()
                    .insert(header::RETRY_AFTER, header::HeaderValue::from_static("1"));
            }
            ApiError::TooManyRequests {
                retry_after_secs, ..
            } => {
                res.headers_mut().insert(
                    header::RETRY_AFTER,
                    header::HeaderValue::from(*retry_after_secs),
                );
            }
            ApiError::PreconditionFailed { current_version } => {
                if let Ok(v) = header::HeaderValue::from_str(&crate::http::etag(*current_version)) {
                    res.headers_mut().insert(header::ETAG, v);
                }
            }
            _ => {}
        }
        res
    }
}

impl From<RepoError> for ApiError {
    fn from(e: RepoError) -> Self {
        match e {
            RepoError::NotFound => ApiError::NotFound("no record with this id".into()),
            RepoError::Forbidden(why) => ApiError::Forbidden(why),
            RepoError::Conflict {
                message,
                errors,
                references,
            } => ApiError::Conflict {
                detail: message,
                errors,
                references,
            },
            RepoError::Invalid(errors) => ApiError::validation(errors),
            RepoError::IllegalTransition { from, to, allowed } => ApiError::IllegalTransition {
                detail: if allowed.is_empty() {
                    format!("status cannot move from {from} to {to}: {from} is final")
                } else {
                    format!(
                        "status cannot move from {from} to {to}; from {from} it may move to {}",
                        allowed.join(", ")
                    )
                },
                current_state: from,
                allowed_next_states: allowed,
            },
            RepoError::BadParams(errors) => ApiError::bad_params(errors),
            RepoError::VersionMismatch { current } => ApiError::PreconditionFailed {
                current_version: current,
            },
            RepoError::Unavailable(e) => ApiError::Unavailable(e.to_string()),
            RepoError::Corrupt(m) => ApiError::Internal(m),
            RepoError::Db(e) => ApiError::Internal(e.to_string()),
        }
    }
}
