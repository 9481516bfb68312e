//! What a list or report answers in: JSON (one page) or CSV (every matching
//! record), chosen by `format=csv` or by `Accept: text/csv`, and the CSV
//! itself.
//!
//! A CSV export walks the list page by page with the same filters and sort
//! (keyset pages, so each costs what the first does), from the request's
//! `cursor` if it has one, and streams each page as it is read: memory holds one page, whatever the number of rows. Rows
//! written during an export may or may not appear in it; none appears twice.
//!
//! The columns come from the record's schema in the served OpenAPI document,
//! so a CSV has the same header whether or not it has rows: a nested object
//! becomes dotted columns (`participants.planned`), a nested list one cell
//! holding its JSON (`[{"country_code":"LY","city":"Tripoli"}]`), which
//! round-trips exactly. Cells are quoted per RFC 4180; a cell starting with
//! `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading `'` so no
//! spreadsheet runs it as a formula (OWASP CSV injection). `bom=true` puts a
//! UTF-8 byte order mark first, for Excel to read Arabic text as UTF-8.

use std::future::Future;
use std::sync::{Arc, OnceLock};

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{FromRequest, HttpRequest, HttpResponse};
use rihla_domain::Page;
use rihla_domain::paging::Resume;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::ApiError;

/// Rows per page an export reads.
const EXPORT_PAGE: u64 = 100;
const BOM: &[u8] = b"\xEF\xBB\xBF";
pub const CSV: &str = "text/csv";

/// The response format a request asked for. A CSV export holds one of its
/// caller's export slots (`budget::Slot`) for as long as it streams.
#[derive(Debug)]
pub enum Wants {
    Json,
    Csv {
        bom: bool,
        slot: Option<crate::http::budget::Slot>,
    },
}

#[derive(Deserialize)]
struct FormatParams {
    format: Option<String>,
    bom: Option<bool>,
}

impl FromRequest for Wants {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Wants, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(wants(req))
    }
}

/// A CSV export's slot among its caller's (429 when it has too many open).
fn slot(req: &HttpRequest) -> Result<Option<crate::http::budget::Slot>, ApiError> {
    let budgets = req.app_data::<actix_web::web::Data<crate::http::budget::Budgets>>();
    match (budgets, crate::auth::principal_of(req)) {
        (Some(budgets), Some(caller)) => budgets.export_slot(caller).map(Some),
        _ => Ok(None),
    }
}

