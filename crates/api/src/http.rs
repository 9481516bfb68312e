//! HTTP mechanics shared by every route: the JSON body extractor, conditional
//! and idempotency headers, the request-id / problem+json middleware, and the
//! 404/405 fallback.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::time::Instant;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::{Method, StatusCode, header};
use actix_web::middleware::Next;
use actix_web::{FromRequest, HttpMessage, HttpRequest, HttpResponse, web};
use futures_util::StreamExt;
use rihla_domain::{Check, FieldError};
use serde::de::DeserializeOwned;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::error::{ApiError, PROBLEM_JSON, Problem, problem, problem_response};

/// The largest body a route accepts (APP_BODY_LIMIT_BYTES).
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit(pub usize);

/// A JSON request body, parsed but not yet validated (PATCH validates after
/// merging). Also keeps a hash of its canonical form for Idempotency-Key checks.
pub struct Json<T> {
    pub value: T,
    pub canonical_hash: String,
}

/// A JSON body that passed its `Check` rules: 422 listing every failing field otherwise.
pub struct Valid<T>(pub Json<T>);

fn is_json(req: &HttpRequest) -> bool {
    let Some(ct) = req.headers().get(header::CONTENT_TYPE) else {
        return false;
    };
    let Ok(ct) = ct.to_str() else { return false };
    let essence = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

async fn read_body(req: &HttpRequest, payload: &mut Payload) -> Result<Vec<u8>, ApiError> {
    let limit = req
        .app_data::<BodyLimit>()
        .copied()
        .unwrap_or(BodyLimit(1_048_576))
        .0;
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(ApiError::PayloadTooLarge { limit });
    }
    let mut body = Vec::with_capacity(declared.unwrap_or(1024).min(limit));
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| ApiError::BadRequest {
            detail: format!("could not read the request body: {e}"),
            errors: vec![],
        })?;
        if body.len() + chunk.len() > limit {
            return Err(ApiError::PayloadTooLarge { limit });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Key order and white space do not change the hash, so a retried request that a
/// client re-serialised still matches.
fn canonical_hash(v: &Value) -> String {
    fn canon(v: &Value) -> Value {
        match v {
            Value::Object(m) => Value::Object(
                m.iter()
                    .map(|(k, v)| (k.clone(), canon(v)))
                    .collect::<BTreeMap<_, _>>()
                    .into_iter()
                    .collect(),
            ),
            Value::Array(a) => Value::Array(a.iter().map(canon).collect()),
            other => other.clone(),
        }
    }
    let bytes = serde_json::to_vec(&canon(v)).unwrap_or_default();
    format!("{:x}", Sha256::digest(bytes))
}

/// The path of the first member name or string holding U+0000. PostgreSQL
/// cannot store it in text, and no field of ours has a use for it, so every
/// body is refused alike on both backends.
fn nul_path(v: &Value, path: &str) -> Option<String> {
    let here = || {
        if path.is_empty() {
            "body".to_owned()
        } else {
            path.to_owned()
        }
    };
    match v {
        Value::String(s) if s.contains('\0') => Some(here()),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, item)| nul_path(item, &format!("{path}[{i}]"))),
        Value::Object(m) => m.iter().find_map(|(k, item)| {
            // The name is quoted back in the error: never with the NUL itself.
            let name = k.replace('\0', "\\u0000");
            let field = if path.is_empty() {
                name
            } else {
                format!("{path}.{name}")
            };
            if k.contains('\0') {
                Some(field)
            } else {
                nul_path(item, &field)
            }
        }),
        _ => None,
    }
}

