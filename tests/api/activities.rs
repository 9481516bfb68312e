use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::paging::assert_pages_follow_sort;
use crate::support::*;

/// A project with outcomes OC1 and OC3.
async fn project_with_outcomes(app: &TestApp, code: &str) -> Value {
    let mut body = project_body(code);
    body["outcomes"] = json!([
        {"code": "OC1", "title": "Mandates and capacities identified"},
        {"code": "OC3", "title": "Reintegration into dialogues supported"}
    ]);
    app.project(body).await
}

fn activity(project: &Value, title: &str) -> Value {
    json!({"project_id": id(project), "title": title, "kind": "workshop"})
}

#[tokio::test]
async fn an_activity_round_trips_every_field() {
    let app = spawn_app().await;
    let project = project_with_outcomes(&app, "LIBMITAF").await;
    let dialogue = app.dialogue("Rabat Process").await;
    let icmpd = app.organisation("ICMPD").await;
    let mfa = app.organisation("وزارة الخارجية والتعاون الدولي").await;
    let body = json!({
        "project_id": id(&project),
        "outcome_code": "OC3",
        "dialogue_id": id(&dialogue),
        "title": "تدريب حول حوارات الهجرة — Training on Migration Dialogues",
        "kind": "training",
        "status": "completed",
        "start_date": "2023-07-17",
        "start_date_precision": "day",
        "end_date": "2023-07-18",
        "end_date_precision": "day",
        "modality": "hybrid",
        "locations": [
            {"city": "Tripoli", "country_code": "LY", "venue": "Diplomatic Institute"},
            {"city": "Tunis", "country_code": "TN", "venue": null},
            {"city": null, "country_code": "EG", "venue": null}
        ],
        "organisations": [
            {"organisation_id": id(&icmpd), "role": "organiser"},
            {"organisation_id": id(&mfa), "role": "participant"}
        ],
        "topics": ["migration dialogues", "statement drafting"],
        "description": "Practical steps in preparation for a Migration Dialogue.",
        "outputs": ["Draft training plan", "Talking points"],
        "participants": {"planned": 20, "actual": 18, "female": 7, "male": 11},
        "facilitators": [
            {"name": "Megan Pilli", "affiliation": "ICMPD", "role": "trainer", "position": "Project Manager", "organisation_id": id(&icmpd), "kind": "person"},
            {"name": "Khaled Shorman", "affiliation": null, "role": "expert", "position": null, "organisation_id": null, "kind": "person"},
            {"name": "Rabat Process secretariat", "affiliation": null, "role": "speaker", "position": null, "organisation_id": null, "kind": "organisation"}
        ],
        "indicator_codes": [],
        "sessions": 4,
        "organisations_reached": 27,
        "notes": "Participant figures are ours, for the test."
    });
    let res = app.post("/api/v1/activities", &app.admin, &body).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(res.headers()["etag"], "\"1\"");
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    let created: Value = res.json().await.unwrap();
    for (k, v) in body.as_object().unwrap() {
        assert_eq!(&created[k], v, "{k}");
    }
    assert_eq!(created["version"], 1);
    assert!(created["created_by"].is_string());
    let res = app.get(&location, &app.admin).await;
    assert_eq!(res.headers()["etag"], "\"1\"");
    assert_eq!(res.json::<Value>().await.unwrap(), created);
}

