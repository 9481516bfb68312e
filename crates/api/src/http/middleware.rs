//! The outermost middleware: request ids, head limits, the request timeout,
//! one log line per request, and every error response as problem+json.

use std::time::Instant;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{StatusCode, header};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpResponse};
use serde_json::Value;

use crate::error::{ApiError, PROBLEM_JSON, problem, problem_response};

/// The ids of the current request: the server's own, always generated (so
/// no client can make two requests share one in the logs and the audit
/// trail), and the client's X-Request-Id, kept as its correlation id.
#[derive(Debug, Clone)]
pub struct RequestId {
    pub server: String,
    pub client: Option<String>,
}

pub const CORRELATION_ID: &str = "x-correlation-id";

fn request_id_of(req: &ServiceRequest) -> RequestId {
    let client = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|s| {
            (1..=128).contains(&s.len())
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b))
        })
        .map(str::to_owned);
    RequestId {
        server: uuid::Uuid::now_v7().to_string(),
        client,
    }
}

/// Content-Security-Policy of Swagger UI: its own scripts and styles only
/// (it sets inline styles and data: images), nothing framing it.
const SWAGGER_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";
/// Everything else is JSON or CSV: nothing in it may load or run anything.
const API_CSP: &str = "default-src 'none'; frame-ancestors 'none'";

/// The headers every response carries: no sniffing, no referrer, no
/// framing, and (outside Swagger UI's static files) no caching, since
/// responses carry tokens, keys, passwords and records a shared cache must
/// not keep.
fn secure(headers: &mut header::HeaderMap, path: &str, ids: &RequestId) {
    let swagger = path.starts_with("/swagger-ui");
    let fixed: [(header::HeaderName, &'static str); 4] = [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (
            header::CONTENT_SECURITY_POLICY,
            if swagger { SWAGGER_CSP } else { API_CSP },
        ),
    ];
    for (name, value) in fixed {
        headers.insert(name, header::HeaderValue::from_static(value));
    }
    if !swagger && !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(
            header::CACHE_CONTROL,
            header::HeaderValue::from_static("no-store"),
        );
    }
    if let Ok(v) = header::HeaderValue::from_str(&ids.server) {
        headers.insert(header::HeaderName::from_static("x-request-id"), v);
    }
    if let Some(v) = ids
        .client
        .as_deref()
        .and_then(|c| header::HeaderValue::from_str(c).ok())
    {
        headers.insert(header::HeaderName::from_static(CORRELATION_ID), v);
    }
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
    ids: RequestId,
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
        body.request_id = self.ids.server.clone();
        let mut res = problem_response(StatusCode::SERVICE_UNAVAILABLE, &body);
        let headers = res.headers_mut();
        headers.insert(header::RETRY_AFTER, header::HeaderValue::from_static("2"));
        secure(headers, &self.path, &self.ids);
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

/// The method as a metric label: the standard ones by name, any other
/// token actix accepted as `other`.
fn method_label(method: &actix_web::http::Method) -> &'static str {
    use actix_web::http::Method;
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

fn status_class(status: StatusCode) -> &'static str {
    match status.as_u16() / 100 {
        1 => "1xx",
        2 => "2xx",
        3 => "3xx",
        4 => "4xx",
        _ => "5xx",
    }
}

/// Outermost middleware: assigns the request id (sent back in
/// `X-Request-Id`; the client's own comes back in `X-Correlation-Id`), adds
/// the security headers, refuses heads over the limits (414, 431), cuts off requests that run past
/// the request timeout (503), logs one line per request, and turns every error
/// response into problem+json carrying `request_id` and `instance`.
pub async fn request_context(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let started = Instant::now();
    let ids = request_id_of(&req);
    let request_id = ids.server.clone();
    let correlation_id = ids.client.clone().unwrap_or_default();
    req.extensions_mut().insert(ids.clone());
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
                metrics::counter!("http_requests_total", "method" => method_label(&method), "route" => "timed_out", "status" => "5xx").increment(1);
                tracing::error!(%method, %path, status = 503, latency_ms, request_id, correlation_id, "request timed out");
                return Err(TimedOut {
                    after: timeout,
                    ids,
                    path,
                }
                .into());
            }
        }
    };
    let status = res.status();
    let latency = started.elapsed().as_secs_f64();
    let route = res
        .request()
        .match_pattern()
        .unwrap_or_else(|| "unmatched".to_owned());
    // Every label from a closed set: actix takes any token as a method, and
    // a label taken from the request would let anyone grow the series (and
    // the recorder's memory) without bound.
    let labels = [
        ("method", method_label(&method).to_owned()),
        ("route", route),
        ("status", status_class(status).to_owned()),
    ];
    metrics::counter!("http_requests_total", &labels).increment(1);
    metrics::histogram!("http_request_duration_seconds", &labels).record(latency);
    let mut res = if status.is_client_error() || status.is_server_error() {
        as_problem(res, &path, &ids).await
    } else {
        res
    };
    secure(res.headers_mut(), &path, &ids);
    let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
    if status.is_server_error() {
        tracing::error!(%method, %path, status = status.as_u16(), latency_ms, request_id, correlation_id, "request failed");
    } else {
        tracing::info!(%method, %path, status = status.as_u16(), latency_ms, request_id, correlation_id, "request");
    }
    Ok(res)
}

async fn as_problem(
    res: ServiceResponse<BoxBody>,
    path: &str,
    ids: &RequestId,
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
        m.insert("request_id".into(), Value::String(ids.server.clone()));
        if let Some(client) = &ids.client {
            m.insert("correlation_id".into(), Value::String(client.clone()));
        }
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
