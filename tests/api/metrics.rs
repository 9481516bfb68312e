//! Prometheus metrics (issue 21): served apart from the API, and the
//! counters move with what the service does.

use reqwest::StatusCode;

use crate::support::*;

async fn scrape(app: &TestApp) -> String {
    let url = format!(
        "{}/metrics",
        app.metrics.as_deref().expect("metrics address")
    );
    let res = app.client.get(url).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    res.text().await.unwrap()
}

/// The value of the first sample whose line starts with `name` and holds
/// every one of `labels`.
fn sample(text: &str, name: &str, labels: &[&str]) -> f64 {
    text.lines()
        .filter(|l| l.starts_with(name) && labels.iter().all(|x| l.contains(x)))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .next()
        .unwrap_or(0.0)
}

#[tokio::test]
async fn metrics_are_served_apart_and_their_counters_move() {
    let app = spawn_with(|c| {
        c.metrics_bind = Some("127.0.0.1:0".parse().unwrap());
        c.login_max_failures = 1;
    })
    .await;
    // Not on the API's address.
    assert_eq!(
        app.get("/metrics", &app.admin).await.status(),
        StatusCode::NOT_FOUND
    );
    let route = [
        "method=\"GET\"",
        "route=\"/api/v1/projects/{id}\"",
        "status=\"2xx\"",
    ];
    let before = scrape(&app).await;
    let project = app.project(project_body("METRICS-1")).await;
    for _ in 0..3 {
        let res = app
            .get(&format!("/api/v1/projects/{}", id(&project)), &app.admin)
            .await;
        assert_eq!(res.status(), StatusCode::OK);
    }
    for _ in 0..2 {
        app.token_response(ADMIN_EMAIL, "a-wrong-password").await;
    }
    let after = scrape(&app).await;
    // Other tests in this process count too: the counters move by at least ours.
    assert!(
        sample(&after, "http_requests_total", &route)
            - sample(&before, "http_requests_total", &route)
            >= 3.0
    );
    assert!(
        after.contains("http_request_duration_seconds_bucket"),
        "a latency histogram"
    );
    assert!(!after.contains(&id(&project)), "a raw path in the labels");
    // One failure, then the throttle.
    assert!(
        sample(&after, "rihla_logins_failed_total", &[])
            - sample(&before, "rihla_logins_failed_total", &[])
            >= 1.0
    );
    assert!(
        sample(&after, "rihla_logins_throttled_total", &[])
            - sample(&before, "rihla_logins_throttled_total", &[])
            >= 1.0
    );
    for gauge in [
        "rihla_db_pool_size",
        "rihla_db_pool_in_use",
        "rihla_db_pool_waiting",
        "rihla_change_feed_lag_events",
    ] {
        assert!(
            after.lines().any(|l| l.starts_with(gauge)),
            "{gauge} in\n{after}"
        );
    }
    if std::env::var("TEST_DATABASE_URL").is_err() {
        assert!(after.contains("rihla_sqlite_writer_queue"));
        assert!(after.contains("rihla_sqlite_writer_batch_size"));
    }
}
