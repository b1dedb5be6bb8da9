//! IAM's policy size count and quotas.

use serde_json::Value;

use super::codes::Code;
use super::finding::Finding;
use super::DocumentKind;

/// Quota for a managed policy (and a permissions boundary), in characters.
pub const MANAGED_POLICY_QUOTA: usize = 6_144;
/// Default quota for a role trust policy, in characters.
pub const TRUST_POLICY_QUOTA: usize = 2_048;
/// Quota for all inline policies of one role together, in characters.
pub const INLINE_TOTAL_QUOTA: usize = 10_240;

/// Size of a policy as IAM counts it: characters, not counting whitespace
/// outside string literals.
pub fn size_of(doc: &str) -> usize {
    let mut count = 0;
    let mut in_string = false;
    let mut escaped = false;
    for c in doc.chars() {
        if in_string {
            count += 1;
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
        } else if !c.is_whitespace() {
            count += 1;
            if c == '"' {
                in_string = true;
            }
        }
    }
    count
}

/// [`size_of`] for a parsed document: the size of its compact form.
pub fn size_of_value(doc: &Value) -> usize {
    crate::policy::iam_size(doc)
}

pub(crate) fn quota_for(kind: DocumentKind) -> Option<usize> {
    match kind {
        DocumentKind::Identity | DocumentKind::Boundary => Some(MANAGED_POLICY_QUOTA),
        DocumentKind::Trust => Some(TRUST_POLICY_QUOTA),
        // Resource policy quotas differ per service (S3: 20 KB, ...).
        DocumentKind::Resource => None,
    }
}

pub(crate) fn check(
    findings: &mut Vec<Finding>,
    path: &str,
    size: usize,
    quota: usize,
    kind: DocumentKind,
) {
    if size <= quota {
        return;
    }
    let what = match kind {
        DocumentKind::Trust => "role trust policy",
        DocumentKind::Boundary => "permissions boundary",
        _ => "managed policy",
    };
    findings.push(Finding::new(
        Code::PolicyTooLarge,
        path,
        format!("policy is {size} characters; a {what} may have at most {quota} (whitespace outside strings not counted)"),
        "split the policy into several policies, or merge statements and use wildcards over lists of similar actions",
    ));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_like_iam() {
        assert_eq!(size_of("{ \"a\" : \"b c\" }\n"), "{\"a\":\"b c\"}".len());
        assert_eq!(size_of("[\"\\\"x y\"]"), 9);
        let v: Value = serde_json::from_str("{ \"k\": [1, 2] }").unwrap_or_default();
        assert_eq!(size_of_value(&v), "{\"k\":[1,2]}".len());
    }
}
