//! Human-readable output in the style of rustc and cargo.

use std::fmt::Write;

use super::finding::{Finding, Severity};

/// Renders findings like compiler diagnostics:
///
/// ```text
/// error[unknown-action]: `sagemaker:CreateTrainingJobs` is not an action of Amazon SageMaker
///  --> policy.json: Statement[0].Action[1] (Sid "Train")
///   = help: did you mean `sagemaker:CreateTrainingJob`?
/// ```
///
/// followed by a count line. An empty input renders as a one-line "clean" note.
pub fn render_human(findings: &[Finding], file_name: &str) -> String {
    let mut out = String::new();
    for f in findings {
        let _ = writeln!(out, "{}[{}]: {}", f.severity, f.code, f.message);
        let location = if f.path.is_empty() {
            file_name.to_string()
        } else {
            format!("{file_name}: {}", f.path)
        };
        match &f.sid {
            Some(sid) => {
                let _ = writeln!(out, " --> {location} (Sid \"{sid}\")");
            }
            None => {
                let _ = writeln!(out, " --> {location}");
            }
        }
        let _ = writeln!(out, "  = help: {}", f.help);
        out.push('\n');
    }
    let count = |s: Severity| findings.iter().filter(|f| f.severity == s).count();
    let (e, w, s) = (
        count(Severity::Error),
        count(Severity::Warning),
        count(Severity::Suggestion),
    );
    if findings.is_empty() {
        let _ = writeln!(out, "{file_name}: no findings");
    } else {
        let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
        let _ = writeln!(
            out,
            "{file_name}: {}, {}, {}",
            plural(e, "error"),
            plural(w, "warning"),
            plural(s, "suggestion")
        );
    }
    out
}
