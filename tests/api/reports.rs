//! Reports (issue 19): every figure is compared with one computed here,
//! independently, from the records the test created: activities in several
//! groups of a multi-valued dimension, groups that stay empty, and windows
//! whose edges fall exactly on start dates.

use std::collections::{BTreeMap, BTreeSet};

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::*;

/// What the test knows of one activity it created.
#[derive(Debug, Clone)]
struct Made {
    project: String,
    outcome: Option<&'static str>,
    kind: &'static str,
    status: &'static str,
    modality: Option<&'static str>,
    dialogue: Option<String>,
    start: Option<&'static str>,
    countries: Vec<&'static str>,
    organisations: Vec<String>,
    planned: Option<i64>,
    actual: Option<i64>,
    female: Option<i64>,
    male: Option<i64>,
}

impl Made {
    /// The values this activity has for a dimension (a set; `[None]` when
    /// it has none).
    fn values(&self, dim: &str) -> Vec<Option<String>> {
        let one = |v: Option<String>| vec![v];
        let many = |vs: Vec<String>| {
            let set: BTreeSet<String> = vs.into_iter().collect();
            if set.is_empty() {
                vec![None]
            } else {
                set.into_iter().map(Some).collect()
            }
        };
        match dim {
            "project" => one(Some(self.project.clone())),
            "outcome" => one(self.outcome.map(str::to_owned)),
            "kind" => one(Some(self.kind.to_owned())),
            "status" => one(Some(self.status.to_owned())),
            "modality" => one(self.modality.map(str::to_owned)),
            "dialogue" => one(self.dialogue.clone()),
            "country" => many(self.countries.iter().map(|c| (*c).to_owned()).collect()),
            "organisation" => many(self.organisations.clone()),
            "year" => one(self.start.map(|d| d[..4].to_owned())),
            "month" => one(self.start.map(|d| d[..7].to_owned())),
            "quarter" => one(self.start.map(|d| {
                let m: u32 = d[5..7].parse().unwrap();
                format!("{}-Q{}", &d[..4], m.div_ceil(3))
            })),
            other => panic!("no dimension {other}"),
        }
    }
}

#[derive(Debug, Default, Clone, PartialEq)]
struct Sums {
    activities: i64,
    planned: Option<i64>,
    actual: Option<i64>,
    female: Option<i64>,
    male: Option<i64>,
}

fn plus(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a + b),
        (a, b) => a.or(b),
    }
}

impl Sums {
    fn add(&mut self, a: &Made) {
        self.activities += 1;
        self.planned = plus(self.planned, a.planned);
        self.actual = plus(self.actual, a.actual);
        self.female = plus(self.female, a.female);
        self.male = plus(self.male, a.male);
    }

    fn of(v: &Value) -> Sums {
        Sums {
            activities: v["activities"].as_i64().unwrap(),
            planned: v["planned"].as_i64(),
            actual: v["actual"].as_i64(),
            female: v["female"].as_i64(),
            male: v["male"].as_i64(),
        }
    }
}

type Expected = BTreeMap<Vec<Option<String>>, Sums>;

/// Every combination of one value per dimension.
fn combinations(a: &Made, dims: &[&str]) -> Vec<Vec<Option<String>>> {
    let mut out = vec![vec![]];
    for dim in dims {
        let mut next = Vec::new();
        for prefix in &out {
            for v in a.values(dim) {
                let mut p = prefix.clone();
                p.push(v);
                next.push(p);
            }
        }
        out = next;
    }
    out
}

fn expected(made: &[Made], dims: &[&str], keep: impl Fn(&Made) -> bool) -> (Expected, Sums) {
    let mut groups = Expected::new();
    let mut totals = Sums::default();
    for a in made.iter().filter(|a| keep(a)) {
        totals.add(a);
        let keys: BTreeSet<_> = combinations(a, dims).into_iter().collect();
        for key in keys {
            groups.entry(key).or_default().add(a);
        }
    }
    (groups, totals)
}

