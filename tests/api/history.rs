//! The audit trail, soft delete with restore, purge, and retention.

use reqwest::{Method, StatusCode};
use rihla_domain::ResourceType;
use rihla_persistence::Actor;
use rihla_persistence::entities::{audit_events, projects};
use rihla_persistence::repo::{audit, purge};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

use crate::support::{
    PASSWORD, TestApp, error_fields, id, one_of, problem, project_body, spawn_app,
};

/// Every event of the trail, newest first (admin view, all pages).
async fn all_events(app: &TestApp, query: &str) -> Vec<Value> {
    let mut events = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut path = format!("/api/v1/audit-events?limit=100{query}");
        if let Some(c) = &cursor {
            path.push_str(&format!("&cursor={c}"));
        }
        let page = app.read(&path).await;
        events.extend(page["items"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => return events,
        }
    }
}

fn actions(events: &[Value]) -> Vec<&str> {
    events
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect()
}

/// `{old, new}` of one field in an event's changes.
fn change<'a>(event: &'a Value, field: &str) -> Option<&'a Value> {
    event["changes"].as_object()?.get(field)
}

#[tokio::test]
async fn every_write_of_every_resource_leaves_one_event_with_its_change_and_actor() {
    let app = spawn_app().await;
    let (editor_id, editor) = app.user("editor").await;
    let admin_id = app.admin_id().await;
    for resource in ResourceType::ALL.iter().copied() {
        let w = one_of(&app, &editor, resource, None).await;
        let (token, actor) = if w.admin {
            (&app.admin, &admin_id)
        } else {
            (&editor, &editor_id)
        };
        let (method, path, body) = &w.change;
        let rb = app.request(method.clone(), path, token);
        let rb = if *method == Method::PATCH {
            rb.header("content-type", "application/merge-patch+json")
                .body(body.to_string())
        } else {
            rb.json(body)
        };
        let res = rb.send().await.unwrap();
        assert!(
            res.status().is_success(),
            "{resource}: {method} {path}: {}",
            res.text().await.unwrap()
        );
        let res = app.delete(&w.path, token).await;
        assert_eq!(
            res.status(),
            StatusCode::NO_CONTENT,
            "{resource}: DELETE {}",
            w.path
        );

        let events = all_events(&app, &format!("&record_id={}", w.id)).await;
        assert_eq!(
            actions(&events),
            ["delete", "update", "create"],
            "{resource}"
        );
        assert!(
            events
                .iter()
                .all(|e| e["resource_type"] == resource.as_str())
        );
        let versions: Vec<i64> = events
            .iter()
            .map(|e| e["version"].as_i64().unwrap())
            .collect();
        assert_eq!(versions, [3, 2, 1], "{resource}: newest first");
        let update = &events[1];
        let diff = change(update, w.field).unwrap_or_else(|| panic!("{}: {update}", w.field));
        if !w.value.is_null() {
            assert_eq!(diff["new"], w.value, "{resource}");
        }
        assert!(change(update, "version").is_none() && change(update, "updated_at").is_none());
        assert_eq!(
            update.get("record"),
            None,
            "an update carries only its changes"
        );
        let create = &events[2];
        assert_eq!(create["record"]["id"], w.id.as_str(), "{resource}");
        // A create sets every field from nothing.
        let id_change = change(create, "id").unwrap();
        assert_eq!(
            (&id_change["old"], &id_change["new"]),
            (&Value::Null, &create["record"]["id"])
        );
        // An API key's delete is its revocation, and reads as one.
        let (at, by) = match resource {
            ResourceType::ApiKey => ("revoked_at", "revoked_by"),
            _ => ("deleted_at", "deleted_by"),
        };
        let delete = &events[0];
        assert!(delete["record"][at].is_string(), "{resource}");
        let changed: Vec<&String> = delete["changes"].as_object().unwrap().keys().collect();
        assert_eq!(changed, [at, by], "{resource}");
        for event in [update, delete] {
            assert_eq!(event["actor_type"], "user");
            assert_eq!(event["actor"], actor.as_str(), "{resource}");
        }
        // Records this test created itself: the server's request id, with
        // the client's own correlation id beside it.
        if w.correlated {
            assert_eq!(create["request_id"].as_str().map(str::len), Some(36));
            assert_eq!(create["correlation_id"], "req-create-1", "{resource}");
        }
    }
}

