//! The interactive flow behind `mlrole wizard`, written against a small [`Prompter`] trait so that
//! tests drive it with scripted answers and `--no-input` drives it with defaults only. The flow
//! fills a [`RoleSpec`] — the same value flags and spec files produce — so nothing downstream
//! knows a person answered questions, and the equivalent command line reproduces the result.

use std::collections::BTreeSet;
use std::path::PathBuf;

use crate::catalog::{self, Catalog};
use crate::error::{Error, Result};
use crate::generate::{self, Format, Generated};
use crate::params;
use crate::policy::MANAGED_POLICY_LIMIT;
use crate::render::Renderer;
use crate::request::{FieldLabels, RoleSpec};
use crate::validate::{self, Partition};

/// One question: what to ask, a help line, and the flag that answers it non-interactively.
pub struct Question<'a> {
    pub message: &'a str,
    pub help: Option<&'a str>,
    pub flag: &'a str,
}

/// A validator as the prompts use it: `Err(message)` is shown and the question asked again.
pub type Check<'a> = &'a dyn Fn(&str) -> std::result::Result<(), String>;

/// Checks one item of a list answer, returning the normalised value.
type ItemCheck<'a> = &'a dyn Fn(&str) -> Result<String>;

/// What the flow needs from a terminal. Every method returns `Err(Error::Cancelled)` on Ctrl-C/Esc.
pub trait Prompter {
    fn select(
        &mut self,
        question: &Question,
        options: &[String],
        default: Option<usize>,
    ) -> Result<usize>;
    fn multi_select(
        &mut self,
        question: &Question,
        options: &[String],
        defaults: &[usize],
    ) -> Result<Vec<usize>>;
    /// `default: None` means no default; an empty answer is still possible where `check` allows it.
    fn text(&mut self, question: &Question, default: Option<&str>, check: Check) -> Result<String>;
    fn confirm(&mut self, question: &Question, default: bool) -> Result<bool>;
    /// Shows text (the review screen, warnings).
    fn show(&mut self, text: &str);
}

/// Where the result goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    Stdout,
    File(PathBuf),
    Dir(PathBuf),
}

/// The wizard's answers.
#[derive(Debug, Clone)]
pub struct WizardResult {
    pub spec: RoleSpec,
    pub format: Format,
    pub inline: bool,
    pub destination: Destination,
    pub force: bool,
    pub save_spec: Option<PathBuf>,
}

/// What the flags already decided about output.
#[derive(Debug, Clone, Default)]
pub struct Preset {
    pub spec: RoleSpec,
    pub destination: Option<Destination>,
    pub force: bool,
    pub format: Option<Format>,
    pub inline: bool,
    /// `AWS_REGION` / `AWS_DEFAULT_REGION`, used as the default region.
    pub environment_region: Option<String>,
    /// Where each preset value came from (flags or `--spec FILE`), for error messages.
    pub labels: FieldLabels,
}

/// Runs the whole session.
pub fn run(
    catalog: &Catalog,
    renderer: &Renderer,
    prompter: &mut dyn Prompter,
    preset: Preset,
) -> Result<WizardResult> {
    let mut spec = preset.spec.clone();
    choose_persona(catalog, prompter, &mut spec)?;
    choose_role_name(catalog, prompter, &mut spec)?;
    choose_location(prompter, &mut spec, preset.environment_region.as_deref())?;
    choose_activities(catalog, prompter, &mut spec)?;
    choose_network(catalog, prompter, &mut spec)?;
    choose_parameters(catalog, prompter, &mut spec)?;
    let generated = generate::generate(catalog, renderer, &spec.resolve(catalog, &preset.labels)?)?;
    prompter.show(&review(&generated, &spec));
    let go = Question {
        message: "Generate this role?",
        help: None,
        flag: "",
    };
    if !prompter.confirm(&go, true)? {
        return Err(Error::Cancelled);
    }
    let format = match preset.format {
        Some(format) => format,
        None => choose_format(prompter)?,
    };
    let (destination, force) = match preset.destination {
        Some(destination) => (destination, preset.force),
        None => choose_destination(prompter, format)?,
    };
    let save_spec = choose_spec_file(prompter, &destination)?;
    Ok(WizardResult {
        spec,
        format,
        inline: preset.inline,
        destination,
        force,
        save_spec,
    })
}

