//! Policy linter: checks IAM policy documents against the IAM grammar and the
//! embedded service reference, and summarises the access they grant.
//!
//! Entry points:
//! - [`lint_document`] for one policy whose kind the caller knows;
//! - [`lint_file_contents`] for a file: a bare policy (kind detected) or the
//!   bundle `mlrole generate` writes;
//! - [`size_of`] / [`size_of_value`] for IAM's size count;
//! - [`summary()`] for the access-level table;
//! - [`render_human`] / [`render_summary`] for terminal output (findings
//!   serialise with serde for `--format json`).
//!
//! ```
//! use mlrole::lint::{self, DocumentKind, Severity};
//!
//! let policy = r#"{"Version": "2012-10-17", "Statement": [{"Sid": "Train",
//!     "Effect": "Allow", "Action": "sagemaker:CreateTrainingJobs",
//!     "Resource": "arn:aws:sagemaker:us-east-1:123456789012:training-job/*"}]}"#;
//! let mut findings = lint::lint_document(policy, DocumentKind::Identity);
//! assert_eq!(findings[0].code.as_str(), "unknown-action");
//! assert_eq!(findings[0].path, "Statement[0].Action");
//! assert_eq!(findings[0].help, "did you mean `sagemaker:CreateTrainingJob`?");
//!
//! lint::deny_warnings(&mut findings); // --deny-warnings
//! let exit_code = if lint::has_errors(&findings) { 1 } else { 0 };
//! let json = serde_json::to_string_pretty(&findings).unwrap_or_default(); // --format json
//! let text = lint::render_human(&findings, "policy.json"); // default output
//! assert_eq!(exit_code, 1);
//! assert!(json.contains("\"severity\": \"error\"") && text.starts_with("error[unknown-action]"));
//! assert!(findings.iter().all(|f| f.severity != Severity::Warning));
//! ```

mod actions;
mod bundle;
mod codes;
mod conditions;
mod context;
mod document;
mod finding;
mod principals;
mod render;
mod resources;
mod size;
mod suggest;
mod summary;
mod variables;

use serde::Serialize;
use serde_json::Value;

pub use codes::Code;
pub use finding::{deny_warnings, has_errors, Finding, Severity};
pub use render::render_human;
pub use resources::star_is_expected;
pub use size::{
    size_of, size_of_value, INLINE_TOTAL_QUOTA, MANAGED_POLICY_QUOTA, TRUST_POLICY_QUOTA,
};
pub use summary::{
    render_summary, summary, summary_of_value, LevelSummary, ServiceSummary, Summary,
};

/// What a policy document is attached as; decides which elements are allowed
/// and which size quota applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DocumentKind {
    /// Identity-based policy (managed or inline) on a user, group or role.
    Identity,
    /// A role's trust policy (who may assume it).
    Trust,
    /// A resource-based policy such as an S3 bucket policy.
    Resource,
    /// A permissions boundary.
    Boundary,
}

impl DocumentKind {
    /// Parses `identity`, `trust`, `resource` or `boundary` (for CLI flags).
    pub fn from_name(name: &str) -> Option<DocumentKind> {
        match name.to_ascii_lowercase().as_str() {
            "identity" => Some(DocumentKind::Identity),
            "trust" => Some(DocumentKind::Trust),
            "resource" => Some(DocumentKind::Resource),
            "boundary" => Some(DocumentKind::Boundary),
            _ => None,
        }
    }
}

impl std::str::FromStr for DocumentKind {
    type Err = String;

    /// For clap's `value_parser!`: `identity`, `trust`, `resource`, `boundary`.
    fn from_str(s: &str) -> Result<DocumentKind, String> {
        DocumentKind::from_name(s).ok_or_else(|| {
            format!("`{s}` is not a policy kind (identity, trust, resource, boundary)")
        })
    }
}

