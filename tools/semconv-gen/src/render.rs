//! Emitting the two generated Rust files (before `rustfmt`).

use std::collections::BTreeSet;
use std::fmt::Write as _;

use crate::model::{AttrType, Attribute, MemberValue};
use crate::Error;

/// `text` as a Rust string literal.
fn literal(text: &str) -> String {
    format!("{text:?}")
}

/// The text of `macros/src/registry.rs`, `header` first.
pub(crate) fn registry(header: &str, version: &str, attributes: &[Attribute]) -> String {
    let mut out = String::new();
    out.push_str(header);
    let _ = write!(
        out,
        r#"
//! The OpenTelemetry semantic-convention attribute registry (semconv v{version}) that the macros
//! check attribute names, value types and deprecations against.

/// One attribute of the semantic-convention registry.
#[allow(dead_code)] // generated: the macros read only some of the fields
#[derive(Debug)]
pub(crate) struct Attribute {{
    /// The attribute key, e.g. `gen_ai.request.model`.
    pub(crate) name: &'static str,
    /// The value type; for an enum attribute, the type of its member values.
    pub(crate) ty: AttrType,
    /// The well-known values of an enum attribute, in YAML order without repeats (deprecated
    /// members included); empty if the attribute is not an enum.
    pub(crate) members: &'static [&'static str],
    /// Whether values other than `members` are allowed: semconv enums are open, so this is true
    /// for every enum attribute (and false when `members` is empty).
    pub(crate) open_enum: bool,
    /// Set when the attribute is deprecated.
    pub(crate) deprecated: Option<Deprecation>,
    /// The semconv stability level, e.g. `development` or `stable`.
    pub(crate) stability: &'static str,
    /// The one-line description from the semconv YAML.
    pub(crate) brief: &'static str,
}}

/// The value type of an attribute.
#[allow(dead_code)] // generated: not every type occurs in every semconv release
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AttrType {{
"#
    );
    for ty in AttrType::ALL {
        let _ = writeln!(out, "/// `{}`", ty.semconv_name());
        let _ = writeln!(out, "{},", ty.variant());
    }
    out.push_str(
        r#"}

impl AttrType {
    /// The type as the semantic conventions write it, e.g. `string[]`.
    #[allow(dead_code)] // generated: for error messages
    pub(crate) fn semconv_name(self) -> &'static str {
        match self {
"#,
    );
    for ty in AttrType::ALL {
        let _ = writeln!(
            out,
            "AttrType::{} => {},",
            ty.variant(),
            literal(ty.semconv_name())
        );
    }
    out.push_str(
        r#"}
    }
}

/// Why a deprecated attribute is deprecated and what replaces it.
#[allow(dead_code)] // generated: the macros read only some of the fields
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Deprecation {
    /// The attribute that replaces this one, if it was renamed.
    pub(crate) renamed_to: Option<&'static str>,
    /// One line saying why, or what to use instead.
    pub(crate) note: &'static str,
}

/// Every registry attribute, sorted by name (byte order), without duplicates.
pub(crate) static ATTRIBUTES: &[Attribute] = &[
"#,
    );
    for attribute in attributes {
        let _ = writeln!(out, "    Attribute {{");
        let _ = writeln!(out, "        name: {},", literal(&attribute.name));
        let _ = writeln!(out, "        ty: AttrType::{},", attribute.ty.variant());
        let members: Vec<String> = attribute
            .member_values()
            .iter()
            .map(|value| literal(value))
            .collect();
        let one_line = format!("        members: &[{}],", members.join(", "));
        if one_line.len() <= 100 {
            let _ = writeln!(out, "{one_line}");
        } else {
            let _ = writeln!(out, "        members: &[");
            for member in &members {
                let _ = writeln!(out, "            {member},");
            }
            let _ = writeln!(out, "        ],");
        }
        let _ = writeln!(out, "        open_enum: {},", !attribute.members.is_empty());
        match &attribute.deprecated {
            None => {
                let _ = writeln!(out, "        deprecated: None,");
            }
            Some(deprecation) => {
                let renamed_to = match &deprecation.renamed_to {
                    Some(target) => format!("Some({})", literal(target)),
                    None => "None".to_owned(),
                };
                let _ = writeln!(out, "        deprecated: Some(Deprecation {{");
                let _ = writeln!(out, "            renamed_to: {renamed_to},");
                let _ = writeln!(out, "            note: {},", literal(&deprecation.note));
                let _ = writeln!(out, "        }}),");
            }
        }
        let _ = writeln!(out, "        stability: {},", literal(&attribute.stability));
        let _ = writeln!(out, "        brief: {},", literal(&attribute.brief));
        let _ = writeln!(out, "    }},");
    }
    out.push_str(
        r#"];

/// The attribute named `name`, if the registry has one.
#[allow(dead_code)] // generated: used by the attribute checks of the macros
pub(crate) fn lookup(name: &str) -> Option<&'static Attribute> {
    ATTRIBUTES
        .binary_search_by(|attribute| attribute.name.cmp(name))
        .ok()
        .map(|index| &ATTRIBUTES[index])
}
"#,
    );
    out
}

/// `name` with `.`, `-` and `/` turned into `_`, checked to be a Rust identifier that is not a
/// keyword.
fn identifier(name: &str, uppercase: bool) -> Result<String, Error> {
    let mut ident: String = name
        .chars()
        .map(|c| if matches!(c, '.' | '-' | '/') { '_' } else { c })
        .collect();
    ident = if uppercase {
        ident.to_ascii_uppercase()
    } else {
        ident.to_ascii_lowercase()
    };
    let valid_start = ident
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    let valid_rest = ident.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !valid_start || !valid_rest || ident == "_" || KEYWORDS.contains(&ident.as_str()) {
        return Err(Error::Identifier {
            message: format!("`{name}` does not map to a rust identifier (got `{ident}`)"),
        });
    }
    Ok(ident)
}

const KEYWORDS: &[&str] = &[
    "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "crate",
    "do", "dyn", "else", "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl",
    "in", "let", "loop", "macro", "match", "mod", "move", "mut", "override", "priv", "pub", "ref",
    "return", "self", "static", "struct", "super", "trait", "true", "try", "type", "typeof",
    "unsafe", "unsized", "use", "virtual", "where", "while", "yield",
];

/// Fails if `ident` was already produced by another name in the same scope.
fn claim(seen: &mut BTreeSet<String>, ident: &str, name: &str, scope: &str) -> Result<(), Error> {
    if seen.insert(ident.to_owned()) {
        Ok(())
    } else {
        Err(Error::Identifier {
            message: format!(
                "`{name}` maps to the identifier `{ident}`, which another name in {scope} \
                 already uses"
            ),
        })
    }
}

/// The text of `runtime/src/semconv.rs`, `header` first.
pub(crate) fn constants(
    header: &str,
    version: &str,
    attributes: &[Attribute],
) -> Result<String, Error> {
    let mut out = String::new();
    out.push_str(header);
    let _ = write!(
        out,
        r#"
//! Attribute keys of the OpenTelemetry semantic conventions v{version}: GenAI, OpenAI, MCP,
//! error, exception and server attributes.
//!
//! One constant per attribute, named after its key (`gen_ai.request.model` is
//! [`GEN_AI_REQUEST_MODEL`]); deprecated attributes are `#[deprecated]` constants naming their
//! replacement. Each enum attribute also has a module of its well-known values, named after the
//! key in lowercase (e.g. [`gen_ai_operation_name::CHAT`]).
"#
    );
    let mut top_level = BTreeSet::new();
    for attribute in attributes {
        let constant = identifier(&attribute.name, true)?;
        claim(&mut top_level, &constant, &attribute.name, "`semconv`")?;
        let module = if attribute.members.is_empty() {
            None
        } else {
            let module = identifier(&attribute.name, false)?;
            claim(&mut top_level, &module, &attribute.name, "`semconv`")?;
            Some(module)
        };

        out.push('\n');
        let _ = writeln!(out, "/// {}", attribute.brief);
        out.push_str("///\n");
        let values = match &module {
            Some(module) => format!(" enum, well-known values in [`{module}`]"),
            None => String::new(),
        };
        let _ = writeln!(
            out,
            "/// Type: `{}`{values}. Stability: {}.",
            attribute.ty.semconv_name(),
            attribute.stability
        );
        if let Some(deprecation) = &attribute.deprecated {
            let _ = writeln!(out, "#[deprecated(note = {})]", literal(&deprecation.note));
        }
        let _ = writeln!(
            out,
            "pub const {constant}: &str = {};",
            literal(&attribute.name)
        );

        let Some(module) = module else {
            continue;
        };
        out.push('\n');
        let _ = writeln!(
            out,
            "/// Well-known values of [`{constant}`] (`{}`).",
            attribute.name
        );
        let _ = writeln!(out, "pub mod {module} {{");
        let mut in_module = BTreeSet::new();
        let scope = format!("`{module}`");
        for member in &attribute.members {
            let member_constant = identifier(&member.id, true)?;
            claim(&mut in_module, &member_constant, &member.id, &scope)?;
            let (ty, value) = match &member.value {
                MemberValue::String(value) => ("&str", literal(value)),
                MemberValue::Int(value) => ("i64", value.to_string()),
            };
            let doc = match &member.brief {
                Some(brief) => brief.clone(),
                None => format!("`{}`", member.value.text()),
            };
            let _ = writeln!(out, "/// {doc}");
            let deprecation = match (&member.deprecated, &attribute.deprecated) {
                (Some(own), _) => Some(own.note.clone()),
                (None, Some(parent)) => Some(format!(
                    "`{}` is deprecated: {}",
                    attribute.name, parent.note
                )),
                (None, None) => None,
            };
            if let Some(note) = deprecation {
                let _ = writeln!(out, "#[deprecated(note = {})]", literal(&note));
            }
            let _ = writeln!(out, "pub const {member_constant}: {ty} = {value};");
        }
        out.push_str("}\n");
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::{constants, identifier};
    use crate::model::{AttrType, Attribute};
    use std::path::PathBuf;

    fn attribute(name: &str) -> Attribute {
        Attribute {
            name: name.to_owned(),
            ty: AttrType::String,
            members: Vec::new(),
            deprecated: None,
            stability: "development".to_owned(),
            brief: "B.".to_owned(),
            file: PathBuf::from("x.yaml"),
        }
    }

    #[test]
    fn colliding_constant_names_are_an_error() {
        let attributes = [attribute("a.b_c"), attribute("a_b.c")];
        let err = constants("", "1", &attributes).expect_err("collision");
        assert_eq!(
            err.to_string(),
            "`a_b.c` maps to the identifier `A_B_C`, which another name in `semconv` already uses"
        );
        assert!(constants("", "1", &attributes[..1]).is_ok());
    }

    #[test]
    fn identifiers_follow_rust_rules() {
        assert_eq!(
            identifier("gen_ai.request.model", true).unwrap(),
            "GEN_AI_REQUEST_MODEL"
        );
        assert_eq!(identifier("aws.bedrock", true).unwrap(), "AWS_BEDROCK");
        assert_eq!(
            identifier("gen_ai.operation.name", false).unwrap(),
            "gen_ai_operation_name"
        );
        assert!(identifier("1st", true).is_err());
        assert!(identifier("type", false).is_err());
        assert!(identifier("a b", true).is_err());
    }
}
