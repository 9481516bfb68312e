use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::*;

#[tokio::test]
async fn malformed_json_is_a_400_problem_and_stores_nothing() {
    let app = spawn_app().await;
    for body in ["{\"code\": \"X\",", "not json", "", "[1, 2"] {
        let res = app
            .request(Method::POST, "/api/v1/projects", &app.admin)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        problem(res, StatusCode::BAD_REQUEST).await;
    }
    let page: Value = app
        .get("/api/v1/projects?count=true", &app.admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["total"], 0);
}

#[tokio::test]
async fn a_wrong_content_type_is_415() {
    let app = spawn_app().await;
    for ct in [
        None,
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
    ] {
        let mut rb = app.request(Method::POST, "/api/v1/organisations", &app.admin);
        if let Some(ct) = ct {
            rb = rb.header("content-type", ct);
        }
        let res = rb
            .body(r#"{"name":"X","kind":"other"}"#)
            .send()
            .await
            .unwrap();
        problem(res, StatusCode::UNSUPPORTED_MEDIA_TYPE).await;
    }
    // The JSON suffix types are accepted (merge patch).
    let res = app
        .request(Method::POST, "/api/v1/organisations", &app.admin)
        .header("content-type", "application/json; charset=utf-8")
        .body(r#"{"name":"X","kind":"other"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn a_body_over_the_configured_limit_is_413() {
    let app = spawn_with(|c| c.body_limit_bytes = 4096).await;
    let mut body = project_body("BIG");
    body["summary"] = json!("x".repeat(5000));
    let res = app.post("/api/v1/projects", &app.admin, &body).await;
    problem(res, StatusCode::PAYLOAD_TOO_LARGE).await;
    // Without a Content-Length (chunked), the limit still holds.
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> = vec![
        Ok(serde_json::to_vec(&body).unwrap()[..3000].to_vec()),
        Ok(serde_json::to_vec(&body).unwrap()[3000..].to_vec()),
    ];
    let res = app
        .request(Method::POST, "/api/v1/projects", &app.admin)
        .header("content-type", "application/json")
        .body(reqwest::Body::wrap_stream(futures_util::stream::iter(
            chunks,
        )))
        .send()
        .await
        .unwrap();
    problem(res, StatusCode::PAYLOAD_TOO_LARGE).await;
    let page: Value = app
        .get("/api/v1/projects?count=true", &app.admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["total"], 0);
}

#[tokio::test]
async fn an_unknown_route_is_404_and_a_wrong_method_is_405_with_allow() {
    let app = spawn_app().await;
    problem(
        app.get("/api/v1/nothing-here", &app.admin).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    problem(app.get("/nope", "").await, StatusCode::NOT_FOUND).await;
    let res = app.delete("/api/v1/projects", &app.admin).await;
    let allow = res.headers()["allow"].to_str().unwrap().to_owned();
    assert!(allow.contains("GET") && allow.contains("POST"), "{allow}");
    problem(res, StatusCode::METHOD_NOT_ALLOWED).await;
    let res = app
        .send_json(
            Method::POST,
            &format!("/api/v1/projects/{}", uuid::Uuid::now_v7()),
            &app.admin,
            &json!({}),
        )
        .await;
    problem(res, StatusCode::METHOD_NOT_ALLOWED).await;
}

#[tokio::test]
async fn a_bad_path_parameter_is_400() {
    let app = spawn_app().await;
    let res = app.get("/api/v1/projects/not-a-uuid", &app.admin).await;
    problem(res, StatusCode::BAD_REQUEST).await;
}

#[tokio::test]
async fn deeply_nested_json_is_rejected_without_harm() {
    let app = spawn_app().await;
    let body = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
    let res = app
        .request(Method::POST, "/api/v1/projects", &app.admin)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    problem(res, StatusCode::BAD_REQUEST).await;
    assert_eq!(app.get("/health", "").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn the_request_id_is_the_servers_and_the_clients_is_its_correlation_id() {
    let app = spawn_app().await;
    let res = app
        .client
        .get(app.url("/health"))
        .header("x-request-id", "trace-abc-123")
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["x-request-id"].len(), 36);
    assert_eq!(res.headers()["x-correlation-id"], "trace-abc-123");
    let res = app.client.get(app.url("/health")).send().await.unwrap();
    assert_eq!(res.headers()["x-request-id"].len(), 36);
    assert!(!res.headers().contains_key("x-correlation-id"));
    // An unsafe id is dropped, not echoed.
    let res = app
        .client
        .get(app.url("/health"))
        .header("x-request-id", "a b\tc")
        .send()
        .await
        .unwrap();
    assert!(!res.headers().contains_key("x-correlation-id"));
    let res = app
        .client
        .get(app.url("/nope"))
        .header("x-request-id", "trace-404")
        .send()
        .await
        .unwrap();
    let body = problem(res, StatusCode::NOT_FOUND).await;
    assert_eq!(body["correlation_id"], "trace-404");
    assert_ne!(body["request_id"], "trace-404");
}

#[tokio::test]
async fn health_ready_swagger_ui_and_the_spec_are_served() {
    let app = spawn_app().await;
    assert_eq!(app.get("/health", "").await.status(), StatusCode::OK);
    let ready: Value = app.get("/ready", "").await.json().await.unwrap();
    assert_eq!(ready["status"], "ready");
    let spec: Value = app
        .get("/api-docs/openapi.json", "")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(spec["openapi"], "3.1.0");
    let bare = app.get("/swagger-ui", "").await;
    assert!(bare.status().is_redirection());
    assert_eq!(bare.headers()["location"], "/swagger-ui/");
    let ui = app.get("/swagger-ui/", "").await;
    assert_eq!(ui.status(), StatusCode::OK);
    assert!(ui.text().await.unwrap().contains("swagger"));
}

#[tokio::test]
async fn a_nul_character_in_a_body_or_a_query_is_a_client_error_and_stores_nothing() {
    let app = spawn_app().await;
    let res = app
        .post(
            "/api/v1/dialogues",
            &app.admin,
            &json!({"name": "Rabat\u{0}Process", "kind": "bilateral"}),
        )
        .await;
    let p = problem(res, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(error_fields(&p), ["name"]);
    let res = app
        .post(
            "/api/v1/organisations",
            &app.admin,
            &json!({"name": "MFA", "kind": "other", "acronym": "M\u{0}"}),
        )
        .await;
    problem(res, StatusCode::UNPROCESSABLE_ENTITY).await;
    // A member name with a NUL is named in the error, escaped, never echoed raw.
    let res = app
        .post(
            "/api/v1/organisations",
            &app.admin,
            &json!({"name": "MFA", "kind": "other", "x\u{0}y": 1}),
        )
        .await;
    let p = problem(res, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(error_fields(&p), ["x\\u0000y"]);
    for path in [
        "/api/v1/dialogues?q=%00",
        "/api/v1/activities?topic=a%00b",
        "/api/v1/projects?theme=%00",
        "/api/v1/meetings?country_code=%00",
    ] {
        problem(app.get(path, &app.admin).await, StatusCode::BAD_REQUEST).await;
    }
    assert_eq!(app.read("/api/v1/dialogues?count=true").await["total"], 0);
    assert_eq!(
        app.read("/api/v1/organisations?count=true").await["total"],
        0
    );
}

#[tokio::test]
async fn a_malformed_if_match_is_400_and_changes_nothing() {
    let app = spawn_app().await;
    let project = app.project(project_body("P-1")).await;
    let path = format!("/api/v1/projects/{}", id(&project));
    for bad in ["W/\"1\"", "\"abc\"", "\"1\", \"2\"", "\"\"", "1x"] {
        let res = app
            .request(Method::PATCH, &path, &app.admin)
            .header("if-match", bad)
            .json(&json!({"title": "x"}))
            .send()
            .await
            .unwrap();
        let p = problem(res, StatusCode::BAD_REQUEST).await;
        assert_eq!(error_fields(&p), ["If-Match"], "{bad}");
    }
    assert_eq!(app.read(&path).await["version"], 1);
    // The bare version is understood as its ETag.
    let res = app
        .request(Method::PATCH, &path, &app.admin)
        .header("if-match", "1")
        .json(&json!({"title": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_whole_number_written_as_a_float_is_the_integer_json_schema_says_it_is() {
    let app = spawn_app().await;
    let project = app.project(project_body("P-1")).await;
    let body = json!({
        "project_id": project["id"], "kind": "training", "title": "Counted",
        "participants": {"planned": 20.0, "actual": 18.0}
    });
    let activity = app.create("/api/v1/activities", body).await;
    assert_eq!(activity["participants"]["planned"], 20);
    let res = app
        .post(
            "/api/v1/activities",
            &app.admin,
            &json!({"project_id": project["id"], "kind": "training", "title": "Half", "participants": {"planned": 20.5}}),
        )
        .await;
    problem(res, StatusCode::UNPROCESSABLE_ENTITY).await;
}

#[tokio::test]
async fn an_overlong_refresh_token_is_422_at_refresh_and_logout() {
    let app = spawn_app().await;
    let long = json!({"refresh_token": "x".repeat(201)});
    for path in ["/api/v1/auth/refresh", "/api/v1/auth/logout"] {
        let res = app.post(path, "", &long).await;
        let p = problem(res, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(error_fields(&p), ["refresh_token"], "{path}");
    }
}