fn wants(req: &HttpRequest) -> Result<Wants, ApiError> {
    let params = actix_web::web::Query::<FormatParams>::from_query(req.query_string())
        .map_err(|e| ApiError::BadRequest {
            detail: format!("invalid query parameter: {e}"),
            errors: vec![],
        })?
        .into_inner();
    let bom = params.bom.unwrap_or(false);
    match params.format.as_deref() {
        Some("csv") => {
            return Ok(Wants::Csv {
                bom,
                slot: slot(req)?,
            });
        }
        Some("json") => return Ok(Wants::Json),
        Some(other) => {
            return Err(ApiError::bad_params(vec![rihla_domain::FieldError::new(
                "format",
                "unknown_format",
                format!("format must be json or csv, not '{other}'"),
            )]));
        }
        None => {}
    }
    let accept = req
        .headers()
        .get_all(header::ACCEPT)
        .filter_map(|v| v.to_str().ok())
        .collect::<Vec<_>>()
        .join(",");
    match negotiate(&accept) {
        Some(Offer::Json) => Ok(Wants::Json),
        Some(Offer::Csv) => Ok(Wants::Csv {
            bom,
            slot: slot(req)?,
        }),
        None => Err(ApiError::NotAcceptable(format!(
            "this resource is served as application/json or text/csv; Accept '{accept}' allows neither"
        ))),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Offer {
    Json,
    Csv,
}

/// The offer an Accept header prefers: for each offer, the quality of the
/// most specific range that matches it; JSON on a tie (and with no Accept).
fn negotiate(accept: &str) -> Option<Offer> {
    if accept.trim().is_empty() {
        return Some(Offer::Json);
    }
    let ranges: Vec<(String, String, f32)> = accept
        .split(',')
        .filter_map(|part| {
            let mut pieces = part.split(';');
            let range = pieces.next()?.trim().to_ascii_lowercase();
            let (ty, sub) = range.split_once('/')?;
            let q = pieces
                .filter_map(|p| p.trim().strip_prefix("q="))
                .find_map(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            Some((ty.to_owned(), sub.to_owned(), q))
        })
        .collect();
    let quality = |ty: &str, sub: &str| -> f32 {
        ranges
            .iter()
            .filter_map(|(t, s, q)| {
                let specificity = match (t.as_str(), s.as_str()) {
                    (t, s) if t == ty && s == sub => 3,
                    (t, "*") if t == ty => 2,
                    ("*", "*") => 1,
                    _ => return None,
                };
                Some((specificity, *q))
            })
            .max_by_key(|(specificity, _)| *specificity)
            .map_or(0.0, |(_, q)| q)
    };
    let json = quality("application", "json");
    let csv = quality("text", "csv");
    if json <= 0.0 && csv <= 0.0 {
        None
    } else if csv > json {
        Some(Offer::Csv)
    } else {
        Some(Offer::Json)
    }
}

/// One CSV column: its header and where its value sits in the record's JSON.
#[derive(Debug, Clone)]
pub struct Column {
    pub header: String,
    pub path: Vec<String>,
}

impl Column {
    pub fn new(header: &str, path: &[&str]) -> Self {
        Column {
            header: header.to_owned(),
            path: path.iter().map(|s| (*s).to_owned()).collect(),
        }
    }
}

static SPEC: OnceLock<Value> = OnceLock::new();

/// Keeps the served document for the CSV columns; called at start, so the
/// first export does not build it (nor count it in its memory).
pub fn remember(spec: &utoipa::openapi::OpenApi) {
    let _ = SPEC.set(serde_json::to_value(spec).unwrap_or(Value::Null));
}

fn spec_json() -> &'static Value {
    SPEC.get_or_init(|| serde_json::to_value(crate::openapi::spec()).unwrap_or(Value::Null))
}

/// The schema `schema` resolves to: through `$ref`, and the non-null member
/// of a nullable `oneOf`.
fn resolve<'a>(spec: &'a Value, schema: &'a Value) -> &'a Value {
    if let Some(name) = schema
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| r.strip_prefix("#/components/schemas/"))
    {
        return resolve(spec, &spec["components"]["schemas"][name]);
    }
    if let Some(members) = schema.get("oneOf").and_then(Value::as_array)
        && let Some(object) = members
            .iter()
            .map(|m| resolve(spec, m))
            .find(|m| m.get("properties").is_some())
    {
        return object;
    }
    schema
}

fn properties(spec: &Value, schema: &Value) -> Vec<(String, Value)> {
    let schema = resolve(spec, schema);
    let mut out = Vec::new();
    if let Some(parts) = schema.get("allOf").and_then(Value::as_array) {
        for part in parts {
            out.extend(properties(spec, part));
        }
    }
    if let Some(props) = schema.get("properties").and_then(Value::as_object) {
        out.extend(props.iter().map(|(k, v)| (k.clone(), v.clone())));
    }
    out
}

const BOOKKEEPING: &[&str] = &[
    "version",
    "created_at",
    "created_by",
    "updated_at",
    "updated_by",
    "deleted_at",
    "deleted_by",
];

/// The columns of a record whose schema is `components/schemas/{name}`.
pub fn columns_of(name: &str) -> Arc<[Column]> {
    static CACHE: OnceLock<std::sync::Mutex<std::collections::HashMap<String, Arc<[Column]>>>> =
        OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Ok(cache) = cache.lock()
        && let Some(columns) = cache.get(name)
    {
        return columns.clone();
    }
    let spec = spec_json();
    let mut columns = Vec::new();
    collect(
        spec,
        &spec["components"]["schemas"][name],
        &mut Vec::new(),
        &mut columns,
    );
    // The served document lists properties by name; a reader wants the id
    // first and the bookkeeping last.
    let rank = |c: &Column| match c.header.as_str() {
        "id" => 0,
        h if BOOKKEEPING.contains(&h) => 2,
        _ => 1,
    };
    columns.sort_by_key(|c| rank(c));
    let columns: Arc<[Column]> = columns.into();
    if let Ok(mut cache) = cache.lock() {
        cache.insert(name.to_owned(), columns.clone());
    }
    columns
}

fn collect(spec: &Value, schema: &Value, prefix: &mut Vec<String>, out: &mut Vec<Column>) {
    for (name, property) in properties(spec, schema) {
        prefix.push(name);
        let nested = !properties(spec, &property).is_empty() && prefix.len() < 3;
        if nested {
            collect(spec, &property, prefix, out);
        } else {
            out.push(Column {
                header: prefix.join("."),
                path: prefix.clone(),
            });
        }
        prefix.pop();
    }
}

/// A value as one cell's text: scalars as they are, lists and objects as
/// compact JSON, null as empty.
fn cell_text(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Bool(b)) => b.to_string(),
        Some(Value::Number(n)) => n.to_string(),
        Some(other) => other.to_string(),
    }
}