fn choose_persona(
    catalog: &Catalog,
    prompter: &mut dyn Prompter,
    spec: &mut RoleSpec,
) -> Result<()> {
    if spec.persona.is_some() || !spec.activities.is_empty() {
        return Ok(());
    }
    let mut options: Vec<String> = catalog
        .personas
        .iter()
        .map(|p| format!("{} — {}", p.title, first_sentence(&p.description)))
        .collect();
    options.push("Custom — no persona: choose the ML activities yourself".into());
    let question = Question {
        message: "Persona",
        help: Some("create the SageMaker Compute role first: the others pass it to SageMaker"),
        flag: "--persona` or `--activity",
    };
    let choice = prompter.select(&question, &options, None)?;
    spec.persona = catalog.personas.get(choice).map(|p| p.id.clone());
    Ok(())
}

fn default_role_name(catalog: &Catalog, spec: &RoleSpec) -> String {
    spec.persona
        .as_deref()
        .and_then(|id| catalog.persona(id).ok())
        .map(|p| p.role_name.clone())
        .unwrap_or_else(|| "SageMaker-Custom".into())
}

fn choose_role_name(
    catalog: &Catalog,
    prompter: &mut dyn Prompter,
    spec: &mut RoleSpec,
) -> Result<()> {
    if spec.role_name.is_some() {
        return Ok(());
    }
    let default = default_role_name(catalog, spec);
    let check = |value: &str| {
        validate::role_name(value, "role name")
            .map(|_| ())
            .map_err(|e| e.to_string())
    };
    let question = Question {
        message: "Role name",
        help: Some("1-64 letters, digits and +=,.@_-"),
        flag: "--role-name",
    };
    let name = prompter.text(&question, Some(&default), &check)?;
    if name != default {
        spec.role_name = Some(name);
    }
    Ok(())
}

fn optional(
    check: impl Fn(&str) -> Result<String>,
) -> impl Fn(&str) -> std::result::Result<(), String> {
    move |value: &str| {
        if value.is_empty() {
            Ok(())
        } else {
            check(value).map(|_| ()).map_err(|e| e.to_string())
        }
    }
}

fn choose_location(
    prompter: &mut dyn Prompter,
    spec: &mut RoleSpec,
    environment_region: Option<&str>,
) -> Result<()> {
    if spec.account.is_none() {
        // Required: IAM does not fill a policy variable into the account part of a Resource ARN,
        // so there is no "caller's own account" stand-in (CloudFormation and Terraform output
        // would not need it, but the format is chosen later).
        let check = |v: &str| {
            validate::account_id(v, "account")
                .map(|_| ())
                .map_err(|e| e.to_string())
        };
        let question = Question {
            message: "AWS account id",
            help: Some("12 digits: the account the role's resources are in"),
            flag: "--account",
        };
        let account = prompter.text(&question, None, &check)?;
        spec.account = Some(account);
    }
    if spec.region.is_none() {
        let check = optional(|v| validate::region(v, "region"));
        let question = Question {
            message: "Region",
            help: Some("e.g. us-east-1; leave empty to allow any region"),
            flag: "--region",
        };
        let region = prompter.text(&question, environment_region, &check)?;
        spec.region = (!region.is_empty()).then_some(region);
    }
    if spec.partition.is_none() && spec.region.is_none() {
        let options: Vec<String> = Partition::ALL
            .iter()
            .map(|p| p.as_str().to_string())
            .collect();
        let question = Question {
            message: "Partition",
            help: None,
            flag: "--partition",
        };
        let choice = prompter.select(&question, &options, Some(0))?;
        let partition = Partition::ALL[choice.min(Partition::ALL.len() - 1)];
        if partition != Partition::Aws {
            spec.partition = Some(partition.to_string());
        }
    }
    Ok(())
}

fn partition_and_region(spec: &RoleSpec) -> (Partition, Option<String>) {
    let partition = spec
        .partition
        .as_deref()
        .and_then(|p| Partition::parse(p, "partition").ok())
        .or_else(|| spec.region.as_deref().map(Partition::of_region))
        .unwrap_or(Partition::Aws);
    (partition, spec.region.clone())
}

