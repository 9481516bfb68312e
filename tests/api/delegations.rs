use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::paging::assert_pages_follow_sort;
use crate::support::*;

const STATES: [&str; 6] = [
    "planned",
    "nominated",
    "confirmed",
    "attended",
    "cancelled",
    "declined",
];

/// The workflow of DOMAIN.md, written out independently of the server's.
fn allowed(from: &str) -> Vec<&'static str> {
    match from {
        "planned" => vec!["nominated", "cancelled", "declined"],
        "nominated" => vec!["confirmed", "cancelled", "declined"],
        "confirmed" => vec!["attended", "cancelled", "declined"],
        _ => vec![],
    }
}

async fn meeting_of(app: &TestApp, dialogue: &str, title: &str, start: &str) -> (Value, Value) {
    let d = app.dialogue(dialogue).await;
    let m = app
        .meeting(
            &d,
            json!({"title": title, "start_date": start, "end_date": start}),
        )
        .await;
    (d, m)
}

fn delegation(meeting: &Value) -> Value {
    json!({"meeting_id": id(meeting), "country_code": "LY"})
}

#[tokio::test]
async fn a_delegation_round_trips_and_carries_its_meeting_and_dialogue() {
    let app = spawn_app().await;
    let (dialogue, meeting) =
        meeting_of(&app, "Rabat Process", "Steering Committee", "2023-03-14").await;
    let project = app.project(project_body("LIBMITAF")).await;
    let mfa = app.organisation("Ministry of Foreign Affairs").await;
    let body = json!({
        "meeting_id": id(&meeting),
        "project_id": id(&project),
        "country_code": "LY",
        "lead_organisation_id": id(&mfa),
        "status": "nominated",
        "members": [
            {"name": "محمد مصباح", "position": "Head of Division", "organisation_id": id(&mfa), "role": "head", "gender": "male"},
            {"name": "Example Deputy", "position": null, "organisation_id": null, "role": "deputy", "gender": "female"},
            {"name": "Example Interpreter", "position": null, "organisation_id": null, "role": "interpreter", "gender": "undisclosed"}
        ],
        "support_provided": ["briefing", "talking_points", "statement_drafting"],
        "preparation": {"talking_points": "Libya's priorities", "statement": "بيان ليبيا"},
        "report": null,
        "notes": "Example record"
    });
    let res = app.post("/api/v1/delegations", &app.admin, &body).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    let created: Value = res.json().await.unwrap();
    for (k, v) in body.as_object().unwrap() {
        assert_eq!(&created[k], v, "{k}");
    }
    assert_eq!(
        created["meeting"],
        json!({
            "id": meeting["id"], "title": "Steering Committee",
            "start_date": "2023-03-14", "end_date": "2023-03-14",
            "dialogue_id": dialogue["id"], "dialogue_name": "Rabat Process"
        })
    );
    assert_eq!(app.read(&location).await, created);

    // The summary follows the meeting; it is read-only on the delegation.
    app.patch(
        &format!(
            "/api/v1/dialogues/{}/meetings/{}",
            id(&dialogue),
            id(&meeting)
        ),
        &json!({"title": "Steering Committee (renamed)"}),
    )
    .await;
    assert_eq!(
        app.read(&location).await["meeting"]["title"],
        "Steering Committee (renamed)"
    );
    let p = problem(
        app.patch(&location, &json!({"meeting": {"title": "x"}}))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error_fields(&p), ["meeting"]);

    let res = app
        .patch(
            &location,
            &json!({"members": null, "report": "Statement delivered"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let patched: Value = res.json().await.unwrap();
    assert_eq!(patched["members"], json!([]));
    assert_eq!(patched["report"], "Statement delivered");

    let res = app
        .send_json(
            Method::PUT,
            &location,
            &app.admin,
            &json!({"meeting_id": id(&meeting), "status": "nominated"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let replaced: Value = res.json().await.unwrap();
    assert!(replaced["project_id"].is_null());
    assert_eq!(replaced["support_provided"], json!([]));
    assert_eq!(replaced["version"], 3);

    assert_eq!(
        app.delete(&location, &app.admin).await.status(),
        StatusCode::NO_CONTENT
    );
    problem(app.get(&location, &app.admin).await, StatusCode::NOT_FOUND).await;
}

#[tokio::test]
async fn every_delegation_rule_is_enforced_and_nothing_is_stored() {
    let app = spawn_app().await;
    let (_, meeting) = meeting_of(&app, "Rabat Process", "SOM", "2023-03-14").await;
    let missing = uuid::Uuid::now_v7().to_string();
    let with = |k: &str, v: Value| {
        let mut b = delegation(&meeting);
        b[k] = v;
        b
    };
    let cases: Vec<(Value, Vec<&str>)> = vec![
        (json!({"country_code": "LY"}), vec!["meeting_id"]),
        (with("meeting_id", json!(missing)), vec!["meeting_id"]),
        (with("project_id", json!(missing)), vec!["project_id"]),
        (
            with("lead_organisation_id", json!(missing)),
            vec!["lead_organisation_id"],
        ),
        (
            with(
                "members",
                json!([{"name": "A", "role": "member"}, {"name": "B", "organisation_id": missing}]),
            ),
            vec!["members[1].organisation_id"],
        ),
        (
            with(
                "members",
                json!([{"name": "A", "role": "head"}, {"name": "B", "role": "deputy"}, {"name": "C", "role": "head"}]),
            ),
            vec!["members[2].role"],
        ),
        (
            with("members", json!([{"name": " "}])),
            vec!["members[0].name"],
        ),
        (
            with("members", json!([{"name": "A", "gender": "other"}])),
            vec!["members[0].gender"],
        ),
        (
            with("support_provided", json!(["visa", "visa"])),
            vec!["support_provided"],
        ),
        (
            with("support_provided", json!(["catering"])),
            vec!["support_provided[0]"],
        ),
        (with("status", json!("invited")), vec!["status"]),
        (with("country_code", json!("LBY")), vec!["country_code"]),
    ];
    for (body, fields) in cases {
        let res = app.post("/api/v1/delegations", &app.admin, &body).await;
        let p = problem(res, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(error_fields(&p), fields, "{body}");
    }
    // Every dangling reference at once.
    let mut body = with("project_id", json!(missing));
    body["lead_organisation_id"] = json!(missing);
    let p = problem(
        app.post("/api/v1/delegations", &app.admin, &body).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error_fields(&p), ["project_id", "lead_organisation_id"]);
    assert_eq!(app.read("/api/v1/delegations?count=true").await["total"], 0);
}

#[tokio::test]
async fn a_delegation_walks_the_whole_workflow_from_planned_to_attended() {
    let app = spawn_app().await;
    let (_, meeting) = meeting_of(&app, "Khartoum Process", "SOM", "2023-03-14").await;
    let created = app
        .create("/api/v1/delegations", delegation(&meeting))
        .await;
    assert_eq!(created["status"], "planned", "the default");
    let url = format!("/api/v1/delegations/{}", id(&created));
    for (version, status) in [(2, "nominated"), (3, "confirmed"), (4, "attended")] {
        let res = app
            .request(Method::PATCH, &url, &app.admin)
            .header("if-match", format!("\"{}\"", version - 1))
            .json(&json!({"status": status}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK, "to {status}");
        let d: Value = res.json().await.unwrap();
        assert_eq!(d["status"], status);
        assert_eq!(d["version"], version);
    }
    // Other fields may still change while the status stays.
    let res = app
        .patch(
            &url,
            &json!({"status": "attended", "report": "Delivered a statement"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn every_legal_move_succeeds_and_every_illegal_one_is_409_naming_the_state_and_its_next_states()
 {
    let app = spawn_app().await;
    let (_, meeting) = meeting_of(&app, "Rabat Process", "SOM", "2023-03-14").await;
    for from in STATES {
        for to in STATES {
            if from == to {
                continue;
            }
            let mut body = delegation(&meeting);
            body["status"] = json!(from);
            let created = app.create("/api/v1/delegations", body.clone()).await;
            let url = format!("/api/v1/delegations/{}", id(&created));
            let legal = allowed(from).contains(&to);
            // PATCH and PUT go through the same rule.
            let mut replacement = body.clone();
            replacement["status"] = json!(to);
            for (method, payload) in [
                (Method::PATCH, json!({"status": to, "notes": "changed"})),
                (Method::PUT, replacement),
            ] {
                let res = app
                    .send_json(method.clone(), &url, &app.admin, &payload)
                    .await;
                if legal {
                    assert_eq!(res.status(), StatusCode::OK, "{method} {from} -> {to}");
                    break;
                }
                let p = problem(res, StatusCode::CONFLICT).await;
                assert_eq!(p["current_state"], from, "{from} -> {to}");
                assert_eq!(p["allowed_next_states"], json!(allowed(from)), "{from}");
                assert_eq!(error_fields(&p), ["status"]);
                let detail = p["detail"].as_str().unwrap();
                assert!(detail.contains(from) && detail.contains(to), "{detail}");
            }
            let now = app.read(&url).await;
            if legal {
                assert_eq!(now["status"], to);
            } else {
                assert_eq!(now, created, "{from} -> {to} changed nothing");
            }
        }
    }
}

#[tokio::test]
async fn delegation_filters_each_match_only_the_delegations_they_should() {
    let app = spawn_app().await;
    let (rabat, r_meeting) =
        meeting_of(&app, "Rabat Process", "Steering Committee", "2023-03-14").await;
    let (khartoum, k_meeting) =
        meeting_of(&app, "Khartoum Process", "Senior Officials", "2024-05-02").await;
    let k_undated = app
        .meeting(&khartoum, json!({"title": "Undated meeting"}))
        .await;
    let project = app.project(project_body("LIBMITAF")).await;
    let mut a = delegation(&r_meeting);
    a["project_id"] = json!(id(&project));
    let a = app.create("/api/v1/delegations", a).await;
    let mut b = delegation(&k_meeting);
    b["status"] = json!("confirmed");
    let b = app.create("/api/v1/delegations", b).await;
    let mut c = delegation(&k_undated);
    c["country_code"] = json!("TN");
    let c = app.create("/api/v1/delegations", c).await;
    let (a, b, c) = (id(&a), id(&b), id(&c));
    let cases: Vec<(String, Vec<&String>)> = vec![
        (format!("dialogue_id={}", id(&rabat)), vec![&a]),
        (format!("dialogue_id={}", id(&khartoum)), vec![&b, &c]),
        (format!("meeting_id={}", id(&k_meeting)), vec![&b]),
        (format!("project_id={}", id(&project)), vec![&a]),
        ("status=confirmed".into(), vec![&b]),
        ("status=planned".into(), vec![&a, &c]),
        ("status=attended".into(), vec![]),
        ("country_code=TN".into(), vec![&c]),
        ("country_code=LY".into(), vec![&a, &b]),
        ("from=2023-01-01&to=2023-12-31".into(), vec![&a]),
        ("from=2024-01-01".into(), vec![&b]),
        ("to=2023-03-14".into(), vec![&a]),
        ("from=2025-01-01".into(), vec![]),
        (
            format!(
                "dialogue_id={}&from=2024-05-02&to=2024-05-02",
                id(&khartoum)
            ),
            vec![&b],
        ),
    ];
    for (query, want) in cases {
        let got = app.ids(&format!("/api/v1/delegations?{query}")).await;
        let want: Vec<String> = want.into_iter().cloned().collect();
        assert_eq!(sorted(got), sorted(want), "{query}");
    }

    let nested = format!(
        "/api/v1/dialogues/{}/meetings/{}/delegations",
        id(&khartoum),
        id(&k_meeting)
    );
    assert_eq!(app.ids(&nested).await, vec![b.clone()]);
    let got = app
        .ids(&format!("{nested}?meeting_id={}", id(&r_meeting)))
        .await;
    assert_eq!(got, vec![b.clone()], "the path wins");
    let wrong_dialogue = format!(
        "/api/v1/dialogues/{}/meetings/{}/delegations",
        id(&rabat),
        id(&k_meeting)
    );
    problem(
        app.get(&wrong_dialogue, &app.admin).await,
        StatusCode::NOT_FOUND,
    )
    .await;
}

#[tokio::test]
async fn records_a_delegation_refers_to_cannot_be_deleted() {
    let app = spawn_app().await;
    let (dialogue, meeting) = meeting_of(&app, "Rabat Process", "SOM", "2023-03-14").await;
    let project = app.project(project_body("LIBMITAF")).await;
    let lead = app.organisation("Ministry of Foreign Affairs").await;
    let member_org = app.organisation("Ministry of Interior").await;
    let mut body = delegation(&meeting);
    body["project_id"] = json!(id(&project));
    body["lead_organisation_id"] = json!(id(&lead));
    body["members"] = json!([{"name": "A", "organisation_id": id(&member_org)}]);
    let d = app.create("/api/v1/delegations", body).await;
    for url in [
        format!(
            "/api/v1/dialogues/{}/meetings/{}",
            id(&dialogue),
            id(&meeting)
        ),
        format!("/api/v1/projects/{}", id(&project)),
        format!("/api/v1/organisations/{}", id(&lead)),
        format!("/api/v1/organisations/{}", id(&member_org)),
    ] {
        let p = problem(app.delete(&url, &app.admin).await, StatusCode::CONFLICT).await;
        assert_eq!(p["references"][0]["resource"], "delegations", "{url}");
        assert_eq!(p["references"][0]["id"], d["id"], "{url}");
        assert!(p["detail"].as_str().unwrap().contains("SOM"), "{url}");
        assert_eq!(app.get(&url, &app.admin).await.status(), StatusCode::OK);
    }
    app.delete(&format!("/api/v1/delegations/{}", id(&d)), &app.admin)
        .await;
    let meeting_url = format!(
        "/api/v1/dialogues/{}/meetings/{}",
        id(&dialogue),
        id(&meeting)
    );
    assert_eq!(
        app.delete(&meeting_url, &app.admin).await.status(),
        StatusCode::NO_CONTENT
    );
}

#[tokio::test]
async fn delegations_page_in_order_under_every_sort() {
    let app = spawn_app().await;
    let (dialogue, meeting) = meeting_of(&app, "Rabat Process", "SOM", "2023-03-14").await;
    let mut all = Vec::new();
    for i in 0..14 {
        let mut body = delegation(&meeting);
        body["status"] = json!(STATES[i % 4]);
        all.push(app.create("/api/v1/delegations", body).await);
    }
    for d in all.iter().step_by(3) {
        app.patch(
            &format!("/api/v1/delegations/{}", id(d)),
            &json!({"notes": "touched"}),
        )
        .await;
    }
    let mut fresh = Vec::new();
    for d in &all {
        fresh.push(app.read(&format!("/api/v1/delegations/{}", id(d))).await);
    }
    let nested = format!(
        "/api/v1/dialogues/{}/meetings/{}/delegations",
        id(&dialogue),
        id(&meeting)
    );
    for key in ["created_at", "updated_at", "status"] {
        for sort in [key.to_owned(), format!("-{key}")] {
            assert_pages_follow_sort(&app, "/api/v1/delegations", &sort, 4, &fresh).await;
            assert_pages_follow_sort(&app, &nested, &sort, 5, &fresh).await;
        }
    }
}