fn actual(report: &Value, dims: &[&str]) -> (Expected, Sums) {
    let mut groups = Expected::new();
    for row in report["rows"].as_array().unwrap() {
        let key: Vec<Option<String>> = dims
            .iter()
            .map(|d| {
                assert!(row["group"].get(*d).is_some(), "row lacks {d}: {row}");
                row["group"][*d].as_str().map(str::to_owned)
            })
            .collect();
        assert!(
            groups.insert(key, Sums::of(row)).is_none(),
            "one group twice: {row}"
        );
    }
    (groups, Sums::of(&report["totals"]))
}

struct World {
    app: TestApp,
    made: Vec<Made>,
    projects: Vec<String>,
    dialogue: String,
    orgs: Vec<String>,
}

async fn world() -> World {
    let app = spawn_app().await;
    let mut projects = Vec::new();
    for code in ["REP-A", "REP-B"] {
        let mut body = project_body(code);
        body["outcomes"] = json!([
            {"code": "OC1", "title": "First"},
            {"code": "OC2", "title": "Second"}
        ]);
        projects.push(id(&app.project(body).await));
    }
    let orgs = vec![
        id(&app.organisation("Ministry of Interior").await),
        id(&app.organisation("Ministry of Foreign Affairs").await),
    ];
    let dialogue = id(&app.dialogue("Rabat Process").await);
    let kinds = ["training", "workshop", "working_session"];
    let statuses = ["completed", "planned"];
    let modalities = [Some("in_person"), Some("online"), None];
    // Start dates on quarter and year edges, and two without a date.
    let starts = [
        Some("2021-12-31"),
        Some("2022-01-01"),
        Some("2022-03-31"),
        Some("2022-04-01"),
        Some("2022-06-30"),
        Some("2022-12-31"),
        Some("2023-01-01"),
        None,
        Some("2023-07-15"),
        Some("2022-01-01"),
        None,
        Some("2024-02-29"),
    ];
    let places: [&[(&str, &str)]; 5] = [
        &[("Tripoli", "LY")],
        &[("Tripoli", "LY"), ("Tunis", "TN")],
        &[],
        &[("Tripoli", "LY"), ("Benghazi", "LY")],
        &[("Tunis", "TN"), ("Rabat", "MA"), ("Misrata", "LY")],
    ];
    let mut made = Vec::new();
    for (i, start) in starts.iter().enumerate() {
        let project = projects[i % 2].clone();
        let outcome = [Some("OC1"), Some("OC2"), None][i % 3];
        let organisations: Vec<String> = match i % 4 {
            0 => vec![],
            1 => vec![orgs[0].clone()],
            2 => vec![orgs[0].clone(), orgs[1].clone()],
            _ => vec![orgs[1].clone()],
        };
        let countries: Vec<&str> = places[i % 5].iter().map(|(_, c)| *c).collect();
        let (planned, actual, female, male) = match i % 3 {
            0 => (
                Some(20 + i as i64),
                Some(10 + i as i64),
                Some(4),
                Some(5 + i as i64),
            ),
            1 => (None, Some(7), None, None),
            _ => (Some(12), None, None, None),
        };
        let a = Made {
            project,
            outcome,
            kind: kinds[i % 3],
            status: statuses[i % 2],
            modality: modalities[i % 3],
            dialogue: (i % 4 == 1).then(|| dialogue.clone()),
            start: *start,
            countries,
            organisations,
            planned,
            actual,
            female,
            male,
        };
        let body = json!({
            "project_id": a.project,
            "title": format!("Activity {i}"),
            "kind": a.kind,
            "status": a.status,
            "modality": a.modality,
            "outcome_code": a.outcome,
            "dialogue_id": a.dialogue,
            "start_date": a.start,
            "end_date": a.start,
            "locations": places[i % 5].iter().map(|(city, cc)| json!({"city": city, "country_code": cc})).collect::<Vec<_>>(),
            "organisations": a.organisations.iter().map(|o| json!({"organisation_id": o, "role": "participant"})).collect::<Vec<_>>(),
            "participants": {"planned": a.planned, "actual": a.actual, "female": a.female, "male": a.male},
        });
        app.create("/api/v1/activities", body).await;
        made.push(a);
    }
    // A deleted activity counts nowhere.
    let gone = app
        .create(
            "/api/v1/activities",
            json!({"project_id": projects[0], "title": "Deleted", "kind": "training", "start_date": "2022-05-05",
                   "participants": {"actual": 99}}),
        )
        .await;
    let res = app
        .request(
            reqwest::Method::DELETE,
            &format!("/api/v1/activities/{}", id(&gone)),
            &app.admin,
        )
        .header("If-Match", "\"1\"")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    World {
        app,
        made,
        projects,
        dialogue,
        orgs,
    }
}

