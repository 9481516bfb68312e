//! JSON Merge Patch (RFC 7386): how PATCH bodies apply to a record's input form.

use serde_json::Value;

/// Applies `patch` to `target` in place: objects merge recursively, `null`
/// removes a member, anything else replaces.
pub fn merge(target: &mut Value, patch: &Value) {
    match patch {
        Value::Object(changes) => {
            if !target.is_object() {
                *target = Value::Object(serde_json::Map::new());
            }
            if let Value::Object(fields) = target {
                for (key, change) in changes {
                    if change.is_null() {
                        fields.remove(key);
                    } else {
                        merge(fields.entry(key.clone()).or_insert(Value::Null), change);
                    }
                }
            }
        }
        other => *target = other.clone(),
    }
}

/// The path of the first member `patch` sets to `null` that `target` does not
/// have. Such a member is dropped by [`merge`] without a trace, so a patch
/// naming a field the record does not have would otherwise succeed silently;
/// `target` is the record's input form, which serialises every field it has.
pub fn unknown_removal(target: &Value, patch: &Value) -> Option<String> {
    fn walk(target: &Value, patch: &Value, path: &str) -> Option<String> {
        let (Value::Object(fields), Value::Object(changes)) = (target, patch) else {
            return None;
        };
        changes.iter().find_map(|(key, change)| {
            let here = if path.is_empty() {
                key.clone()
            } else {
                format!("{path}.{key}")
            };
            match fields.get(key) {
                None if change.is_null() => Some(here),
                Some(inner) => walk(inner, change, &here),
                None => None,
            }
        })
    }
    walk(target, patch, "")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn follows_the_rfc_7386_examples() {
        let cases = [
            (json!({"a": "b"}), json!({"a": "c"}), json!({"a": "c"})),
            (
                json!({"a": "b"}),
                json!({"b": "c"}),
                json!({"a": "b", "b": "c"}),
            ),
            (json!({"a": "b"}), json!({"a": null}), json!({})),
            (json!({"a": ["b"]}), json!({"a": "c"}), json!({"a": "c"})),
            (
                json!({"a": {"b": "c"}}),
                json!({"a": {"b": "d", "c": null}}),
                json!({"a": {"b": "d"}}),
            ),
            (json!(["a"]), json!({"a": "b"}), json!({"a": "b"})),
            (
                json!({"e": null}),
                json!({"a": 1}),
                json!({"e": null, "a": 1}),
            ),
        ];
        for (mut target, patch, want) in cases {
            merge(&mut target, &patch);
            assert_eq!(target, want);
        }
    }

    #[test]
    fn a_null_for_a_member_the_target_lacks_is_named() {
        let target = json!({"a": 1, "o": {"x": null}, "n": null});
        assert_eq!(
            unknown_removal(&target, &json!({"a": null, "n": null})),
            None
        );
        assert_eq!(unknown_removal(&target, &json!({"o": {"x": null}})), None);
        assert_eq!(unknown_removal(&target, &json!({"b": 2})), None);
        assert_eq!(
            unknown_removal(&target, &json!({"": null})),
            Some(String::new())
        );
        assert_eq!(
            unknown_removal(&target, &json!({"o": {"y": null}})),
            Some("o.y".into())
        );
    }
}
