//! The server's layers (issue 11): every module may use only the layers below it, and no
//! two top-level modules use each other, directly or round a longer circle. Read from the
//! source itself, so a new `use crate::...` that points upwards fails here, naming the file.

use std::{
    collections::{BTreeMap, BTreeSet},
    path::{Path, PathBuf},
};

/// The layers, lowest first. A module may use its own layer's other modules (without a
/// circle) and any layer below.
const LAYERS: &[(&str, usize)] = &[
    ("config", 0),
    ("crypto", 0),
    ("store", 1),
    ("error", 2),
    ("clock", 2),
    ("realtime", 2),
    ("knowledge", 2),
    ("services", 3),
    ("demo", 3),
    ("channels", 4),
    ("http", 5),
    ("app", 6),
];

/// Items the crate root re-exports, and the module they belong to.
const ROOT_ITEMS: &[(&str, &str)] = &[("AppState", "services"), ("App", "app"), ("Config", "config")];

fn rank(module: &str) -> Option<usize> {
    LAYERS.iter().find(|(name, _)| *name == module).map(|(_, rank)| *rank)
}

fn rust_files(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap_or_else(|error| panic!("reading {}: {error}", dir.display())).flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, found);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            found.push(path);
        }
    }
}

/// The code of a file without its comments (doc links name modules without using them).
fn code_of(text: &str) -> String {
    text.lines().map(|line| line.split_once("//").map_or(line, |(code, _)| code)).collect::<Vec<_>>().join("\n")
}

/// The top-level modules a piece of code names through `crate::`, including each item of
/// a `crate::{a, b::c}` group.
fn crate_references(code: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        rest = &rest[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 1;
            let mut item_start = true;
            for (index, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => {
                        depth -= 1;
                        if depth == 0 {
                            rest = &group[index..];
                            break;
                        }
                    }
                    ',' if depth == 1 => item_start = true,
                    c if item_start && depth == 1 && (c.is_alphanumeric() || c == '_') => {
                        let name: String = group[index..].chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                        found.insert(name);
                        item_start = false;
                    }
                    _ => {}
                }
            }
        } else {
            let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            if !name.is_empty() {
                found.insert(name);
            }
        }
    }
    found.into_iter().map(|name| ROOT_ITEMS.iter().find(|(item, _)| *item == name).map_or(name.clone(), |(_, module)| (*module).to_owned())).collect()
}

#[test]
fn layers_only_import_downwards() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut upward = Vec::new();
    for file in &files {
        let relative = file.strip_prefix(&src).unwrap_or(file);
        let top = relative.components().next().map(|c| c.as_os_str().to_string_lossy().trim_end_matches(".rs").to_owned()).unwrap_or_default();
        if top == "lib" || top == "main" {
            continue;
        }
        let from = rank(&top).unwrap_or_else(|| panic!("src/{top} is in no layer: add it to LAYERS in tests/api/layers.rs and to the README's map"));
        let text = std::fs::read_to_string(file).unwrap_or_else(|error| panic!("reading {}: {error}", file.display()));
        for target in crate_references(&code_of(&text)) {
            if target == top || target == "self" {
                continue;
            }
            let to = rank(&target).unwrap_or_else(|| panic!("{} uses crate::{target}, which is in no layer", relative.display()));
            if to > from {
                upward.push(format!("{} (layer {from}) uses crate::{target} (layer {to})", relative.display()));
            }
            edges.entry(top.clone()).or_default().insert(target);
        }
    }
    assert!(upward.is_empty(), "modules importing a higher layer:\n{}", upward.join("\n"));

    // No circles between top-level modules (same-layer neighbours included).
    fn visit(node: &str, edges: &BTreeMap<String, BTreeSet<String>>, path: &mut Vec<String>, done: &mut BTreeSet<String>) -> Option<Vec<String>> {
        if let Some(start) = path.iter().position(|seen| seen == node) {
            let mut circle = path[start..].to_vec();
            circle.push(node.to_owned());
            return Some(circle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_owned());
        for next in edges.get(node).into_iter().flatten() {
            if let Some(circle) = visit(next, edges, path, done) {
                return Some(circle);
            }
        }
        path.pop();
        done.insert(node.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    for node in edges.keys() {
        let circle = visit(node, &edges, &mut Vec::new(), &mut done);
        assert!(circle.is_none(), "an import circle: {}", circle.unwrap_or_default().join(" → "));
    }
}

#[test]
fn the_layer_check_sees_grouped_and_plain_imports() {
    let code = "use crate::{\n    AppState,\n    error::{AppError, AppResult},\n    store::{self, x::Y},\n};\nlet a = crate::http::thing();";
    let found: Vec<String> = crate_references(code).into_iter().collect();
    assert_eq!(found, ["error", "http", "services", "store"]);
    assert!(crate_references(&code_of("// see crate::app for more\nlet x = 1;")).is_empty(), "comments are not imports");
}
