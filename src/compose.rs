//! The composer: the selected activities' statements, scoped to the request's resources, merged
//! and ordered deterministically, each remembering which activity asked for it and why.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::catalog::{ActivityStatement, Catalog, Effect, Network, When};
use crate::error::{Error, Result};
use crate::placeholder::{SlotValue, Template};
use crate::request::RoleRequest;

/// `operator → key → values`, sorted so that output is byte-stable.
pub type Conditions = BTreeMap<String, BTreeMap<String, Vec<String>>>;

/// Why a statement is in the role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Source {
    pub activity: String,
    pub statement: String,
    pub why: String,
}

/// One statement of a generated policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlannedStatement {
    pub sid: String,
    pub effect: Effect,
    /// Only in trust policies: `principal type → values`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub principal: Option<BTreeMap<String, Vec<String>>>,
    pub actions: Vec<String>,
    pub resources: Vec<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub conditions: Conditions,
    #[serde(skip)]
    pub sources: Vec<Source>,
}

/// Everything the renderer needs: role metadata, permission statements, trust statements.
#[derive(Debug, Clone, Serialize)]
pub struct RolePlan {
    pub role: RoleMeta,
    pub statements: Vec<PlannedStatement>,
    pub trust: Vec<PlannedStatement>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RoleMeta {
    pub name: String,
    pub path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub max_session_duration: u32,
    pub tags: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub persona: Option<String>,
    pub activities: Vec<String>,
    pub partition: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
}

/// Value of `${account}` when `--account` is omitted: the caller's own account, never `*`.
pub const OWN_ACCOUNT_VARIABLE: &str = "${aws:PrincipalAccount}";
/// In a trust policy the principal is the service, so "own account" is the role's account.
pub const ROLE_ACCOUNT_VARIABLE: &str = "${aws:ResourceAccount}";

/// What the policies are for. Infrastructure-as-code outputs fill the account, region and partition
/// the user did not give from the deployment (CloudFormation pseudo parameters, Terraform data
/// sources) instead of policy variables and `*`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Target {
    #[default]
    Policy,
    CloudFormation,
    Terraform,
}

impl Target {
    pub fn account(self, trust: bool) -> &'static str {
        match (self, trust) {
            (Target::Policy, false) => OWN_ACCOUNT_VARIABLE,
            (Target::Policy, true) => ROLE_ACCOUNT_VARIABLE,
            (Target::CloudFormation, _) => "${AWS::AccountId}",
            (Target::Terraform, _) => "${data.aws_caller_identity.current.account_id}",
        }
    }

    pub fn region(self) -> &'static str {
        match self {
            Target::Policy => "*",
            Target::CloudFormation => "${AWS::Region}",
            Target::Terraform => "${data.aws_region.current.name}",
        }
    }

    /// `(partition, dns suffix)` when neither `--partition` nor `--region` fixed them.
    fn partition(self) -> Option<(&'static str, &'static str)> {
        match self {
            Target::Policy => None,
            Target::CloudFormation => Some(("${AWS::Partition}", "${AWS::URLSuffix}")),
            Target::Terraform => Some((
                "${data.aws_partition.current.partition}",
                "${data.aws_partition.current.dns_suffix}",
            )),
        }
    }
}

struct Slots<'a> {
    request: &'a RoleRequest,
    account: String,
    region: String,
    partition: String,
    dns_suffix: String,
    /// ECR repositories as ARNs: names are placed in the role's account and region.
    ecr_repos: Vec<String>,
}

impl<'a> Slots<'a> {
    fn new(request: &'a RoleRequest, target: Target, trust: bool) -> Self {
        let account = request
            .account
            .clone()
            .unwrap_or_else(|| target.account(trust).to_string());
        let region = request
            .region
            .clone()
            .unwrap_or_else(|| target.region().to_string());
        let (partition, dns_suffix) = match target.partition() {
            Some((partition, dns_suffix)) if !request.partition_explicit => {
                (partition.to_string(), dns_suffix.to_string())
            }
            _ => (
                request.partition.as_str().to_string(),
                request.partition.dns_suffix().to_string(),
            ),
        };
        let ecr_repos = request
            .list("ecr_repos")
            .iter()
            .map(|repo| {
                if repo.starts_with("arn:") {
                    repo.clone()
                } else {
                    format!("arn:{partition}:ecr:{region}:{account}:repository/{repo}")
                }
            })
            .collect();
        Slots {
            request,
            account,
            region,
            partition,
            dns_suffix,
            ecr_repos,
        }
    }

