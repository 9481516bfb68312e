//! Money and classification of a project, as donors report it: each funder's
//! commitment, budget lines per period, and sectors (IATI transaction type
//! 11, budget, sector).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use crate::enums::string_enum;
use crate::iati_codes;
use crate::validation::{self, FieldError};

/// What one funder committed to the project.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Commitment {
    /// Must be one of the project's participating organisations with role `funding`.
    pub organisation_id: Uuid,
    /// A non-negative decimal as a string.
    #[validate(custom(function = "validation::decimal_amount"))]
    #[schema(
        example = "5000000.00",
        pattern = r"^(0|[1-9][0-9]{0,14})(\.[0-9]{1,4})?$"
    )]
    pub amount: String,
    /// ISO 4217.
    #[validate(custom(function = "validation::currency_code"))]
    #[schema(example = "EUR", pattern = "^[A-Z]{3}$")]
    pub currency: String,
    /// The day the amount was committed (the exchange-rate date).
    pub value_date: NaiveDate,
}

string_enum!(
    /// IATI BudgetType: original 1, revised 2.
    BudgetType { Original => "original", Revised => "revised" }
);

string_enum!(
    /// IATI BudgetStatus: indicative 1, committed 2.
    BudgetStatus { Indicative => "indicative", Committed => "committed" }
);

impl BudgetType {
    pub fn iati_code(self) -> &'static str {
        match self {
            BudgetType::Original => "1",
            BudgetType::Revised => "2",
        }
    }
}

impl BudgetStatus {
    pub fn iati_code(self) -> &'static str {
        match self {
            BudgetStatus::Indicative => "1",
            BudgetStatus::Committed => "2",
        }
    }
}

/// The budget for one period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BudgetLine {
    pub period_start: NaiveDate,
    /// After `period_start`.
    pub period_end: NaiveDate,
    #[validate(custom(function = "validation::decimal_amount"))]
    #[schema(
        example = "1200000.00",
        pattern = r"^(0|[1-9][0-9]{0,14})(\.[0-9]{1,4})?$"
    )]
    pub amount: String,
    #[validate(custom(function = "validation::currency_code"))]
    #[schema(example = "EUR", pattern = "^[A-Z]{3}$")]
    pub currency: String,
    #[serde(rename = "type")]
    pub budget_type: BudgetType,
    pub status: BudgetStatus,
}

/// A sector the project works in. Vocabulary `1` is the OECD DAC 5-digit
/// purpose code list (checked against the IATI Sector codelist, e.g. 15190
/// for migration); `2` a DAC 3-digit category; others as IATI's
/// SectorVocabulary lists them, with free codes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Sector {
    /// An IATI SectorVocabulary code.
    #[schema(example = "1", pattern = "^[0-9]{1,2}$")]
    pub vocabulary: String,
    #[validate(length(min = 1, max = 100), custom(function = "validation::not_blank"))]
    #[schema(example = "15190", min_length = 1, max_length = 100, pattern = r"\S")]
    pub code: String,
    /// Share of the project, 0-100 with at most two decimals; the sectors of
    /// one vocabulary add up to 100.
    #[schema(example = 100, minimum = 0, maximum = 100)]
    pub percentage: f64,
}

/// Hundredths of a percent, or None when not a 0-100 number with at most
/// two decimals.
fn hundredths(p: f64) -> Option<i64> {
    let h = (p * 100.0).round();
    ((0.0..=100.0).contains(&p) && (p * 100.0 - h).abs() < 1e-6).then_some(h as i64)
}

/// Codes, percentages and sums of `sectors`.
pub fn check_sectors(sectors: &[Sector], errors: &mut Vec<FieldError>) {
    let mut sums: Vec<(&str, i64)> = Vec::new();
    let mut listed = std::collections::HashSet::new();
    for (i, s) in sectors.iter().enumerate() {
        let at = format!("sectors[{i}]");
        if !iati_codes::is_active(iati_codes::SECTOR_VOCABULARY, &s.vocabulary) {
            errors.push(FieldError::new(
                format!("{at}.vocabulary"),
                "unknown_code",
                format!(
                    "must be an IATI SectorVocabulary code (one of {})",
                    iati_codes::SECTOR_VOCABULARY.join(", ")
                ),
            ));
        }
        let code_ok = match s.vocabulary.as_str() {
            "1" => iati_codes::is_active(iati_codes::SECTOR, &s.code),
            "2" => {
                s.code.len() == 3
                    && iati_codes::SECTOR
                        .iter()
                        .any(|c| c.starts_with(s.code.as_str()))
            }
            _ => true,
        };
        if !code_ok {
            errors.push(FieldError::new(
                format!("{at}.code"),
                "unknown_code",
                "is not an active code of the OECD DAC list of this vocabulary (e.g. 15190)",
            ));
        }
        if !listed.insert((s.vocabulary.as_str(), s.code.as_str())) {
            errors.push(FieldError::new(
                format!("{at}.code"),
                "duplicate",
                "this vocabulary and code are already listed",
            ));
        }
        match hundredths(s.percentage) {
            None => errors.push(FieldError::new(
                format!("{at}.percentage"),
                "invalid_value",
                "must be a number from 0 to 100 with at most two decimals",
            )),
            Some(h) => match sums.iter_mut().find(|(v, _)| *v == s.vocabulary) {
                Some((_, sum)) => *sum += h,
                None => sums.push((&s.vocabulary, h)),
            },
        }
    }
    for (vocabulary, sum) in sums {
        if sum != 10_000 {
            errors.push(FieldError::new(
                "sectors",
                "percentage_sum",
                format!(
                    "the percentages of vocabulary {vocabulary} add up to {}, not 100",
                    sum as f64 / 100.0
                ),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(vocabulary: &str, code: &str, percentage: f64) -> Sector {
        Sector {
            vocabulary: vocabulary.into(),
            code: code.into(),
            percentage,
        }
    }

    fn codes(sectors: &[Sector]) -> Vec<String> {
        let mut e = Vec::new();
        check_sectors(sectors, &mut e);
        e.into_iter()
            .map(|e| format!("{}:{}", e.field, e.code))
            .collect()
    }

    #[test]
    fn dac_codes_and_sums_per_vocabulary() {
        assert!(
            codes(&[
                s("1", "15190", 60.5),
                s("1", "15110", 39.5),
                s("99", "X", 100.0)
            ])
            .is_empty()
        );
        assert_eq!(
            codes(&[s("1", "99999", 100.0)]),
            ["sectors[0].code:unknown_code"]
        );
        assert_eq!(codes(&[s("1", "15190", 50.0)]), ["sectors:percentage_sum"]);
        assert_eq!(
            codes(&[s("0", "x", 100.0)]),
            ["sectors[0].vocabulary:unknown_code"]
        );
        assert_eq!(
            codes(&[s("1", "15190", 100.001)]),
            ["sectors[0].percentage:invalid_value"]
        );
        assert_eq!(codes(&[s("2", "151", 100.0)]), Vec::<String>::new());
    }
}
