//! `mlrole catalog init|check|schema`: the scaffold passes `check` and is usable at once, a broken
//! file fails with file:line, the printed schemas are the committed ones, and `init` never
//! overwrites.

mod common;

use common::mlrole;

use std::path::Path;
use std::process::Output;

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn init(dir: &Path) -> Output {
    mlrole(&["catalog", "init", dir.to_str().unwrap()])
}

#[test]
fn the_scaffold_passes_check_and_generates() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("my-catalog");
    let output = init(&dir);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    for file in [
        "personas/team-analyst.yaml",
        "activities/read-team-model-artifacts.yaml",
        "schemas/persona.schema.json",
        "schemas/activity.schema.json",
    ] {
        assert!(dir.join(file).is_file(), "{file} created");
    }
    let activity =
        std::fs::read_to_string(dir.join("activities/read-team-model-artifacts.yaml")).unwrap();
    assert!(
        activity.starts_with("# yaml-language-server: $schema=../schemas/activity.schema.json\n")
    );

    let dir_arg = dir.to_str().unwrap();
    let check = mlrole(&["catalog", "check", dir_arg]);
    assert_eq!(check.status.code(), Some(0), "{}", text(&check.stderr));
    assert!(text(&check.stdout).contains("1 persona file(s) and 1 activity file(s) are valid"));

    let generate = mlrole(&[
        "--catalog",
        dir_arg,
        "generate",
        "--account",
        "111122223333",
        "--persona",
        "team-analyst",
        "--read-bucket",
        "team-models",
    ]);
    assert_eq!(
        generate.status.code(),
        Some(0),
        "{}",
        text(&generate.stderr)
    );
    assert!(text(&generate.stdout).contains("arn:aws:s3:::team-models/models/*"));
}

#[test]
fn init_never_overwrites() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::create_dir_all(dir.join("personas")).unwrap();
    std::fs::write(dir.join("personas/team-analyst.yaml"), "mine").unwrap();
    let output = init(dir);
    // As every command that refuses to replace a file (README, "Exit status").
    assert_eq!(output.status.code(), Some(1));
    assert!(text(&output.stderr).contains("refusing to overwrite"));
    assert!(text(&output.stderr).contains("never replaces existing files"));
    assert_eq!(
        std::fs::read_to_string(dir.join("personas/team-analyst.yaml")).unwrap(),
        "mine"
    );
    assert!(
        !dir.join("activities").exists(),
        "nothing written when refusing"
    );
}

/// A file where one of the catalog's folders is to go is refused before anything is created:
/// no `personas/` or `activities/` is left behind.
#[test]
fn init_creates_nothing_when_a_folder_is_a_file() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("cat4");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("schemas"), "mine").unwrap();
    let output = init(&dir);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output.stderr));
    assert!(
        text(&output.stderr).contains("schemas` is a file"),
        "{}",
        text(&output.stderr)
    );
    let names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["schemas"], "nothing created");
    assert_eq!(
        std::fs::read_to_string(dir.join("schemas")).unwrap(),
        "mine"
    );
    // The catalog directory itself a file.
    let output = init(&dir.join("schemas").join("sub"));
    assert_eq!(output.status.code(), Some(2), "{}", text(&output.stderr));
}

