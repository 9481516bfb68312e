//! What every response and file carries for safety (issue 17, parts 1, 6
//! and 7): CORS for exactly the configured origins, answered by real
//! preflights; security headers; no-store; a private data folder; the
//! server's own request id beside the client's.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::support::*;

const FRONTEND: &str = "http://localhost:5173";

async fn preflight(app: &TestApp, path: &str, origin: &str, method: &str) -> reqwest::Response {
    app.client
        .request(Method::OPTIONS, app.url(path))
        .header("origin", origin)
        .header("access-control-request-method", method)
        .header(
            "access-control-request-headers",
            "authorization, content-type, if-match, idempotency-key, x-request-id",
        )
        .send()
        .await
        .unwrap()
}

fn header(res: &reqwest::Response, name: &str) -> String {
    res.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase()
}

#[tokio::test]
async fn a_preflight_from_an_allowed_origin_gets_the_cors_headers() {
    let app =
        spawn_with(|c| c.cors_origins = vec![FRONTEND.into(), "https://app.example.org".into()])
            .await;
    for (path, method) in [
        ("/api/v1/projects", "GET"),
        ("/api/v1/projects", "POST"),
        (
            "/api/v1/projects/0193a0c4-0000-7000-8000-000000000001",
            "PATCH",
        ),
        (
            "/api/v1/documents/0193a0c4-0000-7000-8000-000000000001",
            "DELETE",
        ),
        ("/api/v1/auth/token", "POST"),
    ] {
        let res = preflight(&app, path, FRONTEND, method).await;
        assert!(
            res.status().is_success(),
            "{method} {path}: {}",
            res.status()
        );
        assert_eq!(header(&res, "access-control-allow-origin"), FRONTEND);
        assert!(
            header(&res, "access-control-allow-methods").contains(&method.to_ascii_lowercase())
        );
        let allowed = header(&res, "access-control-allow-headers");
        for h in [
            "authorization",
            "content-type",
            "if-match",
            "idempotency-key",
            "x-request-id",
        ] {
            assert!(allowed.contains(h), "{h} in {allowed}");
        }
        assert!(!header(&res, "access-control-max-age").is_empty());
    }
    // A real request from the origin can read what a frontend needs.
    let res = app
        .request(Method::GET, "/api/v1/projects", &app.admin)
        .header("origin", FRONTEND)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(header(&res, "access-control-allow-origin"), FRONTEND);
    let exposed = header(&res, "access-control-expose-headers");
    for h in ["etag", "location", "x-request-id", "retry-after"] {
        assert!(exposed.contains(h), "{h} in {exposed}");
    }
}

#[tokio::test]
async fn another_origin_gets_no_cors_headers() {
    let app = spawn_with(|c| c.cors_origins = vec![FRONTEND.into()]).await;
    for origin in ["http://evil.example", "http://localhost:5174", "null"] {
        let res = preflight(&app, "/api/v1/projects", origin, "GET").await;
        assert!(!res.status().is_success(), "{origin}");
        assert!(
            header(&res, "access-control-allow-origin").is_empty(),
            "{origin}"
        );
        let res = app
            .request(Method::GET, "/api/v1/projects", &app.admin)
            .header("origin", origin)
            .send()
            .await
            .unwrap();
        // Served (curl and servers send Origin too), but no browser script may read it.
        assert_eq!(res.status(), StatusCode::OK);
        assert!(
            header(&res, "access-control-allow-origin").is_empty(),
            "{origin}"
        );
    }
    // No allowlist, no CORS at all.
    let closed = spawn_app().await;
    let res = preflight(&closed, "/api/v1/projects", FRONTEND, "GET").await;
    assert!(header(&res, "access-control-allow-origin").is_empty());
}

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let app = spawn_app().await;
    for path in [
        "/health",
        "/api/v1/projects",
        "/api/v1/nope",
        "/api-docs/openapi.json",
    ] {
        let res = app.get(path, &app.admin).await;
        assert_eq!(header(&res, "x-content-type-options"), "nosniff", "{path}");
        assert_eq!(header(&res, "referrer-policy"), "no-referrer", "{path}");
        assert_eq!(header(&res, "x-frame-options"), "deny", "{path}");
        assert!(
            header(&res, "content-security-policy").contains("frame-ancestors 'none'"),
            "{path}"
        );
        assert_eq!(header(&res, "cache-control"), "no-store", "{path}");
    }
    let res = app.get("/swagger-ui/", "").await;
    assert_eq!(res.status(), StatusCode::OK);
    let csp = header(&res, "content-security-policy");
    assert!(
        csp.contains("frame-ancestors 'none'") && csp.contains("script-src 'self'"),
        "{csp}"
    );
    assert_eq!(header(&res, "x-frame-options"), "deny");
}