    fn value(&self, name: &str) -> SlotValue<'_> {
        let request = self.request;
        match name {
            "partition" => SlotValue::One(&self.partition),
            "region" => SlotValue::One(&self.region),
            "account" => SlotValue::One(&self.account),
            "dns_suffix" => SlotValue::One(&self.dns_suffix),
            "domain_id" => SlotValue::One(
                request
                    .domain_id
                    .as_deref()
                    .unwrap_or("${sagemaker:DomainId}"),
            ),
            "user_profile" => SlotValue::One(
                request
                    .user_profile
                    .as_deref()
                    .unwrap_or("${sagemaker:UserProfileName}"),
            ),
            "ecr_repos" => SlotValue::Many(&self.ecr_repos),
            list => SlotValue::Many(request.list(list)),
        }
    }

    fn expand(&self, templates: &[Template]) -> Vec<String> {
        let lookup = |name: &str| self.value(name);
        let unique: BTreeSet<String> = templates.iter().flat_map(|t| t.expand(&lookup)).collect();
        unique.into_iter().collect()
    }
}

/// Whether an ARN holds `${` in its first five segments, where IAM does not substitute policy
/// variables ("only in the resource portion of the ARN ... after the fifth colon").
pub fn variable_before_resource_part(arn: &str) -> bool {
    let mut colons = 0;
    let bytes = arn.as_bytes();
    for (at, byte) in bytes.iter().enumerate() {
        match byte {
            b':' => {
                colons += 1;
                if colons == 5 {
                    return false;
                }
            }
            b'$' if bytes.get(at + 1) == Some(&b'{') => return true,
            _ => {}
        }
    }
    false
}

