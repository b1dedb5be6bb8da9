//! `mlrole wizard`: the terminal side of the interactive flow (inquire prompts on stderr), and the
//! decision of when prompting is allowed at all.

use std::io::{IsTerminal, Write};

use clap::Args;
use inquire::error::InquireError;
use inquire::{Confirm, MultiSelect, Select, Text};

use super::generate::{check_destination, check_findings, write_notes, write_result, GenerateArgs};
use crate::catalog::Catalog;
use crate::error::{Error, Result};
use crate::generate;
use crate::render::Renderer;
use crate::wizard::{self, Check, Destination, NoInput, Preset, Prompter, Question};

#[derive(Debug, Args)]
pub struct WizardArgs {
    /// Never prompt: take defaults and fail naming the first flag that is missing
    #[arg(long)]
    pub no_input: bool,

    /// Flags answer their questions in advance
    #[command(flatten)]
    pub generate: GenerateArgs,
}

/// Prompting needs a person: a terminal on stdin and stderr, and not CI.
pub fn can_prompt() -> bool {
    let ci = std::env::var("CI")
        .map(|v| !v.is_empty() && v != "false" && v != "0")
        .unwrap_or(false);
    !ci && std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
}

pub(super) fn wizard_command(
    catalog: &Catalog,
    renderer: &Renderer,
    args: &WizardArgs,
    out: &mut dyn Write,
    notes: &mut dyn Write,
    global: &[String],
) -> Result<()> {
    args.generate.refuse_spec_dir("wizard")?;
    let interactive = !args.no_input && can_prompt();
    let mut inquire_prompter = InquirePrompter;
    let mut no_input = NoInput;
    let prompter: &mut dyn Prompter = if interactive {
        &mut inquire_prompter
    } else {
        &mut no_input
    };
    run_session(
        catalog,
        renderer,
        prompter,
        &args.generate,
        out,
        notes,
        global,
    )
}

/// Runs the flow with any prompter, then writes the role, the spec file if asked, and prints the
/// equivalent command on stderr.
pub fn run_session(
    catalog: &Catalog,
    renderer: &Renderer,
    prompter: &mut dyn Prompter,
    flags: &GenerateArgs,
    out: &mut dyn Write,
    notes: &mut dyn Write,
    global: &[String],
) -> Result<()> {
    // A spec file fills what the flags leave open, as for `generate`.
    let (spec, labels) = flags.spec_with_labels(flags.to_spec())?;
    let preset = Preset {
        spec,
        labels: labels.clone(),
        // Without `-o` or `--out-dir` the wizard asks where the role goes.
        destination: match flags.destination() {
            Destination::Stdout => None,
            given => Some(given),
        },
        force: flags.force,
        format: flags.format,
        inline: flags.inline,
        environment_region: std::env::var("AWS_REGION")
            .ok()
            .or_else(|| std::env::var("AWS_DEFAULT_REGION").ok())
            .filter(|r| !r.is_empty()),
    };
    let result = wizard::run(catalog, renderer, prompter, preset)?;
    check_destination(&result.destination, generate::is_role_file, &flags.inputs())?;
    let request = result.spec.resolve(catalog, &labels)?;
    let produced = generate::produce(catalog, renderer, &request, result.format, result.inline)?;
    let warnings = check_findings(&produced, flags.deny_warnings, "generated role")?;
    write_result(&produced, &result.destination, result.force, out)?;
    write_notes(notes, &warnings);
    if let Some(path) = &result.save_spec {
        let text = crate::yaml::to_string(&result.spec).map_err(|e| Error::Usage {
            message: e.message,
            help: None,
        })?;
        crate::output::write_one(path, &text, false).map_err(|error| match error {
            // The path was checked when it was asked for; a file that appeared since is not
            // replaced, and `--force` (which is for the role's files) does not apply to it.
            Error::WouldOverwrite { path, .. } => Error::WouldOverwrite { path, force: false },
            other => other,
        })?;
    }
    // `--catalog` and `--templates` go right after `mlrole`, so the command finds the same
    // activities and renders with the same templates.
    let mut equivalent = wizard::equivalent_command(&result);
    equivalent.splice(1..1, global.iter().cloned());
    let command: Vec<String> = equivalent.iter().map(|a| wizard::shell_quote(a)).collect();
    let mut stderr = std::io::stderr().lock();
    let _ = writeln!(
        stderr,
        "\nThe same role without questions:\n  {}",
        command.join(" ")
    );
    if let Some(path) = &result.save_spec {
        let _ = writeln!(
            stderr,
            "or:\n  mlrole generate --spec {}",
            wizard::shell_quote(&path.display().to_string())
        );
    }
    Ok(())
}

/// The part of an option before its description, for the one-line answer summary.
fn title(option: &str) -> String {
    option.split(" — ").next().unwrap_or(option).to_string()
}

/// inquire on stderr.
pub(super) struct InquirePrompter;

fn cancelled(error: InquireError) -> Error {
    match error {
        InquireError::OperationCanceled | InquireError::OperationInterrupted => Error::Cancelled,
        other => Error::Usage {
            message: format!("the prompt failed: {other}"),
            help: Some("run with flags and `--no-input` instead".into()),
        },
    }
}

impl Prompter for InquirePrompter {
    fn select(
        &mut self,
        question: &Question,
        options: &[String],
        default: Option<usize>,
    ) -> Result<usize> {
        let formatter = |option: inquire::list_option::ListOption<&String>| title(option.value);
        let mut prompt = Select::new(question.message, options.to_vec())
            .with_starting_cursor(default.unwrap_or(0))
            .with_page_size(12)
            .with_formatter(&formatter);
        if let Some(help) = question.help {
            prompt = prompt.with_help_message(help);
        }
        prompt
            .raw_prompt()
            .map(|choice| choice.index)
            .map_err(cancelled)
    }

    fn multi_select(
        &mut self,
        question: &Question,
        options: &[String],
        defaults: &[usize],
    ) -> Result<Vec<usize>> {
        let formatter = |chosen: &[inquire::list_option::ListOption<&String>]| {
            chosen
                .iter()
                .map(|o| title(o.value))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let mut prompt = MultiSelect::new(question.message, options.to_vec())
            .with_default(defaults)
            .with_page_size(12)
            .with_formatter(&formatter);
        if let Some(help) = question.help {
            prompt = prompt.with_help_message(help);
        }
        prompt
            .raw_prompt()
            .map(|chosen| chosen.into_iter().map(|c| c.index).collect())
            .map_err(cancelled)
    }

    fn text(&mut self, question: &Question, default: Option<&str>, check: Check) -> Result<String> {
        let mut initial = String::new();
        loop {
            let mut prompt = Text::new(question.message).with_initial_value(&initial);
            if let Some(default) = default {
                prompt = prompt.with_default(default);
            }
            if let Some(help) = question.help {
                prompt = prompt.with_help_message(help);
            }
            let answer = prompt.prompt().map_err(cancelled)?.trim().to_string();
            match check(&answer) {
                Ok(()) => return Ok(answer),
                Err(message) => {
                    eprintln!("  ✗ {message}");
                    initial = answer;
                }
            }
        }
    }

    fn confirm(&mut self, question: &Question, default: bool) -> Result<bool> {
        let mut prompt = Confirm::new(question.message).with_default(default);
        if let Some(help) = question.help {
            prompt = prompt.with_help_message(help);
        }
        prompt.prompt().map_err(cancelled)
    }

    fn show(&mut self, text: &str) {
        eprintln!("{text}");
    }
}
