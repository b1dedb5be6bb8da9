//! What a policy change grants and takes away, in effective terms: every (effect, principal,
//! action, resource, condition) a document allows or denies, with action wildcards expanded
//! against the IAM reference, compared between the old and the new documents. Privileges grow when
//! the new documents allow something the old did not, or stop denying something the old denied.
//!
//! Who a grant applies to matters as much as what it allows: a trust policy that names one more
//! account lets that account act as the role, and a bucket policy that names one more reader
//! opens the bucket to it, without any permission policy changing. So a bundle's trust policy is
//! compared along with its permission policies, and every statement's `Principal` is part of its
//! grants. A `NotPrincipal` (likewise `NotAction`, `NotResource`) set is kept whole as one grant
//! rather than split per entry: "everyone but A and B" is not the union of "everyone but A" and
//! "everyone but B", so any change to the set is a removal and an addition, which counts as
//! growth for an Allow (the new set is new) and for a Deny (the old Deny is dropped). That
//! overstates some narrowing changes, never a widening.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::Value;

use crate::reference::{self, AccessLevel};

/// One effective grant.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Grant {
    pub effect: String,
    pub action: String,
    pub resource: String,
    /// The statement's Condition block as canonical JSON (empty when none).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub condition: String,
    /// Access level from the reference (`Unknown` for actions it does not know).
    pub access_level: String,
    /// One `Principal` entry in canonical form (see [`principals`]), or the whole `NotPrincipal`
    /// set; empty for identity policies, which have none, so their output is as before.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub principal: String,
    /// Where the grant comes from when that changes what it means: `trust_policy` for a bundle's
    /// trust policy (who may assume the role), empty otherwise.
    #[serde(skip_serializing_if = "str::is_empty")]
    pub document: &'static str,
}

/// A policy document and the part of its file it comes from.
#[derive(Debug, Clone, Copy)]
pub struct Document<'a> {
    /// `trust_policy` for a bundle's trust policy, empty for permission policies and plain
    /// documents. Permission policies are not told apart by name: packing moves statements between
    /// managed policies, and a move grants nothing new.
    pub source: &'static str,
    pub body: &'a Value,
}

impl<'a> From<&'a Value> for Document<'a> {
    fn from(body: &'a Value) -> Self {
        Document { source: "", body }
    }
}

/// The bundle key of the trust policy, used as the label of its grants.
pub const TRUST_POLICY: &str = "trust_policy";

/// The comparison.
#[derive(Debug, Clone, Serialize)]
pub struct Diff {
    pub added: Vec<Grant>,
    pub removed: Vec<Grant>,
    /// New Allows, or Denies that were dropped.
    pub privileges_grow: bool,
}

fn strings(value: Option<&Value>) -> Vec<String> {
    match value {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|v| v.as_str().map(String::from))
            .collect(),
        _ => Vec::new(),
    }
}

fn level_name(level: AccessLevel) -> &'static str {
    match level {
        AccessLevel::List => "List",
        AccessLevel::Read => "Read",
        AccessLevel::Write => "Write",
        AccessLevel::PermissionsManagement => "Permissions management",
        AccessLevel::Tagging => "Tagging",
    }
}

/// Sorts condition maps recursively so that key order never counts as a change.
fn canonical(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let sorted: BTreeMap<String, Value> =
                map.iter().map(|(k, v)| (k.clone(), canonical(v))).collect();
            Value::Object(sorted.into_iter().collect())
        }
        Value::Array(items) => {
            let mut items: Vec<Value> = items.iter().map(canonical).collect();
            items.sort_by_key(|v| v.to_string());
            Value::Array(items)
        }
        other => other.clone(),
    }
}

/// The policy documents of a file: a bundle's trust and permission policies, or one document.
pub fn documents(value: &Value) -> Vec<Document<'_>> {
    let trust = value.get(TRUST_POLICY).filter(|t| t.is_object());
    let policies = value.get("permission_policies").and_then(Value::as_array);
    if trust.is_none() && policies.is_none() {
        return vec![Document::from(value)];
    }
    let mut documents: Vec<Document<'_>> = trust
        .map(|body| Document {
            source: TRUST_POLICY,
            body,
        })
        .into_iter()
        .collect();
    documents.extend(
        policies
            .into_iter()
            .flatten()
            .filter_map(|p| p.get("document"))
            .map(Document::from),
    );
    documents
}

