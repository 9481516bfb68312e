//! Object-level authorization (issue 18): a partner reaches the projects it
//! is a member of and nothing else. The BOLA matrix walks every operation of
//! the served OpenAPI document that takes a record id, so an operation added
//! later is either classified here or fails this test.

use std::collections::{BTreeMap, BTreeSet};

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

use rihla_persistence::repo::registry::{self, Access};

use crate::support::*;

/// Two projects with a record of each scoped kind, one deleted record of
/// each kind in each project, and shared reference data.
struct World {
    a: Value,
    b: Value,
    /// Per kind ("projects", "activities", ...): A's and B's live records.
    live: BTreeMap<&'static str, (Vec<String>, Vec<String>)>,
    /// Per kind: a deleted record of A and one of B.
    deleted: BTreeMap<&'static str, (String, String)>,
    dialogue: Value,
    meeting: Value,
    organisation: Value,
    member_b: Value,
    user: String,
    key: Value,
    /// Per kind made by `one_of`: a body its PUT takes.
    inputs: BTreeMap<&'static str, Value>,
}

async fn make(app: &TestApp, path: &str, body: Value) -> Value {
    app.create(path, body).await
}

async fn delete_as_admin(app: &TestApp, path: &str) {
    assert_eq!(
        app.delete(path, &app.admin).await.status(),
        StatusCode::NO_CONTENT,
        "DELETE {path}"
    );
}

async fn world(app: &TestApp) -> World {
    let a = app.project(project_body("PROJ-A")).await;
    let b = app.project(project_body("PROJ-B")).await;
    let organisation = app.organisation("Ministry of Interior").await;
    let dialogue = app.dialogue("Rabat Process").await;
    let meeting = app
        .meeting(
            &dialogue,
            json!({"title": "Thematic meeting", "start_date": "2023-03-14", "end_date": "2023-03-15"}),
        )
        .await;
    let mut live: BTreeMap<&'static str, (Vec<String>, Vec<String>)> = BTreeMap::new();
    let mut deleted = BTreeMap::new();
    live.insert("projects", (vec![id(&a)], vec![id(&b)]));
    for (n, project) in [&a, &b].into_iter().enumerate() {
        for i in 0..3 {
            let activity = make(
                app,
                "/api/v1/activities",
                json!({"project_id": id(project), "kind": "workshop", "title": format!("Workshop {n}-{i}"),
                       "start_date": format!("2022-0{}-1{}", i + 1, n)}),
            )
            .await;
            let status = ["planned", "nominated", "confirmed"][i];
            let delegation = make(
                app,
                "/api/v1/delegations",
                json!({"meeting_id": id(&meeting), "project_id": id(project), "country_code": "LY",
                       "status": status}),
            )
            .await;
            let document = make(
                app,
                "/api/v1/documents",
                json!({"title": format!("Study {n}-{i}"), "kind": "study", "project_id": id(project),
                       "published_on": format!("2021-0{}-0{}", i + 1, n + 1)}),
            )
            .await;
            // A document tied to the project only through its activity.
            let through = make(
                app,
                "/api/v1/documents",
                json!({"title": format!("Manual {n}-{i}"), "kind": "manual", "activity_id": id(&activity)}),
            )
            .await;
            for (kind, record) in [
                ("activities", &activity),
                ("delegations", &delegation),
                ("documents", &document),
                ("documents", &through),
            ] {
                let entry = live.entry(kind).or_default();
                if n == 0 { &mut entry.0 } else { &mut entry.1 }.push(id(record));
            }
        }
    }
    // A delegation with no project: nobody's partner sees it.
    make(
        app,
        "/api/v1/delegations",
        json!({"meeting_id": id(&meeting), "country_code": "TN"}),
    )
    .await;
    for (kind, body) in [
        (
            "activities",
            json!({"kind": "training", "title": "Cancelled training"}),
        ),
        (
            "delegations",
            json!({"meeting_id": id(&meeting), "country_code": "EG"}),
        ),
        (
            "documents",
            json!({"title": "Withdrawn draft", "kind": "guide"}),
        ),
    ] {
        let mut pair = Vec::new();
        for project in [&a, &b] {
            let mut body = body.clone();
            body["project_id"] = project["id"].clone();
            let record = make(app, &format!("/api/v1/{kind}"), body).await;
            delete_as_admin(app, &format!("/api/v1/{kind}/{}", id(&record))).await;
            pair.push(id(&record));
        }
        deleted.insert(kind, (pair[0].clone(), pair[1].clone()));
    }
    // Every other project-owned kind, as the tests make one (`one_of`): a
    // live and a deleted record of A and of B.
    let mut inputs = BTreeMap::new();
    for d in registry::describe() {
        let kind = d.resource.plural();
        let by_hand = [
            "projects",
            "project_members",
            "activities",
            "delegations",
            "documents",
        ];
        if d.access != Access::Projects(()) || by_hand.contains(&kind) {
            continue;
        }
        let mut gone = Vec::new();
        for (n, project) in [&a, &b].into_iter().enumerate() {
            let live_one = one_of(app, &app.admin, d.resource, Some(&id(project))).await;
            inputs.insert(kind, live_one.input.clone());
            let entry = live.entry(kind).or_default();
            if n == 0 { &mut entry.0 } else { &mut entry.1 }.push(live_one.id);
            let deleted_one = one_of(app, &app.admin, d.resource, Some(&id(project))).await;
            delete_as_admin(app, &deleted_one.path).await;
            gone.push(deleted_one.id);
        }
        deleted.insert(kind, (gone[0].clone(), gone[1].clone()));
    }
    let gone = app.project(project_body("PROJ-GONE")).await;
    delete_as_admin(app, &format!("/api/v1/projects/{}", id(&gone))).await;
    deleted.insert("projects", (id(&gone), id(&gone)));

    let (user, _) = app.user("partner").await;
    let key_res = app
        .post(
            "/api/v1/api-keys",
            &app.admin,
            &json!({"name": "Partner system", "role": "partner"}),
        )
        .await;
    assert_eq!(key_res.status(), StatusCode::CREATED);
    let key: Value = key_res.json().await.unwrap();
    // Someone else's membership of B, for the member operations.
    let (other, _) = app.user("partner").await;
    let member_b = add_member(app, &b, json!({"user_id": other, "role": "editor"})).await;
    World {
        a,
        b,
        live,
        deleted,
        dialogue,
        meeting,
        organisation,
        member_b,
        user,
        key,
        inputs,
    }
}

