//! Reading the attribute registry out of the semconv YAML model.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::Error;

/// The value type of an attribute, as the generated registry spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AttrType {
    String,
    Int,
    Double,
    Boolean,
    StringArray,
    IntArray,
    DoubleArray,
    BooleanArray,
    Any,
}

impl AttrType {
    /// Every variant, in the order the generated `AttrType` declares them.
    pub(crate) const ALL: [AttrType; 9] = [
        AttrType::String,
        AttrType::Int,
        AttrType::Double,
        AttrType::Boolean,
        AttrType::StringArray,
        AttrType::IntArray,
        AttrType::DoubleArray,
        AttrType::BooleanArray,
        AttrType::Any,
    ];

    /// The type as semconv YAML writes it.
    pub(crate) fn semconv_name(self) -> &'static str {
        match self {
            AttrType::String => "string",
            AttrType::Int => "int",
            AttrType::Double => "double",
            AttrType::Boolean => "boolean",
            AttrType::StringArray => "string[]",
            AttrType::IntArray => "int[]",
            AttrType::DoubleArray => "double[]",
            AttrType::BooleanArray => "boolean[]",
            AttrType::Any => "any",
        }
    }

    /// The Rust variant name in the generated `AttrType`.
    pub(crate) fn variant(self) -> &'static str {
        match self {
            AttrType::String => "String",
            AttrType::Int => "Int",
            AttrType::Double => "Double",
            AttrType::Boolean => "Boolean",
            AttrType::StringArray => "StringArray",
            AttrType::IntArray => "IntArray",
            AttrType::DoubleArray => "DoubleArray",
            AttrType::BooleanArray => "BooleanArray",
            AttrType::Any => "Any",
        }
    }

    fn from_semconv(name: &str) -> Option<AttrType> {
        AttrType::ALL
            .into_iter()
            .find(|ty| ty.semconv_name() == name)
    }
}

/// Why and how an attribute or enum member is deprecated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Deprecation {
    /// The replacement, for `reason: renamed`.
    pub(crate) renamed_to: Option<String>,
    /// One line: the YAML note, or "renamed to `x`", or the reason.
    pub(crate) note: String,
}

/// The value of an enum member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum MemberValue {
    String(String),
    Int(i64),
}

impl MemberValue {
    /// The value as text (integers in decimal).
    pub(crate) fn text(&self) -> String {
        match self {
            MemberValue::String(value) => value.clone(),
            MemberValue::Int(value) => value.to_string(),
        }
    }
}

/// One well-known value of an enum attribute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Member {
    pub(crate) id: String,
    pub(crate) value: MemberValue,
    pub(crate) brief: Option<String>,
    pub(crate) deprecated: Option<Deprecation>,
}

/// One attribute definition of the registry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Attribute {
    pub(crate) name: String,
    /// For an enum, the type of its member values.
    pub(crate) ty: AttrType,
    /// Empty unless the attribute is an enum.
    pub(crate) members: Vec<Member>,
    pub(crate) deprecated: Option<Deprecation>,
    pub(crate) stability: String,
    pub(crate) brief: String,
    /// The file that defines it, relative to the model directory.
    pub(crate) file: PathBuf,
}

impl Attribute {
    /// The distinct member values, in YAML order.
    pub(crate) fn member_values(&self) -> Vec<String> {
        let mut values: Vec<String> = Vec::new();
        for member in &self.members {
            let value = member.value.text();
            if !values.contains(&value) {
                values.push(value);
            }
        }
        values
    }
}

#[derive(Deserialize)]
struct FileDef {
    #[serde(default)]
    groups: Vec<GroupDef>,
}

#[derive(Deserialize)]
struct GroupDef {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    attributes: Vec<AttributeDef>,
}

#[derive(Deserialize)]
struct AttributeDef {
    id: Option<String>,
    #[serde(rename = "ref")]
    reference: Option<String>,
    #[serde(rename = "type")]
    ty: Option<TypeDef>,
    brief: Option<String>,
    stability: Option<String>,
    deprecated: Option<DeprecatedDef>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum TypeDef {
    Named(String),
    Enum { members: Vec<MemberDef> },
}

#[derive(Deserialize)]
struct MemberDef {
    id: String,
    value: serde_yaml::Value,
    brief: Option<String>,
    deprecated: Option<DeprecatedDef>,
}

#[derive(Deserialize)]
struct DeprecatedDef {
    reason: String,
    renamed_to: Option<String>,
    note: Option<String>,
}

impl DeprecatedDef {
    fn into_deprecation(self) -> Deprecation {
        let note = match (&self.note, &self.renamed_to) {
            (Some(note), _) => one_line(note),
            (None, Some(target)) => format!("renamed to `{target}`"),
            (None, None) => self.reason.clone(),
        };
        Deprecation {
            renamed_to: self.renamed_to,
            note,
        }
    }
}

/// Collapses every run of whitespace (including newlines of folded YAML scalars) to one space.
pub(crate) fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The YAML files the registry is read from, relative to `model_dir`, in a fixed order: for each
/// domain, `registry.yaml` then `deprecated/*.yaml` sorted by name.
pub(crate) fn registry_files(model_dir: &Path, domains: &[&str]) -> Result<Vec<PathBuf>, Error> {
    let mut files = Vec::new();
    for domain in domains {
        files.push(Path::new(domain).join("registry.yaml"));
        let deprecated_dir = model_dir.join(domain).join("deprecated");
        if !deprecated_dir.is_dir() {
            continue;
        }
        let entries = fs::read_dir(&deprecated_dir).map_err(|source| Error::Read {
            path: deprecated_dir.clone(),
            source,
        })?;
        let mut names = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|source| Error::Read {
                path: deprecated_dir.clone(),
                source,
            })?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.ends_with(".yaml") || name.ends_with(".yml") {
                names.push(name);
            }
        }
        names.sort();
        for name in names {
            files.push(Path::new(domain).join("deprecated").join(name));
        }
    }
    Ok(files)
}

