//! Editing the repository's Rust sources: formatting generated code, and
//! inserting a registration line where a list of them is.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

/// `source` as rustfmt writes it (edition 2024, the workspace's settings).
pub fn rustfmt(source: &str) -> Result<String, String> {
    let mut child = Command::new("rustfmt")
        .args(["--edition", "2024", "--emit", "stdout", "--quiet"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run rustfmt: {e}"))?;
    child
        .stdin
        .take()
        .ok_or("rustfmt has no stdin")?
        .write_all(source.as_bytes())
        .map_err(|e| e.to_string())?;
    let out = child.wait_with_output().map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(format!(
            "rustfmt refused the generated code: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    String::from_utf8(out.stdout).map_err(|e| e.to_string())
}

/// Inserts `line` into `path` right before the first line that contains
/// `anchor`; an error names the file and the anchor when it is not there.
pub fn insert_before(path: &Path, anchor: &str, line: &str) -> Result<(), String> {
    edit(path, |text| {
        let at = text
            .find(anchor)
            .ok_or_else(|| format!("{}: no {anchor:?} to insert before", path.display()))?;
        let start = text[..at].rfind('\n').map_or(0, |i| i + 1);
        Ok(format!("{}{line}\n{}", &text[..start], &text[start..]))
    })
}

/// Inserts `line` into `path` right after the first line that contains
/// `anchor`.
pub fn insert_after(path: &Path, anchor: &str, line: &str) -> Result<(), String> {
    edit(path, |text| {
        let at = text
            .find(anchor)
            .ok_or_else(|| format!("{}: no {anchor:?} to insert after", path.display()))?;
        let end = text[at..].find('\n').map_or(text.len(), |i| at + i + 1);
        Ok(format!("{}{line}\n{}", &text[..end], &text[end..]))
    })
}

pub fn edit(
    path: &Path,
    change: impl FnOnce(&str) -> Result<String, String>,
) -> Result<(), String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let changed = change(&text)?;
    std::fs::write(path, changed).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// Writes a new file; refuses to overwrite one.
pub fn create(path: &Path, content: &str) -> Result<(), String> {
    if path.exists() {
        return Err(format!("{} exists already", path.display()));
    }
    std::fs::write(path, content).map_err(|e| format!("cannot write {}: {e}", path.display()))
}
