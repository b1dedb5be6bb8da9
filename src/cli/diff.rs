//! `mlrole diff OLD NEW`: what a change to policies or bundles adds and removes, in effective
//! terms, with exit status 1 when privileges grow (a CI gate).

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::{to_pretty, write_out};
use crate::diff;
use crate::error::{Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiffFormat {
    Human,
    Json,
    /// A table for a pull-request comment
    Markdown,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The policy document or bundle before the change
    #[arg(value_name = "OLD")]
    pub old: PathBuf,
    /// The policy document or bundle after the change
    #[arg(value_name = "NEW")]
    pub new: PathBuf,
    #[arg(long, value_enum, default_value_t = DiffFormat::Human)]
    pub format: DiffFormat,
}

pub(super) fn diff_command(args: &DiffArgs, out: &mut dyn Write) -> Result<()> {
    let old = super::simulate::read_json(&args.old)?;
    let new = super::simulate::read_json(&args.new)?;
    let change = diff::diff(&diff::documents(&old), &diff::documents(&new));
    let text = match args.format {
        DiffFormat::Human => diff::render_human(&change),
        DiffFormat::Json => to_pretty(&serde_json::to_value(&change).unwrap_or_default()),
        DiffFormat::Markdown => diff::render_markdown(
            &change,
            &args.old.display().to_string(),
            &args.new.display().to_string(),
        ),
    };
    write_out(out, &text)?;
    if change.privileges_grow {
        return Err(Error::PrivilegesGrow);
    }
    Ok(())
}
