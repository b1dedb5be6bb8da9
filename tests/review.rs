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

/// A trust or resource policy that names one more principal grants that principal everything the
/// statement allows, so `diff` must gate on it even when no permission policy changes.
#[test]
fn diff_compares_trust_and_resource_policy_principals() {
    let temp = tempfile::tempdir().unwrap();
    let path = |name: &str| temp.path().join(name).to_str().unwrap().to_string();
    let role = |extra: &[&str], out: &str| {
        let mut args = vec![
            "generate",
            "--persona",
            "compute",
            "--account",
            ACCOUNT,
            "--region",
            REGION,
            "--bucket",
            RW_BUCKET,
        ];
        args.extend(extra);
        args.extend(["-o", out]);
        let output = mlrole(&args);
        assert!(output.status.success(), "{output:?}");
    };
    let (old, new, again) = (path("old.json"), path("new.json"), path("again.json"));
    role(&[], &old);
    role(&["--trust-principal", "444455556666"], &new);
    role(&[], &again);

    let grown = mlrole(&["diff", &old, &new]);
    assert_eq!(
        grown.status.code(),
        Some(1),
        "a new trusted account: exit 1"
    );
    let text = String::from_utf8_lossy(&grown.stdout);
    assert!(
        text.contains("+ Allow")
            && text
                .contains("sts:AssumeRole on (no resource) for AWS:444455556666 in trust_policy")
            && text.contains("privileges GROW"),
        "{text}"
    );
    let json = mlrole(&["diff", &old, &new, "--format", "json"]);
    assert_eq!(json.status.code(), Some(1));
    let value: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let added = value["added"].as_array().unwrap();
    assert_eq!(added.len(), 2, "AssumeRole and SetSourceIdentity: {value}");
    for grant in added {
        assert_eq!(grant["principal"], "AWS:444455556666");
        assert_eq!(grant["document"], "trust_policy");
    }
    let markdown = mlrole(&["diff", &old, &new, "--format", "markdown"]);
    let report = String::from_utf8_lossy(&markdown.stdout)
        .replace(&temp.path().display().to_string(), "TMP");
    insta::assert_snapshot!("diff-trust-markdown", report);

    let shrunk = mlrole(&["diff", &new, &old]);
    assert_eq!(
        shrunk.status.code(),
        Some(0),
        "no longer trusting an account is a removal"
    );
    let text = String::from_utf8_lossy(&shrunk.stdout);
    assert!(
        text.contains("- Allow") && text.contains("0 grant(s) added, 2 removed"),
        "{text}"
    );

    let same = mlrole(&["diff", &old, &again, "--format", "markdown"]);
    assert_eq!(same.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&same.stdout).contains("No effective change."));

    let bucket = |principals: &[&str], out: &str| {
        let mut args = vec!["bucket-policy", "--bucket", "ml-data"];
        for principal in principals {
            args.extend(["--read-principal", principal]);
        }
        args.extend(["-o", out]);
        let output = mlrole(&args);
        assert!(output.status.success(), "{output:?}");
    };
    let (one, two) = (path("one.json"), path("two.json"));
    bucket(&["arn:aws:iam::111122223333:role/r1"], &one);
    bucket(&["arn:aws:iam::111122223333:role/r1", "999988887777"], &two);
    let grown = mlrole(&["diff", &one, &two]);
    assert_eq!(grown.status.code(), Some(1), "a new reader: exit 1");
    let text = String::from_utf8_lossy(&grown.stdout);
    assert!(
        text.contains("s3:GetObject on arn:aws:s3:::ml-data/* for AWS:999988887777")
            && text.contains("s3:ListBucket on arn:aws:s3:::ml-data for AWS:999988887777")
            && text.contains("2 grant(s) added, 0 removed"),
        "{text}"
    );
    assert!(
        !text.contains("role/r1"),
        "the unchanged reader is no change: {text}"
    );
    let shrunk = mlrole(&["diff", &two, &one]);
    assert_eq!(shrunk.status.code(), Some(0), "removing a reader: exit 0");
}
