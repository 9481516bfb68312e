//! The rules of issue 20's model: date precision (and how lists filter an
//! imprecise date), the results framework, funding and sectors, the
//! facilitator and location changes, and migration 14 carrying rows over.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::*;

async fn activity(app: &TestApp, project: &Value, title: &str, extra: Value) -> reqwest::Response {
    let mut body = json!({"project_id": project["id"], "title": title, "kind": "training"});
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    app.post("/api/v1/activities", &app.admin, &body).await
}

fn titles(page: &Value) -> Vec<String> {
    let mut t: Vec<String> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["title"].as_str().unwrap().to_owned())
        .collect();
    t.sort();
    t
}

#[tokio::test]
async fn an_imprecise_date_reads_back_as_given_and_filters_as_its_whole_period() {
    let app = spawn_app().await;
    let p = app.project(project_body("PREC")).await;
    for (title, extra) in [
        (
            "april",
            json!({"start_date": "2021-04-01", "start_date_precision": "month"}),
        ),
        (
            "year",
            json!({"start_date": "2018-01-01", "start_date_precision": "year", "end_date": "2019-01-01", "end_date_precision": "year"}),
        ),
        (
            "day",
            json!({"start_date": "2021-04-20", "end_date": "2021-04-21"}),
        ),
    ] {
        assert_eq!(
            activity(&app, &p, title, extra).await.status(),
            StatusCode::CREATED
        );
    }
    // Mid-April matches the month of April; mid-2019 the 2018-2019 span.
    let page = app
        .read("/api/v1/activities?from=2021-04-15&to=2021-04-15")
        .await;
    assert_eq!(titles(&page), ["april"]);
    let page = app
        .read("/api/v1/activities?from=2019-07-01&to=2019-07-31")
        .await;
    assert_eq!(titles(&page), ["year"]);
    let page = app.read("/api/v1/activities?from=2021-04-30").await;
    assert_eq!(
        titles(&page),
        ["april"],
        "the last day of April is in April"
    );
    // Reports count an imprecise start over its period too.
    let report = app
        .read("/api/v1/reports/activities?group_by=year&from=2018-06-01&to=2018-06-30")
        .await;
    assert_eq!(report["totals"]["activities"], 1, "{report}");
    let report = app
        .read("/api/v1/reports/activities?group_by=year&from=2021-04-15&to=2021-04-19")
        .await;
    assert_eq!(report["totals"]["activities"], 1, "{report}");
    // Projects: start_from compares with the end of the start's period.
    let mut body = project_body("PREC-M");
    body["start_date"] = json!("2021-04-01");
    body["start_date_precision"] = json!("month");
    body["end_date"] = json!("2023-11-01");
    body["end_date_precision"] = json!("month");
    let m = app.project(body).await;
    assert_eq!(m["end_date_precision"], "month");
    let page = app
        .read("/api/v1/projects?start_from=2021-04-10&start_to=2021-04-10")
        .await;
    let codes: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["PREC-M"]);

    // A month is written as its first day; an end inside the start's month is fine.
    let bad = [
        (
            json!({"start_date": "2021-04-15", "start_date_precision": "month"}),
            "start_date",
        ),
        (
            json!({"start_date": "2018-03-01", "start_date_precision": "year"}),
            "start_date",
        ),
        (
            json!({"start_date": "2021-05-01", "end_date": "2021-04-01", "end_date_precision": "month"}),
            "end_date",
        ),
        (
            json!({"start_date_precision": "week"}),
            "start_date_precision",
        ),
    ];
    for (extra, field) in bad {
        let res = activity(&app, &p, "bad", extra.clone()).await;
        let status = res.status();
        let body: Value = res.json().await.unwrap();
        assert!(
            status == StatusCode::UNPROCESSABLE_ENTITY || status == StatusCode::BAD_REQUEST,
            "{extra}"
        );
        if status == StatusCode::UNPROCESSABLE_ENTITY {
            assert!(
                error_fields(&body).contains(&field.to_owned()),
                "{extra}: {body}"
            );
        }
    }
    let ok = activity(&app, &p, "in april", json!({"start_date": "2021-04-01", "start_date_precision": "month", "end_date": "2021-04-10"})).await;
    assert_eq!(ok.status(), StatusCode::CREATED);
    let page = app.read("/api/v1/activities?q=bad").await;
    assert_eq!(page["items"], json!([]), "nothing stored");
}