/// Asks for a comma- or space-separated list, every item checked by `check_item`.
fn ask_list(
    prompter: &mut dyn Prompter,
    question: &Question,
    required: bool,
    check_item: &dyn Fn(&str) -> Result<String>,
) -> Result<Vec<String>> {
    let check = |value: &str| -> std::result::Result<(), String> {
        let items = split_list(value);
        if required && items.is_empty() {
            return Err("at least one value is needed".into());
        }
        items
            .iter()
            .try_for_each(|item| check_item(item).map(|_| ()).map_err(|e| e.to_string()))
    };
    Ok(split_list(&prompter.text(question, None, &check)?))
}

fn split_list(value: &str) -> Vec<String> {
    value
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect()
}

/// The network and encryption questions, asked once the activities are chosen and only for the
/// settings they read (a value nothing reads is refused, so it is never asked for). Settings
/// given as flags or in a spec are not asked again.
fn choose_network(
    catalog: &Catalog,
    prompter: &mut dyn Prompter,
    spec: &mut RoleSpec,
) -> Result<()> {
    let (partition, region) = partition_and_region(spec);
    let activities: Vec<_> = selected_activities(catalog, spec)
        .iter()
        .filter_map(|id| catalog.activity(id).ok())
        .collect();
    let persona = spec
        .persona
        .as_deref()
        .and_then(|id| catalog.persona(id).ok());
    let read = catalog::values_read(&activities, persona);
    let reads = |name: &str| read.contains(name);
    let persona_requires = |name: &str| {
        reads(name) && persona.is_some_and(|p| p.required_parameters.iter().any(|r| r == name))
    };
    let pair = activities.iter().any(|a| a.reads_both_key_kinds());
    let subnets = Question {
        message: "VPC subnet ids",
        help: Some("e.g. subnet-0aaa1111, subnet-0bbb2222"),
        flag: "--vpc-subnet",
    };
    let groups = Question {
        message: "Security group ids",
        help: Some("e.g. sg-0ccc3333"),
        flag: "--vpc-security-group",
    };
    let subnet = |v: &str| validate::subnet_id(v, "subnet");
    let group = |v: &str| validate::security_group_id(v, "security group");
    if reads("vpc_subnets") {
        match (
            spec.vpc_subnets.is_empty(),
            spec.vpc_security_groups.is_empty(),
        ) {
            (true, true) => {
                let question = Question {
                    message: "Require jobs to run in your VPC (subnets and security groups)?",
                    help: Some(
                        "off by default; when on, jobs without these VPC settings are not allowed",
                    ),
                    flag: "--vpc-subnet",
                };
                let required =
                    persona_requires("vpc_subnets") || persona_requires("vpc_security_groups");
                if required || prompter.confirm(&question, false)? {
                    spec.vpc_subnets = ask_list(prompter, &subnets, true, &subnet)?;
                    spec.vpc_security_groups = ask_list(prompter, &groups, true, &group)?;
                }
            }
            // One half given as a flag: the other is needed with it.
            (true, false) => spec.vpc_subnets = ask_list(prompter, &subnets, true, &subnet)?,
            (false, true) => spec.vpc_security_groups = ask_list(prompter, &groups, true, &group)?,
            (false, false) => {}
        }
    }
    let (volume, data) = (reads("volume_kms_keys"), reads("data_kms_keys"));
    let check = |v: &str| validate::kms_key_arn(v, "KMS key", partition, region.as_deref());
    let volume_keys = Question {
        message: "Volume KMS key ARNs",
        help: Some("full key ARNs: arn:aws:kms:REGION:ACCOUNT:key/ID"),
        flag: "--volume-kms-key",
    };
    let data_keys = Question {
        message: "Data KMS key ARNs",
        help: Some("full key ARNs, used for data in S3"),
        flag: "--data-kms-key",
    };
    match (
        spec.volume_kms_keys.is_empty(),
        spec.data_kms_keys.is_empty(),
    ) {
        (true, true) if volume || data => {
            let question = Question {
                message: match (volume, data) {
                    (true, true) => "Require KMS keys for volumes and data?",
                    (true, false) => "Require KMS keys for volumes?",
                    _ => "Require KMS keys for data in S3?",
                },
                help: Some("off by default; when on, only these keys may be used"),
                flag: if volume {
                    "--volume-kms-key"
                } else {
                    "--data-kms-key"
                },
            };
            let (need_volume, need_data) = (
                persona_requires("volume_kms_keys"),
                persona_requires("data_kms_keys"),
            );
            if need_volume || need_data || prompter.confirm(&question, false)? {
                if volume {
                    let required = pair || need_volume || !data;
                    spec.volume_kms_keys = ask_list(prompter, &volume_keys, required, &check)?;
                }
                if data {
                    // After "yes", at least one key of some kind.
                    let required = pair || need_data || spec.volume_kms_keys.is_empty();
                    spec.data_kms_keys = ask_list(prompter, &data_keys, required, &check)?;
                }
            }
        }
        // One kind given as a flag where one activity needs both: ask for the other.
        (false, true) if pair => {
            spec.data_kms_keys = ask_list(prompter, &data_keys, true, &check)?;
        }
        (true, false) if pair => {
            spec.volume_kms_keys = ask_list(prompter, &volume_keys, true, &check)?;
        }
        _ => {}
    }
    Ok(())
}

