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
    /// What the linter says about the rendered documents (warnings and suggestions only: an
    /// error-level finding stops generation).
    pub findings: Vec<crate::lint::Finding>,
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
            .flat_map(|((name, _), statements)| provenance(name, statements))
            .collect();
        let mut bundle = json!({
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
        });
        if !self.findings.is_empty() {
            bundle["findings"] = serde_json::to_value(&self.findings).unwrap_or_default();
        }
        bundle
    }

    /// The bundle's policy documents as they will be once deployed (see
    /// [`with_sample_deployment`]), in the bundle's shape so that findings carry the bundle's
    /// paths; without the provenance and budget, which the linter does not read.
    fn deployed_documents(&self) -> Value {
        let policies: Vec<Value> = self
            .permission_policies
            .iter()
            .map(|(name, document)| json!({"name": name, "document": with_sample_deployment(document)}))
            .collect();
        json!({
            "trust_policy": with_sample_deployment(&self.trust_policy),
            "permission_policies": policies,
        })
    }
}

/// Replaces CloudFormation pseudo parameters and Terraform data-source references by sample
/// values of the right shape, so the linter judges the deployed policies.
pub(crate) fn with_sample_deployment(value: &Value) -> Value {
    const SAMPLES: [(&str, &str); 8] = [
        ("${AWS::AccountId}", "123456789012"),
        ("${AWS::Region}", "us-east-1"),
        ("${AWS::Partition}", "aws"),
        ("${AWS::URLSuffix}", "amazonaws.com"),
        (
            "${data.aws_caller_identity.current.account_id}",
            "123456789012",
        ),
        ("${data.aws_region.current.name}", "us-east-1"),
        ("${data.aws_partition.current.partition}", "aws"),
        ("${data.aws_partition.current.dns_suffix}", "amazonaws.com"),
    ];
    match value {
        Value::String(text) if text.contains("${AWS::") || text.contains("${data.") => {
            Value::String(
                SAMPLES
                    .iter()
                    .fold(text.clone(), |acc, (reference, sample)| {
                        acc.replace(reference, sample)
                    }),
            )
        }
        Value::Array(items) => Value::Array(items.iter().map(with_sample_deployment).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), with_sample_deployment(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// The bundle's `provenance` entries of one policy: for every statement, the activity statements
/// that put it there and why.
pub(crate) fn provenance<'a>(
    policy: &'a str,
    statements: &'a [PlannedStatement],
) -> impl Iterator<Item = Value> + 'a {
    statements.iter().map(move |statement| {
        json!({
            "policy": policy,
            "sid": statement.sid,
            "reasons": statement.sources.iter().map(|s| json!({"activity": s.activity, "statement": s.statement, "why": s.why})).collect::<Vec<_>>(),
        })
    })
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
    let mut generated = Generated {
        plan,
        trust_policy,
        permission_policies,
        policy_statements: packed,
        findings: Vec::new(),
    };
    // Everything rendered passes the same checks as `mlrole lint` before anyone sees it.
    // Deployment references (`${AWS::AccountId}`, Terraform data sources) are not IAM variables:
    // check the documents as they will be once deployed, with sample values in their place.
    let findings = crate::lint::lint_bundle(&generated.deployed_documents());
    if crate::lint::has_errors(&findings) {
        return Err(Error::Template {
            template: "permission-policy.json.tera".into(),
            message: format!(
                "the rendered policies fail IAM checks:\n{}",
                crate::lint::render_human(&findings, "generated role")
            ),
        });
    }
    generated.findings = findings;
    Ok(generated)
}

/// Output formats of `generate`.
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    clap::ValueEnum,
    serde::Serialize,
    serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// The bundle: role metadata, trust policy, permission policies, provenance
    #[default]
    Json,
    /// A CloudFormation template (AWS::IAM::Role + AWS::IAM::ManagedPolicy)
    Cloudformation,
    /// Terraform (aws_iam_role + aws_iam_policy + attachments)
    Terraform,
    /// A review report for a pull request (Markdown)
    Markdown,
}

impl Format {
    pub const ALL: [Format; 4] = [
        Format::Json,
        Format::Cloudformation,
        Format::Terraform,
        Format::Markdown,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::Cloudformation => "cloudformation",
            Format::Terraform => "terraform",
            Format::Markdown => "markdown",
        }
    }

    fn iac(self) -> Option<crate::iac::IacFormat> {
        match self {
            Format::Json | Format::Markdown => None,
            Format::Cloudformation => Some(crate::iac::IacFormat::CloudFormation),
            Format::Terraform => Some(crate::iac::IacFormat::Terraform),
        }
    }
}

/// A role in its output format: the text for stdout or `--output`, the files for `--out-dir`.
pub struct Produced {
    pub generated: Generated,
    pub text: String,
    pub files: Vec<(String, String)>,
}

/// Pretty JSON with a final newline: the byte-stable form of every JSON mlrole writes.
pub fn to_pretty(value: &Value) -> String {
    let mut text = serde_json::to_string_pretty(value).unwrap_or_default();
    text.push('\n');
    text
}

/// Generates the role and renders it in `format`.
pub fn produce(
    catalog: &Catalog,
    renderer: &Renderer,
    request: &RoleRequest,
    format: Format,
    inline: bool,
) -> Result<Produced> {
    if format == Format::Markdown {
        if inline {
            return Err(Error::Usage {
                message: "`--inline` applies to `--format cloudformation` and `--format terraform`"
                    .into(),
                help: None,
            });
        }
        let generated = generate(catalog, renderer, request)?;
        let text = crate::review::render(renderer, &generated, request.max_policies)?;
        let files = vec![("review.md".to_string(), text.clone())];
        return Ok(Produced {
            generated,
            text,
            files,
        });
    }
    match format.iac() {
        None => {
            if inline {
                return Err(Error::Usage {
                    message:
                        "`--inline` applies to `--format cloudformation` and `--format terraform`"
                            .into(),
                    help: Some(
                        "the JSON bundle lists the policy documents; attach them as you like"
                            .into(),
                    ),
                });
            }
            let generated = generate(catalog, renderer, request)?;
            let text = to_pretty(&generated.bundle());
            let mut files = vec![(
                "trust-policy.json".to_string(),
                to_pretty(&generated.trust_policy),
            )];
            let count = generated.permission_policies.len();
            for (index, (_, document)) in generated.permission_policies.iter().enumerate() {
                let name = if count == 1 {
                    "permission-policy.json".to_string()
                } else {
                    format!("permission-policy-{}.json", index + 1)
                };
                files.push((name, to_pretty(document)));
            }
            files.push(("bundle.json".to_string(), text.clone()));
            Ok(Produced {
                generated,
                text,
                files,
            })
        }
        Some(iac) => {
            let generated = generate_for(catalog, renderer, request, iac.target())?;
            let text = crate::iac::render(renderer, &generated, iac, inline)?;
            let files = vec![(iac.file_name().to_string(), text.clone())];
            Ok(Produced {
                generated,
                text,
                files,
            })
        }
    }
}
