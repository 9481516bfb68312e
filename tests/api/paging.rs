use std::cmp::Ordering;
use std::collections::HashSet;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::*;

/// Client-side order for `sort`: key (nulls last either way), then id, both in
/// the sort's direction.
pub fn expected_order(mut all: Vec<Value>, sort: &str) -> Vec<String> {
    let (desc, key) = match sort.strip_prefix('-') {
        Some(k) => (true, k),
        None => (false, sort),
    };
    let key_of = |p: &Value| -> Option<String> {
        let v = &p[key];
        if v.is_null() {
            return None;
        }
        let s = v.as_str().unwrap().to_owned();
        if key.ends_with("_at") {
            // Compare instants, not strings: fractional digits vary in length.
            let t = chrono::DateTime::parse_from_rfc3339(&s).unwrap();
            Some(format!("{:020}", t.timestamp_nanos_opt().unwrap()))
        } else {
            Some(s)
        }
    };
    all.sort_by(|a, b| {
        let (ka, kb) = (key_of(a), key_of(b));
        let by_key = match (&ka, &kb) {
            (None, None) => Ordering::Equal,
            (None, Some(_)) => return Ordering::Greater,
            (Some(_), None) => return Ordering::Less,
            (Some(x), Some(y)) => x.cmp(y),
        };
        let ord = by_key.then_with(|| a["id"].as_str().cmp(&b["id"].as_str()));
        if desc { ord.reverse() } else { ord }
    });
    all.iter()
        .map(|p| p["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn paging_through_250_projects_in_pages_of_20_returns_each_once_in_order_under_every_sort() {
    let app = spawn_app().await;
    let mut created = Vec::new();
    for chunk in (0..250).collect::<Vec<_>>().chunks(10) {
        let batch = chunk.iter().map(|i| {
            let i = *i;
            let body = json!({
                "code": format!("P{:03}", (i * 37) % 250),
                // Ties: ten titles over 250 projects.
                "title": format!("Title {}", i % 10),
                // Some undated projects, to page through the NULL block.
                "start_date": if i % 7 == 0 { Value::Null } else { json!(format!("20{:02}-{:02}-01", 14 + i % 10, 1 + i % 12)) },
                "end_date": if i % 5 == 0 { Value::Null } else { json!("2030-01-01") },
            });
            let app = &app;
            async move { app.project(body).await }
        });
        created.extend(futures_util::future::join_all(batch).await);
    }
    // Touch some so updated_at differs from created_at order.
    for p in created.iter().step_by(9) {
        let url = format!("/api/v1/projects/{}", p["id"].as_str().unwrap());
        let res = app
            .send_json(
                reqwest::Method::PATCH,
                &url,
                &app.admin,
                &json!({"summary": "touched"}),
            )
            .await;
        assert_eq!(res.status(), StatusCode::OK);
    }
    let all: Vec<Value> = {
        let mut v = Vec::new();
        for p in &created {
            let url = format!("/api/v1/projects/{}", p["id"].as_str().unwrap());
            v.push(
                app.get(&url, &app.admin)
                    .await
                    .json::<Value>()
                    .await
                    .unwrap(),
            );
        }
        v
    };

    for key in [
        "code",
        "title",
        "start_date",
        "end_date",
        "created_at",
        "updated_at",
    ] {
        for sort in [key.to_owned(), format!("-{key}")] {
            let mut seen = Vec::new();
            let mut cursor: Option<String> = None;
            let mut pages = 0;
            loop {
                let mut url = format!("/api/v1/projects?limit=20&sort={sort}");
                if let Some(c) = &cursor {
                    url.push_str(&format!("&cursor={c}"));
                }
                let res = app.get(&url, &app.admin).await;
                assert_eq!(res.status(), StatusCode::OK, "{url}");
                let page: Value = res.json().await.unwrap();
                let items = page["items"].as_array().unwrap();
                assert!(items.len() <= 20);
                seen.extend(items.iter().map(|p| p["id"].as_str().unwrap().to_owned()));
                pages += 1;
                match page["next_cursor"].as_str() {
                    Some(c) => cursor = Some(c.to_owned()),
                    None => break,
                }
                assert!(pages <= 14, "paging does not end under {sort}");
            }
            assert_eq!(seen.len(), 250, "{sort}");
            assert_eq!(
                seen.iter().collect::<HashSet<_>>().len(),
                250,
                "duplicates under {sort}"
            );
            assert_eq!(
                seen,
                expected_order(all.clone(), &sort),
                "order under {sort}"
            );
            assert_eq!(pages, 13, "{sort}");
        }
    }
}

#[tokio::test]
async fn bad_list_parameters_are_400() {
    let app = spawn_app().await;
    for _ in 0..3 {
        app.project(project_body(&format!("C{}", uuid::Uuid::now_v7().simple())))
            .await;
    }
    let first: Value = app
        .get("/api/v1/projects?limit=1&sort=code", &app.admin)
        .await
        .json()
        .await
        .unwrap();
    let cursor = first["next_cursor"].as_str().unwrap().to_owned();
    for q in [
        "limit=0".to_owned(),
        "limit=101".to_owned(),
        "limit=abc".to_owned(),
        "sort=budget".to_owned(),
        "sort=--code".to_owned(),
        "status=paused".to_owned(),
        "start_from=yesterday".to_owned(),
        "cursor=not-a-cursor".to_owned(),
        format!("sort=-title&cursor={cursor}"),
        "organisation_id=42".to_owned(),
    ] {
        let res = app.get(&format!("/api/v1/projects?{q}"), &app.admin).await;
        problem(res, StatusCode::BAD_REQUEST).await;
    }
    let ok = app
        .get(
            &format!("/api/v1/projects?sort=code&limit=100&cursor={cursor}"),
            &app.admin,
        )
        .await;
    assert_eq!(ok.status(), StatusCode::OK);
    assert_eq!(
        ok.json::<Value>().await.unwrap()["items"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

/// Follows `next_cursor` from the first page of `path` (which already has its
/// filters, and no `?` if it has none) under `sort` in pages of `limit`, and
/// asserts the ids come out once each, in the order `sort` defines over `all`.
pub async fn assert_pages_follow_sort(
    app: &TestApp,
    path: &str,
    sort: &str,
    limit: usize,
    all: &[Value],
) {
    let sep = if path.contains('?') { '&' } else { '?' };
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut url = format!("{path}{sep}limit={limit}&sort={sort}");
        if let Some(c) = &cursor {
            url.push_str(&format!("&cursor={c}"));
        }
        let page = app.read(&url).await;
        let items = page["items"].as_array().unwrap();
        assert!(items.len() <= limit);
        seen.extend(items.iter().map(id));
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
        assert!(
            seen.len() <= all.len() + limit,
            "paging does not end: {url}"
        );
    }
    assert_eq!(
        seen.iter().collect::<HashSet<_>>().len(),
        seen.len(),
        "duplicates under {sort}"
    );
    assert_eq!(
        seen,
        expected_order(all.to_vec(), sort),
        "{path} under {sort}"
    );
}

#[tokio::test]
async fn an_empty_cursor_is_the_first_page() {
    let app = spawn_app().await;
    for code in ["A", "B"] {
        app.project(project_body(code)).await;
    }
    let first = app.read("/api/v1/projects?sort=code&limit=1").await;
    let empty = app.read("/api/v1/projects?sort=code&limit=1&cursor=").await;
    assert_eq!(first, empty);
}