/// Lints one policy document given as JSON text.
pub fn lint_document(doc_text: &str, kind: DocumentKind) -> Vec<Finding> {
    let doc_text = strip_bom(doc_text);
    let value: Value = match serde_json::from_str(doc_text) {
        Ok(v) => v,
        Err(e) => return vec![json_error(&e)],
    };
    if let Some(findings) = duplicate_key_findings(doc_text) {
        return findings;
    }
    let mut findings = lint_value(&value, kind);
    if let Some(quota) = size::quota_for(kind) {
        size::check(&mut findings, "", size_of(doc_text), quota, kind);
    }
    findings
}

/// Lints an already parsed policy document. Paths are relative to it. Does
/// not check the size quota (the text is not known); see [`size_of_value`].
pub fn lint_value(doc: &Value, kind: DocumentKind) -> Vec<Finding> {
    let mut ctx = context::Ctx::new(kind, "");
    document::lint(&mut ctx, doc);
    ctx.finish()
}

/// Lints a file's contents: either the bundle `mlrole generate` writes
/// (an object with `permission_policies`; each document is linted with its
/// JSON path as prefix) or a single policy, whose kind is detected with
/// [`detect_kind`].
pub fn lint_file_contents(text: &str) -> Vec<Finding> {
    let text = strip_bom(text);
    let value: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => return vec![json_error(&e)],
    };
    if let Some(findings) = duplicate_key_findings(text) {
        return findings;
    }
    if bundle::is_bundle(&value) {
        return bundle::lint(&value);
    }
    let kind = detect_kind(&value);
    let mut findings = lint_value(&value, kind);
    if let Some(quota) = size::quota_for(kind) {
        size::check(&mut findings, "", size_of(text), quota, kind);
    }
    findings
}

/// A document with a repeated key gets only these findings, as one that is not JSON gets only
/// `json-syntax`: the parsed value kept one of each repeated key's values, so any other finding
/// would be about a document that is not the file. At most [`context::MAX_FINDINGS`], the rest
/// counted in a `too-many-findings` finding.
fn duplicate_key_findings(text: &str) -> Option<Vec<Finding>> {
    let duplicates = crate::json_keys::duplicate_keys(text);
    if duplicates.total == 0 {
        return None;
    }
    let shown = duplicates.first.len().min(context::MAX_FINDINGS);
    let mut findings: Vec<Finding> = duplicates
        .first
        .into_iter()
        .take(shown)
        .map(|duplicate| {
            Finding::new(
                Code::DuplicateKey,
                duplicate.path(),
                format!(
                    "`{}` is given twice in {}; JSON readers keep only one of its values, and IAM does not document which, so the document is not linted further",
                    duplicate.key,
                    duplicate.object_name()
                ),
                "give the key once: merge the two values (or, for condition operators, the two blocks) into one",
            )
        })
        .collect();
    if duplicates.total > shown {
        let mut summary = Finding::new(
            Code::TooManyFindings,
            "",
            format!(
                "{} more finding(s) not shown: mlrole reports the first {} of a document",
                duplicates.total - shown,
                context::MAX_FINDINGS
            ),
            "fix the findings above and lint again; a policy this broken is probably not the file you meant",
        );
        summary.severity = Code::DuplicateKey.severity();
        findings.push(summary);
    }
    Some(findings)
}

/// Lints a parsed bundle (see [`lint_file_contents`] for its shape), for
/// callers that hold it as a value: each document is linted with its JSON
/// path as prefix, and sizes are checked on the compact serialisation.
pub fn lint_bundle(bundle: &Value) -> Vec<Finding> {
    bundle::lint(bundle)
}

/// Lints a generated role's trust policy and permission policies exactly as [`lint_bundle`] lints
/// a bundle holding them (same paths), without building the bundle.
pub fn lint_role_documents(trust: &Value, permission_policies: &[&Value]) -> Vec<Finding> {
    bundle::lint_role(trust, permission_policies)
}

