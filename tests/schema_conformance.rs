//! The JSON Schemas in `schemas/` accept every built-in catalog file and the `catalog init`
//! scaffold, and reject the broken fixtures that are a matter of shape (unknown key, wrong type).
//! A small validator for exactly the keywords the generated schemas use keeps this free of a JSON
//! Schema dependency; `pattern` is left to `mlrole catalog check`, which enforces the same rules.

use std::path::Path;

use serde_json::Value;

fn resolve<'a>(root: &'a Value, schema: &'a Value) -> &'a Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(reference) => {
            let name = reference.strip_prefix("#/$defs/").expect("local $ref");
            resolve(root, &root["$defs"][name])
        }
        None => schema,
    }
}

fn type_ok(expected: &str, value: &Value) -> bool {
    match expected {
        "object" => value.is_object(),
        "array" => value.is_array(),
        "string" => value.is_string(),
        "boolean" => value.is_boolean(),
        "integer" => value.is_i64() || value.is_u64(),
        "number" => value.is_number(),
        "null" => value.is_null(),
        other => panic!("type {other} not handled"),
    }
}

/// Problems of `value` against `schema`, with JSON paths.
fn validate(root: &Value, schema: &Value, value: &Value, path: &str, problems: &mut Vec<String>) {
    let schema = resolve(root, schema);
    if let Some(any_of) = schema.get("anyOf").and_then(Value::as_array) {
        let ok = any_of.iter().any(|option| {
            let mut inner = Vec::new();
            validate(root, option, value, path, &mut inner);
            inner.is_empty()
        });
        if !ok {
            problems.push(format!("{path}: matches no alternative"));
        }
        return;
    }
    if let Some(expected) = schema.get("type") {
        let types: Vec<&str> = match expected {
            Value::String(s) => vec![s.as_str()],
            Value::Array(items) => items.iter().filter_map(Value::as_str).collect(),
            _ => vec![],
        };
        if !types.iter().any(|t| type_ok(t, value)) {
            problems.push(format!("{path}: expected {types:?}, got {value}"));
            return;
        }
    }
    if let Some(choices) = schema.get("enum").and_then(Value::as_array) {
        if !choices.contains(value) {
            problems.push(format!("{path}: {value} is not one of {choices:?}"));
        }
    }
    if let (Some(object), Some(properties)) = (value.as_object(), schema.get("properties")) {
        for required in schema["required"].as_array().into_iter().flatten() {
            if !object.contains_key(required.as_str().unwrap()) {
                problems.push(format!("{path}: missing {required}"));
            }
        }
        for (key, item) in object {
            match properties.get(key) {
                Some(property) => {
                    validate(root, property, item, &format!("{path}.{key}"), problems)
                }
                None if schema["additionalProperties"] == Value::Bool(false) => {
                    problems.push(format!("{path}: unknown key {key}"))
                }
                None => {}
            }
        }
    } else if let Some(object) = value.as_object() {
        for (key, item) in object {
            if let Some(names) = schema.get("propertyNames") {
                validate(
                    root,
                    names,
                    &Value::from(key.clone()),
                    &format!("{path}.{key}"),
                    problems,
                );
            }
            if let Some(additional) = schema.get("additionalProperties").filter(|a| a.is_object()) {
                validate(root, additional, item, &format!("{path}.{key}"), problems);
            }
        }
    }
    if let (Some(items), Some(item_schema)) = (value.as_array(), schema.get("items")) {
        for (index, item) in items.iter().enumerate() {
            validate(
                root,
                item_schema,
                item,
                &format!("{path}[{index}]"),
                problems,
            );
        }
    }
}

fn problems(schema: &Value, yaml: &str) -> Vec<String> {
    let value: Value = serde_yaml::from_str(yaml).expect("YAML");
    let mut problems = Vec::new();
    validate(schema, schema, &value, "$", &mut problems);
    problems
}

fn schema(kind: &str) -> Value {
    serde_json::from_str(match kind {
        "activities" => mlrole::schema::ACTIVITY,
        _ => mlrole::schema::PERSONA,
    })
    .unwrap()
}

#[test]
fn every_built_in_file_matches_its_schema() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut checked = 0;
    for kind in ["activities", "personas"] {
        let schema = schema(kind);
        for entry in std::fs::read_dir(root.join(kind)).unwrap() {
            let path = entry.unwrap().path();
            let found = problems(&schema, &std::fs::read_to_string(&path).unwrap());
            assert!(found.is_empty(), "{}: {found:?}", path.display());
            checked += 1;
        }
    }
    assert!(checked > 30);
}

#[test]
fn the_scaffold_matches_its_schema() {
    for (file, text) in mlrole::scaffold::files() {
        if file.ends_with(".yaml") {
            let kind = file.split('/').next().unwrap();
            let found = problems(&schema(kind), text);
            assert!(found.is_empty(), "{file}: {found:?}");
        }
    }
}

#[test]
fn shape_errors_are_schema_errors() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/broken-catalogs");
    for case in ["unknown-key", "wrong-type"] {
        let dir = root.join(case).join("activities");
        for entry in std::fs::read_dir(dir).unwrap() {
            let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            assert!(!problems(&schema("activities"), &text).is_empty(), "{case}");
        }
    }
    let bad_parameter =
        "id: x\ntitle: X\ndescription: X\nparameters:\n  bucket: required\nstatements: []\n";
    assert!(!problems(&schema("activities"), bad_parameter).is_empty());
}
