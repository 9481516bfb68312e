//! Turning validation failures into one flat list of `{field, code, message}`,
//! and the custom rules the derive attributes refer to.

use std::borrow::Cow;

use serde::Serialize;
use utoipa::ToSchema;
use validator::{ValidationError, ValidationErrors, ValidationErrorsKind};

use crate::codes;

/// One failing field. `field` is a path into the request body, e.g.
/// `participating_organisations[1].organisation_id`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct FieldError {
    #[schema(example = "end_date")]
    pub field: String,
    #[schema(example = "before_start")]
    pub code: String,
    #[schema(example = "end_date must not be before start_date")]
    pub message: String,
}

impl FieldError {
    pub fn new(
        field: impl Into<String>,
        code: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        FieldError {
            field: field.into(),
            code: code.into(),
            message: message.into(),
        }
    }
}

/// Every input type implements this: the derive-level rules plus the cross-field
/// ones, all reported together so a client can fix everything in one round.
pub trait Check {
    fn check(&self) -> Vec<FieldError>;

    /// Pairs of fields where one stands for the other (a deprecated alias
    /// and its successor). A merge patch that sets one of a pair clears the
    /// other first, so the merged input never holds two disagreeing values.
    const ALIASES: &'static [(&'static str, &'static str)] = &[];
}

/// Flattens validator's nested error tree into sorted field paths.
pub fn flatten(errors: &ValidationErrors) -> Vec<FieldError> {
    let mut out = Vec::new();
    walk(errors, "", &mut out);
    out.sort_by(|a, b| a.field.cmp(&b.field).then(a.code.cmp(&b.code)));
    out
}

fn walk(errors: &ValidationErrors, prefix: &str, out: &mut Vec<FieldError>) {
    for (field, kind) in errors.errors() {
        let path = if prefix.is_empty() {
            field.to_string()
        } else {
            format!("{prefix}.{field}")
        };
        match kind {
            ValidationErrorsKind::Field(list) => {
                for e in list {
                    out.push(FieldError::new(
                        path.clone(),
                        e.code.to_string(),
                        message_for(&path, e),
                    ));
                }
            }
            ValidationErrorsKind::Struct(inner) => walk(inner, &path, out),
            ValidationErrorsKind::List(items) => {
                for (i, inner) in items {
                    walk(inner, &format!("{path}[{i}]"), out);
                }
            }
        }
    }
}

fn message_for(path: &str, e: &ValidationError) -> String {
    if let Some(m) = &e.message {
        return format!("{path}: {m}");
    }
    let param = |k: &str| e.params.get(k).map(|v| v.to_string());
    match e.code.as_ref() {
        "length" => match (param("min"), param("max")) {
            (Some(min), Some(max)) => format!("{path} must be {min} to {max} characters long"),
            (Some(min), None) => format!("{path} must be at least {min} long"),
            (None, Some(max)) => format!("{path} must be at most {max} long"),
            _ => format!("{path} has the wrong length"),
        },
        "range" => format!("{path} is out of range"),
        "email" => format!("{path} must be an email address"),
        other => format!("{path} is invalid ({other})"),
    }
}

fn err(code: &'static str, message: &'static str) -> ValidationError {
    ValidationError::new(code).with_message(Cow::Borrowed(message))
}

pub fn country_code(v: &str) -> Result<(), ValidationError> {
    if codes::is_country_code(v) {
        Ok(())
    } else {
        Err(err(
            "country_code",
            "must be an upper-case ISO 3166-1 alpha-2 code such as LY",
        ))
    }
}

pub fn country_codes(v: &[String]) -> Result<(), ValidationError> {
    for c in v {
        country_code(c)?;
    }
    if has_duplicates(v) {
        return Err(err("duplicate", "must not list the same value twice"));
    }
    Ok(())
}

pub fn currency_code(v: &str) -> Result<(), ValidationError> {
    if codes::is_currency_code(v) {
        Ok(())
    } else {
        Err(err(
            "currency",
            "must be an upper-case ISO 4217 code such as EUR",
        ))
    }
}

/// A non-negative decimal carried as a string: up to 15 integer digits and 4
/// decimals, no sign, no exponent, no leading zeros ("0.50" is fine, "00.5" is not).
pub fn decimal_amount(v: &str) -> Result<(), ValidationError> {
    let (int, frac) = match v.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (v, None),
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let ok = digits(int)
        && int.len() <= 15
        && (int == "0" || !int.starts_with('0'))
        && frac.is_none_or(|f| digits(f) && f.len() <= 4);
    if ok {
        Ok(())
    } else {
        Err(err(
            "decimal",
            "must be a non-negative decimal string such as \"1250000.00\"",
        ))
    }
}

/// Text that is not only white space (length limits are separate attributes).
pub fn not_blank(v: &str) -> Result<(), ValidationError> {
    if v.trim().is_empty() {
        Err(err("blank", "must not be blank"))
    } else {
        Ok(())
    }
}

