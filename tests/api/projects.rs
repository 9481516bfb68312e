use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::*;

async fn full_body(app: &TestApp) -> Value {
    let ec = app.organisation("European Commission").await;
    let sem = app
        .organisation("Swiss State Secretariat for Migration")
        .await;
    let mofa = app.organisation("Ministry of Foreign Affairs").await;
    json!({
        "code": "LIBMITAF",
        "title": "Libya's Migration Technical Assistance Facility",
        "summary": "Strengthening the Libyan national mechanisms for addressing migration.",
        "objective": "Support Libyan institutions in migration governance.",
        "status": "completed",
        "start_date": "2021-04-01",
        "start_date_precision": "month",
        "end_date": "2023-11-01",
        "end_date_precision": "month",
        "planned_start_date": "2021-01-01",
        "planned_start_date_precision": "year",
        "planned_end_date": "2023-12-31",
        "planned_end_date_precision": "day",
        "country_codes": ["LY"],
        "duty_stations": ["Tripoli"],
        "themes": ["capacity_development", "cross_cutting_topics", "governance"],
        "budget": {"amount": "1250000.00", "currency": "EUR"},
        "participating_organisations": [
            {"organisation_id": ec["id"], "role": "funding"},
            {"organisation_id": sem["id"], "role": "funding"},
            {"organisation_id": mofa["id"], "role": "beneficiary"}
        ],
        "outcomes": [
            {"code": "OC3", "title": "Support Libya's reintegration into regional and international dialogues", "description": null,
             "indicators": [
                {"code": "OC3.1", "title": "Dialogue meetings attended", "measure": "unit", "ascending": true,
                 "baseline": {"year": 2021, "value": 0.0, "comment": "none before the project"},
                 "periods": [
                    {"start": "2022-01-01", "end": "2022-12-31", "target": 2.0, "actual": 3.0, "comment": null},
                    {"start": "2023-01-01", "end": "2023-11-30", "target": 2.0, "actual": null, "comment": "not yet reported"}
                 ]},
                {"code": "OC3.2", "title": "Share of trained officials who rate the training useful", "measure": "percentage", "ascending": true,
                 "baseline": null, "periods": [{"start": "2023-07-01", "end": "2023-07-31", "target": 80.0, "actual": 92.5, "comment": null}]},
                {"code": "OC3.3", "title": "Quality of statements", "measure": "qualitative", "ascending": true, "baseline": null,
                 "periods": [{"start": "2023-01-01", "end": "2023-12-31", "target": null, "actual": null, "comment": "Statements delivered in Rabat"}]}
             ]}
        ],
        "commitments": [
            {"organisation_id": ec["id"], "amount": "5000000.00", "currency": "EUR", "value_date": "2021-04-01"},
            {"organisation_id": sem["id"], "amount": "1000000", "currency": "CHF", "value_date": "2021-05-15"}
        ],
        "budget_lines": [
            {"period_start": "2021-04-01", "period_end": "2022-03-31", "amount": "2000000.00", "currency": "EUR", "type": "original", "status": "committed"},
            {"period_start": "2022-04-01", "period_end": "2023-03-31", "amount": "2100000.50", "currency": "EUR", "type": "revised", "status": "indicative"}
        ],
        "sectors": [
            {"vocabulary": "1", "code": "15190", "percentage": 80.0},
            {"vocabulary": "1", "code": "15110", "percentage": 20.0},
            {"vocabulary": "99", "code": "MIG-GOV", "percentage": 100.0}
        ],
        "notes": "Dates to the month, as the project page gives them.",
        "iati_identifier": "XM-DAC-47066-LIBMITAF"
    })
}

#[tokio::test]
async fn a_project_round_trips_every_field() {
    let app = spawn_app().await;
    let body = full_body(&app).await;
    let res = app.post("/api/v1/projects", &app.admin, &body).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    let created: Value = res.json().await.unwrap();
    for (k, v) in body.as_object().unwrap() {
        assert_eq!(&created[k], v, "{k}");
    }
    let fetched: Value = app.get(&location, &app.admin).await.json().await.unwrap();
    assert_eq!(fetched, created);
}