/// Deserialises a JSON value into `T`, naming the field of a type error.
pub fn from_value<T: DeserializeOwned>(value: Value) -> Result<T, ApiError> {
    serde_path_to_error::deserialize::<_, T>(value).map_err(|e| {
        // The path ends at the offending member (for an unknown field, at that
        // field); a missing field is named only in the message.
        let path = match e.path().to_string() {
            p if p == "." => String::new(),
            p => p,
        };
        let inner = e.into_inner().to_string();
        let missing = inner
            .strip_prefix("missing field `")
            .and_then(|rest| rest.split('`').next());
        let (code, field) = match missing {
            Some(name) if path.is_empty() => ("required", name.to_owned()),
            Some(name) => ("required", format!("{path}.{name}")),
            None if inner.starts_with("unknown field") => ("unknown_field", path),
            None => ("invalid_type", path),
        };
        let field = if field.is_empty() {
            "body".to_owned()
        } else {
            field
        };
        ApiError::validation(vec![FieldError::new(
            field.clone(),
            code,
            format!("{field}: {inner}"),
        )])
    })
}

/// JSON has one number type: `2023.0` is the integer 2023 to JSON Schema (and
/// to our OpenAPI contract), but serde refuses it for an integer field. Whole
/// floats become integers before the body is typed; a float field still
/// accepts an integer, so nothing else changes.
fn integral_floats_to_integers(value: &mut Value) {
    match value {
        Value::Number(n) if n.is_f64() => {
            if let Some(f) = n.as_f64()
                && f.fract() == 0.0
                && f.abs() < 9.0e15
            {
                *value = Value::from(f as i64);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(integral_floats_to_integers),
        Value::Object(map) => map.values_mut().for_each(integral_floats_to_integers),
        _ => {}
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for Json<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let mut payload = payload.take();
        Box::pin(async move {
            if !is_json(&req) {
                return Err(ApiError::UnsupportedMediaType(
                    "send the body as application/json".into(),
                ));
            }
            let bytes = read_body(&req, &mut payload).await?;
            let mut value: Value =
                serde_json::from_slice(&bytes).map_err(|e| ApiError::BadRequest {
                    detail: format!("malformed JSON: {e}"),
                    errors: vec![],
                })?;
            integral_floats_to_integers(&mut value);
            if let Some(field) = nul_path(&value, "") {
                return Err(ApiError::validation(vec![FieldError::new(
                    field.clone(),
                    "nul_character",
                    format!("{field} must not contain the NUL character (U+0000)"),
                )]));
            }
            let canonical_hash = canonical_hash(&value);
            Ok(Json {
                value: from_value(value)?,
                canonical_hash,
            })
        })
    }
}

impl<T: DeserializeOwned + Check + 'static> FromRequest for Valid<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let fut = Json::<T>::from_request(req, payload);
        Box::pin(async move {
            let body = fut.await?;
            check(&body.value)?;
            Ok(Valid(body))
        })
    }
}

pub fn check<T: Check>(value: &T) -> Result<(), ApiError> {
    let errors = value.check();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::validation(errors))
    }
}

/// The strong ETag of a record version.
pub fn etag(version: i32) -> String {
    format!("\"{version}\"")
}

/// `If-Match`: `None` when absent or `*` (no precondition), else the version the
/// client expects (412 later if it is not current). A value that is neither
/// one ETag of ours nor a bare version is a 400, as the contract's pattern says.
#[derive(Debug, Clone, Copy)]
pub struct IfMatch(pub Option<i32>);

impl FromRequest for IfMatch {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let Some(raw) = req.headers().get(header::IF_MATCH) else {
            return std::future::ready(Ok(IfMatch(None)));
        };
        let raw = raw.to_str().unwrap_or("").trim();
        if raw == "*" {
            return std::future::ready(Ok(IfMatch(None)));
        }
        // One ETag of ours ("3"; the bare version 3 is taken too, as clients
        // and fuzzers send it). Anything else (a list, a weak or foreign tag)
        // is refused rather than silently left unmatched.
        let bare = raw
            .strip_prefix('"')
            .and_then(|t| t.strip_suffix('"'))
            .unwrap_or(raw);
        let version = Some(bare)
            .filter(|t| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|t| t.parse::<i32>().ok());
        std::future::ready(match version {
            Some(v) => Ok(IfMatch(Some(v))),
            None => Err(ApiError::BadRequest {
                detail: "If-Match must be * or one ETag this API issued, such as \"3\"".into(),
                errors: vec![FieldError::new(
                    "If-Match",
                    "invalid",
                    "send the ETag of the version you read",
                )],
            }),
        })
    }
}