/// The canonical text of an `AWS` principal entry. An account id and its root ARN name the same
/// principal (IAM stores the id as the root ARN), as the simulator treats them, so both become
/// `AWS:<account>`; the partition is dropped because a policy can only name principals of its own.
fn aws_principal(value: &str) -> String {
    if value == "*" {
        return "*".to_string();
    }
    let parts: Vec<&str> = value.splitn(6, ':').collect();
    let account = match parts.as_slice() {
        ["arn", _, "iam", "", account, "root"] => *account,
        _ => value,
    };
    format!("AWS:{account}")
}

/// The canonical entries of a `Principal` or `NotPrincipal` value: `*` (also for `{"AWS": "*"}`),
/// `AWS:<account or ARN>`, `Service:<lowercase name>` (service names are case-insensitive),
/// `Federated:…`, `CanonicalUser:…`. A shape IAM would refuse is kept as its canonical JSON, so a
/// change to it still shows rather than vanishing.
pub fn principals(value: &Value) -> Vec<String> {
    let mut entries = BTreeSet::new();
    match value {
        Value::String(s) if s == "*" => {
            entries.insert("*".to_string());
        }
        Value::Object(map) => {
            for (kind, values) in map {
                let texts: Vec<String> = match values {
                    Value::Array(items) => items
                        .iter()
                        .map(|v| {
                            v.as_str()
                                .map_or_else(|| canonical(v).to_string(), String::from)
                        })
                        .collect(),
                    Value::String(s) => vec![s.clone()],
                    other => vec![canonical(other).to_string()],
                };
                for text in texts {
                    entries.insert(match kind.as_str() {
                        "AWS" => aws_principal(&text),
                        "Service" => format!("Service:{}", text.to_lowercase()),
                        _ => format!("{kind}:{text}"),
                    });
                }
            }
        }
        other => {
            entries.insert(canonical(other).to_string());
        }
    }
    entries.into_iter().collect()
}

/// Who a statement applies to, one grant target per entry: `Principal` entries each grant on
/// their own, a `NotPrincipal` set only as a whole (see the module comment), and a statement
/// without either (an identity policy) has the one empty target.
fn targets(statement: &Value) -> Vec<String> {
    match (statement.get("Principal"), statement.get("NotPrincipal")) {
        (Some(principal), _) => principals(principal),
        (None, Some(not)) => vec![format!("NotPrincipal:{}", principals(not).join(", "))],
        (None, None) => vec![String::new()],
    }
}

/// A `NotAction`/`NotResource` list as one sorted, de-duplicated text, so that order and
/// repeats never count as a change.
fn as_set(mut items: Vec<String>) -> String {
    items.sort();
    items.dedup();
    items.join(", ")
}