#[test]
fn a_broken_file_fails_with_file_and_line() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("c");
    assert_eq!(init(&dir).status.code(), Some(0));
    let file = dir.join("activities/read-team-model-artifacts.yaml");
    let broken = std::fs::read_to_string(&file).unwrap().replace(
        "actions: [s3:GetObject]",
        "actions: [s3:GetObject]\n    action: typo",
    );
    std::fs::write(&file, broken).unwrap();
    let output = mlrole(&["catalog", "check", dir.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    let report = text(&output.stderr);
    let line = report
        .lines()
        .find(|l| l.contains("read-team-model-artifacts.yaml:"))
        .unwrap_or_else(|| panic!("file:line in\n{report}"));
    assert!(line.contains("unknown field `action`"), "{report}");
}

#[test]
fn check_reports_the_fixture_problems() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/broken-catalogs/unknown-activity");
    let output = mlrole(&["catalog", "check", root.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    assert!(text(&output.stderr).contains(".yaml:8: unknown activity"));
}

#[test]
fn check_of_a_missing_directory_is_a_usage_error() {
    let output = mlrole(&["catalog", "check", "/nonexistent/catalog"]);
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn schema_prints_the_committed_files() {
    for (kind, file) in [
        ("activity", "schemas/activity.schema.json"),
        ("persona", "schemas/persona.schema.json"),
    ] {
        let output = mlrole(&["catalog", "schema", kind]);
        assert_eq!(output.status.code(), Some(0));
        let committed =
            std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(file)).unwrap();
        assert_eq!(text(&output.stdout), committed);
        let schema: serde_json::Value = serde_json::from_str(&committed).unwrap();
        assert_eq!(
            schema["$schema"],
            "https://json-schema.org/draft/2020-12/schema"
        );
    }
}

#[test]
fn help_of_the_catalog_commands() {
    for (name, args) in [
        ("help-catalog", vec!["catalog", "--help"]),
        ("help-catalog-init", vec!["catalog", "init", "--help"]),
        ("help-catalog-check", vec!["catalog", "check", "--help"]),
        ("help-catalog-schema", vec!["catalog", "schema", "--help"]),
    ] {
        let output = mlrole(&args);
        insta::assert_snapshot!(name, text(&output.stdout));
    }
}

// A user activity that grants a write action on "*" is legal IAM, so generate writes the role;
// but the warning used to land only in the bundle's `findings`, where nobody running the command
// saw it. It is printed on stderr, and `--deny-warnings` refuses the role without writing.
#[test]
fn warnings_about_a_user_catalog_reach_stderr_and_deny_warnings_refuses() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("cat");
    std::fs::create_dir_all(dir.join("activities")).unwrap();
    std::fs::write(
        dir.join("activities/put-anywhere.yaml"),
        "id: put-anywhere\ntitle: Put Anywhere\ndescription: Write objects anywhere.\nstatements:\n  - sid: Put\n    why: \"write\"\n    actions: [s3:PutObject]\n    resources: [\"*\"]\n",
    )
    .unwrap();
    let out = tmp.path().join("role.json");
    let run = |extra: &[&str]| {
        let mut args = vec![
            "--catalog",
            dir.to_str().unwrap(),
            "generate",
            "--account",
            "111122223333",
            "--activity",
            "put-anywhere",
            "-o",
            out.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        mlrole(&args)
    };
    let denied = run(&["--deny-warnings"]);
    assert_eq!(denied.status.code(), Some(1), "{}", text(&denied.stderr));
    assert!(text(&denied.stderr).contains("`--deny-warnings` refuses it"));
    assert!(!out.exists(), "nothing written when refused");
    let written = run(&[]);
    assert_eq!(written.status.code(), Some(0), "{}", text(&written.stderr));
    let stderr = text(&written.stderr);
    assert!(stderr.contains("warning[star-resource]"), "{stderr}");
    assert!(stderr.contains("s3:PutObject"), "{stderr}");
    assert!(out.exists());
    // The built-in catalog gives no such note.
    let clean = mlrole(&[
        "generate",
        "--account",
        "111122223333",
        "--persona",
        "compute",
        "--bucket",
        "ml-data",
    ]);
    assert_eq!(clean.status.code(), Some(0));
    assert!(clean.stderr.is_empty(), "{}", text(&clean.stderr));
    // boundary has no use for the flag and says so.
    let boundary = mlrole(&[
        "boundary",
        "--account",
        "111122223333",
        "--persona",
        "compute",
        "--bucket",
        "ml-data",
        "--deny-warnings",
    ]);
    assert_eq!(
        boundary.status.code(),
        Some(2),
        "{}",
        text(&boundary.stderr)
    );
}

// `catalog check` used to accept any action name and ARN: an unknown action surfaced only when a
// team first generated a role. Each user activity is now generated alone with sample values and
// checked as `generate` checks a role; findings point at the statement's line.
#[test]
fn check_runs_the_iam_checks_on_each_user_activity() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("cat");
    std::fs::create_dir_all(dir.join("activities")).unwrap();
    let file = dir.join("activities/typos.yaml");
    std::fs::write(
        &file,
        "id: typos\ntitle: Typos\ndescription: Read models.\nparameters:\n  buckets: required\nstatements:\n  - sid: Read\n    why: \"read\"\n    actions: [s3:GetObjekt]\n    resources: [\"arn:${partition}:s3:::${buckets}/*\"]\n  - sid: Wrong\n    why: \"wrong type\"\n    actions: [s3:GetObject]\n    resources: [\"arn:${partition}:sagemaker:${region}:${account}:model/*\"]\n",
    )
    .unwrap();
    let check = || mlrole(&["catalog", "check", dir.to_str().unwrap()]);
    let failed = check();
    assert_eq!(failed.status.code(), Some(1), "{}", text(&failed.stdout));
    let stderr = text(&failed.stderr);
    assert!(
        stderr.contains("typos.yaml:7: error[unknown-action]"),
        "{stderr}"
    );
    assert!(stderr.contains("did you mean `s3:GetObject`?"), "{stderr}");
    assert!(
        stderr.contains("typos.yaml:11: error[resource-type-mismatch]"),
        "{stderr}"
    );
    // Warnings are printed and pass.
    std::fs::write(
        &file,
        "id: typos\ntitle: Typos\ndescription: Write anywhere.\nstatements:\n  - sid: Put\n    why: \"write\"\n    actions: [s3:PutObject]\n    resources: [\"*\"]\n",
    )
    .unwrap();
    let passed = check();
    assert_eq!(passed.status.code(), Some(0), "{}", text(&passed.stderr));
    let stdout = text(&passed.stdout);
    assert!(
        stdout.contains("typos.yaml:5: warning[star-resource]"),
        "{stdout}"
    );
    assert!(stdout.contains("are valid"), "{stdout}");
}

// Review of 2026-11-29: the wizard's "same role without questions" line dropped `--catalog`,
// so the printed command failed with "unknown persona".
#[test]
fn the_wizards_equivalent_command_keeps_the_catalog() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("cat");
    assert_eq!(init(&dir).status.code(), Some(0));
    let out = tmp.path().join("role.json");
    let output = mlrole(&[
        "--catalog",
        dir.to_str().unwrap(),
        "wizard",
        "--no-input",
        "--persona",
        "team-analyst",
        "--account",
        "111122223333",
        "--read-bucket",
        "ml-data",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let stderr = text(&output.stderr);
    let line = stderr
        .lines()
        .find(|l| l.trim_start().starts_with("mlrole "))
        .unwrap_or_default();
    assert!(
        line.trim_start()
            .starts_with(&format!("mlrole --catalog {} generate", dir.display())),
        "{stderr}"
    );
}

// A user activity that writes a policy variable into an ARN's account part matches nothing in
// IAM; with --account given, the error says so instead of asking for --account.
#[test]
fn a_variable_in_a_catalog_arns_account_part_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("cat");
    std::fs::create_dir_all(dir.join("activities")).unwrap();
    std::fs::write(
        dir.join("activities/var-account.yaml"),
        "id: var-account\ntitle: Var Account\ndescription: Read jobs.\nstatements:\n  - sid: Read\n    why: \"read\"\n    actions: [sagemaker:DescribeTrainingJob]\n    resources: [\"arn:${partition}:sagemaker:${region}:${aws:PrincipalAccount}:training-job/*\"]\n",
    )
    .unwrap();
    let output = mlrole(&["catalog", "check", dir.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output.stdout));
    assert!(
        text(&output.stderr).contains("policy variable before the fifth colon"),
        "{}",
        text(&output.stderr)
    );
}
