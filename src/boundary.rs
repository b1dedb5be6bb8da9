//! Permissions boundaries for a persona: the "guardrail" use case of Role Manager's documentation.
//! A persona's users may create their own job roles, but only with a boundary that caps those roles
//! at the persona's own permissions.
//!
//! Two policies come out of the same pipeline as `generate` (catalog → request → compose → pack →
//! render):
//! - the **boundary policy**: the persona's permission statements in one managed policy (a
//!   boundary is a single policy), to be set as the permissions boundary of every job role;
//! - the **role-creation policy**: attached to the persona's role next to its permissions; it lets
//!   the persona create, change and pass roles under one IAM path only when they carry that
//!   boundary (`iam:PermissionsBoundary`), and denies removing the boundary or changing the
//!   boundary policy itself.

use std::collections::BTreeMap;

use serde_json::{json, Value};
use tera::Context;

use crate::catalog::{Catalog, Effect};
use crate::compose::{self, Conditions, PlannedStatement, RolePlan, Source, OWN_ACCOUNT_VARIABLE};
use crate::error::{Error, Result};
use crate::policy::{self, MANAGED_POLICY_LIMIT};
use crate::render::Renderer;
use crate::request::RoleRequest;
use crate::validate;

/// Choices that only the boundary has (everything else comes from the [`RoleRequest`]).
#[derive(Debug, Clone, Default)]
pub struct BoundaryOptions {
    /// Name of the boundary policy (default `<role name>-boundary`).
    pub boundary_name: Option<String>,
    /// IAM path the persona's users create their job roles under (default `/mlrole/<persona>/`).
    pub job_role_path: Option<String>,
}

/// A generated boundary and the role-creation policy that enforces it.
#[derive(Debug, Clone)]
pub struct Boundary {
    pub plan: RolePlan,
    pub boundary_name: String,
    pub boundary_arn: String,
    pub boundary_policy: Value,
    pub boundary_statements: Vec<PlannedStatement>,
    pub creation_name: String,
    pub creation_policy: Value,
    pub creation_statements: Vec<PlannedStatement>,
    pub job_role_path: String,
    /// Where the boundary had to be coarser than the role to fit one policy (empty when exact).
    pub notes: Vec<String>,
}

impl Boundary {
    /// The JSON bundle `mlrole boundary` prints.
    pub fn bundle(&self) -> Value {
        let provenance: Vec<_> = [
            (&self.boundary_name, &self.boundary_statements),
            (&self.creation_name, &self.creation_statements),
        ]
        .into_iter()
        .flat_map(|(name, statements)| crate::generate::provenance_entries(name, statements))
        .collect();
        json!({
            "role": self.plan.role,
            "boundary_policy": {
                "name": self.boundary_name,
                "path": "/",
                "arn": self.boundary_arn,
                "characters": policy::iam_size(&self.boundary_policy),
                "document": self.boundary_policy,
            },
            "role_creation_policy": {
                "name": self.creation_name,
                "characters": policy::iam_size(&self.creation_policy),
                "document": self.creation_policy,
            },
            "job_role_path": self.job_role_path,
            "notes": self.notes,
            "provenance": provenance,
        })
    }
}

/// Builds the boundary of the request's persona. The request must name a persona.
pub fn boundary(
    catalog: &Catalog,
    renderer: &Renderer,
    request: &RoleRequest,
    options: &BoundaryOptions,
) -> Result<Boundary> {
    let Some(persona) = request.persona.clone() else {
        return Err(Error::Usage {
            message: "a permissions boundary is made for a persona".into(),
            help: Some("add `--persona ID` (see `mlrole list personas`)".into()),
        });
    };
    let boundary_name = match &options.boundary_name {
        Some(name) => policy_name(name, "--boundary-name")?,
        None => format!("{}-boundary", request.role_name),
    };
    let creation_name = format!("{}-create-job-roles", request.role_name);
    let job_role_path = validate::role_path(
        options
            .job_role_path
            .as_deref()
            .unwrap_or(&format!("/mlrole/{persona}/")),
        "--job-role-path",
    )?;
    let partition = request.partition.as_str();
    let account = request
        .account
        .clone()
        .unwrap_or_else(|| OWN_ACCOUNT_VARIABLE.to_string());
    let boundary_arn = format!("arn:{partition}:iam::{account}:policy/{boundary_name}");

    let plan = compose::compose(catalog, request, compose::Target::Policy)?;
    let (boundary_statements, notes) = fit_in_one_policy(&plan.statements)?;
    let boundary_policy = render(renderer, &plan, &boundary_name, &boundary_statements)?;

    let creation_statements =
        creation_statements(partition, &account, &job_role_path, &boundary_arn, &persona);
    let creation_policy = render(renderer, &plan, &creation_name, &creation_statements)?;
    Ok(Boundary {
        plan,
        boundary_name,
        boundary_arn,
        boundary_policy,
        boundary_statements,
        creation_name,
        creation_policy,
        creation_statements,
        job_role_path,
        notes,
    })
}