async fn add_member(app: &TestApp, project: &Value, body: Value) -> Value {
    let res = app
        .post(
            &format!("/api/v1/projects/{}/members", id(project)),
            &app.admin,
            &body,
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED, "add member {body}");
    res.json().await.unwrap()
}

/// The partner user's token, made a member of A with `role`.
async fn partner_of_a(app: &TestApp, w: &World, role: &str) -> (String, Value) {
    let member = add_member(app, &w.a, json!({"user_id": w.user, "role": role})).await;
    let email = app.read(&format!("/api/v1/users/{}", w.user)).await["email"]
        .as_str()
        .unwrap()
        .to_owned();
    (app.login(&email, PASSWORD).await, member)
}

/// What the partner may see of one record, as the admin reads it: its
/// version, and how many audit events it has.
async fn fingerprint(app: &TestApp, kind: &str, record: &str) -> (Value, Value) {
    let read = app
        .read(&format!("/api/v1/{kind}/{record}?include_deleted=true"))
        .await;
    let events = app
        .read(&format!(
            "/api/v1/audit-events?record_id={record}&limit=100"
        ))
        .await;
    (
        read["version"].clone(),
        json!(events["items"].as_array().map(Vec::len)),
    )
}

/// What a partner of A calling an operation that takes an id, with a
/// record it must not reach, gets. A resource's own paths
/// (`/api/v1/{plural}/{id}...`) take their class from what the registry
/// says of its access, so a project-owned resource cannot be classified
/// as shared here by hand (and tests/api/schema.rs checks that access
/// against the schema); only paths nested under another resource's record
/// are listed. `None`: not classified, and the matrix test fails.
fn class_of(template: &str) -> Option<String> {
    // Nested under a project, but naming a membership.
    if template == "/api/v1/projects/{id}/members/{member_id}" {
        return Some("scoped:members".into());
    }
    registry::describe().into_iter().find_map(|d| {
        let plural = d.resource.plural();
        template
            .starts_with(&format!("/api/v1/{plural}/{{"))
            .then(|| match d.access {
                // Project-owned: 404 for B's records and deleted ones.
                Access::Projects(()) => format!("scoped:{plural}"),
                // Shared reference data: every caller reads it, org-wide
                // editors write it.
                Access::Shared => "shared".into(),
                // Admin business: 403 for any id, so nothing can be probed.
                Access::Admins => "admin".into(),
            })
    })
}

