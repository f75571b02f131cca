//! The committed generated files must be exactly what the generator produces from the vendored
//! semconv YAML; run `cargo run -p llmscope-semconv-gen` to refresh them.

use std::fs;
use std::path::Path;

use llmscope_semconv_gen::{generate, workspace_root, DOMAINS, SEMCONV_VERSION};

/// Where `committed` and `generated` first and last differ, as a short two-sided excerpt; `None`
/// if they are equal.
fn difference(committed: &str, generated: &str) -> Option<String> {
    if committed == generated {
        return None;
    }
    let old: Vec<&str> = committed.lines().collect();
    let new: Vec<&str> = generated.lines().collect();
    let prefix = old.iter().zip(&new).take_while(|(a, b)| a == b).count();
    let suffix = old[prefix..]
        .iter()
        .rev()
        .zip(new[prefix..].iter().rev())
        .take_while(|(a, b)| a == b)
        .count();
    let excerpt = |lines: &[&str], sign: char| {
        let changed = &lines[prefix..lines.len() - suffix];
        let mut text: String = changed
            .iter()
            .take(15)
            .map(|line| format!("{sign} {line}\n"))
            .collect();
        if changed.len() > 15 {
            text.push_str(&format!("{sign} … {} more lines\n", changed.len() - 15));
        }
        if changed.is_empty() && committed.ends_with('\n') != generated.ends_with('\n') {
            text.push_str(&format!("{sign} (final newline differs)\n"));
        }
        text
    };
    Some(format!(
        "first difference at line {}:\n{}{}",
        prefix + 1,
        excerpt(&old, '-'),
        excerpt(&new, '+')
    ))
}

#[test]
fn committed_files_match_the_generator() {
    let root = workspace_root();
    let generated = generate(&root).unwrap_or_else(|err| panic!("generation failed: {err}"));
    let mut stale = Vec::new();
    for file in &generated.files {
        let committed = fs::read_to_string(root.join(file.path))
            .unwrap_or_else(|err| panic!("cannot read `{}`: {err}", file.path));
        if let Some(diff) = difference(&committed, &file.contents) {
            stale.push(format!("`{}` is out of date, {diff}", file.path));
        }
    }
    assert!(
        stale.is_empty(),
        "generated semconv files differ from the YAML; run `cargo run -p llmscope-semconv-gen` \
         and commit the result (- committed, + generated)\n\n{}",
        stale.join("\n")
    );
}

#[test]
fn generation_is_deterministic() {
    let root = workspace_root();
    let first = generate(&root).expect("first run");
    let second = generate(&root).expect("second run");
    assert_eq!(first, second);
}

/// Attribute definitions are the `- id:` items at six spaces of indentation in the registry
/// files (attribute refs are `- ref:`, enum members and event fields are nested deeper); this
/// line scan is independent of the generator's YAML parsing.
fn attribute_ids_by_line_scan(model_dir: &Path) -> Vec<String> {
    let mut ids = Vec::new();
    for domain in DOMAINS {
        let mut files = vec![model_dir.join(domain).join("registry.yaml")];
        if let Ok(entries) = fs::read_dir(model_dir.join(domain).join("deprecated")) {
            files.extend(entries.map(|entry| entry.expect("dir entry").path()));
        }
        for file in files {
            let text = fs::read_to_string(&file).expect("read yaml");
            for line in text.lines() {
                if let Some(id) = line.strip_prefix("      - id: ") {
                    ids.push(id.trim().to_owned());
                }
            }
        }
    }
    ids.sort();
    ids
}

#[test]
fn registry_has_exactly_the_attributes_defined_in_the_yaml() {
    let root = workspace_root();
    let model_dir = root
        .join("semconv")
        .join(format!("v{SEMCONV_VERSION}"))
        .join("model");
    let expected = attribute_ids_by_line_scan(&model_dir);
    assert!(expected.len() > 50, "line scan found only {expected:?}");

    let generated = generate(&root).expect("generate");
    let registry = &generated.files[0].contents;
    let mut names: Vec<String> = registry
        .lines()
        .filter_map(|line| line.trim().strip_prefix("name: \""))
        .map(|rest| rest.trim_end_matches("\",").to_owned())
        .collect();
    names.sort();
    assert_eq!(names, expected);
    assert_eq!(generated.counts.attributes, expected.len());
}

#[test]
fn constants_cover_every_attribute() {
    let root = workspace_root();
    let generated = generate(&root).expect("generate");
    let constants = &generated.files[1].contents;
    for (name, constant) in [
        ("gen_ai.request.model", "GEN_AI_REQUEST_MODEL"),
        (
            "gen_ai.usage.cache_read.input_tokens",
            "GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS",
        ),
        ("server.port", "SERVER_PORT"),
    ] {
        let line = format!("pub const {constant}: &str = \"{name}\";");
        assert!(constants.contains(&line), "missing `{line}`");
    }
    assert!(constants.contains("pub mod gen_ai_operation_name {"));
    assert!(constants.contains("pub const AWS_BEDROCK: &str = \"aws.bedrock\";"));
    let deprecated = constants
        .find("pub const GEN_AI_SYSTEM: &str")
        .expect("GEN_AI_SYSTEM");
    let before = &constants[..deprecated];
    assert!(before
        .trim_end()
        .ends_with("#[deprecated(note = \"renamed to `gen_ai.provider.name`\")]"));
}

#[test]
fn files_start_with_the_do_not_edit_header() {
    let generated = generate(&workspace_root()).expect("generate");
    for file in &generated.files {
        let first = file.contents.lines().next().unwrap_or_default();
        assert_eq!(
            first,
            "// @generated by `cargo run -p llmscope-semconv-gen` from semconv v1.41.0 — do not edit.",
            "{}",
            file.path
        );
        assert!(file
            .contents
            .contains("e018fe6f91862f5ed63c082f87697cddac596784"));
        assert!(file
            .contents
            .contains("gen-ai/deprecated/registry-deprecated.yaml"));
    }
}

#[test]
fn difference_reports_the_changed_lines() {
    assert_eq!(difference("a\nb\nc\n", "a\nb\nc\n"), None);
    let diff = difference("a\nb\nc\n", "a\nB\nc\n").expect("differs");
    assert_eq!(diff, "first difference at line 2:\n- b\n+ B\n");
    let diff = difference("a\n", "a").expect("differs");
    assert!(diff.contains("final newline differs"), "{diff}");
}
