//! Projects and activities keep a copy of their child rows on their own row,
//! which is what reads return. These tests hold that copy to the child tables
//! (the source of truth for filters and references) through every write, and
//! through the migration that first fills it.

use reqwest::{Method, StatusCode};
use rihla_persistence::entities::{
    activity_locations, activity_organisations, activity_tags, project_outcomes,
    project_participants, project_tags,
};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::support::*;

/// The project's children as its child tables hold them, in the API's shape.
async fn project_tables(app: &TestApp, project: &str) -> Value {
    let id: Uuid = project.parse().unwrap();
    let db = &app.state.db;
    let participants = project_participants::Entity::find()
        .filter(project_participants::Column::ProjectId.eq(id))
        .order_by_asc(project_participants::Column::Position)
        .all(db)
        .await
        .unwrap();
    let outcomes = project_outcomes::Entity::find()
        .filter(project_outcomes::Column::ProjectId.eq(id))
        .order_by_asc(project_outcomes::Column::Position)
        .all(db)
        .await
        .unwrap();
    let tags = project_tags::Entity::find()
        .filter(project_tags::Column::ProjectId.eq(id))
        .order_by_asc(project_tags::Column::Position)
        .all(db)
        .await
        .unwrap();
    let tag = |kind: &str| -> Vec<String> {
        tags.iter()
            .filter(|t| t.kind == kind)
            .map(|t| t.value.clone())
            .collect()
    };
    json!({
        "participating_organisations": participants.iter()
            .map(|p| json!({"organisation_id": p.organisation_id, "role": p.role}))
            .collect::<Vec<_>>(),
        "outcomes": outcomes.iter()
            .map(|o| json!({"code": o.code, "title": o.title, "description": o.description}))
            .collect::<Vec<_>>(),
        "country_codes": tag("country"),
        "duty_stations": tag("duty_station"),
        "themes": tag("theme"),
    })
}

/// The activity's children as its child tables hold them, in the API's shape.
async fn activity_tables(app: &TestApp, activity: &str) -> Value {
    let id: Uuid = activity.parse().unwrap();
    let db = &app.state.db;
    let locations = activity_locations::Entity::find()
        .filter(activity_locations::Column::ActivityId.eq(id))
        .order_by_asc(activity_locations::Column::Position)
        .all(db)
        .await
        .unwrap();
    let organisations = activity_organisations::Entity::find()
        .filter(activity_organisations::Column::ActivityId.eq(id))
        .order_by_asc(activity_organisations::Column::Position)
        .all(db)
        .await
        .unwrap();
    let tags = activity_tags::Entity::find()
        .filter(activity_tags::Column::ActivityId.eq(id))
        .order_by_asc(activity_tags::Column::Position)
        .all(db)
        .await
        .unwrap();
    let tag = |kind: &str| -> Vec<String> {
        tags.iter()
            .filter(|t| t.kind == kind)
            .map(|t| t.value.clone())
            .collect()
    };
    json!({
        "locations": locations.iter()
            .map(|l| json!({"city": l.city, "country_code": l.country_code, "venue": l.venue}))
            .collect::<Vec<_>>(),
        "organisations": organisations.iter()
            .map(|o| json!({"organisation_id": o.organisation_id, "role": o.role}))
            .collect::<Vec<_>>(),
        "topics": tag("topic"),
        "outputs": tag("output"),
    })
}

/// The record's child lists; an outcome's indicators live in the copy only
/// (no child table), so they are left out of the comparison.
fn children_of(record: &Value, keys: &[&str]) -> Value {
    let mut children: serde_json::Map<String, Value> = keys
        .iter()
        .map(|k| ((*k).to_owned(), record[*k].clone()))
        .collect();
    if let Some(Value::Array(outcomes)) = children.get_mut("outcomes") {
        for o in outcomes {
            if let Some(o) = o.as_object_mut() {
                o.remove("indicators");
            }
        }
    }
    Value::Object(children)
}

const PROJECT_CHILDREN: &[&str] = &[
    "participating_organisations",
    "outcomes",
    "country_codes",
    "duty_stations",
    "themes",
];
const ACTIVITY_CHILDREN: &[&str] = &["locations", "organisations", "topics", "outputs"];

/// GETs `path` and asserts that its children are the child tables' rows.
async fn assert_copy_matches(app: &TestApp, path: &str, keys: &[&str]) -> Value {
    let res = app.get(path, &app.admin).await;
    assert_eq!(res.status(), StatusCode::OK, "{path}");
    let record: Value = res.json().await.unwrap();
    let tables = if keys == PROJECT_CHILDREN {
        project_tables(app, &id(&record)).await
    } else {
        activity_tables(app, &id(&record)).await
    };
    assert_eq!(children_of(&record, keys), tables, "{path}");
    record
}

