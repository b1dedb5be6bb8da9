//! `mlrole access-policy`: the identity policy for the IAM group of the people who work as a
//! persona — what they need *before* they are inside Studio, where the persona's execution role
//! takes over.
//!
//! - `OpenOwnStudioProfile`: `sagemaker:CreatePresignedDomainUrl` on
//!   `user-profile/<domain>/${aws:username}`. For IAM users in a group, `aws:username` is the
//!   signed-in user's own name, so each member opens only the Studio user profile named exactly
//!   like their IAM user (the group policy cannot name people one by one). A member without such a
//!   profile opens nothing. (`${sagemaker:DomainId}` is no help here: that key comes from
//!   requests made inside Studio, not from the console a person starts in.)
//! - `DescribeDomain` on the domain, and the `List*` calls the console makes before it shows the
//!   domain and its profiles (AWS's hand-written console-access example lists the same actions).
//! - `PassExecutionRole`: `iam:PassRole` of exactly the persona's execution role, only to SageMaker.
//! - `DenyWithoutMfa`: an explicit Deny of the presigned URL and of PassRole with
//!   `BoolIfExists aws:MultiFactorAuthPresent false`. A Deny (rather than an MFA condition on the
//!   Allows) also overrides whatever other policies the members have, and `BoolIfExists` makes it
//!   hold for long-term access keys too, where the key is absent — a plain `Bool` would let those
//!   requests through. This is the pattern IAM's documentation uses to require MFA.

use serde::Serialize;
use serde_json::{json, Value};
use tera::Context;

use crate::catalog::Catalog;
use crate::compose::{Conditions, Target};
use crate::error::{Error, Result};
use crate::policy::{self, MANAGED_POLICY_LIMIT};
use crate::principal;
use crate::render::Renderer;
use crate::validate::{self, Partition};

pub const POLICY_TEMPLATE: &str = "access-policy.json.tera";
pub const CLOUDFORMATION_TEMPLATE: &str = "access-cloudformation.yaml.tera";
pub const TERRAFORM_TEMPLATE: &str = "access-terraform.tf.tera";

/// The activity a persona must default to for people to use it: Studio user profiles run as it.
pub const STUDIO_ACTIVITY: &str = "run-studio-apps";

/// Output formats of `access-policy`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum AccessFormat {
    /// The identity policy document, to attach to a group or a permission set
    #[default]
    Json,
    /// A CloudFormation template: AWS::IAM::Group + AWS::IAM::ManagedPolicy attached to it
    Cloudformation,
    /// Terraform: aws_iam_group + aws_iam_policy + aws_iam_group_policy_attachment
    Terraform,
}

impl AccessFormat {
    fn target(self) -> Target {
        match self {
            AccessFormat::Json => Target::Policy,
            AccessFormat::Cloudformation => Target::CloudFormation,
            AccessFormat::Terraform => Target::Terraform,
        }
    }
}

/// What the user asked for, unvalidated (flags).
#[derive(Debug, Clone, Default)]
pub struct AccessSpec {
    pub persona: String,
    pub execution_role: String,
    pub account: Option<String>,
    pub region: Option<String>,
    pub domain_id: Option<String>,
    pub group_name: Option<String>,
}

/// A validated request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccessRequest {
    pub persona: String,
    pub persona_title: String,
    pub execution_role: String,
    /// The execution role's partition and account: the people, their Studio domain and the role
    /// they pass all live there (`iam:PassRole` passes only roles of the caller's own account).
    pub partition: Partition,
    pub account: String,
    pub region: Option<String>,
    pub domain_id: Option<String>,
    pub group_name: String,
    pub policy_name: String,
}

/// One statement, as the template receives it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AccessStatement {
    pub sid: &'static str,
    pub effect: &'static str,
    pub actions: Vec<&'static str>,
    pub resources: Vec<String>,
    pub conditions: Conditions,
    #[serde(skip)]
    pub why: &'static str,
}