/// `Idempotency-Key`: 1-255 visible ASCII characters.
#[derive(Debug, Clone)]
pub struct IdempotencyKey(pub Option<String>);

impl FromRequest for IdempotencyKey {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let result = match req.headers().get("idempotency-key") {
            None => Ok(IdempotencyKey(None)),
            Some(v) => match v.to_str() {
                Ok(s)
                    if (1..=255).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_graphic()) =>
                {
                    Ok(IdempotencyKey(Some(s.to_owned())))
                }
                _ => Err(ApiError::BadRequest {
                    detail: "Idempotency-Key must be 1 to 255 visible ASCII characters".into(),
                    errors: vec![FieldError::new(
                        "Idempotency-Key",
                        "invalid",
                        "Idempotency-Key must be 1 to 255 visible ASCII characters",
                    )],
                }),
            },
        };
        std::future::ready(result)
    }
}

/// The request id of the current request (X-Request-Id honoured or generated).
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

fn request_id_of(req: &ServiceRequest) -> String {
    req.headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|s| {
            (1..=128).contains(&s.len())
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b))
        })
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::now_v7().to_string())
}

/// Longest request target (path and query) served: 414 above it.
pub const MAX_URI_BYTES: usize = 8 * 1024;
/// Largest total of header names and values served: 431 above it. (Heads
/// beyond actix's own limits, 64 KiB or more than 96 headers, are refused
/// before any middleware runs, with a bare 400 or 431.)
pub const MAX_HEADER_BYTES: usize = 16 * 1024;

/// How long a request may take from routing to response (APP_REQUEST_TIMEOUT_SECS).
#[derive(Debug, Clone, Copy)]
pub struct RequestTimeout(pub std::time::Duration);

/// A request cut off by `RequestTimeout`. The request itself has gone into
/// the handler that was dropped, and cloning it before routing would break
/// routing, so this error renders the whole problem (with its request id)
/// itself; actix turns it into the response.
#[derive(Debug)]
struct TimedOut {
    after: std::time::Duration,
    request_id: String,
    path: String,
}

impl std::fmt::Display for TimedOut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the request did not finish within {} s; nothing it did was kept unless a retry shows otherwise",
            self.after.as_secs()
        )
    }
}

impl actix_web::ResponseError for TimedOut {
    fn status_code(&self) -> StatusCode {
        StatusCode::SERVICE_UNAVAILABLE
    }

    fn error_response(&self) -> HttpResponse {
        let mut body = problem(
            StatusCode::SERVICE_UNAVAILABLE,
            "request-timeout",
            self.to_string(),
        );
        body.instance = self.path.clone();
        body.request_id = self.request_id.clone();
        let mut res = problem_response(StatusCode::SERVICE_UNAVAILABLE, &body);
        let headers = res.headers_mut();
        headers.insert(header::RETRY_AFTER, header::HeaderValue::from_static("2"));
        if let Ok(v) = header::HeaderValue::from_str(&self.request_id) {
            headers.insert(header::HeaderName::from_static("x-request-id"), v);
        }
        res
    }
}

