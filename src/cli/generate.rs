//! `mlrole generate`: flags → spec → validated request → generated role → stdout or files.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use clap::Args;

use super::write_out;
use crate::catalog::Catalog;
use crate::error::{Error, Result};
use crate::generate::{self, Format, Produced};
use crate::output::{self, Durability, FlushGroup, Input, Staged};
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
    /// KMS key ARN for storage volumes (repeatable; with --data-kms-key for roles that start jobs)
    #[arg(
        long = "volume-kms-key",
        value_name = "KEY_ARN",
        help_heading = "Network and encryption"
    )]
    pub volume_kms_keys: Vec<String>,
    /// KMS key ARN for data in S3 (repeatable; with --volume-kms-key for roles that start jobs)
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
    /// Folder of spec files (*.yaml, *.yml, *.json): one role each, into `<out-dir>/<file stem>/`
    #[arg(
        long,
        value_name = "DIR",
        conflicts_with_all = ["spec", "output"],
        help_heading = "Input and output"
    )]
    pub spec_dir: Option<PathBuf>,
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
    /// Refuse the role when the checks of what it renders give warnings (printed on stderr either way)
    #[arg(long, help_heading = "Input and output")]
    pub deny_warnings: bool,
}

fn parse_tag(value: &str) -> std::result::Result<(String, String), String> {
    value
        .split_once('=')
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .ok_or_else(|| format!("`{value}` is not KEY=VALUE"))
}

impl GenerateArgs {
    /// The flags over the `--spec` file, if any, with labels that name each field as the user
    /// wrote it (flag or spec key).
    pub(super) fn spec_with_labels(&self, flags: RoleSpec) -> Result<(RoleSpec, FieldLabels)> {
        self.refuse_repeated_tags()?;
        Ok(match &self.spec {
            Some(path) => flags.over(RoleSpec::from_file(path)?, path),
            None => (flags, FieldLabels::default()),
        })
    }

    /// A key given twice with `--tag` (in any case) would keep one value and drop the other,
    /// depending on the order of the flags.
    pub(super) fn refuse_repeated_tags(&self) -> Result<()> {
        for (at, (key, value)) in self.tags.iter().enumerate() {
            if let Some((first, first_value)) = self.tags[..at]
                .iter()
                .find(|(earlier, _)| earlier.to_lowercase() == key.to_lowercase())
            {
                return Err(Error::invalid_with_help(
                    "`--tag`",
                    format!("{first}={first_value}, {key}={value}"),
                    "the same tag key is given twice (IAM compares tag keys without regard to case)",
                    "give each key once",
                ));
            }
        }
        Ok(())
    }

    /// Where `-o FILE` or `--out-dir DIR` send the result; standard output without either.
    pub(super) fn destination(&self) -> Destination {
        match (&self.output, &self.out_dir) {
            (Some(path), _) => Destination::File(path.clone()),
            (None, Some(dir)) => Destination::Dir(dir.clone()),
            (None, None) => Destination::Stdout,
        }
    }

    /// The files this command reads (the `--spec` file): no output may be written over them.
    pub(super) fn inputs(&self) -> Vec<Input<'_>> {
        self.spec
            .iter()
            .map(|path| Input {
                flag: "--spec",
                path,
            })
            .collect()
    }

    /// `boundary` and `wizard` share these flags but make one role: `--spec-dir` is refused there.
    pub(super) fn refuse_spec_dir(&self, command: &str) -> Result<()> {
        match &self.spec_dir {
            Some(_) => Err(Error::Usage {
                message: format!("`--spec-dir` applies to `generate` only, not to `{command}`"),
                help: Some("use `--spec FILE` for one role".into()),
            }),
            None => Ok(()),
        }
    }

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
    catalog_dir: Option<&Path>,
    renderer: &Renderer,
    args: &GenerateArgs,
    out: &mut dyn Write,
    notes: &mut dyn Write,
    global: &[String],
) -> Result<()> {
    if let Some(spec_dir) = &args.spec_dir {
        // Checked here rather than by clap, so that `boundary` and `wizard`, which share these
        // flags, refuse `--spec-dir` itself instead of asking for `--out-dir`.
        let Some(out_dir) = &args.out_dir else {
            return Err(Error::Missing {
                what: "`--out-dir DIR`".into(),
                needed_by: "`--spec-dir` (each spec's role goes into its own folder there)".into(),
                help: "add `--out-dir DIR`".into(),
            });
        };
        output::check_folder_path("--out-dir", out_dir)?;
        let catalog = Catalog::load(catalog_dir)?;
        return generate_spec_dir(&catalog, renderer, args, spec_dir, out_dir, out, notes);
    }
    let destination = args.destination();
    check_destination(&destination, generate::is_role_file, &args.inputs())?;
    let flags = args.to_spec();
    let nothing_chosen =
        args.spec.is_none() && flags.persona.is_none() && flags.activities.is_empty();
    if nothing_chosen && super::wizard::can_prompt() {
        // A person at a terminal who named no persona or activity gets the wizard.
        return super::wizard::run_session(
            &Catalog::load(catalog_dir)?,
            renderer,
            &mut super::wizard::InquirePrompter,
            args,
            out,
            notes,
            global,
        );
    }
    let (spec, labels) = args.spec_with_labels(flags)?;
    // Only the persona and activities this role names are parsed (see `Catalog::load_for`).
    let named: Vec<String> = spec
        .activities
        .iter()
        .chain(&spec.without_activities)
        .cloned()
        .collect();
    let catalog = Catalog::load_for(catalog_dir, spec.persona.as_deref(), &named)?;
    let request = spec.resolve(&catalog, &labels)?;
    let produced = generate::produce(
        &catalog,
        renderer,
        &request,
        args.format.unwrap_or_default(),
        args.inline,
    )?;
    let warnings = check_findings(&produced, args.deny_warnings, "generated role")?;
    write_result(&produced, &destination, args.force, out)?;
    write_notes(notes, &warnings);
    Ok(())
}

