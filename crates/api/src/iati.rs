//! IATI Activity Standard 2.03: a project as an `iati-activity`, what it
//! must hold before it can be one, and the XML writing.
//!
//! Mappings (the codes are checked against the IATI codelists by
//! `tests/api/iati.rs`):
//! - status: planned 1, active 2, completed 4, suspended 6, cancelled 5;
//! - participating-org roles: funding 1, accountable 2, extending 3,
//!   implementing 4; `partner` and `beneficiary` have no IATI role and are
//!   left out;
//! - activity-date: planned start 1, actual start 2, planned end 3, actual
//!   end 4. An actual date after today is left out (IATI: actual dates are
//!   not in the future). A month- or year-precise date is written as the
//!   first day of its period for a start and the last for an end, with a
//!   narrative naming the precision;
//! - organisation kinds to OrganisationType: ministries, agencies,
//!   parliaments and diplomatic institutes 10 (government), municipalities
//!   11 (local government), international organisations 40 (multilateral),
//!   academia and research institutes 80, other 90; donor agencies and civil
//!   society are too broad to guess, so their type is left out;
//! - commitments: transaction type 11 (incoming commitment) from the funder;
//! - documents with a URL: document-link, category A08 (results, outcomes and
//!   outputs: what the project produced);
//! - each outcome with indicators: result type 2 (outcome).

use std::collections::HashMap;
use std::fmt::Write;

use chrono::{DateTime, NaiveDate, Utc};
use rihla_domain::dates::{self, DatePrecision};
use rihla_domain::{Document, FieldError, Organisation, OrganisationKind, Project, iati_codes};
use uuid::Uuid;

/// The organisation publishing the data (APP_IATI_REPORTING_ORG_*).
#[derive(Debug, Clone)]
pub struct ReportingOrg {
    pub reference: String,
    pub org_type: String,
    pub name: String,
}

/// A project and the records its activity element names.
pub struct Facts {
    pub project: Project,
    pub organisations: HashMap<Uuid, Organisation>,
    /// The project's documents that have a URL.
    pub documents: Vec<Document>,
}

/// What `project` lacks that IATI requires; empty when it can be published.
pub fn missing(p: &Project, today: NaiveDate) -> Vec<FieldError> {
    let mut out = Vec::new();
    if p.iati_identifier.is_none() {
        out.push(FieldError::new(
            "iati_identifier",
            "required",
            "IATI needs the activity's identifier (iati-identifier)",
        ));
    }
    if p.summary.is_none() && p.objective.is_none() {
        out.push(FieldError::new(
            "summary",
            "required",
            "IATI needs a description: give a summary or an objective",
        ));
    }
    if !p
        .participating_organisations
        .iter()
        .any(|o| o.role.iati_code().is_some())
    {
        out.push(FieldError::new(
            "participating_organisations",
            "required",
            "IATI needs a participating organisation with role funding, accountable, extending or implementing",
        ));
    }
    let actual_start = p.start_date.filter(|d| *d <= today);
    if p.planned_start_date.is_none() && actual_start.is_none() {
        out.push(FieldError::new(
            "start_date",
            "required",
            "IATI needs a start date: a planned_start_date, or a start_date not in the future",
        ));
    }
    for (i, c) in p.country_codes.iter().enumerate() {
        if !iati_codes::is_active(iati_codes::COUNTRY, c) {
            out.push(FieldError::new(
                format!("country_codes[{i}]"),
                "unknown_code",
                format!("{c} is not an active code of the IATI Country list"),
            ));
        }
    }
    out
}

/// The `<iati-activities>` opening, with the generation time.
pub fn head(generated: DateTime<Utc>) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<iati-activities version=\"2.03\" generated-datetime=\"{}\">\n",
        generated.format("%Y-%m-%dT%H:%M:%SZ")
    )
}

pub const TAIL: &str = "</iati-activities>\n";

/// A whole document for one project.
pub fn document(org: &ReportingOrg, facts: &Facts, now: DateTime<Utc>) -> String {
    let mut out = head(now);
    activity(&mut out, org, facts, now.date_naive());
    out.push_str(TAIL);
    out
}

/// Text with the five XML entities escaped and the characters XML 1.0 cannot
/// carry (control characters but tab and line breaks) left out.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

/// The language of a text as far as Rihla can tell: Arabic script is `ar`,
/// anything else `en` (the working language of the records).
fn lang(s: &str) -> &'static str {
    if s.chars().any(|c| ('\u{0600}'..='\u{06FF}').contains(&c)) {
        "ar"
    } else {
        "en"
    }
}

fn narrative(out: &mut String, text: &str) {
    let _ = write!(
        out,
        "<narrative xml:lang=\"{}\">{}</narrative>",
        lang(text),
        esc(text)
    );
}

