use serde_json::{Value, json};

use crate::support::*;

/// Every record of every resource, as the API shows it.
async fn everything(app: &TestApp) -> Value {
    let mut all = serde_json::Map::new();
    for path in [
        "organisations",
        "projects",
        "dialogues",
        "meetings",
        "activities",
        "delegations",
        "documents",
    ] {
        let page = app
            .read(&format!("/api/v1/{path}?limit=100&count=true"))
            .await;
        assert!(page["next_cursor"].is_null(), "{path} fits in one page");
        all.insert(path.to_owned(), page["items"].clone());
    }
    Value::Object(all)
}

#[tokio::test]
async fn seed_demo_loads_the_seed_facts_and_a_second_run_changes_nothing() {
    let app = spawn_app().await;
    let first = rihla_api::demo::seed(&app.state.db).await.unwrap();
    assert!(first.created_total() > 40, "{first}");
    let loaded = everything(&app).await;

    let second = rihla_api::demo::seed(&app.state.db).await.unwrap();
    assert_eq!(second.created_total(), 0, "{second}");
    assert_eq!(second.present, first.created);
    assert_eq!(
        everything(&app).await,
        loaded,
        "nothing changed, not even a version"
    );

    // A few facts straight from the seeds.
    let documents = app.read("/api/v1/documents?limit=100").await;
    let titles: Vec<&str> = documents["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["title"].as_str().unwrap())
        .collect();
    for named in [
        "Legal Guide for Foreigners",
        "Consular Crisis Preparedness and Management Trainer's Manual",
        "Migration Dialogues Training Curriculum",
        "A Comprehensive Study on Libyans Living Abroad",
        "Libyan Secure Borders: White Paper on the Border Security and Management Reform in Libya",
        "Draft training plan on consular crisis management",
    ] {
        assert!(titles.contains(&named), "{named} in {titles:?}");
    }
    let guide = app.read("/api/v1/documents?q=legal%20guide").await;
    assert_eq!(guide["items"][0]["languages"], json!(["ar", "en"]));
    assert_eq!(guide["items"][0]["kind"], "guide");
    assert!(guide["items"][0]["url"].is_null(), "the seeds give no URL");
    assert_eq!(guide["items"][0]["published_on"], "2020-01-01");
    let projects = app.read("/api/v1/projects?q=LIBMITAF").await;
    let libmitaf = &projects["items"][0];
    // "April 2021 to November 2023": months, not days.
    assert_eq!(libmitaf["start_date"], "2021-04-01");
    assert_eq!(libmitaf["start_date_precision"], "month");
    assert_eq!(libmitaf["end_date"], "2023-11-01");
    assert_eq!(libmitaf["end_date_precision"], "month");
    assert!(libmitaf["notes"].as_str().unwrap().contains("examples"));
    assert_eq!(libmitaf["duty_stations"], json!(["Tripoli"]));
    let activities = app
        .read("/api/v1/activities?from=2020-11-17&to=2020-11-19&sort=start_date")
        .await;
    let titles: Vec<&str> = activities["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["title"].as_str().unwrap())
        .collect();
    assert_eq!(
        titles,
        [
            "Awareness-raising workshop on consular crisis management",
            "Migration Governance Training Course"
        ]
    );
    assert_eq!(activities["items"][0]["start_date"], "2020-11-17");
    assert_eq!(activities["items"][0]["start_date_precision"], "day");
    // "Partially via Zoom", and the inferred institute is marked as ours.
    assert_eq!(activities["items"][1]["modality"], "hybrid");
    assert!(
        activities["items"][0]["notes"]
            .as_str()
            .unwrap()
            .contains("is ours")
    );
    // The 2018 and 2019 conferences are found by their year.
    let in_2018 = app
        .read("/api/v1/activities?from=2018-06-01&to=2018-06-30")
        .await;
    let titles: Vec<&str> = in_2018["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["title"].as_str().unwrap())
        .collect();
    assert!(titles.contains(&"Academia Conference 2018"), "{titles:?}");
    assert!(!titles.contains(&"Academia Conference 2019"), "{titles:?}");
    let cso = app.read("/api/v1/activities?q=civil%20society").await["items"][0].clone();
    assert_eq!(
        (
            cso["sessions"].clone(),
            cso["organisations_reached"].clone()
        ),
        (json!(4), json!(27))
    );
    assert_eq!(cso["start_date_precision"], "year");
    // The July 2023 training names the three dialogues it prepared for.
    let july = app
        .read("/api/v1/activities?from=2023-07-17&to=2023-07-17")
        .await["items"][0]
        .clone();
    assert_eq!(july["dialogue_ids"].as_array().unwrap().len(), 3);
    assert_eq!(july["facilitators"][0]["kind"], "organisation");
    // Country-only locations: found by country.
    let in_libya = app
        .read("/api/v1/activities?country_code=LY&limit=100&count=true")
        .await;
    // Every activity but the three the seeds give no place for.
    assert_eq!(in_libya["total"], 6);
    let plan = app
        .read("/api/v1/activities?q=draft%20training%20plan")
        .await;
    assert_eq!(plan["items"][0]["start_date"], "2022-11-08");
    let dialogues = app.read("/api/v1/dialogues?limit=100").await;
    let names: Vec<&str> = dialogues["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["name"].as_str().unwrap())
        .collect();
    for name in [
        "Khartoum Process",
        "Rabat Process",
        "Joint Valletta Action Plan",
    ] {
        assert!(names.contains(&name), "{name}");
    }
    // What the seeds do not give is marked as an example, not invented.
    for d in loaded["delegations"].as_array().unwrap() {
        assert!(d["notes"].as_str().unwrap().starts_with("Example record"));
        assert_eq!(d["members"], json!([]));
    }
}

#[tokio::test]
async fn seed_demo_brings_an_older_demo_database_up_to_date_without_duplicates() {
    let app = spawn_app().await;
    rihla_api::demo::seed(&app.state.db).await.unwrap();
    let current = everything(&app).await;
    // What an older version stored: day-precise dates the seeds never give,
    // and no Training of Trainers record.
    let libmitaf = app.read("/api/v1/projects?q=LIBMITAF").await["items"][0].clone();
    let res = app
        .patch(
            &format!("/api/v1/projects/{}", id(&libmitaf)),
            &json!({"end_date": "2023-11-30", "end_date_precision": "day", "start_date_precision": "day", "notes": null}),
        )
        .await;
    assert_eq!(res.status(), reqwest::StatusCode::OK);
    let tot = app
        .read("/api/v1/activities?q=Training%20of%20Trainers")
        .await["items"][0]
        .clone();
    let res = app
        .delete(&format!("/api/v1/activities/{}", id(&tot)), &app.admin)
        .await;
    assert_eq!(res.status(), reqwest::StatusCode::NO_CONTENT);

    let report = rihla_api::demo::seed(&app.state.db).await.unwrap();
    assert_eq!(report.updated.get("projects"), Some(&1), "{report}");
    assert_eq!(report.created.get("activities"), Some(&1), "{report}");
    let after = everything(&app).await;
    for kind in [
        "organisations",
        "projects",
        "dialogues",
        "activities",
        "documents",
    ] {
        assert_eq!(
            after[kind].as_array().unwrap().len(),
            current[kind].as_array().unwrap().len(),
            "no duplicate {kind}"
        );
    }
    let libmitaf = app.read("/api/v1/projects?q=LIBMITAF").await["items"][0].clone();
    assert_eq!(libmitaf["end_date"], "2023-11-01");
    assert_eq!(libmitaf["end_date_precision"], "month");
}

#[tokio::test]
async fn serve_with_demo_seeds_an_empty_database_at_start() {
    let app = spawn_with(|c| c.demo = true).await;
    let page = app.read("/api/v1/projects?count=true").await;
    assert_eq!(page["total"], 2);
    let page = app.read("/api/v1/delegations?count=true").await;
    assert_eq!(page["total"], 2);
}

#[tokio::test]
async fn demo_data_never_goes_into_a_database_that_holds_records() {
    let app = spawn_app().await;
    app.organisation("Our own ministry").await;
    let report = rihla_api::demo::seed_if_empty(&app.state.db).await.unwrap();
    assert!(report.is_none());
    assert_eq!(app.read("/api/v1/projects?count=true").await["total"], 0);
}