/// Each string in a list: not blank, at most 200 characters, no duplicates.
pub fn text_list(v: &[String]) -> Result<(), ValidationError> {
    // A list over its length limit is refused by that limit alone: no work
    // per entry for a list that is refused anyway.
    if v.len() > MAX_LIST {
        return Ok(());
    }
    if v.iter().any(|s| s.trim().is_empty()) {
        return Err(err("blank", "must not contain blank entries"));
    }
    if v.iter().any(|s| s.chars().count() > 200) {
        return Err(err("length", "entries must be at most 200 characters"));
    }
    if has_duplicates(v) {
        return Err(err("duplicate", "must not list the same value twice"));
    }
    Ok(())
}

/// The longest list any input takes (its own `length(max)` says so too).
pub const MAX_LIST: usize = 50;

/// Identifiers such as project codes: letters, digits, '-', '_', '.', '/'; no spaces.
pub fn identifier(v: &str) -> Result<(), ValidationError> {
    let ok = v
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'))
        && v.chars().next().is_some_and(|c| c.is_ascii_alphanumeric());
    if ok {
        Ok(())
    } else {
        Err(err(
            "identifier",
            "must start with a letter or digit and use only letters, digits, '-', '_', '.', '/'",
        ))
    }
}

/// `end_date` must not be before `start_date` (either may be unknown).
pub fn check_period(
    start: Option<chrono::NaiveDate>,
    end: Option<chrono::NaiveDate>,
    errors: &mut Vec<FieldError>,
) {
    if let (Some(start), Some(end)) = (start, end)
        && end < start
    {
        errors.push(FieldError::new(
            "end_date",
            "before_start",
            "end_date must not be before start_date",
        ));
    }
}

/// An absolute http(s) URL with a host and no white space.
pub fn http_url(v: &str) -> Result<(), ValidationError> {
    let rest = v
        .strip_prefix("https://")
        .or_else(|| v.strip_prefix("http://"));
    let ok = rest.is_some_and(|r| authority_ok(r.split(['/', '?', '#']).next().unwrap_or("")))
        && !v.chars().any(|c| c.is_whitespace() || c.is_control());
    if ok {
        Ok(())
    } else {
        Err(err(
            "url",
            "must be an http:// or https:// URL such as https://www.rabat-process.org",
        ))
    }
}

/// `host[:port]` of a URL: a name (letters, digits, `-`, `.`, `_`, `~`,
/// `%`, or any non-ASCII letter of an internationalised name) or a bracketed
/// IPv6 address, and a port of at most 65535. No user info: `user@host`
/// hides the real host from a reader.
fn authority_ok(authority: &str) -> bool {
    let (host, port) = match authority.strip_prefix('[') {
        Some(rest) => match rest.split_once(']') {
            Some((ip, after)) if ip.parse::<std::net::Ipv6Addr>().is_ok() => ("ip", after),
            _ => return false,
        },
        None => match authority.split_once(':') {
            Some((host, _)) => (host, &authority[host.len()..]),
            None => (authority, ""),
        },
    };
    let host_ok = !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '-' | '.' | '_' | '~' | '%'));
    let port_ok = match port.strip_prefix(':') {
        None => port.is_empty(),
        Some(p) => {
            !p.is_empty()
                && p.len() <= 5
                && p.chars().all(|c| c.is_ascii_digit())
                && p.parse::<u32>().is_ok_and(|n| n <= 65_535)
        }
    };
    host_ok && port_ok
}

/// Whether a value appears twice: one pass with a set, so a long list costs
/// what its length does (a pairwise check was quadratic, and held a worker
/// for seconds on a list well under the body limit).
pub fn has_duplicates<T: Eq + std::hash::Hash>(v: &[T]) -> bool {
    let mut seen = std::collections::HashSet::with_capacity(v.len());
    !v.iter().all(|x| seen.insert(x))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_amount_accepts_canonical_strings_only() {
        for ok in ["0", "0.5", "1250000.00", "999999999999999.9999"] {
            assert!(decimal_amount(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "-1",
            "1e5",
            "01",
            "1.",
            ".5",
            "1.23456",
            "1,5",
            " 1",
            "1234567890123456",
        ] {
            assert!(decimal_amount(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn urls_must_be_absolute_http_with_a_host() {
        assert!(http_url("https://www.khartoumprocess.net/about").is_ok());
        assert!(http_url("http://example.org").is_ok());
        assert!(http_url("http://example.org:8080/x?y#z").is_ok());
        assert!(http_url("https://[2001:db8::1]:443/").is_ok());
        assert!(http_url("https://مثال.ليبيا/").is_ok());
        for bad in [
            "ftp://x.org",
            "https://",
            "www.x.org",
            "https://a b.org",
            "https://:80",
            "http://[x",
            "http://a]b.org",
            "http://[::1",
            "http://[not-ip]/",
            "http://x.org:99999",
            "http://x.org:",
            "http://x.org:8a",
            "http://user@x.org",
        ] {
            assert!(http_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn identifiers_reject_spaces_and_leading_punctuation() {
        assert!(identifier("LIBMITAF").is_ok());
        assert!(identifier("XM-DAC-47066-LIB.1").is_ok());
        assert!(identifier("-X").is_err());
        assert!(identifier("A B").is_err());
    }
}

/// A record that still points at the one a client tried to delete.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Reference {
    #[schema(example = "projects")]
    pub resource: String,
    pub id: uuid::Uuid,
    /// A human label: a project's code, an organisation's name.
    #[schema(example = "LIBMITAF")]
    pub label: String,
}
