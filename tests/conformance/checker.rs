//! A semconv v1.41.0 checker for exported spans, read from the YAML the compile-time registry
//! is generated from (`semconv/v1.41.0/model/`, vendored in the repo).
//!
//! It checks every `gen_ai.*`, `server.*` and `error.*` attribute of every span and span event:
//! the key is registered, not deprecated, its value has the registered type, and the value of
//! a GenAI enum (`gen_ai.operation.name`, `gen_ai.provider.name`, …) is one of the registry's
//! members. Spans with a registered `gen_ai.operation.name` are checked against the span
//! definition for that operation (and provider, where semconv has a provider-specific one): every
//! attribute with `requirement_level: required` must be present. Events with a definition
//! (`gen_ai.client.inference.operation.details`, `exception`, …) must carry their required
//! attributes and nothing the definition does not list.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};

use llmscope::export::otlp::any_value::Value as Any;
use llmscope::export::otlp::KeyValue;
use llmscope::export::otlp::{span::SpanKind, Span};
use serde_yaml::Value as Yaml;

/// The key prefixes whose attributes must be registered.
const CHECKED_PREFIXES: &[&str] = &["gen_ai.", "server.", "error."];

/// The value type of a registered attribute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum AttrType {
    String,
    Int,
    Double,
    Boolean,
    StringArray,
    IntArray,
    DoubleArray,
    BooleanArray,
    /// `any`: structured content, any OTLP value.
    Any,
    /// An enum: its members' values (all strings in the files read here).
    Enum(Vec<String>),
}

impl AttrType {
    fn parse(key: &str, ty: &Yaml) -> AttrType {
        match ty {
            Yaml::String(name) => match name.as_str() {
                "string" => AttrType::String,
                "int" => AttrType::Int,
                "double" => AttrType::Double,
                "boolean" => AttrType::Boolean,
                "string[]" => AttrType::StringArray,
                "int[]" => AttrType::IntArray,
                "double[]" => AttrType::DoubleArray,
                "boolean[]" => AttrType::BooleanArray,
                "any" => AttrType::Any,
                other => panic!("attribute `{key}`: unsupported type `{other}` in the registry"),
            },
            Yaml::Mapping(map) => {
                let members = map
                    .get("members")
                    .and_then(Yaml::as_sequence)
                    .unwrap_or_else(|| panic!("attribute `{key}`: an enum type without `members`"));
                AttrType::Enum(
                    members
                        .iter()
                        .map(|member| match member.get("value") {
                            Some(Yaml::String(value)) => value.clone(),
                            other => panic!("attribute `{key}`: enum member value {other:?}"),
                        })
                        .collect(),
                )
            }
            other => panic!("attribute `{key}`: type {other:?}"),
        }
    }
}

/// One registered attribute.
#[derive(Debug, Clone)]
pub(crate) struct Attribute {
    pub(crate) ty: AttrType,
    pub(crate) deprecated: bool,
}

/// A group's own attribute list entry (a definition or a `ref`).
#[derive(Debug, Clone)]
struct Entry {
    key: String,
    required: Option<bool>,
}

#[derive(Debug, Clone)]
struct Group {
    kind: String,
    name: Option<String>,
    extends: Option<String>,
    deprecated: bool,
    entries: Vec<Entry>,
}

/// The registry: every attribute definition and every group of the YAML files.
#[derive(Debug)]
pub(crate) struct Registry {
    attributes: HashMap<String, Attribute>,
    groups: HashMap<String, Group>,
    /// Files read, relative to the model directory (for the report).
    pub(crate) files: Vec<String>,
}

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries = std::fs::read_dir(dir)
        .unwrap_or_else(|error| panic!("cannot read directory {}: {error}", dir.display()));
    for entry in entries {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            yaml_files(&path, out);
        } else if path.extension().is_some_and(|ext| ext == "yaml") {
            out.push(path);
        }
    }
}