/// An IAM managed-policy name: 1-128 of `[A-Za-z0-9+=,.@_-]`.
fn policy_name(value: &str, field: &str) -> Result<String> {
    let valid =
        (1..=128).contains(&value.len()) && value.chars().all(crate::validate::is_iam_name_char);
    if valid {
        Ok(value.to_string())
    } else {
        Err(Error::invalid_with_help(
            field,
            value,
            "not an IAM policy name",
            "1-128 letters, digits and `+=,.@_-`, e.g. `SageMaker-DataScientist-boundary`",
        ))
    }
}

fn render(
    renderer: &Renderer,
    plan: &RolePlan,
    name: &str,
    statements: &[PlannedStatement],
) -> Result<Value> {
    let mut context = Context::new();
    context.insert("policy_name", name);
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
    Ok(document)
}

/// The persona's statements as one policy (a boundary is a single managed policy). Each step is
/// taken only when the previous result is still too big, and each is reported in the notes:
/// 1. exact: statements that differ only in their resources become one;
/// 2. statements with the same effect and conditions become one (short Sids `Boundary1`, …), so
///    an action may also match another statement's resources — still only the persona's actions
///    and resources, under the same conditions; statements on `"*"` merge only with each other
///    (see [`coarse_key`]);
/// 3. resources of services other than S3, IAM and KMS widen to every resource of that service in
///    the role's account and region (`arn:aws:sagemaker:us-east-1:111122223333:*`); buckets, roles
///    and keys stay exact, and so do all actions and conditions;
/// 4. read-only actions of SageMaker, EC2 and CloudWatch widen to their prefix
///    (`sagemaker:Describe*`, `sagemaker:List*`, …), only prefixes the persona already uses.
fn fit_in_one_policy(
    statements: &[PlannedStatement],
) -> Result<(Vec<PlannedStatement>, Vec<String>)> {
    let exact = merge_by(statements, |s| {
        (s.effect, s.conditions.clone(), s.actions.clone())
    });
    if fits(&exact) {
        return Ok((exact, Vec::new()));
    }
    let mut notes = vec![format!(
        "the persona's statements do not fit one managed policy of {MANAGED_POLICY_LIMIT} characters as they are, so statements with the same effect and conditions were merged: within one boundary statement an action may also match the other statements' resources (still only the persona's actions and resources, under the same conditions); the role's own policies stay exact"
    )];
    let coarse = renumber(merge_by(&exact, coarse_key));
    if fits(&coarse) {
        return Ok((coarse, notes));
    }
    notes.push("still too big, so the resources of services other than S3, IAM and KMS were widened to every resource of that service in the role's account and region; buckets, roles, keys, actions and conditions stay exact".into());
    let scoped = renumber(merge_by(&widen_resources(&coarse), coarse_key));
    if fits(&scoped) {
        return Ok((scoped, notes));
    }
    notes.push(format!("still too big, so read-only actions of {} were widened to their prefix (e.g. `sagemaker:Describe*`), only for prefixes the persona already uses; on `*`, only List actions widen (to `List*`), so scoped Describe and Get actions never reach every resource", READ_WIDENED_SERVICES.join(", ")));
    let reads = renumber(merge_by(&widen_reads(&scoped), coarse_key));
    if fits(&reads) {
        return Ok((reads, notes));
    }
    let size: usize = reads
        .iter()
        .map(|s| policy::iam_size(&policy::statement_json(s)) + 1)
        .sum();
    Err(Error::Quota {
        message: format!(
            "the boundary needs about {size} characters, over IAM's {MANAGED_POLICY_LIMIT}-character limit for the one managed policy a boundary is"
        ),
        help: "select fewer activities for the persona (`--without-activity ID`) or list fewer resources".into(),
    })
}