#[tokio::test]
async fn the_server_keeps_its_own_request_id_and_the_clients_beside_it() {
    let app = spawn_app().await;
    let res = app
        .request(Method::POST, "/api/v1/organisations", &app.admin)
        .header("x-request-id", "frontend-trace-1")
        .json(&json!({"name": "EUBAM", "kind": "international_organisation"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let server = header(&res, "x-request-id");
    assert_eq!(server.len(), 36);
    assert_eq!(header(&res, "x-correlation-id"), "frontend-trace-1");
    let org: serde_json::Value = res.json().await.unwrap();
    let events = app
        .read(&format!("/api/v1/audit-events?record_id={}", id(&org)))
        .await;
    assert_eq!(events["items"][0]["request_id"], server.as_str());
    assert_eq!(events["items"][0]["correlation_id"], "frontend-trace-1");
    // A problem quotes both.
    let res = app
        .client
        .get(app.url("/api/v1/nope"))
        .header("x-request-id", "frontend-trace-2")
        .send()
        .await
        .unwrap();
    let body = problem(res, StatusCode::NOT_FOUND).await;
    assert_ne!(body["request_id"], "frontend-trace-2");
    assert_eq!(body["correlation_id"], "frontend-trace-2");
}

#[cfg(unix)]
#[tokio::test]
async fn the_data_folder_and_database_are_private() {
    use std::os::unix::fs::PermissionsExt;
    if std::env::var("TEST_DATABASE_URL").is_ok() {
        return;
    }
    let app = spawn_app().await;
    let dir = app.data_dir();
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(dir), 0o700);
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        assert_eq!(mode(&path), 0o600, "{}", path.display());
    }
    assert!(dir.join("rihla.db").exists());
}

#[tokio::test]
async fn a_weak_bootstrap_admin_password_refuses_to_start() {
    let mut config = rihla_api::Config::defaults();
    config.bind = "127.0.0.1:0".parse().unwrap();
    config.data_dir = std::env::temp_dir().join(format!("rihla-weak-{}", uuid::Uuid::new_v4()));
    config.admin_password = Some("a".to_owned().into());
    config.jwt_secret = Some(JWT_SECRET.to_owned().into());
    let err = rihla_api::start(&config).await.err().expect("refused");
    let message = format!("{err:#}");
    assert!(
        message.contains("APP_ADMIN_PASSWORD") && message.contains("12"),
        "{message}"
    );
    assert!(!config.data_dir.join("rihla.db").exists());
    let _ = std::fs::remove_dir_all(&config.data_dir);
}

#[tokio::test]
async fn a_second_serve_on_the_same_sqlite_folder_is_refused() {
    if std::env::var("TEST_DATABASE_URL").is_ok() {
        return;
    }
    let app = spawn_app().await;
    let mut config = rihla_api::Config::defaults();
    config.bind = "127.0.0.1:0".parse().unwrap();
    config.data_dir = app.data_dir().to_path_buf();
    config.jwt_secret = Some(JWT_SECRET.to_owned().into());
    let err = rihla_api::start(&config).await.err().expect("refused");
    let message = format!("{err:#}");
    assert!(message.contains("another `rihla serve`"), "{message}");
    // The first is unharmed.
    assert_eq!(
        app.get("/api/v1/projects", &app.admin).await.status(),
        StatusCode::OK
    );
}
