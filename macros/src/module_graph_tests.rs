//! The modules of this crate import each other without a cycle: a lower module never needs an
//! upper one's helper (move the helper down instead).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The module of a source file: `kinds/agent.rs` → `kinds`, `parse.rs` → `parse`.
fn module_of(root: &Path, file: &Path) -> String {
    let relative = file.strip_prefix(root).expect("under src");
    let first = relative.components().next().expect("a component");
    let name = first.as_os_str().to_string_lossy();
    name.trim_end_matches(".rs").to_owned()
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("readable src directory") {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            out.push(path);
        }
    }
}

/// Which top-level modules each module names through `crate::…` (tests excluded).
fn imports() -> BTreeMap<String, Vec<String>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    let mut graph: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for file in files {
        let module = module_of(&root, &file);
        if module == "lib" || module.ends_with("_tests") {
            continue;
        }
        let text = std::fs::read_to_string(&file).expect("readable source file");
        // Only the code before a `#[cfg(test)]` module counts.
        let code = text.split("#[cfg(test)]").next().unwrap_or_default();
        let edges = graph.entry(module.clone()).or_default();
        for (index, _) in code.match_indices("crate::") {
            let rest = &code[index + "crate::".len()..];
            // `crate::a::…` names `a`; `crate::{a, b::c}` names `a` and `b`.
            let names: Vec<&str> = match rest.strip_prefix('{') {
                Some(group) => group
                    .split('}')
                    .next()
                    .unwrap_or_default()
                    .split(',')
                    .collect(),
                None => vec![rest],
            };
            for name in names {
                let target: String = name
                    .trim_start()
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if !target.is_empty() && target != module && !edges.contains(&target) {
                    edges.push(target);
                }
            }
        }
    }
    graph
}

fn find_cycle(
    graph: &BTreeMap<String, Vec<String>>,
    node: &str,
    path: &mut Vec<String>,
) -> Option<Vec<String>> {
    if let Some(start) = path.iter().position(|seen| seen == node) {
        let mut cycle = path[start..].to_vec();
        cycle.push(node.to_owned());
        return Some(cycle);
    }
    path.push(node.to_owned());
    for next in graph.get(node).into_iter().flatten() {
        if let Some(cycle) = find_cycle(graph, next, path) {
            return Some(cycle);
        }
    }
    path.pop();
    None
}

#[test]
fn modules_import_each_other_without_a_cycle() {
    let graph = imports();
    // The reader sees the imports it must: the generator uses the parser and the checks.
    let expand = &graph["expand"];
    for used in ["parse", "valid", "value", "kinds"] {
        assert!(
            expand.iter().any(|module| module == used),
            "expand → {used} not seen"
        );
    }
    for module in graph.keys() {
        if let Some(cycle) = find_cycle(&graph, module, &mut Vec::new()) {
            panic!("import cycle in macros/src: {}", cycle.join(" → "));
        }
    }
}

#[test]
fn a_cycle_is_found() {
    let graph = BTreeMap::from([
        ("a".to_owned(), vec!["b".to_owned()]),
        ("b".to_owned(), vec!["a".to_owned()]),
    ]);
    assert_eq!(
        find_cycle(&graph, "a", &mut Vec::new()),
        Some(vec!["a".to_owned(), "b".to_owned(), "a".to_owned()])
    );
}
