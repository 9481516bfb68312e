//! Query strings checked like bodies, from the served OpenAPI document: an
//! operation refuses a parameter it does not declare, a parameter given
//! twice, and a value that does not parse as the declared type (boolean,
//! integer, UUID, date, date-time, one of an enum), each a 400 naming the
//! parameter in `errors: [{field, code, message}]`. The rules are read from
//! the same declarations (`IntoParams`, the contract's `format`/`bom`) the
//! document is generated from, so a parameter cannot be documented and
//! unchecked, or checked and undocumented. Range and pattern rules stay
//! with the handlers, which name the parameter too.

use std::collections::BTreeMap;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::web;
use rihla_domain::FieldError;
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::schema::{KnownFormat, Schema, SchemaFormat, SchemaType, Type};
use utoipa::openapi::{OpenApi, RefOr};

use crate::error::ApiError;

/// What a query parameter's value must parse as.
#[derive(Debug, Clone, PartialEq)]
enum Kind {
    Text,
    Boolean,
    Integer,
    Uuid,
    Date,
    DateTime,
    OneOf(Vec<String>),
}

/// One operation's query parameters, by name.
#[derive(Debug, Clone)]
struct Declared {
    template: Vec<String>,
    method: Method,
    params: BTreeMap<String, Kind>,
}

/// Every operation's query parameters, from the served document.
#[derive(Debug, Clone, Default)]
pub struct QueryRules(Vec<Declared>);

fn kind_of(schema: &RefOr<Schema>, spec: &OpenApi) -> Kind {
    let schema = match schema {
        RefOr::T(s) => s,
        RefOr::Ref(r) => {
            let name = r.ref_location.rsplit('/').next().unwrap_or_default();
            match spec.components.as_ref().and_then(|c| c.schemas.get(name)) {
                Some(s @ RefOr::T(_)) => return kind_of(s, spec),
                _ => return Kind::Text,
            }
        }
    };
    let Schema::Object(o) = schema else {
        return Kind::Text;
    };
    if let Some(values) = &o.enum_values {
        return Kind::OneOf(
            values
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect(),
        );
    }
    let is = |t: Type| match &o.schema_type {
        SchemaType::Type(x) => *x == t,
        SchemaType::Array(xs) => xs.contains(&t),
        SchemaType::AnyValue => false,
    };
    if is(Type::Boolean) {
        return Kind::Boolean;
    }
    if is(Type::Integer) {
        return Kind::Integer;
    }
    match &o.format {
        Some(SchemaFormat::KnownFormat(KnownFormat::Uuid)) => Kind::Uuid,
        Some(SchemaFormat::KnownFormat(KnownFormat::Date)) => Kind::Date,
        Some(SchemaFormat::KnownFormat(KnownFormat::DateTime)) => Kind::DateTime,
        _ => Kind::Text,
    }
}

fn declared(op: &Operation, spec: &OpenApi) -> BTreeMap<String, Kind> {
    op.parameters
        .iter()
        .flatten()
        .filter_map(|p| match p {
            RefOr::T(p) => Some(p),
            // The contract declares every parameter in place.
            RefOr::Ref(_) => None,
        })
        .filter(|p| p.parameter_in == ParameterIn::Query)
        .map(|p| {
            let kind = p
                .schema
                .as_ref()
                .map_or(Kind::Text, |schema| kind_of(schema, spec));
            (p.name.clone(), kind)
        })
        .collect()
}

impl QueryRules {
    pub fn from_spec(spec: &OpenApi) -> Self {
        let mut rules = Vec::new();
        for (template, item) in &spec.paths.paths {
            for (method, op) in [
                (Method::GET, &item.get),
                (Method::POST, &item.post),
                (Method::PUT, &item.put),
                (Method::PATCH, &item.patch),
                (Method::DELETE, &item.delete),
            ] {
                if let Some(op) = op {
                    rules.push(Declared {
                        template: template.split('/').map(str::to_owned).collect(),
                        method,
                        params: declared(op, spec),
                    });
                }
            }
        }
        QueryRules(rules)
    }

    /// The operation `method path` is, preferring literal segments over
    /// `{id}` (`/projects/export` before `/projects/{id}`).
    fn operation(&self, method: &Method, path: &str) -> Option<&Declared> {
        let parts: Vec<&str> = path.trim_end_matches('/').split('/').collect();
        self.0
            .iter()
            .filter(|d| d.method == *method && d.template.len() == parts.len())
            .filter_map(|d| {
                let mut literal = 0;
                for (s, p) in d.template.iter().zip(&parts) {
                    if s == p {
                        literal += 1;
                    } else if !s.starts_with('{') || p.is_empty() {
                        return None;
                    }
                }
                Some((literal, d))
            })
            .max_by_key(|(literal, _)| *literal)
            .map(|(_, d)| d)
    }