fn choose_activities(
    catalog: &Catalog,
    prompter: &mut dyn Prompter,
    spec: &mut RoleSpec,
) -> Result<()> {
    if !spec.activities.is_empty() || !spec.without_activities.is_empty() {
        return Ok(());
    }
    // With `--no-default-activities` the persona contributes none: nothing is ticked, and every
    // chosen activity is listed explicitly.
    let defaults: Vec<String> = match &spec.persona {
        Some(id) if spec.no_default_activities != Some(true) => {
            catalog.persona(id)?.default_activities.clone()
        }
        _ => Vec::new(),
    };
    let options: Vec<String> = catalog
        .activities
        .iter()
        .map(|a| format!("{} — {}", a.title, first_sentence(&a.description)))
        .collect();
    let default_indexes: Vec<usize> = catalog
        .activities
        .iter()
        .enumerate()
        .filter(|(_, a)| defaults.contains(&a.id))
        .map(|(i, _)| i)
        .collect();
    let question = Question {
        message: "ML activities",
        help: Some(if defaults.is_empty() {
            "space to toggle, enter to accept"
        } else {
            "space to toggle, enter to accept; the persona's defaults are checked"
        }),
        flag: "--activity",
    };
    loop {
        let chosen: BTreeSet<String> = prompter
            .multi_select(&question, &options, &default_indexes)?
            .into_iter()
            .filter_map(|i| catalog.activities.get(i).map(|a| a.id.clone()))
            .collect();
        if chosen.is_empty() {
            prompter.show("Choose at least one activity.");
            continue;
        }
        spec.activities = chosen
            .iter()
            .filter(|a| !defaults.contains(a))
            .cloned()
            .collect();
        spec.without_activities = defaults
            .iter()
            .filter(|a| !chosen.contains(*a))
            .cloned()
            .collect();
        return Ok(());
    }
}

/// The activities the spec selects, resolved as `RoleSpec::resolve` would.
fn selected_activities(catalog: &Catalog, spec: &RoleSpec) -> Vec<String> {
    let mut selected: BTreeSet<String> = BTreeSet::new();
    if let Some(persona) = spec
        .persona
        .as_deref()
        .and_then(|id| catalog.persona(id).ok())
    {
        if !spec.no_default_activities.unwrap_or(false) {
            selected.extend(persona.default_activities.iter().cloned());
        }
    }
    selected.extend(spec.activities.iter().cloned());
    for id in &spec.without_activities {
        selected.remove(id);
    }
    selected.into_iter().collect()
}

