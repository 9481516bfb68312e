//! API keys (issue 17, part 2): admins create, list, rotate and revoke them;
//! a key authenticates as `Bearer` or `X-Api-Key` with its own role; the
//! audit trail and the change feed name it; revoked and expired keys are 401.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::*;

async fn create_key(app: &TestApp, body: Value) -> (Value, String) {
    let res = app.post("/api/v1/api-keys", &app.admin, &body).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    let created: Value = res.json().await.unwrap();
    assert!(location.ends_with(&id(&created["key"])));
    let secret = created["secret"].as_str().unwrap().to_owned();
    (created["key"].clone(), secret)
}

fn with_header(app: &TestApp, method: Method, path: &str, key: &str) -> reqwest::RequestBuilder {
    app.client
        .request(method, app.url(path))
        .header("x-api-key", key)
}

#[tokio::test]
async fn a_key_is_shown_once_hashed_at_rest_and_recognisable() {
    let app = spawn_app().await;
    let (key, secret) =
        create_key(&app, json!({"name": "Reporting system", "role": "viewer"})).await;
    assert!(secret.starts_with("rihla_ak_"));
    // 32 random bytes in unpadded base64url: 43 characters.
    assert_eq!(secret.len(), "rihla_ak_".len() + 43);
    assert!(secret.starts_with(key["prefix"].as_str().unwrap()));
    assert_eq!(key["role"], "viewer");
    assert_eq!(key["created_by"], app.admin_id().await.as_str());
    assert!(key["last_used_at"].is_null());
    // Neither the list nor a read shows the secret again.
    let listed = app
        .get("/api/v1/api-keys", &app.admin)
        .await
        .text()
        .await
        .unwrap();
    assert!(listed.contains(&id(&key)) && !listed.contains(&secret));
    let read = app
        .get(&format!("/api/v1/api-keys/{}", id(&key)), &app.admin)
        .await
        .text()
        .await
        .unwrap();
    assert!(!read.contains(&secret));
    // The database holds a hash, not the key.
    let db = sea_orm::Database::connect(&app.db_url).await.unwrap();
    use sea_orm::{ConnectionTrait, Statement};
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT secret_hash FROM api_keys",
        ))
        .await
        .unwrap();
    let stored: String = rows[0].try_get("", "secret_hash").unwrap();
    assert_ne!(stored, secret);
    assert!(!stored.contains(&secret[9..]));
}

#[tokio::test]
async fn a_key_reads_with_either_header_and_last_used_at_moves() {
    let app = spawn_app().await;
    let (key, secret) = create_key(&app, json!({"name": "Dashboard", "role": "viewer"})).await;
    assert_eq!(
        app.get("/api/v1/projects", &secret).await.status(),
        StatusCode::OK
    );
    let res = with_header(&app, Method::GET, "/api/v1/organisations", &secret)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let read = app.read(&format!("/api/v1/api-keys/{}", id(&key))).await;
    assert!(read["last_used_at"].is_string(), "{read}");
}

