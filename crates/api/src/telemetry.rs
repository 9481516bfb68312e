//! Structured logs: one JSON line per event by default, each request's events
//! inside a span carrying its request id.

use actix_web::HttpMessage;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use tracing::Span;
use tracing_actix_web::RootSpanBuilder;
use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;
use crate::http::RequestId;

/// The per-request span, keyed by our request id rather than
/// tracing-actix-web's own, so logs, problem bodies and the audit trail
/// quote the same id; the client's X-Request-Id rides along as
/// `correlation_id`.
pub struct RootSpan;

impl RootSpanBuilder for RootSpan {
    fn on_request_start(request: &ServiceRequest) -> Span {
        let ids = request.extensions().get::<RequestId>().cloned();
        let (request_id, correlation_id) = ids
            .map(|r| (r.server, r.client.unwrap_or_default()))
            .unwrap_or_default();
        tracing::info_span!(
            "request",
            method = %request.method(),
            path = %request.path(),
            request_id = %request_id,
            correlation_id = %correlation_id,
            status = tracing::field::Empty,
        )
    }

    /// Records the status only: `http::request_context` writes the one log line
    /// per request, and a 4xx is the client's mistake, not a server warning.
    fn on_request_end<B: MessageBody>(
        span: Span,
        outcome: &Result<ServiceResponse<B>, actix_web::Error>,
    ) {
        let status = match outcome {
            Ok(res) => res.status(),
            Err(e) => e.as_response_error().status_code(),
        };
        span.record("status", status.as_u16());
    }
}

/// Installs the global subscriber; RUST_LOG overrides the default level.
pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn"));
    // stderr, so `rihla openapi > openapi.json` and the admin banner stay clean.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .try_init(),
        LogFormat::Pretty => builder.try_init(),
    };
}