fn choose_parameters(
    catalog: &Catalog,
    prompter: &mut dyn Prompter,
    spec: &mut RoleSpec,
) -> Result<()> {
    let activities: Vec<_> = selected_activities(catalog, spec)
        .iter()
        .filter_map(|id| catalog.activity(id).ok())
        .collect();
    let persona = spec
        .persona
        .as_deref()
        .and_then(|id| catalog.persona(id).ok());
    let requirement = |name: &str| -> Option<bool> {
        let mut found = None;
        for activity in &activities {
            for (declared, requirement) in &activity.parameters {
                if declared == name {
                    let required = *requirement == crate::catalog::Requirement::Required;
                    found = Some(found.unwrap_or(false) || required);
                }
            }
        }
        if let Some(persona) = persona {
            // Required while some chosen activity reads it (see `check_parameters`).
            if persona.required_parameters.iter().any(|p| p == name) && found.is_some() {
                found = Some(true);
            }
        }
        found
    };
    // What `check_parameters` counts as read, the persona's trust placeholders included.
    let read = catalog::values_read(&activities, persona);
    let uses_slot = |slot: &str| read.contains(slot);
    let (partition, _) = partition_and_region(spec);
    let account = spec.account.clone();

    // Buckets: read-write first, then read-only; together they must satisfy `all_buckets`.
    let all_required = requirement("all_buckets").unwrap_or(false);
    if (requirement("all_buckets").is_some() || requirement("buckets").is_some())
        && spec.buckets.is_empty()
        && spec.read_buckets.is_empty()
    {
        let question = Question {
            message: "S3 buckets the role reads and writes",
            help: Some("bucket names, comma-separated, e.g. my-ml-artifacts; may be empty if it only reads"),
            flag: "--bucket",
        };
        let required = requirement("buckets").unwrap_or(false);
        spec.buckets = ask_list(prompter, &question, required, &|v| {
            validate::bucket_name(v, "bucket")
        })?;
        if requirement("all_buckets").is_some() || requirement("read_buckets").is_some() {
            let question = Question {
                message: "S3 buckets the role only reads",
                help: Some("bucket names, e.g. my-training-data (read only: never written)"),
                flag: if all_required && spec.buckets.is_empty() {
                    "--bucket` or `--read-bucket"
                } else {
                    "--read-bucket"
                },
            };
            spec.read_buckets = ask_list(
                prompter,
                &question,
                all_required && spec.buckets.is_empty(),
                &|v| validate::bucket_name(v, "bucket"),
            )?;
        }
    }
    let role = |v: &str| validate::role_arn(v, "role", partition, account.as_deref());
    let lists: [(&str, &str, &str, ItemCheck); 8] = [
        (
            "ecr_repos",
            "ECR repositories (names or ARNs)",
            "e.g. my-team/training-image",
            &|v| validate::ecr_repository(v, "repository", partition).map(|_| v.to_string()),
        ),
        (
            "pass_roles",
            "Roles this role may pass to SageMaker (ARNs)",
            "e.g. arn:aws:iam::111122223333:role/service-role/SageMaker-Compute",
            &|v| validate::role_arn(v, "role", partition, account.as_deref()),
        ),
        (
            "athena_workgroups",
            "Athena workgroups",
            "e.g. primary",
            &|v| validate::athena_workgroup(v, "workgroup"),
        ),
        (
            "glue_databases",
            "Glue databases",
            "e.g. sagemaker_featurestore",
            &|v| validate::glue_database(v, "database"),
        ),
        (
            "kendra_indexes",
            "Kendra index ids",
            "the 36-character index ids Canvas may query",
            &|v| validate::kendra_index_id(v, "Kendra index"),
        ),
        (
            "emr_serverless_roles",
            "EMR Serverless execution roles (ARNs)",
            "passed only to emr-serverless.amazonaws.com",
            &role,
        ),
        (
            "bedrock_roles",
            "Bedrock roles (ARNs)",
            "passed only to bedrock.amazonaws.com",
            &role,
        ),
        (
            "forecast_roles",
            "Forecast roles (ARNs)",
            "passed only to forecast.amazonaws.com",
            &role,
        ),
    ];
    for (name, message, help, check) in lists {
        let Some(required) = requirement(name) else {
            continue;
        };
        let already = match name {
            "ecr_repos" => &mut spec.ecr_repos,
            "pass_roles" => &mut spec.pass_roles,
            "athena_workgroups" => &mut spec.athena_workgroups,
            "glue_databases" => &mut spec.glue_databases,
            "kendra_indexes" => &mut spec.kendra_indexes,
            "emr_serverless_roles" => &mut spec.emr_serverless_roles,
            "bedrock_roles" => &mut spec.bedrock_roles,
            _ => &mut spec.forecast_roles,
        };
        if !already.is_empty() {
            continue;
        }
        let flag = params::find(name).map(|p| p.flag).unwrap_or("");
        let question = Question {
            message,
            help: Some(help),
            flag,
        };
        *already = ask_list(prompter, &question, required, check)?;
    }
    if uses_slot("domain_id") && spec.domain_id.is_none() {
        let question = Question {
            message: "SageMaker domain id",
            help: Some(
                "e.g. d-abcdef123456; empty: the caller's own domain (${sagemaker:DomainId})",
            ),
            flag: "--domain-id",
        };
        let value = prompter.text(
            &question,
            None,
            &optional(|v| validate::domain_id(v, "domain id")),
        )?;
        spec.domain_id = (!value.is_empty()).then_some(value);
    }
    if uses_slot("user_profile") && spec.user_profile.is_none() {
        let question = Question {
            message: "Studio user profile",
            help: Some("empty: the caller's own profile (${sagemaker:UserProfileName})"),
            flag: "--user-profile",
        };
        let value = prompter.text(
            &question,
            None,
            &optional(|v| validate::user_profile(v, "user profile")),
        )?;
        spec.user_profile = (!value.is_empty()).then_some(value);
    }
    Ok(())
}

