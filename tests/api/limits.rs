//! The limits that protect the service: request head sizes, the request
//! timeout, and a bounded wait for a database connection. (Body size, page
//! size and JSON depth are in errors.rs and paging.rs.)

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use rihla_persistence::begin_write;
use rihla_persistence::entities::projects;
use sea_orm::{EntityTrait, QuerySelect};
use serde_json::json;

use crate::support::{TestApp, id, problem, project_body, spawn_app, spawn_with};

#[tokio::test]
async fn an_overlong_url_is_414_and_oversized_headers_are_431() {
    let app = spawn_app().await;
    let long = format!("/api/v1/projects?q={}", "a".repeat(9 * 1024));
    let p = problem(app.get(&long, &app.admin).await, StatusCode::URI_TOO_LONG).await;
    assert!(p["detail"].as_str().unwrap().contains("8192"));
    let res = app
        .request(reqwest::Method::GET, "/api/v1/projects", &app.admin)
        .header("x-padding", "b".repeat(17 * 1024))
        .send()
        .await
        .unwrap();
    problem(res, StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE).await;
    // Just under the limits is served.
    let fine = format!("/api/v1/projects?q={}", "a".repeat(7 * 1024));
    assert_eq!(app.get(&fine, &app.admin).await.status(), StatusCode::OK);
}

/// Another writer holding `project` (and, on SQLite, the write lock) until
/// the returned transaction ends.
async fn hold(app: &TestApp, project: &serde_json::Value) -> rihla_persistence::Tx {
    let blocker = begin_write(&app.state.db).await.unwrap();
    projects::Entity::find_by_id(uuid::Uuid::parse_str(&id(project)).unwrap())
        .lock_exclusive()
        .one(&blocker)
        .await
        .unwrap();
    blocker
}

#[tokio::test]
async fn a_request_running_past_the_timeout_is_a_503_that_leaves_nothing_behind() {
    let app = spawn_with(|c| c.request_timeout_secs = 1).await;
    let project = app.project(project_body("P-1")).await;
    let path = format!("/api/v1/projects/{}", id(&project));

    let blocker = hold(&app, &project).await;
    let started = Instant::now();
    let res = app.patch(&path, &json!({"title": "Too late"})).await;
    let waited = started.elapsed();
    let p = problem(res, StatusCode::SERVICE_UNAVAILABLE).await;
    assert!(waited < Duration::from_secs(4), "answered after {waited:?}");
    assert!(p["detail"].as_str().unwrap().contains("1 s"), "{p}");
    blocker.rollback().await.unwrap();

    // The cut-off write left nothing: the next one makes version 2.
    let mut attempt = 0;
    let after = loop {
        let res = app.patch(&path, &json!({"title": "In time"})).await;
        if res.status() == StatusCode::OK || attempt == 20 {
            break res;
        }
        attempt += 1;
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(after.status(), StatusCode::OK);
    let body: serde_json::Value = after.json().await.unwrap();
    assert_eq!(
        (body["title"].as_str(), body["version"].as_i64()),
        (Some("In time"), Some(2))
    );
}

/// A PATCH first tries a write that must not wait for a lock (it could
/// commit after its request was cut off): a record another transaction holds
/// goes the locked way, which waits, and is written once the holder is done.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_patch_of_a_record_another_writer_holds_waits_for_it_and_then_writes() {
    let app = spawn_app().await;
    let project = app.project(project_body("P-1")).await;
    let path = format!("/api/v1/projects/{}", id(&project));
    let blocker = hold(&app, &project).await;
    let patch = {
        let (client, url, token) = (app.client.clone(), app.url(&path), app.admin.clone());
        tokio::spawn(async move {
            client
                .patch(url)
                .bearer_auth(token)
                .header("content-type", "application/merge-patch+json")
                .header("if-match", "\"1\"")
                .body(json!({"title": "After the holder"}).to_string())
                .send()
                .await
                .unwrap()
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !patch.is_finished(),
        "the PATCH did not wait for the holder"
    );
    blocker.rollback().await.unwrap();
    let res = patch.await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(
        (body["title"].as_str(), body["version"].as_i64()),
        (Some("After the holder"), Some(2))
    );
    let history = app.read(&format!("{path}/history")).await;
    assert_eq!(history["items"].as_array().unwrap().len(), 2, "{history}");
}

#[tokio::test]
async fn an_exhausted_pool_answers_503_after_a_bounded_wait_and_recovers() {
    let app = spawn_with(|c| {
        c.db_max_connections = 1;
        c.db_acquire_timeout_ms = 300;
    })
    .await;
    // The test holds the only connection.
    let hold = begin_write(&app.state.db).await.unwrap();
    let started = Instant::now();
    let res = app.get("/api/v1/projects", &app.admin).await;
    let waited = started.elapsed();
    problem(res, StatusCode::SERVICE_UNAVAILABLE).await;
    assert!(
        waited >= Duration::from_millis(250),
        "answered after {waited:?}"
    );
    assert!(waited < Duration::from_secs(3), "answered after {waited:?}");
    hold.rollback().await.unwrap();
    assert_eq!(
        app.get("/api/v1/projects", &app.admin).await.status(),
        StatusCode::OK
    );
}
