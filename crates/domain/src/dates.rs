//! Dates as precise as the facts: a date kept with its precision (day, month
//! or year), so "April 2021" reads back as a month and never as 1 April.
//!
//! An imprecise date is stored as the first day of its period
//! (`2021-04-01` + `month`); `last_day` gives the period's end. Lists filter an
//! imprecise date as its whole period (it matches a window it overlaps) and
//! sort it by its first day.

use chrono::{Datelike, NaiveDate};

use crate::enums::string_enum;
use crate::validation::FieldError;

string_enum!(
    /// How much of a date is known. `month` and `year` dates are written as
    /// the first day of that month or year.
    DatePrecision {
        Day => "day",
        Month => "month",
        Year => "year",
    }
);

/// The precision of a date given without one (serde default).
pub fn day() -> DatePrecision {
    DatePrecision::Day
}

/// The last day of the period `date` stands for.
pub fn last_day(date: NaiveDate, precision: DatePrecision) -> NaiveDate {
    let next = match precision {
        DatePrecision::Day => return date,
        DatePrecision::Month if date.month() == 12 => {
            NaiveDate::from_ymd_opt(date.year() + 1, 1, 1)
        }
        DatePrecision::Month => NaiveDate::from_ymd_opt(date.year(), date.month() + 1, 1),
        DatePrecision::Year => NaiveDate::from_ymd_opt(date.year() + 1, 1, 1),
    };
    next.and_then(|d| d.pred_opt()).unwrap_or(date)
}

/// The rules of a start and an end date, each with its precision: an
/// imprecise date is the first day of its period, and the end does not end
/// before the start begins. `fields` names them (e.g. `("start_date",
/// "end_date")`) in the errors.
pub fn check_pair(
    start: (Option<NaiveDate>, DatePrecision),
    end: (Option<NaiveDate>, DatePrecision),
    (start_field, end_field): (&str, &str),
    errors: &mut Vec<FieldError>,
) {
    check_precision(start.0, start.1, start_field, errors);
    check_precision(end.0, end.1, end_field, errors);
    check_span(start.0, end, end_field, start_field, errors);
}

/// An imprecise date must be the first day of its period, so one period has
/// one spelling.
fn check_precision(
    date: Option<NaiveDate>,
    precision: DatePrecision,
    field: &str,
    errors: &mut Vec<FieldError>,
) {
    let Some(d) = date else { return };
    let (ok, example) = match precision {
        DatePrecision::Day => (true, ""),
        DatePrecision::Month => (d.day() == 1, "2021-04-01 for April 2021"),
        DatePrecision::Year => (d.day() == 1 && d.month() == 1, "2018-01-01 for 2018"),
    };
    if !ok {
        errors.push(FieldError::new(
            field,
            "not_period_start",
            format!(
                "with {field}_precision {precision}, {field} must be the first day of its {precision} ({example})"
            ),
        ));
    }
}

/// `end` must not end before `start` begins: each is compared as its whole
/// period, so a month-precise start and a day in that month are consistent.
fn check_span(
    start: Option<NaiveDate>,
    (end, end_precision): (Option<NaiveDate>, DatePrecision),
    end_field: &str,
    start_field: &str,
    errors: &mut Vec<FieldError>,
) {
    if let (Some(s), Some(e)) = (start, end)
        && last_day(e, end_precision) < s
    {
        errors.push(FieldError::new(
            end_field,
            "before_start",
            format!("{end_field} must not be before {start_field}"),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap_or_default()
    }

    #[test]
    fn last_day_of_each_precision() {
        assert_eq!(
            last_day(d("2023-11-01"), DatePrecision::Month),
            d("2023-11-30")
        );
        assert_eq!(
            last_day(d("2024-02-01"), DatePrecision::Month),
            d("2024-02-29")
        );
        assert_eq!(
            last_day(d("2023-12-01"), DatePrecision::Month),
            d("2023-12-31")
        );
        assert_eq!(
            last_day(d("2018-01-01"), DatePrecision::Year),
            d("2018-12-31")
        );
        assert_eq!(
            last_day(d("2020-11-17"), DatePrecision::Day),
            d("2020-11-17")
        );
    }

    #[test]
    fn an_imprecise_date_is_its_first_day() {
        let mut e = Vec::new();
        check_precision(
            Some(d("2021-04-01")),
            DatePrecision::Month,
            "start_date",
            &mut e,
        );
        check_precision(
            Some(d("2018-01-01")),
            DatePrecision::Year,
            "start_date",
            &mut e,
        );
        assert!(e.is_empty());
        check_precision(
            Some(d("2021-04-15")),
            DatePrecision::Month,
            "start_date",
            &mut e,
        );
        check_precision(
            Some(d("2018-03-01")),
            DatePrecision::Year,
            "end_date",
            &mut e,
        );
        assert_eq!(e.len(), 2);
        assert_eq!(e[0].code, "not_period_start");
    }
}