/// The review screen: name, trust, each policy's size against the quota, and warnings.
pub fn review(generated: &Generated, spec: &RoleSpec) -> String {
    let role = &generated.plan.role;
    let mut text = format!("\nReview\n  role:     {}{}\n", role.path, role.name);
    let principals: Vec<String> = generated
        .plan
        .trust
        .iter()
        .flat_map(|s| {
            s.principal
                .iter()
                .flat_map(|p| p.values().flatten().cloned())
        })
        .collect();
    text.push_str(&format!("  trust:    {}\n", principals.join(", ")));
    text.push_str(&format!(
        "  persona:  {}\n",
        role.persona.as_deref().unwrap_or("custom")
    ));
    text.push_str(&format!("  activities: {}\n", role.activities.join(", ")));
    for (((name, _), &size), statements) in generated
        .permission_policies
        .iter()
        .zip(generated.permission_policy_characters())
        .zip(&generated.policy_statements)
    {
        text.push_str(&format!(
            "  policy {name}: {} statements, {size} of {MANAGED_POLICY_LIMIT} characters ({}%)\n",
            statements.len(),
            size * 100 / MANAGED_POLICY_LIMIT
        ));
    }
    let mut warnings = Vec::new();
    if spec.region.is_none() {
        warnings.push("no region: ARNs match any region".to_string());
    }
    if spec.vpc_subnets.is_empty() {
        warnings.push("no VPC settings: jobs may run outside your VPC".to_string());
    }
    for finding in &generated.findings {
        warnings.push(format!(
            "{} [{}] {}",
            finding.path,
            finding.code.as_str(),
            finding.message
        ));
    }
    for warning in warnings {
        text.push_str(&format!("  warning: {warning}\n"));
    }
    text
}

fn choose_format(prompter: &mut dyn Prompter) -> Result<Format> {
    let options = vec![
        "JSON bundle (trust policy, permission policies, provenance)".to_string(),
        "CloudFormation template".to_string(),
        "Terraform configuration".to_string(),
        "Markdown review report (for a pull request)".to_string(),
    ];
    let question = Question {
        message: "Output format",
        help: None,
        flag: "--format",
    };
    let choice = prompter.select(&question, &options, Some(0))?;
    Ok(Format::ALL.get(choice).copied().unwrap_or_default())
}

