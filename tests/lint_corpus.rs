//! The policy corpus: every file under tests/lint/bad/ has exactly one defect,
//! named by its file name (`unknown-action.json`, `unknown-action--2.json`);
//! every file under tests/lint/good/ lints clean.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use mlrole::lint::{self, Code, Finding};

fn files(dir: &str) -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/lint")
        .join(dir);
    let mut out: Vec<PathBuf> = fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("read {}: {e}", root.display()))
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    out.sort();
    out
}

fn lint_path(path: &Path) -> Vec<Finding> {
    let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    lint::lint_file_contents(&text)
}

/// The expected code: the file stem without a `--N` suffix.
fn expected_code(path: &Path) -> String {
    let stem = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or_default();
    stem.split("--").next().unwrap_or(stem).to_string()
}

#[test]
fn bad_policies_yield_exactly_their_code() {
    let bad = files("bad");
    assert!(
        bad.len() >= 40,
        "the bad corpus has {} files; want at least 40",
        bad.len()
    );
    let mut failures = Vec::new();
    for path in &bad {
        let expected = expected_code(path);
        assert!(
            Code::from_name(&expected).is_some(),
            "{}: `{expected}` is not a code",
            path.display()
        );
        let findings = lint_path(path);
        let mut codes: BTreeSet<&str> = findings.iter().map(|f| f.code.as_str()).collect();
        if expected == "too-many-findings" {
            // Its defect is 1,001 unknown actions: 1,000 are reported, then the summary. So
            // many actions cannot fit IAM's size quota either.
            assert_eq!(
                findings
                    .iter()
                    .filter(|f| f.code == Code::UnknownAction)
                    .count(),
                1000,
                "{}",
                path.display()
            );
            let summary = findings
                .iter()
                .find(|f| f.code == Code::TooManyFindings)
                .expect("the summary finding");
            assert_eq!(
                summary.severity,
                lint::Severity::Error,
                "the worst omitted severity"
            );
            assert!(
                summary.message.starts_with("1 more finding(s)"),
                "{}",
                summary.message
            );
            codes.remove("unknown-action");
            codes.remove("policy-too-large");
        }
        if codes.len() != 1 || !codes.contains(expected.as_str()) {
            failures.push(format!(
                "{}: expected only `{expected}`, got:\n{}",
                path.display(),
                lint::render_human(&findings, &path.display().to_string())
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_code_has_a_bad_example() {
    let covered: BTreeSet<String> = files("bad").iter().map(|p| expected_code(p)).collect();
    let missing: Vec<&str> = Code::ALL
        .iter()
        .map(|c| c.as_str())
        .filter(|c| !covered.contains(*c))
        .collect();
    assert!(
        missing.is_empty(),
        "codes without a tests/lint/bad example: {missing:?}"
    );
}

#[test]
fn good_policies_lint_clean() {
    let good = files("good");
    assert!(!good.is_empty());
    let mut failures = Vec::new();
    for path in &good {
        let findings = lint_path(path);
        if !findings.is_empty() {
            failures.push(lint::render_human(&findings, &path.display().to_string()));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
