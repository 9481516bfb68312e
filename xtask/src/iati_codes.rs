//! `cargo xtask iati-codes`: crates/domain/src/iati_codes.rs from the IATI
//! codelists in iati/codelists, the active codes of each list Rihla writes
//! codes from, sorted. A test (`the_committed_iati_codes_are_what_the_codelists_give`)
//! fails when the committed file is not what this writes.

use std::path::Path;

/// Each list: its constant, its codelist file, and what it holds.
const LISTS: &[(&str, &str, &str)] = &[
    (
        "SECTOR",
        "Sector",
        "DAC 5-digit purpose codes (vocabulary 1)",
    ),
    (
        "SECTOR_VOCABULARY",
        "SectorVocabulary",
        "sector vocabularies",
    ),
    ("COUNTRY", "Country", "recipient countries"),
    ("CURRENCY", "Currency", "currencies"),
    (
        "ORGANISATION_TYPE",
        "OrganisationType",
        "organisation types",
    ),
    ("LANGUAGE", "Language", "document languages (ISO 639-1)"),
];

/// The active codes of a codelist's XML: each `<codelist-item>` whose
/// `status` is absent or `active`, by its `<code>`.
pub fn active_codes(xml: &str) -> Vec<String> {
    let mut codes = Vec::new();
    for item in xml.split("<codelist-item").skip(1) {
        let (tag, body) = item.split_once('>').unwrap_or((item, ""));
        if tag.contains("status=\"withdrawn\"") {
            continue;
        }
        if let Some(code) = body
            .split_once("<code>")
            .and_then(|(_, rest)| rest.split_once("</code>"))
            .map(|(code, _)| code.trim())
        {
            codes.push(code.to_owned());
        }
    }
    codes.sort();
    codes.dedup();
    codes
}

/// The source of iati_codes.rs, before rustfmt.
pub fn generate(codelists: &Path) -> Result<String, String> {
    let mut out = String::from(
        "//! The IATI codelists Rihla writes codes from, active codes only, generated\n\
         //! by `cargo xtask iati-codes` from the IATI-Codelists XML in iati/codelists\n\
         //! (see iati/README.md); do not edit by hand. Sorted, so membership is a\n\
         //! binary search; `tests/api/iati.rs` checks every exported code against\n\
         //! the XML itself.\n",
    );
    for (name, file, what) in LISTS {
        let path = codelists.join(format!("{file}.xml"));
        let xml = std::fs::read_to_string(&path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let codes = active_codes(&xml);
        out.push_str(&format!(
            "\n/// {file}.xml: {what}.\npub const {name}: &[&str] = &[\n"
        ));
        for code in codes {
            out.push_str(&format!("    {code:?},\n"));
        }
        out.push_str("];\n");
    }
    out.push_str(
        "\n/// Whether `code` is an active code of `list`.\n\
         pub fn is_active(list: &[&str], code: &str) -> bool {\n    \
         list.binary_search(&code).is_ok()\n}\n",
    );
    Ok(out)
}