#[tokio::test]
async fn a_project_is_patched_replaced_and_deleted() {
    let app = spawn_app().await;
    let created = app.project(full_body(&app).await).await;
    let url = format!("/api/v1/projects/{}", created["id"].as_str().unwrap());

    let res = app
        .send_json(
            Method::PATCH,
            &url,
            &app.admin,
            &json!({"status": "active", "budget": {"amount": "99.5"}, "themes": null}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["etag"], "\"2\"");
    let patched: Value = res.json().await.unwrap();
    assert_eq!(patched["status"], "active");
    assert_eq!(
        patched["budget"],
        json!({"amount": "99.5", "currency": "EUR"}),
        "merge patch merges objects"
    );
    assert_eq!(patched["themes"], json!([]), "null clears a list");
    assert_eq!(
        patched["participating_organisations"],
        created["participating_organisations"]
    );
    // A write answers with the record it built from what it wrote (it does
    // not read it back, and leaves unchanged child rows alone): a read must
    // find exactly that.
    let stored: Value = app.get(&url, &app.admin).await.json().await.unwrap();
    assert_eq!(stored, patched);

    let res = app
        .send_json(
            Method::PUT,
            &url,
            &app.admin,
            &json!({"code": "LIBMITAF", "title": "Replaced"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let replaced: Value = res.json().await.unwrap();
    assert_eq!(replaced["title"], "Replaced");
    assert_eq!(replaced["status"], "planned");
    assert_eq!(replaced["participating_organisations"], json!([]));
    assert!(replaced["budget"].is_null());
    assert_eq!(replaced["version"], 3);
    assert_eq!(replaced["created_at"], created["created_at"]);
    let stored: Value = app.get(&url, &app.admin).await.json().await.unwrap();
    assert_eq!(stored, replaced);

    assert_eq!(
        app.delete(&url, &app.admin).await.status(),
        StatusCode::NO_CONTENT
    );
    problem(app.get(&url, &app.admin).await, StatusCode::NOT_FOUND).await;
    problem(app.delete(&url, &app.admin).await, StatusCode::NOT_FOUND).await;
}

#[tokio::test]
async fn a_stale_if_match_is_412_and_changes_nothing_while_a_write_without_it_succeeds() {
    let app = spawn_app().await;
    let created = app.project(project_body("P1")).await;
    let url = format!("/api/v1/projects/{}", created["id"].as_str().unwrap());
    let ok = app
        .request(Method::PATCH, &url, &app.admin)
        .header("if-match", "\"1\"")
        .json(&json!({"title": "First"}))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), StatusCode::OK);

    for (method, body) in [
        (Method::PATCH, json!({"title": "Stale"})),
        (Method::PUT, project_body("P1")),
    ] {
        let res = app
            .request(method, &url, &app.admin)
            .header("if-match", "\"1\"")
            .json(&body)
            .send()
            .await
            .unwrap();
        let p = problem(res, StatusCode::PRECONDITION_FAILED).await;
        assert_eq!(p["current_version"], 2);
    }
    let res = app
        .request(Method::DELETE, &url, &app.admin)
        .header("if-match", "\"1\"")
        .send()
        .await
        .unwrap();
    problem(res, StatusCode::PRECONDITION_FAILED).await;

    let now: Value = app.get(&url, &app.admin).await.json().await.unwrap();
    assert_eq!(now["title"], "First");
    assert_eq!(now["version"], 2);

    let res = app
        .send_json(
            Method::PATCH,
            &url,
            &app.admin,
            &json!({"title": "No precondition"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = app
        .request(Method::DELETE, &url, &app.admin)
        .header("if-match", "\"3\"")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn an_idempotent_post_replays_and_a_reused_key_with_another_body_is_422() {
    let app = spawn_app().await;
    let send = |body: Value, key: &'static str| {
        let app = &app;
        async move {
            app.request(Method::POST, "/api/v1/projects", &app.admin)
                .header("idempotency-key", key)
                .json(&body)
                .send()
                .await
                .unwrap()
        }
    };
    let first = send(project_body("IDEM"), "key-1").await;
    assert_eq!(first.status(), StatusCode::CREATED);
    let first_location = first.headers()["location"].clone();
    let first_body: Value = first.json().await.unwrap();

    let again = send(project_body("IDEM"), "key-1").await;
    assert_eq!(again.status(), StatusCode::CREATED);
    assert_eq!(again.headers()["location"], first_location);
    assert_eq!(again.json::<Value>().await.unwrap(), first_body);

    let other = send(project_body("OTHER"), "key-1").await;
    problem(other, StatusCode::UNPROCESSABLE_ENTITY).await;

    let page: Value = app
        .get("/api/v1/projects?count=true", &app.admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["total"], 1, "one project despite three POSTs");

    // A fresh key is a fresh request: the same code now conflicts.
    problem(
        send(project_body("IDEM"), "key-2").await,
        StatusCode::CONFLICT,
    )
    .await;
}

#[tokio::test]
async fn an_arabic_title_round_trips_byte_for_byte() {
    let app = spawn_app().await;
    let title = "إدارة الأزمات القنصلية — معهد منصور رشيد الكيخيا للدراسات الدبلوماسية";
    let mut body = project_body("AR-1");
    body["title"] = json!(title);
    body["summary"] = json!("تعزيز قدرات وزارة الخارجية والتعاون الدولي");
    let created = app.project(body).await;
    let res = app
        .get(
            &format!("/api/v1/projects/{}", created["id"].as_str().unwrap()),
            &app.admin,
        )
        .await;
    let text = res.text().await.unwrap();
    assert!(text.contains(title), "raw UTF-8, not escaped or normalised");
    let fetched: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        fetched["title"].as_str().unwrap().as_bytes(),
        title.as_bytes()
    );
    let found: Value = app
        .get(&format!("/api/v1/projects?q={}", "القنصلية"), &app.admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(found["items"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn every_project_rule_is_enforced_and_reported_together() {
    let app = spawn_app().await;
    let org = app.organisation("Attorney General").await;
    let cases: Vec<(Value, Vec<&str>)> = vec![
        (json!({"code": "", "title": "t"}), vec!["code"]),
        (json!({"code": "has space", "title": "t"}), vec!["code"]),
        (json!({"code": "C1", "title": "   "}), vec!["title"]),
        (json!({"code": "C1"}), vec!["title"]),
        (
            json!({"code": "C1", "title": "t", "status": "paused"}),
            vec!["status"],
        ),
        (
            json!({"code": "C1", "title": "t", "start_date": "2023-01-01", "end_date": "2022-12-31"}),
            vec!["end_date"],
        ),
        (
            json!({"code": "C1", "title": "t", "start_date": "2023-02-30"}),
            vec!["start_date"],
        ),
        (
            json!({"code": "C1", "title": "t", "country_codes": ["ly"]}),
            vec!["country_codes"],
        ),
        (
            json!({"code": "C1", "title": "t", "country_codes": ["LY", "LY"]}),
            vec!["country_codes"],
        ),
        (
            json!({"code": "C1", "title": "t", "duty_stations": [""]}),
            vec!["duty_stations"],
        ),
        (
            json!({"code": "C1", "title": "t", "budget": {"amount": "1.5e6", "currency": "EUR"}}),
            vec!["budget.amount"],
        ),
        (
            json!({"code": "C1", "title": "t", "budget": {"amount": 100, "currency": "EUR"}}),
            vec!["budget.amount"],
        ),
        (
            json!({"code": "C1", "title": "t", "budget": {"amount": "100", "currency": "XYZ"}}),
            vec!["budget.currency"],
        ),
        (
            json!({"code": "C1", "title": "t", "participating_organisations": [{"organisation_id": org["id"], "role": "sponsor"}]}),
            vec!["participating_organisations[0].role"],
        ),
        (
            json!({"code": "C1", "title": "t", "participating_organisations": [{"organisation_id": org["id"], "role": "funding"}, {"organisation_id": org["id"], "role": "funding"}]}),
            vec!["participating_organisations[1]"],
        ),
        (
            json!({"code": "C1", "title": "t", "participating_organisations": [{"organisation_id": uuid::Uuid::now_v7(), "role": "funding"}]}),
            vec!["participating_organisations[0].organisation_id"],
        ),
        (
            json!({"code": "C1", "title": "t", "outcomes": [{"code": "OC1", "title": "a"}, {"code": "OC1", "title": "b"}]}),
            vec!["outcomes[1].code"],
        ),
        (
            json!({"code": "C1", "title": "t", "outcomes": [{"code": "OC1", "title": ""}]}),
            vec!["outcomes[0].title"],
        ),
        (
            json!({"code": "C1", "title": "t", "iati_identifier": "bad id"}),
            vec!["iati_identifier"],
        ),
        (
            json!({"code": "C1", "title": "t", "colour": "blue"}),
            vec!["colour"],
        ),
        (
            json!({"code": "", "title": "", "country_codes": ["XX"], "start_date": "2023-01-01", "end_date": "2022-01-01"}),
            vec!["code", "title", "country_codes", "end_date"],
        ),
    ];
    for (body, expected) in cases {
        let res = app.post("/api/v1/projects", &app.admin, &body).await;
        let p = problem(res, StatusCode::UNPROCESSABLE_ENTITY).await;
        let fields = error_fields(&p);
        for f in &expected {
            assert!(
                fields.contains(&f.to_string()),
                "{body}: expected {f} in {fields:?}"
            );
        }
        for e in p["errors"].as_array().unwrap() {
            assert!(e["code"].is_string() && e["message"].is_string(), "{e}");
        }
    }
    let page: Value = app
        .get("/api/v1/projects?count=true", &app.admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["total"], 0, "no rejected request stored anything");
}

#[tokio::test]
async fn a_taken_code_is_409_and_a_bad_patch_changes_nothing() {
    let app = spawn_app().await;
    let a = app.project(project_body("A")).await;
    app.project(project_body("B")).await;
    problem(
        app.post("/api/v1/projects", &app.admin, &project_body("A"))
            .await,
        StatusCode::CONFLICT,
    )
    .await;
    let url = format!("/api/v1/projects/{}", a["id"].as_str().unwrap());
    let res = app
        .send_json(Method::PATCH, &url, &app.admin, &json!({"code": "B"}))
        .await;
    assert_eq!(
        error_fields(&problem(res, StatusCode::CONFLICT).await),
        ["code"]
    );
    let res = app
        .send_json(
            Method::PATCH,
            &url,
            &app.admin,
            &json!({"end_date": "1999-01-01"}),
        )
        .await;
    problem(res, StatusCode::UNPROCESSABLE_ENTITY).await;
    let res = app
        .send_json(
            Method::PATCH,
            &url,
            &app.admin,
            &json!(["not", "an", "object"]),
        )
        .await;
    problem(res, StatusCode::UNPROCESSABLE_ENTITY).await;
    // Removing a field the record does not have is an error, not a no-op.
    let res = app
        .send_json(Method::PATCH, &url, &app.admin, &json!({"colour": null}))
        .await;
    assert_eq!(
        error_fields(&problem(res, StatusCode::UNPROCESSABLE_ENTITY).await),
        ["colour"]
    );
    let now: Value = app.get(&url, &app.admin).await.json().await.unwrap();
    assert_eq!(now, a);
}

#[tokio::test]
async fn unknown_ids_are_404() {
    let app = spawn_app().await;
    let url = format!("/api/v1/projects/{}", uuid::Uuid::now_v7());
    problem(app.get(&url, &app.admin).await, StatusCode::NOT_FOUND).await;
    problem(
        app.send_json(Method::PUT, &url, &app.admin, &project_body("X"))
            .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    problem(
        app.send_json(Method::PATCH, &url, &app.admin, &json!({"title": "x"}))
            .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    problem(app.delete(&url, &app.admin).await, StatusCode::NOT_FOUND).await;
}

#[tokio::test]
async fn projects_filter_by_every_documented_parameter() {
    let app = spawn_app().await;
    let ec = app.organisation("European Commission").await;
    let mofa = app.organisation("Ministry of Foreign Affairs").await;
    let mk = |code: &str,
              status: &str,
              start: &str,
              cc: &str,
              theme: &str,
              orgs: Value,
              summary: &str| {
        json!({"code": code, "title": format!("Title {code}"), "summary": summary, "status": status,
               "start_date": start, "country_codes": [cc], "themes": [theme], "participating_organisations": orgs})
    };
    app.project(mk(
        "SIMM",
        "completed",
        "2018-01-01",
        "LY",
        "governance",
        json!([{"organisation_id": ec["id"], "role": "funding"}]),
        "Consular crisis management",
    ))
    .await;
    app.project(mk("LIBMITAF", "active", "2021-04-01", "LY", "capacity_development",
        json!([{"organisation_id": ec["id"], "role": "funding"}, {"organisation_id": mofa["id"], "role": "beneficiary"}]), "Technical assistance")).await;
    app.project(mk(
        "TUN-1",
        "planned",
        "2024-06-01",
        "TN",
        "governance",
        json!([]),
        "Border management",
    ))
    .await;

    let codes = |q: String| {
        let app = &app;
        async move {
            let res = app
                .get(&format!("/api/v1/projects?sort=code&{q}"), &app.admin)
                .await;
            assert_eq!(res.status(), StatusCode::OK, "{q}");
            let v: Value = res.json().await.unwrap();
            v["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p["code"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    let ec_id = ec["id"].as_str().unwrap();
    let mofa_id = mofa["id"].as_str().unwrap();
    assert_eq!(codes("status=active".into()).await, ["LIBMITAF"]);
    assert_eq!(codes("country_code=LY".into()).await, ["LIBMITAF", "SIMM"]);
    assert_eq!(codes("country_code=TN".into()).await, ["TUN-1"]);
    assert_eq!(codes("theme=governance".into()).await, ["SIMM", "TUN-1"]);
    assert_eq!(
        codes(format!("organisation_id={ec_id}")).await,
        ["LIBMITAF", "SIMM"]
    );
    assert_eq!(
        codes(format!("organisation_id={mofa_id}&role=beneficiary")).await,
        ["LIBMITAF"]
    );
    assert!(
        codes(format!("organisation_id={mofa_id}&role=funding"))
            .await
            .is_empty()
    );
    assert_eq!(
        codes("start_from=2020-01-01".into()).await,
        ["LIBMITAF", "TUN-1"]
    );
    assert_eq!(
        codes("start_to=2021-04-01".into()).await,
        ["LIBMITAF", "SIMM"]
    );
    assert_eq!(
        codes("start_from=2019-01-01&start_to=2022-01-01".into()).await,
        ["LIBMITAF"]
    );
    assert_eq!(codes("q=consular".into()).await, ["SIMM"]);
    assert_eq!(codes("q=libmit".into()).await, ["LIBMITAF"]);
    assert_eq!(codes("q=title%20tun".into()).await, ["TUN-1"]);
    assert_eq!(
        codes("status=active&country_code=TN".into()).await,
        Vec::<String>::new()
    );
    let counted: Value = app
        .get(
            "/api/v1/projects?theme=governance&count=true&limit=1",
            &app.admin,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(counted["total"], 2);
    assert_eq!(counted["items"].as_array().unwrap().len(), 1);
    assert!(counted["next_cursor"].is_string());
    let uncounted: Value = app
        .get("/api/v1/projects", &app.admin)
        .await
        .json()
        .await
        .unwrap();
    assert!(uncounted.get("total").is_none(), "totals only on request");
}

#[tokio::test]
async fn of_concurrent_writers_holding_the_same_etag_exactly_one_wins() {
    let app = spawn_app().await;
    let created = app.project(project_body("RACE")).await;
    let url = format!("/api/v1/projects/{}", created["id"].as_str().unwrap());
    let writers = (0..8).map(|i| {
        let app = &app;
        let url = url.clone();
        async move {
            app.request(Method::PATCH, &url, &app.admin)
                .header("if-match", "\"1\"")
                .json(&json!({"title": format!("writer {i}")}))
                .send()
                .await
                .unwrap()
                .status()
        }
    });
    let statuses = futures_util::future::join_all(writers).await;
    let won = statuses.iter().filter(|s| **s == StatusCode::OK).count();
    let lost = statuses
        .iter()
        .filter(|s| **s == StatusCode::PRECONDITION_FAILED)
        .count();
    assert_eq!((won, lost), (1, 7), "{statuses:?}");
    let now: Value = app.get(&url, &app.admin).await.json().await.unwrap();
    assert_eq!(now["version"], 2);
}

#[tokio::test]
async fn concurrent_duplicates_of_one_idempotency_key_create_one_record() {
    let app = spawn_app().await;
    let posts = (0..6).map(|_| {
        let app = &app;
        async move {
            let res = app
                .request(Method::POST, "/api/v1/projects", &app.admin)
                .header("idempotency-key", "same-key")
                .json(&project_body("ONCE"))
                .send()
                .await
                .unwrap();
            let status = res.status();
            let body: Value = res.json().await.unwrap();
            (status, body["id"].clone())
        }
    });
    let results = futures_util::future::join_all(posts).await;
    let ids: std::collections::HashSet<String> = results
        .iter()
        .filter(|(s, _)| *s == StatusCode::CREATED)
        .map(|(_, id)| id.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids.len(), 1, "{results:?}");
    // A duplicate still in flight may be told to retry (409), never a second record.
    assert!(
        results
            .iter()
            .all(|(s, _)| *s == StatusCode::CREATED || *s == StatusCode::CONFLICT),
        "{results:?}"
    );
    let page: Value = app
        .get("/api/v1/projects?count=true", &app.admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["total"], 1);
}
