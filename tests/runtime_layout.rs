//! The runtime's layout, read from its source files:
//!
//! - one home for attribute keys: outside `runtime/src/keys.rs` and the generated
//!   `runtime/src/semconv.rs`, no runtime source spells a `"gen_ai.` or `"llmscope.` string
//!   literal; every key comes from `llmscope::keys`;
//! - no import cycle between the runtime's top-level modules, nor between the files of
//!   `runtime/src/private/` (a lower module never needs an upper one's helper).
//!
//! The scans read the source files. Comments and doc lines are skipped, and so is a file's
//! `#[cfg(test)] mod tests` (unit tests spell the wire keys on purpose: an expectation written
//! independently of the constant it checks).

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// The prefixes a key literal may not start with outside the keys module.
const FORBIDDEN: [&str; 2] = ["\"gen_ai.", "\"llmscope."];

/// Files allowed to spell keys, relative to `runtime/src`.
const HOMES: [&str; 2] = ["keys.rs", "semconv.rs"];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries = fs::read_dir(dir).unwrap_or_else(|err| panic!("read {}: {err}", dir.display()));
    for entry in entries {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            out.push(path);
        }
    }
}

/// The code of one line without its comment: string literals kept, `//` outside a string ends
/// the line. Char literals such as `'"'` are skipped so they do not open a string.
fn code_of(line: &str) -> String {
    let bytes = line.as_bytes();
    let mut code = String::new();
    let mut in_string = false;
    let mut i = 0;
    while i < bytes.len() {
        let byte = bytes[i];
        if in_string {
            if byte == b'\\' && i + 1 < bytes.len() {
                code.push_str(&line[i..i + 2]);
                i += 2;
                continue;
            }
            if byte == b'"' {
                in_string = false;
            }
        } else if byte == b'/' && bytes.get(i + 1) == Some(&b'/') {
            break;
        } else if byte == b'\'' && bytes.get(i + 2) == Some(&b'\'') {
            i += 3;
            continue;
        } else if byte == b'"' {
            in_string = true;
        }
        let width = line[i..].chars().next().map_or(1, char::len_utf8);
        code.push_str(&line[i..i + width]);
        i += width;
    }
    code
}

/// Every `(line number, line)` of `source` that spells a forbidden key literal, outside
/// comments and the file's unit-test module.
fn offending_lines(source: &str) -> Vec<(usize, String)> {
    code_lines(source)
        .into_iter()
        .filter(|(_, _, code)| FORBIDDEN.iter().any(|prefix| code.contains(prefix)))
        .map(|(number, line, _)| (number, line))
        .collect()
}

#[test]
fn the_scan_finds_a_key_literal_and_skips_comments_and_unit_tests() {
    let source = concat!(
        "//! `\"gen_ai.request.model\"` in a doc line\n",
        "let a = '\"'; let key = \"gen_ai.request.model\"; // \"llmscope.cost.total\"\n",
        "let url = \"http://x\"; // \"llmscope.feature\"\n",
        "let quoted = \"say \\\"llmscope.stage\\\"\";\n",
        "#[cfg(test)]\n",
        "mod tests { const K: &str = \"llmscope.cost.total\"; }\n",
    );
    let found = offending_lines(source);
    let numbers: Vec<usize> = found.iter().map(|(number, _)| *number).collect();
    // Line 2 spells a key in code; line 4 inside an escaped quote is still a literal key.
    assert_eq!(numbers, [2, 4], "{found:?}");
}

#[test]
fn no_runtime_file_outside_the_keys_module_spells_a_key() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("runtime/src");
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    assert!(
        files.len() > 20,
        "too few runtime sources under {}",
        root.display()
    );
    let mut offences = Vec::new();
    for path in files {
        let relative = path.strip_prefix(&root).expect("under runtime/src");
        if HOMES.iter().any(|home| relative == Path::new(home)) {
            continue;
        }
        let source = fs::read_to_string(&path)
            .unwrap_or_else(|err| panic!("read {}: {err}", path.display()));
        for (number, line) in offending_lines(&source) {
            offences.push(format!(
                "runtime/src/{}:{number}: {line}",
                relative.display()
            ));
        }
    }
    assert!(
        offences.is_empty(),
        "attribute keys spelled outside runtime/src/keys.rs (use `crate::keys`):\n{}",
        offences.join("\n")
    );
}

