//! `mlrole generate`: flags → spec → validated request → generated role → stdout or files.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;

use super::write_out;
use crate::catalog::Catalog;
use crate::error::Result;
use crate::generate::{self, Format, Produced};
use crate::render::Renderer;
use crate::request::{FieldLabels, RoleSpec};
use crate::wizard::Destination;

#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Persona whose default activities and trust to use (see `mlrole list personas`)
    #[arg(long, value_name = "ID", help_heading = "Role")]
    pub persona: Option<String>,
    /// Add an ML activity (repeatable; see `mlrole list activities`)
    #[arg(long = "activity", value_name = "ID", help_heading = "Role")]
    pub activities: Vec<String>,
    /// Remove an ML activity the persona selects by default (repeatable)
    #[arg(long = "without-activity", value_name = "ID", help_heading = "Role")]
    pub without_activities: Vec<String>,
    /// Start from no activities instead of the persona's defaults
    #[arg(long, help_heading = "Role")]
    pub no_default_activities: bool,
    /// Role name (default: the persona's, e.g. SageMaker-DataScientist)
    #[arg(long, value_name = "NAME", help_heading = "Role")]
    pub role_name: Option<String>,
    /// Role path
    #[arg(long, value_name = "PATH", help_heading = "Role")]
    pub path: Option<String>,
    /// Role description
    #[arg(long, value_name = "TEXT", help_heading = "Role")]
    pub description: Option<String>,
    /// Role tag (repeatable)
    #[arg(long = "tag", value_name = "KEY=VALUE", value_parser = parse_tag, help_heading = "Role")]
    pub tags: Vec<(String, String)>,
    /// Maximum session duration in seconds (3600-43200)
    #[arg(long, value_name = "SECONDS", help_heading = "Role")]
    pub max_session_duration: Option<u32>,
    /// Most managed policies to split the permissions into (IAM: 10 by default, 20 at most)
    #[arg(long, value_name = "N", help_heading = "Role")]
    pub max_policies: Option<usize>,

    /// Account id (12 digits); without it ARNs use the caller's own account via ${aws:PrincipalAccount}
    #[arg(long, value_name = "ID", help_heading = "Where")]
    pub account: Option<String>,
    /// Region; without it ARNs match any region
    #[arg(long, value_name = "REGION", help_heading = "Where")]
    pub region: Option<String>,
    /// Partition: aws, aws-cn, aws-us-gov (default: the region's, else aws)
    #[arg(long, value_name = "PARTITION", help_heading = "Where")]
    pub partition: Option<String>,

    /// S3 bucket the role reads and writes (repeatable)
    #[arg(long = "bucket", value_name = "NAME", help_heading = "Resources")]
    pub buckets: Vec<String>,
    /// S3 bucket the role only reads (repeatable)
    #[arg(long = "read-bucket", value_name = "NAME", help_heading = "Resources")]
    pub read_buckets: Vec<String>,
    /// ECR repository to pull images from, name or ARN (repeatable)
    #[arg(long = "ecr-repo", value_name = "NAME|ARN", help_heading = "Resources")]
    pub ecr_repos: Vec<String>,
    /// IAM role the role may pass to SageMaker (repeatable)
    #[arg(
        long = "pass-role",
        value_name = "ROLE_ARN",
        help_heading = "Resources"
    )]
    pub pass_roles: Vec<String>,
    /// SageMaker domain id to confine Studio permissions to
    #[arg(long, value_name = "ID", help_heading = "Resources")]
    pub domain_id: Option<String>,
    /// Studio user profile to confine Studio permissions to
    #[arg(long, value_name = "NAME", help_heading = "Resources")]
    pub user_profile: Option<String>,
    /// Athena workgroup (repeatable)
    #[arg(
        long = "athena-workgroup",
        value_name = "NAME",
        help_heading = "Resources"
    )]
    pub athena_workgroups: Vec<String>,
    /// Glue database (repeatable)
    #[arg(
        long = "glue-database",
        value_name = "NAME",
        help_heading = "Resources"
    )]
    pub glue_databases: Vec<String>,
    /// Amazon Kendra index id Canvas may query (repeatable)
    #[arg(long = "kendra-index", value_name = "ID", help_heading = "Resources")]
    pub kendra_indexes: Vec<String>,
    /// IAM runtime role the role may pass to EMR Serverless (repeatable)
    #[arg(
        long = "emr-serverless-role",
        value_name = "ROLE_ARN",
        help_heading = "Resources"
    )]
    pub emr_serverless_roles: Vec<String>,
    /// IAM role the role may pass to Amazon Bedrock for fine-tuning (repeatable)
    #[arg(
        long = "bedrock-role",
        value_name = "ROLE_ARN",
        help_heading = "Resources"
    )]
    pub bedrock_roles: Vec<String>,
    /// IAM role the role may pass to Amazon Forecast (repeatable)
    #[arg(
        long = "forecast-role",
        value_name = "ROLE_ARN",
        help_heading = "Resources"
    )]
    pub forecast_roles: Vec<String>,

    /// VPC subnet jobs must run in (repeatable; needs --vpc-security-group)
    #[arg(
        long = "vpc-subnet",
        value_name = "ID",
        help_heading = "Network and encryption"
    )]
    pub vpc_subnets: Vec<String>,
    /// Security group jobs must use (repeatable; needs --vpc-subnet)
    #[arg(
        long = "vpc-security-group",
        value_name = "ID",
        help_heading = "Network and encryption"
    )]
    pub vpc_security_groups: Vec<String>,
    /// KMS key ARN for storage volumes (repeatable; needs --data-kms-key)
    #[arg(
        long = "volume-kms-key",
        value_name = "KEY_ARN",
        help_heading = "Network and encryption"
    )]
    pub volume_kms_keys: Vec<String>,
    /// KMS key ARN for data in S3 (repeatable; needs --volume-kms-key)
    #[arg(
        long = "data-kms-key",
        value_name = "KEY_ARN",
        help_heading = "Network and encryption"
    )]
    pub data_kms_keys: Vec<String>,

    /// Also trust this role ARN, account root ARN or account id (repeatable; not groups or users)
    #[arg(
        long = "trust-principal",
        value_name = "ARN",
        help_heading = "Cross-account trust"
    )]
    pub trust_principals: Vec<String>,
    /// Those principals must have signed in with MFA
    #[arg(long, help_heading = "Cross-account trust")]
    pub require_mfa: bool,
    /// Those principals must pass this sts:ExternalId
    #[arg(long, value_name = "ID", help_heading = "Cross-account trust")]
    pub external_id: Option<String>,

    /// Role spec file (YAML or JSON) with the same fields as these flags; flags win
    #[arg(long, value_name = "FILE", help_heading = "Input and output")]
    pub spec: Option<PathBuf>,
    /// Output format
    #[arg(long, value_enum, help_heading = "Input and output")]
    pub format: Option<Format>,
    /// CloudFormation/Terraform: put the permissions inside the role (inline) instead of managed policies
    #[arg(long, help_heading = "Input and output")]
    pub inline: bool,
    /// Write the bundle to this file instead of stdout
    #[arg(
        long,
        short,
        value_name = "FILE",
        conflicts_with = "out_dir",
        help_heading = "Input and output"
    )]
    pub output: Option<PathBuf>,
    /// Write trust-policy.json, permission-policy*.json and bundle.json into this folder
    #[arg(long, value_name = "DIR", help_heading = "Input and output")]
    pub out_dir: Option<PathBuf>,
    /// Replace existing output files
    #[arg(long, help_heading = "Input and output")]
    pub force: bool,
}

