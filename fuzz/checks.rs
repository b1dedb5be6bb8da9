//! The bodies of the fuzz targets, shared with the stable-toolchain randomized tests
//! (`tests/fuzz_stable.rs` includes this file), so both exercise exactly the same checks. Each
//! takes arbitrary bytes, must never panic, and asserts the invariants that hold for any input.
#![allow(dead_code)]

use mlrole::catalog::{Catalog, SourceFile};
use mlrole::simulate::fuzzing::{arn_matches, arn_segments, glob_matches};
use mlrole::simulate::{evaluate_line, run_batch_threads};
use mlrole::simulate::{Decision, Policy, PolicySet, PolicyType, Request};
use mlrole::validate::{self, Partition};

fn text(data: &[u8]) -> String {
    String::from_utf8_lossy(data).into_owned()
}

/// Splits the input at the first `sep` (the rest may be empty).
fn two(data: &[u8], sep: u8) -> (String, String) {
    match data.iter().position(|b| *b == sep) {
        Some(i) => (text(&data[..i]), text(&data[i + 1..])),
        None => (text(data), String::new()),
    }
}

fn has_wildcard_or_variable(s: &str) -> bool {
    s.contains('*') || s.contains('?') || s.contains("${")
}

/// The ARN parser and matcher, and the validators that take ARNs.
pub fn arn(data: &[u8]) {
    let (pattern, arn) = two(data, b'\n');
    if let Some(segs) = arn_segments(&arn) {
        assert_eq!(segs.join(":"), arn, "segments rebuild the ARN");
        assert_eq!(segs[0], "arn");
    }
    let as_resource = arn_matches(&pattern, &arn, true);
    let as_condition = arn_matches(&pattern, &arn, false);
    if pattern == "*" {
        assert_eq!(as_resource, Some(true));
        assert_eq!(as_condition, Some(true));
    }
    // A literal ARN matches itself. (Text that is not an ARN but has five colons, such as
    // `B::role/x:y:z`, compiles as a six-segment pattern and matches no request: IAM accepts only
    // ARNs and `*` as resources, so that is left as it is.)
    if !has_wildcard_or_variable(&arn) && arn_segments(&arn).is_some() {
        assert_eq!(arn_matches(&arn, &arn, true), Some(true), "{arn:?}");
    }
    for partition in Partition::ALL {
        let _ = validate::role_arn(&arn, "fuzz", partition, None);
        let _ = validate::role_arn(&arn, "fuzz", partition, Some("111122223333"));
        let _ = validate::kms_key_arn(&arn, "fuzz", partition, Some("us-east-1"));
        let _ = validate::ecr_repository(&arn, "fuzz", partition);
        // Whatever a validator accepts can go into a policy: no quote, backslash or `${`.
        if let Ok(value) = validate::role_arn(&arn, "fuzz", partition, None) {
            assert!(!value.contains('"') && !value.contains('\\') && !value.contains("${"));
        }
        if let Ok(value) = validate::kms_key_arn(&arn, "fuzz", partition, None) {
            assert!(!value.contains('"') && !value.contains('\\') && !value.contains("${"));
        }
    }
    let _ = validate::split_arn(&arn);
}

/// Reference glob over characters (`?` is one character, not one byte), exponential in the
/// worst case: only for short inputs.
fn reference_glob(p: &[char], t: &[char]) -> bool {
    match (p.first(), t.first()) {
        (None, None) => true,
        (Some('*'), _) => {
            reference_glob(&p[1..], t) || (!t.is_empty() && reference_glob(p, &t[1..]))
        }
        (Some('?'), Some(_)) => reference_glob(&p[1..], &t[1..]),
        (Some(a), Some(b)) if a == b => reference_glob(&p[1..], &t[1..]),
        _ => false,
    }
}

