//! Hardening round 2 (issue 28): what no request, signed in or not, may do
//! to the server's memory, disk, CPU or another caller's access. One test
//! per finding; `scope.rs` holds the one about records moved between
//! projects, `metrics.rs`'s scrape helper is repeated here in two lines.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use rihla_persistence::entities::login_failures;
use sea_orm::{EntityTrait, PaginatorTrait};

use crate::support::*;

/// Rows and failures the login throttle holds.
async fn throttle_rows(app: &TestApp) -> (u64, i64) {
    let db = sea_orm::Database::connect(&app.db_url).await.unwrap();
    let rows = login_failures::Entity::find().all(&db).await.unwrap();
    (
        login_failures::Entity::find().count(&db).await.unwrap(),
        rows.iter().map(|r| i64::from(r.failures)).sum(),
    )
}

/// Finding 1: the request metrics label methods from a closed set, so a
/// stranger's invented methods cannot grow the recorder.
#[tokio::test]
async fn invented_http_methods_share_one_metric_label() {
    let app = spawn_with(|c| c.metrics_bind = Some("127.0.0.1:0".parse().unwrap())).await;
    for n in 0..20 {
        let method = Method::from_bytes(format!("FOOBAR{n}").as_bytes()).unwrap();
        let res = app
            .client
            .request(method, app.url("/health"))
            .send()
            .await
            .unwrap();
        assert!(res.status().is_client_error(), "{}", res.status());
    }
    let metrics = app.metrics.as_deref().unwrap();
    let text = app
        .client
        .get(format!("{metrics}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!text.contains("FOOBAR"), "{text}");
    assert!(text.contains("method=\"other\""), "{text}");
}

/// Finding 3: a login's bounds are checked before anything is written, and
/// an attempt the throttle refuses writes nothing; the counter's keys are a
/// fixed size whatever the email (on PostgreSQL a long one was a 500).
#[tokio::test]
async fn a_login_writes_nothing_when_refused_and_never_more_than_a_fixed_size_key() {
    let app = spawn_with(|c| {
        c.login_max_failures = 2;
        c.login_max_failures_per_address = 1000;
    })
    .await;
    let before = throttle_rows(&app).await;
    let huge = format!("{}@example.org", "x".repeat(500_000));
    for _ in 0..5 {
        let res = app.token_response(&huge, "wrong-password-here").await;
        problem(res, StatusCode::UNAUTHORIZED).await;
    }
    let res = app
        .token_response("someone@example.org", &"p".repeat(2000))
        .await;
    problem(res, StatusCode::UNAUTHORIZED).await;
    assert_eq!(
        throttle_rows(&app).await,
        before,
        "an over-long login wrote"
    );

    // An email just within the bound: counted under fixed-size keys.
    let long = format!("{}@example.org", "y".repeat(240));
    for _ in 0..2 {
        let res = app.token_response(&long, "wrong-password-here").await;
        problem(res, StatusCode::UNAUTHORIZED).await;
    }
    let counted = throttle_rows(&app).await;
    let db = sea_orm::Database::connect(&app.db_url).await.unwrap();
    for row in login_failures::Entity::find().all(&db).await.unwrap() {
        assert!(row.scope.len() <= 60, "{}", row.scope);
    }
    // Refused from here on: nothing more is written.
    for _ in 0..5 {
        let res = app.token_response(&long, "wrong-password-here").await;
        problem(res, StatusCode::TOO_MANY_REQUESTS).await;
    }
    assert_eq!(throttle_rows(&app).await, counted, "a refused login wrote");
}

/// Finding 4: a stranger's wrong passwords shut the stranger's address, not
/// the account: the owner logs in from elsewhere with the right password.
#[tokio::test]
async fn a_stranger_cannot_lock_the_admin_out() {
    let app = spawn_with(|c| {
        c.login_max_failures = 3;
        c.login_max_failures_per_address = 1000;
        c.trust_forwarded_for = true;
    })
    .await;
    let login = |from: &'static str, password: &'static str| {
        app.client
            .post(app.url("/api/v1/auth/token"))
            .header("x-forwarded-for", from)
            .json(&json!({"email": ADMIN_EMAIL, "password": password}))
            .send()
    };
    let mut statuses = Vec::new();
    for _ in 0..8 {
        statuses.push(
            login("203.0.113.9", "wrong-password-here")
                .await
                .unwrap()
                .status()
                .as_u16(),
        );
    }
    assert_eq!(statuses, [401, 401, 401, 429, 429, 429, 429, 429]);
    // The stranger's address stays shut even with the right password...
    assert_eq!(
        login("203.0.113.9", ADMIN_PASSWORD).await.unwrap().status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    // ...while the admin, from its own address, gets in.
    let res = login("198.51.100.7", ADMIN_PASSWORD).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
}

/// Finding 5: a list far over its bound is refused before any per-element
/// work, whoever sends it and whatever project it names.
#[tokio::test]
async fn huge_lists_are_refused_before_any_per_element_work() {
    let app = spawn_app().await;
    let project = app.project(project_body("HUGE-1")).await;
    let (_, partner) = app.user("partner").await;
    let topics: Vec<String> = (0..100_000).map(|i| format!("t{i}")).collect();
    let body = json!({
        "kind": "training", "title": "Huge", "project_id": id(&project), "topics": topics,
    });
    for token in [&app.admin, &partner] {
        let res = app.post("/api/v1/activities", token, &body).await;
        let problem = problem(res, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert!(problem.to_string().contains("topics"), "{problem}");
    }
    // An array of more items than any field takes is refused as a whole.
    let many: Vec<Value> = (0..5_000)
        .map(|i| json!({"code": format!("c{i}")}))
        .collect();
    let body =
        json!({"kind": "training", "title": "Huge", "project_id": id(&project), "outputs": many});
    let res = app.post("/api/v1/activities", &app.admin, &body).await;
    let problem = problem(res, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert!(problem.to_string().contains("too_many_items"), "{problem}");
    assert!(app.ids("/api/v1/activities").await.is_empty());
}

/// Finding 7: no part of a cell becomes a formula, in any locale's way of
/// splitting a line.
#[tokio::test]
async fn csv_cells_never_hold_a_formula_past_the_first_character() {
    let app = spawn_app().await;
    let project = app.project(project_body("CSV-1")).await;
    for title in ["Report;=1+1;", " =1+1", "x\t=1+1", "\t=1+1", "a,=1+1"] {
        app.create(
            "/api/v1/documents",
            json!({"title": title, "kind": "guide", "project_id": id(&project)}),
        )
        .await;
    }
    let csv = app
        .get("/api/v1/documents?format=csv", &app.admin)
        .await
        .text()
        .await
        .unwrap();
    // Split as Excel would in each locale, on `,`, `;` or a tab, outside quotes.
    for line in csv.lines().skip(1) {
        for sep in [',', ';', '\t'] {
            let mut quoted = false;
            let mut cell = String::new();
            for c in line.chars().chain([sep]) {
                match c {
                    '"' => quoted = !quoted,
                    c if c == sep && !quoted => {
                        let t = cell.trim_start();
                        assert!(
                            !t.starts_with(['=', '+', '@']),
                            "a cell {cell:?} of {line:?} split on {sep:?}"
                        );
                        cell.clear();
                    }
                    c => cell.push(c),
                }
            }
        }
    }
}

/// Finding 9: a partner cannot change a project's identifiers, so no 409
/// tells it which values projects it cannot see hold.
#[tokio::test]
async fn a_partner_cannot_probe_other_projects_codes() {
    let app = spawn_app().await;
    let mine = app.project(project_body("MINE-1")).await;
    app.project(project_body("THEIRS-1")).await;
    let (user, partner) = app.user("partner").await;
    let res = app
        .post(
            &format!("/api/v1/projects/{}/members", id(&mine)),
            &app.admin,
            &json!({"user_id": user, "role": "editor"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let path = format!("/api/v1/projects/{}", id(&mine));
    for change in [
        json!({"code": "THEIRS-1"}),
        json!({"code": "UNUSED-1"}),
        json!({"iati_identifier": "XM-DAC-00000-UNUSED"}),
    ] {
        let res = app.send_json(Method::PATCH, &path, &partner, &change).await;
        problem(res, StatusCode::FORBIDDEN).await;
    }
    let res = app
        .send_json(Method::PATCH, &path, &partner, &json!({"title": "Renamed"}))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(app.read(&path).await["code"], "MINE-1");
}

/// Finding 10: replaying a spent refresh token ends the access tokens of
/// the login at once, the thief's included.
#[tokio::test]
async fn a_reused_refresh_token_ends_the_access_tokens_too() {
    let app = spawn_app().await;
    let (_, viewer) = app.user("viewer").await;
    let email = app.read_as(&viewer, "/api/v1/auth/me").await["email"]
        .as_str()
        .unwrap()
        .to_owned();
    let first: Value = app
        .token_response(&email, PASSWORD)
        .await
        .json()
        .await
        .unwrap();
    let refresh = async |token: &Value| {
        app.post(
            "/api/v1/auth/refresh",
            "",
            &json!({"refresh_token": token["refresh_token"]}),
        )
        .await
    };
    let res = refresh(&first).await;
    assert_eq!(res.status(), StatusCode::OK);
    let thief: Value = res.json().await.unwrap();
    let thief_access = thief["access_token"].as_str().unwrap();
    assert_eq!(
        app.get("/api/v1/auth/me", thief_access).await.status(),
        StatusCode::OK
    );
    problem(refresh(&first).await, StatusCode::UNAUTHORIZED).await;
    problem(
        app.get("/api/v1/auth/me", thief_access).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
}

/// Finding 11: an access token is not an API key; an idempotent replay
/// answers only while its caller still reaches the record.
#[tokio::test]
async fn the_api_key_header_takes_api_keys_only_and_a_replay_rechecks_access() {
    let app = spawn_app().await;
    let res = app
        .client
        .get(app.url("/api/v1/projects"))
        .header("x-api-key", &app.admin)
        .send()
        .await
        .unwrap();
    problem(res, StatusCode::UNAUTHORIZED).await;

    let project = app.project(project_body("REPLAY-1")).await;
    let (user, partner) = app.user("partner").await;
    let member: Value = app
        .post(
            &format!("/api/v1/projects/{}/members", id(&project)),
            &app.admin,
            &json!({"user_id": user, "role": "editor"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let body = json!({"kind": "training", "title": "Once", "project_id": id(&project)});
    let post = || {
        app.request(Method::POST, "/api/v1/activities", &partner)
            .header("idempotency-key", "replay-after-removal-1")
            .json(&body)
            .send()
    };
    assert_eq!(post().await.unwrap().status(), StatusCode::CREATED);
    assert_eq!(post().await.unwrap().status(), StatusCode::CREATED);
    let res = app
        .delete(
            &format!("/api/v1/projects/{}/members/{}", id(&project), id(&member)),
            &app.admin,
        )
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    problem(post().await.unwrap(), StatusCode::NOT_FOUND).await;
}

/// Request budgets (OWASP API4): past its burst a caller gets 429 with
/// Retry-After and the IETF draft's headers; another caller is untouched.
#[tokio::test]
async fn a_caller_past_its_budget_gets_429_and_others_do_not() {
    let app = spawn_with(|c| {
        c.rate_limit_per_minute = 6;
        c.rate_limit_burst = 3;
    })
    .await;
    let (_, viewer) = app.user("viewer").await;
    let mut last = None;
    for _ in 0..4 {
        last = Some(app.get("/api/v1/projects", &viewer).await);
    }
    let res = last.unwrap();
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=11).contains(&retry), "Retry-After {retry}");
    assert_eq!(
        res.headers()["ratelimit-policy"].to_str().unwrap(),
        "\"default\";q=6;w=60"
    );
    assert!(res.headers()["ratelimit"].to_str().unwrap().contains("r=0"));
    problem(res, StatusCode::TOO_MANY_REQUESTS).await;
    // The admin has its own budget; a public route spends none.
    let res = app.get("/api/v1/projects", &app.admin).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers().contains_key("ratelimit"));
    assert_eq!(app.get("/health", "").await.status(), StatusCode::OK);
}