/// What statements must share to be merged once exactness is given up: effect, conditions, and
/// whether they are on `"*"`. A statement on `"*"` (actions without resource-level permissions)
/// merged with scoped ones would put every scoped action on every resource — a review found the
/// data scientist's boundary allowing s3:GetObject on any bucket that way.
fn coarse_key(statement: &PlannedStatement) -> (Effect, Conditions, bool) {
    (
        statement.effect,
        statement.conditions.clone(),
        on_every_resource(statement),
    )
}

/// Whether the statement is on `"*"`.
fn on_every_resource(statement: &PlannedStatement) -> bool {
    statement.resources.iter().any(|r| r == "*")
}

/// Services whose resources a boundary never widens: data (S3), roles (IAM) and keys (KMS).
const EXACT_SERVICES: &[&str] = &["s3", "iam", "kms"];

/// `arn:p:svc:region:account:anything` → `arn:p:svc:region:account:*` for services not in
/// [`EXACT_SERVICES`]; `*` and exact services unchanged.
pub fn widen_resource(resource: &str) -> String {
    match validate::split_arn(resource) {
        Some(arn) if !EXACT_SERVICES.contains(&arn.service) => format!(
            "arn:{}:{}:{}:{}:*",
            arn.partition, arn.service, arn.region, arn.account
        ),
        _ => resource.to_string(),
    }
}

fn widen_resources(statements: &[PlannedStatement]) -> Vec<PlannedStatement> {
    statements
        .iter()
        .map(|s| {
            let mut s = s.clone();
            s.resources = union_sorted(
                &s.resources
                    .iter()
                    .map(|r| widen_resource(r))
                    .collect::<Vec<_>>(),
                &[],
                false,
            );
            s
        })
        .collect()
}

/// Services whose read-only actions a boundary may widen to a prefix wildcard (step 4).
pub const READ_WIDENED_SERVICES: &[&str] = &["sagemaker", "ec2", "cloudwatch"];
/// Read-only action-name prefixes (longest first, so `BatchGetMetrics` becomes `BatchGet*`).
pub const READ_PREFIXES: &[&str] = &[
    "BatchDescribe",
    "BatchGet",
    "Describe",
    "Search",
    "List",
    "Get",
];

/// `sagemaker:DescribeTrainingJob` → `sagemaker:Describe*`; other actions unchanged.
pub fn widen_read_action(action: &str) -> String {
    let Some((service, name)) = action.split_once(':') else {
        return action.to_string();
    };
    if !READ_WIDENED_SERVICES.contains(&service) {
        return action.to_string();
    }
    match READ_PREFIXES.iter().find(|p| name.starts_with(*p)) {
        Some(prefix) => format!("{service}:{prefix}*"),
        None => action.to_string(),
    }
}

/// Whether every action `pattern` matches in the IAM reference works on `"*"` only.
fn only_unscoped_actions(pattern: &str) -> bool {
    crate::reference::try_get().is_ok_and(|reference| {
        let matched = reference.expand_wildcard(pattern);
        !matched.is_empty()
            && matched
                .iter()
                .all(|action| !action.supports_resource_level_permissions())
    })
}

fn widen_reads(statements: &[PlannedStatement]) -> Vec<PlannedStatement> {
    statements
        .iter()
        .map(|s| {
            let mut s = s.clone();
            // On "*", `sagemaker:Describe*` would reach every resource of the Describe actions
            // the role has only on scoped resources: there an action widens only to `List*`
            // (names and summaries, not contents) or to a prefix all of whose actions support
            // no resource-level permission anyway.
            let on_star = on_every_resource(&s);
            let widened: Vec<String> = s
                .actions
                .iter()
                .map(|a| {
                    let prefix = widen_read_action(a);
                    let listing = prefix.ends_with(":List*");
                    if on_star && !listing && !only_unscoped_actions(&prefix) {
                        a.clone()
                    } else {
                        prefix
                    }
                })
                .collect();
            s.actions = union_sorted(&widened, &[], true);
            s
        })
        .collect()
}

fn renumber(mut statements: Vec<PlannedStatement>) -> Vec<PlannedStatement> {
    for (index, statement) in statements.iter_mut().enumerate() {
        statement.sid = format!("Boundary{}", index + 1);
    }
    statements
}

fn fits(statements: &[PlannedStatement]) -> bool {
    policy::pack(statements, MANAGED_POLICY_LIMIT, 1).is_ok()
}

