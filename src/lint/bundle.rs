//! The bundle `mlrole generate` writes: a role, its trust policy, its
//! permission policies and optionally a permissions boundary, in one JSON
//! object. Each document is linted with its JSON path as prefix.
//!
//! Shape: `{"role": {...}, "trust_policy": {doc},
//! "permission_policies": [{"name": "...", "document": {doc}, "kind": "managed"|"inline"}],
//! "permissions_boundary": {doc}}`. `kind` is optional: entries are held to
//! the managed-policy quota (6,144) each; entries marked `inline` are also
//! held together to the per-role inline quota (10,240).

use serde_json::Value;

use super::codes::Code;
use super::context::Ctx;
use super::finding::Finding;
use super::size::{self, size_of_value, INLINE_TOTAL_QUOTA};
use super::{document, DocumentKind};

pub(crate) fn is_bundle(v: &Value) -> bool {
    v.get("permission_policies").is_some()
}

fn lint_doc(findings: &mut Vec<Finding>, doc: &Value, kind: DocumentKind, prefix: &str) {
    let mut ctx = Ctx::new(kind, prefix);
    document::lint(&mut ctx, doc);
    findings.append(&mut ctx.finish());
    if doc.is_object() {
        if let Some(quota) = size::quota_for(kind) {
            size::check(findings, prefix, size_of_value(doc), quota, kind);
        }
    }
}

fn shape_error(findings: &mut Vec<Finding>, path: &str, message: &str) {
    findings.push(Finding::new(
        Code::InvalidDocument,
        path,
        message,
        "write the bundle as mlrole generate does: {\"trust_policy\": {...}, \"permission_policies\": [{\"name\": ..., \"document\": {...}}]}",
    ));
}

fn lint_permission_policy(findings: &mut Vec<Finding>, index: usize, doc: &Value) {
    let prefix = format!("permission_policies[{index}].document");
    lint_doc(findings, doc, DocumentKind::Identity, &prefix);
}

/// A generated role's documents, with the paths they have in its bundle.
pub(crate) fn lint_role(trust: &Value, permission_policies: &[&Value]) -> Vec<Finding> {
    let mut findings = Vec::new();
    lint_doc(&mut findings, trust, DocumentKind::Trust, "trust_policy");
    for (index, doc) in permission_policies.iter().enumerate() {
        lint_permission_policy(&mut findings, index, doc);
    }
    findings
}

pub(crate) fn lint(bundle: &Value) -> Vec<Finding> {
    let mut findings = Vec::new();
    if let Some(trust) = bundle.get("trust_policy") {
        lint_doc(&mut findings, trust, DocumentKind::Trust, "trust_policy");
    }
    match bundle.get("permission_policies") {
        Some(Value::Array(policies)) => {
            let mut inline_total = 0;
            for (i, entry) in policies.iter().enumerate() {
                let Some(doc) = entry.get("document") else {
                    shape_error(
                        &mut findings,
                        &format!("permission_policies[{i}]"),
                        "a permission policy entry needs a `document` object",
                    );
                    continue;
                };
                lint_permission_policy(&mut findings, i, doc);
                if entry.get("kind").and_then(Value::as_str) == Some("inline") {
                    inline_total += size_of_value(doc);
                }
            }
            if inline_total > INLINE_TOTAL_QUOTA {
                findings.push(Finding::new(
                    Code::PolicyTooLarge,
                    "permission_policies",
                    format!("the inline policies total {inline_total} characters; a role's inline policies may have at most {INLINE_TOTAL_QUOTA} together"),
                    "turn some inline policies into managed policies",
                ));
            }
        }
        _ => shape_error(
            &mut findings,
            "permission_policies",
            "`permission_policies` must be an array",
        ),
    }
    if let Some(boundary) = bundle.get("permissions_boundary") {
        let doc = boundary.get("document").unwrap_or(boundary);
        lint_doc(
            &mut findings,
            doc,
            DocumentKind::Boundary,
            "permissions_boundary",
        );
    }
    findings
}