/// Guesses a bare policy's kind: statements with a Principal make it a trust
/// policy when they only allow `sts:AssumeRole*` actions, else a resource
/// policy; without a Principal it is an identity policy.
pub fn detect_kind(doc: &Value) -> DocumentKind {
    let statements: Vec<&Value> = match doc.get("Statement") {
        Some(Value::Array(a)) => a.iter().collect(),
        Some(s @ Value::Object(_)) => vec![s],
        _ => return DocumentKind::Identity,
    };
    let has_principal = statements
        .iter()
        .any(|s| s.get("Principal").is_some() || s.get("NotPrincipal").is_some());
    if !has_principal {
        return DocumentKind::Identity;
    }
    let assume_only = statements.iter().all(|s| {
        let actions: Vec<&str> = match s.get("Action") {
            Some(Value::String(a)) => vec![a.as_str()],
            Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        !actions.is_empty()
            && actions.iter().all(|a| {
                let l = a.to_ascii_lowercase();
                l.starts_with("sts:assumerole")
                    || l == "sts:tagsession"
                    || l == "sts:setsourceidentity"
                    || l == "sts:setcontext"
            })
    });
    if assume_only {
        DocumentKind::Trust
    } else {
        DocumentKind::Resource
    }
}

/// Editors on Windows may start files with a byte-order mark; IAM and
/// serde_json do not accept it, but it is not the author's mistake.
pub(crate) fn strip_bom(text: &str) -> &str {
    text.strip_prefix('\u{feff}').unwrap_or(text)
}

fn json_error(e: &serde_json::Error) -> Finding {
    Finding::new(
        Code::JsonSyntax,
        "",
        format!("invalid JSON: {e}"),
        format!(
            "fix the JSON syntax at line {}, column {}",
            e.line(),
            e.column()
        ),
    )
}

/// For generators: lints a rendered document and turns error-level findings into an error that
/// shows them (a generator must never hand out a policy its own linter rejects).
pub fn require_clean(document: &Value, kind: DocumentKind, template: &str) -> crate::Result<()> {
    let findings = lint_value(document, kind);
    if has_errors(&findings) {
        return Err(crate::Error::Template {
            template: template.into(),
            message: format!(
                "the rendered policy fails IAM checks:\n{}",
                render_human(&findings, "rendered policy")
            ),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_kebab_case_and_documented() {
        let mut seen = std::collections::HashSet::new();
        for code in Code::ALL {
            let name = code.as_str();
            assert!(seen.insert(name), "duplicate code {name}");
            assert!(
                !name.is_empty()
                    && !name.starts_with('-')
                    && !name.ends_with('-')
                    && !name.contains("--")
                    && name
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                "{name} is not kebab-case"
            );
            assert!(!code.doc().is_empty());
            assert_eq!(Code::from_name(name), Some(*code));
        }
    }

    #[test]
    fn repeated_keys_are_the_only_findings_and_keep_the_cap() {
        // Found by review: 1,200 statements with `Effect` twice gave 2,002 findings.
        let statement =
            r#"{"Effect":"Allow","Effect":"Deny","Action":"s3:GetObject","Resource":"*"}"#;
        let text = format!(
            r#"{{"Version":"2012-10-17","Statement":[{}]}}"#,
            vec![statement; 1200].join(",")
        );
        for findings in [
            lint_file_contents(&text),
            lint_document(&text, DocumentKind::Identity),
        ] {
            assert_eq!(findings.len(), context::MAX_FINDINGS + 1);
            assert!(findings[..context::MAX_FINDINGS]
                .iter()
                .all(|f| f.code == Code::DuplicateKey));
            let summary = &findings[context::MAX_FINDINGS];
            assert_eq!(summary.code, Code::TooManyFindings);
            assert_eq!(summary.severity, Severity::Error);
            assert!(
                summary.message.starts_with("200 more finding(s)"),
                "{}",
                summary.message
            );
        }
        assert_eq!(
            lint_file_contents(r#"{"Version":"2012-10-17","Statement":[],"Statement":[]}"#)
                .iter()
                .map(|f| (f.code, f.path.as_str()))
                .collect::<Vec<_>>(),
            [(Code::DuplicateKey, "Statement")]
        );
    }
}