fn parse_tag(value: &str) -> std::result::Result<(String, String), String> {
    value
        .split_once('=')
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .ok_or_else(|| format!("`{value}` is not KEY=VALUE"))
}

impl GenerateArgs {
    /// The flags as a spec, so that flags and spec files share one validation path.
    pub fn to_spec(&self) -> RoleSpec {
        RoleSpec {
            persona: self.persona.clone(),
            activities: self.activities.clone(),
            without_activities: self.without_activities.clone(),
            no_default_activities: self.no_default_activities.then_some(true),
            role_name: self.role_name.clone(),
            path: self.path.clone(),
            description: self.description.clone(),
            tags: self.tags.iter().cloned().collect(),
            max_session_duration: self.max_session_duration,
            max_policies: self.max_policies,
            account: self.account.clone(),
            region: self.region.clone(),
            partition: self.partition.clone(),
            buckets: self.buckets.clone(),
            read_buckets: self.read_buckets.clone(),
            ecr_repos: self.ecr_repos.clone(),
            pass_roles: self.pass_roles.clone(),
            domain_id: self.domain_id.clone(),
            user_profile: self.user_profile.clone(),
            athena_workgroups: self.athena_workgroups.clone(),
            glue_databases: self.glue_databases.clone(),
            vpc_subnets: self.vpc_subnets.clone(),
            vpc_security_groups: self.vpc_security_groups.clone(),
            volume_kms_keys: self.volume_kms_keys.clone(),
            data_kms_keys: self.data_kms_keys.clone(),
            kendra_indexes: self.kendra_indexes.clone(),
            emr_serverless_roles: self.emr_serverless_roles.clone(),
            bedrock_roles: self.bedrock_roles.clone(),
            forecast_roles: self.forecast_roles.clone(),
            trust_principals: self.trust_principals.clone(),
            require_mfa: self.require_mfa.then_some(true),
            external_id: self.external_id.clone(),
        }
    }
}

pub(super) fn generate_command(
    catalog: &Catalog,
    renderer: &Renderer,
    args: &GenerateArgs,
    out: &mut dyn Write,
) -> Result<()> {
    let flags = args.to_spec();
    let nothing_chosen =
        args.spec.is_none() && flags.persona.is_none() && flags.activities.is_empty();
    if nothing_chosen && super::wizard::can_prompt() {
        // A person at a terminal who named no persona or activity gets the wizard.
        return super::wizard::run_session(
            catalog,
            renderer,
            &mut super::wizard::InquirePrompter,
            args,
            out,
        );
    }
    let (spec, labels) = match &args.spec {
        Some(path) => flags.over(RoleSpec::from_file(path)?, path),
        None => (flags, FieldLabels::default()),
    };
    let request = spec.resolve(catalog, &labels)?;
    let produced = generate::produce(
        catalog,
        renderer,
        &request,
        args.format.unwrap_or_default(),
        args.inline,
    )?;
    let destination = match (&args.output, &args.out_dir) {
        (Some(path), _) => Destination::File(path.clone()),
        (None, Some(dir)) => Destination::Dir(dir.clone()),
        (None, None) => Destination::Stdout,
    };
    write_result(&produced, &destination, args.force, out)
}

/// Writes a produced role where the user asked: stdout, one file, or a folder of files.
pub(super) fn write_result(
    produced: &Produced,
    destination: &Destination,
    force: bool,
    out: &mut dyn Write,
) -> Result<()> {
    match destination {
        Destination::File(path) => crate::output::write_one(path, &produced.text, force),
        Destination::Dir(dir) => crate::output::write_all(dir, &produced.files, force).map(|_| ()),
        Destination::Stdout => write_out(out, &produced.text),
    }
}