/// Every effective grant of some documents.
pub fn grants(documents: &[Document<'_>]) -> BTreeSet<Grant> {
    let reference = reference::get();
    let mut grants = BTreeSet::new();
    for document in documents {
        let statements = match document.body.get("Statement") {
            Some(Value::Array(items)) => items.iter().collect(),
            Some(single @ Value::Object(_)) => vec![single],
            _ => Vec::new(),
        };
        for statement in statements {
            let effect = statement
                .get("Effect")
                .and_then(Value::as_str)
                .unwrap_or("Allow")
                .to_string();
            let condition = statement
                .get("Condition")
                .map(|c| canonical(c).to_string())
                .unwrap_or_default();
            let resources = match (statement.get("Resource"), statement.get("NotResource")) {
                (Some(r), _) => strings(Some(r)),
                // "Everything but A and B" is not the union of "everything but A" and
                // "everything but B": the set is one grant, so any change to it is a change.
                (None, Some(n)) => vec![format!("NotResource:{}", as_set(strings(Some(n))))],
                (None, None) => vec!["(no resource)".to_string()],
            };
            let mut actions: Vec<(String, String)> = Vec::new();
            for pattern in strings(statement.get("Action")) {
                let expanded = reference.expand_wildcard(&pattern);
                if expanded.is_empty() {
                    actions.push((pattern, "Unknown".into()));
                } else {
                    actions.extend(
                        expanded
                            .into_iter()
                            .map(|a| (a.full_name(), level_name(a.access_level).to_string())),
                    );
                }
            }
            let not_actions = strings(statement.get("NotAction"));
            if !not_actions.is_empty() {
                // One grant for the whole set, as for NotResource.
                let lowered = not_actions.iter().map(|a| a.to_ascii_lowercase()).collect();
                actions.push((format!("NotAction:{}", as_set(lowered)), "Unknown".into()));
            }
            let targets = targets(statement);
            for (action, level) in actions {
                for resource in &resources {
                    for principal in &targets {
                        grants.insert(Grant {
                            effect: effect.clone(),
                            action: action.clone(),
                            resource: resource.clone(),
                            condition: condition.clone(),
                            access_level: level.clone(),
                            principal: principal.clone(),
                            document: document.source,
                        });
                    }
                }
            }
        }
    }
    grants
}

pub fn diff(old: &[Document<'_>], new: &[Document<'_>]) -> Diff {
    let old = grants(old);
    let new = grants(new);
    let added: Vec<Grant> = new.difference(&old).cloned().collect();
    let removed: Vec<Grant> = old.difference(&new).cloned().collect();
    let privileges_grow =
        added.iter().any(|g| g.effect == "Allow") || removed.iter().any(|g| g.effect == "Deny");
    Diff {
        added,
        removed,
        privileges_grow,
    }
}

/// Grouped view: access level → action → resources (with principal, condition and document).
fn grouped(grants: &[Grant]) -> BTreeMap<(String, String), BTreeMap<String, Vec<String>>> {
    let mut groups: BTreeMap<(String, String), BTreeMap<String, Vec<String>>> = BTreeMap::new();
    for grant in grants {
        let mut resource = grant.resource.clone();
        if !grant.principal.is_empty() {
            resource.push_str(&format!(" for {}", grant.principal));
        }
        if !grant.condition.is_empty() {
            resource.push_str(&format!(" if {}", grant.condition));
        }
        if !grant.document.is_empty() {
            resource.push_str(&format!(" in {}", grant.document));
        }
        groups
            .entry((grant.effect.clone(), grant.access_level.clone()))
            .or_default()
            .entry(grant.action.clone())
            .or_default()
            .push(resource);
    }
    groups
}

/// Markdown for a pull-request comment.
pub fn render_markdown(diff: &Diff, old_label: &str, new_label: &str) -> String {
    let mut text = format!("### IAM changes: `{old_label}` → `{new_label}`\n\n");
    if diff.added.is_empty() && diff.removed.is_empty() {
        text.push_str("No effective change.\n");
        return text;
    }
    text.push_str(if diff.privileges_grow {
        "**Privileges grow.**\n\n"
    } else {
        "Privileges do not grow.\n\n"
    });
    for (title, grants, sign) in [("Added", &diff.added, "+"), ("Removed", &diff.removed, "-")] {
        if grants.is_empty() {
            continue;
        }
        text.push_str(&format!("#### {title} ({})\n\n| | Effect | Access level | Action | Resources |\n|---|---|---|---|---|\n", grants.len()));
        for ((effect, level), actions) in grouped(grants) {
            for (action, resources) in actions {
                text.push_str(&format!(
                    "| {sign} | {effect} | {level} | `{action}` | {} |\n",
                    resources
                        .iter()
                        .map(|r| format!("`{}`", r.replace('|', "\\|")))
                        .collect::<Vec<_>>()
                        .join("<br>")
                ));
            }
        }
        text.push('\n');
    }
    text
}

/// Plain text for a terminal.
pub fn render_human(diff: &Diff) -> String {
    let mut text = String::new();
    for (grants, sign) in [(&diff.added, "+"), (&diff.removed, "-")] {
        for ((effect, level), actions) in grouped(grants) {
            for (action, resources) in actions {
                for resource in resources {
                    text.push_str(&format!(
                        "{sign} {effect:<5} {level:<22} {action} on {resource}\n"
                    ));
                }
            }
        }
    }
    let added = diff.added.len();
    let removed = diff.removed.len();
    text.push_str(&format!(
        "{added} grant(s) added, {removed} removed; privileges {}\n",
        if diff.privileges_grow {
            "GROW"
        } else {
            "do not grow"
        }
    ));
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(text: &str) -> Value {
        serde_json::from_str(text).unwrap()
    }

    #[test]
    fn wildcards_expand_and_growth_is_detected() {
        let old = doc(
            r#"{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}"#,
        );
        let new = doc(
            r#"{"Statement":[{"Effect":"Allow","Action":"s3:GetObject*","Resource":"arn:aws:s3:::b/*"}]}"#,
        );
        let grown = diff(&[(&old).into()], &[(&new).into()]);
        assert!(grown.privileges_grow);
        assert!(
            grown.added.iter().any(|g| g.action == "s3:GetObjectAcl"),
            "{:?}",
            grown.added
        );
        assert!(grown.removed.is_empty());
        let shrunk = diff(&[(&new).into()], &[(&old).into()]);
        assert!(!shrunk.privileges_grow);
        assert!(diff(&[(&old).into()], &[(&old).into()]).added.is_empty());
    }

    #[test]
    fn dropping_a_deny_grows_and_key_order_does_not_count() {
        let with_deny = doc(
            r#"{"Statement":[{"Effect":"Deny","Action":"s3:DeleteBucket","Resource":"*"},{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::b","Condition":{"StringLike":{"s3:prefix":["a/*"]},"Bool":{"aws:SecureTransport":"true"}}}]}"#,
        );
        let without = doc(
            r#"{"Statement":[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::b","Condition":{"Bool":{"aws:SecureTransport":"true"},"StringLike":{"s3:prefix":["a/*"]}}}]}"#,
        );
        let change = diff(&[(&with_deny).into()], &[(&without).into()]);
        assert!(change.privileges_grow);
        assert!(
            change.added.is_empty(),
            "reordered condition keys are the same grant"
        );
        assert_eq!(change.removed.len(), 1);
    }

    fn bundle(trust: &str) -> Value {
        doc(&format!(
            r#"{{"trust_policy":{trust},"permission_policies":[{{"name":"p","document":{{"Statement":[{{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}}]}}}}]}}"#
        ))
    }

    const SAGEMAKER: &str = r#"{"Effect":"Allow","Principal":{"Service":"sagemaker.amazonaws.com"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:SourceAccount":"111122223333"}}}"#;

    fn trust(statements: &[&str]) -> String {
        format!(r#"{{"Statement":[{}]}}"#, statements.join(","))
    }

    fn bundle_diff(old: &Value, new: &Value) -> Diff {
        diff(&documents(old), &documents(new))
    }

    #[test]
    fn a_new_trusted_account_grows_and_is_named() {
        let old = bundle(&trust(&[SAGEMAKER]));
        let new = bundle(&trust(&[
            SAGEMAKER,
            r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":["sts:AssumeRole","sts:SetSourceIdentity"]}"#,
        ]));
        let change = bundle_diff(&old, &new);
        assert!(change.privileges_grow);
        assert_eq!(change.added.len(), 2, "{:?}", change.added);
        assert!(change.removed.is_empty());
        for grant in &change.added {
            assert_eq!(grant.principal, "AWS:444455556666");
            assert_eq!(grant.document, TRUST_POLICY);
        }
        assert!(render_human(&change).contains("for AWS:444455556666 in trust_policy"));

        let back = bundle_diff(&new, &old);
        assert!(!back.privileges_grow, "an untrusted account is a removal");
        assert_eq!(back.removed.len(), 2);
        assert!(bundle_diff(&old, &old.clone()).added.is_empty());
    }

    #[test]
    fn a_loosened_trust_condition_grows() {
        let old = bundle(&trust(&[SAGEMAKER]));
        let new = bundle(&trust(&[
            r#"{"Effect":"Allow","Principal":{"Service":"sagemaker.amazonaws.com"},"Action":"sts:AssumeRole"}"#,
        ]));
        let change = bundle_diff(&old, &new);
        assert!(change.privileges_grow);
        assert_eq!(change.added.len(), 1);
        assert_eq!(change.removed.len(), 1);
        assert_eq!(change.added[0].principal, "Service:sagemaker.amazonaws.com");
        assert!(change.added[0].condition.is_empty());
    }

    #[test]
    fn principal_spellings_of_one_identity_compare_equal() {
        let pairs = [
            (
                r#"{"AWS":"444455556666"}"#,
                r#"{"AWS":["arn:aws:iam::444455556666:root"]}"#,
            ),
            (r#""*""#, r#"{"AWS":"*"}"#),
            (
                r#"{"Service":"SageMaker.amazonaws.com"}"#,
                r#"{"Service":["sagemaker.amazonaws.com"]}"#,
            ),
            (
                r#"{"AWS":["arn:aws:iam::111122223333:role/a","arn:aws:iam::111122223333:role/b"]}"#,
                r#"{"AWS":["arn:aws:iam::111122223333:role/b","arn:aws:iam::111122223333:role/a"]}"#,
            ),
        ];
        for (left, right) in pairs {
            let policy = |principal: &str| {
                doc(&format!(
                    r#"{{"Statement":{{"Effect":"Allow","Principal":{principal},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}}}}"#
                ))
            };
            let (left_doc, right_doc) = (policy(left), policy(right));
            let change = diff(&[(&left_doc).into()], &[(&right_doc).into()]);
            assert!(
                change.added.is_empty() && change.removed.is_empty(),
                "{left} vs {right}: {change:?}"
            );
        }
        assert_eq!(
            principals(&doc(
                r#"{"Federated":"cognito-identity.amazonaws.com","AWS":"arn:aws:iam::111122223333:role/r"}"#
            )),
            [
                "AWS:arn:aws:iam::111122223333:role/r",
                "Federated:cognito-identity.amazonaws.com"
            ]
        );
    }

    #[test]
    fn a_new_resource_policy_principal_grows() {
        let policy = |principals: &str| {
            doc(&format!(
                r#"{{"Statement":[{{"Effect":"Allow","Principal":{{"AWS":[{principals}]}},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}},{{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::b/*","Condition":{{"Bool":{{"aws:SecureTransport":"false"}}}}}}]}}"#
            ))
        };
        let old = policy(r#""arn:aws:iam::111122223333:role/r1""#);
        let new = policy(r#""arn:aws:iam::111122223333:role/r1","999988887777""#);
        let change = diff(&[(&old).into()], &[(&new).into()]);
        assert!(change.privileges_grow);
        assert_eq!(change.added.len(), 1, "{:?}", change.added);
        assert_eq!(change.added[0].principal, "AWS:999988887777");
        assert!(
            change.added[0].document.is_empty(),
            "a plain file has no parts"
        );
        assert!(!diff(&[(&new).into()], &[(&old).into()]).privileges_grow);
    }

    #[test]
    fn any_change_to_a_not_principal_set_grows() {
        let policy = |effect: &str, names: &str| {
            doc(&format!(
                r#"{{"Statement":{{"Effect":"{effect}","NotPrincipal":{{"AWS":[{names}]}},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}}}}"#
            ))
        };
        let one = r#""111122223333""#;
        let two = r#""111122223333","444455556666""#;
        // Allow to everyone but {A, B} → everyone but {A}: B gains access.
        let (old, new) = (policy("Allow", two), policy("Allow", one));
        let change = diff(&[(&old).into()], &[(&new).into()]);
        assert!(change.privileges_grow, "{change:?}");
        assert_eq!(change.added[0].principal, "NotPrincipal:AWS:111122223333");
        // Deny to everyone but {A} → everyone but {A, B}: B is no longer denied.
        let (old, new) = (policy("Deny", one), policy("Deny", two));
        assert!(diff(&[(&old).into()], &[(&new).into()]).privileges_grow);
        // Unchanged sets are no change.
        assert!(diff(&[(&old).into()], &[(&old).into()]).added.is_empty());
    }

    #[test]
    fn any_change_to_a_not_action_or_not_resource_set_grows() {
        let not_action = |names: &str| {
            doc(&format!(
                r#"{{"Statement":{{"Effect":"Allow","NotAction":[{names}],"Resource":"*"}}}}"#
            ))
        };
        // Allow everything but {iam:*, s3:*} → everything but {iam:*}: S3 becomes allowed.
        let (old, new) = (not_action(r#""iam:*","s3:*""#), not_action(r#""iam:*""#));
        let change = diff(&[(&old).into()], &[(&new).into()]);
        assert!(change.privileges_grow, "{change:?}");
        assert_eq!(change.added[0].action, "NotAction:iam:*");
        // Order, case and repeats are no change.
        let same = not_action(r#""S3:*","iam:*","s3:*""#);
        assert!(diff(&[(&old).into()], &[(&same).into()]).added.is_empty());
        let not_resource = |arns: &str| {
            doc(&format!(
                r#"{{"Statement":{{"Effect":"Allow","Action":"s3:GetObject","NotResource":[{arns}]}}}}"#
            ))
        };
        let (old, new) = (
            not_resource(r#""arn:aws:s3:::secret/*","arn:aws:s3:::hr/*""#),
            not_resource(r#""arn:aws:s3:::hr/*""#),
        );
        let change = diff(&[(&old).into()], &[(&new).into()]);
        assert!(change.privileges_grow, "{change:?}");
        assert_eq!(change.added[0].resource, "NotResource:arn:aws:s3:::hr/*");
    }

    #[test]
    fn identity_grants_serialize_as_before() {
        let policy = doc(
            r#"{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}"#,
        );
        let empty = doc(r#"{"Statement":[]}"#);
        let change = diff(&[(&empty).into()], &[(&policy).into()]);
        let json = serde_json::to_value(&change.added[0]).unwrap();
        let keys: Vec<&String> = json.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["effect", "action", "resource", "access_level"]);
    }
}