    /// Every problem of `query` for operation `method path`, none for a
    /// path no operation serves (the fallback answers those).
    pub fn check(&self, method: &Method, path: &str, query: &str) -> Vec<FieldError> {
        let Some(op) = self.operation(method, path) else {
            return Vec::new();
        };
        let pairs: Vec<(String, String)> = match serde_urlencoded::from_str(query) {
            Ok(pairs) => pairs,
            Err(e) => {
                return vec![FieldError::new(
                    "query",
                    "malformed",
                    format!("the query string is not form-encoded: {e}"),
                )];
            }
        };
        let mut errors = Vec::new();
        let mut seen = std::collections::BTreeSet::new();
        for (name, value) in &pairs {
            let Some(kind) = op.params.get(name) else {
                errors.push(unknown(name, op));
                continue;
            };
            if !seen.insert(name.as_str()) {
                errors.push(FieldError::new(
                    name,
                    "repeated",
                    format!("{name} is given more than once; give it once"),
                ));
                continue;
            }
            if let Some(e) = check_value(name, value, kind) {
                errors.push(e);
            }
        }
        errors
    }
}

fn unknown(name: &str, op: &Declared) -> FieldError {
    let known: Vec<&str> = op.params.keys().map(String::as_str).collect();
    let path = op.template.join("/");
    let nearest = known
        .iter()
        .map(|k| (distance(name, k), *k))
        .filter(|(d, k)| *d <= 2 && *d < k.len())
        .min()
        .map(|(_, k)| format!(" (did you mean {k}?)"))
        .unwrap_or_default();
    let takes = if known.is_empty() {
        "it takes no query parameters".to_owned()
    } else {
        format!("it takes {}", known.join(", "))
    };
    FieldError::new(
        name,
        "unknown_parameter",
        format!(
            "{name} is not a query parameter of {} {path}{nearest}; {takes}",
            op.method
        ),
    )
}

fn check_value(name: &str, value: &str, kind: &Kind) -> Option<FieldError> {
    let bad = |code: &str, what: &str| {
        Some(FieldError::new(
            name,
            code,
            format!("{name} must be {what}, not {value:?}"),
        ))
    };
    match kind {
        Kind::Text => None,
        Kind::Boolean if value == "true" || value == "false" => None,
        Kind::Boolean => bad("not_a_boolean", "true or false"),
        Kind::Integer if value.parse::<i64>().is_ok() => None,
        Kind::Integer => bad("not_an_integer", "a whole number"),
        Kind::Uuid if uuid::Uuid::parse_str(value).is_ok() => None,
        Kind::Uuid => bad("not_a_uuid", "a UUID"),
        Kind::Date if chrono::NaiveDate::parse_from_str(value, "%Y-%m-%d").is_ok() => None,
        Kind::Date => bad("not_a_date", "a date (YYYY-MM-DD)"),
        Kind::DateTime if chrono::DateTime::parse_from_rfc3339(value).is_ok() => None,
        Kind::DateTime => bad(
            "not_a_date_time",
            "a date and time (RFC 3339, 2024-01-31T12:00:00Z)",
        ),
        Kind::OneOf(values) if values.iter().any(|v| v == value) => None,
        Kind::OneOf(values) => bad("not_one_of", &format!("one of {}", values.join(", "))),
    }
}

/// Levenshtein distance, for "did you mean".
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

/// The middleware: 400 before the handler runs when the query breaks the
/// operation's declaration.
pub async fn check(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<actix_web::body::BoxBody>, actix_web::Error> {
    if !req.query_string().is_empty()
        && let Some(rules) = req.app_data::<web::Data<QueryRules>>()
    {
        let errors = rules.check(req.method(), req.path(), req.query_string());
        if !errors.is_empty() {
            let res = actix_web::ResponseError::error_response(&ApiError::bad_params(errors));
            return Ok(req.into_response(res));
        }
    }
    Ok(next.call(req).await?.map_into_boxed_body())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> QueryRules {
        QueryRules::from_spec(&crate::openapi::spec())
    }

    fn codes(errors: Vec<FieldError>) -> Vec<(String, String)> {
        errors.into_iter().map(|e| (e.field, e.code)).collect()
    }

    #[test]
    fn an_undeclared_parameter_is_named_with_the_nearest_declared_one() {
        let errors = rules().check(&Method::GET, "/api/v1/projects", "stauts=active");
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].code, "unknown_parameter");
        assert!(
            errors[0].message.contains("did you mean status?"),
            "{}",
            errors[0].message
        );
    }

    #[test]
    fn values_are_checked_against_their_declared_type() {
        let r = rules();
        assert_eq!(
            codes(r.check(&Method::GET, "/api/v1/projects", "status=done&count=1")),
            [
                ("status".to_owned(), "not_one_of".to_owned()),
                ("count".to_owned(), "not_a_boolean".to_owned())
            ]
        );
        assert!(
            r.check(
                &Method::GET,
                "/api/v1/projects",
                "status=active&count=true&q=x"
            )
            .is_empty()
        );
        assert_eq!(
            codes(r.check(&Method::GET, "/api/v1/projects", "limit=5&limit=6")),
            [("limit".to_owned(), "repeated".to_owned())]
        );
    }

    #[test]
    fn distance_counts_edits() {
        assert_eq!(distance("stauts", "status"), 2);
        assert_eq!(distance("q", "q"), 0);
        assert_eq!(distance("", "abc"), 3);
    }
}
