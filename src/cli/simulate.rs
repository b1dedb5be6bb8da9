//! `mlrole simulate` (one request, or JSON lines with `--batch`) and `mlrole verify` (scenario files
//! against a generated role or a bundle).

use std::io::{BufReader, Write};
use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};
use serde_json::Value;

use super::{to_pretty, write_out};
use crate::catalog::Catalog;
use crate::error::{Diagnostic, Error, Result};
use crate::render::Renderer;
use crate::simulate::{Decision, Evaluation, Policy, PolicySet, PolicyType, ReasonDetail, Request};
use crate::verify;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    Human,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Expectation {
    Allow,
    Deny,
}

#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// Identity policy file, or a bundle written by `generate` (repeatable)
    #[arg(
        long = "policy",
        value_name = "FILE",
        required_unless_present = "batch"
    )]
    pub policies: Vec<PathBuf>,
    /// Resource-based policy (e.g. an S3 bucket policy)
    #[arg(long, value_name = "FILE")]
    pub resource_policy: Option<PathBuf>,
    /// Permissions boundary
    #[arg(long, value_name = "FILE")]
    pub boundary: Option<PathBuf>,
    /// Session policy (repeatable)
    #[arg(long = "session-policy", value_name = "FILE")]
    pub session_policies: Vec<PathBuf>,
    /// Principal making the request
    #[arg(long, value_name = "ARN", required_unless_present = "batch")]
    pub principal: Option<String>,
    /// Action, e.g. sagemaker:CreateTrainingJob
    #[arg(long, value_name = "ACTION", required_unless_present = "batch")]
    pub action: Option<String>,
    /// Resource ARN
    #[arg(long, value_name = "ARN", required_unless_present = "batch")]
    pub resource: Option<String>,
    /// Account that owns the resource (default: the resource ARN's)
    #[arg(long, value_name = "ID")]
    pub resource_account: Option<String>,
    /// Context key (repeat a key for a multi-valued key)
    #[arg(long = "context", value_name = "KEY=VALUE", value_parser = parse_pair)]
    pub context: Vec<(String, String)>,
    /// Context key whose value is unknown: the answer is `indeterminate` if it depends on it
    #[arg(long = "unknown", value_name = "KEY")]
    pub unknown: Vec<String>,
    /// Exit 4 unless the decision is this (deny = explicit or implicit)
    #[arg(long, value_enum)]
    pub expect: Option<Expectation>,
    #[arg(long, value_enum, default_value_t = ReportFormat::Human)]
    pub format: ReportFormat,
    /// JSON lines of cases (`-` for stdin); one JSON line out per case, in order
    #[arg(long, value_name = "FILE", conflicts_with_all = ["policies", "principal", "action", "resource", "expect"])]
    pub batch: Option<PathBuf>,
}

fn parse_pair(value: &str) -> std::result::Result<(String, String), String> {
    value
        .split_once('=')
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .ok_or_else(|| format!("`{value}` is not KEY=VALUE"))
}

/// Reads a file (or stdin for `-`) as UTF-8, naming the file in any error.
fn read_text(path: &Path) -> Result<String> {
    let bytes = crate::input::read_capped(path, "cannot read")?;
    String::from_utf8(bytes).map_err(|_| {
        Error::Spec(Diagnostic::new(
            path.display().to_string(),
            None,
            "the file is not valid UTF-8",
        ))
    })
}

/// Reads a policy or bundle file. A key given twice is refused: the parsed value would hold
/// only one of its values, and an answer or diff from it would not be about the file.
pub(super) fn read_json(path: &Path) -> Result<Value> {
    let text = read_text(path)?;
    let value = serde_json::from_str(&text).map_err(|e| {
        Error::Spec(Diagnostic::new(path.display().to_string(), Some(e.line()), format!("invalid JSON: {e}")).with_help("a policy file holds one IAM JSON policy document, or a bundle written by `mlrole generate`"))
    })?;
    if let Some(duplicate) = crate::json_keys::duplicate_keys(&text).first.first() {
        return Err(Error::Spec(
            Diagnostic::new(
                path.display().to_string(),
                None,
                format!(
                    "`{}` is given twice in {}; which of the two values IAM uses is not documented",
                    duplicate.key,
                    duplicate.object_name()
                ),
            )
            .with_help("give the key once: merge the two values into one; `mlrole lint` lists every repeated key"),
        ));
    }
    Ok(value)
}

