use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::*;

fn claims(sub: &str, aud: &str, exp_offset: i64) -> Value {
    let now = chrono::Utc::now().timestamp();
    json!({
        "sub": sub, "role": "admin", "iat": now, "exp": now + exp_offset,
        "iss": "rihla", "aud": aud, "jti": uuid::Uuid::new_v4(),
    })
}

fn sign(claims: &Value, secret: &str) -> String {
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .expect("sign")
}

async fn assert_401(app: &TestApp, token: &str) -> Value {
    let res = app.get("/api/v1/projects", token).await;
    let www = res
        .headers()
        .get("www-authenticate")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    assert!(www.starts_with("Bearer"), "WWW-Authenticate: {www:?}");
    problem(res, StatusCode::UNAUTHORIZED).await
}

#[tokio::test]
async fn a_token_is_issued_for_valid_credentials_and_me_names_the_caller() {
    let app = spawn_app().await;
    let res = app.token_response("ADMIN@rihla.test", ADMIN_PASSWORD).await;
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 900);
    assert!(body["refresh_token"].as_str().unwrap().len() >= 40);
    let token = body["access_token"].as_str().unwrap();
    let me: Value = app
        .get("/api/v1/auth/me", token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["email"], ADMIN_EMAIL);
    assert_eq!(me["role"], "admin");
    assert!(me.get("password_hash").is_none());
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_email_get_the_same_401() {
    let app = spawn_app().await;
    let wrong_pw = problem(
        app.token_response(ADMIN_EMAIL, "not-the-password").await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    let unknown = problem(
        app.token_response("nobody@example.org", ADMIN_PASSWORD)
            .await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    assert_eq!(wrong_pw["detail"], unknown["detail"]);
    assert_eq!(wrong_pw["type"], unknown["type"]);
}

#[tokio::test]
async fn a_request_without_a_token_is_401_with_www_authenticate() {
    let app = spawn_app().await;
    assert_401(&app, "").await;
    let res = app
        .client
        .get(app.url("/api/v1/projects"))
        .header("authorization", "Basic YWRtaW46YWRtaW4=")
        .send()
        .await
        .unwrap();
    problem(res, StatusCode::UNAUTHORIZED).await;
}

#[tokio::test]
async fn a_token_with_alg_none_is_401() {
    use base64::Engine;
    let app = spawn_app().await;
    let b64 = |v: &Value| {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(serde_json::to_vec(v).unwrap())
    };
    let id = app.admin_id().await;
    let token = format!(
        "{}.{}.",
        b64(&json!({"alg": "none", "typ": "JWT"})),
        b64(&claims(&id, "rihla-api", 600))
    );
    assert_401(&app, &token).await;
}

#[tokio::test]
async fn a_token_signed_with_another_key_is_401() {
    let app = spawn_app().await;
    let id = app.admin_id().await;
    let token = sign(
        &claims(&id, "rihla-api", 600),
        "another-secret-that-is-32-bytes-long!!",
    );
    assert_401(&app, &token).await;
    // The same claims with the right key pass, so the key is what failed.
    let good = sign(&claims(&id, "rihla-api", 600), JWT_SECRET);
    assert_eq!(
        app.get("/api/v1/projects", &good).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn an_expired_token_is_401() {
    let app = spawn_app().await;
    let id = app.admin_id().await;
    let body = assert_401(&app, &sign(&claims(&id, "rihla-api", -120), JWT_SECRET)).await;
    assert!(body["detail"].as_str().unwrap().contains("expired"));
}

#[tokio::test]
async fn a_token_for_another_audience_is_401() {
    let app = spawn_app().await;
    let id = app.admin_id().await;
    assert_401(&app, &sign(&claims(&id, "some-other-api", 600), JWT_SECRET)).await;
}

#[tokio::test]
async fn a_token_of_a_deactivated_user_is_401_at_once() {
    let app = spawn_app().await;
    let (id, token) = app.user("editor").await;
    assert_eq!(
        app.get("/api/v1/projects", &token).await.status(),
        StatusCode::OK
    );
    let res = app
        .send_json(
            reqwest::Method::PATCH,
            &format!("/api/v1/users/{id}"),
            &app.admin,
            &json!({"active": false}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_401(&app, &token).await;
    // And they cannot log in again.
    let user: Value = app
        .get(&format!("/api/v1/users/{id}"), &app.admin)
        .await
        .json()
        .await
        .unwrap();
    let login = app
        .token_response(user["email"].as_str().unwrap(), PASSWORD)
        .await;
    assert_eq!(login.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn refresh_rotates_and_a_reused_refresh_token_is_rejected_with_its_family() {
    let app = spawn_app().await;
    let first: Value = app
        .token_response(ADMIN_EMAIL, ADMIN_PASSWORD)
        .await
        .json()
        .await
        .unwrap();
    let r1 = first["refresh_token"].as_str().unwrap();
    let res = app
        .post("/api/v1/auth/refresh", "", &json!({"refresh_token": r1}))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let second: Value = res.json().await.unwrap();
    let r2 = second["refresh_token"].as_str().unwrap();
    assert_ne!(r1, r2);
    let token = second["access_token"].as_str().unwrap();
    assert_eq!(
        app.get("/api/v1/auth/me", token).await.status(),
        StatusCode::OK
    );

    // Replaying the spent token fails, and revokes the token that replaced it.
    let replay = app
        .post("/api/v1/auth/refresh", "", &json!({"refresh_token": r1}))
        .await;
    problem(replay, StatusCode::UNAUTHORIZED).await;
    let after = app
        .post("/api/v1/auth/refresh", "", &json!({"refresh_token": r2}))
        .await;
    problem(after, StatusCode::UNAUTHORIZED).await;
}

#[tokio::test]
async fn logout_revokes_the_refresh_token() {
    let app = spawn_app().await;
    let pair: Value = app
        .token_response(ADMIN_EMAIL, ADMIN_PASSWORD)
        .await
        .json()
        .await
        .unwrap();
    let refresh = pair["refresh_token"].as_str().unwrap();
    let res = app
        .post(
            "/api/v1/auth/logout",
            "",
            &json!({"refresh_token": refresh}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let res = app
        .post(
            "/api/v1/auth/refresh",
            "",
            &json!({"refresh_token": refresh}),
        )
        .await;
    problem(res, StatusCode::UNAUTHORIZED).await;
}

#[tokio::test]
async fn an_unknown_refresh_token_is_401() {
    let app = spawn_app().await;
    let res = app
        .post(
            "/api/v1/auth/refresh",
            "",
            &json!({"refresh_token": "made-up"}),
        )
        .await;
    problem(res, StatusCode::UNAUTHORIZED).await;
}