impl AccessSpec {
    pub fn resolve(&self, catalog: &Catalog) -> Result<AccessRequest> {
        let persona = catalog.persona(&self.persona)?;
        if !persona
            .default_activities
            .iter()
            .any(|a| a == STUDIO_ACTIVITY)
        {
            let studio: Vec<String> = catalog
                .personas_defaulting_to(STUDIO_ACTIVITY)
                .iter()
                .map(|p| format!("`{p}`"))
                .collect();
            return Err(Error::Usage {
                message: format!(
                    "persona `{}` is not one people sign in as: its role is assumed by SageMaker jobs, not opened in Studio",
                    persona.id
                ),
                help: Some(format!(
                    "generate the access policy for a Studio persona ({}); people pass the `{}` role through that persona's permissions",
                    studio.join(", "),
                    persona.id
                )),
            });
        }
        let field = "`--execution-role`";
        let partition = match validate::split_arn(&self.execution_role) {
            Some(arn) => Partition::ALL
                .into_iter()
                .find(|p| p.as_str() == arn.partition)
                .ok_or_else(|| {
                    Error::invalid_with_help(
                        field,
                        &self.execution_role,
                        format!("unknown partition `{}`", arn.partition),
                        "the ARN starts with `arn:aws:`, `arn:aws-cn:` or `arn:aws-us-gov:`",
                    )
                })?,
            None => Partition::Aws, // role_arn below says what is wrong
        };
        let account = self
            .account
            .as_deref()
            .map(|a| validate::account_id(a, "`--account`"))
            .transpose()?;
        let execution_role =
            validate::role_arn(&self.execution_role, field, partition, account.as_deref())?;
        let account = match account {
            Some(account) => account,
            None => validate::split_arn(&execution_role)
                .map(|arn| arn.account.to_string())
                .unwrap_or_default(),
        };
        let region = self
            .region
            .as_deref()
            .map(|r| validate::region(r, "`--region`"))
            .transpose()?;
        if let Some(region) = &region {
            if Partition::of_region(region) != partition {
                return Err(Error::invalid_with_help(
                    "`--region`",
                    region,
                    format!("the region is not in partition `{partition}` of the execution role"),
                    format!("use a region of `{partition}`"),
                ));
            }
        }
        let domain_id = self
            .domain_id
            .as_deref()
            .map(|d| validate::domain_id(d, "`--domain-id`"))
            .transpose()?;
        let group_name = match &self.group_name {
            Some(name) => principal::group_name(name, "`--group-name`")?,
            None => format!("{}-Users", persona.role_name),
        };
        // IAM's managed policy names are at most 128 characters.
        let policy_name = format!("{group_name}-access");
        if policy_name.len() > 128 {
            return Err(Error::invalid_with_help(
                "`--group-name`",
                &group_name,
                "the policy name `<group>-access` would exceed IAM's 128 characters",
                "shorten the group name to at most 121 characters",
            ));
        }
        Ok(AccessRequest {
            persona: persona.id.clone(),
            persona_title: persona.title.clone(),
            execution_role,
            partition,
            account,
            region,
            domain_id,
            group_name,
            policy_name,
        })
    }
}

