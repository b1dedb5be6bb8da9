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
            "--account",
            "111122223333",
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
        let output = mlrole(&[
            "generate",
            "--account",
            "111122223333",
            "--activity",
            activity,
        ]);
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
        "--account",
        "111122223333",
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

const VOLUME_KEY: &str =
    "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const DATA_KEY: &str =
    "arn:aws:kms:us-east-1:111122223333:key/5678abcd-12ab-34cd-56ef-1234567890ab";

/// Every value nothing reads is refused, the scalars and the network settings included, and the
/// hint names the activities that read it.
#[test]
fn values_nothing_reads_are_refused_with_their_readers() {
    let compute = [
        "generate",
        "--account",
        "111122223333",
        "--persona",
        "compute",
        "--bucket",
        "b-1",
    ];
    for (extra, flag, reader) in [
        (
            &["--domain-id", "d-abcdefghijkl"][..],
            "`--domain-id`",
            "`run-studio-apps`",
        ),
        (
            &["--user-profile", "alice"],
            "`--user-profile`",
            "`canvas-core-access`",
        ),
        (
            &["--volume-kms-key", VOLUME_KEY, "--data-kms-key", DATA_KEY],
            "`--volume-kms-key`",
            "`manage-ml-jobs`",
        ),
    ] {
        let output = mlrole(&[&compute[..], extra].concat());
        assert_eq!(output.status.code(), Some(2), "{extra:?}");
        let text = stderr(&output);
        assert!(
            text.contains(flag) && text.contains("no selected activity uses it"),
            "{text}"
        );
        assert!(text.contains(reader), "{text}");
    }
    let canvas = [
        "generate",
        "--account",
        "111122223333",
        "--persona",
        "canvas-bedrock",
        "--bucket",
        "b-1",
    ];
    let vpc = [
        "--vpc-subnet",
        "subnet-0aaa1111",
        "--vpc-security-group",
        "sg-0ccc3333",
    ];
    let output = mlrole(&[&canvas[..], &vpc[..]].concat());
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("`manage-models`"),
        "{}",
        stderr(&output)
    );
}

/// The KMS pair is required where one activity constrains both keys of what it creates (jobs);
/// where separate activities read the two kinds, either stands alone.
#[test]
fn the_kms_pair_is_required_per_activity() {
    let studio_and_s3 = [
        "generate",
        "--account",
        "111122223333",
        "--activity",
        "run-studio-apps",
        "--activity",
        "s3-bucket-access",
        "--bucket",
        "b-1",
    ];
    for key in [
        ["--data-kms-key", DATA_KEY],
        ["--volume-kms-key", VOLUME_KEY],
    ] {
        let output = mlrole(&[&studio_and_s3[..], &key[..]].concat());
        assert_eq!(
            output.status.code(),
            Some(0),
            "{key:?}: {}",
            stderr(&output)
        );
    }
    let jobs = [
        "generate",
        "--account",
        "111122223333",
        "--activity",
        "manage-ml-jobs",
        "--pass-role",
        "arn:aws:iam::111122223333:role/service-role/SageMaker-Compute",
    ];
    let output = mlrole(&[&jobs[..], &["--volume-kms-key", VOLUME_KEY][..]].concat());
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("needs `--data-kms-key`"),
        "{}",
        stderr(&output)
    );
    let output = mlrole(
        &[
            &jobs[..],
            &["--volume-kms-key", VOLUME_KEY, "--data-kms-key", DATA_KEY][..],
        ]
        .concat(),
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
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
    let from_spec = mlrole(&["generate", "--account", "111122223333", "--spec", spec_arg]);
    assert_eq!(from_spec.status.code(), Some(0), "{}", stderr(&from_spec));
    assert!(String::from_utf8_lossy(&from_spec.stdout)
        .contains("index/aaaabbbb-ef01-2345-6789-abcdef012345"));
    let overridden = mlrole(&[
        "generate",
        "--account",
        "111122223333",
        "--spec",
        spec_arg,
        "--kendra-index",
        INDEX,
    ]);
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
    let bad = mlrole(&["generate", "--account", "111122223333", "--spec", spec_arg]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        stderr(&bad).contains("`kendra_indexes` in"),
        "{}",
        stderr(&bad)
    );
}

/// A persona requires a value only while some selected activity reads it: without the activities
/// that pass roles, the data scientist needs no `--pass-role` (which would then be refused as
/// unread, a dead end).
#[test]
fn a_persona_requires_only_what_its_selected_activities_read() {
    let output = mlrole(&[
        "generate",
        "--account",
        "111122223333",
        "--persona",
        "data-scientist",
        "--bucket",
        "b-1",
        "--without-activity",
        "manage-ml-jobs",
        "--without-activity",
        "manage-models",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let output = mlrole(&[
        "generate",
        "--account",
        "111122223333",
        "--persona",
        "data-scientist",
        "--bucket",
        "b-1",
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("`--pass-role`"));
}

/// A user persona whose trust policy reads `${domain_id}` takes `--domain-id` even when none of
/// its activities does.
#[test]
fn the_trust_policy_reads_its_placeholders_too() {
    let dir = tempfile::tempdir().unwrap();
    let personas = dir.path().join("personas");
    std::fs::create_dir_all(&personas).unwrap();
    std::fs::write(
        personas.join("domain-jobs.yaml"),
        "id: domain-jobs\ntitle: Domain jobs\ndescription: Jobs of one domain.\n\
         role_name: Domain-Jobs\ntrust:\n  services: [sagemaker]\n  \
         source_arn: \"arn:${partition}:sagemaker:${region}:${account}:*/${domain_id}/*\"\n\
         default_activities: [s3-bucket-access]\nmax_session_duration: 3600\n",
    )
    .unwrap();
    let catalog = dir.path().to_str().unwrap();
    let output = mlrole(&[
        "--catalog",
        catalog,
        "generate",
        "--account",
        "111122223333",
        "--persona",
        "domain-jobs",
        "--bucket",
        "b-1",
        "--domain-id",
        "d-abcdef123456",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(String::from_utf8_lossy(&output.stdout).contains("*/d-abcdef123456/*"));
}
