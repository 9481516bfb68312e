//! Extractors every route shares: the JSON body (parsed, validated, hashed
//! for Idempotency-Key), If-Match and Idempotency-Key headers.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest};
use futures_util::StreamExt;
use rihla_domain::{Check, FieldError};
use serde::de::DeserializeOwned;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::error::ApiError;

/// The largest body a route accepts (APP_BODY_LIMIT_BYTES).
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit(pub usize);

/// A JSON request body, parsed but not yet validated (PATCH validates after
/// merging). Also keeps a hash of its canonical form for Idempotency-Key checks.
pub struct Json<T> {
    pub value: T,
    pub canonical_hash: String,
}

/// A JSON body that passed its `Check` rules: 422 listing every failing field otherwise.
pub struct Valid<T>(pub Json<T>);

fn is_json(req: &HttpRequest) -> bool {
    let Some(ct) = req.headers().get(header::CONTENT_TYPE) else {
        return false;
    };
    let Ok(ct) = ct.to_str() else { return false };
    let essence = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

async fn read_body(req: &HttpRequest, payload: &mut Payload) -> Result<Vec<u8>, ApiError> {
    let limit = req
        .app_data::<BodyLimit>()
        .copied()
        .unwrap_or(BodyLimit(1_048_576))
        .0;
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(ApiError::PayloadTooLarge { limit });
    }
    let mut body = Vec::with_capacity(declared.unwrap_or(1024).min(limit));
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| ApiError::BadRequest {
            detail: format!("could not read the request body: {e}"),
            errors: vec![],
        })?;
        if body.len() + chunk.len() > limit {
            return Err(ApiError::PayloadTooLarge { limit });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Key order and white space do not change the hash, so a retried request that a
/// client re-serialised still matches.
fn canonical_hash(v: &Value) -> String {
    fn canon(v: &Value) -> Value {
        match v {
            Value::Object(m) => Value::Object(
                m.iter()
                    .map(|(k, v)| (k.clone(), canon(v)))
                    .collect::<BTreeMap<_, _>>()
                    .into_iter()
                    .collect(),
            ),
            Value::Array(a) => Value::Array(a.iter().map(canon).collect()),
            other => other.clone(),
        }
    }
    let bytes = serde_json::to_vec(&canon(v)).unwrap_or_default();
    format!("{:x}", Sha256::digest(bytes))
}

/// The path of the first member name or string holding U+0000. PostgreSQL
/// cannot store it in text, and no field of ours has a use for it, so every
/// body is refused alike on both backends.
fn nul_path(v: &Value, path: &str) -> Option<String> {
    let here = || {
        if path.is_empty() {
            "body".to_owned()
        } else {
            path.to_owned()
        }
    };
    match v {
        Value::String(s) if s.contains('\0') => Some(here()),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, item)| nul_path(item, &format!("{path}[{i}]"))),
        Value::Object(m) => m.iter().find_map(|(k, item)| {
            // The name is quoted back in the error: never with the NUL itself.
            let name = k.replace('\0', "\\u0000");
            let field = if path.is_empty() {
                name
            } else {
                format!("{path}.{name}")
            };
            if k.contains('\0') {
                Some(field)
            } else {
                nul_path(item, &field)
            }
        }),
        _ => None,
    }
}

/// No list any input takes holds more than this many entries (the longest
/// declares 100): a longer array anywhere in a body is refused before it is
/// typed or checked, so no rule ever compares more entries than this.
pub const MAX_ITEMS: usize = 1_000;

/// The path of the first array longer than `MAX_ITEMS`, and its length.
fn long_array(v: &Value, path: &str) -> Option<(String, usize)> {
    match v {
        Value::Array(items) if items.len() > MAX_ITEMS => Some((
            if path.is_empty() {
                "body".to_owned()
            } else {
                path.to_owned()
            },
            items.len(),
        )),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, item)| long_array(item, &format!("{path}[{i}]"))),
        Value::Object(m) => m.iter().find_map(|(k, item)| {
            let field = if path.is_empty() {
                k.clone()
            } else {
                format!("{path}.{k}")
            };
            long_array(item, &field)
        }),
        _ => None,
    }
}

/// Deserialises a JSON value into `T`, naming the field of a type error.
pub fn from_value<T: DeserializeOwned>(value: Value) -> Result<T, ApiError> {
    serde_path_to_error::deserialize::<_, T>(value).map_err(|e| {
        // The path ends at the offending member (for an unknown field, at that
        // field); a missing field is named only in the message.
        let path = match e.path().to_string() {
            p if p == "." => String::new(),
            p => p,
        };
        let inner = e.into_inner().to_string();
        let missing = inner
            .strip_prefix("missing field `")
            .and_then(|rest| rest.split('`').next());
        let (code, field) = match missing {
            Some(name) if path.is_empty() => ("required", name.to_owned()),
            Some(name) => ("required", format!("{path}.{name}")),
            None if inner.starts_with("unknown field") => ("unknown_field", path),
            None => ("invalid_type", path),
        };
        let field = if field.is_empty() {
            "body".to_owned()
        } else {
            field
        };
        ApiError::validation(vec![FieldError::new(
            field.clone(),
            code,
            format!("{field}: {inner}"),
        )])
    })
}

