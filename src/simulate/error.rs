//! Typed errors. Every policy error names the JSON path of the offending
//! element (e.g. `Statement[2].Condition.StringEquals`) so a user can find it.

use thiserror::Error;

/// A policy document could not be compiled.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ParseError {
    /// The text is not JSON at all.
    #[error("invalid JSON: {0}")]
    Json(String),
    /// An element has the wrong JSON type.
    #[error("{path}: expected {expected}, found {found}")]
    WrongType {
        path: String,
        expected: &'static str,
        found: &'static str,
    },
    /// A required element is absent.
    #[error("{path}: missing {expected}")]
    Missing {
        path: String,
        expected: &'static str,
    },
    /// An element IAM does not know in this position.
    #[error("{path}: unknown element `{name}`; expected one of {expected}")]
    UnknownElement {
        path: String,
        name: String,
        expected: &'static str,
    },
    /// A value that does not have the required form.
    #[error("{path}: invalid value `{value}`; expected {expected}")]
    InvalidValue {
        path: String,
        value: String,
        expected: &'static str,
    },
    /// Mutually exclusive elements used together (e.g. Action and NotAction).
    #[error("{path}: `{a}` and `{b}` cannot both be present")]
    Conflict {
        path: String,
        a: &'static str,
        b: &'static str,
    },
}

impl ParseError {
    /// The JSON path of the offending element (empty for [`ParseError::Json`]).
    pub fn path(&self) -> &str {
        match self {
            ParseError::Json(_) => "",
            ParseError::WrongType { path, .. }
            | ParseError::Missing { path, .. }
            | ParseError::UnknownElement { path, .. }
            | ParseError::InvalidValue { path, .. }
            | ParseError::Conflict { path, .. } => path,
        }
    }
}

/// Batch-level failure: only I/O on the streams aborts a batch; bad lines
/// become error lines in the output.
#[derive(Debug, Error)]
pub enum BatchError {
    #[error("reading batch input: {0}")]
    Read(#[source] std::io::Error),
    #[error("writing batch output: {0}")]
    Write(#[source] std::io::Error),
}

/// Name of a JSON value's type, for error messages.
pub(crate) fn json_type(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}
