//! CSV export of every list and report (issue 19), read back with a real CSV
//! parser (the `csv` crate): Arabic text, quotes, commas, newlines and
//! formula-looking cells round-trip; every record comes, not a page; the
//! same filters and sort apply as to the JSON pages.

use reqwest::StatusCode;
use rihla_domain::ResourceType;
use serde_json::{Value, json};

use crate::support::*;

/// Parses a CSV body into its header and rows.
fn parse(body: &[u8]) -> (Vec<String>, Vec<Vec<String>>) {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(body);
    let header = reader
        .headers()
        .expect("header row")
        .iter()
        .map(str::to_owned)
        .collect();
    let rows = reader
        .records()
        .map(|r| {
            r.expect("an RFC 4180 record")
                .iter()
                .map(str::to_owned)
                .collect()
        })
        .collect();
    (header, rows)
}

async fn csv_of(app: &TestApp, token: &str, path: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let res = app.get(path, token).await;
    assert_eq!(res.status(), StatusCode::OK, "GET {path}");
    let ct = res.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(ct.starts_with("text/csv"), "{path}: {ct}");
    let cd = res.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        cd.starts_with("attachment; filename=\"") && cd.ends_with(".csv\""),
        "{cd}"
    );
    let body = res.bytes().await.unwrap();
    assert!(!body.starts_with(b"\xEF\xBB\xBF"), "no BOM unless asked");
    parse(&body)
}

fn column(header: &[String], name: &str) -> usize {
    header
        .iter()
        .position(|h| h == name)
        .unwrap_or_else(|| panic!("no column {name} in {header:?}"))
}

/// What a spreadsheet shows for a text the API stored: the same text, with a
/// `'` in front when it would start a formula.
fn shown(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_owned()
    }
}

#[tokio::test]
async fn a_list_exports_every_record_with_its_filters_and_sort() {
    let app = spawn_app().await;
    let project = app.project(project_body("CSV-1")).await;
    let titles = [
        "تدريب على إدارة الحدود في طرابلس",
        "Workshop, \"coordination\" and follow-up",
        "Two\nlines",
        "Carriage\r\nreturn",
        "=HYPERLINK(\"http://evil.example\",\"click\")",
        "+1 plus",
        "-1 minus",
        "@SUM(A1:A2)",
        "\tTabbed start",
        "Plain title",
    ];
    for (i, title) in titles.iter().enumerate() {
        app.create(
            "/api/v1/activities",
            json!({"project_id": id(&project), "title": title, "kind": "training",
                   "description": format!("Row {i}, with a comma"),
                   "topics": ["حوكمة الهجرة", "data, quality"],
                   "locations": [{"city": "طرابلس", "country_code": "LY"}],
                   "participants": {"planned": i, "actual": null}}),
        )
        .await;
    }
    // More than one export page (100 rows) of workshops.
    for i in 0..105 {
        app.create(
            "/api/v1/activities",
            json!({"project_id": id(&project), "title": format!("Workshop {i:03}"), "kind": "workshop",
                   "start_date": format!("2022-{:02}-{:02}", 1 + i % 12, 1 + i % 28)}),
        )
        .await;
    }

    // Filters apply: only trainings; every field round-trips.
    let (header, rows) = csv_of(
        &app,
        &app.admin,
        "/api/v1/activities?kind=training&format=csv",
    )
    .await;
    assert_eq!(header[0], "id");
    assert_eq!(rows.len(), titles.len());
    let title = column(&header, "title");
    let mut got: Vec<String> = rows.iter().map(|r| r[title].clone()).collect();
    let mut want: Vec<String> = titles.iter().map(|t| shown(t)).collect();
    got.sort();
    want.sort();
    assert_eq!(got, want);
    let planned = column(&header, "participants.planned");
    let topics = column(&header, "topics");
    let locations = column(&header, "locations");
    for row in &rows {
        assert!(row[column(&header, "description")].ends_with(", with a comma"));
        let topics: Value = serde_json::from_str(&row[topics]).unwrap();
        assert_eq!(topics, json!(["حوكمة الهجرة", "data, quality"]));
        let locations: Value = serde_json::from_str(&row[locations]).unwrap();
        assert_eq!(locations[0]["city"], "طرابلس");
        assert!(row[planned].parse::<u32>().is_ok());
        assert_eq!(row[column(&header, "participants.actual")], "");
    }

    // Every record, in the sort the JSON pages give.
    let (header, rows) = csv_of(
        &app,
        &app.admin,
        "/api/v1/activities?kind=workshop&sort=-start_date&format=csv",
    )
    .await;
    assert_eq!(rows.len(), 105);
    let mut paged = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = app
            .read(&format!(
                "/api/v1/activities?kind=workshop&sort=-start_date&limit=100&cursor={cursor}"
            ))
            .await;
        paged.extend(page["items"].as_array().unwrap().iter().map(id));
        match page["next_cursor"].as_str() {
            Some(c) => cursor = c.to_owned(),
            None => break,
        }
    }
    let ids: Vec<String> = rows
        .iter()
        .map(|r| r[column(&header, "id")].clone())
        .collect();
    assert_eq!(ids, paged);

    // A cursor starts the export there; a limit only sizes the first page;
    // a bad limit or cursor is a 400, as for the pages.
    let first = app
        .read("/api/v1/activities?kind=workshop&sort=-start_date&limit=30")
        .await;
    let cursor = first["next_cursor"].as_str().unwrap();
    let (_, rest) = csv_of(
        &app,
        &app.admin,
        &format!("/api/v1/activities?kind=workshop&sort=-start_date&format=csv&cursor={cursor}"),
    )
    .await;
    assert_eq!(rest.len(), 75);
    assert_eq!(rest[0][0], paged[30]);
    for bad in ["limit=1000", "limit=0", "cursor=garbage"] {
        let res = app
            .get(&format!("/api/v1/activities?format=csv&{bad}"), &app.admin)
            .await;
        problem(res, StatusCode::BAD_REQUEST).await;
    }

    // Accept: text/csv does the same; a limit does not cut it short.
    let res = app
        .request(
            reqwest::Method::GET,
            "/api/v1/activities?kind=workshop&limit=5",
            &app.admin,
        )
        .header("Accept", "text/csv")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(parse(&res.bytes().await.unwrap()).1.len(), 105);

    // With a BOM on request; the rest is the same UTF-8.
    let res = app
        .get(
            "/api/v1/activities?kind=training&format=csv&bom=true",
            &app.admin,
        )
        .await;
    let body = res.bytes().await.unwrap();
    assert!(body.starts_with(b"\xEF\xBB\xBF"));
    let (_, with_bom) = parse(&body[3..]);
    assert_eq!(with_bom.len(), titles.len());

    // A bad filter is still a problem, before any CSV.
    let res = app
        .get("/api/v1/activities?sort=colour&format=csv", &app.admin)
        .await;
    problem(res, StatusCode::BAD_REQUEST).await;
    // An empty list still has its header.
    let (header, rows) = csv_of(
        &app,
        &app.admin,
        "/api/v1/activities?kind=coaching&format=csv",
    )
    .await;
    assert!(header.contains(&"title".to_owned()));
    assert!(rows.is_empty());
}