impl AccessRequest {
    /// The statements for a deployment target (which fills the region when `--region` is absent).
    pub fn statements(&self, target: Target) -> Vec<AccessStatement> {
        let region = self.region.as_deref().unwrap_or(target.region());
        let sagemaker = format!("arn:{}:sagemaker:{region}:{}", self.partition, self.account);
        let domain = self.domain_id.as_deref().unwrap_or("*");
        let sensitive = vec!["iam:PassRole", "sagemaker:CreatePresignedDomainUrl"];
        vec![
            AccessStatement {
                sid: "OpenOwnStudioProfile",
                effect: "Allow",
                actions: vec!["sagemaker:CreatePresignedDomainUrl"],
                resources: vec![format!("{sagemaker}:user-profile/{domain}/${{aws:username}}")],
                conditions: Conditions::new(),
                why: "open Studio as the user profile named like the signed-in IAM user, and no other",
            },
            AccessStatement {
                sid: "DescribeDomain",
                effect: "Allow",
                actions: vec!["sagemaker:DescribeDomain"],
                resources: vec![format!("{sagemaker}:domain/{domain}")],
                conditions: Conditions::new(),
                why: "the console reads the domain before it shows its profiles",
            },
            AccessStatement {
                sid: "FindDomainAndProfile",
                effect: "Allow",
                actions: vec!["sagemaker:ListDomains", "sagemaker:ListUserProfiles"],
                resources: vec!["*".into()],
                conditions: Conditions::new(),
                why: "find the domain and the profile; List actions support no resource type",
            },
            AccessStatement {
                sid: "QuietConsoleErrors",
                effect: "Allow",
                actions: vec![
                    "sagemaker:GetSagemakerServicecatalogPortfolioStatus",
                    "sagemaker:ListEndpoints",
                    "sagemaker:ListModels",
                    "sagemaker:ListNotebookInstances",
                    "sagemaker:ListTrainingJobs",
                    "servicecatalog:ListAcceptedPortfolioShares",
                ],
                resources: vec!["*".into()],
                conditions: Conditions::new(),
                why: "read-only calls the SageMaker console makes on its pages; without them it shows errors",
            },
            AccessStatement {
                sid: "QuietConsoleErrorsPortfolios",
                effect: "Allow",
                actions: vec!["servicecatalog:ListPrincipalsForPortfolio"],
                // Portfolios only, of any account: SageMaker's project templates come in a
                // portfolio AWS shares into the account, so its ARN holds AWS's account id.
                resources: vec![format!(
                    "arn:{}:catalog:{region}:*:portfolio/*",
                    self.partition
                )],
                conditions: Conditions::new(),
                why: "the console checks whether the member may use SageMaker's project templates",
            },
            AccessStatement {
                sid: "PassExecutionRole",
                effect: "Allow",
                actions: vec!["iam:PassRole"],
                resources: vec![self.execution_role.clone()],
                conditions: Conditions::from([(
                    "StringEquals".to_string(),
                    [(
                        "iam:PassedToService".to_string(),
                        vec![self.partition.service_principal("sagemaker")],
                    )]
                    .into(),
                )]),
                why: "pass only the persona's execution role, and only to SageMaker",
            },
            AccessStatement {
                sid: "DenyWithoutMfa",
                effect: "Deny",
                actions: sensitive,
                resources: vec!["*".into()],
                conditions: Conditions::from([(
                    "BoolIfExists".to_string(),
                    [(
                        "aws:MultiFactorAuthPresent".to_string(),
                        vec!["false".to_string()],
                    )]
                    .into(),
                )]),
                why: "no Studio URL and no role passing without MFA, whatever other policies allow; IfExists also covers long-term access keys",
            },
        ]
    }

    /// The policy document for a target, rendered through the template and re-checked.
    pub fn document(&self, renderer: &Renderer, target: Target) -> Result<Value> {
        let statements = self.statements(target);
        let mut context = Context::new();
        context.insert("policy_name", &self.policy_name);
        context.insert("group_name", &self.group_name);
        context.insert("persona", &self.persona);
        context.insert("statements", &statements);
        let document = renderer.render_policy(POLICY_TEMPLATE, &context)?;
        self.check(&document, target)
            .map_err(|message| Error::Template {
                template: POLICY_TEMPLATE.into(),
                message: format!("rendered an access policy mlrole refuses: {message}"),
            })?;
        let deployed = crate::generate::with_sample_deployment(&document);
        crate::lint::require_clean(
            &deployed,
            crate::lint::DocumentKind::Identity,
            POLICY_TEMPLATE,
        )?;
        let size = policy::iam_size(&document);
        if size > MANAGED_POLICY_LIMIT {
            return Err(Error::Quota {
                message: format!("the access policy has {size} characters, over IAM's {MANAGED_POLICY_LIMIT}-character limit for a managed policy"),
                help: "a custom template may add too much; check `--templates`".into(),
            });
        }
        Ok(document)
    }

