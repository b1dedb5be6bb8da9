//! The parameters added for the Canvas, Kendra and EMR Serverless activities: strict validation
//! naming the flag (or spec key), required-parameter errors, spec files, and flags over spec.

mod common;

use common::mlrole;

use std::process::Output;

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

const INDEX: &str = "0123abcd-ef01-2345-6789-abcdef012345";

#[test]
fn kendra_index_ids_are_strict() {
    for bad in [
        "0123abcd-ef01-2345-6789-abcdef01234\"",
        "0123abcd-ef01-2345-6789-abcd${x}2345",
        "arn:aws:kendra:us-east-1:111122223333:index/0123abcd-ef01-2345-6789-abcdef012345",
        "short",
    ] {
        let output = mlrole(&[
            "generate",
            "--activity",
            "canvas-kendra-access",
            "--kendra-index",
            bad,
        ]);
        assert_eq!(output.status.code(), Some(2), "{bad}");
        assert!(stderr(&output).contains("`--kendra-index`"), "{bad}");
    }
}

#[test]
fn required_parameters_name_their_flag() {
    for (activity, flag) in [
        ("canvas-kendra-access", "--kendra-index ID"),
        (
            "run-studio-emr-serverless",
            "--emr-serverless-role ROLE_ARN",
        ),
        ("canvas-ai-services", "--bedrock-role ROLE_ARN"),
        ("canvas-forecast-access", "--forecast-role ROLE_ARN"),
    ] {
        let output = mlrole(&["generate", "--activity", activity]);
        assert_eq!(output.status.code(), Some(2), "{activity}");
        assert!(
            stderr(&output).contains(flag),
            "{activity}: {}",
            stderr(&output)
        );
    }
}

#[test]
fn companion_roles_must_be_roles_of_the_account() {
    let output = mlrole(&[
        "generate",
        "--activity",
        "canvas-ai-services",
        "--account",
        "111122223333",
        "--bedrock-role",
        "arn:aws:iam::444455556666:role/Other",
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("`--bedrock-role`"));
}

#[test]
fn unused_values_are_refused() {
    let output = mlrole(&[
        "generate",
        "--activity",
        "s3-bucket-access",
        "--bucket",
        "b-1",
        "--kendra-index",
        INDEX,
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("no selected activity uses it"));
}

#[test]
fn spec_files_carry_the_new_lists_and_flags_win() {
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("spec.yaml");
    std::fs::write(
        &spec,
        "activities: [canvas-kendra-access]\naccount: \"111122223333\"\nregion: us-east-1\nkendra_indexes: [aaaabbbb-ef01-2345-6789-abcdef012345]\n",
    )
    .unwrap();
    let spec_arg = spec.to_str().unwrap();
    let from_spec = mlrole(&["generate", "--spec", spec_arg]);
    assert_eq!(from_spec.status.code(), Some(0), "{}", stderr(&from_spec));
    assert!(String::from_utf8_lossy(&from_spec.stdout)
        .contains("index/aaaabbbb-ef01-2345-6789-abcdef012345"));
    let overridden = mlrole(&["generate", "--spec", spec_arg, "--kendra-index", INDEX]);
    let out = String::from_utf8_lossy(&overridden.stdout);
    assert!(out.contains(&format!("index/{INDEX}")));
    assert!(
        !out.contains("aaaabbbb"),
        "the flag replaces the spec's list"
    );

    std::fs::write(
        &spec,
        "activities: [canvas-kendra-access]\nkendra_indexes: [\"bad\\\"id\"]\n",
    )
    .unwrap();
    let bad = mlrole(&["generate", "--spec", spec_arg]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        stderr(&bad).contains("`kendra_indexes` in"),
        "{}",
        stderr(&bad)
    );
}