#[test]
fn the_public_keys_module_names_the_keys_the_spans_carry() {
    // Spelled by hand from semconv v1.41.0 and llmscope's docs: the constants must say the same.
    assert_eq!(
        llmscope::keys::GEN_AI_OPERATION_NAME,
        "gen_ai.operation.name"
    );
    assert_eq!(llmscope::keys::LLMSCOPE_COST_TOTAL, "llmscope.cost.total");
    assert_eq!(llmscope::keys::LLMSCOPE_STAGE, "llmscope.stage");
    assert_eq!(
        llmscope::keys::LLMSCOPE_OPERATION_NAME,
        "llmscope.operation.name"
    );
}

/// `(line number, line, code)` for each line of `source` before its unit-test module, comments
/// and doc lines left out; `code` is the line without a trailing comment.
fn code_lines(source: &str) -> Vec<(usize, String, String)> {
    let lines: Vec<&str> = source.lines().collect();
    let mut code = Vec::new();
    for (index, line) in lines.iter().enumerate() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("#[cfg(test)]")
            && lines
                .get(index + 1)
                .is_some_and(|next| next.trim_start().starts_with("mod tests"))
        {
            break;
        }
        if !trimmed.starts_with("//") {
            code.push((index + 1, line.trim().to_owned(), code_of(line)));
        }
    }
    code
}

/// The modules named after `prefix` (`crate::` or `super::`) in `line`.
fn named_modules<'a>(line: &'a str, prefix: &str) -> Vec<&'a str> {
    line.match_indices(prefix)
        .map(|(at, _)| {
            let rest = &line[at + prefix.len()..];
            let end = rest
                .find(|c: char| !(c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'))
                .unwrap_or(rest.len());
            &rest[..end]
        })
        .filter(|name| !name.is_empty())
        .collect()
}

/// A cycle in `graph`, if there is one, as the path that closes it.
fn find_cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|seen| seen == node) {
            let mut cycle = path[at..].to_vec();
            cycle.push(node.to_owned());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_owned());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        done.insert(node.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|node| visit(node, graph, &mut Vec::new(), &mut done))
}

/// The import graphs of `runtime/src`: between top-level modules (`crate::x`), and between the
/// files of `private/` (`super::x`).
fn import_graphs() -> [BTreeMap<String, BTreeSet<String>>; 2] {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("runtime/src");
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    let mut top: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut private: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for path in files {
        let relative = path.strip_prefix(&root).expect("under runtime/src");
        let mut parts = relative
            .iter()
            .map(|part| part.to_string_lossy().into_owned());
        let module = parts
            .next()
            .expect("a file")
            .trim_end_matches(".rs")
            .to_owned();
        let file = parts
            .next()
            .map(|name| name.trim_end_matches(".rs").to_owned());
        if module == "lib" {
            continue;
        }
        let source = fs::read_to_string(&path)
            .unwrap_or_else(|err| panic!("read {}: {err}", path.display()));
        for (_, _, line) in code_lines(&source) {
            for name in named_modules(&line, "crate::") {
                if name != module {
                    top.entry(module.clone())
                        .or_default()
                        .insert(name.to_owned());
                }
            }
            if let (true, Some(file)) = (module == "private", &file) {
                for name in named_modules(&line, "super::") {
                    if name != file && file != "mod" {
                        private
                            .entry(file.clone())
                            .or_default()
                            .insert(name.to_owned());
                    }
                }
            }
        }
    }
    [top, private]
}

#[test]
fn the_cycle_finder_finds_a_cycle() {
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    graph.entry("a".into()).or_default().insert("b".into());
    graph.entry("b".into()).or_default().insert("c".into());
    assert_eq!(find_cycle(&graph), None);
    graph.entry("c".into()).or_default().insert("a".into());
    assert_eq!(find_cycle(&graph).map(|cycle| cycle.len()), Some(4));
    assert_eq!(
        named_modules("use crate::keys; crate::capture::x", "crate::"),
        ["keys", "capture"]
    );
}

#[test]
fn runtime_modules_import_each_other_without_a_cycle() {
    let [top, private] = import_graphs();
    assert!(
        top.contains_key("private") && top.len() >= 8,
        "graph: {top:?}"
    );
    assert!(private.contains_key("start"), "graph: {private:?}");
    assert_eq!(
        find_cycle(&top),
        None,
        "import cycle between runtime/src modules"
    );
    assert_eq!(
        find_cycle(&private),
        None,
        "import cycle between runtime/src/private files"
    );
}
