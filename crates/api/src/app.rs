//! The one wiring point: `build_app` assembles routes, middleware, Swagger UI
//! and shared state for `rihla serve`, the tests, and (through `openapi::spec`,
//! which registers the same routes) the committed contract. `start` turns a
//! `Config` into a running server.

use std::net::TcpListener;
use std::time::Duration;

use actix_web::body::MessageBody;
use actix_web::dev::{Server, ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer, web};
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::SwaggerUi;

use crate::config::Config;
use crate::http::{self, BodyLimit, RouteTable};
use crate::openapi::ApiDoc;
use crate::state::AppState;
use crate::{bootstrap, routes};

/// Everything `build_app` needs besides the routes, cheap to clone per worker.
#[derive(Clone)]
pub struct Shared {
    pub state: web::Data<AppState>,
    pub routes: web::Data<RouteTable>,
    /// Each operation's declared query parameters (`http::query`).
    pub queries: web::Data<http::query::QueryRules>,
    pub spec: utoipa::openapi::OpenApi,
    pub body_limit: usize,
    pub request_timeout: Duration,
    /// APP_CORS_ORIGINS: the browser origins allowed to call the API.
    pub cors_origins: Vec<String>,
    /// Every caller's request budget and export slots, shared by workers.
    pub budgets: web::Data<http::budget::Budgets>,
}

/// Request headers a browser may send cross-origin, and response headers
/// its scripts may read (paging travels in the body, so no paging header).
const CORS_ALLOW_HEADERS: &[&str] = &[
    "authorization",
    "content-type",
    "if-match",
    "idempotency-key",
    "x-request-id",
    "x-api-key",
];
const CORS_EXPOSE_HEADERS: &[&str] = &[
    "ratelimit",
    "ratelimit-policy",
    "etag",
    "location",
    "x-request-id",
    "x-correlation-id",
    "retry-after",
    "idempotent-replayed",
    "www-authenticate",
];

/// CORS by actix-cors: exactly the listed origins, the methods the API
/// has, no cookies (credentials travel in headers). A request from any other
/// origin gets no CORS headers (and a preflight from one gets 400), so the
/// browser keeps its script from reading the answer.
fn cors(origins: &[String]) -> actix_cors::Cors {
    let mut cors = actix_cors::Cors::default()
        .allowed_methods(["GET", "POST", "PUT", "PATCH", "DELETE"])
        .allowed_headers(CORS_ALLOW_HEADERS.iter().copied())
        .expose_headers(CORS_EXPOSE_HEADERS.iter().copied())
        .block_on_origin_mismatch(false)
        .max_age(600);
    for origin in origins {
        cors = cors.allowed_origin(origin);
    }
    cors
}

pub fn build_app(
    shared: Shared,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    use utoipa::OpenApi;
    let app = App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .app_data(shared.state)
        .app_data(shared.routes)
        .app_data(shared.queries)
        .app_data(shared.budgets)
        .app_data(BodyLimit(shared.body_limit))
        .app_data(http::RequestTimeout(shared.request_timeout))
        .app_data(web::QueryConfig::default().error_handler(http::query_error))
        .app_data(web::PathConfig::default().error_handler(http::path_error))
        .configure(routes::configure)
        .into_app();
    let swagger = SwaggerUi::new("/swagger-ui/{_:.*}")
        .url("/api-docs/openapi.json", shared.spec)
        // Keeps the bearer token of "Authorize" across page reloads.
        .config(utoipa_swagger_ui::Config::default().persist_authorization(true));
    app.service(swagger)
        .service(web::redirect("/swagger-ui", "/swagger-ui/"))
        .service(web::redirect("/", "/swagger-ui/"))
        .default_service(web::to(http::fallback))
        .wrap(from_fn(http::query::check))
        .wrap(from_fn(http::budget::spend))
        .wrap(from_fn(crate::auth::authenticate))
        .wrap(cors(&shared.cors_origins))
        .wrap(tracing_actix_web::TracingLogger::<crate::telemetry::RootSpan>::new())
        .wrap(from_fn(http::request_context))
}

/// A server bound and running in the background.
pub struct Running {
    pub addr: std::net::SocketAddr,
    /// Where `GET /metrics` is served, when APP_METRICS_BIND is set.
    pub metrics_addr: Option<std::net::SocketAddr>,
    pub server: Server,
    pub state: web::Data<AppState>,
}

