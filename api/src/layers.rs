//! The rule of the layers, checked: each module of this crate imports only the layers below
//! its own (see the crate's documentation). Storage is a crate of its own, so the compiler
//! already keeps it from naming anything here; this test keeps the rest.

use std::path::{Path, PathBuf};

/// The layer of a top-level module: a module may import its own layer and those below.
/// `None`: usable from any layer, and itself using only such modules.
fn rank(module: &str) -> Option<u8> {
    match module {
        "http" => Some(3),
        "services" | "workers" => Some(2),
        "infra" => Some(1),
        "clock" | "config" | "i18n" | "problem" | "wording" => None,
        other => panic!("module `{other}` has no layer: add it to the rule"),
    }
}

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level modules a file names with `crate::…`.
fn imports(text: &str) -> Vec<String> {
    text.match_indices("crate::")
        .map(|(at, _)| {
            text[at + "crate::".len()..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect::<String>()
        })
        .filter(|m| !m.is_empty())
        .collect()
}

/// What is wrong with `module`'s files importing `imported`.
fn violation(module: &str, imported: &str) -> Option<&'static str> {
    if module == imported {
        return None;
    }
    match (rank(module), rank(imported)) {
        (_, None) => None,
        (None, Some(_)) => Some("a module every layer uses may only use such modules"),
        (Some(own), Some(other)) if other > own => Some("a layer imports one above it"),
        // Use cases do not run the workers; the workers run them.
        _ if module == "services" && imported == "workers" => Some("services import the workers"),
        _ => None,
    }
}

#[test]
fn no_module_imports_a_layer_above_its_own() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut found = Vec::new();
    files(&src, &mut found);
    let mut problems = Vec::new();
    for path in found {
        let relative = path.strip_prefix(&src).unwrap();
        let first = relative
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy();
        let module = first.trim_end_matches(".rs");
        if matches!(module, "lib" | "main" | "layers") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        for imported in imports(&text) {
            if let Some(why) = violation(module, &imported) {
                problems.push(format!("{}: crate::{imported}: {why}", relative.display()));
            }
        }
        if module != "http" && text.contains("AppState") {
            problems.push(format!("{}: names the HTTP state", relative.display()));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_rule_catches_what_it_should() {
    assert!(violation("services", "http").is_some());
    assert!(violation("workers", "http").is_some());
    assert!(violation("infra", "services").is_some());
    assert!(violation("services", "workers").is_some());
    assert!(violation("wording", "services").is_some());
    assert!(violation("http", "services").is_none());
    assert!(violation("workers", "services").is_none());
    assert!(violation("services", "infra").is_none());
    assert!(violation("services", "wording").is_none());
    assert_eq!(
        imports("use crate::http::views; crate::services::Services"),
        ["http", "services"]
    );
}