impl Registry {
    /// Loads every `*.yaml` under `semconv/v1.41.0/model/` of this repository.
    pub(crate) fn load() -> Registry {
        let model = Path::new(env!("CARGO_MANIFEST_DIR")).join("semconv/v1.41.0/model");
        let mut paths = Vec::new();
        yaml_files(&model, &mut paths);
        paths.sort();
        assert!(!paths.is_empty(), "no YAML under {}", model.display());
        let mut registry = Registry {
            attributes: HashMap::new(),
            groups: HashMap::new(),
            files: Vec::new(),
        };
        for path in &paths {
            let text = std::fs::read_to_string(path)
                .unwrap_or_else(|error| panic!("cannot read {}: {error}", path.display()));
            let document: Yaml = serde_yaml::from_str(&text)
                .unwrap_or_else(|error| panic!("cannot parse {}: {error}", path.display()));
            registry.read_document(path, &document);
            registry.files.push(
                path.strip_prefix(&model)
                    .expect("under the model directory")
                    .display()
                    .to_string(),
            );
        }
        registry
    }

    fn read_document(&mut self, path: &Path, document: &Yaml) {
        let Some(groups) = document.get("groups").and_then(Yaml::as_sequence) else {
            return;
        };
        for group in groups {
            let id = group
                .get("id")
                .and_then(Yaml::as_str)
                .unwrap_or_else(|| panic!("a group without `id` in {}", path.display()))
                .to_owned();
            let text = |key: &str| group.get(key).and_then(Yaml::as_str).map(str::to_owned);
            let mut entries = Vec::new();
            for attribute in group
                .get("attributes")
                .and_then(Yaml::as_sequence)
                .into_iter()
                .flatten()
            {
                let required = attribute.get("requirement_level").map(|level| {
                    // `required`, or a mapping such as `conditionally_required: …`.
                    level.as_str() == Some("required")
                });
                if let Some(key) = attribute.get("ref").and_then(Yaml::as_str) {
                    entries.push(Entry {
                        key: key.to_owned(),
                        required,
                    });
                } else if let Some(key) = attribute.get("id").and_then(Yaml::as_str) {
                    let ty = attribute
                        .get("type")
                        .unwrap_or_else(|| panic!("attribute `{key}` without a type"));
                    self.attributes.insert(
                        key.to_owned(),
                        Attribute {
                            ty: AttrType::parse(key, ty),
                            deprecated: attribute.get("deprecated").is_some(),
                        },
                    );
                    entries.push(Entry {
                        key: key.to_owned(),
                        required,
                    });
                }
            }
            self.groups.insert(
                id,
                Group {
                    kind: text("type").unwrap_or_default(),
                    name: text("name"),
                    extends: text("extends"),
                    deprecated: group.get("deprecated").is_some(),
                    entries,
                },
            );
        }
    }

    /// The registered attribute `key`.
    pub(crate) fn attribute(&self, key: &str) -> Option<&Attribute> {
        self.attributes.get(key)
    }

    /// The attributes of group `id` with `extends` resolved: key → required.
    fn resolved(&self, id: &str) -> BTreeMap<String, bool> {
        let group = self
            .groups
            .get(id)
            .unwrap_or_else(|| panic!("no group `{id}` in the registry"));
        let mut resolved = match &group.extends {
            Some(parent) => self.resolved(parent),
            None => BTreeMap::new(),
        };
        for entry in &group.entries {
            let inherited = resolved.get(&entry.key).copied().unwrap_or(false);
            resolved.insert(entry.key.clone(), entry.required.unwrap_or(inherited));
        }
        resolved
    }

    /// The span definitions that apply to a span with this operation, provider and kind.
    fn span_groups(operation: &str, provider: Option<&str>, kind: SpanKind) -> Vec<&'static str> {
        let mut groups = match operation {
            "chat" | "generate_content" | "text_completion" => vec!["span.gen_ai.inference.client"],
            "embeddings" => vec!["span.gen_ai.embeddings.client"],
            "retrieval" => vec!["span.gen_ai.retrieval.client"],
            "create_agent" => vec!["span.gen_ai.create_agent.client"],
            "invoke_agent" if kind == SpanKind::Client => vec!["span.gen_ai.invoke_agent.client"],
            "invoke_agent" => vec!["span.gen_ai.invoke_agent.internal"],
            "execute_tool" => vec!["span.gen_ai.execute_tool.internal"],
            "invoke_workflow" => vec!["span.gen_ai.invoke_workflow.internal"],
            _ => Vec::new(),
        };
        if matches!(operation, "chat" | "generate_content" | "text_completion") {
            // The provider-specific inference spans that extend or override the generic one.
            match provider {
                Some("openai") => groups.push("span.openai.inference.client"),
                Some("anthropic") => groups.push("span.anthropic.inference.client"),
                Some("azure.ai.inference") => groups.push("span.azure.ai.inference.client"),
                Some("aws.bedrock") => groups.push("span.aws.bedrock.client"),
                _ => {}
            }
        }
        groups
    }

    /// The event definition named `name`.
    fn event_group(&self, name: &str) -> Option<(&str, &Group)> {
        self.groups
            .iter()
            .find(|(_, group)| group.kind == "event" && group.name.as_deref() == Some(name))
            .map(|(id, group)| (id.as_str(), group))
    }
}

