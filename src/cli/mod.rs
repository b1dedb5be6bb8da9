//! The command line: clap definitions, dispatch, and the one place that turns errors into
//! messages and exit codes. Everything else in the library returns values and never prints.

use std::ffi::OsString;
use std::io::Write;
use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use crate::catalog::Catalog;
use crate::error::{Error, Result};
use crate::render::Renderer;

mod access_policy;
mod boundary;
mod bucket_policy;
mod catalog;
mod catalog_cmd;
mod diff;
mod generate;
mod lint;
mod simulate;
mod wizard;

pub use crate::generate::to_pretty;
pub use boundary::BoundaryArgs;
pub use catalog_cmd::{CatalogCommand, SchemaKind};
pub use generate::GenerateArgs;

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

/// `defer`: clap builds only the arguments of the subcommand being run (generate's flags are
/// the largest set, and boundary and wizard share them), not all of them at every start.
#[derive(Debug, Subcommand)]
#[command(defer = true)]
pub enum Command {
    /// Generate a role: trust policy and permission policies
    Generate(Box<GenerateArgs>),
    /// Answer questions to build a role, then get the equivalent `generate` command
    Wizard(Box<wizard::WizardArgs>),
    /// What a change to policies or bundles adds and removes; exit 1 when privileges grow
    Diff(diff::DiffArgs),
    /// Check IAM policies and bundles offline: grammar, actions, ARNs, conditions, quotas
    Lint(lint::LintArgs),
    /// Decide a request with IAM's evaluation logic (explicit Deny > Allow > implicit deny)
    Simulate(Box<simulate::SimulateArgs>),
    /// Run least-privilege scenarios (must-allow, must-deny) against generated roles or a bundle
    Verify(simulate::VerifyArgs),
    /// S3 bucket policy: named execution roles (also of other accounts) read data and write artifacts
    BucketPolicy(Box<bucket_policy::BucketPolicyArgs>),
    /// Identity policy for the group of the people who work as a persona (open their Studio profile, pass its role)
    AccessPolicy(Box<access_policy::AccessPolicyArgs>),
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
    /// Permissions boundary for a persona's self-made job roles, and the policy that enforces it
    #[command(
        after_help = "Takes the same flags as `generate`. With --out-dir it writes boundary-policy.json, role-creation-policy.json and boundary-bundle.json."
    )]
    Boundary(Box<BoundaryArgs>),
    /// Start, validate and describe a user catalog
    Catalog {
        #[command(subcommand)]
        command: CatalogCommand,
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

/// Runs the command line; returns the process exit status.
pub fn main() -> i32 {
    let args: Vec<OsString> = std::env::args_os().collect();
    let cli = match Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        Err(error) => {
            let code = error.exit_code();
            match usage_report(&error, &args) {
                Some(json) => {
                    let _ = std::io::stderr().lock().write_all(json.as_bytes());
                }
                None => {
                    let _ = error.print();
                }
            }
            return code;
        }
    };
    let mut stdout = std::io::stdout().lock();
    match run_with_notes(&cli, &mut stdout, &mut std::io::stderr()) {
        Ok(()) => 0,
        Err(error) => {
            let mut stderr = std::io::stderr().lock();
            let _ = stderr.write_all(report(&error, cli.error_format).as_bytes());
            error.exit_code()
        }
    }
}

/// Runs a parsed command, writing results to `out` (notes such as warnings are dropped).
pub fn run(cli: &Cli, out: &mut dyn Write) -> Result<()> {
    run_with_notes(cli, out, &mut std::io::sink())
}

/// Runs a parsed command, writing results to `out` and notes for the person running it (warnings
/// about a role that was written anyway) to `notes`.
pub fn run_with_notes(cli: &Cli, out: &mut dyn Write, notes: &mut dyn Write) -> Result<()> {
    // Only the commands that need the catalog or templates pay for loading them.
    let catalog = || Catalog::load(cli.catalog.as_deref());
    // The global flags a printed equivalent command must repeat.
    let mut global = Vec::new();
    for (flag, dir) in [("--catalog", &cli.catalog), ("--templates", &cli.templates)] {
        if let Some(dir) = dir {
            global.extend([flag.to_string(), dir.display().to_string()]);
        }
    }
    let renderer = || Renderer::new(cli.templates.as_deref());
    match &cli.command {
        Command::Generate(args) => generate::generate_command(
            cli.catalog.as_deref(),
            &renderer()?,
            args,
            out,
            notes,
            &global,
        ),
        Command::Wizard(args) => {
            wizard::wizard_command(&catalog()?, &renderer()?, args, out, notes, &global)
        }
        Command::Simulate(args) => simulate::simulate_command(args, out),
        Command::Lint(args) => lint::lint_command(args, out),
        Command::Diff(args) => diff::diff_command(args, out),
        Command::Verify(args) => simulate::verify_command(&catalog()?, &renderer()?, args, out),
        Command::List { what } => write_out(out, &catalog::list(&catalog()?, *what)),
        Command::Show { what, id } => write_out(out, &catalog::show(&catalog()?, *what, id)?),
        Command::Boundary(args) => boundary::boundary_command(&catalog()?, &renderer()?, args, out),
        Command::Catalog { command } => {
            write_out(out, &catalog_cmd::run(command, cli.templates.as_deref())?)
        }
        Command::BucketPolicy(args) => {
            bucket_policy::bucket_policy_command(&renderer()?, args, out)
        }
        Command::AccessPolicy(args) => {
            access_policy::access_policy_command(&catalog()?, &renderer()?, args, out)
        }
    }
}