fn organisation_type(kind: OrganisationKind) -> Option<&'static str> {
    use OrganisationKind as K;
    match kind {
        K::GovernmentMinistry | K::GovernmentAgency | K::Parliament | K::DiplomaticInstitute => {
            Some("10")
        }
        K::Municipality => Some("11"),
        K::InternationalOrganisation => Some("40"),
        K::ResearchInstitute | K::Academia => Some("80"),
        K::Other => Some("90"),
        K::DonorAgency | K::CivilSociety => None,
    }
}

/// ` ref=".." type=".."` of an organisation, each only when known.
fn org_attributes(o: Option<&Organisation>) -> String {
    let mut attrs = String::new();
    if let Some(o) = o {
        if let Some(r) = &o.iati_org_ref {
            let _ = write!(attrs, " ref=\"{}\"", esc(r));
        }
        if let Some(t) = organisation_type(o.kind) {
            let _ = write!(attrs, " type=\"{t}\"");
        }
    }
    attrs
}

fn org_name(o: Option<&Organisation>, id: Uuid) -> String {
    o.map(|o| o.name.clone())
        .unwrap_or_else(|| format!("organisation {id}"))
}

fn date_element(
    out: &mut String,
    code: &str,
    date: NaiveDate,
    precision: DatePrecision,
    is_end: bool,
) {
    let day = if is_end {
        dates::last_day(date, precision)
    } else {
        date
    };
    let _ = write!(out, "<activity-date type=\"{code}\" iso-date=\"{day}\">");
    match precision {
        DatePrecision::Day => {}
        DatePrecision::Month => narrative(
            out,
            &format!("Known to the month: {}", date.format("%Y-%m")),
        ),
        DatePrecision::Year => narrative(out, &format!("Known to the year: {}", date.format("%Y"))),
    }
    out.push_str("</activity-date>\n");
}

fn value(out: &mut String, amount: &str, currency: &str, value_date: NaiveDate) {
    let _ = write!(
        out,
        "<value currency=\"{}\" value-date=\"{value_date}\">{}</value>",
        esc(currency),
        esc(amount)
    );
}

fn number(v: f64) -> String {
    // Rust prints whole numbers without a fraction and never an exponent
    // for the magnitudes an indicator holds: valid xsd:decimal text.
    format!("{v}")
}

