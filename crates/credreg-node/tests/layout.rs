//! The may-import order of the node's subsystems (the crate documentation's table): a
//! subsystem names only infrastructure, itself and the subsystems in lower layers. Read from the
//! source, so a new `crate::...` path that breaks the order fails here, not in review.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Layer of each top-level module; infrastructure is 0 and may be named by anyone.
const LAYERS: &[(&str, u8)] = &[
    ("error", 0),
    ("clock", 0),
    ("home", 0),
    ("contexts_dir", 0),
    ("auth", 0),
    ("node", 0),
    ("catalog", 1),
    ("trust", 1),
    ("ledger", 1),
    ("issue", 2),
    ("replica", 2),
    ("review", 3),
    ("verify", 3),
    ("backup", 3),
    ("value", 4),
];

/// What `node.rs`, the hub, may name above infrastructure: the state value each subsystem
/// keeps in `Node`, and the federation settings inside `NodeSettings`. Nothing else, so the hub
/// never grows use cases of its own.
const HUB_MAY_NAME: &[&str] = &[
    "catalog::state::CatalogState",
    "trust::book::FederationSettings",
    "trust::book::TrustState",
    "ledger::state::Ledger",
    "issue::state::IssueState",
    "replica::state::ReplicaState",
    "review::state::ReviewState",
];

fn layer(module: &str) -> Option<u8> {
    LAYERS.iter().find(|(m, _)| *m == module).map(|(_, l)| *l)
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("source folder is readable") {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level modules a source text names through `crate::` (in `use` lines and in paths).
fn named_modules(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for line in text.lines() {
        let code = line.split("//").next().unwrap_or("");
        let mut rest = code;
        while let Some(at) = rest.find("crate::") {
            rest = &rest[at + "crate::".len()..];
            if let Some(braced) = rest.strip_prefix('{') {
                // `use crate::{a::X, b::Y}`: each item's first segment.
                let inner = braced.split('}').next().unwrap_or("");
                for item in inner.split(',') {
                    let first = item.trim().split("::").next().unwrap_or("").trim();
                    if !first.is_empty() {
                        found.push(first.to_owned());
                    }
                }
            } else {
                let first: String = rest
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                found.push(first);
            }
        }
    }
    found
}

#[test]
fn subsystems_import_only_downward() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut checked = BTreeMap::new();
    let mut wrong = Vec::new();
    for file in &files {
        let rel = file.strip_prefix(&src).expect("under src");
        let first = rel.components().next().expect("a component");
        let module = first
            .as_os_str()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_owned();
        if module == "lib" {
            continue;
        }
        let own = layer(&module).unwrap_or_else(|| {
            panic!("src/{module} is in no layer: add it to LAYERS and the crate docs' table")
        });
        let text = std::fs::read_to_string(file).expect("readable source");
        if module == "node" {
            for path in hub_paths(&text) {
                if layer(path.split("::").next().unwrap_or("")) != Some(0)
                    && !HUB_MAY_NAME.contains(&path.as_str())
                {
                    wrong.push(format!("node.rs (the hub) names crate::{path}"));
                }
            }
            checked.insert(rel.display().to_string(), own);
            continue;
        }
        for named in named_modules(&text) {
            let named = reexport_module(&named).unwrap_or(named);
            if named == module {
                continue;
            }
            let Some(theirs) = layer(&named) else {
                wrong.push(format!("{}: names unknown `crate::{named}`", rel.display()));
                continue;
            };
            if theirs != 0 && theirs >= own {
                wrong.push(format!(
                    "{} (layer {own}) names crate::{named} (layer {theirs})",
                    rel.display()
                ));
            }
        }
        checked.insert(rel.display().to_string(), own);
    }
    assert!(checked.len() > 20, "read too few files: {checked:?}");
    assert!(
        wrong.is_empty(),
        "imports against the layer order:\n{}",
        wrong.join("\n")
    );
}

/// `crate::module::Item` paths of `use` lines (the hub's are checked item by item).
fn hub_paths(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in text.lines() {
        if let Some(path) = line.trim().strip_prefix("use crate::") {
            let path = path.trim_end_matches(';');
            match path.split_once("::{") {
                Some((module, items)) => {
                    for item in items.trim_end_matches('}').split(',') {
                        out.push(format!("{module}::{}", item.trim()));
                    }
                }
                None => out.push(path.to_owned()),
            }
        }
    }
    out
}

/// The module an item re-exported at the crate root (`crate::Node`, `crate::CatalogEntry`)
/// comes from, as lib.rs's `pub use` lines say.
fn reexport_module(item: &str) -> Option<String> {
    let lib = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/lib.rs"))
        .expect("lib.rs");
    let joined = lib.replace('\n', " ");
    for stmt in joined.split(';') {
        let stmt = stmt.trim();
        let Some(path) = stmt.strip_prefix("pub use ") else {
            continue;
        };
        let module = path.split("::").next().unwrap_or("");
        let names = path
            .split('{')
            .nth(1)
            .unwrap_or(path.rsplit("::").next().unwrap_or(""));
        if names
            .trim_end_matches('}')
            .split(',')
            .any(|n| n.trim() == item)
        {
            return Some(module.to_owned());
        }
    }
    None
}

#[test]
fn the_reader_finds_paths_in_braces_and_inline() {
    let text =
        "use crate::{catalog::X, node::Node};\nlet y = crate::value::quality::f(); // crate::trust";
    assert_eq!(named_modules(text), vec!["catalog", "node", "value"]);
}
