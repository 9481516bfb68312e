//! Closed vocabularies of the domain. Each is a snake_case string on the wire and
//! in the database; `as_str`/`FromStr` are the one mapping both sides use.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::enums::UnknownValue;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err($crate::enums::UnknownValue(s.to_owned())),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

pub(crate) use string_enum;

/// A stored value that no variant matches: only possible if the database was
/// edited by hand, so callers treat it as an internal error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownValue(pub String);

impl std::fmt::Display for UnknownValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "unknown enum value {:?}", self.0)
    }
}
impl std::error::Error for UnknownValue {}

string_enum!(
    /// What a user may do: viewer reads; editor also writes domain records; admin also manages users.
    Role { Viewer => "viewer", Editor => "editor", Admin => "admin" }
);

impl Role {
    fn rank(self) -> u8 {
        match self {
            Role::Viewer => 0,
            Role::Editor => 1,
            Role::Admin => 2,
        }
    }

    /// Roles are cumulative: an admin may do everything an editor may.
    pub fn at_least(self, required: Role) -> bool {
        self.rank() >= required.rank()
    }
}

string_enum!(
    OrganisationKind {
        GovernmentMinistry => "government_ministry",
        GovernmentAgency => "government_agency",
        Parliament => "parliament",
        Municipality => "municipality",
        DiplomaticInstitute => "diplomatic_institute",
        InternationalOrganisation => "international_organisation",
        DonorAgency => "donor_agency",
        ResearchInstitute => "research_institute",
        Academia => "academia",
        CivilSociety => "civil_society",
        Other => "other",
    }
);

string_enum!(
    /// DOMAIN.md maps these to IATI activity-status 1-5 in this order; the IATI
    /// export (not built yet) owns that mapping.
    ProjectStatus {
        Planned => "planned",
        Active => "active",
        Completed => "completed",
        Suspended => "suspended",
        Cancelled => "cancelled",
    }
);

string_enum!(
    /// IATI OrganisationRole (funding 1, accountable 2, extending 3, implementing 4)
    /// plus partner and beneficiary.
    ParticipationRole {
        Funding => "funding",
        Accountable => "accountable",
        Extending => "extending",
        Implementing => "implementing",
        Partner => "partner",
        Beneficiary => "beneficiary",
    }
);

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn every_variant_round_trips_through_its_string() {
        for s in ProjectStatus::ALL {
            assert_eq!(ProjectStatus::from_str(s.as_str()), Ok(*s));
            assert_eq!(
                serde_json::to_value(s).ok(),
                Some(serde_json::json!(s.as_str()))
            );
        }
        for k in OrganisationKind::ALL {
            assert_eq!(OrganisationKind::from_str(k.as_str()), Ok(*k));
        }
        assert!(Role::Admin.at_least(Role::Editor) && !Role::Viewer.at_least(Role::Editor));
    }
}