/// One `<iati-activity>`; `facts.project` must have passed `missing`.
pub fn activity(out: &mut String, org: &ReportingOrg, facts: &Facts, today: NaiveDate) {
    let p = &facts.project;
    let _ = writeln!(
        out,
        "<iati-activity last-updated-datetime=\"{}\" xml:lang=\"en\">",
        p.updated_at.format("%Y-%m-%dT%H:%M:%SZ")
    );
    let _ = writeln!(
        out,
        "<iati-identifier>{}</iati-identifier>",
        esc(p.iati_identifier.as_deref().unwrap_or_default())
    );
    let _ = write!(
        out,
        "<reporting-org ref=\"{}\" type=\"{}\">",
        esc(&org.reference),
        esc(&org.org_type)
    );
    narrative(out, &org.name);
    out.push_str("</reporting-org>\n<title>");
    narrative(out, &p.title);
    out.push_str("</title>\n");
    for (code, text) in [("1", &p.summary), ("2", &p.objective)] {
        if let Some(text) = text {
            let _ = write!(out, "<description type=\"{code}\">");
            narrative(out, text);
            out.push_str("</description>\n");
        }
    }
    for po in &p.participating_organisations {
        let Some(role) = po.role.iati_code() else {
            continue;
        };
        let o = facts.organisations.get(&po.organisation_id);
        let _ = write!(
            out,
            "<participating-org role=\"{role}\"{}>",
            org_attributes(o)
        );
        narrative(out, &org_name(o, po.organisation_id));
        out.push_str("</participating-org>\n");
    }
    let _ = writeln!(out, "<activity-status code=\"{}\"/>", p.status.iati_code());
    if let Some(d) = p.planned_start_date {
        date_element(out, "1", d, p.planned_start_date_precision, false);
    }
    if let Some(d) = p.start_date.filter(|d| *d <= today) {
        date_element(out, "2", d, p.start_date_precision, false);
    }
    if let Some(d) = p.planned_end_date {
        date_element(out, "3", d, p.planned_end_date_precision, true);
    }
    if let Some(d) = p
        .end_date
        .filter(|d| dates::last_day(*d, p.end_date_precision) <= today)
    {
        date_element(out, "4", d, p.end_date_precision, true);
    }
    for c in &p.country_codes {
        let _ = writeln!(out, "<recipient-country code=\"{c}\"/>");
    }
    for s in &p.sectors {
        let _ = writeln!(
            out,
            "<sector vocabulary=\"{}\" code=\"{}\" percentage=\"{}\"/>",
            esc(&s.vocabulary),
            esc(&s.code),
            number(s.percentage)
        );
    }
    for b in &p.budget_lines {
        let _ = write!(
            out,
            "<budget type=\"{}\" status=\"{}\"><period-start iso-date=\"{}\"/><period-end iso-date=\"{}\"/>",
            b.budget_type.iati_code(),
            b.status.iati_code(),
            b.period_start,
            b.period_end
        );
        value(out, &b.amount, &b.currency, b.period_start);
        out.push_str("</budget>\n");
    }
    for c in &p.commitments {
        let o = facts.organisations.get(&c.organisation_id);
        let _ = write!(
            out,
            "<transaction><transaction-type code=\"11\"/><transaction-date iso-date=\"{}\"/>",
            c.value_date
        );
        value(out, &c.amount, &c.currency, c.value_date);
        let _ = write!(out, "<provider-org{}>", org_attributes(o));
        narrative(out, &org_name(o, c.organisation_id));
        out.push_str("</provider-org></transaction>\n");
    }
    for d in &facts.documents {
        document_link(out, d);
    }
    for outcome in p.outcomes.iter().filter(|o| !o.indicators.is_empty()) {
        out.push_str("<result type=\"2\"><title>");
        narrative(out, &format!("{}: {}", outcome.code, outcome.title));
        out.push_str("</title>");
        if let Some(d) = &outcome.description {
            out.push_str("<description>");
            narrative(out, d);
            out.push_str("</description>");
        }
        for i in &outcome.indicators {
            let _ = write!(
                out,
                "\n<indicator measure=\"{}\" ascending=\"{}\"><title>",
                i.measure.iati_code(),
                if i.ascending { "1" } else { "0" }
            );
            narrative(out, &format!("{}: {}", i.code, i.title));
            out.push_str("</title>");
            if let Some(b) = &i.baseline {
                let _ = write!(out, "<baseline year=\"{}\"", b.year);
                if let Some(v) = b.value {
                    let _ = write!(out, " value=\"{}\"", number(v));
                }
                out.push('>');
                comment(out, b.comment.as_deref());
                out.push_str("</baseline>");
            }
            for period in &i.periods {
                let _ = write!(
                    out,
                    "<period><period-start iso-date=\"{}\"/><period-end iso-date=\"{}\"/>",
                    period.start, period.end
                );
                for (element, v) in [("target", period.target), ("actual", period.actual)] {
                    // A qualitative value is only its comment.
                    if v.is_none() && period.comment.is_none() {
                        continue;
                    }
                    let _ = write!(out, "<{element}");
                    if let Some(v) = v {
                        let _ = write!(out, " value=\"{}\"", number(v));
                    }
                    out.push('>');
                    if element == "actual" {
                        comment(out, period.comment.as_deref());
                    }
                    let _ = write!(out, "</{element}>");
                }
                out.push_str("</period>");
            }
            out.push_str("</indicator>");
        }
        out.push_str("\n</result>\n");
    }
    out.push_str("</iati-activity>\n");
}

fn comment(out: &mut String, text: Option<&str>) {
    if let Some(text) = text {
        out.push_str("<comment>");
        narrative(out, text);
        out.push_str("</comment>");
    }
}

fn document_link(out: &mut String, d: &Document) {
    let Some(url) = &d.url else { return };
    let format = if url.to_ascii_lowercase().ends_with(".pdf") {
        "application/pdf"
    } else {
        "text/html"
    };
    let _ = write!(
        out,
        "<document-link url=\"{}\" format=\"{format}\"><title>",
        esc(url)
    );
    narrative(out, &d.title);
    out.push_str("</title>");
    if let Some(s) = &d.summary {
        out.push_str("<description>");
        narrative(out, s);
        out.push_str("</description>");
    }
    out.push_str("<category code=\"A08\"/>");
    for l in &d.languages {
        if iati_codes::is_active(iati_codes::LANGUAGE, l) {
            let _ = write!(out, "<language code=\"{l}\"/>");
        }
    }
    if let Some(date) = d.published_on {
        let _ = write!(out, "<document-date iso-date=\"{date}\"/>");
    }
    out.push_str("</document-link>\n");
}

/// An XML comment's text: `--` may not appear in one, nor may it end with
/// `-` (it would meet the closing `-->`). Replacing once is not enough
/// (`---` becomes `- --`), so every run of hyphens is spaced out.
pub fn comment_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in esc(s).chars() {
        if c == '-' && out.ends_with('-') {
            out.push(' ');
        }
        out.push(c);
    }
    if out.ends_with('-') {
        out.push(' ');
    }
    out
}
