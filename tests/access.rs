//! Policies beyond the execution role (issue 6): cross-account trust on `generate`, `bucket-policy`
//! and `access-policy`. Reviewed snapshots of every command, format and persona; the properties that
//! must hold for all of them; refusals (groups are never principals) with exit status 2 and a
//! message naming the flag; cfn-lint and an HCL parser on the infrastructure-as-code outputs.

mod common;

use std::process::{Command, Output};

use common::*;
use serde_json::Value;

const PARTNER_ACCOUNT: &str = "444455556666";
const PARTNER_ROLE: &str = "arn:aws:iam::444455556666:role/ml-ci";
const PARTNER_COMPUTE: &str = "arn:aws:iam::444455556666:role/service-role/SageMaker-Compute";
const GROUP_ARN: &str = "arn:aws:iam::444455556666:group/ml-team";
const USER_ARN: &str = "arn:aws:iam::444455556666:user/alice";
const EXTERNAL_ID: &str = "Partner-7f3a9c";
const DOMAIN: &str = "d-abcdef123456";
const DS_ROLE: &str = "arn:aws:iam::111122223333:role/service-role/SageMaker-DataScientist";

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| s.to_string()).collect()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn as_list(value: &Value) -> Vec<String> {
    match value {
        Value::String(s) => vec![s.clone()],
        Value::Array(items) => items
            .iter()
            .filter_map(|v| v.as_str().map(String::from))
            .collect(),
        _ => Vec::new(),
    }
}

fn tool(name: &str) -> Option<std::path::PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join(name))
            .find(|p| p.is_file())
    })
}

fn cfn_lint(files: &[(String, String)]) {
    let Some(cfn_lint) = tool("cfn-lint") else {
        eprintln!("cfn-lint is not installed; .ci/run installs it");
        return;
    };
    let temp = tempfile::tempdir().unwrap();
    let paths: Vec<_> = files
        .iter()
        .map(|(name, text)| {
            let path = temp.path().join(format!("{name}.yaml"));
            std::fs::write(&path, text).unwrap();
            path
        })
        .collect();
    let result = Command::new(cfn_lint).args(&paths).output().unwrap();
    assert!(
        result.status.success() && result.stdout.is_empty(),
        "cfn-lint found problems:\n{}{}",
        String::from_utf8_lossy(&result.stdout),
        String::from_utf8_lossy(&result.stderr)
    );
}