/// What the self-lint of a produced role left below error level (errors already stopped it), as
/// text for stderr; with `--deny-warnings` they stop it too, before anything is written. Only a
/// user catalog or template can cause them: a test keeps the built-in ones clean.
pub(super) fn check_findings(produced: &Produced, deny: bool, label: &str) -> Result<String> {
    let findings = &produced.generated.findings;
    if findings.is_empty() {
        return Ok(String::new());
    }
    let report = crate::lint::render_human(findings, label);
    if deny {
        return Err(Error::DeniedWarnings { report });
    }
    Ok(format!(
        "warning: the role was written, but the checks of what it renders found this (`--deny-warnings` refuses such a role):\n{report}"
    ))
}

/// Best effort: a note that cannot reach stderr must not fail a role already written.
pub(super) fn write_notes(notes: &mut dyn Write, text: &str) {
    if !text.is_empty() {
        let _ = notes.write_all(text.as_bytes());
    }
}

/// `generate --spec-dir DIR --out-dir OUT`: one role per spec file, each into `OUT/<stem>/`, on
/// every core. A spec that fails is reported with its file and writes nothing; the others go on.
fn generate_spec_dir(
    catalog: &Catalog,
    renderer: &Renderer,
    args: &GenerateArgs,
    spec_dir: &Path,
    out_dir: &Path,
    out: &mut dyn Write,
    notes: &mut dyn Write,
) -> Result<()> {
    args.refuse_repeated_tags()?;
    let specs = spec_files(spec_dir)?;
    let flags = args.to_spec();
    let format = args.format.unwrap_or_default();
    // Two files with the same stem (`a.yaml`, `a.json`) would share `OUT/a/`: both fail.
    // Counted by the names themselves: lossy forms of two names can be equal.
    let mut stems: BTreeMap<&std::ffi::OsStr, usize> = BTreeMap::new();
    for (_, path) in &specs {
        *stems
            .entry(path.file_stem().unwrap_or_default())
            .or_default() += 1;
    }
    // Every spec's files are written under temporary names first, then made durable with one
    // flush per filesystem, then renamed into place: a spec that fails at any step leaves nothing.
    let group = FlushGroup::default();
    // Made once here, not by the workers: a failing spec removes the folders it created, and
    // `--out-dir` itself must not go while another worker is about to write into it.
    let out_dir_created = output::create_folders(out_dir)?;
    let inputs: Vec<Input<'_>> = specs
        .iter()
        .map(|(_, path)| Input {
            flag: "--spec-dir",
            path,
        })
        .collect();
    let stage = |stem: &str, path: &Path| -> Result<(Staged, String)> {
        if path.file_stem().and_then(|name| name.to_str()).is_none() {
            return Err(Error::Usage {
                message: format!(
                    "the file name `{}` is not UTF-8, and its role's folder in `{}` is named after it",
                    path.display(),
                    out_dir.display()
                ),
                help: Some("rename the spec file".into()),
            });
        }
        if stems.get(path.file_stem().unwrap_or_default()) > Some(&1) {
            return Err(Error::Usage {
                message: format!(
                    "another spec file in `{}` has the same name `{stem}`, and both would write `{}`",
                    spec_dir.display(),
                    out_dir.join(stem).display()
                ),
                help: Some("rename one of them".into()),
            });
        }
        let role_dir = out_dir.join(stem);
        // A role folder that is a symlink would take `--force`'s replacements and removals out
        // of `--out-dir`.
        if std::fs::symlink_metadata(&role_dir).is_ok_and(|m| m.file_type().is_symlink()) {
            return Err(Error::Usage {
                message: format!(
                    "`{}` is a symbolic link: `--spec-dir` writes each role into a real folder of `--out-dir`",
                    role_dir.display()
                ),
                help: Some("remove the link, or choose another `--out-dir`".into()),
            });
        }
        // Every spec of the folder, not only this one: one role's files must not land on
        // (or, with `--force`, remove) another role's spec.
        output::refuse_input_in_folder("--out-dir", &role_dir, generate::is_role_file, &inputs)?;
        let (spec, labels) = flags.clone().over(RoleSpec::from_file(path)?, path);
        let request = spec.resolve(catalog, &labels)?;
        let produced = generate::produce(catalog, renderer, &request, format, args.inline)?;
        let warnings = check_findings(&produced, args.deny_warnings, &path.display().to_string())?;
        let staged = output::stage_all(
            &role_dir,
            &produced.files(),
            args.force,
            format.owns(),
            Durability::Batch(&group),
        )?;
        Ok((staged, warnings))
    };
    let staged = parallel_map(&specs, |(stem, path)| stage(stem, path));
    group.flush();
    // Renames are quick metadata changes: one thread does them all.
    let results: Vec<Result<Vec<PathBuf>>> = staged
        .into_iter()
        .map(|result| {
            result.and_then(|(staged, warnings)| {
                let written = group.commit(staged)?;
                write_notes(notes, &warnings);
                Ok(written)
            })
        })
        .collect();
    if results.iter().any(Result::is_ok) {
        out_dir_created.keep();
    }
    let total = specs.len();
    let failures: Vec<(PathBuf, Error)> = specs
        .into_iter()
        .zip(results)
        .filter_map(|((_, path), result)| result.err().map(|error| (path, error)))
        .collect();
    if failures.is_empty() {
        write_out(
            out,
            &format!(
                "generated {total} role(s) from `{}` into `{}`\n",
                spec_dir.display(),
                out_dir.display()
            ),
        )
    } else {
        Err(Error::SpecDir {
            total,
            out_dir: out_dir.to_path_buf(),
            failures,
        })
    }
}

