//! `mlrole boundary`: the same flags as `generate` (persona, resources, spec file, output), then a
//! permissions boundary for the persona and the role-creation policy that enforces it.

use clap::Args;
use std::io::Write;

use super::{to_pretty, write_out, GenerateArgs};
use crate::boundary::{self, Boundary, BoundaryOptions};
use crate::catalog::Catalog;
use crate::error::{Error, Result};
use crate::render::Renderer;

#[derive(Debug, Args)]
pub struct BoundaryArgs {
    #[command(flatten)]
    pub role: GenerateArgs,
    /// Name of the boundary policy (default: <role name>-boundary)
    #[arg(long, value_name = "NAME", help_heading = "Boundary")]
    pub boundary_name: Option<String>,
    /// IAM path of the job roles the persona's users may create (default: /mlrole/<persona>/)
    #[arg(long, value_name = "PATH", help_heading = "Boundary")]
    pub job_role_path: Option<String>,
}

pub(super) fn boundary_command(
    catalog: &Catalog,
    renderer: &Renderer,
    args: &BoundaryArgs,
    out: &mut dyn Write,
) -> Result<()> {
    if args
        .role
        .format
        .is_some_and(|f| f != crate::generate::Format::Json)
        || args.role.inline
    {
        return Err(Error::Usage {
            message: "`boundary` writes JSON only; `--format` and `--inline` apply to `generate`"
                .into(),
            help: Some("drop `--format`/`--inline`".into()),
        });
    }
    if args.role.deny_warnings {
        return Err(Error::Usage {
            message: "`--deny-warnings` applies to `generate` and `wizard`".into(),
            help: Some("drop `--deny-warnings`".into()),
        });
    }
    args.role.refuse_spec_dir("boundary")?;
    let (spec, labels) = args.role.spec_with_labels(args.role.to_spec())?;
    if spec.persona.is_none() {
        return Err(Error::Usage {
            message: "a permissions boundary is made for a persona".into(),
            help: Some("add `--persona ID` (see `mlrole list personas`)".into()),
        });
    }
    let request = spec.resolve(catalog, &labels)?;
    let options = BoundaryOptions {
        boundary_name: args.boundary_name.clone(),
        job_role_path: args.job_role_path.clone(),
    };
    let generated = boundary::boundary(catalog, renderer, &request, &options)?;
    let bundle = to_pretty(&generated.bundle());
    match (&args.role.output, &args.role.out_dir) {
        (Some(path), _) => crate::output::write_one(path, &bundle, args.role.force),
        (None, Some(dir)) => {
            crate::output::write_all(dir, &files(&generated, &bundle), args.role.force).map(|_| ())
        }
        (None, None) => write_out(out, &bundle),
    }
}

/// The files `--out-dir` writes.
pub fn files(generated: &Boundary, bundle: &str) -> Vec<(String, String)> {
    vec![
        (
            "boundary-policy.json".to_string(),
            to_pretty(&generated.boundary_policy),
        ),
        (
            "role-creation-policy.json".to_string(),
            to_pretty(&generated.creation_policy),
        ),
        ("boundary-bundle.json".to_string(), bundle.to_string()),
    ]
}
