//! The library's typed errors. The binary turns them into messages and exit codes in one place
//! (`cli::report`), so every error carries what a user needs to act: where, what, and a hint.

use std::fmt;
use std::path::PathBuf;

/// One problem found in a user-editable file (catalog, spec, template), with its location.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Diagnostic {
    /// The file, as the user knows it (`activities/manage-ml-jobs.yaml` or a path they gave).
    pub file: String,
    /// 1-based line, when it could be determined.
    pub line: Option<usize>,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn new(file: impl Into<String>, line: Option<usize>, message: impl Into<String>) -> Self {
        Self {
            file: file.into(),
            line,
            message: message.into(),
            help: None,
        }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{}: {}", self.file, line, self.message)?,
            None => write!(f, "{}: {}", self.file, self.message)?,
        }
        if let Some(help) = &self.help {
            write!(f, "\n  help: {help}")?;
        }
        Ok(())
    }
}

/// Every error the library reports.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The catalog (built-in or `--catalog DIR`) has problems; all of them are listed.
    #[error("the catalog has {} problem(s)", .0.len())]
    Catalog(Vec<Diagnostic>),

    /// A flag or spec field has a value its kind does not allow.
    #[error("invalid value `{}` for {field}: {reason}", printable(value))]
    InvalidValue {
        field: String,
        value: String,
        reason: String,
        help: Option<String>,
    },

    /// Something the chosen persona or activities need was not supplied.
    #[error("{needed_by} needs {what}")]
    Missing {
        what: String,
        needed_by: String,
        help: String,
    },

    /// Flags (or spec fields) that cannot be combined, or an unknown persona/activity.
    #[error("{message}")]
    Usage {
        message: String,
        help: Option<String>,
    },

    /// A role spec file could not be read or understood.
    #[error("{0}")]
    Spec(Diagnostic),

    /// A template failed to render, or rendered something that is not a valid policy.
    #[error("template `{template}`: {message}")]
    Template { template: String, message: String },

    /// The generated policies do not fit IAM's quotas.
    #[error("{message}")]
    Quota { message: String, help: String },

    /// Reading or writing a file failed.
    #[error("{action} `{}`: {source}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// `diff`: the new policies grant more than the old ones (exit status 1, for CI gates).
    #[error("privileges grow")]
    PrivilegesGrow,

    /// `lint` found problems at error level.
    #[error("{errors} finding(s) at error level")]
    Findings { errors: usize },

    /// `--deny-warnings`: the checks of a generated role found warnings; nothing was written.
    #[error("the checks of the generated role found warnings, and `--deny-warnings` refuses it:\n{report}")]
    DeniedWarnings { report: String },

    /// A decision or scenario did not come out as the user expected (`--expect`, `verify`).
    #[error("{message}")]
    Expectation { message: String },

    /// The user cancelled an interactive session (Ctrl-C or Esc).
    #[error("cancelled; nothing was written")]
    Cancelled,

    /// `--no-input` (or no terminal, or `CI=true`) and a question has no answer from the flags.
    #[error("no answer to \"{question}\" and prompting is off (--no-input, CI=true or no terminal): pass `{flag}`")]
    NoInput { question: String, flag: String },

    /// Some specs of `generate --spec-dir` failed; each is listed with its file. The others were
    /// generated; a failed spec wrote nothing, unless `--force` had already replaced part of its
    /// role, which its error then names.
    #[error("{}", spec_dir_summary(*total, failures, out_dir))]
    SpecDir {
        total: usize,
        out_dir: PathBuf,
        failures: Vec<(PathBuf, Error)>,
    },

    /// An output file exists, and the command was not told to replace it (`--force`, where the
    /// command has it).
    #[error("refusing to overwrite `{}`", .path.display())]
    WouldOverwrite { path: PathBuf, force: bool },
}

impl Error {
    /// Exit status documented in README: 1 error, 2 usage (bad flags or values).
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::InvalidValue { .. }
            | Error::Missing { .. }
            | Error::Usage { .. }
            | Error::NoInput { .. } => 2,
            Error::Cancelled => 130,
            Error::Expectation { .. } => 4,
            Error::Findings { .. } => 3,
            _ => 1,
        }
    }

    /// A separate hint line, shown after the message.
    pub fn help(&self) -> Option<String> {
        match self {
            Error::InvalidValue { help, .. } | Error::Usage { help, .. } => help.clone(),
            Error::Missing { help, .. } | Error::Quota { help, .. } => Some(help.clone()),
            Error::WouldOverwrite { force: true, .. } => {
                Some("pass `--force` to replace existing files, or choose another directory".into())
            }
            Error::WouldOverwrite { force: false, .. } => {
                Some("this command never replaces existing files: choose another path".into())
            }
            Error::DeniedWarnings { .. } => Some(
                "fix the catalog statements the findings name (see the bundle's `provenance` for the activity), or drop `--deny-warnings`".into(),
            ),
            _ => None,
        }
    }

    /// Diagnostics that belong to the error (catalog problems, spec problems).
    pub fn diagnostics(&self) -> Vec<Diagnostic> {
        match self {
            Error::Catalog(list) => list.clone(),
            Error::Spec(diagnostic) => vec![diagnostic.clone()],
            _ => Vec::new(),
        }
    }

    pub(crate) fn invalid(
        field: impl Into<String>,
        value: impl Into<String>,
        reason: impl Into<String>,
    ) -> Self {
        Error::InvalidValue {
            field: field.into(),
            value: value.into(),
            reason: reason.into(),
            help: None,
        }
    }

    pub(crate) fn invalid_with_help(
        field: impl Into<String>,
        value: impl Into<String>,
        reason: impl Into<String>,
        help: impl Into<String>,
    ) -> Self {
        Error::InvalidValue {
            field: field.into(),
            value: value.into(),
            reason: reason.into(),
            help: Some(help.into()),
        }
    }
}

/// A value as the user typed it, with control characters escaped: an error message must not
/// break lines or send terminal escape sequences.
fn printable(value: &str) -> String {
    value
        .chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// The `action` of an error after which part of a role stayed written (`--force` replaced a
/// file, or a file could not be removed again).
pub(crate) const PARTLY_WRITTEN: &str = "could not write the whole role into";

fn spec_dir_summary(
    total: usize,
    failures: &[(PathBuf, Error)],
    out_dir: &std::path::Path,
) -> String {
    let failed = failures.len();
    let partly = failures
        .iter()
        .any(|(_, error)| matches!(error, Error::Io { action, .. } if *action == PARTLY_WRITTEN));
    if failed == total && partly {
        format!("all {total} spec(s) failed; some wrote part of their role (see below)")
    } else if failed == total {
        format!("all {total} spec(s) failed; nothing was written")
    } else {
        format!(
            "{failed} of {total} spec(s) failed; the other {} role(s) are in `{}`",
            total - failed,
            out_dir.display()
        )
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