/// A body the operation accepts as well-formed, so that what answers is the
/// scope check and not validation.
fn body_for(w: &World, kind: &str, method: &Method) -> Option<Value> {
    let a = id(&w.a);
    match (kind, method.as_str()) {
        (_, "GET" | "DELETE") => None,
        ("projects", "PUT") => Some(project_body("PROJ-X")),
        ("activities", "PUT") => Some(json!({"project_id": a, "kind": "workshop", "title": "x"})),
        ("delegations", "PUT") => {
            Some(json!({"meeting_id": id(&w.meeting), "project_id": a, "country_code": "LY"}))
        }
        ("documents", "PUT") => Some(json!({"title": "x", "kind": "study", "project_id": a})),
        (kind, "PUT") if w.inputs.contains_key(kind) => {
            let mut body = w.inputs[kind].clone();
            body["project_id"] = json!(a);
            Some(body)
        }
        ("members", "PATCH") => Some(json!({"role": "viewer"})),
        (_, "PATCH") => Some(json!({})),
        ("projects", "POST") => Some(json!({"user_id": w.user, "role": "viewer"})),
        (_, "POST") => Some(json!({})),
        _ => None,
    }
}

fn operations(spec: &Value) -> Vec<(String, Method)> {
    let mut out = Vec::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for method in ["get", "post", "put", "patch", "delete"] {
            if item.get(method).is_some() {
                out.push((
                    path.clone(),
                    Method::from_bytes(method.to_uppercase().as_bytes()).unwrap(),
                ));
            }
        }
    }
    out
}

async fn call(
    app: &TestApp,
    token: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> reqwest::Response {
    let mut rb = app.request(method.clone(), path, token);
    if let Some(body) = body {
        rb = if method == Method::PATCH {
            rb.header("content-type", "application/merge-patch+json")
                .body(body.to_string())
        } else {
            rb.json(&body)
        };
    }
    rb.send().await.unwrap()
}

#[tokio::test]
async fn the_bola_matrix_covers_every_operation_that_takes_an_id() {
    let app = spawn_app().await;
    let w = world(&app).await;
    // An editor of A: any refusal below is the scope's, not the role's.
    let (partner, _) = partner_of_a(&app, &w, "editor").await;
    let spec = app.read("/api-docs/openapi.json").await;
    for (template, method) in operations(&spec) {
        if !template.contains('{') {
            continue;
        }
        let class = class_of(&template).unwrap_or_else(|| {
            panic!("{method} {template} takes an id but is not in the BOLA matrix: classify it")
        });
        let class = class.as_str();
        let op = format!("{method} {template}");
        if class == "admin" {
            let path = template.replace("{id}", &Uuid::now_v7().to_string());
            let res = call(
                &app,
                &partner,
                method.clone(),
                &path,
                body_for(&w, "", &method),
            )
            .await;
            assert_eq!(res.status(), StatusCode::FORBIDDEN, "{op}");
            continue;
        }
        if class == "shared" {
            continue;
        }
        let kind = class.trim_start_matches("scoped:");
        // Ids it must not reach: B's live record, and deleted records of A and B.
        let mut targets = Vec::new();
        if kind == "members" {
            let b_member = format!("/api/v1/projects/{}/members/{}", id(&w.b), id(&w.member_b));
            let crossed = format!("/api/v1/projects/{}/members/{}", id(&w.a), id(&w.member_b));
            targets.push((b_member, "projects", id(&w.b)));
            targets.push((crossed, "projects", id(&w.b)));
        } else {
            assert!(
                w.live.contains_key(kind) && w.deleted.contains_key(kind),
                "{kind} is project-owned: world() must make live and deleted {kind} of A and B"
            );
            let (_, b_live) = &w.live[kind];
            let (a_gone, b_gone) = &w.deleted[kind];
            targets.push((
                template.replace("{id}", &b_live[0]),
                kind,
                b_live[0].clone(),
            ));
            targets.push((template.replace("{id}", b_gone), kind, b_gone.clone()));
            if !template.ends_with("/restore") {
                targets.push((template.replace("{id}", a_gone), kind, a_gone.clone()));
            }
        }
        for (path, record_kind, record) in targets {
            let before = fingerprint(&app, record_kind, &record).await;
            let res = call(
                &app,
                &partner,
                method.clone(),
                &path,
                body_for(&w, kind, &method),
            )
            .await;
            let status = res.status();
            assert_eq!(status, StatusCode::NOT_FOUND, "{op} {path}");
            let problem = problem(res, StatusCode::NOT_FOUND).await;
            assert!(
                !problem["detail"].as_str().unwrap_or("").contains("role"),
                "{op} {path}: {status} {problem}"
            );
            assert_eq!(
                fingerprint(&app, record_kind, &record).await,
                before,
                "{op} {path} changed something"
            );
        }
    }
}

/// Every page of `path` as `token`, `limit=2`, following `next_cursor`.
async fn all_pages(app: &TestApp, token: &str, path: &str) -> Vec<String> {
    let mut ids = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..200 {
        let sep = if path.contains('?') { '&' } else { '?' };
        let url = match &cursor {
            Some(c) => format!("{path}{sep}limit=2&cursor={c}"),
            None => format!("{path}{sep}limit=2"),
        };
        let res = app.get(&url, token).await;
        assert_eq!(res.status(), StatusCode::OK, "{url}");
        let page: Value = res.json().await.unwrap();
        ids.extend(page["items"].as_array().unwrap().iter().map(id));
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => return ids,
        }
    }
    panic!("{path} did not end");
}

