//! Shared state while linting one document: kind, path prefix and findings.

use super::codes::Code;
use super::finding::{Finding, Severity};
use super::DocumentKind;
use crate::reference::{self, Reference};

pub(crate) struct Ctx {
    pub kind: DocumentKind,
    prefix: String,
    findings: Vec<Finding>,
    pub reference: &'static Reference,
    /// Findings past [`MAX_FINDINGS`]: counted, and the worst severity kept, but not stored.
    omitted: usize,
    worst_omitted: Option<Severity>,
}

/// The most findings reported for one document. A policy with more is not a policy someone
/// wrote by hand (80,000 unknown actions took 10 s and 68 MB to report one by one); the rest
/// are summed up in one `too-many-findings` finding, which keeps the worst severity among them
/// so that the exit status does not change.
pub(crate) const MAX_FINDINGS: usize = 1000;

/// Where a finding sits: statement index and Sid, if in a statement.
#[derive(Clone, Copy, Default)]
pub(crate) struct Loc<'a> {
    pub statement: Option<usize>,
    pub sid: Option<&'a str>,
}

impl Ctx {
    pub fn new(kind: DocumentKind, prefix: &str) -> Ctx {
        Ctx {
            kind,
            prefix: prefix.to_string(),
            findings: Vec::new(),
            reference: reference::get(),
            omitted: 0,
            worst_omitted: None,
        }
    }

    /// True once findings are no longer stored: callers skip work that only improves a
    /// finding's text (suggestions searched among hundreds of names).
    pub fn saturated(&self) -> bool {
        self.findings.len() >= MAX_FINDINGS
    }

    /// The document's findings, the omitted ones summed up last.
    pub fn finish(mut self) -> Vec<Finding> {
        if let Some(severity) = self.worst_omitted {
            let mut summary = Finding::new(
                Code::TooManyFindings,
                self.prefix.clone(),
                format!(
                    "{} more finding(s) not shown: mlrole reports the first {MAX_FINDINGS} of a document",
                    self.omitted
                ),
                "fix the findings above and lint again; a policy this broken is probably not the file you meant",
            );
            summary.severity = severity;
            self.findings.push(summary);
        }
        self.findings
    }

    /// Joins the document's prefix and a path inside it.
    pub fn path(&self, rel: &str) -> String {
        join(&self.prefix, rel)
    }

    pub fn push(
        &mut self,
        loc: Loc<'_>,
        code: Code,
        rel_path: &str,
        message: impl Into<String>,
        help: impl Into<String>,
    ) {
        if self.saturated() {
            self.omitted += 1;
            let severity = code.severity();
            self.worst_omitted = Some(self.worst_omitted.map_or(severity, |w| w.min(severity)));
            return;
        }
        let mut f = Finding::new(code, self.path(rel_path), message, help);
        f.statement = loc.statement;
        f.sid = loc.sid.map(str::to_string);
        self.findings.push(f);
    }
}

/// `a.b` joining that tolerates empty parts.
pub(crate) fn join(prefix: &str, rel: &str) -> String {
    match (prefix.is_empty(), rel.is_empty()) {
        (true, _) => rel.to_string(),
        (false, true) => prefix.to_string(),
        (false, false) => format!("{prefix}.{rel}"),
    }
}

/// Path of an object member: `.Name` for plain names, `["odd key"]` otherwise.
pub(crate) use crate::json_keys::member;
