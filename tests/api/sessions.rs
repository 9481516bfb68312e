//! Sessions end when they should (issue 17, parts 3 to 5): every event that
//! ends a user's sessions makes the access tokens issued before it 401 at
//! once, restore and reactivation included; failed logins are throttled per
//! account and per address, in the database; a password is changed with the
//! current one; a login's refresh tokens have an absolute end.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::support::*;

/// A new user with `role`: (id, email, token pair).
async fn user_with_tokens(app: &TestApp, role: &str) -> (String, String, Value) {
    let email = format!("{role}-{}@example.org", Uuid::new_v4().simple());
    let res = app
        .post(
            "/api/v1/users",
            &app.admin,
            &json!({"email": email, "display_name": role, "role": role, "password": PASSWORD}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let id = id(&res.json::<Value>().await.unwrap());
    let tokens = tokens(app, &email, PASSWORD).await;
    (id, email, tokens)
}

async fn tokens(app: &TestApp, email: &str, password: &str) -> Value {
    let res = app.token_response(email, password).await;
    assert_eq!(res.status(), StatusCode::OK, "login of {email}");
    assert_eq!(res.headers()["cache-control"], "no-store");
    res.json().await.unwrap()
}

fn access(tokens: &Value) -> String {
    tokens["access_token"].as_str().unwrap().to_owned()
}

async fn me_status(app: &TestApp, token: &str) -> StatusCode {
    app.get("/api/v1/auth/me", token).await.status()
}

async fn version_of(app: &TestApp, user: &str) -> i64 {
    app.read(&format!("/api/v1/users/{user}?include_deleted=true"))
        .await["version"]
        .as_i64()
        .unwrap()
}

#[tokio::test]
async fn logout_ends_the_access_token_it_came_with() {
    let app = spawn_app().await;
    let (_, _, pair) = user_with_tokens(&app, "viewer").await;
    let token = access(&pair);
    assert_eq!(me_status(&app, &token).await, StatusCode::OK);
    let res = app
        .post(
            "/api/v1/auth/logout",
            "",
            &json!({"refresh_token": pair["refresh_token"]}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    problem(
        app.get("/api/v1/auth/me", &token).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
}

#[tokio::test]
async fn logout_everywhere_ends_every_session_of_the_user() {
    let app = spawn_app().await;
    let (_, email, first) = user_with_tokens(&app, "editor").await;
    let second = tokens(&app, &email, PASSWORD).await;
    let res = app
        .request(Method::POST, "/api/v1/auth/logout-all", &access(&first))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    for pair in [&first, &second] {
        assert_eq!(
            me_status(&app, &access(pair)).await,
            StatusCode::UNAUTHORIZED
        );
        let res = app
            .post(
                "/api/v1/auth/refresh",
                "",
                &json!({"refresh_token": pair["refresh_token"]}),
            )
            .await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
    // A new login works.
    let fresh = tokens(&app, &email, PASSWORD).await;
    assert_eq!(me_status(&app, &access(&fresh)).await, StatusCode::OK);
}

#[tokio::test]
async fn a_password_reset_ends_old_access_tokens() {
    let app = spawn_app().await;
    let (id, _, pair) = user_with_tokens(&app, "viewer").await;
    let res = app
        .post(
            &format!("/api/v1/users/{id}/reset-password"),
            &app.admin,
            &json!({}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["cache-control"], "no-store");
    assert_eq!(
        me_status(&app, &access(&pair)).await,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn deactivation_then_reactivation_leaves_old_tokens_dead() {
    let app = spawn_app().await;
    let (id, email, pair) = user_with_tokens(&app, "viewer").await;
    let path = format!("/api/v1/users/{id}");
    for active in [false, true] {
        let res = app.patch(&path, &json!({"active": active})).await;
        assert_eq!(res.status(), StatusCode::OK);
    }
    assert_eq!(
        me_status(&app, &access(&pair)).await,
        StatusCode::UNAUTHORIZED
    );
    let fresh = tokens(&app, &email, PASSWORD).await;
    assert_eq!(me_status(&app, &access(&fresh)).await, StatusCode::OK);
}

#[tokio::test]
async fn delete_then_restore_leaves_old_tokens_dead() {
    let app = spawn_app().await;
    let (id, _, pair) = user_with_tokens(&app, "editor").await;
    let res = app.delete(&format!("/api/v1/users/{id}"), &app.admin).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let res = app
        .post(
            &format!("/api/v1/users/{id}/restore"),
            &app.admin,
            &json!({}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        me_status(&app, &access(&pair)).await,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn a_role_change_ends_old_tokens_but_a_name_change_does_not() {
    let app = spawn_app().await;
    let (id, _, pair) = user_with_tokens(&app, "editor").await;
    let path = format!("/api/v1/users/{id}");
    let res = app.patch(&path, &json!({"display_name": "Renamed"})).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(me_status(&app, &access(&pair)).await, StatusCode::OK);
    let res = app.patch(&path, &json!({"role": "viewer"})).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        me_status(&app, &access(&pair)).await,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn a_user_changes_their_password_with_the_current_one() {
    let app = spawn_app().await;
    let (id, email, pair) = user_with_tokens(&app, "viewer").await;
    let other = tokens(&app, &email, PASSWORD).await;
    let path = "/api/v1/auth/password";
    let before = version_of(&app, &id).await;

    // A wrong current password is refused and changes nothing.
    let res = app
        .post(
            path,
            &access(&pair),
            &json!({"current_password": "not-the-password", "new_password": "a brand new passphrase"}),
        )
        .await;
    let body = problem(res, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(error_fields(&body), ["current_password"]);
    // So is a new password under the policy.
    let res = app
        .post(
            path,
            &access(&pair),
            &json!({"current_password": PASSWORD, "new_password": "short"}),
        )
        .await;
    assert_eq!(
        error_fields(&problem(res, StatusCode::UNPROCESSABLE_ENTITY).await),
        ["new_password"]
    );
    assert_eq!(version_of(&app, &id).await, before);
    assert_eq!(me_status(&app, &access(&other)).await, StatusCode::OK);

    let res = app
        .post(
            path,
            &access(&pair),
            &json!({"current_password": PASSWORD, "new_password": "a brand new passphrase"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let renewed: Value = res.json().await.unwrap();
    // The new pair works; every older session is over.
    assert_eq!(me_status(&app, &access(&renewed)).await, StatusCode::OK);
    for old in [&pair, &other] {
        assert_eq!(
            me_status(&app, &access(old)).await,
            StatusCode::UNAUTHORIZED
        );
        let res = app
            .post(
                "/api/v1/auth/refresh",
                "",
                &json!({"refresh_token": old["refresh_token"]}),
            )
            .await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
    assert_eq!(
        app.token_response(&email, PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
    tokens(&app, &email, "a brand new passphrase").await;
    // The audit trail shows the change, redacted.
    let history = app.read(&format!("/api/v1/users/{id}/history")).await;
    assert_eq!(
        history["items"][0]["changes"]["password"]["new"],
        "[redacted]"
    );
}

#[tokio::test]
async fn a_login_ends_at_its_absolute_lifetime_however_often_it_is_refreshed() {
    let app = spawn_with(|c| c.session_max_age_secs = 60).await;
    let (_, _, pair) = user_with_tokens(&app, "viewer").await;
    let res = app
        .post(
            "/api/v1/auth/refresh",
            "",
            &json!({"refresh_token": pair["refresh_token"]}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let next: Value = res.json().await.unwrap();
    // The family's end is stored with each token; move it into the past as
    // the clock would.
    let db = sea_orm::Database::connect(&app.db_url).await.unwrap();
    use sea_orm::ConnectionTrait;
    db.execute_unprepared(
        "UPDATE refresh_tokens SET family_expires_at = created_at WHERE revoked_at IS NULL",
    )
    .await
    .unwrap();
    let res = app
        .post(
            "/api/v1/auth/refresh",
            "",
            &json!({"refresh_token": next["refresh_token"]}),
        )
        .await;
    problem(res, StatusCode::UNAUTHORIZED).await;
}

/// Bad logins until the throttle answers; returns the answers.
async fn bad_logins(app: &TestApp, email: &str, n: usize) -> Vec<reqwest::Response> {
    let mut out = Vec::new();
    for _ in 0..n {
        out.push(app.token_response(email, "wrong-password-here").await);
    }
    out
}

#[tokio::test]
async fn the_n_plus_first_bad_login_is_429_for_known_and_unknown_accounts_alike() {
    let app = spawn_with(|c| {
        c.login_max_failures = 3;
        c.login_window_secs = 2;
    })
    .await;
    let (_, email, _) = user_with_tokens(&app, "viewer").await;
    for account in [email.as_str(), "nobody-at-all@example.org"] {
        let answers = bad_logins(&app, account, 4).await;
        let statuses: Vec<u16> = answers.iter().map(|r| r.status().as_u16()).collect();
        assert_eq!(statuses, [401, 401, 401, 429], "{account}");
        let last = answers.into_iter().last().unwrap();
        let retry: u64 = last.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((1..=3).contains(&retry), "Retry-After {retry}");
        let body = problem(last, StatusCode::TOO_MANY_REQUESTS).await;
        assert!(body["detail"].as_str().unwrap().contains("failed logins"));
    }
    // Even the right password waits for the window...
    assert_eq!(
        app.token_response(&email, PASSWORD).await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    // ...and works once it has passed.
    tokio::time::sleep(Duration::from_millis(3100)).await;
    tokens(&app, &email, PASSWORD).await;
}

#[tokio::test]
async fn failed_logins_from_one_address_are_throttled_across_accounts() {
    let app = spawn_with(|c| {
        c.login_max_failures = 100;
        c.login_max_failures_per_address = 4;
    })
    .await;
    let mut statuses = Vec::new();
    for i in 0..5 {
        let res = app
            .token_response(&format!("guess-{i}@example.org"), "wrong-password-here")
            .await;
        statuses.push(res.status().as_u16());
    }
    assert_eq!(statuses, [401, 401, 401, 401, 429]);
}

#[tokio::test]
async fn two_instances_on_one_database_share_the_per_account_count() {
    if std::env::var("TEST_DATABASE_URL").is_err() {
        // SQLite is one process's database; the shared count matters for
        // PostgreSQL, where CI runs this.
        return;
    }
    let limits = |c: &mut rihla_api::Config| {
        c.login_max_failures = 4;
        c.login_max_failures_per_address = 1000;
    };
    let first = spawn_with(limits).await;
    let url = first.db_url.clone();
    let second = spawn_with(move |c| {
        limits(c);
        c.database_url = Some(url.into());
    })
    .await;
    let (_, email, _) = user_with_tokens(&first, "viewer").await;
    let mut statuses = Vec::new();
    for app in [&first, &second, &first, &second, &first, &second] {
        statuses.push(
            app.token_response(&email, "wrong-password-here")
                .await
                .status()
                .as_u16(),
        );
    }
    assert_eq!(statuses, [401, 401, 401, 401, 429, 429]);
}

#[tokio::test]
async fn a_successful_login_clears_the_account_count() {
    let app = spawn_with(|c| c.login_max_failures = 3).await;
    let (_, email, _) = user_with_tokens(&app, "viewer").await;
    bad_logins(&app, &email, 2).await;
    tokens(&app, &email, PASSWORD).await;
    let statuses: Vec<u16> = bad_logins(&app, &email, 3)
        .await
        .iter()
        .map(|r| r.status().as_u16())
        .collect();
    assert_eq!(statuses, [401, 401, 401]);
}

#[tokio::test]
async fn logins_beyond_the_hashing_bound_wait_then_get_503_with_retry_after() {
    let app = spawn_with(|c| {
        c.password_hash_concurrency = 1;
        c.password_hash_wait_ms = 1;
        c.login_max_failures = 1000;
        c.login_max_failures_per_address = 1000;
    })
    .await;
    let attempts = (0..16).map(|i| {
        let app = &app;
        async move {
            app.token_response(&format!("flood-{i}@example.org"), "wrong-password-here")
                .await
        }
    });
    let answers = futures_util::future::join_all(attempts).await;
    let mut busy = 0;
    for res in answers {
        match res.status() {
            StatusCode::UNAUTHORIZED => {}
            StatusCode::SERVICE_UNAVAILABLE => {
                assert!(res.headers().contains_key("retry-after"));
                busy += 1;
            }
            other => panic!("unexpected {other}"),
        }
    }
    assert!(
        busy > 0,
        "16 logins at once through one slot with a 1 ms wait"
    );
}

#[tokio::test]
async fn concurrent_guesses_cannot_slip_under_the_limit() {
    let app = spawn_with(|c| c.login_max_failures = 3).await;
    let (_, email, _) = user_with_tokens(&app, "viewer").await;
    let attempts = (0..12).map(|_| app.token_response(&email, "wrong-password-here"));
    let answers = futures_util::future::join_all(attempts).await;
    let refused = answers
        .iter()
        .filter(|r| r.status() == StatusCode::UNAUTHORIZED)
        .count();
    let throttled = answers
        .iter()
        .filter(|r| r.status() == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert_eq!((refused, throttled), (3, 9));
}
