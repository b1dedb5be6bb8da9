//! `mlrole simulate` and `mlrole verify` from the command line: decisions, `--expect` exit codes,
//! batch mode, errors that name the file, and a scenario that fails (so verify can fail).

mod common;

use common::mlrole;

const ROLE: &str = "arn:aws:iam::111122223333:role/service-role/SageMaker-DataScientist";
const COMPUTE: &str = "arn:aws:iam::111122223333:role/service-role/SageMaker-Compute";

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn bundle(dir: &std::path::Path) -> String {
    let path = dir.join("ds.json");
    let output = mlrole(&[
        "generate",
        "--persona",
        "data-scientist",
        "--account",
        "111122223333",
        "--region",
        "us-east-1",
        "--bucket",
        "ml-data",
        "--pass-role",
        COMPUTE,
        "-o",
        path.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    path.display().to_string()
}

#[test]
fn decisions_with_expectations() {
    let temp = tempfile::tempdir().unwrap();
    let policy = bundle(temp.path());
    let pass = |service: &str, expect: &str| {
        mlrole(&[
            "simulate",
            "--policy",
            &policy,
            "--principal",
            ROLE,
            "--action",
            "iam:PassRole",
            "--resource",
            COMPUTE,
            "--context",
            &format!("iam:PassedToService={service}"),
            "--expect",
            expect,
        ])
    };
    let allowed = pass("sagemaker.amazonaws.com", "allow");
    assert_eq!(allowed.status.code(), Some(0), "{}", text(&allowed.stdout));
    insta::assert_snapshot!("simulate-allow", text(&allowed.stdout));
    let to_lambda = pass("lambda.amazonaws.com", "allow");
    assert_eq!(
        to_lambda.status.code(),
        Some(4),
        "a decision other than expected exits 4"
    );
    insta::assert_snapshot!("simulate-condition-failed", text(&to_lambda.stdout));
    assert_eq!(pass("lambda.amazonaws.com", "deny").status.code(), Some(0));

    let json = mlrole(&[
        "simulate",
        "--policy",
        &policy,
        "--principal",
        ROLE,
        "--action",
        "s3:DeleteBucket",
        "--resource",
        "arn:aws:s3:::ml-data",
        "--format",
        "json",
        "--expect",
        "deny",
    ]);
    assert_eq!(json.status.code(), Some(0));
    let value: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(value["decision"], "implicit-deny");
    assert_eq!(value["matches_expectation"], true);

    let unknown = mlrole(&[
        "simulate",
        "--policy",
        &policy,
        "--principal",
        ROLE,
        "--action",
        "iam:PassRole",
        "--resource",
        COMPUTE,
        "--unknown",
        "iam:PassedToService",
    ]);
    assert!(
        text(&unknown.stdout).starts_with("indeterminate"),
        "{}",
        text(&unknown.stdout)
    );
}

#[test]
fn batch_mode_answers_every_line_in_order_even_malformed_ones() {
    let temp = tempfile::tempdir().unwrap();
    let input = temp.path().join("cases.jsonl");
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}"#;
    let line = |id: &str, action: &str| {
        format!(
            r#"{{"id":"{id}","identity_policies":[{policy}],"request":{{"principal":"{ROLE}","action":"{action}","resource":"arn:aws:s3:::b/k"}}}}"#
        )
    };
    std::fs::write(
        &input,
        format!(
            "{}\n{{not json\n{}\n",
            line("a", "s3:GetObject"),
            line("c", "s3:PutObject")
        ),
    )
    .unwrap();
    let output = mlrole(&["simulate", "--batch", input.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let lines: Vec<serde_json::Value> = text(&output.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["id"], "a");
    assert_eq!(lines[0]["decision"], "allow");
    assert!(lines[1].get("error").is_some(), "{}", lines[1]);
    assert_eq!(lines[2]["decision"], "implicit-deny");
}

#[test]
fn bad_policy_files_are_named() {
    let temp = tempfile::tempdir().unwrap();
    let broken = temp.path().join("broken.json");
    std::fs::write(&broken, "{\"Version\": \"2012-10-17\", \"Statement\": [").unwrap();
    let output = mlrole(&[
        "simulate",
        "--policy",
        broken.to_str().unwrap(),
        "--principal",
        ROLE,
        "--action",
        "s3:GetObject",
        "--resource",
        "arn:aws:s3:::b/k",
    ]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        text(&output.stderr).contains("broken.json")
            && text(&output.stderr).contains("invalid JSON"),
        "{}",
        text(&output.stderr)
    );
    let wrong = temp.path().join("wrong.json");
    std::fs::write(&wrong, r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Perhaps", "Action": "s3:GetObject", "Resource": "*"}]}"#).unwrap();
    let output = mlrole(&[
        "simulate",
        "--policy",
        wrong.to_str().unwrap(),
        "--principal",
        ROLE,
        "--action",
        "s3:GetObject",
        "--resource",
        "arn:aws:s3:::b/k",
    ]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        text(&output.stderr).contains("wrong.json") && text(&output.stderr).contains("Effect"),
        "{}",
        text(&output.stderr)
    );
}

#[test]
fn verify_passes_built_ins_and_fails_a_wrong_expectation() {
    let output = mlrole(&["verify", "--builtin"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stdout));
    assert!(text(&output.stdout).contains(" passed, 0 failed"));

    let temp = tempfile::tempdir().unwrap();
    let scenario = temp.path().join("mine.yaml");
    std::fs::write(
        &scenario,
        "role:\n  persona: compute\n  account: \"111122223333\"\n  region: us-east-1\n  buckets: [ml-data]\nallow:\n  - name: reads its data\n    action: s3:GetObject\n    resource: arn:aws:s3:::ml-data/train.csv\ndeny:\n  - name: (wrong on purpose) cannot read its own data\n    action: s3:GetObject\n    resource: arn:aws:s3:::ml-data/train.csv\n",
    )
    .unwrap();
    let output = mlrole(&["verify", scenario.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(4), "a failing scenario exits 4");
    let report = text(&output.stdout);
    assert!(
        report.contains("FAIL must deny") && report.contains("1 passed, 1 failed"),
        "{report}"
    );
    insta::assert_snapshot!(
        "verify-failure",
        report.replace(&temp.path().display().to_string(), "TMP")
    );

    // The same scenario against a bundle the user already generated.
    let policy = bundle(temp.path());
    let output = mlrole(&["verify", "--bundle", &policy, scenario.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(4));

    // A scenario's principal is checked as `--principal` is (review of 2026-11-29).
    let group = temp.path().join("group.yaml");
    std::fs::write(
        &group,
        "role:\n  persona: compute\n  account: \"111122223333\"\n  region: us-east-1\n  buckets: [ml-data]\nallow:\n  - name: a group reads\n    action: s3:GetObject\n    resource: arn:aws:s3:::ml-data/train.csv\n    principal: arn:aws:iam::111122223333:group/g\ndeny: []\n",
    )
    .unwrap();
    let output = mlrole(&["verify", group.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    assert!(
        text(&output.stderr).contains("is an IAM group"),
        "{}",
        text(&output.stderr)
    );
}

// Review of 2026-11-29: `--principal` took a group ARN (README: refused wherever mlrole takes a
// principal) and a bare name; a role session's aws:PrincipalArn was taken as absent.
#[test]
fn principal_is_checked_and_a_session_principal_arn_is_unknown() {
    let temp = tempfile::tempdir().unwrap();
    let policy = temp.path().join("guard.json");
    std::fs::write(
        &policy,
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"},
           {"Sid":"OnlyRoleR","Effect":"Deny","Action":"s3:*","Resource":"*",
            "Condition":{"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::111122223333:role/R"}}}]}"#,
    )
    .unwrap();
    let ask = |principal: &str, extra: &[&str]| {
        let mut args = vec![
            "simulate",
            "--policy",
            policy.to_str().unwrap(),
            "--principal",
            principal,
            "--action",
            "s3:GetObject",
            "--resource",
            "arn:aws:s3:::ml-data/x",
        ];
        args.extend_from_slice(extra);
        mlrole(&args)
    };
    let group = ask("arn:aws:iam::111122223333:group/Admins", &[]);
    assert_eq!(group.status.code(), Some(2));
    assert!(
        text(&group.stderr)
            .contains("`--principal`: `arn:aws:iam::111122223333:group/Admins` is an IAM group"),
        "{}",
        text(&group.stderr)
    );
    assert!(group.stdout.is_empty());
    let bare = ask("alice", &[]);
    assert_eq!(bare.status.code(), Some(2), "{}", text(&bare.stderr));
    let session = "arn:aws:sts::111122223333:assumed-role/R/job";
    let unknown = ask(session, &[]);
    assert_eq!(unknown.status.code(), Some(0));
    let out = text(&unknown.stdout);
    assert!(out.starts_with("indeterminate: "), "{out}");
    assert!(
        out.contains("help: a role session's aws:PrincipalArn is its role's ARN"),
        "{out}"
    );
    let given = ask(
        session,
        &[
            "--context",
            "aws:PrincipalArn=arn:aws:iam::111122223333:role/R",
        ],
    );
    assert!(
        text(&given.stdout).starts_with("allow: "),
        "{}",
        text(&given.stdout)
    );
}