#[tokio::test]
async fn a_viewer_key_cannot_write_and_no_key_reaches_users_or_keys() {
    let app = spawn_app().await;
    let (_, viewer) = create_key(&app, json!({"name": "Reader", "role": "viewer"})).await;
    let (_, editor) = create_key(&app, json!({"name": "Writer", "role": "editor"})).await;
    let org = json!({"name": "Ministry of Interior", "kind": "government_ministry"});
    problem(
        app.post("/api/v1/organisations", &viewer, &org).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    for key in [&viewer, &editor] {
        for path in ["/api/v1/users", "/api/v1/api-keys", "/api/v1/audit-events"] {
            problem(app.get(path, key).await, StatusCode::FORBIDDEN).await;
        }
        problem(
            app.post(
                "/api/v1/api-keys",
                key,
                &json!({"name": "escalate", "role": "editor"}),
            )
            .await,
            StatusCode::FORBIDDEN,
        )
        .await;
        // A key is no user: no profile, no password, no sessions.
        problem(app.get("/api/v1/auth/me", key).await, StatusCode::FORBIDDEN).await;
    }
    assert_eq!(
        app.post("/api/v1/organisations", &editor, &org)
            .await
            .status(),
        StatusCode::CREATED
    );
}

#[tokio::test]
async fn the_audit_trail_and_the_change_feed_name_the_key() {
    let app = spawn_app().await;
    let (key, secret) = create_key(&app, json!({"name": "Importer", "role": "editor"})).await;
    let res = app
        .request(Method::POST, "/api/v1/organisations", &secret)
        .header("x-request-id", "importer-run-7")
        .json(&json!({"name": "IOM", "kind": "international_organisation"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let server_id = res.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert_ne!(server_id, "importer-run-7");
    assert_eq!(res.headers()["x-correlation-id"], "importer-run-7");
    let org: Value = res.json().await.unwrap();
    assert_eq!(org["created_by"], id(&key).as_str());

    let history = app
        .read(&format!("/api/v1/organisations/{}/history", id(&org)))
        .await;
    let event = &history["items"][0];
    assert_eq!(event["actor_type"], "api_key");
    assert_eq!(event["actor"], id(&key).as_str());
    assert_eq!(event["request_id"], server_id.as_str());
    assert_eq!(event["correlation_id"], "importer-run-7");

    let feed = app.read("/api/v1/changes?resource_type=organisation").await;
    let change = feed["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["record_id"] == org["id"])
        .cloned()
        .unwrap();
    assert_eq!(change["actor_type"], "api_key");
    assert_eq!(change["actor"], id(&key).as_str());
}

#[tokio::test]
async fn a_revoked_key_is_401_at_once_and_stays_revoked() {
    let app = spawn_app().await;
    let (key, secret) = create_key(&app, json!({"name": "Old system", "role": "viewer"})).await;
    assert_eq!(
        app.get("/api/v1/projects", &secret).await.status(),
        StatusCode::OK
    );
    let path = format!("/api/v1/api-keys/{}", id(&key));
    assert_eq!(
        app.delete(&path, &app.admin).await.status(),
        StatusCode::NO_CONTENT
    );
    let res = app.get("/api/v1/projects", &secret).await;
    assert!(res.headers().contains_key("www-authenticate"));
    problem(res, StatusCode::UNAUTHORIZED).await;
    let res = with_header(&app, Method::GET, "/api/v1/projects", &secret)
        .send()
        .await
        .unwrap();
    problem(res, StatusCode::UNAUTHORIZED).await;
    // Gone from the list, shown with include_deleted, never restorable.
    let listed = app.read("/api/v1/api-keys").await;
    assert!(listed["items"].as_array().unwrap().is_empty());
    let all = app.read("/api/v1/api-keys?include_deleted=true").await;
    assert!(all["items"][0]["revoked_at"].is_string());
    problem(app.get(&path, &app.admin).await, StatusCode::NOT_FOUND).await;
    let res = app
        .post(&format!("{path}/restore"), &app.admin, &json!({}))
        .await;
    assert!(res.status().is_client_error());
    assert_eq!(
        app.get("/api/v1/projects", &secret).await.status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn an_expired_key_is_401() {
    let app = spawn_app().await;
    let soon = (chrono::Utc::now() + chrono::Duration::seconds(2)).to_rfc3339();
    let (_, secret) = create_key(
        &app,
        json!({"name": "Short-lived", "role": "viewer", "expires_at": soon}),
    )
    .await;
    assert_eq!(
        app.get("/api/v1/projects", &secret).await.status(),
        StatusCode::OK
    );
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    problem(
        app.get("/api/v1/projects", &secret).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
}

#[tokio::test]
async fn rotation_replaces_the_secret_at_once() {
    let app = spawn_app().await;
    let (key, old) = create_key(&app, json!({"name": "Sync", "role": "editor"})).await;
    let path = format!("/api/v1/api-keys/{}/rotate", id(&key));
    // A stale If-Match changes nothing.
    let res = app
        .request(Method::POST, &path, &app.admin)
        .header("if-match", "\"7\"")
        .send()
        .await
        .unwrap();
    problem(res, StatusCode::PRECONDITION_FAILED).await;
    let res = app
        .request(Method::POST, &path, &app.admin)
        .header("if-match", "\"1\"")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let rotated: Value = res.json().await.unwrap();
    let new = rotated["secret"].as_str().unwrap();
    assert_ne!(new, old);
    assert_eq!(rotated["key"]["version"], 2);
    assert_eq!(
        app.get("/api/v1/projects", &old).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.get("/api/v1/projects", new).await.status(),
        StatusCode::OK
    );
    // The history records the rotation without any secret.
    let history = app
        .get(
            &format!("/api/v1/api-keys/{}/history", id(&key)),
            &app.admin,
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(history.contains("\"update\"") && !history.contains(new) && !history.contains(&old));
}

#[tokio::test]
async fn bad_key_requests_are_422_and_create_nothing() {
    let app = spawn_app().await;
    for (body, field) in [
        (json!({"name": "Root", "role": "admin"}), "role"),
        (json!({"name": "  ", "role": "viewer"}), "name"),
        (
            json!({"name": "Past", "role": "viewer", "expires_at": "2020-01-01T00:00:00Z"}),
            "expires_at",
        ),
    ] {
        let res = app.post("/api/v1/api-keys", &app.admin, &body).await;
        let problem = problem(res, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(error_fields(&problem), [field], "{body}");
    }
    let res = app
        .post(
            "/api/v1/api-keys",
            &app.admin,
            &json!({"name": "x", "role": "owner"}),
        )
        .await;
    assert!(res.status().is_client_error());
    let listed = app.read("/api/v1/api-keys?include_deleted=true").await;
    assert!(listed["items"].as_array().unwrap().is_empty());
    // An unknown key and a key-shaped guess are 401 like any bad token.
    problem(
        app.get("/api/v1/projects", "rihla_ak_not-a-real-key").await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
}
