//! The IATI 2.03 export: every demo project and a set of generated ones are
//! exported, validated with `xmllint --schema` against the IATI schema in
//! iati/ (a copy of IATI's own, see iati/README.md), and every code written
//! is checked against the IATI codelists there.

use std::path::PathBuf;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::*;

fn iati_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("iati")
}

async fn spawn_publishing() -> TestApp {
    spawn_with(|c| {
        c.iati_reporting_org_ref = Some("XM-DAC-47066".into());
        c.iati_reporting_org_type = Some("40".into());
        c.iati_reporting_org_name =
            Some("International Centre for Migration Policy Development".into());
    })
    .await
}

/// Asserts the document validates against the IATI 2.03 schema.
fn validate(xml: &str, what: &str) {
    let file = std::env::temp_dir().join(format!("rihla-iati-{}.xml", uuid::Uuid::new_v4()));
    std::fs::write(&file, xml).unwrap();
    let out = std::process::Command::new("xmllint")
        .arg("--noout")
        .arg("--schema")
        .arg(iati_dir().join("iati-activities-schema.xsd"))
        .arg(&file)
        .output()
        .expect("xmllint (Debian's libxml2-utils) runs");
    let _ = std::fs::remove_file(&file);
    assert!(
        out.status.success(),
        "{what} does not validate:\n{}\n{xml}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The active codes of one IATI codelist file.
fn codelist(name: &str) -> Vec<String> {
    let text = std::fs::read_to_string(iati_dir().join(format!("codelists/{name}.xml"))).unwrap();
    text.split("<codelist-item")
        .skip(1)
        .filter(|item| !item.split('>').next().unwrap_or("").contains("withdrawn"))
        .filter_map(|item| {
            let start = item.find("<code>")? + 6;
            let end = item[start..].find("</code>")? + start;
            Some(item[start..end].trim().to_owned())
        })
        .collect()
}

/// Every value of `attr` on `<element ...>` in the document.
fn attribute_values(xml: &str, element: &str, attr: &str) -> Vec<String> {
    let open = format!("<{element} ");
    let key = format!(" {attr}=\"");
    xml.match_indices(&open)
        .filter_map(|(at, _)| {
            let tag = &xml[at..at + xml[at..].find('>')?];
            let start = tag.find(&key)? + key.len();
            let end = tag[start..].find('"')? + start;
            Some(tag[start..end].to_owned())
        })
        .collect()
}

/// Asserts every code the document writes is active in its list.
fn check_codes(xml: &str) {
    let checks = [
        ("activity-status", "code", "ActivityStatus"),
        ("activity-date", "type", "ActivityDateType"),
        ("participating-org", "role", "OrganisationRole"),
        ("participating-org", "type", "OrganisationType"),
        ("reporting-org", "type", "OrganisationType"),
        ("provider-org", "type", "OrganisationType"),
        ("recipient-country", "code", "Country"),
        ("sector", "vocabulary", "SectorVocabulary"),
        ("description", "type", "DescriptionType"),
        ("budget", "type", "BudgetType"),
        ("budget", "status", "BudgetStatus"),
        ("value", "currency", "Currency"),
        ("transaction-type", "code", "TransactionType"),
        ("indicator", "measure", "IndicatorMeasure"),
        ("result", "type", "ResultType"),
        ("category", "code", "DocumentCategory"),
        ("language", "code", "Language"),
    ];
    for (element, attr, list) in checks {
        let active = codelist(list);
        for v in attribute_values(xml, element, attr) {
            assert!(
                active.contains(&v),
                "{element}/@{attr} {v:?} is not an active {list} code"
            );
        }
    }
    // DAC 5-digit sector codes (vocabulary 1) against the Sector list.
    let sectors = codelist("Sector");
    for tag in xml.split("<sector ").skip(1) {
        let tag = &tag[..tag.find('>').unwrap()];
        if tag.contains("vocabulary=\"1\"") {
            let code = tag
                .split("code=\"")
                .nth(1)
                .unwrap()
                .split('"')
                .next()
                .unwrap();
            assert!(sectors.contains(&code.to_owned()), "sector {code}");
        }
    }
}

async fn export(app: &TestApp, project_id: &str) -> reqwest::Response {
    app.get(&format!("/api/v1/projects/{project_id}/iati"), &app.admin)
        .await
}

async fn xml_of(res: reqwest::Response) -> String {
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/xml")
    );
    res.text().await.unwrap()
}

/// A project with everything the export writes.
async fn full_project(app: &TestApp, code: &str) -> Value {
    let ec = app
        .organisation(&format!("European Commission {code}"))
        .await;
    let icmpd = app.organisation(&format!("ICMPD {code}")).await;
    let mfa = app
        .organisation(&format!("Ministry of Foreign Affairs {code}"))
        .await;
    let project = app
        .project(json!({
            "code": code,
            "title": "تيسير المساعدة الفنية للهجرة في ليبيا — LIBMITAF \"quoted\" & <tagged>",
            "summary": "Strengthening the Libyan national mechanisms for addressing migration.",
            "objective": "Support Libyan institutions' migration governance.",
            "status": "completed",
            "start_date": "2021-04-01", "start_date_precision": "month",
            "end_date": "2023-11-01", "end_date_precision": "month",
            "planned_start_date": "2021-01-01", "planned_start_date_precision": "year",
            "planned_end_date": "2023-12-31",
            "country_codes": ["LY", "TN"],
            "participating_organisations": [
                {"organisation_id": id(&ec), "role": "funding"},
                {"organisation_id": id(&icmpd), "role": "implementing"},
                {"organisation_id": id(&mfa), "role": "beneficiary"}
            ],
            "outcomes": [
                {"code": "OC1", "title": "Dialogues", "description": "Outcome one",
                 "indicators": [
                    {"code": "OC1.1", "title": "Meetings attended", "measure": "unit", "ascending": true,
                     "baseline": {"year": 2021, "value": 0, "comment": "none"},
                     "periods": [{"start": "2022-01-01", "end": "2022-12-31", "target": 2, "actual": 3, "comment": "ok"}]},
                    {"code": "OC1.2", "title": "Share rated useful", "measure": "percentage", "ascending": false, "baseline": null,
                     "periods": [{"start": "2023-01-01", "end": "2023-06-30", "target": 80, "actual": null, "comment": null}]},
                    {"code": "OC1.3", "title": "Quality", "measure": "qualitative", "baseline": {"year": 2021, "value": null, "comment": "weak"},
                     "periods": [{"start": "2023-01-01", "end": "2023-12-31", "target": null, "actual": null, "comment": "better"}]}
                 ]},
                {"code": "OC2", "title": "No indicators yet", "description": null}
            ],
            "commitments": [{"organisation_id": id(&ec), "amount": "5000000.00", "currency": "EUR", "value_date": "2021-04-01"}],
            "budget_lines": [{"period_start": "2021-04-01", "period_end": "2022-03-31", "amount": "1200000", "currency": "EUR", "type": "original", "status": "committed"}],
            "sectors": [{"vocabulary": "1", "code": "15190", "percentage": 75}, {"vocabulary": "1", "code": "15110", "percentage": 25}],
            "iati_identifier": format!("XM-DAC-47066-{code}")
        }))
        .await;
    // A document of the project, with a URL (one without is not linked).
    for url in [json!("https://example.org/manual.pdf"), Value::Null] {
        let res = app
            .post(
                "/api/v1/documents",
                &app.admin,
                &json!({"title": "Trainer's Manual & <guide>", "kind": "manual", "languages": ["ar", "en"],
                        "published_on": "2023-06-01", "url": url, "project_id": project["id"]}),
            )
            .await;
        assert_eq!(
            res.status(),
            StatusCode::CREATED,
            "{}",
            res.text().await.unwrap()
        );
    }
    project
}

#[tokio::test]
async fn every_demo_project_and_generated_projects_export_as_valid_iati() {
    let app = spawn_publishing().await;
    rihla_api::demo::seed(&app.state.db).await.unwrap();
    let projects = app.read("/api/v1/projects?limit=100").await;
    let mut published = 0;
    for p in projects["items"].as_array().unwrap() {
        let res = export(&app, &id(p)).await;
        if p["code"] == "SIMM-LIBYA" {
            // The seeds give it no date: a 409 that says so, never a bad document.
            let body = problem(res, StatusCode::CONFLICT).await;
            assert_eq!(error_fields(&body), ["start_date"]);
            continue;
        }
        let xml = xml_of(res).await;
        validate(&xml, p["code"].as_str().unwrap());
        check_codes(&xml);
        published += 1;
    }
    assert_eq!(published, 1, "LIBMITAF");
    let libmitaf = app.read("/api/v1/projects?q=LIBMITAF").await["items"][0].clone();
    let xml = xml_of(export(&app, &id(&libmitaf)).await).await;
    assert!(
        xml.contains("<activity-status code=\"4\"/>"),
        "completed is 4"
    );
    assert!(xml.contains("<activity-date type=\"2\" iso-date=\"2021-04-01\">"));
    assert!(
        xml.contains("<activity-date type=\"4\" iso-date=\"2023-11-30\">"),
        "the end of November"
    );
    assert!(xml.contains("Known to the month: 2023-11"));
    assert!(xml.contains("<participating-org role=\"1\""), "funders");
    assert!(!xml.contains("role=\"5\""), "partners are left out");

    // Generated: everything the export writes, and a minimal project.
    let full = full_project(&app, "GEN-FULL").await;
    let xml = xml_of(export(&app, &id(&full)).await).await;
    validate(&xml, "GEN-FULL");
    check_codes(&xml);
    for expected in [
        "<iati-identifier>XM-DAC-47066-GEN-FULL</iati-identifier>",
        "<reporting-org ref=\"XM-DAC-47066\" type=\"40\">",
        "<description type=\"1\"><narrative xml:lang=\"en\">",
        "<description type=\"2\">",
        "<narrative xml:lang=\"ar\">تيسير",
        "&quot;quoted&quot; &amp; &lt;tagged&gt;",
        "<activity-date type=\"1\" iso-date=\"2021-01-01\">",
        "<activity-date type=\"3\" iso-date=\"2023-12-31\">",
        "<recipient-country code=\"TN\"/>",
        "<sector vocabulary=\"1\" code=\"15190\" percentage=\"75\"/>",
        "<budget type=\"1\" status=\"2\">",
        "<transaction-type code=\"11\"/>",
        "<result type=\"2\">",
        "<indicator measure=\"2\" ascending=\"0\">",
        "<document-link url=\"https://example.org/manual.pdf\" format=\"application/pdf\">",
        "<language code=\"ar\"/>",
    ] {
        assert!(xml.contains(expected), "{expected} in\n{xml}");
    }
    assert_eq!(
        xml.matches("<result ").count(),
        1,
        "an outcome without indicators is no result"
    );
    assert_eq!(
        xml.matches("<document-link ").count(),
        1,
        "only a document with a URL"
    );
    assert_eq!(
        xml.matches("<participating-org ").count(),
        2,
        "the beneficiary is left out"
    );

    let minimal = app
        .project(json!({"code": "GEN-MIN", "title": "Minimal", "summary": "s", "status": "planned",
            "planned_start_date": "2030-01-01",
            "participating_organisations": [{"organisation_id": id(&app.organisation("Solo").await), "role": "accountable"}],
            "iati_identifier": "XM-DAC-47066-GEN-MIN"}))
        .await;
    let xml = xml_of(export(&app, &id(&minimal)).await).await;
    validate(&xml, "GEN-MIN");
    check_codes(&xml);
    assert!(xml.contains("<activity-status code=\"1\"/>"));

    // The whole list, streamed: one document with every publishable project,
    // and the unpublishable named in a closing comment.
    let res = app.get("/api/v1/iati/activities", &app.admin).await;
    let xml = xml_of(res).await;
    validate(&xml, "the list");
    check_codes(&xml);
    assert_eq!(xml.matches("<iati-activity ").count(), 3);
    assert!(xml.contains("SIMM-LIBYA"), "named as not published");
    // Filters: status and funder.
    let xml = xml_of(
        app.get("/api/v1/iati/activities?status=planned", &app.admin)
            .await,
    )
    .await;
    validate(&xml, "planned");
    assert_eq!(xml.matches("<iati-activity ").count(), 1);
    let ec = full["participating_organisations"][0]["organisation_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let xml = xml_of(
        app.get(&format!("/api/v1/iati/activities?funder={ec}"), &app.admin)
            .await,
    )
    .await;
    assert_eq!(xml.matches("<iati-activity ").count(), 1);
    assert!(xml.contains("GEN-FULL"));
    let res = app
        .get("/api/v1/iati/activities?status=suspended", &app.admin)
        .await;
    problem(res, StatusCode::CONFLICT).await;
    let res = app.get("/api/v1/iati/activities?nope=1", &app.admin).await;
    problem(res, StatusCode::BAD_REQUEST).await;
}

#[tokio::test]
async fn a_project_lacking_what_iati_requires_is_a_409_listing_it() {
    let app = spawn_publishing().await;
    let bare = app
        .project(json!({"code": "BARE", "title": "Bare", "status": "active", "start_date": "2099-01-01", "country_codes": ["LY"]}))
        .await;
    let body = problem(export(&app, &id(&bare)).await, StatusCode::CONFLICT).await;
    assert_eq!(
        error_fields(&body),
        [
            "iati_identifier",
            "summary",
            "participating_organisations",
            "start_date"
        ]
    );
    // Unknown is 404, before anything is said about IATI.
    let res = export(&app, "01234567-89ab-7def-8123-456789abcdef").await;
    problem(res, StatusCode::NOT_FOUND).await;
    // Asking for something else than XML.
    let res = app
        .request(
            reqwest::Method::GET,
            &format!("/api/v1/projects/{}/iati", id(&bare)),
            &app.admin,
        )
        .header("accept", "application/json")
        .send()
        .await
        .unwrap();
    problem(res, StatusCode::NOT_ACCEPTABLE).await;
}

#[tokio::test]
async fn without_a_reporting_organisation_the_export_is_a_409_and_a_partner_sees_only_its_projects()
{
    let app = spawn_app().await;
    let p = full_project(&app, "NOORG").await;
    let body = problem(export(&app, &id(&p)).await, StatusCode::CONFLICT).await;
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("APP_IATI_REPORTING_ORG_REF")
    );
    problem(
        app.get("/api/v1/iati/activities", &app.admin).await,
        StatusCode::CONFLICT,
    )
    .await;

    let app = spawn_publishing().await;
    let mine = full_project(&app, "MINE").await;
    let theirs = full_project(&app, "THEIRS").await;
    let (partner_id, partner) = app.user("partner").await;
    let res = app
        .post(
            &format!("/api/v1/projects/{}/members", id(&mine)),
            &app.admin,
            &json!({"user_id": partner_id, "role": "viewer"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let res = app
        .get(&format!("/api/v1/projects/{}/iati", id(&theirs)), &partner)
        .await;
    problem(res, StatusCode::NOT_FOUND).await;
    let res = app
        .get(&format!("/api/v1/projects/{}/iati", id(&mine)), &partner)
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let xml = xml_of(app.get("/api/v1/iati/activities", &partner).await).await;
    validate(&xml, "a partner's list");
    assert!(xml.contains("MINE") && !xml.contains("THEIRS"));
}

/// Issue 28, finding 8: a project code with `--` cannot end the XML comment
/// that lists unpublished projects, so one partner's code cannot break the
/// whole publication.
#[tokio::test]
async fn a_code_with_dashes_keeps_the_publication_well_formed() {
    let app = spawn_publishing().await;
    full_project(&app, "FULL-1").await;
    app.project(project_body("A---B--")).await;
    let res = app.get("/api/v1/iati/activities", &app.admin).await;
    let xml = xml_of(res).await;
    assert!(xml.contains("A- - -B- -"), "{xml}");
    validate(&xml, "the publication with a dashed code");
}