pub(crate) fn write_out(out: &mut dyn Write, text: &str) -> Result<()> {
    out.write_all(text.as_bytes()).map_err(|source| Error::Io {
        action: "cannot write to",
        path: PathBuf::from("stdout"),
        source,
    })
}

/// The error as the user sees it on stderr.
pub fn report(error: &Error, format: ErrorFormat) -> String {
    match format {
        ErrorFormat::Json => to_pretty(&serde_json::json!({ "error": error_json(error) })),
        ErrorFormat::Human => {
            let mut text = String::new();
            if let Error::SpecDir { failures, .. } = error {
                // Each failed spec first, named, then the summary line.
                for (file, failure) in failures {
                    let inner = report(failure, ErrorFormat::Human);
                    let inner = inner.strip_prefix("error: ").unwrap_or(&inner);
                    text.push_str(&format!("error: `{}`: {inner}", file.display()));
                }
            }
            text.push_str(&format!("error: {error}\n"));
            // A spec error's message is its one diagnostic: do not print it twice.
            let diagnostics = match error {
                Error::Spec(_) => Vec::new(),
                _ => error.diagnostics(),
            };
            for diagnostic in diagnostics {
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

fn error_json(error: &Error) -> serde_json::Value {
    let mut value = serde_json::json!({
        "message": error.to_string(),
        "exit_code": error.exit_code(),
        "help": error.help(),
        "diagnostics": error.diagnostics(),
    });
    if let Error::SpecDir { failures, .. } = error {
        value["failures"] = failures
            .iter()
            .map(|(file, failure)| {
                serde_json::json!({ "file": file.display().to_string(), "error": error_json(failure) })
            })
            .collect();
    }
    value
}

/// A command line clap refused, as JSON when `--error-format json` was asked for; `None` for the
/// human format and for `--help`/`--version`, which clap prints itself. The format cannot come
/// from arguments that did not parse, so the raw ones are searched for it (up to a `--`).
fn usage_report(error: &clap::Error, args: &[OsString]) -> Option<String> {
    if !error.use_stderr() {
        return None;
    }
    let mut options = args.iter().skip(1).map(|a| a.to_str().unwrap_or_default());
    let mut json = false;
    while let Some(arg) = options.next() {
        match arg {
            "--" => break,
            "--error-format" => json = options.next() == Some("json"),
            "--error-format=json" => json = true,
            other if other.starts_with("--error-format=") => json = false,
            _ => {}
        }
    }
    if !json {
        return None;
    }
    let text = error.render().to_string();
    if error.kind() == clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
        // clap prints the command's help, which starts with its description, not an error.
        // The command is the usage line's words before its first `[OPTIONS]` or `<ARG>`.
        let command: Vec<&str> = text
            .lines()
            .find_map(|line| line.strip_prefix("Usage: "))
            .unwrap_or("mlrole")
            .split_whitespace()
            .take_while(|word| !word.starts_with(['[', '<']))
            .collect();
        return Some(to_pretty(&serde_json::json!({ "error": {
            "message": format!("`{}` requires a subcommand", command.join(" ")),
            "exit_code": error.exit_code(),
            "help": text.trim(),
            "diagnostics": [],
        }})));
    }
    // clap's text: the message (possibly over several lines), a blank line, then tips and usage.
    let (head, rest) = text.split_once("\n\n").unwrap_or((&text, ""));
    let head = head.strip_prefix("error: ").unwrap_or(head);
    let message = head.lines().map(str::trim).collect::<Vec<_>>().join(" ");
    let help = rest.trim();
    Some(to_pretty(&serde_json::json!({ "error": {
        "message": message,
        "exit_code": error.exit_code(),
        "help": (!help.is_empty()).then_some(help),
        "diagnostics": [],
    }})))
}

/// Used by tests: run with arguments, capturing stdout.
pub fn run_args<I, T>(args: I) -> std::result::Result<String, (i32, String)>
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let args: Vec<OsString> = args.into_iter().map(Into::into).collect();
    let cli = Cli::try_parse_from(&args).map_err(|e| {
        let report = usage_report(&e, &args).unwrap_or_else(|| e.to_string());
        (e.exit_code(), report)
    })?;
    let mut out = Vec::new();
    run(&cli, &mut out).map_err(|error| (error.exit_code(), report(&error, cli.error_format)))?;
    Ok(String::from_utf8_lossy(&out).into_owned())
}
