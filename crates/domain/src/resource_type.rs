//! The kinds of record Rihla keeps, declared once: every "for each resource"
//! in the code (the audit trail's names, the persistence registry, the
//! tests that walk every kind) starts from `ResourceType::ALL`.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Declares every kind of record once: the enum, `ALL` and the names all
/// come from this one list, so a resource cannot be in one and missing from
/// another. The persistence layer's registry (`repo::registry`) matches on
/// the enum without a wildcard, so a variant added here without a
/// repository does not compile.
macro_rules! resource_types {
    ($($variant:ident => $name:literal / $plural:literal),+ $(,)?) => {
        /// The kinds of record the audit trail and the change feed cover. Written
        /// singular; a filter also takes the plural of the resource's path
        /// (`projects`), which is what a client reading the URLs reaches for.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum ResourceType {
            $(#[serde(alias = $plural)] $variant),+
        }

        impl ResourceType {
            pub const ALL: &'static [ResourceType] = &[$(ResourceType::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $(ResourceType::$variant => $name),+ }
            }

            /// The plural, as in the resource's path.
            pub fn plural(self) -> &'static str {
                match self { $(ResourceType::$variant => $plural),+ }
            }
        }
    };
}

resource_types!(
    User => "user" / "users",
    Organisation => "organisation" / "organisations",
    Project => "project" / "projects",
    Activity => "activity" / "activities",
    Dialogue => "dialogue" / "dialogues",
    Meeting => "meeting" / "meetings",
    Delegation => "delegation" / "delegations",
    Document => "document" / "documents",
    ApiKey => "api_key" / "api-keys",
    ProjectMember => "project_member" / "project_members",
);

/// A `resource_type` filter as a query takes it: a kind's name or its
/// plural (what a client reading the URLs reaches for). Only a schema: the
/// value deserializes as a `ResourceType`.
pub struct ResourceTypeFilter;

impl utoipa::PartialSchema for ResourceTypeFilter {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        let names = ResourceType::ALL
            .iter()
            .flat_map(|t| [t.as_str(), t.plural()]);
        ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some(names))
            .description(Some(
                "A kind of record: its name (`project`) or the plural of its path (`projects`)",
            ))
            .into()
    }
}

impl utoipa::ToSchema for ResourceTypeFilter {}

impl std::str::FromStr for ResourceType {
    type Err = crate::enums::UnknownValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ResourceType::ALL
            .iter()
            .copied()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| crate::enums::UnknownValue(s.to_owned()))
    }
}

impl std::fmt::Display for ResourceType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl ResourceType {
    /// Users and API keys are admin business; every other resource is
    /// readable by viewers.
    pub fn readable_by(self, role: crate::Role) -> bool {
        !matches!(self, ResourceType::User | ResourceType::ApiKey) || role == crate::Role::Admin
    }
}
