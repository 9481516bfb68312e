use serde_json::Value;

/// The committed contract must be what the code generates. To rewrite it:
/// `cargo run -q --bin rihla -- openapi > openapi/openapi.json`
#[test]
fn the_committed_openapi_json_is_current() {
    let generated: Value = serde_json::to_value(rihla_api::openapi::spec()).unwrap();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/openapi.json");
    let committed: Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("openapi/openapi.json"))
            .expect("committed spec is JSON");
    assert!(
        committed == generated,
        "openapi/openapi.json is stale; run: cargo run -q --bin rihla -- openapi > openapi/openapi.json"
    );
}

#[test]
fn every_operation_is_fully_documented() {
    let spec = serde_json::to_value(rihla_api::openapi::spec()).unwrap();
    let public = [
        "/health",
        "/ready",
        "/api/v1/auth/token",
        "/api/v1/auth/refresh",
        "/api/v1/auth/logout",
    ];
    let mut ids = std::collections::HashSet::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let what = format!("{method} {path}");
            assert!(
                ids.insert(
                    op["operationId"]
                        .as_str()
                        .unwrap_or_else(|| panic!("{what}: operationId"))
                        .to_owned()
                )
            );
            assert!(
                op["summary"].as_str().is_some_and(|s| !s.is_empty()),
                "{what}: summary"
            );
            assert!(
                op["tags"].as_array().is_some_and(|t| !t.is_empty()),
                "{what}: tags"
            );
            let responses = op["responses"].as_object().unwrap();
            assert!(
                responses.keys().any(|k| k.starts_with('2')),
                "{what}: success response"
            );
            for code in ["400", "500"] {
                assert!(responses.contains_key(code), "{what}: {code}");
            }
            if public.contains(&path.as_str()) {
                assert!(op.get("security").is_none(), "{what}: public");
            } else {
                assert_eq!(
                    op["security"][0]["bearer"],
                    serde_json::json!([]),
                    "{what}: security"
                );
                assert!(
                    responses.contains_key("401") && responses.contains_key("403"),
                    "{what}: 401/403"
                );
            }
            if path.contains('{') {
                assert!(responses.contains_key("404"), "{what}: 404");
                assert!(
                    op["parameters"]
                        .as_array()
                        .is_some_and(|p| p.iter().any(|p| p["in"] == "path")),
                    "{what}: path param"
                );
            }
            if op.get("requestBody").is_some() {
                assert!(
                    responses.contains_key("422") && responses.contains_key("415"),
                    "{what}: 422/415"
                );
            }
        }
    }
}

#[test]
fn every_tag_used_is_declared_and_every_declared_tag_is_used() {
    let spec = serde_json::to_value(rihla_api::openapi::spec()).unwrap();
    let declared: std::collections::BTreeSet<&str> = spec["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    let mut used = std::collections::BTreeSet::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            for tag in op["tags"].as_array().into_iter().flatten() {
                let tag = tag.as_str().unwrap();
                assert!(
                    declared.contains(tag),
                    "{method} {path} uses the tag {tag:?}, which ApiDoc's tags(...) does not declare"
                );
                used.insert(tag);
            }
        }
    }
    let unused: Vec<_> = declared.difference(&used).collect();
    assert!(unused.is_empty(), "declared but unused tags: {unused:?}");
}

/// Each kind of record is served: its history is readable under its path
/// (a resource whose routes were never registered has none).
#[test]
fn every_resource_type_is_served_with_its_history() {
    use rihla_domain::ResourceType;
    let spec = serde_json::to_value(rihla_api::openapi::spec()).unwrap();
    for resource in ResourceType::ALL {
        let (path, method) = match resource {
            ResourceType::Meeting => ("/api/v1/meetings/{meeting_id}/history".to_owned(), "get"),
            // A membership's changes are in the project's audit trail.
            ResourceType::ProjectMember => (
                "/api/v1/projects/{id}/members/{member_id}".to_owned(),
                "get",
            ),
            // A resource at its own path, as `crud_routes!` serves it.
            _ => (
                format!("/api/v1/{}/{{id}}/history", resource.plural()),
                "get",
            ),
        };
        assert!(
            spec["paths"][&path][method].is_object(),
            "{resource}: no {method} {path} in the spec; are its routes in routes!?"
        );
    }
}