/// Opens the database, migrates it, ensures an admin exists, and starts serving
/// on `config.bind` (port 0 picks a free port; `addr` tells which).
pub async fn start(config: &Config) -> anyhow::Result<Running> {
    use anyhow::Context;
    config.check()?;
    // Both addresses first: a busy port stops the start before migrations
    // run or an admin (and its one-time password) is made.
    let listener = TcpListener::bind(config.bind)
        .with_context(|| format!("APP_BIND {}: cannot listen there", config.bind))?;
    let metrics_listener = match config.metrics_bind {
        Some(bind) => Some(
            TcpListener::bind(bind)
                .with_context(|| format!("APP_METRICS_BIND {bind}: cannot listen there"))?,
        ),
        None => None,
    };
    crate::monitoring::handle();
    let state = web::Data::new(bootstrap::prepare(config).await?);
    log_configuration(config, &listener, metrics_listener.as_ref());
    if config.demo
        && let Some(report) = crate::demo::seed_if_empty(&state.db).await?
    {
        tracing::info!(created = report.created_total(), "loaded the demo data set");
    }
    let spec = crate::openapi::spec();
    crate::export::remember(&spec);
    let shared = Shared {
        state: state.clone(),
        routes: web::Data::new(RouteTable::from_spec(&spec)),
        queries: web::Data::new(http::query::QueryRules::from_spec(&spec)),
        spec,
        body_limit: config.body_limit_bytes,
        request_timeout: Duration::from_secs(config.request_timeout_secs),
        cors_origins: config.cors_origins(),
        budgets: web::Data::new(http::budget::Budgets::new(http::budget::Limits {
            per_minute: config.rate_limit_per_minute,
            burst: config.rate_limit_burst,
            exports: usize::try_from(config.exports_per_caller).unwrap_or(usize::MAX),
            send_timeout: Duration::from_secs(config.export_send_timeout_secs),
        })),
    };
    let addr = listener.local_addr()?;
    let mut server = HttpServer::new(move || build_app(shared.clone()))
        .listen(listener)?
        .shutdown_timeout(config.shutdown_grace_secs)
        .client_request_timeout(Duration::from_secs(10));
    if config.workers > 0 {
        server = server.workers(config.workers);
    }
    let server = server.run();
    tokio::spawn(housekeeping(state.clone()));
    tokio::spawn(crate::monitoring::upkeep());
    let metrics_addr = match metrics_listener {
        Some(listener) => {
            let addr = listener.local_addr()?;
            tokio::spawn(crate::monitoring::serve(listener, state.clone())?);
            Some(addr)
        }
        None => None,
    };
    Ok(Running {
        addr,
        metrics_addr,
        server,
        state,
    })
}

/// One line with the configuration in effect, secrets left out: which
/// database (without credentials), the addresses, the CORS origins, the
/// IATI publisher, demo data.
fn log_configuration(config: &Config, api: &TcpListener, metrics: Option<&TcpListener>) {
    use secrecy::ExposeSecret;
    let database = match config
        .database_url
        .as_ref()
        .map(|u| u.expose_secret().trim())
    {
        Some(url) if !url.is_empty() => {
            let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
            let place = rest.rsplit_once('@').map_or(rest, |(_, place)| place);
            let place = place.split_once('?').map_or(place, |(p, _)| p);
            format!("{scheme}://{place}")
        }
        _ => format!("sqlite:{}", config.data_dir.join("rihla.db").display()),
    };
    let addr = |l: &TcpListener| l.local_addr().map(|a| a.to_string()).unwrap_or_default();
    tracing::info!(
        database,
        bind = addr(api),
        metrics = metrics.map(addr).unwrap_or_else(|| "off".into()),
        cors_origins = config.cors_origins().join(","),
        iati_publisher = config.iati_reporting_org_ref.as_deref().unwrap_or("none"),
        demo = config.demo,
        rate_limit_per_minute = config.rate_limit_per_minute,
        "configuration"
    );
}

/// Hourly: forgets idempotency keys past their retention, refresh tokens
/// expired for a day, and (when APP_AUDIT_RETENTION_DAYS is set) audit events
/// past theirs. Safe with several instances (plain deletes by age).
async fn housekeeping(state: web::Data<AppState>) {
    use rihla_persistence::repo::{idempotency, login_failures, refresh_tokens};
    let mut tick = tokio::time::interval(Duration::from_secs(3600));
    loop {
        tick.tick().await;
        let now = rihla_persistence::now();
        match idempotency::prune(&state.db, now - state.idempotency_ttl).await {
            Ok(n) if n > 0 => tracing::info!(removed = n, "pruned idempotency keys"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "pruning idempotency keys failed"),
        }
        match login_failures::prune(&state.db, now - state.login.window).await {
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "pruning login failure counters failed"),
        }
        match refresh_tokens::prune_expired(&state.db, now - chrono::Duration::days(1)).await {
            Ok(n) if n > 0 => tracing::info!(removed = n, "pruned expired refresh tokens"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "pruning refresh tokens failed"),
        }
        if let Some(keep) = state.audit_retention {
            match rihla_persistence::repo::audit::prune(&state.db, now - keep).await {
                Ok(n) if n > 0 => tracing::info!(removed = n, "pruned audit events"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "pruning audit events failed"),
            }
        }
    }
}
