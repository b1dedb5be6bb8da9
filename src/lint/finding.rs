//! What the linter reports: findings and their severities.

use serde::Serialize;

use super::codes::Code;

/// How bad a finding is. Ordered: `Error` is the most severe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Suggestion,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Suggestion => "suggestion",
        }
    }
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One problem found in a policy.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub code: Code,
    pub severity: Severity,
    /// Index of the statement in its policy's `Statement` array, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub statement: Option<usize>,
    /// The statement's Sid, if it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    /// Where in the file: e.g. `Statement[2].Resource[0]`, or
    /// `permission_policies[0].document.Statement[2].Resource[0]` in a bundle.
    pub path: String,
    pub message: String,
    pub help: String,
}

impl Finding {
    /// A finding with the code's default severity, not tied to a statement.
    pub fn new(
        code: Code,
        path: impl Into<String>,
        message: impl Into<String>,
        help: impl Into<String>,
    ) -> Finding {
        Finding {
            code,
            severity: code.severity(),
            statement: None,
            sid: None,
            path: path.into(),
            message: message.into(),
            help: help.into(),
        }
    }
}

/// Promotes warnings to errors (for `--deny-warnings`).
pub fn deny_warnings(findings: &mut [Finding]) {
    for f in findings {
        if f.severity == Severity::Warning {
            f.severity = Severity::Error;
        }
    }
}

/// True if any finding is an error (the CLI's exit status).
pub fn has_errors(findings: &[Finding]) -> bool {
    findings.iter().any(|f| f.severity == Severity::Error)
}
