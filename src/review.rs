//! The Markdown review report (`generate --format markdown`): who may assume the role, what each
//! statement grants and which activity needs it and why, the access-level summary, the size
//! budget and the linter's findings — for a pull request.

use serde_json::{json, Value};

use crate::error::Result;
use crate::generate::Generated;
use crate::lint;
use crate::policy::{MANAGED_POLICY_LIMIT, TRUST_POLICY_LIMIT};
use crate::render::Renderer;

/// Table cells must not break the table: `|` escaped, no newlines.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

fn conditions(value: &Value) -> String {
    if value.as_object().is_some_and(|m| m.is_empty()) || value.is_null() {
        String::new()
    } else {
        cell(&value.to_string())
    }
}

pub fn render(renderer: &Renderer, generated: &Generated, max_policies: usize) -> Result<String> {
    let bundle = generated.bundle();
    let trust: Vec<Value> = generated
        .plan
        .trust
        .iter()
        .map(|s| {
            json!({
                "sid": s.sid,
                "principals": s.principal.iter().flat_map(|p| p.values().flatten()).collect::<Vec<_>>(),
                "actions": s.actions,
                "conditions": conditions(&serde_json::to_value(&s.conditions).unwrap_or_default()),
            })
        })
        .collect();
    let policies: Vec<Value> = generated
        .permission_policies
        .iter()
        .zip(generated.permission_policy_characters())
        .zip(&generated.policy_statements)
        .map(|(((name, _), characters), statements)| {
            json!({
                "name": name,
                "characters": characters,
                "limit": MANAGED_POLICY_LIMIT,
                "statements": statements.iter().map(|s| json!({
                    "sid": s.sid,
                    "effect": s.effect.as_str(),
                    "actions": s.actions,
                    "resources": s.resources,
                    "conditions": conditions(&serde_json::to_value(&s.conditions).unwrap_or_default()),
                    "reasons": s.sources.iter().map(|r| json!({"activity": r.activity, "why": cell(r.why.trim())})).collect::<Vec<_>>(),
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    let summary = lint::summary_of_value(&bundle);
    let rows: Vec<Value> = summary
        .services
        .iter()
        .map(|service| {
            let count = |i: usize| service.levels.get(i).map(|l| if l.granted == 0 { "-".to_string() } else { format!("{}/{}", l.granted, l.available) }).unwrap_or_default();
            json!({"service": service.prefix, "list": count(0), "read": count(1), "write": count(2), "permissions": count(3), "tagging": count(4)})
        })
        .collect();
    let mut context = tera::Context::new();
    context.insert("role", &generated.plan.role);
    context.insert("trust", &trust);
    context.insert("policies", &policies);
    context.insert("summary", &json!({"rows": rows, "total": summary.total_granted, "data_version": summary.data_version}));
    context.insert("findings", &generated.findings);
    context.insert(
        "budget",
        &json!({
            "managed_policies": generated.permission_policies.len(),
            "max_policies": max_policies,
            "trust_characters": generated.trust_policy_characters(),
            "trust_limit": TRUST_POLICY_LIMIT,
        }),
    );
    let text = renderer.render_text("review.md.tera", &context)?;
    Ok(format!("{}\n", text.trim()))
}
