//! Generator of llmscope's semantic-convention code.
//!
//! Reads every attribute defined in the registry YAML of the vendored OpenTelemetry semantic
//! conventions (`semconv/v1.41.0/model/`) and renders two committed files:
//!
//! - `macros/src/registry.rs`: the table the proc-macros validate attribute names, value types
//!   and deprecations against;
//! - `runtime/src/semconv.rs`: public key constants and enum value constants.
//!
//! `cargo run -p llmscope-semconv-gen` rewrites both; the `up_to_date` test fails when a
//! committed file differs from what [`generate`] produces.

mod error;
mod format;
mod model;
mod render;

use std::fs;
use std::path::{Path, PathBuf};

pub use error::Error;

/// The semconv release the files are generated from.
pub const SEMCONV_VERSION: &str = "1.41.0";

/// The command that regenerates the files, as written in their headers.
pub const COMMAND: &str = "cargo run -p llmscope-semconv-gen";

/// The semconv model domains (directories under `model/`) whose registry is read.
pub const DOMAINS: &[&str] = &["error", "exceptions", "gen-ai", "mcp", "openai", "server"];

/// Where the generated registry goes, relative to the workspace root.
pub const REGISTRY_PATH: &str = "macros/src/registry.rs";

/// Where the generated constants go, relative to the workspace root.
pub const CONSTANTS_PATH: &str = "runtime/src/semconv.rs";

/// One generated file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedFile {
    /// The path relative to the workspace root, with `/` separators.
    pub path: &'static str,
    /// The full file contents, formatted by `rustfmt`.
    pub contents: String,
}

/// Summary figures of a generation run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Counts {
    /// Attributes in the registry.
    pub attributes: usize,
    /// Of those, deprecated.
    pub deprecated: usize,
    /// Of those, enums (with a values module in the constants file).
    pub enums: usize,
}

/// The output of [`generate`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Generated {
    /// The files, in a fixed order: registry, then constants.
    pub files: Vec<GeneratedFile>,
    /// What they contain.
    pub counts: Counts,
}

/// The workspace root, found from this crate's manifest directory (`tools/semconv-gen`).
pub fn workspace_root() -> PathBuf {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest_dir
        .ancestors()
        .nth(2)
        .unwrap_or(manifest_dir)
        .to_path_buf()
}

/// Reads the semconv YAML under `workspace_root` and renders both files in memory.
///
/// # Errors
///
/// Fails if a YAML file cannot be read or parsed, an attribute cannot be represented, two names
/// collide, or `rustfmt` cannot format the output.
pub fn generate(workspace_root: &Path) -> Result<Generated, Error> {
    let semconv_dir = Path::new("semconv").join(format!("v{SEMCONV_VERSION}"));
    let model_dir = workspace_root.join(&semconv_dir).join("model");
    let commit_path = workspace_root.join(&semconv_dir).join("SOURCE_COMMIT");
    let commit = fs::read_to_string(&commit_path)
        .map_err(|source| Error::Read {
            path: commit_path,
            source,
        })?
        .trim()
        .to_owned();

    let files = model::registry_files(&model_dir, DOMAINS)?;
    let attributes = model::load(&model_dir, &files)?;
    let file_names: Vec<String> = files
        .iter()
        .map(|file| file.to_string_lossy().replace('\\', "/"))
        .collect();
    let header = header(&commit, &file_names);

    let registry = render::registry(&header, SEMCONV_VERSION, &attributes);
    let constants = render::constants(&header, SEMCONV_VERSION, &attributes)?;
    let counts = Counts {
        attributes: attributes.len(),
        deprecated: attributes
            .iter()
            .filter(|attribute| attribute.deprecated.is_some())
            .count(),
        enums: attributes
            .iter()
            .filter(|attribute| !attribute.members.is_empty())
            .count(),
    };
    Ok(Generated {
        files: vec![
            GeneratedFile {
                path: REGISTRY_PATH,
                contents: format::rustfmt(workspace_root, &registry)?,
            },
            GeneratedFile {
                path: CONSTANTS_PATH,
                contents: format::rustfmt(workspace_root, &constants)?,
            },
        ],
        counts,
    })
}

/// Writes `files` under `workspace_root`, leaving files whose contents are already right
/// untouched; returns the paths that changed.
///
/// # Errors
///
/// Fails if a file cannot be written.
pub fn write(workspace_root: &Path, files: &[GeneratedFile]) -> Result<Vec<&'static str>, Error> {
    let mut changed = Vec::new();
    for file in files {
        let path = workspace_root.join(file.path);
        if fs::read_to_string(&path).ok().as_deref() == Some(file.contents.as_str()) {
            continue;
        }
        fs::write(&path, &file.contents).map_err(|source| Error::Write { path, source })?;
        changed.push(file.path);
    }
    Ok(changed)
}

/// The do-not-edit header both files start with, wrapped at 100 columns.
fn header(commit: &str, files: &[String]) -> String {
    let mut out =
        format!("// @generated by `{COMMAND}` from semconv v{SEMCONV_VERSION} — do not edit.\n");
    let prose = format!(
        "Source: open-telemetry/semantic-conventions, tag v{SEMCONV_VERSION}, commit {commit}, \
         vendored unmodified in `semconv/v{SEMCONV_VERSION}/`. Files read, under \
         `semconv/v{SEMCONV_VERSION}/model/`: {}.",
        files.join(", ")
    );
    let mut line = String::from("//");
    for word in prose.split(' ') {
        if line.len() + 1 + word.len() > 100 && line != "//" {
            out.push_str(&line);
            out.push('\n');
            line = String::from("//");
        }
        line.push(' ');
        line.push_str(word);
    }
    out.push_str(&line);
    out.push('\n');
    out
}
