//! Tidy checks on the repository itself (like rust-analyzer's): the steps
//! of adding a file that the compiler cannot see forgotten. A source file
//! no `mod` declares is never compiled (a test file that never runs, a
//! route module never registered); a migration file not in the migrator
//! never runs; a path the code map names that is gone misleads; a module
//! the map does not name is one a newcomer cannot find.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use migration::MigratorTrait;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// The source trees whose every file must be a module, and their crate
/// roots (files that no `mod` declares).
const TREES: &[(&str, &[&str])] = &[
    ("crates/domain/src", &["lib.rs"]),
    ("crates/persistence/src", &["lib.rs"]),
    ("crates/api/src", &["lib.rs", "main.rs"]),
    ("migrations/src", &["lib.rs"]),
    ("tests/api", &["main.rs"]),
    ("xtask/src", &["main.rs"]),
];

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out.sort();
    out
}

/// The file that must declare `file` as a module, and the module's name.
fn parent_of(tree: &Path, roots: &[&str], file: &Path) -> (PathBuf, String) {
    let (dir, name) = if file.file_name().is_some_and(|n| n == "mod.rs") {
        let dir = file.parent().unwrap();
        (
            dir.parent().unwrap().to_owned(),
            dir.file_name().unwrap().to_string_lossy().into_owned(),
        )
    } else {
        (
            file.parent().unwrap().to_owned(),
            file.file_stem().unwrap().to_string_lossy().into_owned(),
        )
    };
    let parent = if dir == tree {
        roots
            .iter()
            .map(|r| tree.join(r))
            .find(|p| std::fs::read_to_string(p).is_ok_and(|s| declares(&s, &name)))
            .unwrap_or_else(|| tree.join(roots[0]))
    } else if dir.join("mod.rs").exists() {
        dir.join("mod.rs")
    } else {
        dir.with_extension("rs")
    };
    (parent, name)
}

/// Whether `source` has a `mod name;` (with any visibility), or lists
/// `name,` alone on a line of a macro that declares the modules it is given
/// (`migrations!`).
fn declares(source: &str, name: &str) -> bool {
    source.lines().any(|line| {
        let line = line.trim();
        if line == format!("{name},") {
            return true;
        }
        let rest = line
            .strip_prefix("pub ")
            .or_else(|| line.strip_prefix("pub(crate) "))
            .or_else(|| line.strip_prefix("pub(super) "))
            .unwrap_or(line);
        rest == format!("mod {name};")
    })
}

#[test]
fn every_source_file_is_a_module_of_its_crate() {
    let mut missing = Vec::new();
    for (tree, roots) in TREES {
        let tree = Path::new(ROOT).join(tree);
        for file in rust_files(&tree) {
            let relative = file.strip_prefix(&tree).unwrap();
            if roots.iter().any(|r| relative == Path::new(r)) {
                continue;
            }
            let (parent, name) = parent_of(&tree, roots, &file);
            let source = std::fs::read_to_string(&parent).unwrap_or_default();
            if !declares(&source, &name) {
                missing.push(format!(
                    "{} is not compiled: declare `mod {name};` in {}",
                    file.strip_prefix(ROOT).unwrap().display(),
                    parent.strip_prefix(ROOT).unwrap().display()
                ));
            }
        }
    }
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}