    /// What must hold whatever the template: every Allow grants only action/resource pairs that
    /// mlrole's statements grant; PassRole only of the execution role and only to SageMaker; no
    /// `Action: "*"`; and the MFA Deny present.
    pub fn check(&self, document: &Value, target: Target) -> std::result::Result<(), String> {
        let statements = document["Statement"]
            .as_array()
            .ok_or("`Statement` is not an array")?;
        let granted: std::collections::BTreeSet<(String, String)> = self
            .statements(target)
            .iter()
            .filter(|s| s.effect == "Allow")
            .flat_map(|s| {
                s.actions.iter().flat_map(move |action| {
                    s.resources
                        .iter()
                        .map(move |resource| (action.to_string(), resource.clone()))
                })
            })
            .collect();
        let mut mfa_deny = false;
        for (index, statement) in statements.iter().enumerate() {
            let actions = strings(&statement["Action"]);
            if statement.get("NotAction").is_some() || statement.get("NotResource").is_some() {
                return Err(format!(
                    "Statement[{index}]: NotAction/NotResource are not allowed"
                ));
            }
            if actions.iter().any(|a| a == "*" || a.ends_with(":*")) {
                return Err(format!("Statement[{index}]: grants a whole service"));
            }
            if statement["Effect"] == "Deny" {
                let condition =
                    &statement["Condition"]["BoolIfExists"]["aws:MultiFactorAuthPresent"];
                mfa_deny |= (condition == &json!(["false"]) || condition == &json!("false"))
                    && actions.iter().any(|a| a == "iam:PassRole")
                    && actions
                        .iter()
                        .any(|a| a == "sagemaker:CreatePresignedDomainUrl");
                continue;
            }
            for action in &actions {
                for resource in strings(&statement["Resource"]) {
                    if !granted.contains(&(action.clone(), resource.clone())) {
                        return Err(format!(
                            "Statement[{index}]: `{action}` on `{resource}` is not part of the access policy"
                        ));
                    }
                }
            }
            if actions
                .iter()
                .any(|a| a.eq_ignore_ascii_case("iam:PassRole"))
            {
                let to_sagemaker = statement["Condition"]["StringEquals"]["iam:PassedToService"]
                    == json!([self.partition.service_principal("sagemaker")]);
                if strings(&statement["Resource"]) != [self.execution_role.clone()] || !to_sagemaker
                {
                    return Err(format!(
                        "Statement[{index}]: iam:PassRole must be only of `{}` and only to SageMaker",
                        self.execution_role
                    ));
                }
            }
        }
        if !mfa_deny {
            return Err("the Deny of the presigned URL and PassRole without MFA is missing".into());
        }
        Ok(())
    }

    /// The output in `format`: the policy document, or a CloudFormation/Terraform group with it.
    pub fn render(&self, renderer: &Renderer, format: AccessFormat) -> Result<String> {
        let target = format.target();
        let document = self.document(renderer, target)?;
        let template = match format {
            AccessFormat::Json => return Ok(crate::generate::to_pretty(&document)),
            AccessFormat::Cloudformation => CLOUDFORMATION_TEMPLATE,
            AccessFormat::Terraform => TERRAFORM_TEMPLATE,
        };
        let text = serde_json::to_string(&document).unwrap_or_default();
        let domain = self
            .domain_id
            .as_deref()
            .map(|d| format!(" in domain {d}"))
            .unwrap_or_default();
        let mut context = Context::new();
        context.insert("group_name", &self.group_name);
        context.insert("policy_name", &self.policy_name);
        context.insert("persona", &self.persona);
        context.insert("execution_role", &self.execution_role);
        context.insert("document", &document);
        context.insert(
            "template_description",
            &format!(
                "Group of the people who work as {} (persona {}), generated by mlrole",
                self.persona_title, self.persona
            ),
        );
        context.insert(
            "policy_description",
            &format!(
                "Open their own Studio user profile{domain} and pass only {} to SageMaker, with MFA",
                self.execution_role
            ),
        );
        context.insert(
            "data_sources",
            &json!({ "region": text.contains("data.aws_region") }),
        );
        let text = format!("{}\n", renderer.render_text(template, &context)?.trim());
        if format == AccessFormat::Cloudformation {
            crate::yaml::check_syntax(&text).map_err(|error| Error::Template {
                template: template.into(),
                message: format!(
                    "rendered invalid YAML at line {}: {}",
                    error.line.unwrap_or(0),
                    error.message
                ),
            })?;
        }
        Ok(text)
    }
}

fn strings(value: &Value) -> Vec<String> {
    match value {
        Value::String(s) => vec![s.clone()],
        Value::Array(items) => items
            .iter()
            .filter_map(|v| v.as_str().map(String::from))
            .collect(),
        _ => Vec::new(),
    }
}