/// The wildcard matcher: agrees with a naive reference on short inputs.
pub fn wildcard(data: &[u8]) {
    let (pattern, text) = two(data, b'\n');
    let matched = glob_matches(&pattern, &text);
    if pattern == "*" {
        assert!(matched);
    }
    if !pattern.contains('*') && !pattern.contains('?') {
        assert_eq!(matched, pattern == text);
    }
    if pattern.len() <= 24 && text.len() <= 24 && pattern.matches('*').count() <= 4 {
        assert_eq!(
            matched,
            reference_glob(
                &pattern.chars().collect::<Vec<_>>(),
                &text.chars().collect::<Vec<_>>()
            ),
            "{pattern:?} vs {text:?}"
        );
    }
}

const KINDS: [PolicyType; 4] = [
    PolicyType::Identity,
    PolicyType::Resource,
    PolicyType::PermissionsBoundary,
    PolicyType::Session,
];

/// The policy parser: any text parses or fails with an error, never a panic.
pub fn policy_parse(data: &[u8]) {
    let Some((first, rest)) = data.split_first() else {
        return;
    };
    let kind = KINDS[*first as usize % KINDS.len()];
    let _ = Policy::parse("fuzz", kind, &text(rest)).map_err(|e| e.to_string());
}

/// The linter's whole-file entry point (policy, trust policy or bundle).
pub fn lint(data: &[u8]) {
    let text = text(data);
    let findings = mlrole::lint::lint_file_contents(&text);
    if serde_json::from_str::<serde_json::Value>(&text).is_err() {
        assert!(!findings.is_empty(), "invalid JSON without a finding");
    }
}

/// The catalog loader on one arbitrary persona file and one arbitrary activity file.
pub fn catalog(data: &[u8]) {
    let (persona, activity) = two(data, 0);
    let result = Catalog::from_sources(
        vec![SourceFile::new("personas/fuzz.yaml", persona)],
        vec![SourceFile::new("activities/fuzz.yaml", activity)],
    );
    if let Err(error) = result {
        // Every problem names its file.
        for diagnostic in error.diagnostics() {
            assert!(diagnostic.file.contains("fuzz.yaml"), "{diagnostic}");
        }
    }
}

/// The evaluator: an arbitrary policy (first line: its kind and JSON), then action, resource and
/// `key=value` context lines.
pub fn evaluator(data: &[u8]) {
    let text = text(data);
    let mut lines = text.split('\n');
    let policy_json = lines.next().unwrap_or("");
    let action = lines.next().unwrap_or("s3:GetObject");
    let resource = lines.next().unwrap_or("*");
    let Ok(policy) = Policy::parse("fuzz", PolicyType::Identity, policy_json) else {
        return;
    };
    let mut request = Request::new(
        "arn:aws:sts::111122223333:assumed-role/r/s",
        action,
        resource,
    )
    .with("aws:PrincipalAccount", "111122223333");
    for line in lines {
        match line.split_once('=') {
            Some((key, value)) => request = request.with(key, value),
            None => request = request.with_unknown(line),
        }
    }
    let set = PolicySet::new().with(policy);
    let decision = set.decide(&request);
    let evaluation = set.evaluate(&request);
    assert_eq!(decision, evaluation.decision, "decide and evaluate agree");
    // Nothing is allowed by a policy without an Allow statement.
    if !policy_json.contains("Allow") && !policy_json.contains('\\') {
        assert_ne!(decision, Decision::Allow);
    }
}

/// Batch simulation: every line gets the answer [`evaluate_line`] (the reference path) gives it
/// alone, whichever path the batch took: the policies compiled while the line is parsed, a
/// cached set, or the reference path itself. The input is given twice, so its lines also meet a
/// warm cache.
pub fn batch(data: &[u8]) {
    let text = text(data);
    let input = format!("{text}\n{text}\n");
    let mut out = Vec::new();
    if let Err(error) = run_batch_threads(input.as_bytes(), &mut out, 1) {
        panic!("a batch read from memory failed: {error}");
    }
    // Each line as the batch reads it: with its newline (every line here ends with one).
    let expected: String = input
        .split_inclusive('\n')
        .filter(|line| !line.trim_matches([' ', '\t', '\r', '\n']).is_empty())
        .map(|line| format!("{}\n", evaluate_line(line)))
        .collect();
    assert_eq!(String::from_utf8_lossy(&out), expected);
}
