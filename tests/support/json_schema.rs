//! A small JSON Schema (draft 2020-12 subset) check for the semconv message schemas: `type`,
//! `const`, `enum`, `required`, `properties`, `items`, `anyOf`, and local `$ref`s into
//! `$defs`. Enough for `semconv/v1.41.0/schemas/gen-ai-*.json`; any other keyword fails the
//! check rather than passing silently.

use serde_json::Value;

/// Checks `value` against `schema` (the root holds `$defs`); the error names the path.
pub(crate) fn validate(schema: &Value, value: &Value) -> Result<(), String> {
    check(schema, schema, value, "$")
}

const KNOWN: &[&str] = &[
    "type",
    "const",
    "enum",
    "required",
    "properties",
    "items",
    "anyOf",
    "$ref",
    "$defs",
    "additionalProperties",
    "title",
    "description",
    "default",
    "format",
    "$schema",
    "$id",
];

fn check(root: &Value, schema: &Value, value: &Value, path: &str) -> Result<(), String> {
    let Some(schema) = schema.as_object() else {
        return Err(format!("{path}: schema is not an object"));
    };
    if let Some(unknown) = schema.keys().find(|key| !KNOWN.contains(&key.as_str())) {
        return Err(format!("{path}: unsupported schema keyword `{unknown}`"));
    }
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        let name = reference
            .strip_prefix("#/$defs/")
            .ok_or_else(|| format!("{path}: unsupported $ref {reference}"))?;
        let target = &root["$defs"][name];
        check(root, target, value, path)?;
    }
    if let Some(any_of) = schema.get("anyOf").and_then(Value::as_array) {
        let errors: Vec<String> = any_of
            .iter()
            .filter_map(|option| check(root, option, value, path).err())
            .collect();
        if errors.len() == any_of.len() {
            return Err(format!("{path}: matches no anyOf option: {errors:?}"));
        }
    }
    if let Some(expected) = schema.get("type").and_then(Value::as_str) {
        let ok = match expected {
            "object" => value.is_object(),
            "array" => value.is_array(),
            "string" => value.is_string(),
            "integer" => value.is_i64() || value.is_u64(),
            "number" => value.is_number(),
            "boolean" => value.is_boolean(),
            "null" => value.is_null(),
            other => return Err(format!("{path}: unsupported type {other}")),
        };
        if !ok {
            return Err(format!("{path}: expected {expected}, got {value}"));
        }
    }
    if let Some(constant) = schema.get("const") {
        if constant != value {
            return Err(format!("{path}: expected {constant}, got {value}"));
        }
    }
    if let Some(options) = schema.get("enum").and_then(Value::as_array) {
        if !options.contains(value) {
            return Err(format!("{path}: {value} not in {options:?}"));
        }
    }
    if let Some(object) = value.as_object() {
        for required in schema
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let key = required.as_str().unwrap_or_default();
            if !object.contains_key(key) {
                return Err(format!("{path}: missing required `{key}`"));
            }
        }
        if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
            for (key, property) in properties {
                if let Some(item) = object.get(key) {
                    check(root, property, item, &format!("{path}.{key}"))?;
                }
            }
        }
    }
    if let (Some(items), Some(array)) = (schema.get("items"), value.as_array()) {
        for (index, item) in array.iter().enumerate() {
            check(root, items, item, &format!("{path}[{index}]"))?;
        }
    }
    Ok(())
}
