//! JSON Schemas of the catalog YAML files, for editors (yaml-language-server) and other tools.
//!
//! The schemas are generated from the loader's own raw types (`catalog::RawActivity`,
//! `catalog::RawPersona`) with `schemars`, so they cannot drift from what mlrole accepts: the unit
//! test below regenerates them and compares with `schemas/*.schema.json`; run it with
//! `UPDATE_SCHEMAS=1 cargo test --lib schema` after changing the raw types. The binary embeds the
//! committed files, so `schemars` is only a development dependency.
//!
//! The schema checks shape (keys, types, enums, which list placeholders a `parameters` key may
//! name); `mlrole catalog check` checks everything else (ids, placeholders, actions, references).

/// `schemas/activity.schema.json`.
pub const ACTIVITY: &str = include_str!("../schemas/activity.schema.json");
/// `schemas/persona.schema.json`.
pub const PERSONA: &str = include_str!("../schemas/persona.schema.json");

/// Where the schema files live, relative to a catalog directory made by `mlrole catalog init`.
pub const ACTIVITY_FILE: &str = "schemas/activity.schema.json";
pub const PERSONA_FILE: &str = "schemas/persona.schema.json";

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use crate::catalog::{RawActivity, RawPersona};
    use crate::params;

    fn pretty(value: &Value) -> String {
        let mut text = serde_json::to_string_pretty(value).expect("schema serializes");
        text.push('\n');
        text
    }

    /// The list placeholders, which are the only keys `parameters` and `required_parameters` take.
    fn list_parameters() -> Vec<&'static str> {
        params::PARAMETERS
            .iter()
            .filter(|p| p.list)
            .map(|p| p.name)
            .collect()
    }

    fn activity_schema() -> Value {
        let mut schema = serde_json::to_value(schemars::schema_for!(RawActivity)).unwrap();
        schema["title"] = json!("mlrole activity");
        schema["properties"]["parameters"]["propertyNames"] = json!({ "enum": list_parameters() });
        schema["properties"]["id"]["pattern"] = json!("^[a-z0-9]+(-[a-z0-9]+)*$");
        let statement = &mut schema["$defs"]["RawStatement"]["properties"];
        statement["sid"]["pattern"] = json!("^[A-Za-z0-9]+$");
        statement["actions"]["items"]["pattern"] = json!("^[a-z0-9-]+:[A-Za-z0-9*?]+$");
        schema
    }

    fn persona_schema() -> Value {
        let mut schema = serde_json::to_value(schemars::schema_for!(RawPersona)).unwrap();
        schema["title"] = json!("mlrole persona");
        schema["properties"]["id"]["pattern"] = json!("^[a-z0-9]+(-[a-z0-9]+)*$");
        schema["properties"]["required_parameters"]["items"]["enum"] = json!(list_parameters());
        schema["properties"]["role_name"]["pattern"] = json!("^[A-Za-z0-9+=,.@_-]{1,64}$");
        schema
    }

    /// Regenerates `schemas/<name>` and compares (or, with `UPDATE_SCHEMAS=1`, rewrites it).
    fn check(name: &str, committed: &str, generated: &Value) {
        let generated = pretty(generated);
        if generated == committed {
            return;
        }
        if std::env::var_os("UPDATE_SCHEMAS").is_some() {
            let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(name);
            std::fs::write(&path, &generated).expect("write schema");
            return;
        }
        panic!("{name} is out of date with the catalog's raw types; run `UPDATE_SCHEMAS=1 cargo test --lib schema` and commit it");
    }

    #[test]
    fn schemas_match_the_raw_types() {
        check(super::ACTIVITY_FILE, super::ACTIVITY, &activity_schema());
        check(super::PERSONA_FILE, super::PERSONA, &persona_schema());
    }

    #[test]
    fn schemas_are_strict_objects() {
        for text in [super::ACTIVITY, super::PERSONA] {
            let schema: Value = serde_json::from_str(text).expect("valid JSON");
            assert_eq!(schema["additionalProperties"], json!(false));
            assert_eq!(schema["type"], json!("object"));
        }
    }
}
