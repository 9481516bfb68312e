use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::paging::assert_pages_follow_sort;
use crate::support::*;

#[tokio::test]
async fn a_dialogue_round_trips_every_field_and_is_patched_replaced_and_deleted() {
    let app = spawn_app().await;
    let icmpd = app.organisation("ICMPD").await;
    let mfa = app.organisation("Ministry of Foreign Affairs").await;
    let body = json!({
        "name": "Rabat Process",
        "acronym": "RP",
        "kind": "interregional_forum",
        "regions": ["West Africa", "Europe"],
        "description": "Euro-African Dialogue on Migration and Development",
        "established_year": 2006,
        "secretariat_organisation_id": id(&icmpd),
        "website": "https://www.rabat-process.org",
        "participation_status": "member",
        "focal_point": {"name": "نقطة الاتصال الوطنية", "position": "Director", "organisation_id": id(&mfa)}
    });
    let res = app.post("/api/v1/dialogues", &app.admin, &body).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    let created: Value = res.json().await.unwrap();
    for (k, v) in body.as_object().unwrap() {
        assert_eq!(&created[k], v, "{k}");
    }
    assert_eq!(app.read(&location).await, created);

    let res = app
        .patch(
            &location,
            &json!({"focal_point": {"position": "Head of Division"}, "regions": null}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let patched: Value = res.json().await.unwrap();
    assert_eq!(patched["focal_point"]["position"], "Head of Division");
    assert_eq!(patched["focal_point"]["name"], "نقطة الاتصال الوطنية");
    assert_eq!(patched["regions"], json!([]));

    let res = app
        .send_json(
            Method::PUT,
            &location,
            &app.admin,
            &json!({"name": "Rabat Process", "kind": "interregional_forum"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let replaced: Value = res.json().await.unwrap();
    assert!(replaced["focal_point"].is_null());
    assert!(replaced["participation_status"].is_null());
    assert_eq!(replaced["version"], 3);

    assert_eq!(
        app.delete(&location, &app.admin).await.status(),
        StatusCode::NO_CONTENT
    );
    problem(app.get(&location, &app.admin).await, StatusCode::NOT_FOUND).await;
}

#[tokio::test]
async fn every_dialogue_rule_is_enforced() {
    let app = spawn_app().await;
    app.dialogue("Khartoum Process").await;
    let missing = uuid::Uuid::now_v7().to_string();
    let base = || json!({"name": "Rabat Process", "kind": "interregional_forum"});
    let with = |k: &str, v: Value| {
        let mut b = base();
        b[k] = v;
        b
    };
    let cases: Vec<(Value, Vec<&str>)> = vec![
        (with("website", json!("ftp://rabat.org")), vec!["website"]),
        (with("website", json!("rabat-process.org")), vec!["website"]),
        (
            with("established_year", json!(1800)),
            vec!["established_year"],
        ),
        (with("kind", json!("club")), vec!["kind"]),
        (
            with("participation_status", json!("friend")),
            vec!["participation_status"],
        ),
        (with("name", json!(" ")), vec!["name"]),
        (
            with("secretariat_organisation_id", json!(missing)),
            vec!["secretariat_organisation_id"],
        ),
        (
            with(
                "focal_point",
                json!({"name": "X", "organisation_id": missing}),
            ),
            vec!["focal_point.organisation_id"],
        ),
        (
            with("focal_point", json!({"position": "X"})),
            vec!["focal_point.name"],
        ),
    ];
    for (body, fields) in cases {
        let res = app.post("/api/v1/dialogues", &app.admin, &body).await;
        let p = problem(res, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(error_fields(&p), fields, "{body}");
    }
    let res = app
        .post(
            "/api/v1/dialogues",
            &app.admin,
            &json!({"name": "Khartoum Process", "kind": "bilateral"}),
        )
        .await;
    let p = problem(res, StatusCode::CONFLICT).await;
    assert_eq!(error_fields(&p), ["name"]);
    assert_eq!(app.read("/api/v1/dialogues?count=true").await["total"], 1);
}

#[tokio::test]
async fn dialogue_filters_each_match_only_the_dialogues_they_should() {
    let app = spawn_app().await;
    let rabat = app
        .create(
            "/api/v1/dialogues",
            json!({"name": "Rabat Process", "kind": "interregional_forum", "participation_status": "member", "regions": ["West Africa"]}),
        )
        .await;
    let mc2cm = app
        .create(
            "/api/v1/dialogues",
            json!({"name": "Mediterranean City-to-City Migration", "acronym": "MC2CM", "kind": "city_network", "participation_status": "reintegrating", "regions": ["Mediterranean"]}),
        )
        .await;
    let emm = app
        .create(
            "/api/v1/dialogues",
            json!({"name": "EUROMED Migration V", "kind": "interregional_forum", "regions": ["Mediterranean"], "description": "Euro-Mediterranean dialogue"}),
        )
        .await;
    let (r, m, e) = (id(&rabat), id(&mc2cm), id(&emm));
    let cases: Vec<(&str, Vec<&String>)> = vec![
        ("kind=interregional_forum", vec![&r, &e]),
        ("kind=city_network", vec![&m]),
        ("kind=bilateral", vec![]),
        ("participation_status=member", vec![&r]),
        ("participation_status=reintegrating", vec![&m]),
        ("region=Mediterranean", vec![&m, &e]),
        ("region=West%20Africa", vec![&r]),
        ("region=Mediter", vec![]),
        ("q=mc2cm", vec![&m]),
        ("q=euro-med", vec![&e]),
        ("q=process", vec![&r]),
        ("kind=interregional_forum&region=Mediterranean", vec![&e]),
    ];
    for (query, want) in cases {
        let got = app.ids(&format!("/api/v1/dialogues?{query}")).await;
        let want: Vec<String> = want.into_iter().cloned().collect();
        assert_eq!(sorted(got), sorted(want), "{query}");
    }
    problem(
        app.get("/api/v1/dialogues?kind=club", &app.admin).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
}

#[tokio::test]
async fn meetings_live_under_their_dialogue() {
    let app = spawn_app().await;
    let rabat = app.dialogue("Rabat Process").await;
    let khartoum = app.dialogue("Khartoum Process").await;
    let body = json!({
        "title": "Senior Officials Meeting", "meeting_type": "senior_officials",
        "start_date": "2023-03-14", "end_date": "2023-03-15",
        "city": "Rabat", "country_code": "MA", "modality": "in_person", "status": "planned"
    });
    let res = app
        .post(
            &format!("/api/v1/dialogues/{}/meetings", id(&rabat)),
            &app.admin,
            &body,
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    let meeting: Value = res.json().await.unwrap();
    assert_eq!(
        location,
        format!("/api/v1/dialogues/{}/meetings/{}", id(&rabat), id(&meeting))
    );
    for (k, v) in body.as_object().unwrap() {
        assert_eq!(&meeting[k], v, "{k}");
    }
    assert_eq!(meeting["dialogue_id"], rabat["id"]);
    assert_eq!(app.read(&location).await, meeting);

    // The same meeting is not found under another dialogue, for any method.
    let elsewhere = format!(
        "/api/v1/dialogues/{}/meetings/{}",
        id(&khartoum),
        id(&meeting)
    );
    problem(app.get(&elsewhere, &app.admin).await, StatusCode::NOT_FOUND).await;
    problem(
        app.patch(&elsewhere, &json!({"status": "held"})).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    problem(
        app.delete(&elsewhere, &app.admin).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    problem(
        app.post(
            &format!("/api/v1/dialogues/{}/meetings", uuid::Uuid::now_v7()),
            &app.admin,
            &body,
        )
        .await,
        StatusCode::NOT_FOUND,
    )
    .await;

    let res = app
        .patch(&location, &json!({"status": "held", "city": null}))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let patched: Value = res.json().await.unwrap();
    assert_eq!(patched["status"], "held");
    assert!(patched["city"].is_null());
    assert_eq!(patched["version"], 2);

    let res = app
        .patch(&location, &json!({"end_date": "2023-03-01"}))
        .await;
    let p = problem(res, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(error_fields(&p), ["end_date"]);

    let res = app
        .request(Method::PUT, &location, &app.admin)
        .header("if-match", "\"1\"")
        .json(&body)
        .send()
        .await
        .unwrap();
    problem(res, StatusCode::PRECONDITION_FAILED).await;

    assert_eq!(
        app.delete(&location, &app.admin).await.status(),
        StatusCode::NO_CONTENT
    );
    problem(app.get(&location, &app.admin).await, StatusCode::NOT_FOUND).await;
}

#[tokio::test]
async fn meeting_lists_filter_and_the_nested_one_returns_only_its_dialogues_meetings() {
    let app = spawn_app().await;
    let rabat = app.dialogue("Rabat Process").await;
    let khartoum = app.dialogue("Khartoum Process").await;
    let r1 = app
        .meeting(
            &rabat,
            json!({"title": "Steering Committee", "meeting_type": "steering_committee", "start_date": "2023-03-14", "end_date": "2023-03-15", "country_code": "MA", "status": "held"}),
        )
        .await;
    let r2 = app
        .meeting(
            &rabat,
            json!({"title": "Thematic meeting", "meeting_type": "thematic", "start_date": "2024-06-01", "status": "planned"}),
        )
        .await;
    let k1 = app
        .meeting(
            &khartoum,
            json!({"title": "Senior Officials Meeting", "meeting_type": "senior_officials", "start_date": "2023-03-15", "end_date": "2023-03-16", "country_code": "ET", "status": "held"}),
        )
        .await;
    let k2 = app
        .meeting(&khartoum, json!({"title": "Undated meeting"}))
        .await;
    let (r1, r2, k1, k2) = (id(&r1), id(&r2), id(&k1), id(&k2));

    let nested = format!("/api/v1/dialogues/{}/meetings", id(&rabat));
    assert_eq!(
        sorted(app.ids(&nested).await),
        sorted(vec![r1.clone(), r2.clone()])
    );
    let got = app
        .ids(&format!("{nested}?dialogue_id={}", id(&khartoum)))
        .await;
    assert_eq!(
        sorted(got),
        sorted(vec![r1.clone(), r2.clone()]),
        "path wins"
    );
    assert_eq!(
        app.ids(&format!("{nested}?status=planned")).await,
        vec![r2.clone()]
    );
    problem(
        app.get(
            &format!("/api/v1/dialogues/{}/meetings", uuid::Uuid::now_v7()),
            &app.admin,
        )
        .await,
        StatusCode::NOT_FOUND,
    )
    .await;

    let cases: Vec<(String, Vec<&String>)> = vec![
        (String::new(), vec![&r1, &r2, &k1, &k2]),
        (format!("dialogue_id={}", id(&khartoum)), vec![&k1, &k2]),
        ("status=held".into(), vec![&r1, &k1]),
        ("status=cancelled".into(), vec![]),
        ("meeting_type=thematic".into(), vec![&r2]),
        ("country_code=ET".into(), vec![&k1]),
        ("from=2023-03-15&to=2023-03-15".into(), vec![&r1, &k1]),
        ("from=2023-03-16&to=2023-12-31".into(), vec![&k1]),
        ("from=2024-01-01".into(), vec![&r2]),
        ("to=2023-03-14".into(), vec![&r1]),
        ("q=officials".into(), vec![&k1]),
    ];
    for (query, want) in cases {
        let got = app.ids(&format!("/api/v1/meetings?{query}")).await;
        let want: Vec<String> = want.into_iter().cloned().collect();
        assert_eq!(sorted(got), sorted(want), "{query}");
    }
    problem(
        app.get("/api/v1/meetings?from=2024-01-02&to=2024-01-01", &app.admin)
            .await,
        StatusCode::BAD_REQUEST,
    )
    .await;
}

#[tokio::test]
async fn deleting_a_dialogue_with_meetings_or_activities_is_a_conflict() {
    let app = spawn_app().await;
    let dialogue = app.dialogue("Khartoum Process").await;
    let meeting = app
        .meeting(&dialogue, json!({"title": "Ministerial Conference"}))
        .await;
    let url = format!("/api/v1/dialogues/{}", id(&dialogue));
    let p = problem(app.delete(&url, &app.admin).await, StatusCode::CONFLICT).await;
    assert_eq!(p["references"][0]["resource"], "meetings");
    assert_eq!(p["references"][0]["id"], meeting["id"]);
    assert!(
        p["detail"]
            .as_str()
            .unwrap()
            .contains("Ministerial Conference")
    );

    app.delete(&format!("{url}/meetings/{}", id(&meeting)), &app.admin)
        .await;
    let project = app.project(project_body("P1")).await;
    let activity = app
        .create(
            "/api/v1/activities",
            json!({"project_id": id(&project), "title": "Preparing for the Khartoum Process", "kind": "training", "dialogue_id": id(&dialogue)}),
        )
        .await;
    let p = problem(app.delete(&url, &app.admin).await, StatusCode::CONFLICT).await;
    assert_eq!(p["references"][0]["resource"], "activities");
    assert_eq!(p["references"][0]["id"], activity["id"]);

    app.patch(
        &format!("/api/v1/activities/{}", id(&activity)),
        &json!({"dialogue_id": null}),
    )
    .await;
    assert_eq!(
        app.delete(&url, &app.admin).await.status(),
        StatusCode::NO_CONTENT
    );
}

#[tokio::test]
async fn an_organisation_a_dialogue_names_cannot_be_deleted() {
    let app = spawn_app().await;
    let org = app.organisation("ICMPD").await;
    let dialogue = app
        .create(
            "/api/v1/dialogues",
            json!({"name": "Rabat Process", "kind": "interregional_forum", "secretariat_organisation_id": id(&org)}),
        )
        .await;
    let url = format!("/api/v1/organisations/{}", id(&org));
    let p = problem(app.delete(&url, &app.admin).await, StatusCode::CONFLICT).await;
    assert_eq!(p["references"][0]["resource"], "dialogues");
    assert_eq!(p["references"][0]["id"], dialogue["id"]);
}

#[tokio::test]
async fn dialogues_and_meetings_page_in_order_under_every_sort() {
    let app = spawn_app().await;
    let mut dialogues = Vec::new();
    for i in 0..13 {
        dialogues.push(app.dialogue(&format!("Dialogue {:02}", (i * 7) % 13)).await);
    }
    for d in dialogues.iter().step_by(3) {
        app.patch(
            &format!("/api/v1/dialogues/{}", id(d)),
            &json!({"description": "touched"}),
        )
        .await;
    }
    let mut fresh = Vec::new();
    for d in &dialogues {
        fresh.push(app.read(&format!("/api/v1/dialogues/{}", id(d))).await);
    }
    for key in ["name", "created_at", "updated_at"] {
        for sort in [key.to_owned(), format!("-{key}")] {
            assert_pages_follow_sort(&app, "/api/v1/dialogues", &sort, 4, &fresh).await;
        }
    }

    let host = &dialogues[0];
    let mut meetings = Vec::new();
    for i in 0..17 {
        let mut body = json!({"title": format!("Meeting {}", i % 5)});
        if i % 4 != 0 {
            body["start_date"] = json!(format!("2023-0{}-0{}", 1 + i % 4, 1 + i % 3));
        }
        if i % 3 == 0 {
            body["end_date"] = json!("2023-12-31");
            body["start_date"] = json!("2023-12-01");
        }
        meetings.push(app.meeting(host, body).await);
    }
    let nested = format!("/api/v1/dialogues/{}/meetings", id(host));
    for key in [
        "start_date",
        "end_date",
        "title",
        "created_at",
        "updated_at",
    ] {
        for sort in [key.to_owned(), format!("-{key}")] {
            assert_pages_follow_sort(&app, &nested, &sort, 5, &meetings).await;
            assert_pages_follow_sort(&app, "/api/v1/meetings", &sort, 6, &meetings).await;
        }
    }
}

/// Issue 29: a meeting found in the calendar or the feed is read by its id
/// alone, as under its dialogue; a deleted one only by admins asking for it.
#[tokio::test]
async fn a_meeting_is_read_by_its_id_alone() {
    let app = spawn_app().await;
    let dialogue = app.dialogue("Rabat Process").await;
    let meeting = app
        .meeting(
            &dialogue,
            json!({"title": "Thematic meeting", "start_date": "2023-03-14", "end_date": "2023-03-15"}),
        )
        .await;
    let nested = format!(
        "/api/v1/dialogues/{}/meetings/{}",
        id(&dialogue),
        id(&meeting)
    );
    let alone = format!("/api/v1/meetings/{}", id(&meeting));
    let (_, viewer) = app.user("viewer").await;
    assert_eq!(
        app.read_as(&viewer, &alone).await,
        app.read_as(&viewer, &nested).await
    );
    let res = app
        .get(
            &format!("/api/v1/meetings/{}", uuid::Uuid::now_v7()),
            &viewer,
        )
        .await;
    problem(res, StatusCode::NOT_FOUND).await;
    assert_eq!(
        app.delete(&nested, &app.admin).await.status(),
        StatusCode::NO_CONTENT
    );
    problem(app.get(&alone, &viewer).await, StatusCode::NOT_FOUND).await;
    let deleted = app.read(&format!("{alone}?include_deleted=true")).await;
    assert!(deleted["deleted_at"].is_string(), "{deleted}");
    let res = app
        .request(Method::GET, &alone, &viewer)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}
