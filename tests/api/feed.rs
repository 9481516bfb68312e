//! The change feed: every committed write exactly once, in an order that keeps
//! each record's versions increasing, while many writers commit at once.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

use crate::support::{id, problem, project_body, spawn_app};

const WRITERS: usize = 8;
const WRITES_PER_WRITER: usize = 260;
const SHARED: usize = 16;

/// What a writer saw acknowledged: (record id, version it produced).
type Ack = (String, i64);

struct Http {
    client: Client,
    base: String,
    token: String,
}

impl Http {
    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut rb = self
            .client
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token);
        if let Some(b) = body {
            rb = rb.json(&b);
        }
        let res = rb.send().await.expect("request");
        let status = res.status();
        let text = res.text().await.expect("body");
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }
}

/// One writer: creates its own projects, edits shared ones without If-Match
/// (so writers contend for the same rows), and deletes some of its own.
async fn writer(http: Arc<Http>, n: usize, shared: Arc<Vec<String>>) -> Vec<Ack> {
    use reqwest::Method;
    let mut acks = Vec::new();
    let mut own: Vec<String> = Vec::new();
    for i in 0..WRITES_PER_WRITER {
        if i % 10 == 0 {
            let (status, body) = http
                .send(
                    Method::POST,
                    "/api/v1/projects",
                    Some(project_body(&format!("W{n}-{i}"))),
                )
                .await;
            assert_eq!(status, StatusCode::CREATED, "{body}");
            own.push(id(&body));
            acks.push((id(&body), 1));
        } else if i % 25 == 7 && !own.is_empty() {
            let victim = own.remove(0);
            let (status, body) = http
                .send(Method::DELETE, &format!("/api/v1/projects/{victim}"), None)
                .await;
            assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
            // Nobody else edits a writer's own projects: it was at version 1.
            acks.push((victim, 2));
        } else {
            let target = &shared[(i * 7 + n) % SHARED];
            let (status, body) = http
                .send(
                    Method::PATCH,
                    &format!("/api/v1/projects/{target}"),
                    Some(json!({"title": format!("writer {n} write {i}")})),
                )
                .await;
            assert_eq!(status, StatusCode::OK, "{body}");
            acks.push((id(&body), body["version"].as_i64().unwrap()));
        }
    }
    acks
}

