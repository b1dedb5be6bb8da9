//! The command line: clap definitions, dispatch, and the one place that turns errors into
//! messages and exit codes. Everything else in the library returns values and never prints.

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::catalog::{Catalog, Requirement};
use crate::error::{Error, Result};
use crate::generate::{self, Generated};
use crate::render::Renderer;
use crate::request::{FieldLabels, RoleSpec};

#[derive(Debug, Parser)]
#[command(
    name = "mlrole",
    version,
    about = "Least-privilege IAM execution roles for SageMaker personas and ML activities, as code"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,

    /// Folder with `personas/` and/or `activities/` YAML that add to or replace the built-in catalog
    #[arg(long, global = true, value_name = "DIR")]
    pub catalog: Option<PathBuf>,

    /// Folder with `.tera` templates that replace the built-in ones of the same name
    #[arg(long, global = true, value_name = "DIR")]
    pub templates: Option<PathBuf>,

    /// How errors are printed on stderr
    #[arg(long, global = true, value_enum, default_value_t = ErrorFormat::Human)]
    pub error_format: ErrorFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ErrorFormat {
    Human,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Generate a role: trust policy and permission policies
    Generate(Box<GenerateArgs>),
    /// List the personas or activities of the catalog
    List {
        #[arg(value_enum)]
        what: ListWhat,
    },
    /// Show what a persona or activity grants, and why
    Show {
        #[arg(value_enum)]
        what: ShowWhat,
        /// The persona or activity id
        id: String,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ListWhat {
    Personas,
    Activities,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ShowWhat {
    Persona,
    Activity,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Json,
}

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

    /// Role spec file (YAML or JSON) with the same fields as these flags; flags win
    #[arg(long, value_name = "FILE", help_heading = "Input and output")]
    pub spec: Option<PathBuf>,
    /// Output format
    #[arg(long, value_enum, default_value_t = OutputFormat::Json, help_heading = "Input and output")]
    pub format: OutputFormat,
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
        }
    }
}

/// Runs the command line; returns the process exit status.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let code = error.exit_code();
            let _ = error.print();
            return code;
        }
    };
    let mut stdout = std::io::stdout().lock();
    match run(&cli, &mut stdout) {
        Ok(()) => 0,
        Err(error) => {
            let mut stderr = std::io::stderr().lock();
            let _ = stderr.write_all(report(&error, cli.error_format).as_bytes());
            error.exit_code()
        }
    }
}

/// Runs a parsed command, writing results to `out`.
pub fn run(cli: &Cli, out: &mut dyn Write) -> Result<()> {
    let catalog = Catalog::load(cli.catalog.as_deref())?;
    match &cli.command {
        Command::Generate(args) => {
            let renderer = Renderer::new(cli.templates.as_deref())?;
            generate_command(&catalog, &renderer, args, out)
        }
        Command::List { what } => write_out(out, &list(&catalog, *what)),
        Command::Show { what, id } => write_out(out, &show(&catalog, *what, id)?),
    }
}

fn write_out(out: &mut dyn Write, text: &str) -> Result<()> {
    out.write_all(text.as_bytes()).map_err(|source| Error::Io {
        action: "cannot write to",
        path: PathBuf::from("stdout"),
        source,
    })
}

fn generate_command(
    catalog: &Catalog,
    renderer: &Renderer,
    args: &GenerateArgs,
    out: &mut dyn Write,
) -> Result<()> {
    let flags = args.to_spec();
    let (spec, labels) = match &args.spec {
        Some(path) => flags.over(RoleSpec::from_file(path)?, path),
        None => (flags, FieldLabels::default()),
    };
    let request = spec.resolve(catalog, &labels)?;
    let generated = generate::generate(catalog, renderer, &request)?;
    let bundle = to_pretty(&generated.bundle());
    match (&args.output, &args.out_dir) {
        (Some(path), _) => crate::output::write_one(path, &bundle, args.force),
        (None, Some(dir)) => {
            crate::output::write_all(dir, &files(&generated, &bundle), args.force).map(|_| ())
        }
        (None, None) => write_out(out, &bundle),
    }
}

/// Pretty JSON with a final newline: the byte-stable form of every JSON mlrole writes.
pub fn to_pretty(value: &serde_json::Value) -> String {
    let mut text = serde_json::to_string_pretty(value).unwrap_or_default();
    text.push('\n');
    text
}

/// The files `--out-dir` writes.
pub fn files(generated: &Generated, bundle: &str) -> Vec<(String, String)> {
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
    files.push(("bundle.json".to_string(), bundle.to_string()));
    files
}

fn list(catalog: &Catalog, what: ListWhat) -> String {
    let mut text = String::new();
    match what {
        ListWhat::Personas => {
            for persona in &catalog.personas {
                text.push_str(&format!(
                    "{:<26} {}\n{:<26} default activities: {}\n",
                    persona.id,
                    persona.title,
                    "",
                    persona.default_activities.join(", ")
                ));
            }
        }
        ListWhat::Activities => {
            for activity in &catalog.activities {
                let personas = catalog.personas_defaulting_to(&activity.id);
                let by = if personas.is_empty() {
                    String::new()
                } else {
                    format!("  [default for: {}]", personas.join(", "))
                };
                text.push_str(&format!("{:<32} {}{by}\n", activity.id, activity.title));
            }
        }
    }
    text
}