fn choose_destination(prompter: &mut dyn Prompter, format: Format) -> Result<(Destination, bool)> {
    let options = vec![
        "print the bundle (JSON) on standard output".to_string(),
        "write trust-policy.json, permission-policy*.json and bundle.json into a folder"
            .to_string(),
        "write the bundle (JSON) into a file".to_string(),
    ];
    let question = Question {
        message: "Where should the role go?",
        help: None,
        flag: "--out-dir` or `--output",
    };
    let choice = prompter.select(&question, &options, Some(0))?;
    if choice == 0 {
        return Ok((Destination::Stdout, false));
    }
    let not_empty = |value: &str| {
        if value.trim().is_empty() {
            Err("a path is needed".to_string())
        } else {
            Ok(())
        }
    };
    let (message, flag, default) = if choice == 1 {
        ("Folder", "--out-dir", "role")
    } else {
        ("File", "--output", "role.json")
    };
    let path = PathBuf::from(prompter.text(
        &Question {
            message,
            help: None,
            flag,
        },
        Some(default),
        &not_empty,
    )?);
    let exists = if choice == 1 {
        // Any of the format's role files, not only the ones the new role writes: `--force`
        // removes the rest.
        crate::output::holds(&path, format.owns())
    } else {
        path.exists()
    };
    let force = exists
        && prompter.confirm(
            &Question {
                message: "It already holds mlrole files. Replace them?",
                help: None,
                flag: "--force",
            },
            false,
        )?;
    if exists && !force {
        return Err(Error::Cancelled);
    }
    Ok((
        if choice == 1 {
            Destination::Dir(path)
        } else {
            Destination::File(path)
        },
        force,
    ))
}

fn choose_spec_file(
    prompter: &mut dyn Prompter,
    destination: &Destination,
) -> Result<Option<PathBuf>> {
    let question = Question {
        message: "Save these choices as a spec file (for `mlrole generate --spec`)?",
        help: None,
        flag: "",
    };
    if !prompter.confirm(&question, false)? {
        return Ok(None);
    }
    // Asked before anything is written: a path that could not be written is refused here, not
    // after the role has been.
    let not_empty = |value: &str| {
        let path = std::path::Path::new(value);
        let folder = match path.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent,
            _ => std::path::Path::new("."),
        };
        if value.trim().is_empty() {
            Err("a path is needed".to_string())
        } else if path.exists() {
            Err(format!(
                "`{value}` exists, and the wizard never replaces a spec file: choose another path"
            ))
        } else if !folder.is_dir() {
            Err(format!("`{}` is not a folder", folder.display()))
        } else if writes_into(destination, path) {
            Err(format!(
                "`{value}` is where the role goes, or inside its folder: choose another path"
            ))
        } else {
            Ok(())
        }
    };
    let path = prompter.text(
        &Question {
            message: "Spec file",
            help: None,
            flag: "",
        },
        Some("mlrole-role.yaml"),
        &not_empty,
    )?;
    Ok(Some(PathBuf::from(path)))
}

/// Whether `path` (not yet existing, its folder existing) is the role's output file or lies in
/// its output folder. Both sides are resolved ([`crate::output::resolved`]), so `./r.json` and
/// `r.json` are the same file.
fn writes_into(destination: &Destination, path: &std::path::Path) -> bool {
    match destination {
        Destination::Stdout => false,
        Destination::File(file) => crate::output::same_file(file, path),
        Destination::Dir(dir) => {
            crate::output::resolved(path).starts_with(crate::output::resolved(dir))
        }
    }
}

