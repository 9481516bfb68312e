//! Closed vocabularies of the domain. Each is a snake_case string on the wire and
//! in the database; `as_str`/`FromStr` are the one mapping both sides use.

macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash,
            serde::Serialize, serde::Deserialize, utoipa::ToSchema,
        )]
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
    /// What a caller may do across the organisation: viewer reads; editor
    /// also writes domain records; admin also manages users and API keys.
    /// `partner` has no organisation-wide access: it reaches the projects it
    /// is a member of (and their records) with its project role, and reads
    /// the shared reference data (organisations, dialogues, meetings).
    Role { Partner => "partner", Viewer => "viewer", Editor => "editor", Admin => "admin" }
);

impl Role {
    fn rank(self) -> u8 {
        match self {
            Role::Partner | Role::Viewer => 0,
            Role::Editor => 1,
            Role::Admin => 2,
        }
    }

    /// Roles are cumulative: an admin may do everything an editor may. A
    /// partner passes where a viewer does; what it then sees is cut down to
    /// its projects by the data layer.
    pub fn at_least(self, required: Role) -> bool {
        self.rank() >= required.rank()
    }

    /// Reaches only the projects it is a member of.
    pub fn is_scoped(self) -> bool {
        self == Role::Partner
    }
}

string_enum!(
    /// A member's rights on one project: viewer reads its records, editor
    /// also writes them.
    ProjectRole { Viewer => "viewer", Editor => "editor" }
);

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
    /// IATI activity-status: planned 1, active 2, completed 4, suspended 6,
    /// cancelled 5 (`iati_code`).
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

string_enum!(
    ActivityKind {
        Training => "training",
        Workshop => "workshop",
        WorkingSession => "working_session",
        Brainstorming => "brainstorming",
        Conference => "conference",
        StudyVisit => "study_visit",
        TrainingOfTrainers => "training_of_trainers",
        Coaching => "coaching",
        Consultation => "consultation",
        Meeting => "meeting",
    }
);

string_enum!(
    ActivityStatus {
        Planned => "planned",
        Confirmed => "confirmed",
        Ongoing => "ongoing",
        Completed => "completed",
        Postponed => "postponed",
        Cancelled => "cancelled",
    }
);

string_enum!(
    Modality { InPerson => "in_person", Online => "online", Hybrid => "hybrid" }
);

string_enum!(
    /// How an organisation takes part in an activity.
    ActivityRole {
        Organiser => "organiser",
        CoOrganiser => "co_organiser",
        Host => "host",
        Participant => "participant",
        ExpertProvider => "expert_provider",
    }
);

string_enum!(
    /// Whether a facilitator is a named person or an organisation.
    FacilitatorKind { Person => "person", Organisation => "organisation" }
);

string_enum!(
    FacilitatorRole {
        Trainer => "trainer",
        Expert => "expert",
        Speaker => "speaker",
        Moderator => "moderator",
    }
);

string_enum!(
    DialogueKind {
        RegionalConsultativeProcess => "regional_consultative_process",
        InterregionalForum => "interregional_forum",
        GlobalForum => "global_forum",
        CityNetwork => "city_network",
        Bilateral => "bilateral",
    }
);

string_enum!(
    /// Where the partner country stands in a dialogue.
    ParticipationStatus {
        Member => "member",
        Observer => "observer",
        Partner => "partner",
        NotParticipating => "not_participating",
        Reintegrating => "reintegrating",
    }
);

string_enum!(
    MeetingType {
        Ministerial => "ministerial",
        SeniorOfficials => "senior_officials",
        SteeringCommittee => "steering_committee",
        Thematic => "thematic",
        Expert => "expert",
        FieldVisit => "field_visit",
        Other => "other",
    }
);

string_enum!(
    MeetingStatus {
        Planned => "planned",
        Held => "held",
        Postponed => "postponed",
        Cancelled => "cancelled",
    }
);

string_enum!(
    /// planned -> nominated -> confirmed -> attended; cancelled or declined from
    /// any state before attended. See `DelegationStatus::next`.
    DelegationStatus {
        Planned => "planned",
        Nominated => "nominated",
        Confirmed => "confirmed",
        Attended => "attended",
        Cancelled => "cancelled",
        Declined => "declined",
    }
);

impl DelegationStatus {
    /// The states a delegation may move to from this one (staying put is always
    /// allowed and not listed). attended, cancelled and declined are final.
    pub fn next(self) -> &'static [DelegationStatus] {
        use DelegationStatus::*;
        match self {
            Planned => &[Nominated, Cancelled, Declined],
            Nominated => &[Confirmed, Cancelled, Declined],
            Confirmed => &[Attended, Cancelled, Declined],
            Attended | Cancelled | Declined => &[],
        }
    }

    pub fn may_become(self, to: DelegationStatus) -> bool {
        self == to || self.next().contains(&to)
    }
}

string_enum!(
    MemberRole {
        Head => "head",
        Deputy => "deputy",
        Member => "member",
        Expert => "expert",
        Interpreter => "interpreter",
    }
);

string_enum!(
    Gender { Female => "female", Male => "male", Undisclosed => "undisclosed" }
);

string_enum!(
    SupportKind {
        Briefing => "briefing",
        TalkingPoints => "talking_points",
        StatementDrafting => "statement_drafting",
        Travel => "travel",
        Visa => "visa",
        Interpretation => "interpretation",
    }
);

impl ProjectStatus {
    /// The IATI ActivityStatus code.
    pub fn iati_code(self) -> &'static str {
        match self {
            ProjectStatus::Planned => "1",
            ProjectStatus::Active => "2",
            ProjectStatus::Completed => "4",
            ProjectStatus::Suspended => "6",
            ProjectStatus::Cancelled => "5",
        }
    }
}

impl ParticipationRole {
    /// The IATI OrganisationRole code; partner and beneficiary have none and
    /// are left out of an IATI export.
    pub fn iati_code(self) -> Option<&'static str> {
        match self {
            ParticipationRole::Funding => Some("1"),
            ParticipationRole::Accountable => Some("2"),
            ParticipationRole::Extending => Some("3"),
            ParticipationRole::Implementing => Some("4"),
            ParticipationRole::Partner | ParticipationRole::Beneficiary => None,
        }
    }
}

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

    #[test]
    fn the_delegation_workflow_only_moves_forward_and_ends_at_final_states() {
        use DelegationStatus::*;
        assert!(Planned.may_become(Nominated) && Nominated.may_become(Confirmed));
        assert!(Confirmed.may_become(Attended) && Planned.may_become(Planned));
        assert!(!Planned.may_become(Confirmed) && !Confirmed.may_become(Planned));
        for s in [Planned, Nominated, Confirmed] {
            assert!(s.may_become(Cancelled) && s.may_become(Declined));
        }
        for s in [Attended, Cancelled, Declined] {
            assert!(s.next().is_empty());
        }
    }
}
