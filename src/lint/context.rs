//! Shared state while linting one document: kind, path prefix and findings.

use super::codes::Code;
use super::finding::Finding;
use super::DocumentKind;
use crate::reference::{self, Reference};

pub(crate) struct Ctx {
    pub kind: DocumentKind,
    prefix: String,
    pub findings: Vec<Finding>,
    pub reference: &'static Reference,
}

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
        }
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
pub(crate) fn member(parent: &str, key: &str) -> String {
    let plain = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    match (plain, parent.is_empty()) {
        (true, true) => key.to_string(),
        (true, false) => format!("{parent}.{key}"),
        (false, _) => format!("{parent}[{}]", serde_json::Value::from(key)),
    }
}
