//! List envelopes and the parsing of `sort` / `limit` parameters shared by every
//! list endpoint. The cursor itself is opaque here: persistence encodes it.

use std::str::FromStr;

use serde::Serialize;
use utoipa::ToSchema;
use utoipa::openapi::schema::{Object, ObjectBuilder, Type};

use crate::validation::FieldError;

pub const DEFAULT_LIMIT: u64 = 20;
pub const MAX_LIMIT: u64 = 100;

/// One page of a list. `next_cursor` is null on the last page; `total` is present
/// only when the request asked for it with `count=true` (it costs a second query).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    #[schema(
        example = "eyJrIjoiMjAyMS0wNC0wMSIsImlkIjoiMDE5MzY3ZTAtMDAwMC03MDAwLTgwMDAtMDAwMDAwMDAwMDAxIn0"
    )]
    pub next_cursor: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = 42)]
    pub total: Option<u64>,
}

/// A parsed `sort` parameter: `start_date` ascending, `-start_date` descending.
/// Ties are always broken by `id` in the same direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sort<K> {
    pub key: K,
    pub descending: bool,
}

impl<K: SortKey> Sort<K> {
    /// `sort` as given, or the key's default order.
    pub fn parse(raw: Option<&str>) -> Result<Self, FieldError> {
        let Some(raw) = raw else {
            return Ok(K::DEFAULT);
        };
        let (descending, name) = match raw.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, raw),
        };
        K::from_str(name)
            .map(|key| Sort { key, descending })
            .map_err(|_| {
                FieldError::new(
                    "sort",
                    "unknown_sort",
                    format!(
                        "sort must be one of {}, optionally prefixed with '-'",
                        K::names()
                    ),
                )
            })
    }
}