/// The limit a request head breaks, if any.
fn head_limit(req: &ServiceRequest) -> Option<(StatusCode, &'static str, String)> {
    let target = req.uri().path_and_query().map_or(0, |pq| pq.as_str().len());
    if target > MAX_URI_BYTES {
        return Some((
            StatusCode::URI_TOO_LONG,
            "uri-too-long",
            format!("the request target is {target} bytes; at most {MAX_URI_BYTES} are served"),
        ));
    }
    let headers: usize = req
        .headers()
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len())
        .sum();
    if headers > MAX_HEADER_BYTES {
        return Some((
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            "request-header-fields-too-large",
            format!("the headers total {headers} bytes; at most {MAX_HEADER_BYTES} are served"),
        ));
    }
    None
}

/// Outermost middleware: assigns the request id, echoes it in `X-Request-Id`,
/// refuses heads over the limits (414, 431), cuts off requests that run past
/// the request timeout (503), logs one line per request, and turns every error
/// response into problem+json carrying `request_id` and `instance`.
pub async fn request_context(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let started = Instant::now();
    let request_id = request_id_of(&req);
    req.extensions_mut().insert(RequestId(request_id.clone()));
    let method = req.method().clone();
    let path = req.path().to_owned();

    // An Err here comes from a middleware, not a handler; actix renders it with
    // its ResponseError impl (ours is already problem+json). The request must
    // not be cloned before routing, so there is no request to rebuild it with.
    // A NUL (%00) in a query parameter could only reach the database as text it
    // cannot store (PostgreSQL), so it stops here with a 400.
    let timeout = req
        .app_data::<RequestTimeout>()
        .map_or(std::time::Duration::from_secs(30), |t| t.0);
    let res = if let Some((status, slug, detail)) = head_limit(&req) {
        req.into_response(problem_response(status, &problem(status, slug, detail)))
    } else if req.query_string().to_ascii_lowercase().contains("%00") {
        let err = ApiError::BadRequest {
            detail: "query parameters must not contain the NUL character (%00)".into(),
            errors: vec![],
        };
        req.into_response(actix_web::ResponseError::error_response(&err))
    } else {
        match tokio::time::timeout(timeout, next.call(req)).await {
            Ok(res) => res?.map_into_boxed_body(),
            Err(_) => {
                let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
                tracing::error!(%method, %path, status = 503, latency_ms, request_id, "request timed out");
                return Err(TimedOut {
                    after: timeout,
                    request_id,
                    path,
                }
                .into());
            }
        }
    };
    let status = res.status();
    let mut res = if status.is_client_error() || status.is_server_error() {
        as_problem(res, &path, &request_id).await
    } else {
        res
    };
    if let Ok(v) = header::HeaderValue::from_str(&request_id) {
        res.headers_mut()
            .insert(header::HeaderName::from_static("x-request-id"), v);
    }
    let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
    if status.is_server_error() {
        tracing::error!(%method, %path, status = status.as_u16(), latency_ms, request_id, "request failed");
    } else {
        tracing::info!(%method, %path, status = status.as_u16(), latency_ms, request_id, "request");
    }
    Ok(res)
}

async fn as_problem(
    res: ServiceResponse<BoxBody>,
    path: &str,
    request_id: &str,
) -> ServiceResponse<BoxBody> {
    let status = res.status();
    let is_problem = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with(PROBLEM_JSON));
    let (req, response) = res.into_parts();
    let headers = response.headers().clone();
    let body = actix_web::body::to_bytes_limited(response.into_body(), 256 * 1024)
        .await
        .ok()
        .and_then(Result::ok);
    let mut value: Value = match (is_problem, body) {
        (true, Some(bytes)) => serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        _ => Value::Null,
    };
    if !value.is_object() {
        let detail = match status {
            StatusCode::NOT_FOUND => "no route matches this path".to_owned(),
            StatusCode::PAYLOAD_TOO_LARGE => "request body is too large".to_owned(),
            other => other
                .canonical_reason()
                .unwrap_or("request failed")
                .to_owned(),
        };
        let slug = status
            .canonical_reason()
            .unwrap_or("error")
            .to_ascii_lowercase()
            .replace(' ', "-");
        value = serde_json::to_value(problem(status, &slug, detail)).unwrap_or(Value::Null);
    }
    if let Value::Object(m) = &mut value {
        m.insert("instance".into(), Value::String(path.to_owned()));
        m.insert("request_id".into(), Value::String(request_id.to_owned()));
    }
    let mut out = HttpResponse::build(status);
    for (name, v) in headers.iter() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            out.append_header((name.clone(), v.clone()));
        }
    }
    let out = out
        .insert_header((header::CONTENT_TYPE, PROBLEM_JSON))
        .body(serde_json::to_vec(&value).unwrap_or_default());
    ServiceResponse::new(req, out)
}

