//! Prometheus metrics through the `metrics` facade and its Prometheus
//! exporter: the recorder (installed once per process), the scrape endpoint
//! on its own address (APP_METRICS_BIND, so it is never on the public API),
//! and the gauges read when scraped (database pool, SQLite writer queue,
//! change-feed lag). Counters and histograms are recorded where things
//! happen: requests in `http::request_context`, logins in `routes::auth`,
//! SQLite batches in the persistence crate.

use std::net::TcpListener;
use std::sync::OnceLock;

use actix_web::{App, HttpResponse, HttpServer, web};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use crate::state::AppState;

/// Latency buckets, seconds: from a cached read to a request timeout.
const LATENCY_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// The process's recorder; the first call installs it.
pub fn handle() -> &'static PrometheusHandle {
    HANDLE.get_or_init(|| {
        // Fails only for an empty bucket list, which this is not.
        let builder = PrometheusBuilder::new()
            .set_buckets_for_metric(
                Matcher::Full("http_request_duration_seconds".into()),
                LATENCY_BUCKETS,
            )
            .unwrap_or_else(|_| PrometheusBuilder::new());
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        if metrics::set_global_recorder(recorder).is_err() {
            tracing::warn!("a metrics recorder was already installed; /metrics stays empty");
        }
        handle
    })
}

/// How often the recorder drains its histograms' samples into their
/// buckets. The exporter keeps every sample recorded since the last drain;
/// a scrape drains, but nothing may scrape (APP_METRICS_BIND unset), so the
/// server drains on its own and the recorder's memory stays bounded.
const UPKEEP_EVERY: std::time::Duration = std::time::Duration::from_secs(5);

/// Drains the recorder every `UPKEEP_EVERY`, for as long as the process runs.
pub async fn upkeep() {
    let mut tick = tokio::time::interval(UPKEEP_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        handle().run_upkeep();
    }
}

/// Reads the gauges that are states rather than events, then renders.
async fn scrape(state: web::Data<AppState>) -> HttpResponse {
    let stats = rihla_persistence::stats(&state.db);
    metrics::gauge!("rihla_db_pool_size").set(stats.pool_size as f64);
    metrics::gauge!("rihla_db_pool_in_use").set(stats.pool_in_use as f64);
    metrics::gauge!("rihla_db_pool_waiting").set(stats.pool_waiting as f64);
    if let Some(queue) = stats.writer_queue {
        metrics::gauge!("rihla_sqlite_writer_queue").set(queue as f64);
    }
    match rihla_persistence::repo::audit::lag(&state.db).await {
        Ok(lag) => metrics::gauge!("rihla_change_feed_lag_events").set(lag as f64),
        Err(e) => tracing::warn!(error = %e, "could not read the change feed's lag"),
    }
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(handle().render())
}

/// Serves `GET /metrics` on `listener`, apart from the API.
pub fn serve(
    listener: TcpListener,
    state: web::Data<AppState>,
) -> std::io::Result<actix_web::dev::Server> {
    Ok(HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .service(web::resource("/metrics").to(scrape))
    })
    .listen(listener)?
    .workers(1)
    .disable_signals()
    .run())
}
