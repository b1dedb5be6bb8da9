//! The bad-input corpus (`tests/bad-inputs/cases.yaml`): every entry point fed values it must
//! refuse. Each case runs the real binary in a fresh temporary folder and must exit with its
//! documented status, say what is wrong (the expected substrings), never panic, and leave every
//! file in the folder exactly as it was. The stderr of each case is an insta snapshot
//! (`tests/bad-inputs/snapshots/`), so a message that gets vaguer shows up in review.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    /// Arguments after `mlrole`; `{dir}` is the case's temporary folder (also the working folder).
    args: Vec<String>,
    /// Files to create first, relative to the folder.
    #[serde(default)]
    files: BTreeMap<String, Input>,
    /// Expected exit status (README: 1 error, 2 usage, 3 lint findings, 4 expectation).
    exit: i32,
    /// Substrings stderr must contain.
    #[serde(default)]
    stderr: Vec<String>,
    /// Substrings stdout must contain (lint prints its findings there).
    #[serde(default)]
    stdout: Vec<String>,
    /// Files or folders the case may create (`generate --spec-dir` writes the good specs' roles
    /// even when another spec fails). Each must appear; anything else must stay as it was.
    #[serde(default)]
    creates: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Input {
    Text(String),
    Generated(Generated),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
enum Generated {
    /// Raw bytes, as hex (for non-UTF-8 input).
    Hex(String),
    /// `[[[[...]]]]` nested this deep.
    NestedArrays(usize),
    /// A policy with this many statements (a multi-megabyte file).
    ManyStatements(usize),
    /// The text repeated this many times.
    Repeat { text: String, times: usize },
}

impl Input {
    fn bytes(&self) -> Vec<u8> {
        match self {
            Input::Text(text) => text.clone().into_bytes(),
            Input::Generated(Generated::Hex(hex)) => (0..hex.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex"))
                .collect(),
            Input::Generated(Generated::NestedArrays(depth)) => {
                format!("{}{}", "[".repeat(*depth), "]".repeat(*depth)).into_bytes()
            }
            Input::Generated(Generated::ManyStatements(n)) => {
                let statement = r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::ml-data/*"}"#;
                format!(
                    r#"{{"Version":"2012-10-17","Statement":[{}]}}"#,
                    vec![statement; *n].join(",")
                )
                .into_bytes()
            }
            Input::Generated(Generated::Repeat { text, times }) => text.repeat(*times).into_bytes(),
        }
    }
}

/// Every file under `dir` (recursively) with its contents.
fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(folder) = pending.pop() {
        for entry in std::fs::read_dir(&folder).expect("read folder") {
            let path = entry.expect("entry").path();
            let name = path.strip_prefix(dir).unwrap().display().to_string();
            if path.is_dir() {
                files.insert(format!("{name}/"), Vec::new());
                pending.push(path);
            } else {
                files.insert(name, std::fs::read(&path).expect("read file"));
            }
        }
    }
    files
}

/// `{dir}` → the folder; a whole argument `@repeat:N:TEXT` → TEXT repeated N times.
fn expand_arg(arg: &str, dir: &str) -> String {
    if let Some(rest) = arg.strip_prefix("@repeat:") {
        let (times, text) = rest.split_once(':').expect("@repeat:N:TEXT");
        return text.repeat(times.parse().expect("@repeat count"));
    }
    arg.replace("{dir}", dir)
}

fn cases() -> Vec<Case> {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bad-inputs/cases.yaml"),
    )
    .expect("read cases.yaml");
    serde_yaml::from_str(&text).expect("cases.yaml parses")
}

/// Runs one case in its own temporary folder: its stderr (folder path replaced by `[DIR]`) and
/// what went wrong, if anything.
fn run_case(case: &Case) -> (String, Vec<String>) {
    let temp = tempfile::tempdir().expect("temp dir");
    let dir = temp.path();
    for (name, input) in &case.files {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, input.bytes()).unwrap();
    }
    let before = tree(dir);
    let dir_text = dir.display().to_string();
    let args: Vec<String> = case.args.iter().map(|a| expand_arg(a, &dir_text)).collect();
    let started = std::time::Instant::now();
    let output = Command::new(env!("CARGO_BIN_EXE_mlrole"))
        .args(&args)
        .current_dir(dir)
        .env("CI", "true")
        .env_remove("AWS_REGION")
        .env_remove("AWS_DEFAULT_REGION")
        .output()
        .expect("run mlrole");
    if std::env::var_os("BAD_INPUTS_TIMING").is_some() {
        eprintln!("{:>6} ms {}", started.elapsed().as_millis(), case.name);
    }
    let stderr = String::from_utf8_lossy(&output.stderr).replace(&dir_text, "[DIR]");
    let stdout = String::from_utf8_lossy(&output.stdout).replace(&dir_text, "[DIR]");
    let mut problems = Vec::new();
    if output.status.code() != Some(case.exit) {
        problems.push(format!(
            "exit {:?}, expected {}",
            output.status.code(),
            case.exit
        ));
    }
    if stderr.contains("panicked") || stderr.contains("RUST_BACKTRACE") {
        problems.push("panicked".to_string());
    }
    for expected in &case.stderr {
        if !stderr.contains(expected.as_str()) {
            problems.push(format!("stderr lacks {expected:?}"));
        }
    }
    for expected in &case.stdout {
        if !stdout.contains(expected.as_str()) {
            problems.push(format!("stdout lacks {expected:?}"));
        }
    }
    let mut after = tree(dir);
    let new: Vec<String> = after
        .keys()
        .filter(|k| !before.contains_key(*k))
        .cloned()
        .collect();
    for created in &case.creates {
        if !new.iter().any(|k| k.starts_with(created.as_str())) {
            problems.push(format!("{created} was not created"));
        }
    }
    for key in new {
        // Inside a folder the case may create, or a parent folder of one.
        if case
            .creates
            .iter()
            .any(|c| key.starts_with(c.as_str()) || c.starts_with(key.as_str()))
        {
            after.remove(&key);
        }
    }
    if before != after {
        let changed: Vec<&String> = after
            .keys()
            .chain(before.keys())
            .filter(|k| before.get(*k) != after.get(*k))
            .collect();
        problems.push(format!("files changed: {changed:?}"));
    }
    (stderr, problems)
}

#[test]
fn every_bad_input_is_refused_clearly_and_changes_nothing() {
    let cases = cases();
    assert!(cases.len() >= 60, "the corpus has {} cases", cases.len());
    let mut names = std::collections::BTreeSet::new();
    for case in &cases {
        assert!(
            names.insert(case.name.clone()),
            "duplicate case {}",
            case.name
        );
    }
    // The cases are independent processes: run them on every core.
    let workers = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .max(2);
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut results: Vec<(usize, (String, Vec<String>))> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                scope.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(case) = cases.get(i) else { break };
                        mine.push((i, run_case(case)));
                    }
                    mine
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    results.sort_by_key(|(i, _)| *i);
    let mut failures = Vec::new();
    for (case, (_, (stderr, problems))) in cases.iter().zip(&results) {
        if !problems.is_empty() {
            failures.push(format!(
                "{}: {}\n--- stderr:\n{stderr}",
                case.name,
                problems.join("; ")
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} case(s) failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    for (case, (_, (stderr, _))) in cases.iter().zip(&results) {
        insta::with_settings!({
            snapshot_path => "bad-inputs/snapshots",
            prepend_module_to_snapshot => false,
            info => &case.args,
            omit_expression => true,
        }, {
            insta::assert_snapshot!(case.name.as_str(), stderr);
        });
    }
}
