use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::*;

#[tokio::test]
async fn an_organisation_is_created_read_listed_patched_replaced_and_deleted() {
    let app = spawn_app().await;
    let body = json!({
        "name": "Ministry of Foreign Affairs and International Cooperation",
        "acronym": "MoFA", "kind": "government_ministry", "country_code": "LY",
        "iati_org_ref": "LY-MOFA"
    });
    let res = app.post("/api/v1/organisations", &app.admin, &body).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(res.headers()["etag"], "\"1\"");
    let created: Value = res.json().await.unwrap();
    let url = format!("/api/v1/organisations/{}", created["id"].as_str().unwrap());
    for (k, v) in body.as_object().unwrap() {
        assert_eq!(&created[k], v, "{k}");
    }
    assert_eq!(created["version"], 1);
    assert!(created["created_by"].is_string());

    let res = app.get(&url, &app.admin).await;
    assert_eq!(res.headers()["etag"], "\"1\"");
    assert_eq!(res.json::<Value>().await.unwrap(), created);

    // A department under it.
    let dept = app
        .post(
            "/api/v1/organisations",
            &app.admin,
            &json!({"name": "Department for Consular Affairs", "kind": "government_ministry", "parent_id": created["id"]}),
        )
        .await;
    assert_eq!(dept.status(), StatusCode::CREATED);
    let dept: Value = dept.json().await.unwrap();

    let page: Value = app
        .get(
            &format!(
                "/api/v1/organisations?parent_id={}",
                created["id"].as_str().unwrap()
            ),
            &app.admin,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    assert_eq!(page["items"][0]["id"], dept["id"]);

    let res = app
        .send_json(Method::PATCH, &url, &app.admin, &json!({"acronym": null}))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["etag"], "\"2\"");
    let patched: Value = res.json().await.unwrap();
    assert!(patched["acronym"].is_null());
    assert_eq!(patched["name"], body["name"]);

    let res = app
        .send_json(
            Method::PUT,
            &url,
            &app.admin,
            &json!({"name": "Ministry of Foreign Affairs", "kind": "government_ministry"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let replaced: Value = res.json().await.unwrap();
    assert_eq!(replaced["version"], 3);
    assert!(
        replaced["country_code"].is_null(),
        "PUT clears omitted fields"
    );

    // Still referenced by its department.
    let conflict = problem(app.delete(&url, &app.admin).await, StatusCode::CONFLICT).await;
    assert_eq!(conflict["references"][0]["id"], dept["id"]);
    let dept_url = format!("/api/v1/organisations/{}", dept["id"].as_str().unwrap());
    assert_eq!(
        app.delete(&dept_url, &app.admin).await.status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.delete(&url, &app.admin).await.status(),
        StatusCode::NO_CONTENT
    );
    problem(app.get(&url, &app.admin).await, StatusCode::NOT_FOUND).await;
}

#[tokio::test]
async fn deleting_an_organisation_a_project_references_is_a_conflict_naming_the_project() {
    let app = spawn_app().await;
    let ec = app.organisation("European Commission").await;
    let mut body = project_body("LIBMITAF");
    body["participating_organisations"] = json!([{"organisation_id": ec["id"], "role": "funding"}]);
    let project = app.project(body).await;
    let url = format!("/api/v1/organisations/{}", ec["id"].as_str().unwrap());
    let conflict = problem(app.delete(&url, &app.admin).await, StatusCode::CONFLICT).await;
    assert!(
        conflict["detail"].as_str().unwrap().contains("LIBMITAF"),
        "{conflict}"
    );
    assert_eq!(conflict["references"][0]["resource"], "projects");
    assert_eq!(conflict["references"][0]["id"], project["id"]);
    assert_eq!(conflict["references"][0]["label"], "LIBMITAF");
    assert_eq!(app.get(&url, &app.admin).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn organisation_rules_are_enforced() {
    let app = spawn_app().await;
    let a = app.organisation("Ministry of Justice").await;
    // Unique name.
    let res = app
        .post(
            "/api/v1/organisations",
            &app.admin,
            &json!({"name": "Ministry of Justice", "kind": "other"}),
        )
        .await;
    assert_eq!(
        error_fields(&problem(res, StatusCode::CONFLICT).await),
        ["name"]
    );
    // Field rules, all reported at once.
    let res = app
        .post(
            "/api/v1/organisations",
            &app.admin,
            &json!({"name": "  ", "kind": "other", "country_code": "Libya", "acronym": "", "iati_org_ref": "has space"}),
        )
        .await;
    let fields = error_fields(&problem(res, StatusCode::UNPROCESSABLE_ENTITY).await);
    for f in ["name", "country_code", "acronym", "iati_org_ref"] {
        assert!(fields.contains(&f.to_owned()), "{f} in {fields:?}");
    }
    // Unknown kind names the field.
    let res = app
        .post(
            "/api/v1/organisations",
            &app.admin,
            &json!({"name": "X", "kind": "club"}),
        )
        .await;
    assert_eq!(
        error_fields(&problem(res, StatusCode::UNPROCESSABLE_ENTITY).await),
        ["kind"]
    );
    // Missing required field.
    let res = app
        .post(
            "/api/v1/organisations",
            &app.admin,
            &json!({"kind": "other"}),
        )
        .await;
    assert_eq!(
        error_fields(&problem(res, StatusCode::UNPROCESSABLE_ENTITY).await),
        ["name"]
    );
    // A parent that does not exist.
    let res = app
        .post(
            "/api/v1/organisations",
            &app.admin,
            &json!({"name": "Orphan", "kind": "other", "parent_id": uuid::Uuid::now_v7()}),
        )
        .await;
    assert_eq!(
        error_fields(&problem(res, StatusCode::UNPROCESSABLE_ENTITY).await),
        ["parent_id"]
    );
    // A cycle: A's parent B, then B's parent A.
    let b = app
        .post(
            "/api/v1/organisations",
            &app.admin,
            &json!({"name": "B", "kind": "other", "parent_id": a["id"]}),
        )
        .await
        .json::<Value>()
        .await
        .unwrap();
    let res = app
        .send_json(
            Method::PATCH,
            &format!("/api/v1/organisations/{}", a["id"].as_str().unwrap()),
            &app.admin,
            &json!({"parent_id": b["id"]}),
        )
        .await;
    assert_eq!(
        error_fields(&problem(res, StatusCode::UNPROCESSABLE_ENTITY).await),
        ["parent_id"]
    );
}

#[tokio::test]
async fn organisations_filter_by_kind_country_and_text() {
    let app = spawn_app().await;
    for (name, kind, cc) in [
        (
            "Swiss State Secretariat for Migration",
            "government_agency",
            "CH",
        ),
        ("Ministry of Interior", "government_ministry", "LY"),
        ("EUI Migration Policy Centre", "research_institute", "IT"),
    ] {
        let res = app
            .post(
                "/api/v1/organisations",
                &app.admin,
                &json!({"name": name, "kind": kind, "country_code": cc}),
            )
            .await;
        assert_eq!(res.status(), StatusCode::CREATED);
    }
    let names = |v: Value| -> Vec<String> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["name"].as_str().unwrap().to_owned())
            .collect()
    };
    let get = |q: &'static str| {
        let app = &app;
        async move {
            app.get(&format!("/api/v1/organisations?{q}"), &app.admin)
                .await
                .json::<Value>()
                .await
                .unwrap()
        }
    };
    assert_eq!(
        names(get("kind=government_ministry").await),
        ["Ministry of Interior"]
    );
    assert_eq!(
        names(get("country_code=CH").await),
        ["Swiss State Secretariat for Migration"]
    );
    assert_eq!(
        names(get("q=MIGRATION").await),
        [
            "EUI Migration Policy Centre",
            "Swiss State Secretariat for Migration"
        ]
    );
    assert_eq!(
        names(get("q=migration&sort=-name").await),
        [
            "Swiss State Secretariat for Migration",
            "EUI Migration Policy Centre"
        ]
    );
    assert!(
        names(get("q=%25").await).is_empty(),
        "LIKE wildcards are matched literally"
    );
}