/// Follows the feed until the writers are done and a page comes back empty.
async fn reader(http: Arc<Http>, done: Arc<AtomicBool>) -> Vec<Value> {
    let mut seen = Vec::new();
    let mut cursor = String::new();
    loop {
        let finished = done.load(Ordering::SeqCst);
        let (status, page) = http
            .send(
                reqwest::Method::GET,
                &format!("/api/v1/changes?after={cursor}&limit=137"),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{page}");
        let items = page["items"].as_array().unwrap().clone();
        cursor = page["next_cursor"].as_str().unwrap().to_owned();
        if items.is_empty() {
            if finished {
                return seen;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        seen.extend(items);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_reader_following_the_feed_sees_every_committed_write_once_in_version_order() {
    let app = spawn_app().await;
    let mut acks: Vec<Ack> = Vec::new();
    let mut shared = Vec::new();
    for i in 0..SHARED {
        let p = app.project(project_body(&format!("SHARED-{i}"))).await;
        acks.push((id(&p), 1));
        shared.push(id(&p));
    }
    let http = Arc::new(Http {
        client: app.client.clone(),
        base: app.base.clone(),
        token: app.admin.clone(),
    });
    let done = Arc::new(AtomicBool::new(false));
    let follow = tokio::spawn(reader(http.clone(), done.clone()));
    let shared = Arc::new(shared);
    let writers: Vec<_> = (0..WRITERS)
        .map(|n| tokio::spawn(writer(http.clone(), n, shared.clone())))
        .collect();
    for w in writers {
        acks.extend(w.await.expect("writer"));
    }
    done.store(true, Ordering::SeqCst);
    let feed = follow.await.expect("reader");
    assert!(acks.len() >= 2_000 + SHARED, "{} writes", acks.len());

    // Positions only ever increase, and no event comes twice.
    let positions: Vec<i64> = feed
        .iter()
        .map(|e| e["position"].as_i64().unwrap())
        .collect();
    assert!(
        positions.windows(2).all(|w| w[0] < w[1]),
        "positions out of order"
    );
    let ids: HashSet<&str> = feed.iter().map(|e| e["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), feed.len(), "an event came twice");

    // Exactly the acknowledged writes: none missing, none extra.
    let mut from_feed: Vec<Ack> = feed
        .iter()
        .filter(|e| e["resource_type"] == "project")
        .map(|e| {
            (
                e["record_id"].as_str().unwrap().to_owned(),
                e["version"].as_i64().unwrap(),
            )
        })
        .collect();
    // Besides the projects, only the bootstrap admin's creation is in the feed.
    assert_eq!(
        from_feed.len() + 1,
        feed.len(),
        "only projects were written"
    );
    let mut acknowledged = acks.clone();
    from_feed.sort();
    acknowledged.sort();
    assert_eq!(
        from_feed.len(),
        acknowledged.len(),
        "feed and acknowledged writes differ in number"
    );
    assert!(
        from_feed == acknowledged,
        "feed and acknowledged writes differ"
    );

    // Each record's versions appear 1, 2, 3, ... in feed order.
    let mut last: HashMap<&str, i64> = HashMap::new();
    for e in &feed {
        let record = e["record_id"].as_str().unwrap();
        let version = e["version"].as_i64().unwrap();
        let previous = last.insert(record, version).unwrap_or(0);
        assert_eq!(
            version,
            previous + 1,
            "record {record}: version {version} after {previous}"
        );
    }
}

#[tokio::test]
async fn the_feed_shows_each_role_what_it_may_read_and_filters_by_resource_type() {
    let app = spawn_app().await;
    let (_, viewer) = app.user("viewer").await;
    let project = app.project(project_body("P-1")).await;
    let org = app.organisation("Ministry of Interior").await;

    let types = |page: &Value| -> Vec<String> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["resource_type"].as_str().unwrap().to_owned())
            .collect()
    };
    let admin_view = app.read("/api/v1/changes").await;
    // The bootstrap admin and the viewer are the first two changes.
    assert_eq!(
        types(&admin_view),
        ["user", "user", "project", "organisation"]
    );
    let res = app.get("/api/v1/changes", &viewer).await;
    assert_eq!(res.status(), StatusCode::OK);
    let viewer_view: Value = res.json().await.unwrap();
    assert_eq!(types(&viewer_view), ["project", "organisation"]);
    let res = app.get("/api/v1/changes?resource_type=user", &viewer).await;
    problem(res, StatusCode::FORBIDDEN).await;

    let only = app.read("/api/v1/changes?resource_type=organisation").await;
    assert_eq!(types(&only), ["organisation"]);
    let event = &only["items"][0];
    assert_eq!(event["record_id"], org["id"]);
    assert_eq!(
        (event["action"].as_str(), event["version"].as_i64()),
        (Some("create"), Some(1))
    );
    for field in ["id", "position", "occurred_at"] {
        assert!(!event[field].is_null(), "{field}");
    }

    // Continuing from the last cursor shows exactly what happened since.
    let cursor = admin_view["next_cursor"].as_str().unwrap().to_owned();
    let res = app
        .patch(
            &format!("/api/v1/projects/{}", id(&project)),
            &json!({"title": "x"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let next = app.read(&format!("/api/v1/changes?after={cursor}")).await;
    let items = next["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(
        (items[0]["action"].as_str(), items[0]["version"].as_i64()),
        (Some("update"), Some(2))
    );
    let tail = app
        .read(&format!(
            "/api/v1/changes?after={}",
            next["next_cursor"].as_str().unwrap()
        ))
        .await;
    assert!(tail["items"].as_array().unwrap().is_empty());
    assert_eq!(tail["next_cursor"], next["next_cursor"]);

    // Paging with a small limit walks the same events.
    let first = app.read("/api/v1/changes?limit=2").await;
    assert_eq!(first["items"].as_array().unwrap().len(), 2);
    for bad in [
        "after=abc",
        "after=-1",
        "limit=0",
        "limit=1001",
        "resource_type=planet",
    ] {
        let res = app.get(&format!("/api/v1/changes?{bad}"), &app.admin).await;
        problem(res, StatusCode::BAD_REQUEST).await;
    }
}