#[tokio::test]
async fn indicators_funding_and_sectors_are_validated() {
    let app = spawn_app().await;
    let ec = app.organisation("European Commission").await;
    let other = app.organisation("Someone").await;
    let mut body = project_body("RES");
    body["participating_organisations"] = json!([{"organisation_id": ec["id"], "role": "funding"}, {"organisation_id": other["id"], "role": "partner"}]);
    body["outcomes"] = json!([
        {"code": "OC1", "title": "t", "indicators": [
            {"code": "I1", "title": "i", "measure": "percentage",
             "baseline": {"year": 2020, "value": 101},
             "periods": [
                {"start": "2021-01-01", "end": "2021-12-31", "target": 50},
                {"start": "2021-06-01", "end": "2022-05-31", "target": 60},
                {"start": "2023-01-01", "end": "2022-12-31", "actual": -1}
             ]},
            {"code": "I1", "title": "twice", "measure": "qualitative", "periods": [{"start": "2021-01-01", "end": "2021-12-31", "target": 1}]}
        ]}
    ]);
    body["commitments"] = json!([{"organisation_id": other["id"], "amount": "10", "currency": "EUR", "value_date": "2021-01-01"}]);
    body["budget_lines"] = json!([{"period_start": "2021-01-01", "period_end": "2021-01-01", "amount": "1", "currency": "EUR", "type": "original", "status": "committed"}]);
    body["sectors"] = json!([{"vocabulary": "1", "code": "15190", "percentage": 60}, {"vocabulary": "1", "code": "99999", "percentage": 30}]);
    let res = app.post("/api/v1/projects", &app.admin, &body).await;
    let problem = problem(res, StatusCode::UNPROCESSABLE_ENTITY).await;
    let mut fields = error_fields(&problem);
    fields.sort();
    let mut expected = vec![
        "budget_lines[0].period_end",
        "commitments[0].organisation_id",
        "outcomes[0].indicators[0].baseline.value",
        "outcomes[0].indicators[0].periods[1]",
        "outcomes[0].indicators[0].periods[2].end",
        "outcomes[0].indicators[0].periods[2].actual",
        "outcomes[0].indicators[1].code",
        "outcomes[0].indicators[1].periods[0].target",
        "sectors",
        "sectors[1].code",
    ];
    expected.sort();
    assert_eq!(fields, expected, "{problem}");
    assert_eq!(app.read("/api/v1/projects?count=true").await["total"], 0);
}

#[tokio::test]
async fn activities_name_their_projects_indicators_and_facilitating_organisations() {
    let app = spawn_app().await;
    let mut body = project_body("IND");
    body["outcomes"] = json!([{"code": "OC1", "title": "t", "indicators": [{"code": "I1", "title": "i", "measure": "unit"}]}]);
    let p = app.project(body.clone()).await;
    let secretariat = app.organisation("Rabat Process secretariat").await;
    let res = activity(&app, &p, "unknown", json!({"indicator_codes": ["I9"]})).await;
    assert_eq!(
        error_fields(&problem(res, StatusCode::UNPROCESSABLE_ENTITY).await),
        ["indicator_codes[0]"]
    );
    let res = activity(&app, &p, "ghost", json!({"facilitators": [{"name": "x", "role": "speaker", "kind": "organisation", "organisation_id": "01234567-89ab-7def-8123-456789abcdef"}]})).await;
    assert_eq!(
        error_fields(&problem(res, StatusCode::UNPROCESSABLE_ENTITY).await),
        ["facilitators[0].organisation_id"]
    );
    let res = activity(&app, &p, "serves I1", json!({
        "indicator_codes": ["I1"],
        "facilitators": [{"name": "Rabat Process secretariat", "role": "speaker", "kind": "organisation", "organisation_id": secretariat["id"], "position": null}],
        "locations": [{"country_code": "LY"}]
    })).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let a: Value = res.json().await.unwrap();
    assert_eq!(
        a["locations"],
        json!([{"city": null, "country_code": "LY", "venue": null}])
    );
    assert_eq!(
        titles(&app.read("/api/v1/activities?country_code=LY").await),
        ["serves I1"]
    );
    // The indicator cannot be dropped while the activity names it, nor the
    // facilitating organisation deleted.
    body["outcomes"][0]["indicators"] = json!([]);
    let res = app
        .request(
            reqwest::Method::PUT,
            &format!("/api/v1/projects/{}", id(&p)),
            &app.admin,
        )
        .json(&body)
        .send()
        .await
        .unwrap();
    problem(res, StatusCode::CONFLICT).await;
    let res = app
        .delete(
            &format!("/api/v1/organisations/{}", id(&secretariat)),
            &app.admin,
        )
        .await;
    problem(res, StatusCode::CONFLICT).await;
}

