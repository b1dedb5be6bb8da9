//! The whole pipeline behind `mlrole generate`: compose, pack into managed policies, render, check
//! quotas, and assemble the bundle (role metadata, trust policy, permission policies, provenance).

use serde_json::{json, Value};
use tera::Context;

use crate::catalog::Catalog;
use crate::compose::{self, PlannedStatement, RolePlan, Target};
use crate::error::{Error, Result};
use crate::policy::{self, MANAGED_POLICY_LIMIT, TRUST_POLICY_LIMIT};
use crate::render::Renderer;
use crate::request::RoleRequest;

/// A generated role.
#[derive(Debug, Clone)]
pub struct Generated {
    pub plan: RolePlan,
    pub trust_policy: Value,
    /// `(policy name, document)` in order.
    pub permission_policies: Vec<(String, Value)>,
    /// Statements of each permission policy, aligned with `permission_policies`.
    pub policy_statements: Vec<Vec<PlannedStatement>>,
}

impl Generated {
    /// The JSON bundle: what `generate` prints and writes as `bundle.json`.
    pub fn bundle(&self) -> Value {
        let policies: Vec<Value> = self
            .permission_policies
            .iter()
            .map(|(name, document)| json!({"name": name, "characters": policy::iam_size(document), "document": document}))
            .collect();
        let provenance: Vec<Value> = self
            .permission_policies
            .iter()
            .zip(&self.policy_statements)
            .flat_map(|((name, _), statements)| {
                statements.iter().map(move |statement| {
                    json!({
                        "policy": name,
                        "sid": statement.sid,
                        "reasons": statement.sources.iter().map(|s| json!({"activity": s.activity, "statement": s.statement, "why": s.why})).collect::<Vec<_>>(),
                    })
                })
            })
            .collect();
        json!({
            "role": self.plan.role,
            "trust_policy": self.trust_policy,
            "permission_policies": policies,
            "budget": {
                "managed_policies": self.permission_policies.len(),
                "policy_character_limit": MANAGED_POLICY_LIMIT,
                "trust_policy_characters": policy::iam_size(&self.trust_policy),
                "trust_policy_character_limit": TRUST_POLICY_LIMIT,
            },
            "provenance": provenance,
        })
    }
}

/// Deterministic policy names: `<role>-permissions`, or `-1`, `-2`, … when split.
pub fn policy_name(role: &str, index: usize, count: usize) -> String {
    if count == 1 {
        format!("{role}-permissions")
    } else {
        format!("{role}-permissions-{}", index + 1)
    }
}

pub fn generate(
    catalog: &Catalog,
    renderer: &Renderer,
    request: &RoleRequest,
) -> Result<Generated> {
    generate_for(catalog, renderer, request, Target::Policy)
}

/// Generates for a deployment target (see [`Target`]).
pub fn generate_for(
    catalog: &Catalog,
    renderer: &Renderer,
    request: &RoleRequest,
    target: Target,
) -> Result<Generated> {
    let plan = compose::compose(catalog, request, target)?;
    let packed = policy::pack(&plan.statements, MANAGED_POLICY_LIMIT, request.max_policies)?;
    let mut permission_policies = Vec::new();
    for (index, statements) in packed.iter().enumerate() {
        let name = policy_name(&request.role_name, index, packed.len());
        let mut context = Context::new();
        context.insert("policy_name", &name);
        context.insert("role", &plan.role);
        context.insert("statements", statements);
        let document = renderer.render_policy("permission-policy.json.tera", &context)?;
        let size = policy::iam_size(&document);
        if size > MANAGED_POLICY_LIMIT {
            return Err(Error::Quota {
                message: format!("policy `{name}` has {size} characters, over IAM's {MANAGED_POLICY_LIMIT}-character limit for a managed policy"),
                help: "a custom template may add too much; check `--templates`".into(),
            });
        }
        permission_policies.push((name, document));
    }
    let mut context = Context::new();
    context.insert("role", &plan.role);
    context.insert("statements", &plan.trust);
    let trust_policy = renderer.render_policy("trust-policy.json.tera", &context)?;
    let trust_size = policy::iam_size(&trust_policy);
    if trust_size > TRUST_POLICY_LIMIT {
        return Err(Error::Quota {
            message: format!("the trust policy has {trust_size} characters, over IAM's default {TRUST_POLICY_LIMIT}-character limit"),
            help: "trust fewer principals".into(),
        });
    }
    Ok(Generated {
        plan,
        trust_policy,
        permission_policies,
        policy_statements: packed,
    })
}