/// Appends `text` as one RFC 4180 cell, neutralised against formulas
/// (OWASP CSV injection). A spreadsheet runs a cell as a formula when it
/// starts, after any white space, with `=`, `+`, `-` or `@`, or starts with a
/// tab or a carriage return: such a cell gets a leading `'`. And it splits a
/// line on `;` or a tab as well as on `,`, depending on its locale, so any
/// cell holding one of them is quoted: no part of a cell can become a cell
/// of its own.
pub fn push_cell(out: &mut String, text: &str) {
    let neutral = text.starts_with(['\t', '\r'])
        || matches!(
            text.trim_start().chars().next(),
            Some('=' | '+' | '-' | '@')
        );
    let quoted = neutral
        || text.contains(['"', ',', ';', '\t', '\n', '\r'])
        || text.starts_with(char::is_whitespace)
        || text.ends_with(char::is_whitespace);
    if quoted {
        out.push('"');
    }
    if neutral {
        out.push('\'');
    }
    for c in text.chars() {
        if c == '"' {
            out.push('"');
        }
        out.push(c);
    }
    if quoted {
        out.push('"');
    }
}

pub fn push_header(out: &mut String, columns: &[Column]) {
    for (i, c) in columns.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_cell(out, &c.header);
    }
    out.push_str("\r\n");
}

pub fn push_row(out: &mut String, columns: &[Column], record: &impl Serialize) {
    let value = serde_json::to_value(record).unwrap_or(Value::Null);
    for (i, c) in columns.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let mut at = Some(&value);
        for key in &c.path {
            at = at.and_then(|v| v.get(key));
        }
        push_cell(out, &cell_text(at));
    }
    out.push_str("\r\n");
}

/// `attachment; filename="activities-20261207.csv"`.
fn disposition(name: &str) -> String {
    let day = chrono::Utc::now().format("%Y%m%d");
    format!("attachment; filename=\"{name}-{day}.csv\"")
}

/// A whole CSV document, for what is already in memory (reports).
pub fn csv_response(
    name: &str,
    bom: bool,
    columns: &[Column],
    rows: &[impl Serialize],
) -> HttpResponse {
    let mut out = String::new();
    push_header(&mut out, columns);
    for row in rows {
        push_row(&mut out, columns, row);
    }
    let mut body = Vec::with_capacity(out.len() + 3);
    if bom {
        body.extend_from_slice(BOM);
    }
    body.extend_from_slice(out.as_bytes());
    HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8; header=present")
        .insert_header((header::CONTENT_DISPOSITION, disposition(name)))
        .body(body)
}

/// A list endpoint's answer: one page as JSON, or every matching record as a
/// streamed CSV named `name`. `fetch` reads one page of `params`; every
/// page after the first is read only when the client has taken the one
/// before, so a slow reader holds one page, not the list.
pub async fn list<T, P, F, Fut>(
    wants: Wants,
    name: &'static str,
    params: P,
    fetch: F,
) -> Result<HttpResponse, ApiError>
where
    T: Serialize + utoipa::ToSchema + 'static,
    P: Resume + 'static,
    F: Fn(P) -> Fut + 'static,
    Fut: Future<Output = Result<Page<T>, ApiError>> + 'static,
{
    let Wants::Csv { bom, slot } = wants else {
        return Ok(HttpResponse::Ok().json(fetch(params).await?));
    };
    let columns = columns_of(&T::name());
    // The first page as asked (from its cursor, its limit long), read before
    // the answer: a bad filter, cursor or limit is still a 400. The rest
    // follows in export pages.
    let mut params = params;
    params.resume(None, None);
    let first = fetch(params.clone()).await?;
    let mut head = String::new();
    push_header(&mut head, &columns);
    let mut head = head.into_bytes();
    if bom {
        head.splice(0..0, BOM.iter().copied());
    }
    struct Walk<P, F, T> {
        params: P,
        fetch: F,
        page: Option<Page<T>>,
        head: Option<Vec<u8>>,
        done: bool,
    }
    let walk = Walk {
        params,
        fetch,
        page: Some(first),
        head: Some(head),
        done: false,
    };
    let body = futures_util::stream::unfold(walk, move |mut w| {
        let columns = columns.clone();
        async move {
            if w.done {
                return None;
            }
            let page = match w.page.take() {
                Some(page) => page,
                None => match (w.fetch)(w.params.clone()).await {
                    Ok(page) => page,
                    Err(e) => {
                        // The status is sent; cutting the body short is how
                        // the client learns the export is incomplete.
                        tracing::error!(error = %e, "CSV export stopped");
                        w.done = true;
                        return Some((
                            Err(actix_web::error::ErrorInternalServerError("export stopped")),
                            w,
                        ));
                    }
                },
            };
            let mut out = String::with_capacity(page.items.len() * 256);
            for item in &page.items {
                push_row(&mut out, &columns, item);
            }
            let mut bytes = w.head.take().unwrap_or_default();
            bytes.extend_from_slice(out.as_bytes());
            match page.next_cursor {
                Some(cursor) => w.params.resume(Some(cursor), Some(EXPORT_PAGE)),
                None => w.done = true,
            }
            Some((Ok::<_, actix_web::Error>(Bytes::from(bytes)), w))
        }
    });
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8; header=present")
        .insert_header((header::CONTENT_DISPOSITION, disposition(name)))
        .streaming(guarded(body, slot)))
}