/// JSON has one number type: `2023.0` is the integer 2023 to JSON Schema (and
/// to our OpenAPI contract), but serde refuses it for an integer field. Whole
/// floats become integers before the body is typed; a float field still
/// accepts an integer, so nothing else changes.
fn integral_floats_to_integers(value: &mut Value) {
    match value {
        Value::Number(n) if n.is_f64() => {
            if let Some(f) = n.as_f64()
                && f.fract() == 0.0
                && f.abs() < 9.0e15
            {
                *value = Value::from(f as i64);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(integral_floats_to_integers),
        Value::Object(map) => map.values_mut().for_each(integral_floats_to_integers),
        _ => {}
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for Json<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let mut payload = payload.take();
        Box::pin(async move {
            if !is_json(&req) {
                return Err(ApiError::UnsupportedMediaType(
                    "send the body as application/json".into(),
                ));
            }
            let bytes = read_body(&req, &mut payload).await?;
            let mut value: Value =
                serde_json::from_slice(&bytes).map_err(|e| ApiError::BadRequest {
                    detail: format!("malformed JSON: {e}"),
                    errors: vec![],
                })?;
            if let Some((field, len)) = long_array(&value, "") {
                return Err(ApiError::validation(vec![FieldError::new(
                    field.clone(),
                    "too_many_items",
                    format!("{field} has {len} entries; no list takes more than {MAX_ITEMS}"),
                )]));
            }
            integral_floats_to_integers(&mut value);
            if let Some(field) = nul_path(&value, "") {
                return Err(ApiError::validation(vec![FieldError::new(
                    field.clone(),
                    "nul_character",
                    format!("{field} must not contain the NUL character (U+0000)"),
                )]));
            }
            let canonical_hash = canonical_hash(&value);
            Ok(Json {
                value: from_value(value)?,
                canonical_hash,
            })
        })
    }
}

impl<T: DeserializeOwned + Check + 'static> FromRequest for Valid<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let fut = Json::<T>::from_request(req, payload);
        Box::pin(async move {
            let body = fut.await?;
            check(&body.value)?;
            Ok(Valid(body))
        })
    }
}

pub fn check<T: Check>(value: &T) -> Result<(), ApiError> {
    let errors = value.check();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::validation(errors))
    }
}

/// The strong ETag of a record version.
pub fn etag(version: i32) -> String {
    format!("\"{version}\"")
}

/// `If-Match`: `None` when absent or `*` (no precondition), else the version the
/// client expects (412 later if it is not current). A value that is neither
/// one ETag of ours nor a bare version is a 400, as the contract's pattern says.
#[derive(Debug, Clone, Copy)]
pub struct IfMatch(pub Option<i32>);

impl FromRequest for IfMatch {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let Some(raw) = req.headers().get(header::IF_MATCH) else {
            return std::future::ready(Ok(IfMatch(None)));
        };
        let raw = raw.to_str().unwrap_or("").trim();
        if raw == "*" {
            return std::future::ready(Ok(IfMatch(None)));
        }
        // One ETag of ours ("3"; the bare version 3 is taken too, as clients
        // and fuzzers send it). Anything else (a list, a weak or foreign tag)
        // is refused rather than silently left unmatched.
        let bare = raw
            .strip_prefix('"')
            .and_then(|t| t.strip_suffix('"'))
            .unwrap_or(raw);
        let version = Some(bare)
            .filter(|t| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|t| t.parse::<i32>().ok());
        std::future::ready(match version {
            Some(v) => Ok(IfMatch(Some(v))),
            None => Err(ApiError::BadRequest {
                detail: "If-Match must be * or one ETag this API issued, such as \"3\"".into(),
                errors: vec![FieldError::new(
                    "If-Match",
                    "invalid",
                    "send the ETag of the version you read",
                )],
            }),
        })
    }
}

/// `Idempotency-Key`: 1-255 visible ASCII characters.
#[derive(Debug, Clone)]
pub struct IdempotencyKey(pub Option<String>);

impl FromRequest for IdempotencyKey {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let result = match req.headers().get("idempotency-key") {
            None => Ok(IdempotencyKey(None)),
            Some(v) => match v.to_str() {
                Ok(s)
                    if (1..=255).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_graphic()) =>
                {
                    Ok(IdempotencyKey(Some(s.to_owned())))
                }
                _ => Err(ApiError::BadRequest {
                    detail: "Idempotency-Key must be 1 to 255 visible ASCII characters".into(),
                    errors: vec![FieldError::new(
                        "Idempotency-Key",
                        "invalid",
                        "Idempotency-Key must be 1 to 255 visible ASCII characters",
                    )],
                }),
            },
        };
        std::future::ready(result)
    }
}