fn load(set: &mut PolicySet, path: &Path, kind: PolicyType) -> Result<()> {
    let label = path.display().to_string();
    let value = read_json(path)?;
    if kind == PolicyType::Identity && value.get("permission_policies").is_some() {
        for policy in verify::identity_policies(&label, &value)?.policies() {
            set.add(policy.clone());
        }
        return Ok(());
    }
    let policy = Policy::from_value(&label, kind, &value)
        .map_err(|e| Error::Spec(Diagnostic::new(label, None, e.to_string())))?;
    set.add(policy);
    Ok(())
}

pub(super) fn simulate_command(args: &SimulateArgs, out: &mut dyn Write) -> Result<()> {
    if let Some(batch) = &args.batch {
        return run_batch(batch, out);
    }
    let mut set = PolicySet::new();
    for path in &args.policies {
        load(&mut set, path, PolicyType::Identity)?;
    }
    if let Some(path) = &args.resource_policy {
        load(&mut set, path, PolicyType::Resource)?;
    }
    if let Some(path) = &args.boundary {
        load(&mut set, path, PolicyType::PermissionsBoundary)?;
    }
    for path in &args.session_policies {
        load(&mut set, path, PolicyType::Session)?;
    }
    let (principal, action, resource) = match (&args.principal, &args.action, &args.resource) {
        (Some(p), Some(a), Some(r)) => (p, a, r),
        _ => {
            return Err(Error::Usage {
                message: "`--principal`, `--action` and `--resource` are required".into(),
                help: None,
            })
        }
    };
    if let Some(problem) = crate::simulate::requester_problem(principal) {
        return Err(Error::Usage {
            message: format!("`--principal`: {problem}"),
            help: None,
        });
    }
    let mut request = Request::new(principal, action, resource);
    if let Some(account) = &args.resource_account {
        request = request.with_resource_account(account);
    }
    let mut keys: Vec<&str> = args.context.iter().map(|(k, _)| k.as_str()).collect();
    keys.dedup();
    for key in keys {
        let values: Vec<&str> = args
            .context
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .collect();
        request = if values.len() == 1 {
            request.with(key, values[0])
        } else {
            request.with_many(key, values)
        };
    }
    for key in &args.unknown {
        request = request.with_unknown(key);
    }
    let evaluation = set.evaluate(&request);
    let matches = args.expect.map(|expected| match expected {
        Expectation::Allow => evaluation.decision == Decision::Allow,
        Expectation::Deny => matches!(
            evaluation.decision,
            Decision::ExplicitDeny | Decision::ImplicitDeny
        ),
    });
    let text = match args.format {
        ReportFormat::Json => {
            let mut value = serde_json::to_value(&evaluation).unwrap_or(Value::Null);
            if let (Some(expected), Value::Object(map)) = (args.expect, &mut value) {
                map.insert(
                    "expected".into(),
                    Value::from(if expected == Expectation::Allow {
                        "allow"
                    } else {
                        "deny"
                    }),
                );
                map.insert(
                    "matches_expectation".into(),
                    Value::from(matches.unwrap_or(true)),
                );
            }
            to_pretty(&value)
        }
        ReportFormat::Human => {
            let mut text = render_evaluation(&evaluation, action, resource);
            let implied = !args
                .unknown
                .iter()
                .any(|k| k.eq_ignore_ascii_case("aws:PrincipalArn"));
            if implied
                && evaluation
                    .unknown_keys
                    .iter()
                    .any(|k| k == "aws:principalarn")
            {
                text.push_str(
                    "  help: a role session's aws:PrincipalArn is its role's ARN, path included, which the session ARN does not show: give it with `--context aws:PrincipalArn=arn:aws:iam::ACCOUNT:role/PATH/NAME`\n",
                );
            }
            text
        }
    };
    write_out(out, &text)?;
    match matches {
        Some(false) => Err(Error::Expectation {
            message: format!(
                "expected {}, the decision is {}",
                if args.expect == Some(Expectation::Allow) {
                    "allow"
                } else {
                    "deny"
                },
                evaluation.decision.as_str()
            ),
        }),
        _ => Ok(()),
    }
}