async fn patch(app: &TestApp, path: &str, body: Value) {
    let res = app
        .request(Method::PATCH, path, &app.admin)
        .header("content-type", "application/merge-patch+json")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK, "PATCH {path}");
}

/// A project and an activity, each with children of every kind.
async fn project_and_activity(app: &TestApp) -> (String, String) {
    let ec = app.organisation("European Commission").await;
    let icmpd = app.organisation("ICMPD").await;
    let mut body = project_body("LIBMITAF");
    body["themes"] = json!(["governance", "capacity_development"]);
    body["participating_organisations"] = json!([
        {"organisation_id": id(&ec), "role": "funding"},
        {"organisation_id": id(&icmpd), "role": "implementing"}
    ]);
    body["outcomes"] = json!([
        {"code": "OC1", "title": "Mandates identified"},
        {"code": "OC3", "title": "Dialogues supported", "description": "Rabat and Khartoum"}
    ]);
    let project = app.project(body).await;
    let activity = app
        .create(
            "/api/v1/activities",
            json!({
                "project_id": id(&project),
                "outcome_code": "OC3",
                "title": "Training on migration dialogues",
                "kind": "training",
                "locations": [
                    {"city": "Tripoli", "country_code": "LY", "venue": "Diplomatic Institute"},
                    {"city": "Tunis", "country_code": "TN"}
                ],
                "organisations": [{"organisation_id": id(&icmpd), "role": "organiser"}],
                "topics": ["statement drafting"],
                "outputs": ["Draft training plan", "Talking points"]
            }),
        )
        .await;
    (
        format!("/api/v1/projects/{}", id(&project)),
        format!("/api/v1/activities/{}", id(&activity)),
    )
}

#[tokio::test]
async fn what_a_read_returns_of_a_records_children_is_what_its_child_tables_hold_after_every_write()
{
    let app = spawn_app().await;
    let (project, activity) = project_and_activity(&app).await;
    assert_copy_matches(&app, &project, PROJECT_CHILDREN).await;
    assert_copy_matches(&app, &activity, ACTIVITY_CHILDREN).await;

    // A merge patch that changes some lists and leaves the others.
    patch(
        &app,
        &project,
        json!({"themes": ["migration_and_development"], "participating_organisations": null}),
    )
    .await;
    let patched = assert_copy_matches(&app, &project, PROJECT_CHILDREN).await;
    assert_eq!(patched["themes"], json!(["migration_and_development"]));
    assert_eq!(patched["participating_organisations"], json!([]));
    assert_eq!(patched["outcomes"].as_array().unwrap().len(), 2);
    patch(
        &app,
        &activity,
        json!({"topics": [], "outputs": ["Final report"]}),
    )
    .await;
    assert_copy_matches(&app, &activity, ACTIVITY_CHILDREN).await;

    // A replace.
    let mut body = project_body("LIBMITAF");
    body["duty_stations"] = json!(["Tripoli", "Benghazi"]);
    body["outcomes"] = patched["outcomes"].clone();
    let res = app
        .request(Method::PUT, &project, &app.admin)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let replaced = assert_copy_matches(&app, &project, PROJECT_CHILDREN).await;
    assert_eq!(replaced["duty_stations"], json!(["Tripoli", "Benghazi"]));

    // Delete and restore keep both.
    assert_eq!(
        app.delete(&activity, &app.admin).await.status(),
        StatusCode::NO_CONTENT
    );
    let res = app
        .request(Method::POST, &format!("{activity}/restore"), &app.admin)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_copy_matches(&app, &activity, ACTIVITY_CHILDREN).await;
}

#[tokio::test]
async fn the_migration_that_adds_the_copy_fills_it_from_the_child_tables() {
    let app = spawn_app().await;
    let (project, activity) = project_and_activity(&app).await;
    let before_project: Value = app.get(&project, &app.admin).await.json().await.unwrap();
    let before_activity: Value = app.get(&activity, &app.admin).await.json().await.unwrap();

    // Undo the migration that added the copy, and apply it again: it must
    // rebuild the copy from the child tables alone.
    migrate_again_from(&app, "m20261129_000008_children_snapshots").await;

    let after_project = assert_copy_matches(&app, &project, PROJECT_CHILDREN).await;
    let after_activity = assert_copy_matches(&app, &activity, ACTIVITY_CHILDREN).await;
    assert_eq!(after_project, before_project);
    assert_eq!(after_activity, before_activity);
}