/// Reads every attribute defined (not merely referenced) in an `attribute_group` of `files`,
/// sorted by name.
pub(crate) fn load(model_dir: &Path, files: &[PathBuf]) -> Result<Vec<Attribute>, Error> {
    let mut attributes: BTreeMap<String, Attribute> = BTreeMap::new();
    for file in files {
        let path = model_dir.join(file);
        let text = fs::read_to_string(&path).map_err(|source| Error::Read {
            path: path.clone(),
            source,
        })?;
        for attribute in parse(&text, file)? {
            if let Some(first) = attributes.get(&attribute.name) {
                return Err(Error::DuplicateAttribute {
                    attribute: attribute.name,
                    first: first.file.clone(),
                    second: file.clone(),
                });
            }
            attributes.insert(attribute.name.clone(), attribute);
        }
    }
    Ok(attributes.into_values().collect())
}

/// Parses the attribute definitions of one YAML file; `file` names it in errors and in
/// [`Attribute::file`].
pub(crate) fn parse(text: &str, file: &Path) -> Result<Vec<Attribute>, Error> {
    let parsed: FileDef = serde_yaml::from_str(text).map_err(|source| Error::Parse {
        path: file.to_path_buf(),
        source,
    })?;
    let mut attributes = Vec::new();
    for group in parsed.groups {
        if group.kind != "attribute_group" {
            continue;
        }
        for definition in group.attributes {
            if definition.reference.is_some() {
                continue;
            }
            attributes.push(convert(definition, file)?);
        }
    }
    Ok(attributes)
}

fn convert(definition: AttributeDef, file: &Path) -> Result<Attribute, Error> {
    let missing = |attribute: &str, field| Error::MissingField {
        path: file.to_path_buf(),
        attribute: attribute.to_owned(),
        field,
    };
    let name = definition.id.ok_or_else(|| missing("<no id>", "id"))?;
    let ty_def = definition.ty.ok_or_else(|| missing(&name, "type"))?;
    let brief = definition.brief.ok_or_else(|| missing(&name, "brief"))?;
    let stability = definition
        .stability
        .ok_or_else(|| missing(&name, "stability"))?;
    let (ty, members) = match ty_def {
        TypeDef::Named(ty) => {
            let parsed = AttrType::from_semconv(&ty).ok_or_else(|| Error::UnsupportedType {
                path: file.to_path_buf(),
                attribute: name.clone(),
                ty,
            })?;
            (parsed, Vec::new())
        }
        TypeDef::Enum { members } => enum_members(&name, members, file)?,
    };
    Ok(Attribute {
        name,
        ty,
        members,
        deprecated: definition.deprecated.map(DeprecatedDef::into_deprecation),
        stability: one_line(&stability),
        brief: one_line(&brief),
        file: file.to_path_buf(),
    })
}

