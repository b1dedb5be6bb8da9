//! The one place that parses YAML. serde_yaml is archived upstream; keeping it behind this module
//! means swapping it for another parser touches nothing else.

use serde::de::DeserializeOwned;

/// A YAML problem: the parser's message without its location suffix, and the 1-based line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlError {
    pub message: String,
    pub line: Option<usize>,
    /// What to do about it, when the parser's message alone does not say.
    pub help: Option<&'static str>,
}

/// Parses one YAML (or JSON, which is YAML) document into `T`, refusing a key given twice in
/// any mapping.
///
/// serde_yaml keeps the last of two equal keys when it fills a map type (tags, a condition's
/// keys), so `cloudwatch:namespace` given twice would silently lose the narrower value. Its own
/// `Value` refuses them, with the path and line; a document is read into it first for that.
pub fn from_str<T: DeserializeOwned>(text: &str) -> Result<T, YamlError> {
    serde_yaml::from_str::<serde_yaml::Value>(text).map_err(|error| {
        let mut error = yaml_error(error);
        if let Some(key) = duplicated_key(&error.message) {
            error.help =
                Some("a key may appear once in a mapping: keep one of them, or merge their values");
            error.line = error.line.map(|start| repeat_line(text, start, key));
        }
        error
    })?;
    serde_yaml::from_str(text).map_err(yaml_error)
}

/// The key of serde_yaml's `duplicate entry with key "K"` message.
fn duplicated_key(message: &str) -> Option<&str> {
    let (_, quoted) = message.split_once("duplicate entry with key \"")?;
    quoted.strip_suffix('"')
}

/// serde_yaml reports the line where the mapping starts; the line that repeats the key is the
/// one to edit. Found for block mappings (the key at the start of a line, at the mapping's
/// indentation); otherwise the mapping's line stays.
fn repeat_line(text: &str, mapping_line: usize, key: &str) -> usize {
    let lines: Vec<&str> = text.lines().collect();
    let Some(first) = lines.get(mapping_line.saturating_sub(1)) else {
        return mapping_line;
    };
    let content = first.trim_start_matches([' ', '-']);
    let indent = first.len() - content.len();
    let names_key = |line: &str| {
        [key.to_string(), format!("\"{key}\""), format!("'{key}'")]
            .iter()
            .any(|spelling| {
                line.strip_prefix(spelling.as_str())
                    .is_some_and(|rest| rest.trim_start().starts_with(':'))
            })
    };
    let mut seen = names_key(content);
    for (offset, line) in lines.iter().enumerate().skip(mapping_line) {
        let body = line.trim_start();
        if body.is_empty() || body.starts_with('#') {
            continue;
        }
        let line_indent = line.len() - body.len();
        if line_indent < indent {
            break;
        }
        if line_indent == indent && names_key(body) {
            if seen {
                return offset + 1;
            }
            seen = true;
        }
    }
    mapping_line
}

fn yaml_error(error: serde_yaml::Error) -> YamlError {
    let line = error.location().map(|location| location.line());
    let mut message = error.to_string();
    // serde_yaml appends " at line L column C"; the caller prints the line itself.
    if let Some(index) = message.rfind(" at line ") {
        message.truncate(index);
    }
    YamlError {
        message,
        line,
        help: None,
    }
}

/// Serialises a value as YAML (used for `--save-spec`-style output and `show`).
pub fn to_string<T: serde::Serialize>(value: &T) -> Result<String, YamlError> {
    serde_yaml::to_string(value).map_err(|error| YamlError {
        message: error.to_string(),
        line: None,
        help: None,
    })
}

/// Checks that `text` is well-formed YAML (tags such as CloudFormation's `!Ref` allowed).
pub fn check_syntax(text: &str) -> Result<(), YamlError> {
    serde_yaml::from_str::<serde_yaml::Value>(text)
        .map(|_| ())
        .map_err(yaml_error)
}

/// Re-encodes a YAML document as compact JSON. build.rs uses it to store the built-in catalog
/// pre-parsed, because parsing YAML was most of `generate`'s run time; JSON parses many times
/// faster into the same types.
pub fn to_json(text: &str) -> Result<String, YamlError> {
    let value: serde_yaml::Value = serde_yaml::from_str(text).map_err(yaml_error)?;
    serde_json::to_string(&value).map_err(|error| YamlError {
        message: error.to_string(),
        line: None,
        help: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn a_key_given_twice_is_refused_at_its_second_line_even_where_a_map_would_keep_one() {
        let text = "tags:\n  team: a\n  # a comment\n\n  team: b\n";
        let error = from_str::<BTreeMap<String, BTreeMap<String, String>>>(text).unwrap_err();
        assert_eq!(error.message, "tags: duplicate entry with key \"team\"");
        assert_eq!(error.line, Some(5));
        assert!(error.help.is_some());
    }

    #[test]
    fn the_repeat_is_found_in_list_items_and_with_quoted_spellings() {
        let text = "b:\n  - c: 1\n    d: 2\n    \"c\": 3\n";
        let error = from_str::<serde_yaml::Value>(text).unwrap_err();
        assert_eq!(error.line, Some(4));
    }

    #[test]
    fn a_key_of_a_nested_mapping_with_the_same_name_is_not_the_repeat() {
        let text = "a:\n  x: 1\n  y:\n    x: 2\n  x: 3\n";
        let error = from_str::<serde_yaml::Value>(text).unwrap_err();
        assert_eq!(error.line, Some(5));
    }

    #[test]
    fn a_flow_mapping_keeps_the_mapping_line() {
        let error = from_str::<serde_yaml::Value>("k: 0\ntags: {a: 1, a: 2}\n").unwrap_err();
        assert_eq!(error.message, "tags: duplicate entry with key \"a\"");
        assert_eq!(error.line, Some(2));
    }

    #[test]
    fn equal_keys_in_different_mappings_are_fine() {
        let text = "a:\n  x: 1\nb:\n  x: 2\n";
        assert!(from_str::<serde_yaml::Value>(text).is_ok());
    }
}