#[tokio::test]
async fn every_list_and_report_answers_in_csv() {
    let app = spawn_app().await;
    let org = app.organisation("Ministry of Interior").await;
    let project = app.project(project_body("CSV-2")).await;
    let activity = app
        .create(
            "/api/v1/activities",
            json!({"project_id": id(&project), "title": "T", "kind": "training"}),
        )
        .await;
    let dialogue = app.dialogue("Rabat Process").await;
    let meeting = app
        .meeting(
            &dialogue,
            json!({"title": "SOM", "meeting_type": "thematic"}),
        )
        .await;
    let delegation = app
        .create(
            "/api/v1/delegations",
            json!({"meeting_id": id(&meeting), "project_id": id(&project),
                   "members": [{"name": "عائشة", "gender": "female", "role": "head"}]}),
        )
        .await;
    let document = app
        .create(
            "/api/v1/documents",
            json!({"title": "Manual", "kind": "manual", "project_id": id(&project)}),
        )
        .await;
    let key = app
        .create(
            "/api/v1/api-keys",
            json!({"name": "System", "role": "viewer"}),
        )
        .await;
    let admin = app.admin_id().await;

    let spec = app.read("/api-docs/openapi.json").await;
    let mut tried = 0;
    for (path, item) in spec["paths"].as_object().unwrap() {
        let Some(get) = item.get("get") else { continue };
        if get["responses"]["200"]["content"].get("text/csv").is_none() {
            continue;
        }
        let names: Vec<&str> = get["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|p| p["name"].as_str())
            .collect();
        assert!(
            names.contains(&"format") && names.contains(&"bom"),
            "{path}"
        );
        assert!(get["responses"].get("406").is_some(), "{path}");
        let record = match path.split('/').nth(3).unwrap() {
            "users" => admin.clone(),
            "api-keys" => id(&key["key"]),
            "organisations" => id(&org),
            "projects" => id(&project),
            "activities" => id(&activity),
            "dialogues" => id(&dialogue),
            "meetings" => id(&meeting),
            "delegations" => id(&delegation),
            "documents" => id(&document),
            // Any other kind of record: one made as the tests make it.
            other => match ResourceType::ALL.iter().find(|t| t.plural() == other) {
                Some(kind) => {
                    one_of(&app, &app.admin, *kind, Some(&id(&project)))
                        .await
                        .id
                }
                None => String::new(),
            },
        };
        let url = path
            .replace("{id}", &record)
            .replace("{meeting_id}", &id(&meeting));
        let (header, _) = csv_of(&app, &app.admin, &format!("{url}?format=csv")).await;
        assert!(!header.is_empty(), "{url}");
        tried += 1;
    }
    // 10 collections, 3 nested lists, 11 histories, the audit log, 3 reports.
    assert!(tried >= 25, "only {tried} lists answer in CSV");

    // The delegation's member list is one JSON cell, Arabic intact.
    let (header, rows) = csv_of(&app, &app.admin, "/api/v1/delegations?format=csv").await;
    let members: Value = serde_json::from_str(&rows[0][column(&header, "members")]).unwrap();
    assert_eq!(members[0]["name"], "عائشة");

    // A report as CSV: the groups, their labels, the figures.
    let (header, rows) = csv_of(
        &app,
        &app.admin,
        "/api/v1/reports/participation?group_by=project,kind&format=csv",
    )
    .await;
    assert_eq!(
        header,
        [
            "project",
            "kind",
            "project_title",
            "activities",
            "planned",
            "actual",
            "female",
            "male"
        ]
    );
    assert_eq!(
        rows,
        vec![vec![
            id(&project),
            "training".into(),
            "Project CSV-2".into(),
            "1".into(),
            "".into(),
            "".into(),
            "".into(),
            "".into()
        ]]
    );
    let (header, rows) = csv_of(
        &app,
        &app.admin,
        "/api/v1/reports/delegations?group_by=gender&format=csv",
    )
    .await;
    assert_eq!(
        header,
        ["gender", "delegations", "members", "female", "male"]
    );
    assert_eq!(
        rows,
        vec![vec![
            "female".to_owned(),
            "1".into(),
            "1".into(),
            "1".into(),
            "0".into()
        ]]
    );
}

#[tokio::test]
async fn a_partner_exports_only_its_projects() {
    let app = spawn_app().await;
    let a = app.project(project_body("CSV-A")).await;
    let b = app.project(project_body("CSV-B")).await;
    for p in [&a, &b] {
        app.create(
            "/api/v1/activities",
            json!({"project_id": id(p), "title": "T", "kind": "training"}),
        )
        .await;
    }
    let (user, _) = app.user("partner").await;
    app.create(
        &format!("/api/v1/projects/{}/members", id(&a)),
        json!({"user_id": user, "role": "viewer"}),
    )
    .await;
    let email = app.read(&format!("/api/v1/users/{user}")).await["email"]
        .as_str()
        .unwrap()
        .to_owned();
    let partner = app.login(&email, PASSWORD).await;
    let (header, rows) = csv_of(&app, &partner, "/api/v1/activities?format=csv").await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0][column(&header, "project_id")], id(&a));
    let res = app
        .get(
            &format!("/api/v1/projects/{}/activities?format=csv", id(&b)),
            &partner,
        )
        .await;
    problem(res, StatusCode::NOT_FOUND).await;
}

