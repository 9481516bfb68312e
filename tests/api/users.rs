use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::*;

#[tokio::test]
async fn an_admin_creates_lists_gets_patches_and_deletes_users() {
    let app = spawn_app().await;
    let res = app
        .post(
            "/api/v1/users",
            &app.admin,
            &json!({"email": "Officer@Example.org", "display_name": "Programme Officer", "role": "editor", "password": PASSWORD}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    let user: Value = res.json().await.unwrap();
    assert_eq!(user["email"], "officer@example.org");
    assert!(user.get("password").is_none() && user.get("password_hash").is_none());
    assert_eq!(
        location,
        format!("/api/v1/users/{}", user["id"].as_str().unwrap())
    );

    let page: Value = app
        .get("/api/v1/users?count=true", &app.admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["total"], 2);

    let res = app
        .send_json(
            Method::PATCH,
            &location,
            &app.admin,
            &json!({"role": "viewer", "display_name": "Reporting Officer"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let patched: Value = res.json().await.unwrap();
    assert_eq!(patched["role"], "viewer");
    assert_eq!(patched["display_name"], "Reporting Officer");
    assert_eq!(patched["version"], 2);

    assert_eq!(
        app.delete(&location, &app.admin).await.status(),
        StatusCode::NO_CONTENT
    );
    problem(app.get(&location, &app.admin).await, StatusCode::NOT_FOUND).await;
}

#[tokio::test]
async fn an_email_is_unique_regardless_of_case() {
    let app = spawn_app().await;
    let res = app
        .post(
            "/api/v1/users",
            &app.admin,
            &json!({"email": "ADMIN@RIHLA.TEST", "display_name": "Twin", "role": "viewer", "password": PASSWORD}),
        )
        .await;
    let body = problem(res, StatusCode::CONFLICT).await;
    assert_eq!(error_fields(&body), ["email"]);
}

#[tokio::test]
async fn user_validation_lists_every_bad_field() {
    let app = spawn_app().await;
    let res = app
        .post(
            "/api/v1/users",
            &app.admin,
            &json!({"email": "not-an-email", "display_name": " ", "role": "viewer", "password": "short"}),
        )
        .await;
    let body = problem(res, StatusCode::UNPROCESSABLE_ENTITY).await;
    let fields = error_fields(&body);
    for f in ["email", "display_name", "password"] {
        assert!(
            fields.contains(&f.to_owned()),
            "{f} missing from {fields:?}"
        );
    }
}

#[tokio::test]
async fn the_last_active_admin_can_be_neither_demoted_deactivated_nor_deleted() {
    let app = spawn_app().await;
    let id = app.admin_id().await;
    let url = format!("/api/v1/users/{id}");
    for patch in [json!({"role": "editor"}), json!({"active": false})] {
        let res = app.send_json(Method::PATCH, &url, &app.admin, &patch).await;
        problem(res, StatusCode::CONFLICT).await;
    }
    problem(app.delete(&url, &app.admin).await, StatusCode::CONFLICT).await;

    // With a second admin, the first may step down.
    let (_, second) = app.user("admin").await;
    let res = app
        .send_json(Method::PATCH, &url, &second, &json!({"role": "editor"}))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn an_admin_cannot_demote_deactivate_or_delete_themself_even_with_another_admin() {
    let app = spawn_app().await;
    let id = app.admin_id().await;
    let url = format!("/api/v1/users/{id}");
    app.user("admin").await;
    for patch in [json!({"role": "viewer"}), json!({"active": false})] {
        let res = app.send_json(Method::PATCH, &url, &app.admin, &patch).await;
        let p = problem(res, StatusCode::CONFLICT).await;
        assert!(p["detail"].as_str().unwrap().contains("your own"), "{p}");
    }
    problem(app.delete(&url, &app.admin).await, StatusCode::CONFLICT).await;
    // Nothing changed: the caller is still an active admin, and may rename themself.
    let res = app
        .send_json(
            Method::PATCH,
            &url,
            &app.admin,
            &json!({"display_name": "Still here"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let me: Value = res.json().await.unwrap();
    assert_eq!(
        (me["role"].as_str(), me["active"].as_bool()),
        (Some("admin"), Some(true))
    );
}

#[tokio::test]
async fn a_password_reset_replaces_the_password_and_ends_sessions() {
    let app = spawn_app().await;
    let email = "reset@example.org";
    let res = app
        .post(
            "/api/v1/users",
            &app.admin,
            &json!({"email": email, "display_name": "R", "role": "viewer", "password": PASSWORD}),
        )
        .await;
    let user: Value = res.json().await.unwrap();
    let pair: Value = app
        .token_response(email, PASSWORD)
        .await
        .json()
        .await
        .unwrap();

    let url = format!(
        "/api/v1/users/{}/reset-password",
        user["id"].as_str().unwrap()
    );
    let res = app.post(&url, &app.admin, &json!({})).await;
    assert_eq!(res.status(), StatusCode::OK);
    let result: Value = res.json().await.unwrap();
    let generated = result["generated_password"].as_str().unwrap().to_owned();
    assert_eq!(result["revoked_sessions"], 1);

    assert_eq!(
        app.token_response(email, PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.token_response(email, &generated).await.status(),
        StatusCode::OK
    );
    let refresh = app
        .post(
            "/api/v1/auth/refresh",
            "",
            &json!({"refresh_token": pair["refresh_token"]}),
        )
        .await;
    assert_eq!(refresh.status(), StatusCode::UNAUTHORIZED);

    let res = app
        .post(
            &url,
            &app.admin,
            &json!({"password": "chosen-by-the-admin-1"}),
        )
        .await;
    let result: Value = res.json().await.unwrap();
    assert!(result["generated_password"].is_null());
    assert_eq!(
        app.token_response(email, "chosen-by-the-admin-1")
            .await
            .status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn an_admin_cannot_reset_their_own_password() {
    let app = spawn_app().await;
    let me = app.admin_id().await;
    let res = app
        .post(
            &format!("/api/v1/users/{me}/reset-password"),
            &app.admin,
            &serde_json::json!({}),
        )
        .await;
    problem(res, reqwest::StatusCode::CONFLICT).await;
    // Nothing changed: the token still works, the password too.
    assert_eq!(
        app.get("/api/v1/auth/me", &app.admin).await.status(),
        reqwest::StatusCode::OK
    );
    app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
}
