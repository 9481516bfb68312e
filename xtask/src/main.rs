//! The repository's chores, as `cargo xtask <command>`:
//!
//! - `new-resource <singular> [<plural>]`: the files and registrations of a
//!   new project-owned resource (see ARCHITECTURE.md, "Adding a resource").
//! - `iati-codes`: crates/domain/src/iati_codes.rs from iati/codelists.

mod iati_codes;
mod new_resource;
mod source;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

fn usage() -> ExitCode {
    eprintln!(
        "usage: cargo xtask new-resource <singular> [<plural>]\n       cargo xtask iati-codes"
    );
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["new-resource", singular] => new_resource::run(&root(), singular, None),
        ["new-resource", singular, plural] => new_resource::run(&root(), singular, Some(plural)),
        ["iati-codes"] => write_iati_codes(&root()),
        _ => return usage(),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}

fn write_iati_codes(root: &Path) -> Result<(), String> {
    let source = iati_codes::generate(&root.join("iati/codelists"))?;
    let path = root.join("crates/domain/src/iati_codes.rs");
    std::fs::write(&path, source::rustfmt(&source)?)
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    println!("wrote {}", path.display());
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_committed_iati_codes_are_what_the_codelists_give() {
        let root = super::root();
        let generated = super::iati_codes::generate(&root.join("iati/codelists"))
            .and_then(|s| super::source::rustfmt(&s))
            .unwrap_or_else(|e| panic!("{e}"));
        let committed = std::fs::read_to_string(root.join("crates/domain/src/iati_codes.rs"))
            .unwrap_or_default();
        assert!(
            generated == committed,
            "crates/domain/src/iati_codes.rs is stale: run cargo xtask iati-codes"
        );
    }
}
