//! The results framework: the indicators a project outcome is measured by,
//! with a baseline and target / actual values per reporting period (IATI
//! result / indicator / period).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use crate::enums::string_enum;
use crate::validation::{self, FieldError};

string_enum!(
    /// IATI IndicatorMeasure: unit 1, percentage 2, qualitative 5.
    IndicatorMeasure {
        Unit => "unit",
        Percentage => "percentage",
        Qualitative => "qualitative",
    }
);

impl IndicatorMeasure {
    pub fn iati_code(self) -> &'static str {
        match self {
            IndicatorMeasure::Unit => "1",
            IndicatorMeasure::Percentage => "2",
            IndicatorMeasure::Qualitative => "5",
        }
    }
}

/// Where the indicator stood before the project.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Baseline {
    #[validate(range(min = 1900, max = 2200))]
    #[schema(example = 2021, minimum = 1900, maximum = 2200)]
    pub year: i32,
    /// A number for `unit` and `percentage` measures; null for `qualitative`.
    #[schema(example = 0)]
    pub value: Option<f64>,
    #[validate(length(max = 2000))]
    #[schema(max_length = 2000)]
    pub comment: Option<String>,
}

/// One reporting period: what was aimed at and what was reached.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IndicatorPeriod {
    #[schema(example = "2022-01-01")]
    pub start: NaiveDate,
    /// After `start`; periods of one indicator do not overlap.
    #[schema(example = "2022-12-31")]
    pub end: NaiveDate,
    #[schema(example = 2)]
    pub target: Option<f64>,
    #[schema(example = 1)]
    pub actual: Option<f64>,
    #[validate(length(max = 2000))]
    #[schema(max_length = 2000)]
    pub comment: Option<String>,
}

fn ascending_default() -> bool {
    true
}

/// An indicator of a project outcome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Indicator {
    /// Unique within the project; activities name it in `indicator_codes`.
    #[validate(length(min = 1, max = 50), custom(function = "validation::not_blank"))]
    #[schema(example = "A1.1", min_length = 1, max_length = 50, pattern = r"\S")]
    pub code: String,
    #[validate(length(min = 1, max = 500), custom(function = "validation::not_blank"))]
    #[schema(
        example = "Number of dialogue meetings attended by a prepared Libyan delegation",
        min_length = 1,
        max_length = 500,
        pattern = r"\S"
    )]
    pub title: String,
    pub measure: IndicatorMeasure,
    /// Whether a higher value is better (IATI `ascending`).
    /// `true` when left out.
    #[serde(default = "ascending_default")]
    pub ascending: bool,
    #[validate(nested)]
    pub baseline: Option<Baseline>,
    #[serde(default)]
    #[validate(length(max = 50), nested)]
    #[schema(max_items = 50)]
    pub periods: Vec<IndicatorPeriod>,
}

/// The cross-field rules of one indicator, reported under `prefix`
/// (e.g. `outcomes[0].indicators[1]`).
pub fn check_indicator(i: &Indicator, prefix: &str, errors: &mut Vec<FieldError>) {
    let value_rule = |v: Option<f64>, field: String, errors: &mut Vec<FieldError>| {
        let Some(v) = v else { return };
        let message = match i.measure {
            _ if !v.is_finite() => Some("must be a finite number"),
            IndicatorMeasure::Qualitative => {
                Some("must be null for a qualitative indicator (say it in comment)")
            }
            IndicatorMeasure::Percentage if !(0.0..=100.0).contains(&v) => {
                Some("a percentage must be between 0 and 100")
            }
            _ => None,
        };
        if let Some(m) = message {
            errors.push(FieldError::new(field, "invalid_value", m));
        }
    };
    if let Some(b) = &i.baseline {
        value_rule(b.value, format!("{prefix}.baseline.value"), errors);
    }
    for (n, p) in i.periods.iter().enumerate() {
        let at = format!("{prefix}.periods[{n}]");
        if p.end <= p.start {
            errors.push(FieldError::new(
                format!("{at}.end"),
                "before_start",
                "a period's end must be after its start",
            ));
        }
        value_rule(p.target, format!("{at}.target"), errors);
        value_rule(p.actual, format!("{at}.actual"), errors);
        if let Some(o) = i.periods[..n]
            .iter()
            .position(|q| q.start <= p.end && p.start <= q.end)
        {
            errors.push(FieldError::new(
                at,
                "overlap",
                format!("overlaps period {o} of the same indicator (both ends count)"),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn period(start: &str, end: &str, target: Option<f64>) -> IndicatorPeriod {
        IndicatorPeriod {
            start: start.parse().unwrap_or_default(),
            end: end.parse().unwrap_or_default(),
            target,
            actual: None,
            comment: None,
        }
    }

    fn indicator(measure: IndicatorMeasure, periods: Vec<IndicatorPeriod>) -> Indicator {
        Indicator {
            code: "I1".into(),
            title: "t".into(),
            measure,
            ascending: true,
            baseline: None,
            periods,
        }
    }

    fn codes(i: &Indicator) -> Vec<String> {
        let mut e = Vec::new();
        check_indicator(i, "i", &mut e);
        e.into_iter()
            .map(|e| format!("{}:{}", e.field, e.code))
            .collect()
    }

    #[test]
    fn periods_must_run_forward_and_not_overlap() {
        let ok = indicator(
            IndicatorMeasure::Unit,
            vec![
                period("2021-01-01", "2021-12-31", Some(3.0)),
                period("2022-01-01", "2022-12-31", Some(5.0)),
            ],
        );
        assert!(codes(&ok).is_empty());
        let bad = indicator(
            IndicatorMeasure::Unit,
            vec![
                period("2021-01-01", "2021-12-31", None),
                period("2021-12-31", "2022-06-30", None),
                period("2023-01-01", "2023-01-01", None),
            ],
        );
        assert_eq!(
            codes(&bad),
            ["i.periods[1]:overlap", "i.periods[2].end:before_start"]
        );
    }

    #[test]
    fn a_percentage_is_between_0_and_100_and_qualitative_has_no_number() {
        let p = indicator(
            IndicatorMeasure::Percentage,
            vec![period("2021-01-01", "2021-12-31", Some(100.5))],
        );
        assert_eq!(codes(&p), ["i.periods[0].target:invalid_value"]);
        let q = indicator(
            IndicatorMeasure::Qualitative,
            vec![period("2021-01-01", "2021-12-31", Some(1.0))],
        );
        assert_eq!(codes(&q), ["i.periods[0].target:invalid_value"]);
    }
}