#[tokio::test]
async fn migration_14_carries_rows_written_before_it_over() {
    let app = spawn_app().await;
    let p = app.project(project_body("OLD")).await;
    let dialogue = app.dialogue("Rabat Process").await;
    let res = activity(&app, &p, "old", json!({"start_date": "2020-11-18", "end_date": "2020-11-19", "dialogue_id": id(&dialogue),
        "locations": [{"city": "Tripoli", "country_code": "LY"}], "facilitators": [{"name": "A", "role": "trainer"}]})).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let before: Value = res.json().await.unwrap();

    // Back to the schema before migration 14 (its columns gone, the city
    // required again), then forward: the rows must read as they did.
    migrate_again_from(&app, "m20261207_000014_donor_reporting").await;

    let after = app
        .read(&format!("/api/v1/activities/{}", id(&before)))
        .await;
    assert_eq!(after, before);
    assert_eq!(after["start_date_precision"], "day");
    assert_eq!(after["locations"][0]["city"], "Tripoli");
    assert_eq!(
        after["dialogue_ids"],
        json!([id(&dialogue)]),
        "from the dialogue_id column"
    );
    assert_eq!(
        titles(
            &app.read(&format!("/api/v1/activities?dialogue_id={}", id(&dialogue)))
                .await
        ),
        ["old"]
    );
    assert_eq!(
        titles(
            &app.read("/api/v1/activities?from=2020-11-19&to=2020-11-19")
                .await
        ),
        ["old"]
    );
    assert_eq!(
        titles(&app.read("/api/v1/activities?country_code=LY").await),
        ["old"]
    );
    let project = app.read(&format!("/api/v1/projects/{}", id(&p))).await;
    assert_eq!(project["start_date_precision"], "day");
    assert_eq!(project["outcomes"], json!([]));
    let page = app
        .read("/api/v1/projects?start_from=2021-04-01&start_to=2021-04-01")
        .await;
    assert_eq!(
        page["items"].as_array().unwrap().len(),
        1,
        "start_date_last was filled"
    );
}

#[tokio::test]
async fn an_activity_names_several_dialogues_and_dialogue_id_stays_their_first() {
    let app = spawn_app().await;
    let p = app.project(project_body("DIA")).await;
    let rabat = app.dialogue("Rabat Process").await;
    let khartoum = app.dialogue("Khartoum Process").await;
    let euromed = app.dialogue("EUROMED Migration V").await;
    let res = activity(
        &app,
        &p,
        "both",
        json!({"dialogue_ids": [id(&khartoum), id(&rabat)]}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let both: Value = res.json().await.unwrap();
    assert_eq!(both["dialogue_ids"], json!([id(&khartoum), id(&rabat)]));
    assert_eq!(both["dialogue_id"], json!(id(&khartoum)), "the first");
    let res = activity(&app, &p, "old client", json!({"dialogue_id": id(&rabat)})).await;
    let old: Value = res.json().await.unwrap();
    assert_eq!(old["dialogue_ids"], json!([id(&rabat)]));

    // Filters and the report find an activity under each of its dialogues.
    assert_eq!(
        titles(
            &app.read(&format!("/api/v1/activities?dialogue_id={}", id(&rabat)))
                .await
        ),
        ["both", "old client"]
    );
    assert_eq!(
        titles(
            &app.read(&format!("/api/v1/activities?dialogue_id={}", id(&khartoum)))
                .await
        ),
        ["both"]
    );
    let report = app
        .read("/api/v1/reports/activities?group_by=dialogue")
        .await;
    let count = |d: &Value| {
        report["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["group"]["dialogue"] == d["id"])
            .map(|r| r["activities"].clone())
    };
    assert_eq!(count(&rabat), Some(json!(2)));
    assert_eq!(count(&khartoum), Some(json!(1)));
    assert_eq!(report["totals"]["activities"], 2);

    // Bad lists change nothing.
    for (extra, field) in [
        (
            json!({"dialogue_ids": [id(&rabat), id(&rabat)]}),
            "dialogue_ids",
        ),
        (
            json!({"dialogue_id": id(&euromed), "dialogue_ids": [id(&rabat)]}),
            "dialogue_id",
        ),
        (
            json!({"dialogue_ids": [id(&rabat), "01234567-89ab-7def-8123-456789abcdef"]}),
            "dialogue_ids[1]",
        ),
    ] {
        let res = activity(&app, &p, "bad", extra).await;
        let body = problem(res, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(error_fields(&body), [field]);
    }

    // A PATCH of either field replaces both; PUT of what was read round-trips.
    let url = format!("/api/v1/activities/{}", id(&both));
    let res = app
        .patch(&url, &json!({"dialogue_ids": [id(&euromed), id(&rabat)]}))
        .await;
    let patched: Value = res.json().await.unwrap();
    assert_eq!(patched["dialogue_ids"], json!([id(&euromed), id(&rabat)]));
    assert_eq!(patched["dialogue_id"], json!(id(&euromed)));
    let mut body = patched.clone();
    for k in [
        "id",
        "created_at",
        "updated_at",
        "created_by",
        "updated_by",
        "version",
    ] {
        body.as_object_mut().unwrap().remove(k);
    }
    let res = app
        .request(reqwest::Method::PUT, &url, &app.admin)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    // The dialogue in second place cannot be deleted while named.
    problem(
        app.delete(&format!("/api/v1/dialogues/{}", id(&rabat)), &app.admin)
            .await,
        StatusCode::CONFLICT,
    )
    .await;
    let res = app.patch(&url, &json!({"dialogue_id": null})).await;
    let cleared: Value = res.json().await.unwrap();
    assert_eq!(cleared["dialogue_ids"], json!([]));
    let old_url = format!("/api/v1/activities/{}", id(&old));
    let res = app.patch(&old_url, &json!({"dialogue_id": null})).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        app.delete(&format!("/api/v1/dialogues/{}", id(&rabat)), &app.admin)
            .await
            .status(),
        StatusCode::NO_CONTENT
    );
}