#[tokio::test]
async fn every_list_pages_through_exactly_the_partners_records() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let (partner, _) = partner_of_a(&app, &w, "viewer").await;
    let sorts: [(&str, &[&str]); 4] = [
        (
            "projects",
            &[
                "code",
                "title",
                "start_date",
                "end_date",
                "created_at",
                "updated_at",
            ],
        ),
        (
            "activities",
            &[
                "start_date",
                "end_date",
                "title",
                "created_at",
                "updated_at",
            ],
        ),
        ("delegations", &["created_at", "updated_at", "status"]),
        (
            "documents",
            &["title", "published_on", "created_at", "updated_at"],
        ),
    ];
    for (kind, keys) in sorts {
        let expected: BTreeSet<String> = w.live[kind].0.iter().cloned().collect();
        for key in keys {
            for sort in [key.to_string(), format!("-{key}")] {
                let got = all_pages(&app, &partner, &format!("/api/v1/{kind}?sort={sort}")).await;
                let unique: BTreeSet<String> = got.iter().cloned().collect();
                assert_eq!(
                    unique.len(),
                    got.len(),
                    "{kind} sort={sort}: a record twice"
                );
                assert_eq!(unique, expected, "{kind} sort={sort}");
            }
        }
        let counted = app
            .read_as(&partner, &format!("/api/v1/{kind}?count=true&limit=1"))
            .await;
        assert_eq!(counted["total"], expected.len(), "{kind} count");
        // The organisation-wide view has both projects' records.
        let all = all_pages(&app, &app.admin, &format!("/api/v1/{kind}")).await;
        assert!(all.len() > expected.len(), "{kind}");
    }
    // Filters narrow within the scope, never beyond it.
    let filtered = all_pages(
        &app,
        &partner,
        &format!("/api/v1/activities?project_id={}", id(&w.b)),
    )
    .await;
    assert!(filtered.is_empty());
    // Nested lists too.
    let nested = all_pages(
        &app,
        &partner,
        &format!(
            "/api/v1/dialogues/{}/meetings/{}/delegations",
            id(&w.dialogue),
            id(&w.meeting)
        ),
    )
    .await;
    let expected: BTreeSet<String> = w.live["delegations"].0.iter().cloned().collect();
    assert_eq!(nested.into_iter().collect::<BTreeSet<_>>(), expected);
    let of_a = all_pages(
        &app,
        &partner,
        &format!("/api/v1/projects/{}/activities", id(&w.a)),
    )
    .await;
    assert_eq!(of_a.len(), w.live["activities"].0.len());
    // Shared reference data is whole.
    for path in [
        "/api/v1/organisations",
        "/api/v1/dialogues",
        "/api/v1/meetings",
    ] {
        assert!(!all_pages(&app, &partner, path).await.is_empty(), "{path}");
    }
    let org = app
        .get(
            &format!("/api/v1/organisations/{}", id(&w.organisation)),
            &partner,
        )
        .await;
    assert_eq!(org.status(), StatusCode::OK);
}

