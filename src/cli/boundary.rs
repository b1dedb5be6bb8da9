//! `mlrole boundary`: the same flags as `generate` (persona, resources, spec file, output), then a
//! permissions boundary for the persona and the role-creation policy that enforces it.

use clap::Args;
use std::io::Write;

use super::generate::check_destination;
use super::{to_pretty, write_out, GenerateArgs};
use crate::boundary::{self, Boundary, BoundaryOptions};
use crate::catalog::Catalog;
use crate::error::{Error, Result};
use crate::render::Renderer;
use crate::wizard::Destination;

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
    let destination = args.role.destination();
    check_destination(&destination, is_boundary_file, &args.role.inputs())?;
    let request = spec.resolve(catalog, &labels)?;
    let options = BoundaryOptions {
        boundary_name: args.boundary_name.clone(),
        job_role_path: args.job_role_path.clone(),
    };
    let generated = boundary::boundary(catalog, renderer, &request, &options)?;
    let bundle = to_pretty(&generated.bundle());
    match &destination {
        Destination::File(path) => crate::output::write_one(path, &bundle, args.role.force),
        Destination::Dir(dir) => {
            let files = files(&generated, &bundle);
            crate::output::write_all(dir, &files, args.role.force, is_boundary_file).map(|_| ())
        }
        Destination::Stdout => write_out(out, &bundle),
    }
}

/// The names of the files `--out-dir` writes, in the order of [`files`].
const FILES: [&str; 3] = [
    "boundary-policy.json",
    "role-creation-policy.json",
    "boundary-bundle.json",
];

/// Whether `--out-dir` writes a file of this name.
fn is_boundary_file(name: &str) -> bool {
    FILES.contains(&name)
}

/// The files `--out-dir` writes.
pub fn files(generated: &Boundary, bundle: &str) -> Vec<(String, String)> {
    let [boundary, creation, bundle_file] = FILES;
    vec![
        (boundary.to_string(), to_pretty(&generated.boundary_policy)),
        (creation.to_string(), to_pretty(&generated.creation_policy)),
        (bundle_file.to_string(), bundle.to_string()),
    ]
}
