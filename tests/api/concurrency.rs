//! Two editors never silently overwrite each other.

use std::sync::Arc;

use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

use crate::support::{id, project_body, spawn_app};

const CLIENTS: usize = 16;
const INCREMENTS: usize = 50;

/// One client's read-modify-write loop: read the counter, write it plus one
/// with If-Match, and on 412 read again. Returns how many 412s it met.
async fn increment(client: Client, url: String, token: String) -> usize {
    let mut conflicts = 0;
    for _ in 0..INCREMENTS {
        loop {
            let res = client.get(&url).bearer_auth(&token).send().await.unwrap();
            assert_eq!(res.status(), StatusCode::OK);
            let etag = res.headers()["etag"].to_str().unwrap().to_owned();
            let project: Value = res.json().await.unwrap();
            let n: u64 = project["title"].as_str().unwrap().parse().unwrap();
            let res = client
                .patch(&url)
                .bearer_auth(&token)
                .header("if-match", etag)
                .header("content-type", "application/merge-patch+json")
                .body(json!({"title": (n + 1).to_string()}).to_string())
                .send()
                .await
                .unwrap();
            match res.status() {
                StatusCode::OK => break,
                StatusCode::PRECONDITION_FAILED => conflicts += 1,
                other => panic!("PATCH answered {other}: {}", res.text().await.unwrap()),
            }
        }
    }
    conflicts
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixteen_editors_incrementing_one_field_with_if_match_lose_no_update() {
    let app = spawn_app().await;
    let mut body = project_body("COUNTER");
    body["title"] = json!("0");
    let project = app.project(body).await;
    let path = format!("/api/v1/projects/{}", id(&project));
    let url = Arc::new(app.url(&path));
    let clients: Vec<_> = (0..CLIENTS)
        .map(|_| {
            tokio::spawn(increment(
                app.client.clone(),
                url.to_string(),
                app.admin.clone(),
            ))
        })
        .collect();
    let mut conflicts = 0;
    for c in clients {
        conflicts += c.await.unwrap();
    }
    let writes = CLIENTS * INCREMENTS;
    eprintln!("{writes} successful writes, {conflicts} answered 412 and retried");
    let last = app.read(&path).await;
    assert_eq!(last["title"], writes.to_string(), "after {conflicts} 412s");
    assert_eq!(last["version"], writes + 1);

    // Each successful write moved the counter by exactly one, and no 412 left
    // a trace: the history is 800 updates n -> n+1, one per version.
    let mut steps = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = app
            .read(&format!("{path}/history?limit=100&cursor={cursor}"))
            .await;
        for e in page["items"].as_array().unwrap() {
            if e["action"] == "update" {
                let title = &e["changes"]["title"];
                steps.push((
                    e["version"].as_u64().unwrap(),
                    title["old"].as_str().unwrap().parse::<u64>().unwrap(),
                    title["new"].as_str().unwrap().parse::<u64>().unwrap(),
                ));
            }
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = c.to_owned(),
            None => break,
        }
    }
    steps.sort();
    assert_eq!(steps.len(), writes);
    for (i, (version, old, new)) in steps.into_iter().enumerate() {
        let i = i as u64;
        assert_eq!((version, old, new), (i + 2, i, i + 1));
    }
}

/// Writers that run at once may share one transaction (SQLite's group commit,
/// `db::writer`): one writer's failure must undo its own work only, and every
/// write answered 201 must be there, each with its audit event.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writers_where_some_fail_keep_exactly_the_writes_that_succeeded() {
    let app = spawn_app().await;
    app.project(project_body("TAKEN")).await;
    let writers: Vec<_> = (0..48)
        .map(|i| {
            // Every third one reuses a code and must fail with 409.
            let code = if i % 3 == 0 {
                "TAKEN".to_owned()
            } else {
                format!("OK-{i}")
            };
            let client = app.client.clone();
            let url = app.url("/api/v1/projects");
            let token = app.admin.clone();
            tokio::spawn(async move {
                let res = client
                    .post(url)
                    .bearer_auth(token)
                    .json(&project_body(&code))
                    .send()
                    .await
                    .unwrap();
                (code, res.status())
            })
        })
        .collect();
    let mut created = Vec::new();
    for w in writers {
        let (code, status) = w.await.unwrap();
        match status {
            StatusCode::CREATED => created.push(code),
            StatusCode::CONFLICT => assert_eq!(code, "TAKEN"),
            other => panic!("{code}: {other}"),
        }
    }
    assert_eq!(created.len(), 32);
    let mut listed = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = app
            .read(&format!(
                "/api/v1/projects?sort=code&limit=100&cursor={cursor}"
            ))
            .await;
        for p in page["items"].as_array().unwrap() {
            listed.push(p["code"].as_str().unwrap().to_owned());
        }
        match page["next_cursor"].as_str() {
            Some(next) => cursor = next.to_owned(),
            None => break,
        }
    }
    created.push("TAKEN".to_owned());
    created.sort();
    assert_eq!(listed, created);
    let events = app
        .read("/api/v1/audit-events?resource_type=project&action=create&limit=100")
        .await;
    assert_eq!(events["items"].as_array().unwrap().len(), 33);
}
