//! The review outputs: `generate --format markdown` for every persona, and `mlrole diff` with its
//! CI gate (exit 1 when privileges grow).

mod common;

use common::*;

#[test]
fn markdown_review_of_every_persona() {
    let catalog = catalog();
    for persona in &catalog.personas {
        let mut args = generate_args(Some(&persona.id), &persona.default_activities, true);
        args.extend(["--format".into(), "markdown".into()]);
        let report = run_ok(&args);
        assert!(
            report.starts_with("## IAM role `/service-role/"),
            "{}",
            persona.id
        );
        assert!(
            report.contains("### Findings\n\nNone: every document passes `mlrole lint`."),
            "{}",
            persona.id
        );
        // Every statement's Sid appears with its reason.
        let bundle: serde_json::Value = serde_json::from_str(&run_ok(&generate_args(
            Some(&persona.id),
            &persona.default_activities,
            true,
        )))
        .unwrap();
        for entry in bundle["provenance"].as_array().unwrap() {
            assert!(
                report.contains(&format!("`{}`", entry["sid"].as_str().unwrap())),
                "{}: {}",
                persona.id,
                entry["sid"]
            );
        }
        insta::assert_snapshot!(format!("markdown-{}", persona.id), report);
    }
}

#[test]
fn diff_reports_growth_and_gates_ci() {
    let temp = tempfile::tempdir().unwrap();
    let old = temp.path().join("old.json");
    let new = temp.path().join("new.json");
    let base = [
        "generate",
        "--persona",
        "compute",
        "--account",
        ACCOUNT,
        "--region",
        REGION,
        "--read-bucket",
        READ_BUCKET,
        "--ecr-repo",
        ECR_REPO,
    ];
    let mut args = base.to_vec();
    args.extend(["--bucket", RW_BUCKET, "-o", old.to_str().unwrap()]);
    assert!(mlrole(&args).status.success());
    let mut args = base.to_vec();
    args.extend([
        "--bucket",
        RW_BUCKET,
        "--bucket",
        "ml-extra",
        "-o",
        new.to_str().unwrap(),
    ]);
    assert!(mlrole(&args).status.success());

    let grown = mlrole(&[
        "diff",
        old.to_str().unwrap(),
        new.to_str().unwrap(),
        "--format",
        "markdown",
    ]);
    assert_eq!(grown.status.code(), Some(1), "privileges grow: exit 1");
    let report =
        String::from_utf8_lossy(&grown.stdout).replace(&temp.path().display().to_string(), "TMP");
    assert!(
        report.contains("**Privileges grow.**") && report.contains("`arn:aws:s3:::ml-extra/*`"),
        "{report}"
    );
    insta::assert_snapshot!("diff-markdown", report);

    let shrunk = mlrole(&["diff", new.to_str().unwrap(), old.to_str().unwrap()]);
    assert_eq!(
        shrunk.status.code(),
        Some(0),
        "removing a bucket does not grow privileges"
    );
    assert!(String::from_utf8_lossy(&shrunk.stdout).contains("- Allow"));
    let same = mlrole(&[
        "diff",
        old.to_str().unwrap(),
        old.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(same.status.code(), Some(0));
    let value: serde_json::Value = serde_json::from_slice(&same.stdout).unwrap();
    assert_eq!(value["added"].as_array().unwrap().len(), 0);
    assert_eq!(value["privileges_grow"], false);
}
