//! What a policy change grants and takes away, in effective terms: every (effect, action,
//! resource, condition) a document allows or denies, with action wildcards expanded against the
//! IAM reference, compared between the old and the new documents. Privileges grow when the new
//! documents allow something the old did not, or stop denying something the old denied.

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
}

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
pub fn documents(value: &Value) -> Vec<&Value> {
    match value.get("permission_policies").and_then(Value::as_array) {
        Some(policies) => policies.iter().filter_map(|p| p.get("document")).collect(),
        None => vec![value],
    }
}

/// Every effective grant of some documents.
pub fn grants(documents: &[&Value]) -> BTreeSet<Grant> {
    let reference = reference::get();
    let mut grants = BTreeSet::new();
    for document in documents {
        let statements = match document.get("Statement") {
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
                (None, Some(n)) => strings(Some(n))
                    .into_iter()
                    .map(|r| format!("NotResource:{r}"))
                    .collect(),
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
            for pattern in strings(statement.get("NotAction")) {
                actions.push((format!("NotAction:{pattern}"), "Unknown".into()));
            }
            for (action, level) in actions {
                for resource in &resources {
                    grants.insert(Grant {
                        effect: effect.clone(),
                        action: action.clone(),
                        resource: resource.clone(),
                        condition: condition.clone(),
                        access_level: level.clone(),
                    });
                }
            }
        }
    }
    grants
}

pub fn diff(old: &[&Value], new: &[&Value]) -> Diff {
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

/// Grouped view: access level → action → resources (with condition).
fn grouped(grants: &[Grant]) -> BTreeMap<(String, String), BTreeMap<String, Vec<String>>> {
    let mut groups: BTreeMap<(String, String), BTreeMap<String, Vec<String>>> = BTreeMap::new();
    for grant in grants {
        let resource = if grant.condition.is_empty() {
            grant.resource.clone()
        } else {
            format!("{} if {}", grant.resource, grant.condition)
        };
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
        let grown = diff(&[&old], &[&new]);
        assert!(grown.privileges_grow);
        assert!(
            grown.added.iter().any(|g| g.action == "s3:GetObjectAcl"),
            "{:?}",
            grown.added
        );
        assert!(grown.removed.is_empty());
        let shrunk = diff(&[&new], &[&old]);
        assert!(!shrunk.privileges_grow);
        assert!(diff(&[&old], &[&old]).added.is_empty());
    }

    #[test]
    fn dropping_a_deny_grows_and_key_order_does_not_count() {
        let with_deny = doc(
            r#"{"Statement":[{"Effect":"Deny","Action":"s3:DeleteBucket","Resource":"*"},{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::b","Condition":{"StringLike":{"s3:prefix":["a/*"]},"Bool":{"aws:SecureTransport":"true"}}}]}"#,
        );
        let without = doc(
            r#"{"Statement":[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::b","Condition":{"Bool":{"aws:SecureTransport":"true"},"StringLike":{"s3:prefix":["a/*"]}}}]}"#,
        );
        let change = diff(&[&with_deny], &[&without]);
        assert!(change.privileges_grow);
        assert!(
            change.added.is_empty(),
            "reordered condition keys are the same grant"
        );
        assert_eq!(change.removed.len(), 1);
    }
}
