//! The one place that parses YAML. serde_yaml is archived upstream; keeping it behind this module
//! means swapping it for another parser touches nothing else.

use serde::de::DeserializeOwned;

/// A YAML problem: the parser's message without its location suffix, and the 1-based line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlError {
    pub message: String,
    pub line: Option<usize>,
}

/// Parses one YAML (or JSON, which is YAML) document into `T`.
pub fn from_str<T: DeserializeOwned>(text: &str) -> Result<T, YamlError> {
    serde_yaml::from_str(text).map_err(|error| {
        let line = error.location().map(|location| location.line());
        let mut message = error.to_string();
        // serde_yaml appends " at line L column C"; the caller prints the line itself.
        if let Some(index) = message.rfind(" at line ") {
            message.truncate(index);
        }
        YamlError { message, line }
    })
}

/// Serialises a value as YAML (used for `--save-spec`-style output and `show`).
pub fn to_string<T: serde::Serialize>(value: &T) -> Result<String, YamlError> {
    serde_yaml::to_string(value).map_err(|error| YamlError {
        message: error.to_string(),
        line: None,
    })
}

/// Checks that `text` is well-formed YAML (tags such as CloudFormation's `!Ref` allowed).
pub fn check_syntax(text: &str) -> Result<(), YamlError> {
    from_str::<serde_yaml::Value>(text).map(|_| ())
}

/// Re-encodes a YAML document as compact JSON. build.rs uses it to store the built-in catalog
/// pre-parsed, because parsing YAML was most of `generate`'s run time; JSON parses many times
/// faster into the same types.
pub fn to_json(text: &str) -> Result<String, YamlError> {
    let value: serde_yaml::Value = from_str(text)?;
    serde_json::to_string(&value).map_err(|error| YamlError {
        message: error.to_string(),
        line: None,
    })
}
