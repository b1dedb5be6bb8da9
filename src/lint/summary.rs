//! Access-level summary: which actions a policy grants, by service and
//! access level, with wildcards expanded against the reference.

use std::collections::{BTreeMap, HashSet};
use std::fmt::Write;

use serde::Serialize;
use serde_json::Value;

use crate::reference::{self, AccessLevel, Action, Reference};

/// Granted actions of one access level in one service.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct LevelSummary {
    pub level: AccessLevel,
    /// How many of the level's actions are granted.
    pub granted: usize,
    /// How many actions of this level the service has.
    pub available: usize,
    /// Granted action names (without prefix), sorted.
    pub actions: Vec<String>,
}

/// Granted actions of one service.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ServiceSummary {
    pub prefix: String,
    pub name: String,
    /// One entry per access level, in [`AccessLevel::ALL`] order.
    pub levels: Vec<LevelSummary>,
}

/// What a policy grants. Allow statements add their actions (NotAction adds
/// every other action); Deny statements without a Condition on `*` (or with
/// no Resource restriction) take theirs away. Resources and other
/// conditions are not considered.
#[derive(Debug, Clone, Serialize, PartialEq, Default)]
pub struct Summary {
    pub services: Vec<ServiceSummary>,
    pub total_granted: usize,
    /// Action entries that match nothing in the reference.
    pub unresolved: Vec<String>,
    pub data_version: String,
}

/// Summarises a policy or a bundle given as JSON text (a bundle's permission
/// policies are combined). Invalid JSON gives an empty summary.
pub fn summary(doc_text: &str) -> Summary {
    match serde_json::from_str::<Value>(super::strip_bom(doc_text)) {
        Ok(v) => summary_of_value(&v),
        Err(_) => Summary {
            data_version: reference::get().data_version().to_string(),
            ..Summary::default()
        },
    }
}

fn statements(doc: &Value) -> Vec<&Value> {
    if let Some(Value::Array(policies)) = doc.get("permission_policies") {
        return policies
            .iter()
            .filter_map(|p| p.get("document"))
            .flat_map(statements)
            .collect();
    }
    match doc.get("Statement") {
        Some(Value::Array(a)) => a.iter().collect(),
        Some(s @ Value::Object(_)) => vec![s],
        _ => Vec::new(),
    }
}