/// Merges statements with equal keys (in first-appearance order): actions and resources are
/// united, sources kept, the first statement's Sid kept.
fn merge_by<K: PartialEq>(
    statements: &[PlannedStatement],
    key: impl Fn(&PlannedStatement) -> K,
) -> Vec<PlannedStatement> {
    let mut merged: Vec<(K, PlannedStatement)> = Vec::new();
    for statement in statements {
        let k = key(statement);
        match merged.iter_mut().find(|(existing, _)| *existing == k) {
            Some((_, into)) => {
                into.actions = union_sorted(&into.actions, &statement.actions, true);
                into.resources = union_sorted(&into.resources, &statement.resources, false);
                into.sources.extend(statement.sources.iter().cloned());
            }
            None => merged.push((k, statement.clone())),
        }
    }
    merged.into_iter().map(|(_, s)| s).collect()
}

fn union_sorted(a: &[String], b: &[String], case_insensitive: bool) -> Vec<String> {
    let mut all: Vec<String> = a.iter().chain(b).cloned().collect();
    if case_insensitive {
        all.sort_by(|x, y| {
            x.to_ascii_lowercase()
                .cmp(&y.to_ascii_lowercase())
                .then_with(|| x.cmp(y))
        });
        all.dedup_by(|x, y| x.eq_ignore_ascii_case(y));
    } else {
        all.sort();
        all.dedup();
    }
    all
}

/// The identity-policy statements that let the persona create job roles only with the boundary.
fn creation_statements(
    partition: &str,
    account: &str,
    path: &str,
    boundary_arn: &str,
    persona: &str,
) -> Vec<PlannedStatement> {
    let job_roles = format!("arn:{partition}:iam::{account}:role{path}*");
    let source = |statement: &str, why: &str| {
        vec![Source {
            activity: format!("boundary:{persona}"),
            statement: statement.into(),
            why: why.into(),
        }]
    };
    let condition = |operator: &str, key: &str, value: &str| -> Conditions {
        BTreeMap::from([(
            operator.to_string(),
            BTreeMap::from([(key.to_string(), vec![value.to_string()])]),
        )])
    };
    let statement = |sid: &str,
                     effect: Effect,
                     actions: &[&str],
                     resources: Vec<String>,
                     conditions: Conditions,
                     why: &str| PlannedStatement {
        sid: sid.into(),
        effect,
        principal: None,
        actions: actions.iter().map(|a| a.to_string()).collect(),
        resources,
        conditions,
        sources: source(sid, why),
    };
    vec![
        statement(
            "CreateJobRolesWithBoundary",
            Effect::Allow,
            &[
                "iam:AttachRolePolicy",
                "iam:CreateRole",
                "iam:DeleteRole",
                "iam:DeleteRolePolicy",
                "iam:DetachRolePolicy",
                "iam:PutRolePermissionsBoundary",
                "iam:PutRolePolicy",
            ],
            vec![job_roles.clone()],
            condition("StringEquals", "iam:PermissionsBoundary", boundary_arn),
            "Create, change and delete job roles under the job-role path, only while they carry the persona's boundary.",
        ),
        statement(
            "ReadAndTagJobRoles",
            Effect::Allow,
            &[
                "iam:GetRole",
                "iam:GetRolePolicy",
                "iam:ListAttachedRolePolicies",
                "iam:ListRolePolicies",
                "iam:TagRole",
            ],
            vec![job_roles.clone()],
            Conditions::new(),
            "Read job roles under the job-role path and tag them (CreateRole with tags needs iam:TagRole; these actions carry no iam:PermissionsBoundary key).",
        ),
        statement(
            "PassJobRoles",
            Effect::Allow,
            &["iam:PassRole"],
            vec![job_roles],
            condition("StringEquals", "iam:PassedToService", "sagemaker.amazonaws.com"),
            "Give SageMaker jobs the job roles under the job-role path, only to SageMaker.",
        ),
        statement(
            "DenyBoundaryRemoval",
            Effect::Deny,
            &["iam:DeleteRolePermissionsBoundary"],
            vec![format!("arn:{partition}:iam::{account}:role/*")],
            Conditions::new(),
            "Never remove a permissions boundary from any role of the account.",
        ),
        statement(
            "DenyBoundaryChanges",
            Effect::Deny,
            &[
                "iam:CreatePolicyVersion",
                "iam:DeletePolicy",
                "iam:DeletePolicyVersion",
                "iam:SetDefaultPolicyVersion",
            ],
            vec![boundary_arn.to_string()],
            Conditions::new(),
            "Never change or delete the boundary policy itself.",
        ),
    ]
}
