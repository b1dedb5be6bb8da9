//! `mlrole lint`: IAM policy documents or `generate` bundles, checked offline against the embedded
//! IAM reference; `--summary` prints the access-level table.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;

use super::simulate::ReportFormat;
use super::{to_pretty, write_out};
use crate::error::{Error, Result};
use crate::lint::{self, DocumentKind, Finding};

#[derive(Debug, Args)]
pub struct LintArgs {
    /// Policy documents or bundles written by `generate` (`-` for stdin)
    #[arg(value_name = "FILE", required = true)]
    pub files: Vec<PathBuf>,
    /// What the documents are (default: detected: Principal → trust/resource policy)
    #[arg(long, value_name = "KIND")]
    pub kind: Option<DocumentKind>,
    #[arg(long, value_enum, default_value_t = ReportFormat::Human)]
    pub format: ReportFormat,
    /// Treat warnings as errors (exit status 3)
    #[arg(long)]
    pub deny_warnings: bool,
    /// Also print the access-level summary (granted actions by service and access level)
    #[arg(long)]
    pub summary: bool,
}

fn read(path: &std::path::Path) -> Result<String> {
    let bytes = crate::input::read_capped(path, "cannot read")?;
    // Invalid UTF-8 is a finding (json-syntax), not a crash: lossy text keeps the position.
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

pub(super) fn lint_command(args: &LintArgs, out: &mut dyn Write) -> Result<()> {
    let mut results: Vec<(String, Vec<Finding>, Option<lint::Summary>)> = Vec::new();
    for path in &args.files {
        let label = if path.as_os_str() == "-" {
            "<stdin>".to_string()
        } else {
            path.display().to_string()
        };
        let text = read(path)?;
        let mut findings = match args.kind {
            Some(kind) => lint::lint_document(&text, kind),
            None => lint::lint_file_contents(&text),
        };
        if args.deny_warnings {
            lint::deny_warnings(&mut findings);
        }
        let summary = args.summary.then(|| lint::summary(&text));
        results.push((label, findings, summary));
    }
    let text = match args.format {
        ReportFormat::Human => {
            let mut text = String::new();
            for (label, findings, summary) in &results {
                text.push_str(&lint::render_human(findings, label));
                if let Some(summary) = summary {
                    text.push_str(&lint::render_summary(summary));
                }
            }
            text
        }
        ReportFormat::Json => {
            let files: Vec<serde_json::Value> = results
                .iter()
                .map(|(label, findings, summary)| {
                    let mut entry = serde_json::json!({ "file": label, "findings": findings });
                    if let Some(summary) = summary {
                        entry["summary"] = serde_json::to_value(summary).unwrap_or_default();
                    }
                    entry
                })
                .collect();
            to_pretty(&serde_json::Value::from(files))
        }
    };
    write_out(out, &text)?;
    let errors: usize = results
        .iter()
        .map(|(_, f, _)| {
            f.iter()
                .filter(|f| f.severity == lint::Severity::Error)
                .count()
        })
        .sum();
    if errors > 0 {
        return Err(Error::Findings { errors });
    }
    Ok(())
}