fn render_evaluation(evaluation: &Evaluation, action: &str, resource: &str) -> String {
    let mut text = format!("{}: {action} on {resource}\n", evaluation.decision.as_str());
    for reason in &evaluation.reasons {
        let statement = reason
            .sid
            .clone()
            .or_else(|| reason.statement_index.map(|i| format!("Statement[{i}]")))
            .unwrap_or_default();
        let place = if statement.is_empty() {
            reason.policy.clone()
        } else {
            format!("{} / {statement}", reason.policy)
        };
        let line = match &reason.detail {
            ReasonDetail::Matched => format!(
                "  {} by {place}",
                reason
                    .effect
                    .map(|e| format!("{e:?}"))
                    .unwrap_or_else(|| "matched".into())
            ),
            ReasonDetail::ConditionFailed { operator, key } => {
                format!("  not applied: {place}: condition {operator} on `{key}` is false")
            }
            ReasonDetail::DependsOnUnknown { key } => {
                format!("  depends on unknown `{key}`: {place}")
            }
            ReasonDetail::NoAllow => format!(
                "  no Allow statement applies in the {} policies",
                format!("{:?}", reason.policy_type).to_lowercase()
            ),
        };
        text.push_str(&line);
        text.push('\n');
    }
    if evaluation.decision == Decision::ImplicitDeny && evaluation.reasons.is_empty() {
        text.push_str("  no statement allows it (implicit deny)\n");
    }
    if !evaluation.unknown_keys.is_empty() {
        text.push_str(&format!(
            "  unknown keys it depends on: {}\n",
            evaluation.unknown_keys.join(", ")
        ));
    }
    text
}

/// Read and write buffers of a batch: batches run to tens of megabytes, and
/// the default 8 KiB meant a system call for every few lines.
const BATCH_BUFFER: usize = 256 * 1024;

fn run_batch(path: &Path, out: &mut dyn Write) -> Result<()> {
    let reader: Box<dyn std::io::BufRead> = if path.as_os_str() == "-" {
        Box::new(BufReader::with_capacity(BATCH_BUFFER, std::io::stdin()))
    } else {
        Box::new(BufReader::with_capacity(
            BATCH_BUFFER,
            std::fs::File::open(path).map_err(|source| Error::Io {
                action: "cannot read",
                path: path.to_path_buf(),
                source,
            })?,
        ))
    };
    let mut buffer = std::io::BufWriter::with_capacity(BATCH_BUFFER, out);
    crate::simulate::run_batch(reader, &mut buffer).map_err(|e| Error::Usage {
        message: format!("batch `{}`: {e}", path.display()),
        help: None,
    })?;
    buffer.flush().map_err(|source| Error::Io {
        action: "cannot write to",
        path: PathBuf::from("stdout"),
        source,
    })?;
    Ok(())
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// Scenario files (YAML or JSON): a role spec, and requests it must and must not be allowed
    #[arg(value_name = "SCENARIO")]
    pub scenarios: Vec<PathBuf>,
    /// Run the scenarios against this bundle instead of generating each scenario's role
    #[arg(long, value_name = "FILE")]
    pub bundle: Option<PathBuf>,
    /// Run mlrole's built-in scenarios (every persona and activity)
    #[arg(long)]
    pub builtin: bool,
    #[arg(long, value_enum, default_value_t = ReportFormat::Human)]
    pub format: ReportFormat,
}

pub(super) fn verify_command(
    catalog: &Catalog,
    renderer: &Renderer,
    args: &VerifyArgs,
    out: &mut dyn Write,
) -> Result<()> {
    if args.scenarios.is_empty() && !args.builtin {
        return Err(Error::Usage {
            message: "no scenario to verify".into(),
            help: Some("pass scenario files, or `--builtin`".into()),
        });
    }
    let bundle = args.bundle.as_deref().map(read_json).transpose()?;
    let mut sources: Vec<(String, String)> = Vec::new();
    if args.builtin {
        sources
            .extend(verify::builtin().map(|(label, text)| (label.to_string(), text.to_string())));
    }
    for path in &args.scenarios {
        sources.push((path.display().to_string(), read_text(path)?));
    }
    let mut reports = Vec::new();
    for (label, text) in &sources {
        let scenario = verify::parse_scenario(label, text)?;
        reports.push(match &bundle {
            Some(bundle) => verify::run_against(label, &scenario, bundle)?,
            None => verify::run_generated(catalog, renderer, label, &scenario)?,
        });
    }
    let text = match args.format {
        ReportFormat::Human => verify::render_human(&reports),
        ReportFormat::Json => to_pretty(&serde_json::to_value(&reports).unwrap_or(Value::Null)),
    };
    write_out(out, &text)?;
    let failures: usize = reports.iter().map(verify::Report::failures).sum();
    if failures > 0 {
        return Err(Error::Expectation {
            message: format!("{failures} scenario request(s) did not get the expected decision"),
        });
    }
    Ok(())
}
