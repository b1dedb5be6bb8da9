//! `mlrole access-policy`: flags → validated request → the persona's people's identity policy, as
//! JSON or as a CloudFormation/Terraform group → stdout or file.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;

use super::write_out;
use crate::access_policy::{AccessFormat, AccessSpec};
use crate::catalog::Catalog;
use crate::error::{Error, Result};
use crate::render::Renderer;

#[derive(Debug, Args)]
pub struct AccessPolicyArgs {
    /// Persona the people work as (a Studio persona: see `mlrole list personas`)
    #[arg(long, value_name = "ID", required = true, help_heading = "Access")]
    pub persona: String,
    /// The persona's execution role ARN: the only role they may pass, and only to SageMaker
    #[arg(
        long,
        value_name = "ROLE_ARN",
        required = true,
        help_heading = "Access"
    )]
    pub execution_role: String,
    /// Account id (12 digits; default: the execution role's account, which must be the same)
    #[arg(long, value_name = "ID", help_heading = "Access")]
    pub account: Option<String>,
    /// Region of the Studio domain; without it any region
    #[arg(long, value_name = "REGION", help_heading = "Access")]
    pub region: Option<String>,
    /// Studio domain id; without it any domain of the account (still only their own profile)
    #[arg(long, value_name = "ID", help_heading = "Access")]
    pub domain_id: Option<String>,
    /// Output format
    #[arg(long, value_enum, help_heading = "Output")]
    pub format: Option<AccessFormat>,
    /// CloudFormation/Terraform: IAM group name (default: <persona role name>-Users)
    #[arg(long, value_name = "NAME", help_heading = "Output")]
    pub group_name: Option<String>,
    /// Write to this file instead of stdout
    #[arg(long, short, value_name = "FILE", help_heading = "Output")]
    pub output: Option<PathBuf>,
    /// Replace the output file if it exists
    #[arg(long, help_heading = "Output")]
    pub force: bool,
}

pub(super) fn access_policy_command(
    catalog: &Catalog,
    renderer: &Renderer,
    args: &AccessPolicyArgs,
    out: &mut dyn Write,
) -> Result<()> {
    let format = args.format.unwrap_or_default();
    if format == AccessFormat::Json && args.group_name.is_some() {
        return Err(Error::Usage {
            message: "`--group-name` applies to `--format cloudformation` and `--format terraform`"
                .into(),
            help: Some(
                "the JSON policy attaches to any group; name the group where you attach it".into(),
            ),
        });
    }
    if let Some(path) = &args.output {
        crate::output::check_file_path("--output", path)?;
    }
    let request = AccessSpec {
        persona: args.persona.clone(),
        execution_role: args.execution_role.clone(),
        account: args.account.clone(),
        region: args.region.clone(),
        domain_id: args.domain_id.clone(),
        group_name: args.group_name.clone(),
    }
    .resolve(catalog)?;
    let text = request.render(renderer, format)?;
    match &args.output {
        Some(path) => crate::output::write_one(path, &text, args.force),
        None => write_out(out, &text),
    }
}