/// A description's first sentence, cut at a word to fit one terminal line.
fn first_sentence(text: &str) -> String {
    const WIDTH: usize = 70;
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let sentence = match text.find(". ") {
        Some(end) => &text[..end],
        None => text.trim_end_matches('.'),
    };
    if sentence.chars().count() <= WIDTH {
        return sentence.to_string();
    }
    let mut line = String::new();
    for word in sentence.split(' ') {
        if line.chars().count() + word.chars().count() + 1 > WIDTH - 1 {
            break;
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    format!("{}…", line.trim_end_matches([',', ';', ':']))
}

/// The `mlrole generate` command that reproduces the result byte for byte.
pub fn equivalent_command(result: &WizardResult) -> Vec<String> {
    let spec = &result.spec;
    let mut args = vec!["mlrole".to_string(), "generate".to_string()];
    let mut flag = |name: &str, value: &str| {
        args.push(format!("--{name}"));
        args.push(value.to_string());
    };
    if let Some(persona) = &spec.persona {
        flag("persona", persona);
    }
    for activity in &spec.activities {
        flag("activity", activity);
    }
    for activity in &spec.without_activities {
        flag("without-activity", activity);
    }
    let scalars = [
        ("role-name", &spec.role_name),
        ("path", &spec.path),
        ("description", &spec.description),
        ("account", &spec.account),
        ("region", &spec.region),
        ("partition", &spec.partition),
        ("domain-id", &spec.domain_id),
        ("user-profile", &spec.user_profile),
        ("external-id", &spec.external_id),
    ];
    for (name, value) in scalars {
        if let Some(value) = value {
            flag(name, value);
        }
    }
    let lists = [
        ("bucket", &spec.buckets),
        ("read-bucket", &spec.read_buckets),
        ("ecr-repo", &spec.ecr_repos),
        ("pass-role", &spec.pass_roles),
        ("athena-workgroup", &spec.athena_workgroups),
        ("glue-database", &spec.glue_databases),
        ("kendra-index", &spec.kendra_indexes),
        ("emr-serverless-role", &spec.emr_serverless_roles),
        ("bedrock-role", &spec.bedrock_roles),
        ("forecast-role", &spec.forecast_roles),
        ("vpc-subnet", &spec.vpc_subnets),
        ("vpc-security-group", &spec.vpc_security_groups),
        ("volume-kms-key", &spec.volume_kms_keys),
        ("data-kms-key", &spec.data_kms_keys),
        ("trust-principal", &spec.trust_principals),
    ];
    for (name, values) in lists {
        for value in values {
            flag(name, value);
        }
    }
    for (key, value) in &spec.tags {
        flag("tag", &format!("{key}={value}"));
    }
    if let Some(seconds) = spec.max_session_duration {
        flag("max-session-duration", &seconds.to_string());
    }
    if let Some(count) = spec.max_policies {
        flag("max-policies", &count.to_string());
    }
    if spec.no_default_activities == Some(true) {
        args.push("--no-default-activities".into());
    }
    if spec.require_mfa == Some(true) {
        args.push("--require-mfa".into());
    }
    if result.format != Format::Json {
        args.push("--format".into());
        args.push(result.format.as_str().into());
    }
    if result.inline {
        args.push("--inline".into());
    }
    match &result.destination {
        Destination::Stdout => {}
        Destination::File(path) => {
            args.push("--output".into());
            args.push(path.display().to_string());
        }
        Destination::Dir(path) => {
            args.push("--out-dir".into());
            args.push(path.display().to_string());
        }
    }
    if result.force {
        args.push("--force".into());
    }
    args
}

/// Quotes an argument for a POSIX shell when it needs it.
pub fn shell_quote(arg: &str) -> String {
    let plain = !arg.is_empty()
        && arg
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_@%+=:,./-".contains(c));
    if plain {
        arg.to_string()
    } else {
        format!("'{}'", arg.replace('\'', r"'\''"))
    }
}

/// A [`Prompter`] that never asks: it takes each question's default and fails, naming the flag,
/// on the first question without one. Used for `--no-input`, `CI=true` and non-terminals.
pub struct NoInput;

impl NoInput {
    fn missing(question: &Question) -> Error {
        Error::NoInput {
            question: question.message.to_string(),
            flag: question.flag.to_string(),
        }
    }
}

impl Prompter for NoInput {
    fn select(
        &mut self,
        question: &Question,
        _options: &[String],
        default: Option<usize>,
    ) -> Result<usize> {
        default.ok_or_else(|| NoInput::missing(question))
    }

    fn multi_select(
        &mut self,
        question: &Question,
        _options: &[String],
        defaults: &[usize],
    ) -> Result<Vec<usize>> {
        if defaults.is_empty() {
            Err(NoInput::missing(question))
        } else {
            Ok(defaults.to_vec())
        }
    }

    fn text(&mut self, question: &Question, default: Option<&str>, check: Check) -> Result<String> {
        let answer = default.unwrap_or("");
        check(answer)
            .map(|_| answer.to_string())
            .map_err(|_| NoInput::missing(question))
    }

    fn confirm(&mut self, _question: &Question, default: bool) -> Result<bool> {
        Ok(default)
    }

    fn show(&mut self, _text: &str) {}
}