#[tokio::test]
async fn a_write_that_fails_leaves_no_event_and_a_failed_audit_write_fails_the_change() {
    let app = spawn_app().await;
    let project = app.project(project_body("P-1")).await;
    let path = format!("/api/v1/projects/{}", id(&project));
    app.create(
        "/api/v1/activities",
        json!({"project_id": id(&project), "kind": "workshop", "title": "Uses the project"}),
    )
    .await;
    let before = all_events(&app, "").await.len();

    let res = app
        .post("/api/v1/projects", &app.admin, &json!({"code": ""}))
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = app
        .request(Method::PATCH, &path, &app.admin)
        .header("if-match", "\"7\"")
        .json(&json!({"title": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::PRECONDITION_FAILED);
    let res = app.delete(&path, &app.admin).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let res = app
        .post("/api/v1/projects", &app.admin, &project_body("P-1"))
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert_eq!(all_events(&app, "").await.len(), before);

    // With the audit table gone, the write cannot be recorded, so it must not land.
    app.state
        .db
        .execute_unprepared("DROP TABLE audit_events")
        .await
        .unwrap();
    let res = app
        .post("/api/v1/projects", &app.admin, &project_body("P-2"))
        .await;
    problem(res, StatusCode::INTERNAL_SERVER_ERROR).await;
    let res = app.patch(&path, &json!({"title": "Never stored"})).await;
    problem(res, StatusCode::INTERNAL_SERVER_ERROR).await;
    let codes: Vec<String> = app.read("/api/v1/projects").await["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["code"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(codes, ["P-1"]);
    assert_eq!(app.read(&path).await["title"], project["title"]);
}

#[tokio::test]
async fn passwords_and_tokens_never_reach_the_audit_trail() {
    let app = spawn_app().await;
    let secret = "correct-horse-battery-staple-42";
    let user = app
        .create(
            "/api/v1/users",
            json!({"email": "v@example.org", "display_name": "V", "role": "viewer", "password": secret}),
        )
        .await;
    let login = app.token_response("v@example.org", secret).await;
    let tokens: Value = login.json().await.unwrap();
    let res = app
        .post(
            &format!("/api/v1/users/{}/reset-password", id(&user)),
            &app.admin,
            &json!({"password": "another-secret-password-43"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);

    let trail = serde_json::to_string(&all_events(&app, "").await).unwrap();
    for needle in [
        secret,
        "another-secret-password-43",
        "argon2",
        "password_hash",
        tokens["access_token"].as_str().unwrap(),
        tokens["refresh_token"].as_str().unwrap(),
    ] {
        assert!(
            !trail.contains(needle),
            "{needle} leaked into the audit trail"
        );
    }
    let history = app
        .read(&format!("/api/v1/users/{}/history", id(&user)))
        .await;
    let reset = &history["items"][0];
    assert_eq!(reset["action"], "update");
    assert_eq!(reset["version"], 2);
    assert_eq!(
        change(reset, "password").unwrap(),
        &json!({"old": "[redacted]", "new": "[redacted]"})
    );
}

#[tokio::test]
async fn history_pages_newest_first_and_follows_who_may_read_the_record() {
    let app = spawn_app().await;
    let (_, viewer) = app.user("viewer").await;
    let project = app.project(project_body("P-1")).await;
    let path = format!("/api/v1/projects/{}", id(&project));
    for i in 0..24 {
        let res = app
            .patch(&path, &json!({"title": format!("Title {i}")}))
            .await;
        assert_eq!(res.status(), StatusCode::OK);
    }
    let mut versions = Vec::new();
    let mut sizes = Vec::new();
    let mut next = format!("{path}/history?limit=10");
    loop {
        let res = app.get(&next, &viewer).await;
        assert_eq!(res.status(), StatusCode::OK);
        let page: Value = res.json().await.unwrap();
        let items = page["items"].as_array().unwrap();
        sizes.push(items.len());
        versions.extend(items.iter().map(|e| e["version"].as_i64().unwrap()));
        match page["next_cursor"].as_str() {
            Some(c) => next = format!("{path}/history?limit=10&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(sizes, [10, 10, 5]);
    assert_eq!(versions, (1..=25).rev().collect::<Vec<i64>>());

    let res = app
        .get(&format!("{path}/history?cursor=nonsense"), &viewer)
        .await;
    problem(res, StatusCode::BAD_REQUEST).await;
    let res = app.get(&format!("{path}/history?limit=0"), &viewer).await;
    problem(res, StatusCode::BAD_REQUEST).await;
    let missing = "/api/v1/projects/0193a0c4-0000-7000-8000-000000000000/history";
    problem(app.get(missing, &viewer).await, StatusCode::NOT_FOUND).await;
    // Users' histories are admin business; the audit log too.
    let admin_id = app.admin_id().await;
    let res = app
        .get(&format!("/api/v1/users/{admin_id}/history"), &viewer)
        .await;
    problem(res, StatusCode::FORBIDDEN).await;
    problem(
        app.get("/api/v1/audit-events", &viewer).await,
        StatusCode::FORBIDDEN,
    )
    .await;

    // Once deleted, the history is the admin's to read.
    assert_eq!(
        app.delete(&path, &app.admin).await.status(),
        StatusCode::NO_CONTENT
    );
    problem(
        app.get(&format!("{path}/history"), &viewer).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    let history = app.read(&format!("{path}/history?limit=1")).await;
    assert_eq!(history["items"][0]["action"], "delete");
    assert_eq!(history["items"][0]["version"], 26);
}

#[tokio::test]
async fn the_audit_log_filters_by_actor_type_record_action_and_time() {
    let app = spawn_app().await;
    let (editor_id, editor) = app.user("editor").await;
    let p1 = app.project(project_body("P-1")).await;
    let res = app
        .post("/api/v1/projects", &editor, &project_body("P-2"))
        .await;
    let p2: Value = res.json().await.unwrap();
    let res = app
        .send_json(
            Method::PATCH,
            &format!("/api/v1/projects/{}", id(&p2)),
            &editor,
            &json!({"title": "Edited"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    app.organisation("Ministry of Labour").await;

    let by_editor = all_events(&app, &format!("&actor={editor_id}")).await;
    assert_eq!(actions(&by_editor), ["update", "create"]);
    assert!(by_editor.iter().all(|e| e["record_id"] == p2["id"]));
    let projects = all_events(&app, "&resource_type=project").await;
    assert_eq!(projects.len(), 3);
    // The plural of the path works as well.
    assert_eq!(all_events(&app, "&resource_type=projects").await.len(), 3);
    let one = all_events(&app, &format!("&record_id={}", id(&p1))).await;
    assert_eq!(actions(&one), ["create"]);
    let updates = all_events(&app, "&action=update").await;
    assert_eq!(updates.len(), 1);
    assert_eq!(updates[0]["record_id"], p2["id"]);
    let orgs = all_events(&app, "&resource_type=organisation&action=create").await;
    assert_eq!(orgs.len(), 1);
    // Time window: everything so far is before `now`, nothing is after it.
    let now = chrono::Utc::now() + chrono::Duration::seconds(1);
    let stamp = now.format("%Y-%m-%dT%H:%M:%SZ");
    assert!(all_events(&app, &format!("&from={stamp}")).await.is_empty());
    let before_now = all_events(&app, &format!("&to={stamp}")).await;
    assert_eq!(before_now.len(), all_events(&app, "").await.len());
    let res = app
        .get(
            "/api/v1/audit-events?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z",
            &app.admin,
        )
        .await;
    assert_eq!(
        error_fields(&problem(res, StatusCode::BAD_REQUEST).await),
        ["to"]
    );
    let res = app
        .get("/api/v1/audit-events?action=explode", &app.admin)
        .await;
    problem(res, StatusCode::BAD_REQUEST).await;
    let res = app.get("/api/v1/audit-events", &editor).await;
    problem(res, StatusCode::FORBIDDEN).await;
}

#[tokio::test]
async fn prune_removes_only_events_older_than_the_retention_window() {
    let app = spawn_app().await;
    let old = app.project(project_body("P-OLD")).await;
    app.project(project_body("P-NEW")).await;
    let long_ago = chrono::Utc::now() - chrono::Duration::days(400);
    audit_events::Entity::update_many()
        .col_expr(audit_events::Column::OccurredAt, Expr::value(long_ago))
        .filter(audit_events::Column::RecordId.eq(uuid::Uuid::parse_str(&id(&old)).unwrap()))
        .exec(&app.state.db)
        .await
        .unwrap();
    let before = all_events(&app, "").await.len();

    let cutoff = chrono::Utc::now() - chrono::Duration::days(365);
    let removed = audit::prune(&app.state.db, cutoff).await.unwrap();
    assert_eq!(removed, 1);
    let after = all_events(&app, "").await;
    assert_eq!(after.len(), before - 1);
    assert!(after.iter().all(|e| e["record_id"] != old["id"]));
    // A second run finds nothing more to remove.
    assert_eq!(audit::prune(&app.state.db, cutoff).await.unwrap(), 0);
}

#[tokio::test]
async fn a_deleted_record_vanishes_from_reads_but_admins_can_still_see_it() {
    let app = spawn_app().await;
    let (_, editor) = app.user("editor").await;
    let (_, viewer) = app.user("viewer").await;
    let project = app.project(project_body("P-1")).await;
    let keep = app.project(project_body("P-2")).await;
    let path = format!("/api/v1/projects/{}", id(&project));
    assert_eq!(
        app.delete(&path, &editor).await.status(),
        StatusCode::NO_CONTENT
    );

    problem(app.get(&path, &viewer).await, StatusCode::NOT_FOUND).await;
    problem(app.get(&path, &app.admin).await, StatusCode::NOT_FOUND).await;
    assert_eq!(app.ids("/api/v1/projects").await, [id(&keep)]);
    assert_eq!(
        app.patch(&path, &json!({"title": "x"})).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.delete(&path, &app.admin).await.status(),
        StatusCode::NOT_FOUND
    );

    let seen = app.read(&format!("{path}?include_deleted=true")).await;
    assert!(seen["deleted_at"].is_string());
    assert_eq!(
        seen["deleted_by"].as_str().unwrap(),
        app.read("/api/v1/users?q=editor").await["items"][0]["id"]
            .as_str()
            .unwrap()
    );
    assert_eq!(seen["version"], 2);
    let all = app.ids("/api/v1/projects?include_deleted=true").await;
    assert_eq!(
        crate::support::sorted(all),
        crate::support::sorted(vec![id(&project), id(&keep)])
    );
    for who in [&editor, &viewer] {
        let res = app.get(&format!("{path}?include_deleted=true"), who).await;
        problem(res, StatusCode::FORBIDDEN).await;
        let res = app.get("/api/v1/projects?include_deleted=true", who).await;
        problem(res, StatusCode::FORBIDDEN).await;
    }
    // A live record shows no deletion fields at all.
    assert!(
        app.read(&format!("/api/v1/projects/{}", id(&keep)))
            .await
            .get("deleted_at")
            .is_none()
    );
}

#[tokio::test]
async fn deleted_records_neither_block_deletes_nor_can_be_referenced() {
    let app = spawn_app().await;
    let org = app.organisation("Ministry of Foreign Affairs").await;
    let mut body = project_body("P-1");
    body["participating_organisations"] =
        json!([{"organisation_id": id(&org), "role": "implementing"}]);
    let project = app.project(body).await;
    let activity = app
        .create(
            "/api/v1/activities",
            json!({"project_id": id(&project), "kind": "training", "title": "Training"}),
        )
        .await;
    let project_path = format!("/api/v1/projects/{}", id(&project));
    let res = app.delete(&project_path, &app.admin).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);

    let activity_path = format!("/api/v1/activities/{}", id(&activity));
    assert_eq!(
        app.delete(&activity_path, &app.admin).await.status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.delete(&project_path, &app.admin).await.status(),
        StatusCode::NO_CONTENT
    );
    let org_path = format!("/api/v1/organisations/{}", id(&org));
    assert_eq!(
        app.delete(&org_path, &app.admin).await.status(),
        StatusCode::NO_CONTENT
    );

    // A new record cannot point at a deleted one: 422, as for a missing one.
    let res = app
        .post(
            "/api/v1/activities",
            &app.admin,
            &json!({"project_id": id(&project), "kind": "training", "title": "Late"}),
        )
        .await;
    let p = problem(res, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(error_fields(&p), ["project_id"]);
    let res = app
        .get(
            &format!("/api/v1/projects/{}/activities", id(&project)),
            &app.admin,
        )
        .await;
    problem(res, StatusCode::NOT_FOUND).await;
}

#[tokio::test]
async fn restore_brings_a_record_back_unless_its_unique_value_or_references_are_gone() {
    let app = spawn_app().await;
    let (_, editor) = app.user("editor").await;
    let project = app.project(project_body("P-1")).await;
    let path = format!("/api/v1/projects/{}", id(&project));
    let activity = app
        .create(
            "/api/v1/activities",
            json!({"project_id": id(&project), "kind": "training", "title": "Training"}),
        )
        .await;
    let activity_path = format!("/api/v1/activities/{}", id(&activity));
    assert_eq!(
        app.delete(&activity_path, &editor).await.status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.delete(&path, &editor).await.status(),
        StatusCode::NO_CONTENT
    );

    // Its project is gone: the activity cannot come back.
    let res = app
        .post(&format!("{activity_path}/restore"), &editor, &json!({}))
        .await;
    let p = problem(res, StatusCode::CONFLICT).await;
    assert_eq!(error_fields(&p), ["project_id"]);

    // Its code was reused meanwhile: the project cannot come back.
    let twin = app.project(project_body("P-1")).await;
    let res = app
        .post(&format!("{path}/restore"), &editor, &json!({}))
        .await;
    let p = problem(res, StatusCode::CONFLICT).await;
    assert_eq!(error_fields(&p), ["code"]);
    let twin_path = format!("/api/v1/projects/{}", id(&twin));
    assert_eq!(
        app.delete(&twin_path, &editor).await.status(),
        StatusCode::NO_CONTENT
    );

    // A stale If-Match is 412; then the restore goes through, as a new version.
    let res = app
        .request(Method::POST, &format!("{path}/restore"), &editor)
        .header("if-match", "\"1\"")
        .send()
        .await
        .unwrap();
    problem(res, StatusCode::PRECONDITION_FAILED).await;
    let res = app
        .post(&format!("{path}/restore"), &editor, &json!({}))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let restored: Value = res.json().await.unwrap();
    assert_eq!(restored["version"], 3);
    assert!(restored.get("deleted_at").is_none());
    assert_eq!(restored["code"], "P-1");
    assert_eq!(app.read(&path).await["title"], project["title"]);
    let res = app
        .post(&format!("{activity_path}/restore"), &editor, &json!({}))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        app.ids(&format!("{path}/activities")).await,
        [id(&activity)]
    );

    // Restoring a live record is a conflict, not a silent success.
    let res = app
        .post(&format!("{path}/restore"), &editor, &json!({}))
        .await;
    problem(res, StatusCode::CONFLICT).await;
    let history = app.read(&format!("{path}/history")).await;
    assert_eq!(
        actions(history["items"].as_array().unwrap()),
        ["restore", "delete", "create"]
    );
    let (_, viewer) = app.user("viewer").await;
    let res = app
        .post(&format!("{path}/restore"), &viewer, &json!({}))
        .await;
    problem(res, StatusCode::FORBIDDEN).await;
}

#[tokio::test]
async fn unique_values_are_free_again_once_their_record_is_deleted() {
    let app = spawn_app().await;
    let org = app.organisation("Ministry of Justice").await;
    let dialogue = app.dialogue("Khartoum Process").await;
    let project = app.project(project_body("P-1")).await;
    let user = app
        .create(
            "/api/v1/users",
            json!({"email": "Same@Example.org", "display_name": "A", "role": "viewer", "password": PASSWORD}),
        )
        .await;
    let old_token = app.login("same@example.org", PASSWORD).await;
    for path in [
        format!("/api/v1/organisations/{}", id(&org)),
        format!("/api/v1/dialogues/{}", id(&dialogue)),
        format!("/api/v1/projects/{}", id(&project)),
        format!("/api/v1/users/{}", id(&user)),
    ] {
        assert_eq!(
            app.delete(&path, &app.admin).await.status(),
            StatusCode::NO_CONTENT,
            "{path}"
        );
    }
    // A deleted user's tokens stop working at once, and they cannot log in.
    let res = app.get("/api/v1/auth/me", &old_token).await;
    problem(res, StatusCode::UNAUTHORIZED).await;
    let res = app.token_response("same@example.org", PASSWORD).await;
    problem(res, StatusCode::UNAUTHORIZED).await;
    app.organisation("Ministry of Justice").await;
    app.dialogue("Khartoum Process").await;
    app.project(project_body("P-1")).await;
    let again = app
        .create(
            "/api/v1/users",
            json!({"email": "same@example.org", "display_name": "B", "role": "editor", "password": PASSWORD}),
        )
        .await;
    // The new account is the one that logs in; the deleted one cannot.
    let token = app.login("same@example.org", PASSWORD).await;
    let me: Value = app
        .get("/api/v1/auth/me", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["id"], again["id"]);
    let res = app
        .post(
            &format!("/api/v1/users/{}/restore", id(&user)),
            &app.admin,
            &json!({}),
        )
        .await;
    assert_eq!(
        error_fields(&problem(res, StatusCode::CONFLICT).await),
        ["email"]
    );
}

#[tokio::test]
async fn purge_removes_long_deleted_records_for_good_and_records_it() {
    let app = spawn_app().await;
    let old = app.project(project_body("P-OLD")).await;
    let referenced = app.project(project_body("P-REF")).await;
    let recent = app
        .create(
            "/api/v1/activities",
            json!({"project_id": id(&referenced), "kind": "training", "title": "Recently deleted"}),
        )
        .await;
    let live = app.project(project_body("P-LIVE")).await;
    for path in [
        format!("/api/v1/projects/{}", id(&old)),
        format!("/api/v1/activities/{}", id(&recent)),
        format!("/api/v1/projects/{}", id(&referenced)),
    ] {
        assert_eq!(
            app.delete(&path, &app.admin).await.status(),
            StatusCode::NO_CONTENT
        );
    }
    let long_ago = chrono::Utc::now() - chrono::Duration::days(90);
    projects::Entity::update_many()
        .col_expr(projects::Column::DeletedAt, Expr::value(long_ago))
        .filter(projects::Column::DeletedAt.is_not_null())
        .exec(&app.state.db)
        .await
        .unwrap();

    let cutoff = chrono::Utc::now() - chrono::Duration::days(30);
    let report = purge::run(&app.state.db, &Actor::system("purge"), cutoff)
        .await
        .unwrap();
    let row = |r: rihla_domain::ResourceType| {
        report
            .rows
            .iter()
            .find(|x| x.resource == r)
            .unwrap()
            .clone()
    };
    // The recently deleted activity still points at P-REF, so P-REF stays.
    assert_eq!(
        (
            row(rihla_domain::ResourceType::Project).purged,
            row(rihla_domain::ResourceType::Project).kept
        ),
        (1, 1)
    );
    assert_eq!(row(rihla_domain::ResourceType::Activity).purged, 0);

    let res = app
        .get(
            &format!("/api/v1/projects/{}?include_deleted=true", id(&old)),
            &app.admin,
        )
        .await;
    problem(res, StatusCode::NOT_FOUND).await;
    let res = app
        .get(
            &format!("/api/v1/projects/{}?include_deleted=true", id(&referenced)),
            &app.admin,
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        app.read(&format!("/api/v1/projects/{}", id(&live))).await["code"],
        "P-LIVE"
    );
    // The trail keeps the purge, with the record as it was, by the system actor.
    let history = app
        .read(&format!("/api/v1/projects/{}/history", id(&old)))
        .await;
    let purge_event = &history["items"][0];
    assert_eq!(purge_event["action"], "purge");
    assert_eq!(purge_event["actor_type"], "system");
    assert_eq!(purge_event["actor"], "purge");
    assert_eq!(change(purge_event, "code").unwrap()["new"], Value::Null);
    // An admin can still reach a purged record's history through the log.
    let logged = all_events(&app, &format!("&record_id={}&action=purge", id(&old))).await;
    assert_eq!(logged.len(), 1);
    assert_eq!(purge_event["record"]["code"], "P-OLD");
    // The code is free for good; a second run has nothing more to do.
    let again = purge::run(&app.state.db, &Actor::system("purge"), cutoff)
        .await
        .unwrap();
    assert_eq!(again.purged(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_delete_racing_a_new_reference_never_leaves_a_live_record_pointing_at_a_deleted_one() {
    let app = spawn_app().await;
    for round in 0..15 {
        let project = app.project(project_body(&format!("RACE-{round}"))).await;
        let path = format!("/api/v1/projects/{}", id(&project));
        let body = json!({"project_id": id(&project), "kind": "workshop", "title": "Racing"});
        let (deleted, created) = tokio::join!(
            app.delete(&path, &app.admin),
            app.post("/api/v1/activities", &app.admin, &body)
        );
        match (deleted.status(), created.status()) {
            // The delete won: the new activity was refused, as for a missing project.
            (StatusCode::NO_CONTENT, StatusCode::UNPROCESSABLE_ENTITY) => {
                assert_eq!(
                    app.get(&path, &app.admin).await.status(),
                    StatusCode::NOT_FOUND
                );
            }
            // The activity won: the project is still referenced, so it stays.
            (StatusCode::CONFLICT, StatusCode::CREATED) => {
                assert_eq!(app.read(&path).await["code"], project["code"]);
            }
            other => {
                panic!("round {round}: delete and create both went through or failed: {other:?}")
            }
        }
    }
    // Whatever the interleavings, no live activity names a deleted project.
    for activity in app.read("/api/v1/activities?limit=100").await["items"]
        .as_array()
        .unwrap()
    {
        let project = format!(
            "/api/v1/projects/{}",
            activity["project_id"].as_str().unwrap()
        );
        assert_eq!(app.get(&project, &app.admin).await.status(), StatusCode::OK);
    }
}

#[tokio::test]
async fn a_meeting_is_restored_and_its_history_read_under_its_dialogue_or_by_its_id_alone() {
    let app = spawn_app().await;
    let dialogue = app.dialogue("Rabat Process").await;
    let meeting = app
        .meeting(&dialogue, json!({"title": "Thematic meeting"}))
        .await;
    let nested = format!(
        "/api/v1/dialogues/{}/meetings/{}",
        id(&dialogue),
        id(&meeting)
    );
    let flat = format!("/api/v1/meetings/{}", id(&meeting));
    assert_eq!(
        app.delete(&nested, &app.admin).await.status(),
        StatusCode::NO_CONTENT
    );
    assert!(
        app.ids(&format!("/api/v1/dialogues/{}/meetings", id(&dialogue)))
            .await
            .is_empty()
    );

    // Its dialogue deleted too, the meeting cannot come back.
    let dialogue_path = format!("/api/v1/dialogues/{}", id(&dialogue));
    assert_eq!(
        app.delete(&dialogue_path, &app.admin).await.status(),
        StatusCode::NO_CONTENT
    );
    let res = app
        .post(&format!("{flat}/restore"), &app.admin, &json!({}))
        .await;
    assert_eq!(
        error_fields(&problem(res, StatusCode::CONFLICT).await),
        ["dialogue_id"]
    );
    let res = app
        .post(&format!("{dialogue_path}/restore"), &app.admin, &json!({}))
        .await;
    assert_eq!(res.status(), StatusCode::OK);

    let res = app
        .post(&format!("{flat}/restore"), &app.admin, &json!({}))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(app.read(&nested).await["version"], 3);
    for path in [format!("{nested}/history"), format!("{flat}/history")] {
        let history = app.read(&path).await;
        assert_eq!(
            actions(history["items"].as_array().unwrap()),
            ["restore", "delete", "create"]
        );
    }
    // Under another dialogue the meeting does not exist.
    let other = app.dialogue("Khartoum Process").await;
    let res = app
        .get(
            &format!(
                "/api/v1/dialogues/{}/meetings/{}/history",
                id(&other),
                id(&meeting)
            ),
            &app.admin,
        )
        .await;
    problem(res, StatusCode::NOT_FOUND).await;
}