fn hcl_blocks(name: &str, text: &str) -> Vec<String> {
    let body: hcl::Body = hcl::from_str(text).unwrap_or_else(|e| panic!("{name}: not HCL: {e}"));
    body.blocks()
        .map(|b| {
            format!(
                "{} {}",
                b.identifier(),
                b.labels()
                    .iter()
                    .map(|l| l.as_str())
                    .collect::<Vec<_>>()
                    .join(".")
            )
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Cross-account trust on `generate`
// ---------------------------------------------------------------------------------------------

/// `generate` for a persona with its standard values plus the trust flags.
fn trust_args(persona: &str, mfa: bool, external_id: bool) -> Vec<String> {
    let mut args = generate_args(Some(persona), &persona_activities(persona), false);
    args.extend(strings(&[
        "--trust-principal",
        PARTNER_ROLE,
        "--trust-principal",
        PARTNER_ACCOUNT,
    ]));
    if mfa {
        args.push("--require-mfa".into());
    }
    if external_id {
        args.extend(strings(&["--external-id", EXTERNAL_ID]));
    }
    args
}

#[test]
fn trust_snapshots_of_every_persona() {
    for persona in ["compute", "data-scientist", "mlops"] {
        let output = run_ok(&trust_args(persona, true, true));
        let bundle: Value = serde_json::from_str(&output).unwrap();
        insta::assert_snapshot!(
            format!("trust-{persona}-mfa-external-id"),
            mlrole::cli::to_pretty(&bundle["trust_policy"])
        );
    }
    let output = run_ok(&trust_args("compute", false, false));
    let bundle: Value = serde_json::from_str(&output).unwrap();
    insta::assert_snapshot!(
        "trust-compute-plain",
        mlrole::cli::to_pretty(&bundle["trust_policy"])
    );
}

/// Properties over every persona and every combination of the trust options.
#[test]
fn trust_properties_hold_for_every_combination() {
    for persona in ["compute", "data-scientist", "mlops"] {
        let without = run_ok(&generate_args(
            Some(persona),
            &persona_activities(persona),
            false,
        ));
        let without: Value = serde_json::from_str(&without).unwrap();
        for mfa in [false, true] {
            for external_id in [false, true] {
                let name = format!("{persona} mfa={mfa} external_id={external_id}");
                let args = trust_args(persona, mfa, external_id);
                let output = run_ok(&args);
                assert_eq!(run_ok(&args), output, "{name}: byte-stable");
                let bundle: Value = serde_json::from_str(&output).unwrap();
                assert_eq!(
                    bundle["permission_policies"], without["permission_policies"],
                    "{name}: trust changes no permission"
                );
                let statements = bundle["trust_policy"]["Statement"].as_array().unwrap();
                assert_eq!(statements.len(), 2, "{name}");
                assert_eq!(
                    statements[0], without["trust_policy"]["Statement"][0],
                    "{name}: the service statement is unchanged"
                );
                let trust = &statements[1];
                assert_eq!(trust["Effect"], "Allow");
                assert_eq!(
                    as_list(&trust["Action"]),
                    vec!["sts:AssumeRole", "sts:SetSourceIdentity"],
                    "{name}: assume, and record who acts"
                );
                let principals = as_list(&trust["Principal"]["AWS"]);
                assert_eq!(
                    principals,
                    vec![
                        "arn:aws:iam::444455556666:role/ml-ci".to_string(),
                        "arn:aws:iam::444455556666:root".to_string()
                    ],
                    "{name}: account ids become root ARNs, sorted"
                );
                assert!(trust["Principal"].get("Service").is_none());
                for principal in &principals {
                    assert!(
                        !principal.contains('*')
                            && !principal.contains(":group/")
                            && !principal.contains(":user/"),
                        "{name}: {principal}"
                    );
                }
                let condition = &trust["Condition"];
                assert_eq!(
                    condition["Bool"]["aws:MultiFactorAuthPresent"] == Value::from(vec!["true"]),
                    mfa,
                    "{name}: MFA condition iff --require-mfa"
                );
                assert_eq!(
                    condition["StringEquals"]["sts:ExternalId"] == Value::from(vec![EXTERNAL_ID]),
                    external_id,
                    "{name}: external id iff --external-id"
                );
                assert!(
                    condition.get("BoolIfExists").is_none(),
                    "{name}: an Allow requires MFA with Bool, never BoolIfExists"
                );
            }
        }
    }
}

#[test]
fn trust_in_cloudformation_and_terraform() {
    let mut templates = Vec::new();
    for persona in ["compute", "data-scientist", "mlops"] {
        for format in ["cloudformation", "terraform"] {
            let mut args = trust_args(persona, true, true);
            let position = args.iter().position(|a| a == "--account").unwrap();
            args.drain(position..position + 4);
            args.extend(strings(&["--format", format]));
            let output = run_ok(&args);
            let name = format!("trust-{format}-{persona}");
            // One persona is snapshotted whole (the trust part is the same for all, and the
            // permission policies are snapshotted in tests/iac.rs); all are linted and parsed.
            if persona == "compute" {
                insta::assert_snapshot!(name.clone(), output);
            }
            assert!(output.contains("sts:SetSourceIdentity"), "{name}");
            if format == "cloudformation" {
                templates.push((name, output));
            } else {
                let blocks = hcl_blocks(&name, &output);
                assert!(blocks.contains(&"resource aws_iam_role.this".to_string()));
            }
        }
    }
    cfn_lint(&templates);
}

#[test]
fn trust_from_a_spec_file_equals_the_flags() {
    let temp = tempfile::tempdir().unwrap();
    let spec = temp.path().join("role.yaml");
    std::fs::write(
        &spec,
        format!("persona: compute\naccount: \"{ACCOUNT}\"\nbuckets: [b-1]\ntrust_principals: [\"{PARTNER_ACCOUNT}\", {PARTNER_ROLE}]\nrequire_mfa: true\nexternal_id: {EXTERNAL_ID}\n"),
    )
    .unwrap();
    let from_spec = mlrole(&[
        "generate",
        "--account",
        "111122223333",
        "--spec",
        spec.to_str().unwrap(),
    ]);
    assert_eq!(from_spec.status.code(), Some(0), "{}", stderr(&from_spec));
    let from_flags = mlrole(&[
        "generate",
        "--persona",
        "compute",
        "--account",
        ACCOUNT,
        "--bucket",
        "b-1",
        "--trust-principal",
        PARTNER_ROLE,
        "--trust-principal",
        PARTNER_ACCOUNT,
        "--require-mfa",
        "--external-id",
        EXTERNAL_ID,
    ]);
    assert_eq!(stdout(&from_spec), stdout(&from_flags));

    std::fs::write(
        &spec,
        format!("persona: compute\nbuckets: [b-1]\ntrust_principals: [{GROUP_ARN}]\n"),
    )
    .unwrap();
    let output = mlrole(&[
        "generate",
        "--account",
        "111122223333",
        "--spec",
        spec.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("`trust_principals` in")
            && stderr(&output).contains("IAM groups cannot be principals"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn the_wizard_keeps_trust_and_its_command_reproduces_it() {
    use mlrole::request::{FieldLabels, RoleSpec};
    use mlrole::wizard::{self, Destination, NoInput, Preset};
    let catalog = catalog();
    let renderer = mlrole::render::Renderer::new(None).unwrap();
    let preset = Preset {
        spec: RoleSpec {
            persona: Some("compute".into()),
            account: Some(ACCOUNT.into()),
            buckets: vec!["b-1".into()],
            trust_principals: vec![PARTNER_ROLE.into(), PARTNER_ACCOUNT.into()],
            require_mfa: Some(true),
            external_id: Some(EXTERNAL_ID.into()),
            ..RoleSpec::default()
        },
        destination: Some(Destination::Stdout),
        ..Preset::default()
    };
    let result = wizard::run(&catalog, &renderer, &mut NoInput, preset).unwrap();
    let command = wizard::equivalent_command(&result);
    let joined = command.join(" ");
    for flag in [
        format!("--trust-principal {PARTNER_ROLE}"),
        format!("--trust-principal {PARTNER_ACCOUNT}"),
        "--require-mfa".to_string(),
        format!("--external-id {EXTERNAL_ID}"),
    ] {
        assert!(joined.contains(&flag), "{flag} in `{joined}`");
    }
    let request = result
        .spec
        .resolve(&catalog, &FieldLabels::default())
        .unwrap();
    let expected = mlrole::generate::produce(
        &catalog,
        &renderer,
        &request,
        mlrole::generate::Format::Json,
        false,
    )
    .unwrap()
    .text;
    assert_eq!(
        mlrole::cli::run_args(&command).unwrap(),
        expected,
        "the equivalent command reproduces the role byte for byte"
    );
}

#[test]
fn trust_refusals_exit_2_and_name_the_flag() {
    let base = [
        "generate",
        "--account",
        "111122223333",
        "--persona",
        "compute",
        "--bucket",
        "b-1",
    ];
    let cases: &[(&[&str], &[&str])] = &[
        (
            &["--trust-principal", GROUP_ARN],
            &[
                "`--trust-principal`",
                "IAM groups cannot be principals: trust a role its members assume, or the account",
            ],
        ),
        (
            &["--trust-principal", USER_ARN],
            &["`--trust-principal`", "IAM users are not trusted"],
        ),
        (
            &["--trust-principal", "arn:aws:iam::*:root"],
            &["`--trust-principal`", "no wildcards"],
        ),
        (
            &["--trust-principal", "*"],
            &["`--trust-principal`", "no wildcards"],
        ),
        (
            &["--trust-principal", "4444555566"],
            &["`--trust-principal`", "not an ARN or a 12-digit account id"],
        ),
        (
            &[
                "--trust-principal",
                "arn:aws:sts::444455556666:assumed-role/ml-ci/alice",
            ],
            &["`--trust-principal`", "give the role's ARN"],
        ),
        (
            &["--trust-principal", "arn:aws-cn:iam::444455556666:root"],
            &["`--trust-principal`", "--partition aws-cn"],
        ),
        (
            &[
                "--region",
                "cn-north-1",
                "--trust-principal",
                "arn:aws:iam::444455556666:root",
            ],
            &["partition `aws` but the policy is for `aws-cn`"],
        ),
        (
            &["--require-mfa"],
            &["`--require-mfa`", "needs `--trust-principal`"],
        ),
        (
            &["--external-id", EXTERNAL_ID],
            &["`--external-id`", "needs `--trust-principal`"],
        ),
        (
            &[
                "--trust-principal",
                PARTNER_ACCOUNT,
                "--external-id",
                "a\"b",
            ],
            &["`--external-id`", "2 to 1,224"],
        ),
        (
            &[
                "--trust-principal",
                PARTNER_ACCOUNT,
                "--external-id",
                "${aws:username}",
            ],
            &["`--external-id`"],
        ),
    ];
    for (extra, expected) in cases {
        let args: Vec<&str> = base.iter().chain(extra.iter()).copied().collect();
        let output = mlrole(&args);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{args:?}: {}",
            stderr(&output)
        );
        for text in *expected {
            assert!(
                stderr(&output).contains(text),
                "{args:?}: expected `{text}` in:\n{}",
                stderr(&output)
            );
        }
        assert!(stdout(&output).is_empty());
    }
    let output = mlrole(&[
        "generate",
        "--account",
        "111122223333",
        "--persona",
        "compute",
        "--bucket",
        "b-1",
        "--trust-principal",
        GROUP_ARN,
    ]);
    insta::assert_snapshot!("error-trust-group", stderr(&output));
}

// ---------------------------------------------------------------------------------------------
// bucket-policy
// ---------------------------------------------------------------------------------------------

fn bucket_cases() -> Vec<(&'static str, Vec<String>)> {
    vec![
        (
            "bucket-read",
            strings(&[
                "mlrole",
                "bucket-policy",
                "--bucket",
                READ_BUCKET,
                "--read-principal",
                PARTNER_COMPUTE,
            ]),
        ),
        (
            "bucket-write",
            strings(&[
                "mlrole",
                "bucket-policy",
                "--bucket",
                RW_BUCKET,
                "--write-principal",
                PARTNER_COMPUTE,
                "--write-prefix",
                "models/",
            ]),
        ),
        (
            "bucket-read-write-accounts",
            strings(&[
                "mlrole",
                "bucket-policy",
                "--bucket",
                RW_BUCKET,
                "--read-principal",
                PARTNER_ACCOUNT,
                "--read-principal",
                PASS_ROLE,
                "--write-principal",
                PARTNER_COMPUTE,
                "--write-principal",
                PASS_ROLE,
                "--write-prefix",
                "artifacts/team-a",
            ]),
        ),
        (
            "bucket-aws-cn",
            strings(&[
                "mlrole",
                "bucket-policy",
                "--bucket",
                "ml-data-cn",
                "--partition",
                "aws-cn",
                "--read-principal",
                "arn:aws-cn:iam::444455556666:role/ml-ci",
            ]),
        ),
    ]
}

#[test]
fn bucket_policy_snapshots() {
    for (name, args) in bucket_cases() {
        insta::with_settings!({ description => args[1..].join(" "), omit_expression => true }, {
            insta::assert_snapshot!(name, run_ok(&args));
        });
    }
}

#[test]
fn bucket_policy_properties() {
    for (name, args) in bucket_cases() {
        let output = run_ok(&args);
        assert!(output.ends_with("}\n"), "{name}: trailing newline");
        assert_eq!(run_ok(&args), output, "{name}: byte-stable");
        let document: Value = serde_json::from_str(&output).unwrap();
        let bucket = &args[args.iter().position(|a| a == "--bucket").unwrap() + 1];
        let mut insecure_transport_denied = false;
        for statement in document["Statement"].as_array().unwrap() {
            let principal = &statement["Principal"];
            let resources = as_list(&statement["Resource"]);
            for resource in &resources {
                let rest = resource.split(":::").nth(1).unwrap();
                assert!(
                    rest == bucket || rest.starts_with(&format!("{bucket}/")),
                    "{name}: {resource} is outside {bucket}"
                );
            }
            if statement["Effect"] == "Deny" {
                assert_eq!(principal, "*");
                assert_eq!(
                    statement["Condition"]["Bool"]["aws:SecureTransport"],
                    Value::from(vec!["false"])
                );
                assert_eq!(resources.len(), 2, "{name}: bucket and objects");
                insecure_transport_denied = true;
                continue;
            }
            assert!(principal.is_object(), "{name}: no wildcard in an Allow");
            for arn in as_list(&principal["AWS"]) {
                assert!(
                    !arn.contains('*') && (arn.contains(":role/") || arn.ends_with(":root")),
                    "{name}: {arn}"
                );
                assert!(
                    args.contains(&arn) || arn == format!("arn:aws:iam::{PARTNER_ACCOUNT}:root"),
                    "{name}: {arn} was not asked for"
                );
            }
            for action in as_list(&statement["Action"]) {
                let bucket_level = action == "s3:ListBucket";
                for resource in &resources {
                    assert_eq!(
                        !resource.contains('/'),
                        bucket_level,
                        "{name}: {action} on {resource}"
                    );
                }
                if action == "s3:PutObject" || action == "s3:AbortMultipartUpload" {
                    let prefix =
                        &args[args.iter().position(|a| a == "--write-prefix").unwrap() + 1];
                    let prefix = prefix.trim_end_matches('/');
                    assert_eq!(
                        resources,
                        vec![format!("arn:aws:s3:::{bucket}/{prefix}/*")],
                        "{name}: writes only under the prefix"
                    );
                }
            }
        }
        assert!(insecure_transport_denied, "{name}");
    }
    // Flag order and repetition do not change the bytes.
    let a = run_ok(&strings(&[
        "mlrole",
        "bucket-policy",
        "--bucket",
        "b-1",
        "--read-principal",
        PASS_ROLE,
        "--read-principal",
        PARTNER_ACCOUNT,
    ]));
    let b = run_ok(&strings(&[
        "mlrole",
        "bucket-policy",
        "--read-principal",
        PARTNER_ACCOUNT,
        "--bucket",
        "b-1",
        "--read-principal",
        PASS_ROLE,
        "--read-principal",
        PARTNER_ACCOUNT,
    ]));
    assert_eq!(a, b);
}

#[test]
fn bucket_policy_refusals_exit_2_and_name_the_flag() {
    let cases: &[(&[&str], &[&str])] = &[
        (
            &["--bucket", "b-1", "--read-principal", GROUP_ARN],
            &["`--read-principal`", "groups are not principals"],
        ),
        (
            &[
                "--bucket",
                "b-1",
                "--write-principal",
                GROUP_ARN,
                "--write-prefix",
                "m",
            ],
            &["`--write-principal`", "groups are not principals"],
        ),
        (
            &["--bucket", "b-1", "--read-principal", USER_ARN],
            &["`--read-principal`", "IAM users"],
        ),
        (
            &["--bucket", "b-1", "--read-principal", "arn:aws:iam::*:root"],
            &["`--read-principal`", "no wildcards"],
        ),
        (
            &["--bucket", "b-1", "--read-principal", "role/ml-ci"],
            &["`--read-principal`", "not an ARN"],
        ),
        (&["--read-principal", PARTNER_ACCOUNT], &["--bucket <NAME>"]),
        (
            &["--bucket", "B_1", "--read-principal", PARTNER_ACCOUNT],
            &["`--bucket`"],
        ),
        (
            &["--bucket", "b-1"],
            &["`--read-principal` or `--write-principal`"],
        ),
        (
            &["--bucket", "b-1", "--write-principal", PARTNER_ROLE],
            &["`--write-principal` needs `--write-prefix`"],
        ),
        (
            &[
                "--bucket",
                "b-1",
                "--read-principal",
                PARTNER_ROLE,
                "--write-prefix",
                "m",
            ],
            &["`--write-prefix` was given but no `--write-principal`"],
        ),
        (
            &[
                "--bucket",
                "b-1",
                "--write-principal",
                PARTNER_ROLE,
                "--write-prefix",
                "models/*",
            ],
            &["`--write-prefix`", "no wildcards"],
        ),
        (
            &[
                "--bucket",
                "b-1",
                "--read-principal",
                "arn:aws-cn:iam::444455556666:root",
            ],
            &["`--read-principal`", "--partition aws-cn"],
        ),
        (
            &[
                "--bucket",
                "b-1",
                "--partition",
                "aws-eu",
                "--read-principal",
                PARTNER_ACCOUNT,
            ],
            &["`--partition`", "unknown partition"],
        ),
    ];
    for (extra, expected) in cases {
        let args: Vec<&str> = std::iter::once("bucket-policy")
            .chain(extra.iter().copied())
            .collect();
        let output = mlrole(&args);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{args:?}: {}",
            stderr(&output)
        );
        for text in *expected {
            assert!(
                stderr(&output).contains(text),
                "{args:?}: expected `{text}` in:\n{}",
                stderr(&output)
            );
        }
        assert!(stdout(&output).is_empty());
    }
    let output = mlrole(&[
        "bucket-policy",
        "--bucket",
        "b-1",
        "--read-principal",
        GROUP_ARN,
    ]);
    insta::assert_snapshot!("error-bucket-group", stderr(&output));
}

#[test]
fn bucket_policy_output_is_atomic_and_no_clobber() {
    let temp = tempfile::tempdir().unwrap();
    let path = temp.path().join("bucket-policy.json");
    std::fs::write(&path, "keep me").unwrap();
    let args = [
        "bucket-policy",
        "--bucket",
        "b-1",
        "--read-principal",
        PARTNER_ACCOUNT,
        "-o",
        path.to_str().unwrap(),
    ];
    let output = mlrole(&args);
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("refusing to overwrite"));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "keep me");
    let mut forced = args.to_vec();
    forced.push("--force");
    let output = mlrole(&forced);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let written = std::fs::read_to_string(&path).unwrap();
    let printed = stdout(&mlrole(&args[..5]));
    assert_eq!(written, printed, "the file holds what stdout would");
    let names: Vec<String> = std::fs::read_dir(temp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, vec!["bucket-policy.json"], "no temporary file left");
}

#[test]
fn a_custom_bucket_template_cannot_widen_the_grant() {
    let temp = tempfile::tempdir().unwrap();
    std::fs::write(
        temp.path().join("bucket-policy.json.tera"),
        r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::{{ bucket }}/*"}]}"#,
    )
    .unwrap();
    let output = mlrole(&[
        "--templates",
        temp.path().to_str().unwrap(),
        "bucket-policy",
        "--bucket",
        "b-1",
        "--read-principal",
        PARTNER_ACCOUNT,
    ]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("template `bucket-policy.json.tera`")
            && stderr(&output).contains("an Allow must name its principals"),
        "{}",
        stderr(&output)
    );
    assert!(stdout(&output).is_empty());
}

// ---------------------------------------------------------------------------------------------
// access-policy
// ---------------------------------------------------------------------------------------------

fn access_args(persona: &str, format: &str, scoped: bool) -> Vec<String> {
    let role = match persona {
        "mlops" => "arn:aws:iam::111122223333:role/service-role/SageMaker-MLOps",
        _ => DS_ROLE,
    };
    let mut args = strings(&[
        "mlrole",
        "access-policy",
        "--persona",
        persona,
        "--execution-role",
        role,
        "--format",
        format,
    ]);
    if scoped {
        args.extend(strings(&[
            "--account",
            ACCOUNT,
            "--region",
            REGION,
            "--domain-id",
            DOMAIN,
        ]));
    }
    args
}

#[test]
fn access_policy_snapshots_of_every_persona_and_format() {
    for persona in ["data-scientist", "mlops"] {
        for format in ["json", "cloudformation", "terraform"] {
            for scoped in [false, true] {
                let args = access_args(persona, format, scoped);
                let name = format!(
                    "access-{persona}-{format}{}",
                    if scoped { "-domain" } else { "" }
                );
                insta::with_settings!({ description => args[1..].join(" "), omit_expression => true }, {
                    insta::assert_snapshot!(name, run_ok(&args));
                });
            }
        }
    }
    let output = mlrole(&[
        "access-policy",
        "--persona",
        "compute",
        "--execution-role",
        PASS_ROLE,
    ]);
    assert_eq!(output.status.code(), Some(2));
    insta::assert_snapshot!("access-compute-refused", stderr(&output));
}

#[test]
fn access_policy_properties() {
    for persona in ["data-scientist", "mlops"] {
        for scoped in [false, true] {
            let args = access_args(persona, "json", scoped);
            let role = args[args.iter().position(|a| a == "--execution-role").unwrap() + 1].clone();
            let output = run_ok(&args);
            assert_eq!(run_ok(&args), output, "byte-stable");
            let document: Value = serde_json::from_str(&output).unwrap();
            let statements = document["Statement"].as_array().unwrap();
            let mut mfa_denied = Vec::new();
            for statement in statements {
                let actions = as_list(&statement["Action"]);
                let resources = as_list(&statement["Resource"]);
                assert!(statement.get("NotAction").is_none());
                for action in &actions {
                    assert!(action != "*" && !action.ends_with(":*"), "{action}");
                }
                if statement["Effect"] == "Deny" {
                    assert_eq!(
                        statement["Condition"]["BoolIfExists"]["aws:MultiFactorAuthPresent"],
                        Value::from(vec!["false"]),
                        "the MFA Deny also catches long-term keys (key absent)"
                    );
                    mfa_denied.extend(actions.clone());
                    continue;
                }
                for action in &actions {
                    let name = action.split(':').nth(1).unwrap();
                    if resources == ["*"] {
                        assert!(
                            name.starts_with("List") || name.starts_with("Get"),
                            "only read actions on *: {action}"
                        );
                    }
                    match action.as_str() {
                        "iam:PassRole" => {
                            assert_eq!(resources, vec![role.clone()], "only the persona's role");
                            assert_eq!(
                                statement["Condition"]["StringEquals"]["iam:PassedToService"],
                                Value::from(vec!["sagemaker.amazonaws.com"])
                            );
                        }
                        "sagemaker:CreatePresignedDomainUrl" => {
                            let domain = if scoped { DOMAIN } else { "*" };
                            let region = if scoped { REGION } else { "*" };
                            assert_eq!(
                                resources,
                                vec![format!("arn:aws:sagemaker:{region}:{ACCOUNT}:user-profile/{domain}/${{aws:username}}")],
                                "only the member's own profile, in the role's account"
                            );
                        }
                        "sagemaker:DescribeDomain" => {
                            assert!(resources.iter().all(|r| r.contains(":domain/")));
                        }
                        _ => {}
                    }
                }
            }
            mfa_denied.sort();
            assert_eq!(
                mfa_denied,
                vec!["iam:PassRole", "sagemaker:CreatePresignedDomainUrl"]
            );
            let size = serde_json::to_string(&document).unwrap().len();
            assert!(size <= 6144, "fits a managed policy");
        }
    }
}

#[test]
fn access_policy_infrastructure_as_code_passes_the_tools() {
    let mut templates = Vec::new();
    for persona in ["data-scientist", "mlops"] {
        for scoped in [false, true] {
            let name = format!("access-{persona}-{scoped}");
            templates.push((
                name.clone(),
                run_ok(&access_args(persona, "cloudformation", scoped)),
            ));
            let terraform = run_ok(&access_args(persona, "terraform", scoped));
            let blocks = hcl_blocks(&name, &terraform);
            for expected in [
                "resource aws_iam_group.this",
                "resource aws_iam_policy.access",
                "resource aws_iam_group_policy_attachment.access",
                "output group_name",
            ] {
                assert!(blocks.contains(&expected.to_string()), "{name}: {blocks:?}");
            }
            assert_eq!(
                blocks.contains(&"data aws_region.current".to_string()),
                !scoped,
                "{name}: the region comes from the deployment only when not given"
            );
            let unescaped = terraform.replace("$${", "");
            assert!(
                !unescaped.contains("${aws:"),
                "{name}: ${{aws:username}} is escaped for Terraform"
            );
            assert!(terraform.contains("$${aws:username}"));
        }
    }
    for (name, template) in &templates {
        assert!(template.contains("Type: AWS::IAM::Group"), "{name}");
        assert!(template.contains("- !Ref Group"), "{name}");
        assert!(template.contains("${!aws:username}") || !template.contains("Fn::Sub"));
    }
    cfn_lint(&templates);
}

#[test]
fn access_policy_refusals_exit_2_and_name_the_flag() {
    let cases: &[(&[&str], &[&str])] = &[
        (&["--execution-role", DS_ROLE], &["--persona <ID>"]),
        (
            &["--persona", "data-scientist"],
            &["--execution-role <ROLE_ARN>"],
        ),
        (
            &["--persona", "data-scientst", "--execution-role", DS_ROLE],
            &["did you mean `data-scientist`?"],
        ),
        (
            &["--persona", "data-scientist", "--execution-role", GROUP_ARN],
            &["`--execution-role`", "not an IAM role ARN"],
        ),
        (
            &["--persona", "data-scientist", "--execution-role", USER_ARN],
            &["`--execution-role`", "not an IAM role ARN"],
        ),
        (
            &[
                "--persona",
                "data-scientist",
                "--execution-role",
                "SageMaker-DataScientist",
            ],
            &["`--execution-role`", "not an ARN"],
        ),
        (
            &[
                "--persona",
                "data-scientist",
                "--execution-role",
                "arn:aws:iam::111122223333:role/*",
            ],
            &["`--execution-role`"],
        ),
        (
            &[
                "--persona",
                "data-scientist",
                "--execution-role",
                DS_ROLE,
                "--account",
                PARTNER_ACCOUNT,
            ],
            &["`--execution-role`", "account 111122223333"],
        ),
        (
            &[
                "--persona",
                "data-scientist",
                "--execution-role",
                DS_ROLE,
                "--region",
                "cn-north-1",
            ],
            &["`--region`", "partition `aws`"],
        ),
        (
            &[
                "--persona",
                "data-scientist",
                "--execution-role",
                DS_ROLE,
                "--domain-id",
                "d-ABC",
            ],
            &["`--domain-id`"],
        ),
        (
            &[
                "--persona",
                "data-scientist",
                "--execution-role",
                DS_ROLE,
                "--group-name",
                "Team",
            ],
            &["`--group-name` applies to `--format cloudformation`"],
        ),
        (
            &[
                "--persona",
                "data-scientist",
                "--execution-role",
                DS_ROLE,
                "--format",
                "terraform",
                "--group-name",
                "bad name",
            ],
            &["`--group-name`", "1 to 128"],
        ),
        (
            &["--persona", "compute", "--execution-role", PASS_ROLE],
            &["persona `compute` is not one people sign in as"],
        ),
    ];
    for (extra, expected) in cases {
        let args: Vec<&str> = std::iter::once("access-policy")
            .chain(extra.iter().copied())
            .collect();
        let output = mlrole(&args);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{args:?}: {}",
            stderr(&output)
        );
        for text in *expected {
            assert!(
                stderr(&output).contains(text),
                "{args:?}: expected `{text}` in:\n{}",
                stderr(&output)
            );
        }
        assert!(stdout(&output).is_empty());
    }
}

#[test]
fn access_policy_output_file_and_group_name() {
    let temp = tempfile::tempdir().unwrap();
    let path = temp.path().join("group.tf");
    let args = [
        "access-policy",
        "--persona",
        "mlops",
        "--execution-role",
        "arn:aws:iam::111122223333:role/service-role/SageMaker-MLOps",
        "--format",
        "terraform",
        "--group-name",
        "ML-Ops",
        "--output",
        path.to_str().unwrap(),
    ];
    let output = mlrole(&args);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("name = \"ML-Ops\"") && text.contains("\"ML-Ops-access\""));
    let output = mlrole(&args);
    assert_eq!(output.status.code(), Some(1), "no clobber without --force");
}

#[test]
fn help_of_the_new_commands_is_reviewed() {
    insta::assert_snapshot!(
        "help-bucket-policy",
        stdout(&mlrole(&["bucket-policy", "--help"]))
    );
    insta::assert_snapshot!(
        "help-access-policy",
        stdout(&mlrole(&["access-policy", "--help"]))
    );
}

#[test]
fn access_policy_terraform_passes_checkov_when_installed() {
    let Some(checkov) = tool("checkov") else {
        eprintln!("checkov is not installed; skipping");
        return;
    };
    let temp = tempfile::tempdir().unwrap();
    for persona in ["data-scientist", "mlops"] {
        for scoped in [false, true] {
            let dir = temp.path().join(format!("{persona}-{scoped}"));
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(
                dir.join("main.tf"),
                run_ok(&access_args(persona, "terraform", scoped)),
            )
            .unwrap();
        }
    }
    // Every Terraform check, not a selection: the group policy is small enough to pass them all
    // (CKV_AWS_355 is why ListPrincipalsForPortfolio is scoped to portfolios).
    let result = Command::new(checkov)
        .args(["--quiet", "--compact", "--framework", "terraform", "-d"])
        .arg(temp.path())
        .output()
        .unwrap();
    assert!(
        result.status.success(),
        "checkov:\n{}{}",
        String::from_utf8_lossy(&result.stdout),
        String::from_utf8_lossy(&result.stderr)
    );
}

#[test]
fn a_custom_access_template_cannot_widen_the_grant() {
    let temp = tempfile::tempdir().unwrap();
    std::fs::write(
        temp.path().join("access-policy.json.tera"),
        r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sagemaker:CreatePresignedDomainUrl", "Resource": "*"}, {"Effect": "Deny", "Action": ["iam:PassRole", "sagemaker:CreatePresignedDomainUrl"], "Resource": "*", "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}}]}"#,
    )
    .unwrap();
    let output = mlrole(&[
        "--templates",
        temp.path().to_str().unwrap(),
        "access-policy",
        "--persona",
        "data-scientist",
        "--execution-role",
        DS_ROLE,
    ]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("template `access-policy.json.tera`")
            && stderr(&output).contains("is not part of the access policy"),
        "{}",
        stderr(&output)
    );
    assert!(stdout(&output).is_empty());
}

#[test]
fn too_many_trusted_principals_exceed_the_trust_policy_quota() {
    let mut args = strings(&[
        "generate",
        "--account",
        "111122223333",
        "--persona",
        "compute",
        "--bucket",
        "b-1",
    ]);
    for n in 0..60 {
        args.extend([
            "--trust-principal".into(),
            format!("{:012}", 100_000_000_000u64 + n),
        ]);
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let output = mlrole(&args);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(stderr(&output).contains("2048"), "{}", stderr(&output));
}