#[test]
fn every_migration_file_is_registered_in_order() {
    let files: Vec<String> = rust_files(&Path::new(ROOT).join("migrations/src"))
        .iter()
        .filter_map(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
        .filter(|s| s.starts_with('m'))
        .collect();
    let registered: Vec<String> = migration::Migrator::migrations()
        .iter()
        .map(|m| m.name().to_owned())
        .collect();
    let unregistered: Vec<&String> = files.iter().filter(|f| !registered.contains(f)).collect();
    assert!(
        unregistered.is_empty(),
        "migrations/src has files the migrator does not run: {unregistered:?}; list them in migrations/src/lib.rs"
    );
    let mut sorted = registered.clone();
    sorted.sort();
    assert_eq!(
        registered, sorted,
        "migrations run in the order of their names"
    );
    let files: BTreeSet<&String> = files.iter().collect();
    for name in &registered {
        assert!(files.contains(name), "{name} is registered but has no file");
    }
}

/// A backticked token of ARCHITECTURE.md that names a file or folder.
fn is_path(token: &str) -> bool {
    !token.starts_with('/')
        && !token.contains([' ', '{', '(', '*', ':'])
        && (token.contains('/')
            || [".rs", ".md", ".json", ".toml"]
                .iter()
                .any(|ext| token.ends_with(ext)))
}

/// Whether `relative` (a path under a section's root) is what `named`
/// names: the same path, or `named` with its `<...>` placeholders. A
/// `<resource>` stands only for a resource's own name (singular or plural),
/// so it does not put every other file of its folder on the map.
fn names(named: &str, relative: &str, resources: &BTreeSet<String>) -> bool {
    if !named.contains('<') {
        return named == relative;
    }
    let (Some((n_dir, n_file)), r) = (named.rsplit_once('/').or(Some(("", named))), relative)
    else {
        return false;
    };
    let (r_dir, r_file) = r.rsplit_once('/').unwrap_or(("", r));
    if n_dir != r_dir {
        return false;
    }
    let (Some(stem), Some(r_stem)) = (n_file.strip_suffix(".rs"), r_file.strip_suffix(".rs"))
    else {
        return false;
    };
    match stem {
        "<resource>" => resources.contains(r_stem),
        // Every other placeholder: any name of this folder.
        _ => true,
    }
}

#[test]
fn the_code_map_names_only_what_exists_and_every_module() {
    let root = Path::new(ROOT);
    let map = std::fs::read_to_string(root.join("ARCHITECTURE.md")).unwrap();
    let code_map = map
        .split("\n## ")
        .find(|s| s.starts_with("Code map"))
        .expect("ARCHITECTURE.md has a Code map section");
    let resources: BTreeSet<String> = rihla_domain::ResourceType::ALL
        .iter()
        .flat_map(|t| [t.as_str().to_owned(), t.plural().replace('-', "_")])
        .collect();
    let tops = [
        "crates/",
        "tests/",
        "migrations/",
        "xtask/",
        "bench/",
        "iati/",
        "docs/",
        "openapi/",
        ".cargo/",
    ];
    let mut problems = Vec::new();
    for section in code_map.split("\n### ").skip(1) {
        let heading = section.lines().next().unwrap_or_default();
        let section_root = heading
            .split('`')
            .nth(1)
            .unwrap_or_default()
            .trim_end_matches('/');
        let tokens: Vec<&str> = section
            .split('`')
            .skip(1)
            .step_by(2)
            .filter(|t| is_path(t))
            .collect();
        // Every path named exists (a placeholder: some file matches it).
        let mut named: Vec<String> = Vec::new();
        for token in &tokens {
            let (base, relative) = if tops.iter().any(|t| token.starts_with(t)) {
                (root.to_path_buf(), token.to_string())
            } else {
                (root.join(section_root), token.to_string())
            };
            if token.contains('<') {
                let dir = base.join(relative.rsplit_once('/').map_or("", |(d, _)| d));
                let any = rust_files(&dir).iter().any(|f| {
                    let rel = f
                        .strip_prefix(&base)
                        .unwrap()
                        .to_string_lossy()
                        .into_owned();
                    names(&relative, &rel, &resources)
                });
                if !any {
                    problems.push(format!("`{token}` ({heading}): nothing matches it"));
                }
            } else if !base.join(&relative).exists() {
                problems.push(format!("`{token}` ({heading}): no such path"));
            }
            if base == root.join(section_root) {
                named.push(relative);
            }
        }
        // Every module of a source tree is named in its section.
        let Some((tree, _)) = TREES.iter().find(|(t, _)| *t == section_root) else {
            continue;
        };
        for file in rust_files(&root.join(tree)) {
            let relative = file
                .strip_prefix(root.join(tree))
                .unwrap()
                .to_string_lossy()
                .into_owned();
            if !named.iter().any(|n| names(n, &relative, &resources)) {
                problems.push(format!(
                    "{tree}/{relative} is not on the code map: name it in ARCHITECTURE.md's `{tree}` section"
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
