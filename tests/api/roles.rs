use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::support::*;

#[tokio::test]
async fn a_viewer_reads_but_cannot_write_anything() {
    let app = spawn_app().await;
    let (_, viewer) = app.user("viewer").await;
    let org = app.organisation("Ministry of Interior").await;
    let project = app.project(project_body("LIBMITAF")).await;
    let org_url = format!("/api/v1/organisations/{}", org["id"].as_str().unwrap());
    let project_url = format!("/api/v1/projects/{}", project["id"].as_str().unwrap());

    for path in [
        "/api/v1/projects",
        "/api/v1/organisations",
        "/api/v1/auth/me",
        &org_url,
        &project_url,
    ] {
        assert_eq!(
            app.get(path, &viewer).await.status(),
            StatusCode::OK,
            "GET {path}"
        );
    }
    let writes = [
        (
            Method::POST,
            "/api/v1/organisations".to_owned(),
            json!({"name": "X", "kind": "other"}),
        ),
        (
            Method::POST,
            "/api/v1/projects".to_owned(),
            project_body("OTHER"),
        ),
        (Method::PATCH, org_url.clone(), json!({"acronym": "MoI"})),
        (Method::PUT, project_url.clone(), project_body("LIBMITAF")),
        (Method::PATCH, project_url.clone(), json!({"title": "x"})),
    ];
    for (method, path, body) in writes {
        let res = app.send_json(method.clone(), &path, &viewer, &body).await;
        problem(res, StatusCode::FORBIDDEN).await;
    }
    problem(
        app.delete(&project_url, &viewer).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    problem(app.delete(&org_url, &viewer).await, StatusCode::FORBIDDEN).await;
    // Nothing changed.
    assert_eq!(
        app.get(&project_url, &viewer)
            .await
            .json::<serde_json::Value>()
            .await
            .unwrap()["version"],
        1
    );
}

#[tokio::test]
async fn an_editor_writes_domain_records_but_cannot_manage_users() {
    let app = spawn_app().await;
    let (_, editor) = app.user("editor").await;
    let res = app
        .post("/api/v1/projects", &editor, &project_body("LIBMITAF"))
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let res = app
        .post(
            "/api/v1/organisations",
            &editor,
            &json!({"name": "EUBAM Libya", "kind": "international_organisation"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    problem(
        app.get("/api/v1/users", &editor).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    let res = app
        .post(
            "/api/v1/users",
            &editor,
            &json!({"email": "x@example.org", "display_name": "x", "role": "admin", "password": PASSWORD}),
        )
        .await;
    problem(res, StatusCode::FORBIDDEN).await;
}

#[tokio::test]
async fn a_forbidden_write_is_refused_before_its_body_is_read() {
    let app = spawn_app().await;
    let (_, viewer) = app.user("viewer").await;
    let res = app
        .request(Method::POST, "/api/v1/projects", &viewer)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    problem(res, StatusCode::FORBIDDEN).await;
}
