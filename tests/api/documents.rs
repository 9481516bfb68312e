//! Documents: the first resource built on the generic resource layer alone.

use chrono::Utc;
use reqwest::{Method, StatusCode};
use rihla_persistence::Actor;
use rihla_persistence::repo::purge;
use serde_json::{Value, json};

use crate::paging::assert_pages_follow_sort;
use crate::support::*;

/// A project with one activity: (project, activity).
async fn project_with_activity(app: &TestApp, code: &str) -> (Value, Value) {
    let project = app.project(project_body(code)).await;
    let activity = app
        .create(
            "/api/v1/activities",
            json!({"project_id": id(&project), "title": format!("Training of {code}"), "kind": "training"}),
        )
        .await;
    (project, activity)
}

#[tokio::test]
async fn a_document_round_trips_every_field_and_is_patched_replaced_deleted_and_restored() {
    let app = spawn_app().await;
    let icmpd = app.organisation("ICMPD").await;
    let institute = app.organisation("Mansour Rashid Al-Kikhia Institute").await;
    let (project, activity) = project_with_activity(&app, "LIBMITAF").await;
    let body = json!({
        "title": "دليل قانوني للأجانب / Legal Guide for Foreigners",
        "kind": "guide",
        "languages": ["ar", "en"],
        "published_on": "2020-01-15",
        "url": "https://www.icmpd.org/guide.pdf",
        "project_id": id(&project),
        "activity_id": id(&activity),
        "organisations": [
            {"organisation_id": id(&icmpd), "role": "author"},
            {"organisation_id": id(&institute), "role": "partner"}
        ],
        "summary": "Updated under LIBMITAF."
    });
    let res = app.post("/api/v1/documents", &app.admin, &body).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(res.headers()["etag"], "\"1\"");
    let created: Value = res.json().await.unwrap();
    for (k, v) in body.as_object().unwrap() {
        assert_eq!(&created[k], v, "{k}");
    }
    assert_eq!(created["version"], 1);
    assert_eq!(app.read(&location).await, created);

    // A merge patch: a list given replaces the list, null clears a field.
    let res = app
        .send_json(
            Method::PATCH,
            &location,
            &app.admin,
            &json!({"languages": ["en"], "url": null}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let patched: Value = res.json().await.unwrap();
    assert_eq!(patched["languages"], json!(["en"]));
    assert!(patched["url"].is_null());
    assert_eq!(patched["organisations"], body["organisations"]);
    assert_eq!(patched["version"], 2);

    // If-Match names an old version: 412 and nothing changes.
    let res = app
        .request(Method::PUT, &location, &app.admin)
        .header("if-match", "\"1\"")
        .json(&json!({"title": "Other", "kind": "study", "project_id": id(&project)}))
        .send()
        .await
        .unwrap();
    problem(res, StatusCode::PRECONDITION_FAILED).await;
    assert_eq!(app.read(&location).await, patched);

    let res = app
        .request(Method::PUT, &location, &app.admin)
        .header("if-match", "\"2\"")
        .json(&json!({"title": "Legal Guide for Foreigners", "kind": "guide", "project_id": id(&project)}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let replaced: Value = res.json().await.unwrap();
    assert_eq!(replaced["languages"], json!([]));
    assert_eq!(replaced["organisations"], json!([]));
    assert!(replaced["activity_id"].is_null());
    assert_eq!(replaced["version"], 3);

    assert_eq!(
        app.delete(&location, &app.admin).await.status(),
        StatusCode::NO_CONTENT
    );
    problem(app.get(&location, &app.admin).await, StatusCode::NOT_FOUND).await;
    assert!(app.ids("/api/v1/documents").await.is_empty());

    let res = app
        .post(&format!("{location}/restore"), &app.admin, &json!({}))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let restored: Value = res.json().await.unwrap();
    assert_eq!(restored["version"], 5);
    assert_eq!(restored["title"], "Legal Guide for Foreigners");

    // The history has every write, newest first; the feed has them in order.
    let history = app.read(&format!("{location}/history")).await;
    let actions: Vec<&str> = history["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["restore", "delete", "update", "update", "create"]);
    let feed = app
        .read("/api/v1/changes?resource_type=documents&limit=100")
        .await;
    let versions: Vec<i64> = feed["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["record_id"] == created["id"])
        .map(|e| e["version"].as_i64().unwrap())
        .collect();
    assert_eq!(versions, [1, 2, 3, 4, 5]);
}

#[tokio::test]
async fn every_document_rule_is_enforced_and_a_bad_write_changes_nothing() {
    let app = spawn_app().await;
    let (project, activity) = project_with_activity(&app, "P-A").await;
    let (other, _) = project_with_activity(&app, "P-B").await;
    let missing = uuid::Uuid::now_v7().to_string();
    let base =
        || json!({"title": "Study on Libyans Abroad", "kind": "study", "project_id": id(&project)});
    let with = |k: &str, v: Value| {
        let mut b = base();
        b[k] = v;
        b
    };
    let cases: Vec<(Value, Vec<&str>, StatusCode)> = vec![
        (
            json!({"title": "x", "kind": "study"}),
            vec!["project_id"],
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            with("title", json!("  ")),
            vec!["title"],
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            with("languages", json!(["EN"])),
            vec!["languages"],
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            with("languages", json!(["eng"])),
            vec!["languages"],
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            with("languages", json!(["ar", "ar"])),
            vec!["languages"],
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            with("url", json!("ftp://icmpd.org")),
            vec!["url"],
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            with("url", json!("icmpd.org/x")),
            vec!["url"],
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            with("project_id", json!(missing)),
            vec!["project_id"],
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            with("activity_id", json!(missing)),
            vec!["activity_id"],
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            with("project_id", json!(id(&other)))
                .as_object()
                .map(|o| {
                    let mut o = o.clone();
                    o.insert("activity_id".into(), json!(id(&activity)));
                    Value::Object(o)
                })
                .unwrap(),
            vec!["activity_id"],
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            with(
                "organisations",
                json!([{"organisation_id": missing, "role": "author"}]),
            ),
            vec!["organisations[0].organisation_id"],
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            with("kind", json!("novel")),
            vec![],
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    ];
    for (body, fields, status) in cases {
        let p = problem(
            app.post("/api/v1/documents", &app.admin, &body).await,
            status,
        )
        .await;
        for f in fields {
            assert!(
                error_fields(&p).contains(&f.to_owned()),
                "{f} in {p} for {body}"
            );
        }
    }
    // An activity alone is enough; the same document twice per role is not.
    let org = app.organisation("ICMPD").await;
    let twice = json!([{"organisation_id": id(&org), "role": "author"}, {"organisation_id": id(&org), "role": "author"}]);
    let p = problem(
        app.post(
            "/api/v1/documents",
            &app.admin,
            &with("organisations", twice),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert!(error_fields(&p).contains(&"organisations".to_owned()));
    app.create(
        "/api/v1/documents",
        json!({"title": "Draft training plan", "kind": "training_plan", "activity_id": id(&activity)}),
    )
    .await;
    assert_eq!(
        app.ids("/api/v1/documents").await.len(),
        1,
        "only the valid one"
    );

    // A viewer reads but cannot write.
    let (_, viewer) = app.user("viewer").await;
    let res = app.post("/api/v1/documents", &viewer, &base()).await;
    problem(res, StatusCode::FORBIDDEN).await;
    assert_eq!(
        app.get("/api/v1/documents", &viewer).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn documents_filter_by_project_activity_kind_language_and_text_and_page_in_every_sort() {
    let app = spawn_app().await;
    let (a, activity) = project_with_activity(&app, "P-A").await;
    let (b, _) = project_with_activity(&app, "P-B").await;
    let mut all = Vec::new();
    for (i, (title, kind, langs, published, project)) in [
        (
            "Legal Guide for Foreigners",
            "guide",
            json!(["ar", "en"]),
            json!("2020-01-01"),
            &a,
        ),
        ("Trainer's Manual", "manual", json!(["en"]), Value::Null, &a),
        (
            "Migration Dialogues Curriculum",
            "curriculum",
            json!(["ar"]),
            json!("2023-07-01"),
            &b,
        ),
        (
            "Study on Libyans Abroad",
            "study",
            json!([]),
            json!("2019-05-05"),
            &b,
        ),
        (
            "White Paper on Border Security",
            "white_paper",
            json!(["en"]),
            Value::Null,
            &b,
        ),
    ]
    .into_iter()
    .enumerate()
    {
        let mut body = json!({"title": title, "kind": kind, "languages": langs, "published_on": published, "project_id": id(project)});
        if i == 1 {
            body["activity_id"] = json!(id(&activity));
        }
        all.push(app.create("/api/v1/documents", body).await);
    }
    let titles = |path: String| {
        let app = &app;
        async move {
            let page = app.read(&path).await;
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| d["title"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        titles(format!("/api/v1/documents?project_id={}", id(&a))).await,
        ["Legal Guide for Foreigners", "Trainer's Manual"]
    );
    assert_eq!(
        titles(format!("/api/v1/documents?activity_id={}", id(&activity))).await,
        ["Trainer's Manual"]
    );
    assert_eq!(
        titles("/api/v1/documents?kind=study".into()).await,
        ["Study on Libyans Abroad"]
    );
    assert_eq!(
        titles("/api/v1/documents?language=ar".into()).await,
        [
            "Legal Guide for Foreigners",
            "Migration Dialogues Curriculum"
        ]
    );
    assert_eq!(
        titles("/api/v1/documents?q=BORDER".into()).await,
        ["White Paper on Border Security"]
    );
    assert_eq!(
        titles("/api/v1/documents?sort=published_on".into()).await[..3],
        [
            "Study on Libyans Abroad",
            "Legal Guide for Foreigners",
            "Migration Dialogues Curriculum"
        ]
    );
    let counted = app.read("/api/v1/documents?count=true&language=en").await;
    assert_eq!(counted["total"], 3);
    for sort in [
        "title",
        "-title",
        "published_on",
        "-published_on",
        "created_at",
        "-updated_at",
    ] {
        assert_pages_follow_sort(&app, "/api/v1/documents", sort, 2, &all).await;
    }
    problem(
        app.get("/api/v1/documents?sort=kind", &app.admin).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
}

#[tokio::test]
async fn what_a_document_names_cannot_be_deleted_under_it_and_a_restore_needs_it_back() {
    let app = spawn_app().await;
    let org = app.organisation("EUBAM").await;
    let (project, activity) = project_with_activity(&app, "SIMM").await;
    let doc = app
        .create(
            "/api/v1/documents",
            json!({"title": "White Paper", "kind": "white_paper", "project_id": id(&project),
                   "activity_id": id(&activity),
                   "organisations": [{"organisation_id": id(&org), "role": "partner"}]}),
        )
        .await;
    for path in [
        format!("/api/v1/projects/{}", id(&project)),
        format!("/api/v1/activities/{}", id(&activity)),
        format!("/api/v1/organisations/{}", id(&org)),
    ] {
        let p = problem(app.delete(&path, &app.admin).await, StatusCode::CONFLICT).await;
        let refs: Vec<&str> = p["references"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["resource"].as_str().unwrap())
            .collect();
        assert!(refs.contains(&"documents"), "{path}: {p}");
    }
    let doc_path = format!("/api/v1/documents/{}", id(&doc));
    assert_eq!(
        app.delete(&doc_path, &app.admin).await.status(),
        StatusCode::NO_CONTENT
    );
    let activity_path = format!("/api/v1/activities/{}", id(&activity));
    assert_eq!(
        app.delete(&activity_path, &app.admin).await.status(),
        StatusCode::NO_CONTENT
    );
    // Its activity is gone: the document cannot come back.
    let p = problem(
        app.post(&format!("{doc_path}/restore"), &app.admin, &json!({}))
            .await,
        StatusCode::CONFLICT,
    )
    .await;
    assert!(error_fields(&p).contains(&"activity_id".to_owned()), "{p}");
    let res = app
        .post(&format!("{activity_path}/restore"), &app.admin, &json!({}))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = app
        .post(&format!("{doc_path}/restore"), &app.admin, &json!({}))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_deleted_document_is_purged_before_the_project_it_named() {
    let app = spawn_app().await;
    let project = app.project(project_body("OLD")).await;
    let doc = app
        .create(
            "/api/v1/documents",
            json!({"title": "Old study", "kind": "study", "project_id": id(&project)}),
        )
        .await;
    let doc_path = format!("/api/v1/documents/{}", id(&doc));
    let project_path = format!("/api/v1/projects/{}", id(&project));
    assert_eq!(
        app.delete(&doc_path, &app.admin).await.status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.delete(&project_path, &app.admin).await.status(),
        StatusCode::NO_CONTENT
    );
    let report = purge::run(
        &app.state.db,
        &Actor::system("purge"),
        Utc::now() + chrono::Duration::seconds(1),
    )
    .await
    .unwrap();
    let purged = |t: rihla_domain::ResourceType| {
        report
            .rows
            .iter()
            .find(|r| r.resource == t)
            .map(|r| (r.purged, r.kept))
    };
    assert_eq!(purged(rihla_domain::ResourceType::Document), Some((1, 0)));
    assert_eq!(purged(rihla_domain::ResourceType::Project), Some((1, 0)));
    // Gone for good, even for an admin; its history remains.
    problem(
        app.get(&format!("{doc_path}?include_deleted=true"), &app.admin)
            .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    let history = app.read(&format!("{doc_path}/history")).await;
    assert_eq!(history["items"][0]["action"], "purge");
}