/// One finding: where, which key, why.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Violation {
    /// The span's name.
    pub(crate) span: String,
    /// `None` for the span's own attributes, else the event's name.
    pub(crate) event: Option<String>,
    pub(crate) key: String,
    pub(crate) reason: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "span `{}`", self.span)?;
        if let Some(event) = &self.event {
            write!(f, ", event `{event}`")?;
        }
        write!(f, ": `{}`: {}", self.key, self.reason)
    }
}

/// Every violation of a checked batch, plus what was looked at (so a test can show the check
/// was not vacuous).
#[derive(Debug, Default)]
pub(crate) struct Report {
    pub(crate) violations: Vec<Violation>,
    pub(crate) spans: usize,
    pub(crate) events: usize,
    /// Checked attributes (on spans and events).
    pub(crate) checked: usize,
}

impl Report {
    /// One violation per line.
    pub(crate) fn render(&self) -> String {
        self.violations
            .iter()
            .map(|violation| format!("  {violation}\n"))
            .collect()
    }
}

fn describe(value: Option<&Any>) -> &'static str {
    match value {
        None => "an empty value",
        Some(Any::StringValue(_)) => "a string",
        Some(Any::BoolValue(_)) => "a boolean",
        Some(Any::IntValue(_)) => "an int",
        Some(Any::DoubleValue(_)) => "a double",
        Some(Any::ArrayValue(_)) => "an array",
        Some(Any::KvlistValue(_)) => "a key-value list",
        Some(Any::BytesValue(_)) => "bytes",
        Some(_) => "another kind of value",
    }
}

fn value(kv: &KeyValue) -> Option<&Any> {
    kv.value.as_ref().and_then(|value| value.value.as_ref())
}

fn array_of(value: Option<&Any>, element: fn(&Any) -> bool) -> bool {
    match value {
        Some(Any::ArrayValue(array)) => array
            .values
            .iter()
            .all(|item| item.value.as_ref().is_some_and(element)),
        _ => false,
    }
}

/// Checks one attribute's key, deprecation, type and enum value.
fn check_attribute(
    registry: &Registry,
    kv: &KeyValue,
    mut report: impl FnMut(String, String),
) -> bool {
    let key = kv.key.as_str();
    if !CHECKED_PREFIXES
        .iter()
        .any(|prefix| key.starts_with(prefix))
    {
        return false;
    }
    let Some(attribute) = registry.attribute(key) else {
        report(
            key.to_owned(),
            "not registered in semconv v1.41.0".to_owned(),
        );
        return true;
    };
    if attribute.deprecated {
        report(key.to_owned(), "deprecated in semconv v1.41.0".to_owned());
    }
    let value = value(kv);
    let (fits, expected) = match &attribute.ty {
        AttrType::String => (matches!(value, Some(Any::StringValue(_))), "a string"),
        AttrType::Int => (matches!(value, Some(Any::IntValue(_))), "an int"),
        AttrType::Double => (matches!(value, Some(Any::DoubleValue(_))), "a double"),
        AttrType::Boolean => (matches!(value, Some(Any::BoolValue(_))), "a boolean"),
        AttrType::StringArray => (
            array_of(value, |item| matches!(item, Any::StringValue(_))),
            "a string array",
        ),
        AttrType::IntArray => (
            array_of(value, |item| matches!(item, Any::IntValue(_))),
            "an int array",
        ),
        AttrType::DoubleArray => (
            array_of(value, |item| matches!(item, Any::DoubleValue(_))),
            "a double array",
        ),
        AttrType::BooleanArray => (
            array_of(value, |item| matches!(item, Any::BoolValue(_))),
            "a boolean array",
        ),
        AttrType::Any => (value.is_some(), "a value"),
        AttrType::Enum(_) => (
            matches!(value, Some(Any::StringValue(_))),
            "a string (enum)",
        ),
    };
    if !fits {
        report(
            key.to_owned(),
            format!("expected {expected}, found {}", describe(value)),
        );
    }
    // GenAI enums are checked as closed sets (other domains' enums, like `error.type`, are
    // open by design: their members are only well-known values).
    if let (AttrType::Enum(members), Some(Any::StringValue(given))) = (&attribute.ty, value) {
        if key.starts_with("gen_ai.") && !members.contains(given) {
            report(
                key.to_owned(),
                format!(
                    "value `{given}` is not one of the registry's members ({})",
                    members.join(", ")
                ),
            );
        }
    }
    true
}