pub fn parse_limit(raw: Option<u64>) -> Result<u64, FieldError> {
    match raw {
        None => Ok(DEFAULT_LIMIT),
        Some(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
        Some(_) => Err(FieldError::new(
            "limit",
            "range",
            format!("limit must be between 1 and {MAX_LIMIT}"),
        )),
    }
}

/// A list's sort keys. Declared once, with `sort_keys!`: the names clients
/// send, the default order, the `sort` parameter's schema and its error
/// message all come from that one declaration. The persistence layer finds
/// each key's column by its name, and the key's type and nullability from
/// the table's own definition (a test there checks every key resolves).
pub trait SortKey: Copy + Eq + FromStr + std::fmt::Display + 'static {
    const ALL: &'static [Self];
    /// The order of a list that names no `sort`.
    const DEFAULT: Sort<Self>;
    fn as_str(self) -> &'static str;

    /// "code, title, ...": what a bad `sort` is told it may be.
    fn names() -> String {
        Self::ALL
            .iter()
            .map(|k| k.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The `sort` parameter's schema: every key, plain or with '-', and the
    /// default.
    fn schema() -> Object {
        let values: Vec<String> = Self::ALL
            .iter()
            .flat_map(|k| [k.as_str().to_owned(), format!("-{}", k.as_str())])
            .collect();
        let default = format!(
            "{}{}",
            if Self::DEFAULT.descending { "-" } else { "" },
            Self::DEFAULT.key.as_str()
        );
        ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some(values))
            .default(Some(serde_json::Value::String(default)))
            .build()
    }
}

/// Declares a list's sort keys (see `SortKey`): the enum, its names, and
/// the default order (`asc` or `desc`). `schema` is also inherent, for
/// `#[param(schema_with = ...)]`.
macro_rules! sort_keys {
    ($(#[$meta:meta])* $name:ident by default $default:ident $dir:ident {
        $($variant:ident => $text:literal),+ $(,)?
    }) => {
        $crate::enums::string_enum!($(#[$meta])* $name { $($variant => $text),+ });

        impl $crate::paging::SortKey for $name {
            const ALL: &'static [$name] = &[$($name::$variant),+];
            const DEFAULT: $crate::paging::Sort<$name> = $crate::paging::Sort {
                key: $name::$default,
                descending: $crate::paging::sort_keys!(@descending $dir),
            };
            fn as_str(self) -> &'static str {
                $name::as_str(self)
            }
        }

        impl $name {
            pub fn schema() -> utoipa::openapi::schema::Object {
                <$name as $crate::paging::SortKey>::schema()
            }
        }
    };
    (@descending asc) => { false };
    (@descending desc) => { true };
}

pub(crate) use sort_keys;

sort_keys!(
    /// The one order of the lists kept in creation order (users, API keys,
    /// project members), which take no `sort`.
    CreatedAtKey by default CreatedAt asc { CreatedAt => "created_at" }
);

/// Schema of a list of ISO 3166-1 alpha-2 codes (what `validation::country_codes` accepts).
pub fn country_list_schema() -> utoipa::openapi::schema::Array {
    utoipa::openapi::schema::ArrayBuilder::new()
        .items(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .pattern(Some("^[A-Z]{2}$")),
        )
        .unique_items(true)
        .max_items(Some(50))
        .build()
}

/// Schema of a list of short texts (what `validation::text_list` accepts).
pub fn text_list_schema() -> utoipa::openapi::schema::Array {
    utoipa::openapi::schema::ArrayBuilder::new()
        .items(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .min_length(Some(1))
                .max_length(Some(200))
                .pattern(Some(r"\S")),
        )
        .unique_items(true)
        .max_items(Some(50))
        .build()
}

/// What every list takes besides its filters: sort, page and whether deleted
/// records are wanted too. The persistence layer reads a list's parameters
/// through it (`paging::list_request`, `repo::listed`).
pub trait Paged {
    fn sort(&self) -> Option<&str>;
    fn limit(&self) -> Option<u64>;
    fn cursor(&self) -> Option<&str>;
    fn count(&self) -> Option<bool>;
    fn include_deleted(&self) -> Option<bool>;
}

macro_rules! paged {
    ($($t:ty),+ $(,)?) => {$(
        impl Paged for $t {
            fn sort(&self) -> Option<&str> { self.sort.as_deref() }
            fn limit(&self) -> Option<u64> { self.limit }
            fn cursor(&self) -> Option<&str> { self.cursor.as_deref() }
            fn count(&self) -> Option<bool> { self.count }
            fn include_deleted(&self) -> Option<bool> { self.include_deleted }
        }
    )+};
}

paged!(
    crate::ActivityListParams,
    crate::DelegationListParams,
    crate::DialogueListParams,
    crate::DocumentListParams,
    crate::MeetingListParams,
    crate::OrganisationListParams,
    crate::ProjectListParams,
);

/// Lists in one order (`created_at`), so they take no `sort`.
macro_rules! unsorted {
    ($($t:ty),+ $(,)?) => {$(
        impl Paged for $t {
            fn sort(&self) -> Option<&str> { None }
            fn limit(&self) -> Option<u64> { self.limit }
            fn cursor(&self) -> Option<&str> { self.cursor.as_deref() }
            fn count(&self) -> Option<bool> { self.count }
            fn include_deleted(&self) -> Option<bool> { self.include_deleted }
        }
    )+};
}

unsorted!(
    crate::UserListParams,
    crate::ApiKeyListParams,
    crate::MemberListParams
);

/// Walking a whole list page by page (a CSV export): the same request from
/// `cursor` on (from where it already starts, without one), `limit` rows
/// long (as asked, without one), and without a count.
pub trait Resume: Clone {
    fn resume(&mut self, cursor: Option<String>, limit: Option<u64>);
}

macro_rules! resumable {
    ($($t:ty $(=> $count:ident)?),+ $(,)?) => {$(
        impl Resume for $t {
            fn resume(&mut self, cursor: Option<String>, limit: Option<u64>) {
                if cursor.is_some() {
                    self.cursor = cursor;
                }
                if limit.is_some() {
                    self.limit = limit;
                }
                $(self.$count = None;)?
            }
        }
    )+};
}

// `=> count`: the list takes `count=true`, which an export page leaves off;
// the audit lists have none.
resumable!(
    crate::ActivityListParams => count,
    crate::DelegationListParams => count,
    crate::DialogueListParams => count,
    crate::DocumentListParams => count,
    crate::MeetingListParams => count,
    crate::OrganisationListParams => count,
    crate::ProjectListParams => count,
    crate::UserListParams => count,
    crate::ApiKeyListParams => count,
    crate::MemberListParams => count,
    crate::HistoryParams,
    crate::AuditEventListParams,
);

/// The change feed continues from `after`.
impl Resume for crate::ChangeListParams {
    fn resume(&mut self, cursor: Option<String>, limit: Option<u64>) {
        if cursor.is_some() {
            self.after = cursor;
        }
        if limit.is_some() {
            self.limit = limit;
        }
    }
}