fn enum_members(
    name: &str,
    definitions: Vec<MemberDef>,
    file: &Path,
) -> Result<(AttrType, Vec<Member>), Error> {
    let mut ty = None;
    let mut members = Vec::with_capacity(definitions.len());
    for definition in definitions {
        let value = match &definition.value {
            serde_yaml::Value::String(value) => Some(MemberValue::String(value.clone())),
            serde_yaml::Value::Number(number) => number.as_i64().map(MemberValue::Int),
            _ => None,
        };
        let invalid = || Error::InvalidEnumValue {
            path: file.to_path_buf(),
            attribute: name.to_owned(),
            member: definition.id.clone(),
        };
        let Some(value) = value else {
            return Err(invalid());
        };
        let member_ty = match value {
            MemberValue::String(_) => AttrType::String,
            MemberValue::Int(_) => AttrType::Int,
        };
        if ty.is_some_and(|ty| ty != member_ty) {
            return Err(invalid());
        }
        ty = Some(member_ty);
        members.push(Member {
            id: definition.id,
            value,
            brief: definition.brief.as_deref().map(one_line),
            deprecated: definition.deprecated.map(DeprecatedDef::into_deprecation),
        });
    }
    match ty {
        Some(ty) => Ok((ty, members)),
        None => Err(Error::MissingField {
            path: file.to_path_buf(),
            attribute: name.to_owned(),
            field: "members",
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::{load, parse, registry_files, AttrType, Deprecation, MemberValue};
    use crate::Error;
    use std::path::Path;

    const SAMPLE: &str = r#"
groups:
  - id: registry.sample
    type: attribute_group
    brief: Sample.
    attributes:
      - id: sample.count
        type: int
        stability: development
        brief: >
          How many,
          folded over lines.
      - id: sample.kind
        stability: stable
        brief: The kind.
        type:
          members:
            - id: first
              value: "one"
              brief: First kind.
              stability: stable
            - id: old_first
              value: "one"
              stability: stable
              deprecated:
                reason: renamed
                renamed_to: first
            - id: second
              value: "two"
              stability: stable
      - id: sample.old
        type: string[]
        stability: development
        brief: Old.
        deprecated:
          reason: obsoleted
          note: >
            Gone,
            no replacement.
      - ref: elsewhere.defined
  - id: event.sample
    type: event
    brief: An event.
    attributes:
      - id: not.an.attribute
        type: string
        stability: development
        brief: Ignored, not in an attribute group.
"#;

    #[test]
    fn parses_definitions_and_skips_refs_and_other_groups() {
        let attributes = parse(SAMPLE, Path::new("sample.yaml")).expect("parse");
        let names: Vec<&str> = attributes.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names, ["sample.count", "sample.kind", "sample.old"]);

        let count = &attributes[0];
        assert_eq!(count.ty, AttrType::Int);
        assert_eq!(count.brief, "How many, folded over lines.");
        assert_eq!(count.stability, "development");
        assert!(count.members.is_empty());

        let kind = &attributes[1];
        assert_eq!(kind.ty, AttrType::String);
        assert_eq!(kind.member_values(), ["one", "two"]);
        assert_eq!(kind.members[0].value, MemberValue::String("one".into()));
        assert_eq!(kind.members[0].brief.as_deref(), Some("First kind."));
        assert_eq!(
            kind.members[1].deprecated,
            Some(Deprecation {
                renamed_to: Some("first".into()),
                note: "renamed to `first`".into(),
            })
        );

        let old = &attributes[2];
        assert_eq!(old.ty, AttrType::StringArray);
        assert_eq!(
            old.deprecated,
            Some(Deprecation {
                renamed_to: None,
                note: "Gone, no replacement.".into(),
            })
        );
    }

    #[test]
    fn integer_enums_are_int() {
        let yaml = "groups:\n  - id: r\n    type: attribute_group\n    attributes:\n      \
                    - id: a.code\n        stability: stable\n        brief: Code.\n        \
                    type:\n          members:\n            - id: ok\n              value: 0\n";
        let attributes = parse(yaml, Path::new("int.yaml")).expect("parse");
        assert_eq!(attributes[0].ty, AttrType::Int);
        assert_eq!(attributes[0].member_values(), ["0"]);
    }

    #[test]
    fn rejects_what_the_registry_cannot_represent() {
        let unsupported = "groups:\n  - id: r\n    type: attribute_group\n    attributes:\n      \
                           - id: a.tpl\n        type: template[string]\n        \
                           stability: development\n        brief: T.\n";
        let err = parse(unsupported, Path::new("t.yaml")).expect_err("template");
        assert!(
            matches!(&err, Error::UnsupportedType { ty, .. } if ty == "template[string]"),
            "{err}"
        );

        let mixed = "groups:\n  - id: r\n    type: attribute_group\n    attributes:\n      \
                     - id: a.mixed\n        stability: stable\n        brief: M.\n        \
                     type:\n          members:\n            - id: x\n              value: x\n            \
                     - id: y\n              value: 1\n";
        let err = parse(mixed, Path::new("m.yaml")).expect_err("mixed");
        assert_eq!(
            err.to_string(),
            "enum member `y` of `a.mixed` in `m.yaml` has a value that is not a string or \
             integer like the other members"
        );

        let no_stability = "groups:\n  - id: r\n    type: attribute_group\n    attributes:\n      \
                            - id: a.b\n        type: int\n        brief: B.\n";
        let err = parse(no_stability, Path::new("s.yaml")).expect_err("stability");
        assert_eq!(
            err.to_string(),
            "attribute `a.b` in `s.yaml` has no `stability`"
        );
    }

    #[test]
    fn vendored_model_has_no_duplicates_and_reads_deprecated_files() {
        let model_dir = crate::workspace_root().join("semconv/v1.41.0/model");
        let files = registry_files(&model_dir, &["gen-ai"]).expect("files");
        assert_eq!(
            files,
            [
                Path::new("gen-ai/registry.yaml"),
                Path::new("gen-ai/deprecated/events-deprecated.yaml"),
                Path::new("gen-ai/deprecated/registry-deprecated.yaml"),
            ]
        );
        let doubled = [files[0].clone(), files[0].clone()];
        let err = load(&model_dir, &doubled).expect_err("duplicate");
        assert!(matches!(err, Error::DuplicateAttribute { .. }), "{err}");
        let attributes = load(&model_dir, &files).expect("load");
        assert!(attributes
            .windows(2)
            .all(|pair| pair[0].name < pair[1].name));
    }
}