fn strings(v: Option<&Value>) -> Vec<&str> {
    match v {
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

fn all_actions(r: &'static Reference) -> Vec<&'static Action> {
    r.service_prefixes()
        .filter_map(|p| r.service(p))
        .flat_map(|s| s.actions())
        .collect()
}

fn expand(
    r: &'static Reference,
    pattern: &str,
    unresolved: &mut Vec<String>,
) -> Vec<&'static Action> {
    let found = if pattern.contains(['*', '?']) {
        r.expand_wildcard(pattern)
    } else {
        r.action(pattern).into_iter().collect()
    };
    if found.is_empty() && !unresolved.iter().any(|u| u == pattern) {
        unresolved.push(pattern.to_string());
    }
    found
}

/// [`summary`] for a parsed policy or bundle.
pub fn summary_of_value(doc: &Value) -> Summary {
    let r = reference::get();
    let mut granted: HashSet<*const Action> = HashSet::new();
    let mut granted_list: Vec<&'static Action> = Vec::new();
    let mut denied: HashSet<*const Action> = HashSet::new();
    let mut unresolved = Vec::new();
    for s in statements(doc) {
        let effect = s.get("Effect").and_then(Value::as_str);
        let counts = match effect {
            Some("Allow") => true,
            // Only unconditional denies on every resource take actions away.
            Some("Deny") => {
                s.get("Condition").is_none()
                    && s.get("NotResource").is_none()
                    && strings(s.get("Resource")).contains(&"*")
            }
            _ => false,
        };
        if !counts {
            continue;
        }
        let matched: Vec<&'static Action> = if let Some(a) = s.get("Action") {
            strings(Some(a))
                .into_iter()
                .flat_map(|p| expand(r, p, &mut unresolved))
                .collect()
        } else if let Some(na) = s.get("NotAction") {
            let excluded: HashSet<*const Action> = strings(Some(na))
                .into_iter()
                .flat_map(|p| expand(r, p, &mut unresolved))
                .map(|a| a as *const Action)
                .collect();
            all_actions(r)
                .into_iter()
                .filter(|a| !excluded.contains(&(*a as *const Action)))
                .collect()
        } else {
            Vec::new()
        };
        if effect == Some("Allow") {
            for a in matched {
                if granted.insert(a as *const Action) {
                    granted_list.push(a);
                }
            }
        } else {
            denied.extend(matched.into_iter().map(|a| a as *const Action));
        }
    }

    let mut by_service: BTreeMap<&'static str, Vec<&'static Action>> = BTreeMap::new();
    for a in granted_list {
        if !denied.contains(&(a as *const Action)) {
            by_service.entry(a.service()).or_default().push(a);
        }
    }
    let mut total = 0;
    let services = by_service
        .into_iter()
        .map(|(prefix, actions)| {
            total += actions.len();
            let service = r.service(prefix);
            let levels = AccessLevel::ALL
                .iter()
                .map(|&level| {
                    let mut names: Vec<String> = actions
                        .iter()
                        .filter(|a| a.access_level == level)
                        .map(|a| a.name.to_string())
                        .collect();
                    names.sort();
                    LevelSummary {
                        level,
                        granted: names.len(),
                        available: service
                            .map(|s| s.actions().filter(|a| a.access_level == level).count())
                            .unwrap_or(0),
                        actions: names,
                    }
                })
                .collect();
            ServiceSummary {
                name: r.service_name(prefix).unwrap_or_default().to_string(),
                prefix: prefix.to_string(),
                levels,
            }
        })
        .collect();
    Summary {
        services,
        total_granted: total,
        unresolved,
        data_version: r.data_version().to_string(),
    }
}

/// Renders the summary as a table: one row per service, one column per
/// access level, each cell `granted/available` (or `-`).
pub fn render_summary(summary: &Summary) -> String {
    let headers = [
        "Service",
        "List",
        "Read",
        "Write",
        "Permissions mgmt",
        "Tagging",
    ];
    let mut rows: Vec<Vec<String>> = vec![headers.iter().map(|h| h.to_string()).collect()];
    for s in &summary.services {
        let mut row = vec![s.prefix.clone()];
        for l in &s.levels {
            row.push(if l.granted == 0 {
                "-".to_string()
            } else {
                format!("{}/{}", l.granted, l.available)
            });
        }
        rows.push(row);
    }
    let widths: Vec<usize> = (0..headers.len())
        .map(|c| {
            rows.iter()
                .map(|r| r.get(c).map_or(0, |x| x.chars().count()))
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for row in &rows {
        let line: Vec<String> = row
            .iter()
            .enumerate()
            .map(|(c, cell)| {
                if c == 0 {
                    format!("{cell:<w$}", w = widths[c])
                } else {
                    format!("{cell:>w$}", w = widths[c])
                }
            })
            .collect();
        let _ = writeln!(out, "{}", line.join("  ").trim_end());
    }
    let _ = writeln!(
        out,
        "{} actions granted in {} services (IAM data {})",
        summary.total_granted,
        summary.services.len(),
        summary.data_version
    );
    if !summary.unresolved.is_empty() {
        let _ = writeln!(out, "unresolved: {}", summary.unresolved.join(", "));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summarises_wildcards_and_denies() {
        let doc = r#"{"Version":"2012-10-17","Statement":[
            {"Effect":"Allow","Action":["s3:Get*","s3:ListBucket","sagemaker:CreateTrainingJob"],"Resource":"*"},
            {"Effect":"Deny","Action":"s3:GetObject","Resource":"*"}]}"#;
        let s = summary(doc);
        let s3 = s
            .services
            .iter()
            .find(|x| x.prefix == "s3")
            .expect("s3 row");
        let read = s3
            .levels
            .iter()
            .find(|l| l.level == AccessLevel::Read)
            .expect("read");
        assert!(read.granted > 10);
        assert!(!read.actions.contains(&"GetObject".to_string()));
        let list = s3
            .levels
            .iter()
            .find(|l| l.level == AccessLevel::List)
            .expect("list");
        assert_eq!(list.actions, vec!["ListBucket".to_string()]);
        let table = render_summary(&s);
        assert!(table.contains("sagemaker"));
    }
}