/// `manage-ml-jobs` → `ManageMlJobs`.
pub fn pascal_case(id: &str) -> String {
    id.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut chars = w.chars();
            chars
                .next()
                .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// Composes the role. The request must have been resolved against the same catalog.
pub fn compose(catalog: &Catalog, request: &RoleRequest, target: Target) -> Result<RolePlan> {
    compose_with(catalog, request, target, true)
}

/// [`compose`] without the merge step: one statement per activity statement. Only for tests that
/// prove merging never changes a decision.
#[doc(hidden)]
pub fn compose_unmerged(
    catalog: &Catalog,
    request: &RoleRequest,
    target: Target,
) -> Result<RolePlan> {
    compose_with(catalog, request, target, false)
}

fn compose_with(
    catalog: &Catalog,
    request: &RoleRequest,
    target: Target,
    merge: bool,
) -> Result<RolePlan> {
    let slots = Slots::new(request, target, false);
    let mut statements: Vec<PlannedStatement> = Vec::new();
    for id in &request.activities {
        let activity = catalog.activity(id)?;
        for statement in &activity.statements {
            if let Some(planned) = plan_statement(&slots, &activity.id, statement) {
                if merge {
                    merge_into(&mut statements, planned);
                } else {
                    statements.push(planned);
                }
            }
        }
    }
    let policy_variables_only = target == Target::Policy;
    if let Some(needing) = statements.iter().find(|s| {
        policy_variables_only && s.resources.iter().any(|r| variable_before_resource_part(r))
    }) {
        // IAM substitutes policy variables in a Resource only after the fifth colon: a
        // `${aws:PrincipalAccount}` in the account segment stays literal text and the statement
        // would match nothing.
        if request.account.is_some() {
            // The account is given: the variable comes from the catalog itself.
            return Err(Error::Usage {
                message: format!(
                    "statement `{}` has a policy variable before the fifth colon of a Resource ARN, where IAM does not substitute it, so it would match nothing",
                    needing.sid
                ),
                help: Some(
                    "in the activity, use `${partition}`, `${region}` and `${account}` there; policy variables work only in the resource part"
                        .into(),
                ),
            });
        }
        return Err(Error::Missing {
            what: "`--account ID`".into(),
            needed_by: format!(
                "statement `{}` (IAM does not fill policy variables such as `{OWN_ACCOUNT_VARIABLE}` into the account part of a Resource ARN, so without the account it would match nothing)",
                needing.sid
            ),
            help: "add `--account ID` (12 digits), or generate `--format cloudformation` or `--format terraform`, which take the account from the deployment".into(),
        });
    }
    if statements.is_empty() {
        return Err(Error::Usage {
            message: "the selected activities grant nothing with the values given".into(),
            help: Some(
                "supply the resources the activities act on (buckets, roles to pass, ...)".into(),
            ),
        });
    }
    assign_unique_sids(&mut statements);
    Ok(RolePlan {
        role: RoleMeta {
            name: request.role_name.clone(),
            path: request.path.clone(),
            description: request.description.clone(),
            max_session_duration: request.max_session_duration,
            tags: request.tags.clone(),
            persona: request.persona.clone(),
            activities: request.activities.clone(),
            partition: request.partition.to_string(),
            account: request.account.clone(),
            region: request.region.clone(),
        },
        statements,
        trust: trust_statements(catalog, request, target)?,
    })
}

fn plan_statement(
    slots: &Slots<'_>,
    activity: &str,
    statement: &ActivityStatement,
) -> Option<PlannedStatement> {
    let request = slots.request;
    let setting_on = |when: When| match when {
        When::Always => true,
        When::Vpc => request.vpc_enabled(),
        When::KmsVolume => !request.list("volume_kms_keys").is_empty(),
        When::KmsData => !request.list("data_kms_keys").is_empty(),
    };
    if !setting_on(statement.when) {
        return None;
    }
    let resources = slots.expand(&statement.resources);
    if resources.is_empty() {
        return None;
    }
    let mut conditions = Conditions::new();
    for (operator, key, templates) in &statement.conditions {
        let values = slots.expand(templates);
        if values.is_empty() {
            // A condition over an empty list can never hold: the statement would grant nothing.
            return None;
        }
        conditions
            .entry(operator.clone())
            .or_default()
            .entry(key.clone())
            .or_default()
            .extend(values);
    }
    for network in &statement.network {
        add_network_conditions(&mut conditions, *network, request);
    }
    for keys in conditions.values_mut() {
        for values in keys.values_mut() {
            values.sort();
            values.dedup();
        }
    }
    Some(PlannedStatement {
        sid: format!("{}{}", pascal_case(activity), statement.sid),
        effect: statement.effect,
        principal: None,
        actions: sorted_actions(statement.actions.iter().cloned()),
        resources,
        conditions,
        sources: vec![Source {
            activity: activity.to_string(),
            statement: statement.sid.clone(),
            why: statement.why.clone(),
        }],
    })
}

/// The conditions Role Manager's "network and encryption" step adds, done right: VPC keys with
/// `ForAllValues` *and* a `Null` guard (so omitting the VPC config does not pass), and the
/// non-deprecated `...KmsKeyArn` keys compared as ARNs.
fn add_network_conditions(conditions: &mut Conditions, network: Network, request: &RoleRequest) {
    let mut add = |operator: &str, key: &str, values: Vec<String>| {
        conditions
            .entry(operator.to_string())
            .or_default()
            .entry(key.to_string())
            .or_default()
            .extend(values);
    };
    let keys = network.condition_keys();
    // The setting is on when its first list is given (the VPC pair comes together).
    let on = keys
        .first()
        .is_some_and(|(_, parameter)| !request.list(parameter).is_empty());
    if !on {
        return;
    }
    for (key, parameter) in keys {
        let values = request.list(parameter).to_vec();
        if network == Network::Vpc {
            add("ForAllValues:StringEquals", key, values);
            add("Null", key, vec!["false".into()]);
        } else {
            add("ArnEquals", key, values);
        }
    }
}

fn sorted_actions(actions: impl Iterator<Item = String>) -> Vec<String> {
    let mut actions: Vec<String> = actions.collect();
    actions.sort_by(|a, b| {
        a.to_ascii_lowercase()
            .cmp(&b.to_ascii_lowercase())
            .then_with(|| a.cmp(b))
    });
    actions.dedup_by(|a, b| a.eq_ignore_ascii_case(b));
    actions
}

/// Statements with the same effect, principal, resources and conditions become one.
fn merge_into(statements: &mut Vec<PlannedStatement>, planned: PlannedStatement) {
    let same = statements.iter_mut().find(|s| {
        s.effect == planned.effect
            && s.principal == planned.principal
            && s.resources == planned.resources
            && s.conditions == planned.conditions
    });
    match same {
        Some(existing) => {
            existing.actions = sorted_actions(existing.actions.drain(..).chain(planned.actions));
            existing.sources.extend(planned.sources);
        }
        None => statements.push(planned),
    }
}

fn assign_unique_sids(statements: &mut [PlannedStatement]) {
    let mut seen: BTreeSet<String> = BTreeSet::new();
    for statement in statements {
        let mut sid = statement.sid.clone();
        let mut n = 2;
        while !seen.insert(sid.clone()) {
            sid = format!("{}{n}", statement.sid);
            n += 1;
        }
        statement.sid = sid;
    }
}

fn trust_statements(
    catalog: &Catalog,
    request: &RoleRequest,
    target: Target,
) -> Result<Vec<PlannedStatement>> {
    let default_source_arn = Template::parse("arn:${partition}:sagemaker:${region}:${account}:*")
        .map_err(|message| Error::Usage {
        message,
        help: None,
    })?;
    let (services, source_arn, sources) = match &request.persona {
        Some(id) => {
            let persona = catalog.persona(id)?;
            (
                persona.trust_services.clone(),
                persona.trust_source_arn.clone(),
                vec![Source {
                    activity: format!("persona:{id}"),
                    statement: "trust".into(),
                    why: format!(
                        "{} roles are assumed by {}",
                        persona.title,
                        persona.trust_services.join(", ")
                    ),
                }],
            )
        }
        None => (
            vec!["sagemaker".to_string()],
            Some(default_source_arn),
            vec![Source {
                activity: "custom".into(),
                statement: "trust".into(),
                why: "SageMaker assumes execution roles".into(),
            }],
        ),
    };
    let slots = Slots::new(request, target, true);
    let mut conditions = Conditions::new();
    // Confused-deputy protection: only the role's own account's SageMaker may assume it.
    conditions
        .entry("StringEquals".into())
        .or_default()
        .insert("aws:SourceAccount".into(), vec![slots.account.clone()]);
    if let Some(source_arn) = source_arn {
        conditions
            .entry("ArnLike".into())
            .or_default()
            .insert("aws:SourceArn".into(), slots.expand(&[source_arn]));
    }
    let principals: Vec<String> = services
        .iter()
        .map(|s| request.partition.service_principal(s))
        .collect();
    let mut statements = vec![PlannedStatement {
        sid: format!(
            "Trust{}",
            services.iter().map(|s| pascal_case(s)).collect::<String>()
        ),
        effect: Effect::Allow,
        principal: Some(BTreeMap::from([("Service".to_string(), principals)])),
        actions: vec!["sts:AssumeRole".into()],
        resources: Vec::new(),
        conditions,
        sources,
    }];
    // Cross-account trust (`--trust-principal`): a separate statement, so the service's
    // confused-deputy conditions do not apply to people and the MFA/external-id ones not to SageMaker.
    statements.extend(crate::trust::statement(
        &request.trust_principals,
        request.require_mfa,
        request.external_id.as_deref(),
    ));
    Ok(statements)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pascal_case_makes_alphanumeric_sids() {
        assert_eq!(pascal_case("manage-ml-jobs"), "ManageMlJobs");
        assert_eq!(pascal_case("s3-bucket-access"), "S3BucketAccess");
    }

    #[test]
    fn sids_stay_unique() {
        let statement = |sid: &str| PlannedStatement {
            sid: sid.into(),
            effect: Effect::Allow,
            principal: None,
            actions: vec![],
            resources: vec![],
            conditions: Conditions::new(),
            sources: vec![],
        };
        let mut statements = vec![statement("A"), statement("A"), statement("A2")];
        assign_unique_sids(&mut statements);
        let sids: Vec<&str> = statements.iter().map(|s| s.sid.as_str()).collect();
        assert_eq!(sids, vec!["A", "A2", "A22"]);
    }
}