#[tokio::test]
async fn the_change_feed_and_history_show_a_partner_only_its_records() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let (partner, _) = partner_of_a(&app, &w, "viewer").await;
    let mut feed_ids = BTreeSet::new();
    let mut after = String::new();
    loop {
        let page = app
            .read_as(&partner, &format!("/api/v1/changes?limit=7&after={after}"))
            .await;
        let items = page["items"].as_array().unwrap().clone();
        if items.is_empty() {
            break;
        }
        for item in &items {
            feed_ids.insert(item["record_id"].as_str().unwrap().to_owned());
        }
        after = page["next_cursor"].as_str().unwrap().to_owned();
    }
    for kind in ["projects", "activities", "delegations", "documents"] {
        let (a, b) = &w.live[kind];
        for record in a {
            assert!(
                feed_ids.contains(record),
                "{kind} {record} of A missing from the feed"
            );
        }
        for record in b {
            assert!(
                !feed_ids.contains(record),
                "{kind} {record} of B in the feed"
            );
        }
        assert!(
            !feed_ids.contains(&w.deleted[kind].1),
            "{kind}: B's deleted record in the feed"
        );
    }
    assert!(
        feed_ids.contains(&id(&w.organisation)),
        "shared data in the feed"
    );
    assert!(
        !feed_ids.contains(&id(&w.member_b)),
        "B's membership in the feed"
    );
    let history = app
        .get(
            &format!("/api/v1/activities/{}/history", w.live["activities"].0[0]),
            &partner,
        )
        .await;
    assert_eq!(history.status(), StatusCode::OK);
    // The admin's feed has B's records and the memberships.
    let admin_feed = app
        .read("/api/v1/changes?limit=1000&resource_type=project_member")
        .await;
    assert!(!admin_feed["items"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn the_project_role_decides_writes_and_removal_takes_effect_at_once() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let (partner, member) = partner_of_a(&app, &w, "viewer").await;
    let activity = &w.live["activities"].0[0];
    let path = format!("/api/v1/activities/{activity}");
    let patch = |token: &str, body: Value| {
        app.request(Method::PATCH, &path, token)
            .header("content-type", "application/merge-patch+json")
            .body(body.to_string())
            .send()
    };
    // Viewer on A: reads, may not write.
    assert_eq!(app.get(&path, &partner).await.status(), StatusCode::OK);
    problem(
        patch(&partner, json!({"title": "Renamed"})).await.unwrap(),
        StatusCode::FORBIDDEN,
    )
    .await;
    let body = json!({"project_id": id(&w.a), "kind": "workshop", "title": "New"});
    problem(
        app.post("/api/v1/activities", &partner, &body).await,
        StatusCode::FORBIDDEN,
    )
    .await;

    // Editor on A: writes A's records, not B's, and cannot move one to B.
    let member_path = format!("/api/v1/projects/{}/members/{}", id(&w.a), id(&member));
    let res = app
        .request(Method::PATCH, &member_path, &app.admin)
        .header("content-type", "application/merge-patch+json")
        .body(json!({"role": "editor"}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        patch(&partner, json!({"title": "Renamed"}))
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        app.post("/api/v1/activities", &partner, &body)
            .await
            .status(),
        StatusCode::CREATED
    );
    let into_b = json!({"project_id": id(&w.b), "kind": "workshop", "title": "Elsewhere"});
    let p = problem(
        app.post("/api/v1/activities", &partner, &into_b).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error_fields(&p), ["project_id"]);
    let p = problem(
        patch(&partner, json!({"project_id": id(&w.b)}))
            .await
            .unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error_fields(&p), ["project_id"]);
    let moved = app.read(&path).await;
    assert_eq!(moved["project_id"], w.a["id"]);
    // Shared data and projects are not a partner's to create.
    problem(
        app.post(
            "/api/v1/organisations",
            &partner,
            &json!({"name": "X", "kind": "other"}),
        )
        .await,
        StatusCode::FORBIDDEN,
    )
    .await;
    problem(
        app.post("/api/v1/projects", &partner, &project_body("PROJ-P"))
            .await,
        StatusCode::FORBIDDEN,
    )
    .await;
    // Nor are memberships, even of its own project.
    problem(
        app.post(
            &format!("/api/v1/projects/{}/members", id(&w.a)),
            &partner,
            &json!({"user_id": w.user, "role": "editor"}),
        )
        .await,
        StatusCode::FORBIDDEN,
    )
    .await;

    // Removed: the next request no longer reaches A.
    assert_eq!(
        app.delete(&member_path, &app.admin).await.status(),
        StatusCode::NO_CONTENT
    );
    problem(app.get(&path, &partner).await, StatusCode::NOT_FOUND).await;
    let listed = app.read_as(&partner, "/api/v1/projects").await;
    assert!(listed["items"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn an_api_key_is_scoped_like_a_user() {
    let app = spawn_app().await;
    let w = world(&app).await;
    add_member(
        &app,
        &w.a,
        json!({"api_key_id": w.key["key"]["id"], "role": "viewer"}),
    )
    .await;
    let secret = w.key["secret"].as_str().unwrap();
    let projects = app.read_as(secret, "/api/v1/projects").await;
    let ids: Vec<String> = projects["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(id)
        .collect();
    assert_eq!(ids, [id(&w.a)]);
    problem(
        app.get(&format!("/api/v1/projects/{}", id(&w.b)), secret)
            .await,
        StatusCode::NOT_FOUND,
    )
    .await;
}

#[tokio::test]
async fn memberships_are_checked_audited_and_unique() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let path = format!("/api/v1/projects/{}/members", id(&w.a));
    for (body, field) in [
        (json!({"role": "viewer"}), "user_id"),
        (
            json!({"user_id": w.user, "api_key_id": w.key["key"]["id"], "role": "viewer"}),
            "user_id",
        ),
        (
            json!({"user_id": Uuid::now_v7(), "role": "viewer"}),
            "user_id",
        ),
        (
            json!({"api_key_id": Uuid::now_v7(), "role": "viewer"}),
            "api_key_id",
        ),
    ] {
        let p = problem(
            app.post(&path, &app.admin, &body).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_eq!(error_fields(&p), [field], "{body}");
    }
    let member = add_member(&app, &w.a, json!({"user_id": w.user, "role": "viewer"})).await;
    let again = app
        .post(
            &path,
            &app.admin,
            &json!({"user_id": w.user, "role": "editor"}),
        )
        .await;
    let p = problem(again, StatusCode::CONFLICT).await;
    assert_eq!(error_fields(&p), ["user_id"]);
    let listed = app.read(&path).await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
    let events = app
        .read(&format!("/api/v1/audit-events?record_id={}", id(&member)))
        .await;
    assert_eq!(events["items"][0]["resource_type"], "project_member");
    assert_eq!(events["items"][0]["action"], "create");
}

/// Every page of the change feed as `token`: (resource_type, record_id,
/// action) of each event.
async fn feed(app: &TestApp, token: &str) -> Vec<(String, String, String)> {
    let page = app.read_as(token, "/api/v1/changes?limit=1000").await;
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let s = |k: &str| e[k].as_str().unwrap_or_default().to_owned();
            (s("resource_type"), s("record_id"), s("action"))
        })
        .collect()
}

/// Issue 28, finding 6: a record moved between projects takes nothing of
/// the other project with it. An activity of B with B's document about it
/// cannot move while the document names B; moved without one, its history
/// and feed show a partner of A only what happened under A, and not even
/// the values it had in B. A document of B about an activity that is in A
/// (as a move before this rule left some) stays B's on every operation.
#[tokio::test]
async fn a_record_moved_between_projects_brings_nothing_of_the_other_project() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let (partner, _) = partner_of_a(&app, &w, "editor").await;
    let (a, b) = (id(&w.a), id(&w.b));

    // B's activity with B's document about it: the move is refused, naming
    // the document, and nothing changes.
    let x = make(
        &app,
        "/api/v1/activities",
        json!({"kind": "training", "title": "B-era training", "project_id": b}),
    )
    .await;
    let doc = make(
        &app,
        "/api/v1/documents",
        json!({"title": "B-era report", "kind": "guide", "project_id": b, "activity_id": id(&x)}),
    )
    .await;
    let x_path = format!("/api/v1/activities/{}", id(&x));
    let res = app.patch(&x_path, &json!({"project_id": a})).await;
    let conflict = problem(res, StatusCode::CONFLICT).await;
    assert!(
        conflict["detail"]
            .as_str()
            .unwrap()
            .contains("B-era report"),
        "{conflict}"
    );
    assert_eq!(app.read(&x_path).await["project_id"], json!(b));

    // A move made before the rule (straight in the database): the document
    // still names B, so to a partner of A it is B's, on every operation.
    {
        use rihla_persistence::entities::activities::{Column, Entity};
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
        let db = sea_orm::Database::connect(&app.db_url).await.unwrap();
        let moved = Entity::update_many()
            .col_expr(Column::ProjectId, Expr::value(a.parse::<Uuid>().unwrap()))
            .filter(Column::Id.eq(id(&x).parse::<Uuid>().unwrap()))
            .exec(&db)
            .await
            .unwrap();
        assert_eq!(moved.rows_affected, 1);
    }
    let doc_path = format!("/api/v1/documents/{}", id(&doc));
    let before = fingerprint(&app, "documents", &id(&doc)).await;
    for (method, path, body) in [
        (Method::GET, doc_path.clone(), None),
        (Method::GET, format!("{doc_path}/history"), None),
        (
            Method::PATCH,
            doc_path.clone(),
            Some(json!({"project_id": null})),
        ),
        (
            Method::PUT,
            doc_path.clone(),
            Some(json!({"title": "Taken", "kind": "guide", "activity_id": id(&x)})),
        ),
        (Method::DELETE, doc_path.clone(), None),
    ] {
        let res = call(&app, &partner, method.clone(), &path, body).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{method} {path}");
    }
    assert_eq!(fingerprint(&app, "documents", &id(&doc)).await, before);
    for list in [
        format!("/api/v1/documents?project_id={b}"),
        format!("/api/v1/documents?activity_id={}", id(&x)),
        "/api/v1/documents".to_owned(),
    ] {
        let res = app.get(&list, &partner).await;
        let body = res.text().await.unwrap();
        assert!(!body.contains(&id(&doc)), "{list}: {body}");
    }

    // A move through the API, of an activity with no document of B: A's
    // partner sees the move and what followed, never B's values.
    let y = make(
        &app,
        "/api/v1/activities",
        json!({"kind": "training", "title": "Secret B title", "project_id": b}),
    )
    .await;
    let y_path = format!("/api/v1/activities/{}", id(&y));
    let res = app
        .patch(&y_path, &json!({"title": "Still secret in B"}))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = app
        .patch(&y_path, &json!({"project_id": a, "title": "Now in A"}))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = app.patch(&y_path, &json!({"title": "Edited in A"})).await;
    assert_eq!(res.status(), StatusCode::OK);
    let history = app
        .read_as(&partner, &format!("{y_path}/history?limit=100"))
        .await;
    let events = history["items"].as_array().unwrap();
    assert_eq!(
        events
            .iter()
            .map(|e| e["version"].as_i64().unwrap())
            .collect::<Vec<_>>(),
        vec![4, 3],
        "only the move and what followed: {history}"
    );
    let text = history.to_string();
    for secret in ["Secret B title", "Still secret in B", b.as_str()] {
        assert!(!text.contains(secret), "{secret} in {text}");
    }
    let csv = app
        .get(&format!("{y_path}/history?format=csv"), &partner)
        .await
        .text()
        .await
        .unwrap();
    assert!(!csv.contains("Still secret in B"), "{csv}");
    // The admin still sees it all.
    let all = app.read(&format!("{y_path}/history?limit=100")).await;
    assert_eq!(all["items"].as_array().unwrap().len(), 4);
    assert!(all.to_string().contains("Still secret in B"));

    // The feed: A's partner gets Y's move and later events only; B's partner
    // gets what happened under B and the move out, nothing after.
    let y_events = |feed: Vec<(String, String, String)>| {
        feed.into_iter()
            .filter(|(_, r, _)| *r == id(&y))
            .map(|(_, _, action)| action)
            .collect::<Vec<_>>()
    };
    assert_eq!(y_events(feed(&app, &partner).await), ["update", "update"]);
    let (other, _) = app.user("partner").await;
    add_member(&app, &w.b, json!({"user_id": other, "role": "viewer"})).await;
    let email = app.read(&format!("/api/v1/users/{other}")).await["email"]
        .as_str()
        .unwrap()
        .to_owned();
    let b_partner = app.login(&email, PASSWORD).await;
    assert_eq!(
        y_events(feed(&app, &b_partner).await),
        ["create", "update", "update"]
    );
}