#[tokio::test]
async fn an_activity_is_patched_replaced_and_deleted() {
    let app = spawn_app().await;
    let project = project_with_outcomes(&app, "P1").await;
    let mut body = activity(&project, "Working session");
    body["participants"] = json!({"planned": 20});
    body["topics"] = json!(["consular crisis management"]);
    let created = app.create("/api/v1/activities", body).await;
    let url = format!("/api/v1/activities/{}", id(&created));

    let res = app
        .patch(
            &url,
            &json!({"status": "completed", "participants": {"actual": 18, "female": 7, "male": 11}, "topics": null}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["etag"], "\"2\"");
    let patched: Value = res.json().await.unwrap();
    assert_eq!(patched["status"], "completed");
    assert_eq!(
        patched["participants"],
        json!({"planned": 20, "actual": 18, "female": 7, "male": 11}),
        "objects merge"
    );
    assert_eq!(patched["topics"], json!([]));

    // A patch that would break a rule changes nothing.
    let res = app
        .patch(&url, &json!({"participants": {"female": 15}}))
        .await;
    let p = problem(res, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(error_fields(&p), ["participants"]);
    assert_eq!(app.read(&url).await, patched);

    let res = app
        .send_json(
            Method::PUT,
            &url,
            &app.admin,
            &activity(&project, "Replaced"),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let replaced: Value = res.json().await.unwrap();
    assert_eq!(replaced["title"], "Replaced");
    assert_eq!(replaced["status"], "planned");
    assert_eq!(replaced["participants"]["planned"], Value::Null);
    assert_eq!(replaced["version"], 3);

    let stale = app
        .request(Method::DELETE, &url, &app.admin)
        .header("if-match", "\"2\"")
        .send()
        .await
        .unwrap();
    problem(stale, StatusCode::PRECONDITION_FAILED).await;
    assert_eq!(
        app.delete(&url, &app.admin).await.status(),
        StatusCode::NO_CONTENT
    );
    problem(app.get(&url, &app.admin).await, StatusCode::NOT_FOUND).await;
}

#[tokio::test]
async fn every_activity_rule_is_enforced_and_nothing_is_stored() {
    let app = spawn_app().await;
    let project = project_with_outcomes(&app, "P1").await;
    let other = project_with_outcomes(&app, "P2").await;
    let org = app.organisation("ICMPD").await;
    let missing = uuid::Uuid::now_v7().to_string();
    let with = |changes: Value| {
        let mut b = activity(&project, "A");
        for (k, v) in changes.as_object().unwrap() {
            b[k] = v.clone();
        }
        b
    };
    let cases: Vec<(Value, Vec<&str>)> = vec![
        (
            json!({"title": "t", "kind": "workshop"}),
            vec!["project_id"],
        ),
        (with(json!({"project_id": missing})), vec!["project_id"]),
        (with(json!({"outcome_code": "OC9"})), vec!["outcome_code"]),
        (with(json!({"dialogue_id": missing})), vec!["dialogue_id"]),
        (
            with(json!({"organisations": [{"organisation_id": missing, "role": "organiser"}]})),
            vec!["organisations[0].organisation_id"],
        ),
        (
            with(json!({"organisations": [
                {"organisation_id": id(&org), "role": "organiser"},
                {"organisation_id": id(&org), "role": "organiser"}
            ]})),
            vec!["organisations[1]"],
        ),
        (
            with(json!({"start_date": "2022-11-09", "end_date": "2022-11-08"})),
            vec!["end_date"],
        ),
        (
            with(json!({"participants": {"actual": 10, "female": 6, "male": 5}})),
            vec!["participants"],
        ),
        (
            with(json!({"participants": {"planned": -1}})),
            vec!["participants.planned"],
        ),
        (with(json!({"kind": "party"})), vec!["kind"]),
        (with(json!({"modality": "telepathy"})), vec!["modality"]),
        (with(json!({"title": "  "})), vec!["title"]),
        (
            with(json!({"locations": [{"city": "Tripoli", "country_code": "Libya"}]})),
            vec!["locations[0].country_code"],
        ),
        (
            with(json!({"facilitators": [{"name": " ", "role": "trainer"}]})),
            vec!["facilitators[0].name"],
        ),
        (with(json!({"topics": ["a", "a"]})), vec!["topics"]),
        (with(json!({"colour": "red"})), vec!["colour"]),
    ];
    for (body, fields) in cases {
        let res = app.post("/api/v1/activities", &app.admin, &body).await;
        let p = problem(res, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(error_fields(&p), fields, "{body}");
    }
    // Dangling references are all reported at once.
    let res = app
        .post(
            "/api/v1/activities",
            &app.admin,
            &with(json!({"outcome_code": "OC9", "dialogue_id": missing})),
        )
        .await;
    let p = problem(res, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(error_fields(&p), ["outcome_code", "dialogue_id"]);
    // An outcome of another project is not this project's.
    let mut body = activity(&other, "B");
    body["outcome_code"] = json!("OC1");
    app.create("/api/v1/activities", body).await;
    let count = app.read("/api/v1/activities?count=true").await;
    assert_eq!(count["total"], 1, "only the valid activity was stored");
}

#[tokio::test]
async fn activity_filters_each_match_only_the_activities_they_should() {
    let app = spawn_app().await;
    let p1 = project_with_outcomes(&app, "P1").await;
    let p2 = project_with_outcomes(&app, "P2").await;
    let dialogue = app.dialogue("Khartoum Process").await;
    let icmpd = app.organisation("ICMPD").await;
    let mfa = app.organisation("MFA").await;
    let a = app
        .create(
            "/api/v1/activities",
            json!({
                "project_id": id(&p1), "title": "Consular crisis workshop", "kind": "workshop",
                "status": "completed", "modality": "hybrid",
                "start_date": "2020-11-17", "end_date": "2020-11-17",
                "locations": [{"city": "Tripoli", "country_code": "LY"}],
                "organisations": [{"organisation_id": id(&icmpd), "role": "organiser"}],
                "topics": ["consular crisis management"],
                "outputs": ["Training needs identified"]
            }),
        )
        .await;
    let b = app
        .create(
            "/api/v1/activities",
            json!({
                "project_id": id(&p1), "title": "Migration governance course", "kind": "training",
                "status": "completed", "modality": "online", "dialogue_id": id(&dialogue),
                "start_date": "2020-11-18", "end_date": "2020-11-19",
                "locations": [{"city": "Benghazi", "country_code": "LY"}, {"city": "Tunis", "country_code": "TN"}],
                "organisations": [
                    {"organisation_id": id(&icmpd), "role": "co_organiser"},
                    {"organisation_id": id(&mfa), "role": "participant"}
                ],
                "topics": ["migration governance"],
                "description": "With the EUI Migration Policy Centre"
            }),
        )
        .await;
    let c = app
        .create(
            "/api/v1/activities",
            json!({
                "project_id": id(&p2), "title": "Working session", "kind": "working_session",
                "status": "planned", "modality": "in_person",
                "start_date": "2022-11-08", "end_date": "2022-11-09",
                "locations": [{"city": "Geneva", "country_code": "CH"}],
                "organisations": [{"organisation_id": id(&mfa), "role": "participant"}],
                "outputs": ["Draft training plan"]
            }),
        )
        .await;
    let undated = app
        .create("/api/v1/activities", activity(&p2, "Undated conference"))
        .await;
    let (a, b, c, d) = (id(&a), id(&b), id(&c), id(&undated));
    let cases: Vec<(String, Vec<&String>)> = vec![
        (format!("project_id={}", id(&p1)), vec![&a, &b]),
        (format!("project_id={}", id(&p2)), vec![&c, &d]),
        (format!("dialogue_id={}", id(&dialogue)), vec![&b]),
        ("kind=workshop".into(), vec![&a, &d]),
        ("kind=conference".into(), vec![]),
        ("status=planned".into(), vec![&c, &d]),
        ("modality=online".into(), vec![&b]),
        ("country_code=LY".into(), vec![&a, &b]),
        ("country_code=TN".into(), vec![&b]),
        ("country_code=FR".into(), vec![]),
        (format!("organisation_id={}", id(&icmpd)), vec![&a, &b]),
        (
            format!("organisation_id={}&role=organiser", id(&icmpd)),
            vec![&a],
        ),
        (format!("organisation_id={}", id(&mfa)), vec![&b, &c]),
        ("role=participant".into(), vec![&b, &c]),
        ("topic=migration%20governance".into(), vec![&b]),
        ("topic=migration".into(), vec![]),
        // Windows select activities whose period overlaps them.
        ("from=2020-11-19&to=2020-11-19".into(), vec![&b]),
        ("from=2020-11-17&to=2020-11-18".into(), vec![&a, &b]),
        ("from=2021-01-01".into(), vec![&c]),
        ("to=2020-11-17".into(), vec![&a]),
        ("from=2023-01-01&to=2023-12-31".into(), vec![]),
        // q searches title, description and outputs, case-insensitively.
        ("q=CONSULAR".into(), vec![&a]),
        ("q=policy%20centre".into(), vec![&b]),
        ("q=training".into(), vec![&a, &c]),
        ("q=100%25".into(), vec![]),
        (
            format!("project_id={}&status=completed&country_code=TN", id(&p1)),
            vec![&b],
        ),
    ];
    for (query, want) in cases {
        let got = app
            .ids(&format!("/api/v1/activities?{query}&limit=100"))
            .await;
        let want: Vec<String> = want.into_iter().cloned().collect();
        assert_eq!(sorted(got), sorted(want), "{query}");
    }
    for bad in [
        "kind=party",
        "from=2020-11-19&to=2020-11-18",
        "from=yesterday",
        "role=boss",
        "sort=budget",
    ] {
        problem(
            app.get(&format!("/api/v1/activities?{bad}"), &app.admin)
                .await,
            StatusCode::BAD_REQUEST,
        )
        .await;
    }
}

#[tokio::test]
async fn the_nested_route_returns_exactly_its_projects_activities() {
    let app = spawn_app().await;
    let p1 = project_with_outcomes(&app, "P1").await;
    let p2 = project_with_outcomes(&app, "P2").await;
    let mut mine = Vec::new();
    for i in 0..3 {
        mine.push(id(&app
            .create("/api/v1/activities", activity(&p1, &format!("Mine {i}")))
            .await));
        app.create("/api/v1/activities", activity(&p2, &format!("Other {i}")))
            .await;
    }
    let path = format!("/api/v1/projects/{}/activities", id(&p1));
    assert_eq!(sorted(app.ids(&path).await), sorted(mine.clone()));
    // The path's project wins over a project_id in the query.
    let got = app.ids(&format!("{path}?project_id={}", id(&p2))).await;
    assert_eq!(sorted(got), sorted(mine));
    // Filters still apply.
    assert_eq!(app.ids(&format!("{path}?q=Mine%201")).await.len(), 1);
    let unknown = format!("/api/v1/projects/{}/activities", uuid::Uuid::now_v7());
    problem(app.get(&unknown, &app.admin).await, StatusCode::NOT_FOUND).await;
}

#[tokio::test]
async fn activities_page_in_order_under_every_sort() {
    let app = spawn_app().await;
    let project = project_with_outcomes(&app, "P1").await;
    let mut all = Vec::new();
    for i in 0..23 {
        let mut body = activity(&project, &format!("Activity {}", i % 4));
        if i % 5 != 0 {
            body["start_date"] = json!(format!("2021-0{}-1{}", 1 + i % 3, i % 2));
        }
        if i % 3 != 0 {
            body["end_date"] = json!("2023-12-31");
        }
        all.push(app.create("/api/v1/activities", body).await);
    }
    for created in all.iter().step_by(4) {
        let url = format!("/api/v1/activities/{}", id(created));
        assert_eq!(
            app.patch(&url, &json!({"status": "confirmed"}))
                .await
                .status(),
            StatusCode::OK
        );
    }
    let mut fresh = Vec::new();
    for a in &all {
        fresh.push(app.read(&format!("/api/v1/activities/{}", id(a))).await);
    }
    for key in [
        "start_date",
        "end_date",
        "title",
        "created_at",
        "updated_at",
    ] {
        for sort in [key.to_owned(), format!("-{key}")] {
            assert_pages_follow_sort(&app, "/api/v1/activities", &sort, 5, &fresh).await;
            let nested = format!("/api/v1/projects/{}/activities", id(&project));
            assert_pages_follow_sort(&app, &nested, &sort, 7, &fresh).await;
        }
    }
}

#[tokio::test]
async fn deleting_a_project_with_activities_is_a_conflict_that_names_them() {
    let app = spawn_app().await;
    let project = project_with_outcomes(&app, "LIBMITAF").await;
    let created = app
        .create(
            "/api/v1/activities",
            activity(&project, "Training on dialogues"),
        )
        .await;
    let url = format!("/api/v1/projects/{}", id(&project));
    let p = problem(app.delete(&url, &app.admin).await, StatusCode::CONFLICT).await;
    assert_eq!(p["references"][0]["resource"], "activities");
    assert_eq!(p["references"][0]["id"], created["id"]);
    assert!(
        p["detail"]
            .as_str()
            .unwrap()
            .contains("Training on dialogues")
    );
    assert_eq!(app.read(&url).await["version"], 1, "nothing changed");

    app.delete(&format!("/api/v1/activities/{}", id(&created)), &app.admin)
        .await;
    assert_eq!(
        app.delete(&url, &app.admin).await.status(),
        StatusCode::NO_CONTENT
    );
}

#[tokio::test]
async fn removing_an_outcome_that_activities_use_is_a_conflict() {
    let app = spawn_app().await;
    let project = project_with_outcomes(&app, "P1").await;
    let mut body = activity(&project, "Dialogue training");
    body["outcome_code"] = json!("OC3");
    let created = app.create("/api/v1/activities", body).await;
    let url = format!("/api/v1/projects/{}", id(&project));
    let res = app
        .patch(
            &url,
            &json!({"outcomes": [{"code": "OC1", "title": "Mandates and capacities identified"}]}),
        )
        .await;
    let p = problem(res, StatusCode::CONFLICT).await;
    assert_eq!(p["references"][0]["id"], created["id"]);
    assert_eq!(
        app.read(&url).await["outcomes"].as_array().unwrap().len(),
        2
    );
    // Removing an unused outcome is fine.
    let res = app
        .patch(
            &url,
            &json!({"outcomes": [{"code": "OC3", "title": "Reintegration into dialogues supported"}]}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn an_organisation_an_activity_names_cannot_be_deleted() {
    let app = spawn_app().await;
    let project = project_with_outcomes(&app, "P1").await;
    let org = app.organisation("Migration Policy Centre").await;
    let mut body = activity(&project, "Migration governance course");
    body["organisations"] = json!([{"organisation_id": id(&org), "role": "expert_provider"}]);
    let created = app.create("/api/v1/activities", body).await;
    let url = format!("/api/v1/organisations/{}", id(&org));
    let p = problem(app.delete(&url, &app.admin).await, StatusCode::CONFLICT).await;
    assert_eq!(p["references"][0]["resource"], "activities");
    assert_eq!(p["references"][0]["id"], created["id"]);
}

#[tokio::test]
async fn a_viewer_reads_activities_but_cannot_write_them() {
    let app = spawn_app().await;
    let project = project_with_outcomes(&app, "P1").await;
    let (_, viewer) = app.user("viewer").await;
    let created = app
        .create("/api/v1/activities", activity(&project, "Workshop"))
        .await;
    let url = format!("/api/v1/activities/{}", id(&created));
    assert_eq!(app.get(&url, &viewer).await.status(), StatusCode::OK);
    problem(
        app.post("/api/v1/activities", &viewer, &activity(&project, "X"))
            .await,
        StatusCode::FORBIDDEN,
    )
    .await;
    problem(app.delete(&url, &viewer).await, StatusCode::FORBIDDEN).await;
    problem(app.get(&url, "").await, StatusCode::UNAUTHORIZED).await;
}