fn show(catalog: &Catalog, what: ShowWhat, id: &str) -> Result<String> {
    let mut text = String::new();
    match what {
        ShowWhat::Persona => {
            let persona = catalog.persona(id)?;
            text.push_str(&format!(
                "{} ({})\n\n{}\n\n",
                persona.title,
                persona.id,
                persona.description.trim()
            ));
            text.push_str(&format!("role name:          {}\n", persona.role_name));
            text.push_str(&format!(
                "trusted services:   {}\n",
                persona.trust_services.join(", ")
            ));
            if let Some(arn) = &persona.trust_source_arn {
                text.push_str(&format!("trust source ARN:   {arn}\n"));
            }
            text.push_str(&format!(
                "max session:        {} s\n",
                persona.max_session_duration
            ));
            if !persona.required_parameters.is_empty() {
                text.push_str(&format!(
                    "requires:           {}\n",
                    persona.required_parameters.join(", ")
                ));
            }
            text.push_str("default activities:\n");
            for activity in &persona.default_activities {
                let title = catalog
                    .activity(activity)
                    .map(|a| a.title.clone())
                    .unwrap_or_default();
                text.push_str(&format!("  - {activity:<30} {title}\n"));
            }
        }
        ShowWhat::Activity => {
            let activity = catalog.activity(id)?;
            text.push_str(&format!(
                "{} ({})\n\n{}\n",
                activity.title,
                activity.id,
                activity.description.trim()
            ));
            if !activity.parameters.is_empty() {
                text.push_str("\nparameters:\n");
                for (name, requirement) in &activity.parameters {
                    let info = crate::params::find(name);
                    let need = if *requirement == Requirement::Required {
                        "required"
                    } else {
                        "optional"
                    };
                    text.push_str(&format!(
                        "  {name:<20} {need:<9} {} ({})\n",
                        info.map(|p| p.describe).unwrap_or(""),
                        info.map(|p| p.flag).unwrap_or("")
                    ));
                }
            }
            text.push_str("\nstatements:\n");
            for statement in &activity.statements {
                text.push_str(&format!(
                    "\n  {} [{}]",
                    statement.sid,
                    statement.effect.as_str()
                ));
                if statement.when != crate::catalog::When::Always {
                    text.push_str(&format!(" only with {} settings", statement.when.as_str()));
                }
                text.push_str(&format!(
                    "\n    why: {}\n    actions:\n",
                    statement.why.trim()
                ));
                for action in &statement.actions {
                    text.push_str(&format!("      {action}\n"));
                }
                text.push_str("    resources:\n");
                for resource in &statement.resources {
                    text.push_str(&format!("      {resource}\n"));
                }
                for (operator, key, values) in &statement.conditions {
                    let values: Vec<String> = values.iter().map(ToString::to_string).collect();
                    text.push_str(&format!(
                        "    condition: {operator} {key} = {}\n",
                        values.join(", ")
                    ));
                }
                if !statement.network.is_empty() {
                    text.push_str(&format!(
                        "    network/encryption conditions: {:?}\n",
                        statement.network
                    ));
                }
            }
            if let Some(note) = &activity.role_manager {
                text.push_str("\ncompared with Role Manager");
                if let Some(template) = &note.template {
                    text.push_str(&format!(" ({template})"));
                }
                text.push_str(":\n");
                for difference in &note.differences {
                    text.push_str(&format!("  - {}\n", difference.trim()));
                }
            }
        }
    }
    Ok(text)
}

/// The error as the user sees it on stderr.
pub fn report(error: &Error, format: ErrorFormat) -> String {
    match format {
        ErrorFormat::Json => {
            let value = serde_json::json!({
                "error": {
                    "message": error.to_string(),
                    "exit_code": error.exit_code(),
                    "help": error.help(),
                    "diagnostics": error.diagnostics(),
                }
            });
            to_pretty(&value)
        }
        ErrorFormat::Human => {
            let mut text = format!("error: {error}\n");
            for diagnostic in error.diagnostics() {
                let location = match diagnostic.line {
                    Some(line) => format!("{}:{line}", diagnostic.file),
                    None => diagnostic.file.clone(),
                };
                text.push_str(&format!("  --> {location}: {}\n", diagnostic.message));
                if let Some(help) = diagnostic.help {
                    text.push_str(&format!("      help: {help}\n"));
                }
            }
            if let Some(help) = error.help() {
                text.push_str(&format!("  help: {help}\n"));
            }
            text
        }
    }
}

/// Used by tests: run with arguments, capturing stdout.
pub fn run_args<I, T>(args: I) -> std::result::Result<String, (i32, String)>
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let cli = Cli::try_parse_from(args).map_err(|e| (e.exit_code(), e.to_string()))?;
    let mut out = Vec::new();
    run(&cli, &mut out).map_err(|error| (error.exit_code(), report(&error, cli.error_format)))?;
    Ok(String::from_utf8_lossy(&out).into_owned())
}