async fn check_participation(w: &World, dims: &[&str], query: &str, keep: impl Fn(&Made) -> bool) {
    let path = format!(
        "/api/v1/reports/participation?group_by={}{query}",
        dims.join(",")
    );
    let report = w.app.read(&path).await;
    assert_eq!(report["group_by"], json!(dims), "{path}");
    let (want_rows, want_totals) = expected(&w.made, dims, &keep);
    let (got_rows, got_totals) = actual(&report, dims);
    assert_eq!(got_rows, want_rows, "{path}");
    assert_eq!(got_totals, want_totals, "totals of {path}");
    // Rows come in the order of their values, nulls last.
    let keys: Vec<_> = got_rows.keys().cloned().collect();
    let order: Vec<Vec<Option<String>>> = report["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            dims.iter()
                .map(|d| r["group"][*d].as_str().map(str::to_owned))
                .collect()
        })
        .collect();
    let mut sorted = order.clone();
    sorted.sort_by(|a, b| {
        a.iter()
            .zip(b)
            .map(|(x, y)| match (x, y) {
                (Some(x), Some(y)) => x.cmp(y),
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                _ => std::cmp::Ordering::Equal,
            })
            .find(|o| o.is_ne())
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    assert_eq!(order, sorted, "row order of {path}");
    assert_eq!(keys.len(), order.len());
}

#[tokio::test]
async fn participation_matches_sums_computed_from_the_records() {
    let w = world().await;
    let all = |_: &Made| true;
    for dims in [
        vec![],
        vec!["project"],
        vec!["project", "quarter"],
        vec!["country"],
        vec!["country", "kind"],
        vec!["organisation"],
        vec!["organisation", "country", "year"],
        vec!["outcome", "kind"],
        vec!["dialogue", "month"],
        vec!["modality", "status"],
    ] {
        check_participation(&w, &dims, "", all).await;
    }
    // An activity in Libya and Tunisia counts under each, once in totals;
    // two cities of Libya count once under LY.
    let report = w
        .app
        .read("/api/v1/reports/participation?group_by=country")
        .await;
    let rows: i64 = report["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["activities"].as_i64().unwrap())
        .sum();
    assert!(rows > report["totals"]["activities"].as_i64().unwrap());
    assert_eq!(report["totals"]["activities"], json!(w.made.len()));

    // Filters, and windows whose edges are start dates (both inclusive).
    let p0 = w.projects[0].clone();
    check_participation(&w, &["quarter"], &format!("&project_id={p0}"), |a| {
        a.project == p0
    })
    .await;
    check_participation(&w, &["quarter"], "&from=2022-01-01&to=2022-12-31", |a| {
        a.start
            .is_some_and(|d| ("2022-01-01"..="2022-12-31").contains(&d))
    })
    .await;
    check_participation(&w, &["month"], "&from=2022-01-02&to=2022-12-30", |a| {
        a.start
            .is_some_and(|d| ("2022-01-02"..="2022-12-30").contains(&d))
    })
    .await;
    check_participation(&w, &["year"], "&from=2023-01-01", |a| {
        a.start.is_some_and(|d| d >= "2023-01-01")
    })
    .await;
    check_participation(&w, &["kind"], "&to=2021-12-31", |a| {
        a.start.is_some_and(|d| d <= "2021-12-31")
    })
    .await;
    check_participation(&w, &["project"], "&kind=training&status=completed", |a| {
        a.kind == "training" && a.status == "completed"
    })
    .await;
    let d = w.dialogue.clone();
    check_participation(&w, &["year"], &format!("&dialogue_id={d}"), |a| {
        a.dialogue.as_deref() == Some(d.as_str())
    })
    .await;
    check_participation(&w, &["country"], "&country_code=tn", |a| {
        a.countries.contains(&"TN")
    })
    .await;
    let o = w.orgs[1].clone();
    check_participation(
        &w,
        &["organisation"],
        &format!("&organisation_id={o}"),
        |a| a.organisations.contains(&o),
    )
    .await;
    check_participation(&w, &["kind"], "&modality=online", |a| {
        a.modality == Some("online")
    })
    .await;

    // A window with nothing in it: no rows, zero totals.
    let empty = w
        .app
        .read("/api/v1/reports/participation?group_by=kind&from=1990-01-01&to=1990-12-31")
        .await;
    assert_eq!(empty["rows"], json!([]));
    assert_eq!(
        empty["totals"],
        json!({"activities": 0, "planned": null, "actual": null, "female": null, "male": null})
    );

    // Labels name what the ids name.
    let by_org = w
        .app
        .read("/api/v1/reports/participation?group_by=organisation")
        .await;
    let first = &by_org["rows"][0];
    let name = if first["group"]["organisation"] == json!(w.orgs[0]) {
        "Ministry of Interior"
    } else {
        "Ministry of Foreign Affairs"
    };
    assert_eq!(first["labels"]["organisation_name"], name);
}

#[tokio::test]
async fn activities_report_counts_by_kind_status_and_modality_per_period() {
    let w = world().await;
    let report = w.app.read("/api/v1/reports/activities").await;
    let dims = ["year", "kind", "status", "modality"];
    assert_eq!(report["group_by"], json!(dims));
    let (want, totals) = expected(&w.made, &dims, |_| true);
    let mut got = BTreeMap::new();
    for row in report["rows"].as_array().unwrap() {
        let key: Vec<Option<String>> = dims
            .iter()
            .map(|d| row["group"][*d].as_str().map(str::to_owned))
            .collect();
        got.insert(key, row["activities"].as_i64().unwrap());
        assert!(row.get("planned").is_none(), "counts only: {row}");
    }
    let want: BTreeMap<_, _> = want.into_iter().map(|(k, s)| (k, s.activities)).collect();
    assert_eq!(got, want);
    assert_eq!(report["totals"], json!({"activities": totals.activities}));

    let by_quarter = w
        .app
        .read("/api/v1/reports/activities?group_by=kind,quarter&from=2022-01-01&to=2022-06-30")
        .await;
    let (want, _) = expected(&w.made, &["kind", "quarter"], |a| {
        a.start
            .is_some_and(|d| ("2022-01-01"..="2022-06-30").contains(&d))
    });
    let got: BTreeMap<Vec<Option<String>>, i64> = by_quarter["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                vec![
                    r["group"]["kind"].as_str().map(str::to_owned),
                    r["group"]["quarter"].as_str().map(str::to_owned),
                ],
                r["activities"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        want.into_iter().map(|(k, s)| (k, s.activities)).collect()
    );
}

/// A delegation the test makes: its meeting, status and members (gender, role).
type Planned = (usize, &'static str, Vec<(&'static str, &'static str)>);
type Key = Vec<Option<String>>;
/// Delegations (by index), members, women, men.
type Counted = (BTreeSet<usize>, i64, i64, i64);

#[tokio::test]
async fn delegation_report_counts_delegations_and_members() {
    let app = spawn_app().await;
    let project = id(&app.project(project_body("DEL-R")).await);
    let rabat = app.dialogue("Rabat Process").await;
    let khartoum = app.dialogue("Khartoum Process").await;
    let meetings = [
        (id(&rabat), id(&app.meeting(&rabat, json!({"title": "SOM 2022", "meeting_type": "senior_officials", "start_date": "2022-12-31"})).await)),
        (id(&rabat), id(&app.meeting(&rabat, json!({"title": "SOM 2023", "meeting_type": "senior_officials", "start_date": "2023-01-01"})).await)),
        (id(&khartoum), id(&app.meeting(&khartoum, json!({"title": "Thematic", "meeting_type": "thematic"})).await)),
    ];
    // (meeting, status, members as (gender, role)).
    let plan: Vec<Planned> = vec![
        (
            0,
            "attended",
            vec![("female", "head"), ("male", "member"), ("male", "expert")],
        ),
        (0, "cancelled", vec![]),
        (
            1,
            "attended",
            vec![("female", "head"), ("female", "member")],
        ),
        (1, "planned", vec![("undisclosed", "member")]),
        (2, "confirmed", vec![("male", "head")]),
    ];
    for (m, status, members) in &plan {
        let members: Vec<Value> = members
            .iter()
            .enumerate()
            .map(|(i, (g, r))| json!({"name": format!("Member {i}"), "gender": g, "role": r}))
            .collect();
        app.create(
            "/api/v1/delegations",
            json!({"meeting_id": meetings[*m].1, "project_id": project, "country_code": "LY",
                   "status": status, "members": members}),
        )
        .await;
    }
    let year = |m: usize| match m {
        0 => Some("2022".to_owned()),
        1 => Some("2023".to_owned()),
        _ => None,
    };
    // Independent counts: key -> (delegations, members, female, male).
    let count = |dims: &[&str], keep: &dyn Fn(usize, &str) -> bool| {
        let mut out: BTreeMap<Key, Counted> = BTreeMap::new();
        for (d, (m, status, members)) in plan.iter().enumerate() {
            if !keep(*m, status) {
                continue;
            }
            let member_level = dims.iter().any(|x| *x == "gender" || *x == "role");
            let rows: Vec<Option<(&str, &str)>> = if members.is_empty() {
                vec![None]
            } else {
                members.iter().copied().map(Some).collect()
            };
            let rows = if member_level { rows } else { vec![None] };
            for member in rows {
                let key: Vec<Option<String>> = dims
                    .iter()
                    .map(|dim| match *dim {
                        "dialogue" => Some(meetings[*m].0.clone()),
                        "meeting" => Some(meetings[*m].1.clone()),
                        "status" => Some((*status).to_owned()),
                        "year" => year(*m),
                        "gender" => member.map(|(g, _)| g.to_owned()),
                        "role" => member.map(|(_, r)| r.to_owned()),
                        other => panic!("{other}"),
                    })
                    .collect();
                let e = out.entry(key).or_default();
                e.0.insert(d);
                let counted: Vec<(&str, &str)> = match member {
                    Some(one) => vec![one],
                    None if member_level => vec![],
                    None => members.clone(),
                };
                e.1 += counted.len() as i64;
                e.2 += counted.iter().filter(|(g, _)| *g == "female").count() as i64;
                e.3 += counted.iter().filter(|(g, _)| *g == "male").count() as i64;
            }
        }
        out.into_iter()
            .map(|(k, (d, m, f, ma))| (k, json!([d.len(), m, f, ma])))
            .collect::<BTreeMap<_, _>>()
    };
    let check = async |dims: &[&str], query: &str, keep: &dyn Fn(usize, &str) -> bool| {
        let path = format!(
            "/api/v1/reports/delegations?group_by={}{query}",
            dims.join(",")
        );
        let report = app.read(&path).await;
        let got: BTreeMap<Vec<Option<String>>, Value> = report["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    dims.iter()
                        .map(|d| r["group"][*d].as_str().map(str::to_owned))
                        .collect(),
                    json!([r["delegations"], r["members"], r["female"], r["male"]]),
                )
            })
            .collect();
        assert_eq!(got, count(dims, keep), "{path}");
        let totals = count(&[], keep)
            .into_values()
            .next()
            .unwrap_or(json!([0, 0, 0, 0]));
        let t = &report["totals"];
        assert_eq!(
            json!([t["delegations"], t["members"], t["female"], t["male"]]),
            totals,
            "totals of {path}"
        );
    };
    let all = |_: usize, _: &str| true;
    check(&["dialogue", "year", "status"], "", &all).await;
    check(&["meeting"], "", &all).await;
    check(&["gender"], "", &all).await;
    check(&["role", "status"], "", &all).await;
    check(&[], "", &all).await;
    check(&["year"], "&from=2023-01-01&to=2023-12-31", &|m, _| m == 1).await;
    check(&["dialogue"], "&status=attended", &|_, s| s == "attended").await;
    let k = meetings[2].0.clone();
    check(&["status"], &format!("&dialogue_id={k}"), &|m, _| m == 2).await;
    // The default grouping, and a label.
    let default = app.read("/api/v1/reports/delegations").await;
    assert_eq!(default["group_by"], json!(["dialogue", "year", "status"]));
    assert!(
        default["rows"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["labels"]["dialogue_name"] == "Khartoum Process")
    );
}

#[tokio::test]
async fn bad_report_requests_are_clear_400s_and_406s() {
    let app = spawn_app().await;
    for (path, field) in [
        ("/api/v1/reports/participation?group_by=colour", "group_by"),
        (
            "/api/v1/reports/participation?group_by=kind,kind",
            "group_by",
        ),
        (
            "/api/v1/reports/participation?group_by=year,quarter",
            "group_by",
        ),
        ("/api/v1/reports/participation?colour=red", "colour"),
        ("/api/v1/reports/activities?group_by=gender", "group_by"),
        ("/api/v1/reports/delegations?group_by=kind", "group_by"),
        ("/api/v1/reports/delegations?kind=training", "kind"),
        (
            "/api/v1/reports/participation?from=2023-01-02&to=2023-01-01",
            "from",
        ),
        (
            "/api/v1/reports/participation?from=1900-01-01&to=2001-01-01",
            "to",
        ),
        (
            "/api/v1/reports/delegations?from=2023-01-02&to=2023-01-01",
            "from",
        ),
        ("/api/v1/reports/participation?format=xlsx", "format"),
        (
            "/api/v1/reports/participation?country_code=LBY",
            "country_code",
        ),
        ("/api/v1/reports/delegations?country_code=1", "country_code"),
        ("/api/v1/reports/participation?group_by=kind,", "group_by"),
        (
            "/api/v1/reports/participation?group_by=kind,%20year",
            "group_by",
        ),
    ] {
        let body = problem(app.get(path, &app.admin).await, StatusCode::BAD_REQUEST).await;
        assert_eq!(error_fields(&body), vec![field], "{path}: {body}");
    }
    // The unknown name is told with what is allowed.
    let body = problem(
        app.get("/api/v1/reports/participation?group_by=colour", &app.admin)
            .await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("organisation, dialogue, year"),
        "{body}"
    );
    for path in [
        "/api/v1/reports/participation?from=2023-13-01",
        "/api/v1/reports/participation?kind=party",
        "/api/v1/reports/participation?project_id=nope",
    ] {
        problem(app.get(path, &app.admin).await, StatusCode::BAD_REQUEST).await;
    }
    for path in ["/api/v1/reports/participation", "/api/v1/activities"] {
        let res = app
            .request(reqwest::Method::GET, path, &app.admin)
            .header("Accept", "application/xml")
            .send()
            .await
            .unwrap();
        problem(res, StatusCode::NOT_ACCEPTABLE).await;
    }
    let res = app.get("/api/v1/reports/participation", "").await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_partner_counts_only_its_projects() {
    let w = world().await;
    let app = &w.app;
    let (user, _) = app.user("partner").await;
    let res = app
        .post(
            &format!("/api/v1/projects/{}/members", w.projects[0]),
            &app.admin,
            &json!({"user_id": user, "role": "viewer"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let email = app.read(&format!("/api/v1/users/{user}")).await["email"]
        .as_str()
        .unwrap()
        .to_owned();
    let partner = app.login(&email, PASSWORD).await;
    let p0 = w.projects[0].clone();
    let report = app
        .read_as(
            &partner,
            "/api/v1/reports/participation?group_by=project,country",
        )
        .await;
    let (want, totals) = expected(&w.made, &["project", "country"], |a| a.project == p0);
    let (got, got_totals) = actual(&report, &["project", "country"]);
    assert_eq!(got, want);
    assert_eq!(got_totals, totals);
    // Asking for the other project is an empty report, not a hint.
    let other = app
        .read_as(
            &partner,
            &format!("/api/v1/reports/activities?project_id={}", w.projects[1]),
        )
        .await;
    assert_eq!(other["rows"], json!([]));
    assert_eq!(other["totals"]["activities"], 0);
}