/// The most a streamed answer hands the server at once: what it buffers for
/// a client that reads slowly is a chunk, not a page.
const CHUNK: usize = 16 * 1024;

/// How long a streamed answer waits for its client when it holds no slot.
const SEND_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// `body` as a response streams it, guarded against a client that stops
/// reading: a task reads it and hands it over in chunks of at most `CHUNK`
/// bytes, one at a time, each only once the client took the one before;
/// when a chunk waits longer than the send timeout, the task ends (the page
/// it held and the caller's export slot are freed) and the client's
/// connection is cut when it next reads, so no answer ends looking whole.
pub fn guarded<S>(
    body: S,
    slot: Option<crate::http::budget::Slot>,
) -> impl futures_util::Stream<Item = Result<Bytes, actix_web::Error>> + 'static
where
    S: futures_util::Stream<Item = Result<Bytes, actix_web::Error>> + 'static,
{
    use futures_util::StreamExt;
    use std::sync::atomic::{AtomicBool, Ordering};
    let timeout = slot.as_ref().map_or(SEND_TIMEOUT, |s| s.send_timeout);
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, actix_web::Error>>(1);
    let cut = Arc::new(AtomicBool::new(false));
    let cut_by_task = cut.clone();
    actix_web::rt::spawn(async move {
        let _slot = slot;
        let mut body = std::pin::pin!(body);
        while let Some(item) = body.next().await {
            let mut bytes = match item {
                Ok(bytes) => bytes,
                Err(e) => {
                    let _ = tx.send(Err(e)).await;
                    return;
                }
            };
            while !bytes.is_empty() {
                let chunk = bytes.split_to(bytes.len().min(CHUNK));
                match tokio::time::timeout(timeout, tx.send(Ok(chunk))).await {
                    Ok(Ok(())) => {}
                    // The client went away.
                    Ok(Err(_)) => return,
                    Err(_) => {
                        tracing::warn!(
                            timeout_secs = timeout.as_secs(),
                            "a streamed answer's client stopped reading; ending it"
                        );
                        cut_by_task.store(true, Ordering::Release);
                        return;
                    }
                }
            }
        }
    });
    futures_util::stream::unfold((rx, cut), |(mut rx, cut)| async move {
        match rx.recv().await {
            Some(item) => Some((item, (rx, cut))),
            None if cut.load(Ordering::Acquire) => Some((
                Err(actix_web::error::ErrorServiceUnavailable(
                    "the client stopped reading",
                )),
                (rx, Arc::new(AtomicBool::new(false))),
            )),
            None => None,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_picks_the_preferred_offer_and_json_on_ties() {
        assert_eq!(negotiate(""), Some(Offer::Json));
        assert_eq!(negotiate("*/*"), Some(Offer::Json));
        assert_eq!(negotiate("text/csv"), Some(Offer::Csv));
        assert_eq!(negotiate("text/*"), Some(Offer::Csv));
        assert_eq!(
            negotiate("application/json;q=0.5, text/csv"),
            Some(Offer::Csv)
        );
        assert_eq!(
            negotiate("text/csv;q=0.5, application/json"),
            Some(Offer::Json)
        );
        assert_eq!(
            negotiate("text/html,application/xhtml+xml,*/*;q=0.8"),
            Some(Offer::Json)
        );
        assert_eq!(negotiate("text/csv;q=0, */*"), Some(Offer::Json));
        assert_eq!(negotiate("application/xml"), None);
        assert_eq!(negotiate("text/csv;q=0"), None);
    }

    #[test]
    fn cells_are_quoted_and_neutralised() {
        let cell = |s: &str| {
            let mut out = String::new();
            push_cell(&mut out, s);
            out
        };
        assert_eq!(cell("plain"), "plain");
        assert_eq!(cell("a,b"), "\"a,b\"");
        assert_eq!(cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(cell("two\nlines"), "\"two\nlines\"");
        assert_eq!(cell("=1+1"), "\"'=1+1\"");
        assert_eq!(cell("-2"), "\"'-2\"");
        assert_eq!(cell("@SUM(A1)"), "\"'@SUM(A1)\"");
        assert_eq!(cell("\tx"), "\"'\tx\"");
        assert_eq!(cell("طرابلس"), "طرابلس");
    }
}