/// The spec files of a folder (`*.yaml`, `*.yml`, `*.json`, not hidden), sorted, with their stems.
fn spec_files(dir: &Path) -> Result<Vec<(String, PathBuf)>> {
    let entries = std::fs::read_dir(dir).map_err(|source| Error::Io {
        action: "cannot read spec folder",
        path: dir.to_path_buf(),
        source,
    })?;
    let mut specs = Vec::new();
    for entry in entries {
        let path = entry
            .map_err(|source| Error::Io {
                action: "cannot read spec folder",
                path: dir.to_path_buf(),
                source,
            })?
            .path();
        let is_spec = matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("yaml" | "yml" | "json")
        );
        // A name that is not UTF-8 is kept (lossily) so that `stage` refuses it by name rather
        // than the spec being left out without a word.
        let stem = path
            .file_stem()
            .map(|stem| stem.to_string_lossy().into_owned());
        match stem {
            Some(stem) if is_spec && !stem.starts_with('.') && path.is_file() => {
                specs.push((stem, path))
            }
            _ => {}
        }
    }
    specs.sort();
    if specs.is_empty() {
        return Err(Error::Usage {
            message: format!("`{}` has no spec files", dir.display()),
            help: Some("`--spec-dir` reads the *.yaml, *.yml and *.json files of a folder".into()),
        });
    }
    Ok(specs)
}

/// `f` over `items` on scoped threads that each take the next item from a shared
/// counter (so one slow spec does not hold up a whole share); results in the order of `items`.
fn parallel_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    // One worker per core: no worker waits for the disk, since files are flushed once at the end
    // (four per core, which helped while every file was flushed on its own, now gives no gain on
    // ext4 or tmpfs and 9 MB more peak memory). At most 32, so that a large machine does not hold
    // hundreds of roles in memory at once.
    let workers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(32)
        .min(items.len())
        .max(1);
    let next = AtomicUsize::new(0);
    let mut done: Vec<(usize, R)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                scope.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let index = next.fetch_add(1, Ordering::Relaxed);
                        let Some(item) = items.get(index) else { break };
                        mine.push((index, f(item)));
                    }
                    mine
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| {
                h.join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    });
    done.sort_by_key(|(index, _)| *index);
    done.into_iter().map(|(_, result)| result).collect()
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
        Destination::Dir(dir) => {
            crate::output::write_all(dir, &produced.files(), force, produced.format().owns())
                .map(|_| ())
        }
        Destination::Stdout => write_out(out, &produced.text),
    }
}

/// Refuses, before anything is written, a destination that cannot be written (a folder for
/// `--output`, a file for `--out-dir`, a path under a file) or that would write over one of the
/// command's `inputs`; in a folder, over a file of a name `ours` accepts (the names the command
/// writes there).
pub(super) fn check_destination(
    destination: &Destination,
    ours: fn(&str) -> bool,
    inputs: &[Input<'_>],
) -> Result<()> {
    match destination {
        Destination::File(path) => {
            output::check_file_path("--output", path)?;
            output::refuse_input_as_output("--output", path, inputs)
        }
        Destination::Dir(dir) => {
            output::check_folder_path("--out-dir", dir)?;
            output::refuse_input_in_folder("--out-dir", dir, ours, inputs)
        }
        Destination::Stdout => Ok(()),
    }
}