fn string<'a>(attributes: &'a [KeyValue], key: &str) -> Option<&'a str> {
    attributes
        .iter()
        .find(|kv| kv.key == key)
        .and_then(|kv| match value(kv) {
            Some(Any::StringValue(text)) => Some(text.as_str()),
            _ => None,
        })
}

/// Checks every span and span event of `spans` against `registry`.
pub(crate) fn check(registry: &Registry, spans: &[Span]) -> Report {
    let mut out = Report::default();
    for span in spans {
        out.spans += 1;
        let name = span.name.clone();
        let mut violations = Vec::new();
        for kv in &span.attributes {
            if check_attribute(registry, kv, |key, reason| {
                violations.push(Violation {
                    span: name.clone(),
                    event: None,
                    key,
                    reason,
                })
            }) {
                out.checked += 1;
            }
        }
        let present: BTreeSet<&str> = span.attributes.iter().map(|kv| kv.key.as_str()).collect();
        if let Some(operation) = string(&span.attributes, "gen_ai.operation.name") {
            let provider = string(&span.attributes, "gen_ai.provider.name");
            let kind = SpanKind::try_from(span.kind).unwrap_or(SpanKind::Unspecified);
            for group in Registry::span_groups(operation, provider, kind) {
                for (key, required) in registry.resolved(group) {
                    if required && !present.contains(key.as_str()) {
                        violations.push(Violation {
                            span: name.clone(),
                            event: None,
                            key,
                            reason: format!("required by `{group}` and missing"),
                        });
                    }
                }
            }
        }
        for event in &span.events {
            out.events += 1;
            let event_name = Some(event.name.clone());
            for kv in &event.attributes {
                if check_attribute(registry, kv, |key, reason| {
                    violations.push(Violation {
                        span: name.clone(),
                        event: event_name.clone(),
                        key,
                        reason,
                    })
                }) {
                    out.checked += 1;
                }
            }
            match registry.event_group(&event.name) {
                Some((id, group)) => {
                    if group.deprecated {
                        violations.push(Violation {
                            span: name.clone(),
                            event: event_name.clone(),
                            key: event.name.clone(),
                            reason: "the event is deprecated in semconv v1.41.0".to_owned(),
                        });
                    }
                    let defined = registry.resolved(id);
                    let present: BTreeSet<&str> =
                        event.attributes.iter().map(|kv| kv.key.as_str()).collect();
                    for kv in &event.attributes {
                        if !defined.contains_key(&kv.key) {
                            violations.push(Violation {
                                span: name.clone(),
                                event: event_name.clone(),
                                key: kv.key.clone(),
                                reason: format!("not an attribute of `{id}`"),
                            });
                        }
                    }
                    for (key, required) in defined {
                        if required && !present.contains(key.as_str()) {
                            violations.push(Violation {
                                span: name.clone(),
                                event: event_name.clone(),
                                key,
                                reason: format!("required by `{id}` and missing"),
                            });
                        }
                    }
                }
                None if event.name.starts_with("gen_ai.") => violations.push(Violation {
                    span: name.clone(),
                    event: event_name.clone(),
                    key: event.name.clone(),
                    reason: "no such event in semconv v1.41.0".to_owned(),
                }),
                None => {}
            }
        }
        out.violations.extend(violations);
    }
    out.violations.sort();
    out.violations.dedup();
    out
}
