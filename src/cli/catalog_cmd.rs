//! `mlrole catalog init|check|schema`: start, validate and describe a user catalog.

use std::path::{Path, PathBuf};

use clap::{Subcommand, ValueEnum};

use crate::catalog::Catalog;
use crate::error::{Error, Result};
use crate::{scaffold, schema};

#[derive(Debug, Subcommand)]
pub enum CatalogCommand {
    /// Create DIR with an example persona and activity (explained in comments) and the JSON
    /// Schemas for editors; never replaces existing files
    Init {
        /// The catalog directory to create or fill
        dir: PathBuf,
    },
    /// Validate DIR together with the built-in catalog, with the same diagnostics as loading it
    Check {
        /// The catalog directory (with `personas/` and/or `activities/`)
        dir: PathBuf,
    },
    /// Print the JSON Schema of activity or persona files
    Schema {
        #[arg(value_enum)]
        kind: SchemaKind,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SchemaKind {
    Activity,
    Persona,
}

/// Runs a `catalog` subcommand; returns what to print. `templates` is `--templates`, which the
/// sample roles of `check` are rendered with.
pub(super) fn run(command: &CatalogCommand, templates: Option<&Path>) -> Result<String> {
    match command {
        CatalogCommand::Init { dir } => {
            let written = scaffold::init(dir)?;
            let mut text = String::new();
            for path in written {
                text.push_str(&format!("created {}\n", path.display()));
            }
            text.push_str(&format!(
                "next: edit the files, then `mlrole catalog check {0}` and `mlrole --catalog {0} generate --persona team-analyst --account ID --read-bucket NAME`\n",
                dir.display()
            ));
            Ok(text)
        }
        CatalogCommand::Check { dir } => check(dir, templates),
        CatalogCommand::Schema { kind } => Ok(match kind {
            SchemaKind::Activity => schema::ACTIVITY,
            SchemaKind::Persona => schema::PERSONA,
        }
        .to_string()),
    }
}

fn check(dir: &Path, templates: Option<&Path>) -> Result<String> {
    if !dir.is_dir() {
        return Err(Error::Usage {
            message: format!("`{}` is not a directory", dir.display()),
            help: Some("create one with `mlrole catalog init DIR`".into()),
        });
    }
    let catalog = Catalog::load(Some(dir))?;
    let notes = iam_checks(dir, &catalog, templates)?;
    let count = |sub: &str| {
        std::fs::read_dir(dir.join(sub))
            .map(|entries| {
                entries
                    .flatten()
                    .filter(|e| e.file_name().to_string_lossy().ends_with(".yaml"))
                    .count()
            })
            .unwrap_or(0)
    };
    Ok(format!(
        "{notes}{}: {} persona file(s) and {} activity file(s) are valid ({} personas and {} activities with the built-in catalog)\n",
        dir.display(),
        count("personas"),
        count("activities"),
        catalog.personas.len(),
        catalog.activities.len()
    ))
}

/// Generates each activity of `dir` alone with sample values and checks what it renders, as
/// `generate` would (see [`crate::catalog_lint`]). Errors fail the check with every finding as a
/// diagnostic; warnings and suggestions come back as text printed before the summary.
fn iam_checks(dir: &Path, catalog: &Catalog, templates: Option<&Path>) -> Result<String> {
    let Ok(entries) = std::fs::read_dir(dir.join("activities")) else {
        return Ok(String::new());
    };
    let mut files: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    let renderer = crate::render::Renderer::new(templates)?;
    let mut findings = Vec::new();
    for file in files {
        let Some(id) = file.file_stem().and_then(|s| s.to_str()) else {
            continue;
        };
        let activity = catalog.activity(id)?;
        let yaml = std::fs::read_to_string(&file).map_err(|source| Error::Io {
            action: "cannot read",
            path: file.clone(),
            source,
        })?;
        findings.extend(crate::catalog_lint::check_activity(
            catalog, &renderer, activity, &yaml,
        )?);
    }
    if findings
        .iter()
        .any(|(severity, _)| *severity == crate::lint::Severity::Error)
    {
        return Err(Error::Catalog(
            findings.into_iter().map(|(_, d)| d).collect(),
        ));
    }
    Ok(findings
        .into_iter()
        .map(|(_, diagnostic)| format!("{diagnostic}\n"))
        .collect())
}
