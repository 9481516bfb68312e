//! Query strings are checked like bodies (issue 29): every operation of
//! the served contract refuses a parameter it does not declare, and a
//! declared one that does not parse, with a 400 naming it.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::support::*;

/// (field, code) of each error of a 400.
async fn errors_of(res: reqwest::Response) -> Vec<(String, String)> {
    let body = problem(res, StatusCode::BAD_REQUEST).await;
    body["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("no errors in {body}"))
        .iter()
        .map(|e| {
            (
                e["field"].as_str().unwrap().to_owned(),
                e["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn every_operation_refuses_a_query_parameter_it_does_not_declare() {
    let app = spawn_app().await;
    let spec = app.read("/api-docs/openapi.json").await;
    let mut checked = 0;
    for (template, item) in spec["paths"].as_object().unwrap() {
        for method in ["get", "post", "put", "patch", "delete"] {
            if item.get(method).is_none() {
                continue;
            }
            let path = template
                .split('/')
                .map(|s| {
                    if s.starts_with('{') {
                        Uuid::now_v7().to_string()
                    } else {
                        s.to_owned()
                    }
                })
                .collect::<Vec<_>>()
                .join("/");
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let res = app
                .request(
                    method.clone(),
                    &format!("{path}?zz_not_declared=1"),
                    &app.admin,
                )
                .json(&json!({}))
                .send()
                .await
                .unwrap();
            assert_eq!(
                errors_of(res).await,
                [("zz_not_declared".to_owned(), "unknown_parameter".to_owned())],
                "{method} {template}"
            );
            checked += 1;
        }
    }
    assert!(checked > 50, "{checked} operations");
}

#[tokio::test]
async fn a_typo_or_a_bad_value_is_named_and_changes_nothing() {
    let app = spawn_app().await;
    app.project(project_body("STRICT-1")).await;
    let res = app.get("/api/v1/projects?stauts=active", &app.admin).await;
    let body = problem(res, StatusCode::BAD_REQUEST).await;
    assert_eq!(body["errors"][0]["field"], "stauts");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("did you mean status?"),
        "{body}"
    );
    let res = app
        .get("/api/v1/projects?status=done&count=1&q=x&q=y", &app.admin)
        .await;
    assert_eq!(
        errors_of(res).await,
        [
            ("status".to_owned(), "not_one_of".to_owned()),
            ("count".to_owned(), "not_a_boolean".to_owned()),
            ("q".to_owned(), "repeated".to_owned()),
        ]
    );
    let res = app
        .get(
            "/api/v1/audit-events?from=2020-13-01T00:00:00Z&record_id=x",
            &app.admin,
        )
        .await;
    assert_eq!(
        errors_of(res).await,
        [
            ("from".to_owned(), "not_a_date_time".to_owned()),
            ("record_id".to_owned(), "not_a_uuid".to_owned()),
        ]
    );
    // A write with a stray parameter is refused before it writes.
    let res = app
        .request(Method::POST, "/api/v1/projects?dry_run=true", &app.admin)
        .json(&project_body("STRICT-2"))
        .send()
        .await
        .unwrap();
    assert_eq!(errors_of(res).await[0].0, "dry_run");
    let codes: Vec<Value> = app.read("/api/v1/projects").await["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["code"].clone())
        .collect();
    assert_eq!(codes, [json!("STRICT-1")]);
    // What is declared still works, the plural kinds of the feed included.
    for ok in [
        "/api/v1/projects?status=active&count=true&sort=-code&limit=5",
        "/api/v1/changes?resource_type=projects",
        "/api/v1/projects?format=csv&bom=true",
    ] {
        assert_eq!(
            app.get(ok, &app.admin).await.status(),
            StatusCode::OK,
            "{ok}"
        );
    }
}