/// Every (path template, methods) the API serves, taken from the OpenAPI spec so
/// the 405 answer can never disagree with the routes.
#[derive(Debug, Clone, Default)]
pub struct RouteTable(pub Vec<(Vec<String>, Vec<Method>)>);

impl RouteTable {
    pub fn from_spec(spec: &utoipa::openapi::OpenApi) -> Self {
        let routes = spec
            .paths
            .paths
            .iter()
            .map(|(template, item)| {
                let methods = [
                    (Method::GET, item.get.is_some()),
                    (Method::POST, item.post.is_some()),
                    (Method::PUT, item.put.is_some()),
                    (Method::PATCH, item.patch.is_some()),
                    (Method::DELETE, item.delete.is_some()),
                ]
                .into_iter()
                .filter_map(|(m, present)| present.then_some(m))
                .collect();
                (template.split('/').map(str::to_owned).collect(), methods)
            })
            .collect();
        RouteTable(routes)
    }

    /// The methods served at `path`; empty when no route matches it.
    fn methods_for(&self, path: &str) -> Vec<Method> {
        let parts: Vec<&str> = path.trim_end_matches('/').split('/').collect();
        self.0
            .iter()
            .filter(|(segments, _)| {
                segments.len() == parts.len()
                    && segments
                        .iter()
                        .zip(&parts)
                        .all(|(s, p)| s == p || (s.starts_with('{') && !p.is_empty()))
            })
            .flat_map(|(_, methods)| methods.iter().cloned())
            .collect()
    }
}

/// The app's default service: 405 with `Allow` when the path exists under
/// another method, 404 otherwise.
pub async fn fallback(req: HttpRequest) -> HttpResponse {
    let table = req.app_data::<web::Data<RouteTable>>();
    let methods = table.map(|t| t.methods_for(req.path())).unwrap_or_default();
    if !methods.is_empty() {
        let allow = methods
            .iter()
            .map(Method::as_str)
            .collect::<Vec<_>>()
            .join(", ");
        let body: Problem = problem(
            StatusCode::METHOD_NOT_ALLOWED,
            "method-not-allowed",
            format!("{} is not allowed here; use one of {allow}", req.method()),
        );
        let mut res = problem_response(StatusCode::METHOD_NOT_ALLOWED, &body);
        if let Ok(v) = header::HeaderValue::from_str(&allow) {
            res.headers_mut().insert(header::ALLOW, v);
        }
        return res;
    }
    let body = problem(
        StatusCode::NOT_FOUND,
        "not-found",
        format!("no route matches {}", req.path()),
    );
    problem_response(StatusCode::NOT_FOUND, &body)
}

/// 400 for an unparseable query string (bad enum value, non-numeric limit...).
pub fn query_error(err: actix_web::error::QueryPayloadError, _: &HttpRequest) -> actix_web::Error {
    ApiError::BadRequest {
        detail: format!("invalid query parameter: {err}"),
        errors: vec![],
    }
    .into()
}

/// 400 for a path parameter of the wrong shape (an id that is not a UUID).
pub fn path_error(err: actix_web::error::PathError, _: &HttpRequest) -> actix_web::Error {
    ApiError::BadRequest {
        detail: format!("invalid path parameter: {err}"),
        errors: vec![],
    }
    .into()
}