#[tokio::test]
async fn the_change_feed_exports_every_change_after_after() {
    let app = spawn_app().await;
    for i in 0..105 {
        app.organisation(&format!("Organisation {i}")).await;
    }
    let feed = app.read("/api/v1/changes?limit=1000").await;
    let positions: Vec<i64> = feed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["position"].as_i64().unwrap())
        .collect();
    assert!(positions.len() >= 105);
    // More than one export page (100), to the end.
    let (header, rows) = csv_of(&app, &app.admin, "/api/v1/changes?format=csv").await;
    let at = column(&header, "position");
    let got: Vec<i64> = rows.iter().map(|r| r[at].parse().unwrap()).collect();
    assert_eq!(got, positions);
    // From a cursor on.
    let after = positions[9];
    let (_, rows) = csv_of(
        &app,
        &app.admin,
        &format!("/api/v1/changes?after={after}&format=csv"),
    )
    .await;
    assert_eq!(rows.len(), positions.len() - 10);
}

#[tokio::test]
async fn a_client_that_leaves_mid_export_leaves_nothing_held() {
    let app = spawn_with(|c| c.db_max_connections = 2).await;
    let project = app.project(project_body("CSV-GONE")).await;
    for i in 0..300 {
        app.create(
            "/api/v1/activities",
            json!({"project_id": id(&project), "title": format!("A {i}"), "kind": "training"}),
        )
        .await;
    }
    // Several exports read one chunk each and hang up, more than the pool has
    // connections: a page holds a connection only while it is read.
    for _ in 0..6 {
        let mut res = app.get("/api/v1/activities?format=csv", &app.admin).await;
        assert_eq!(res.status(), StatusCode::OK);
        assert!(res.chunk().await.unwrap().is_some());
        drop(res);
    }
    let page = app.read("/api/v1/activities?limit=5").await;
    assert_eq!(page["items"].as_array().unwrap().len(), 5);
    let (_, rows) = csv_of(&app, &app.admin, "/api/v1/activities?format=csv").await;
    assert_eq!(rows.len(), 300);
}
