//! Generated roles: reviewed snapshots for every persona (with and without VPC/KMS), every activity
//! alone and the study guide's example, plus the properties that must hold for all of them.

mod common;

use common::*;
use serde_json::Value;

/// (snapshot name, arguments)
fn cases() -> Vec<(String, Vec<String>)> {
    let catalog = catalog();
    let mut cases = Vec::new();
    for persona in &catalog.personas {
        let activities = persona.default_activities.clone();
        cases.push((
            format!("persona-{}", persona.id),
            generate_args(Some(&persona.id), &activities, false),
        ));
        let (vpc, kms) = network_support(&catalog, &activities);
        if vpc || kms {
            cases.push((
                format!("persona-{}-vpc-kms", persona.id),
                generate_args(Some(&persona.id), &activities, true),
            ));
        }
    }
    for activity in &catalog.activities {
        let activities = vec![activity.id.clone()];
        cases.push((
            format!("activity-{}", activity.id),
            generate_args(None, &activities, false),
        ));
        let (vpc, kms) = network_support(&catalog, &activities);
        if vpc || kms {
            cases.push((
                format!("activity-{}-vpc-kms", activity.id),
                generate_args(None, &activities, true),
            ));
        }
    }
    cases
}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| s.to_string()).collect()
}

#[test]
fn snapshots_of_every_persona_and_activity() {
    for (name, args) in cases() {
        let output = run_ok(&args);
        insta::with_settings!({ description => args[1..].join(" "), omit_expression => true }, {
            insta::assert_snapshot!(name, output);
        });
    }
}

/// AWS-owned buckets an activity may read without the user naming them (bucket-name prefix).
const AWS_OWNED_READ_BUCKETS: &[&str] = &["jumpstart-cache-prod-"];

/// Each role a test passes, and the only service it may be passed to.
const PASSED_ROLES: &[(&str, &[&str])] = &[
    (
        PASS_ROLE,
        &["sagemaker.amazonaws.com", "events.amazonaws.com"],
    ),
    (EMR_SERVERLESS_ROLE, &["emr-serverless.amazonaws.com"]),
    (BEDROCK_ROLE, &["bedrock.amazonaws.com"]),
    (FORECAST_ROLE, &["forecast.amazonaws.com"]),
];

/// Read and List actions per the embedded IAM reference.
fn is_read_only(action: &str) -> bool {
    use mlrole::reference::AccessLevel;
    mlrole::reference::get()
        .action(action)
        .is_some_and(|a| matches!(a.access_level, AccessLevel::Read | AccessLevel::List))
}

/// Whether the action may stand on `"*"` (the linter's rule: no resource type, a List of the
/// account, or an optional custom resource the usual call does not involve); writes among them
/// must carry a condition (asserted by the caller).
fn needs_star(action: &str) -> bool {
    mlrole::reference::get().action(action).is_some_and(|a| {
        mlrole::lint::star_is_expected(a)
            || (!a.resource_types.iter().any(|r| r.required)
                && a.access_level != mlrole::reference::AccessLevel::Read)
    })
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

/// The service principals a case's role must trust: its persona's, or SageMaker's.
fn expected_trust(args: &[String]) -> Vec<String> {
    let persona = args
        .iter()
        .position(|a| a == "--persona")
        .map(|i| args[i + 1].clone());
    match persona {
        Some(id) => catalog()
            .persona(&id)
            .expect("known persona")
            .trust_services
            .iter()
            .map(|s| format!("{s}.amazonaws.com"))
            .collect(),
        None => vec!["sagemaker.amazonaws.com".to_string()],
    }
}

fn check_properties(name: &str, args: &[String], output: &str) {
    // Valid JSON, byte-identical across runs.
    let bundle: Value =
        serde_json::from_str(output).unwrap_or_else(|e| panic!("{name}: invalid JSON: {e}"));
    assert_eq!(run_ok(args), output, "{name}: output differs between runs");
    let supplied_buckets = [READ_BUCKET, RW_BUCKET];
    let mut sids = std::collections::BTreeSet::new();
    let policies = bundle["permission_policies"]
        .as_array()
        .expect("permission_policies");
    assert!(
        !policies.is_empty() && policies.len() <= 10,
        "{name}: 1 to 10 policies"
    );
    for policy in policies {
        let document = &policy["document"];
        let size = serde_json::to_string(document).unwrap().len();
        assert!(size <= 6144, "{name}: policy over 6,144 characters");
        assert_eq!(
            policy["characters"].as_u64(),
            Some(size as u64),
            "{name}: reported size"
        );
        for statement in document["Statement"].as_array().expect("statements") {
            let sid = statement["Sid"]
                .as_str()
                .expect("every statement has a Sid");
            assert!(
                sid.chars().all(|c| c.is_ascii_alphanumeric()),
                "{name}: Sid {sid}"
            );
            assert!(sids.insert(sid.to_string()), "{name}: duplicate Sid {sid}");
            let actions = as_list(&statement["Action"]);
            let resources = as_list(&statement["Resource"]);
            let conditions = statement.get("Condition");
            for action in &actions {
                assert!(
                    action != "*" && !action.ends_with(":*"),
                    "{name}: {sid} grants a whole service: {action}"
                );
                if resources.iter().any(|r| r == "*") {
                    assert!(
                        mlrole::reference::get().action(action).is_some(),
                        "{name}: {sid}: {action} is not in the IAM reference"
                    );
                    assert!(needs_star(action), "{name}: {sid} grants {action} on \"*\" though it has a required resource type");
                    assert!(
                        is_read_only(action) || conditions.is_some(),
                        "{name}: {sid} grants write action {action} on \"*\" without a condition"
                    );
                }
                if action == "iam:PassRole" {
                    assert_eq!(actions.len(), 1, "{name}: {sid}: PassRole stands alone");
                    let services = conditions
                        .and_then(|c| c["StringEquals"].get("iam:PassedToService"))
                        .map(as_list)
                        .unwrap_or_default();
                    assert_eq!(services.len(), 1, "{name}: {sid}: PassRole to one service");
                    for resource in &resources {
                        let allowed = PASSED_ROLES
                            .iter()
                            .find(|(role, _)| role == resource)
                            .unwrap_or_else(|| {
                                panic!("{name}: PassRole of {resource}, not a named role")
                            })
                            .1;
                        assert!(
                            allowed.contains(&services[0].as_str()),
                            "{name}: {resource} passed to {}",
                            services[0]
                        );
                    }
                }
            }
            for resource in &resources {
                if resource == "*" {
                    continue;
                }
                let parts: Vec<&str> = resource.splitn(6, ':').collect();
                assert_eq!(parts.len(), 6, "{name}: malformed ARN {resource}");
                assert_eq!(parts[1], "aws", "{name}: partition of {resource}");
                // Only a Bedrock model reached through the region's own inference profiles may
                // sit in another region, and only under an ARN condition naming such a profile.
                let bound_to_region_by_condition = parts[2] == "bedrock"
                    && conditions
                        .and_then(|c| c.get("ArnLike"))
                        .and_then(Value::as_object)
                        .is_some_and(|keys| {
                            !keys.is_empty()
                                && keys.values().flat_map(as_list).all(|arn| {
                                    let p: Vec<&str> = arn.splitn(6, ':').collect();
                                    p.len() == 6 && p[3] == REGION && p[4] == ACCOUNT
                                })
                        });
                assert!(
                    parts[3].is_empty() || parts[3] == REGION || bound_to_region_by_condition,
                    "{name}: {resource} is outside {REGION}"
                );
                assert!(
                    parts[4].is_empty() || parts[4] == ACCOUNT,
                    "{name}: {resource} is outside account {ACCOUNT}"
                );
                if parts[2] == "s3" {
                    let bucket = parts[5].split('/').next().unwrap_or("");
                    let whole_account = bucket == "*"
                        && conditions
                            .and_then(|c| c["StringEquals"].get("aws:ResourceAccount"))
                            .is_some();
                    let aws_owned = AWS_OWNED_READ_BUCKETS
                        .iter()
                        .any(|prefix| bucket.starts_with(prefix))
                        && actions.iter().all(|a| a == "s3:GetObject");
                    assert!(
                        supplied_buckets.contains(&bucket) || whole_account || aws_owned,
                        "{name}: {resource} is not a supplied bucket"
                    );
                    if parts[5].contains('/') {
                        // Whole buckets (`/*`) or key prefixes (`/Canvas/*`, `/Canvas*`).
                        assert!(parts[5].ends_with('*'), "{name}: object ARN {resource}");
                    }
                    for action in &actions {
                        let bucket_level = [
                            "s3:ListBucket",
                            "s3:GetBucketLocation",
                            "s3:GetBucketAcl",
                            "s3:PutBucketAcl",
                            "s3:GetBucketCors",
                            "s3:PutBucketCors",
                        ];
                        if bucket_level.contains(&action.as_str()) {
                            assert!(
                                !parts[5].contains('/'),
                                "{name}: bucket-level {action} on object ARN {resource}"
                            );
                        }
                    }
                }
            }
        }
    }
    let trust = &bundle["trust_policy"]["Statement"][0];
    assert_eq!(
        trust["Principal"]["Service"],
        Value::from(expected_trust(args)),
        "{name}: trust"
    );
    assert_eq!(
        trust["Condition"]["StringEquals"]["aws:SourceAccount"],
        Value::from(vec![ACCOUNT]),
        "{name}: confused deputy"
    );
}

#[test]
fn every_generated_role_keeps_the_least_privilege_properties() {
    for (name, args) in cases() {
        let output = run_ok(&args);
        check_properties(&name, &args, &output);
    }
}

/// The study guide's worked example: a training job reads one bucket and writes model artifacts
/// to another; the role is trusted by SageMaker and passed by the data scientist.
#[test]
fn study_guide_training_role() {
    let compute = strings(&[
        "mlrole",
        "generate",
        "--persona",
        "compute",
        "--role-name",
        "SageMaker-Execution-Role",
        "--account",
        ACCOUNT,
        "--region",
        REGION,
        "--read-bucket",
        "my-ml-data-bucket",
        "--bucket",
        "my-ml-artifact-bucket",
        "--ecr-repo",
        ECR_REPO,
    ]);
    let compute_output = run_ok(&compute);
    insta::assert_snapshot!("study-guide-execution-role", compute_output);
    let bundle: Value = serde_json::from_str(&compute_output).unwrap();
    let statements: Vec<&Value> = bundle["permission_policies"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["document"]["Statement"].as_array().unwrap())
        .collect();
    let grants = |action: &str, resource: &str| {
        statements.iter().any(|s| {
            as_list(&s["Action"]).iter().any(|a| a == action)
                && as_list(&s["Resource"]).iter().any(|r| r == resource)
        })
    };
    assert!(
        grants("s3:GetObject", "arn:aws:s3:::my-ml-data-bucket/*"),
        "reads the data bucket"
    );
    assert!(
        !grants("s3:PutObject", "arn:aws:s3:::my-ml-data-bucket/*"),
        "never writes the data bucket"
    );
    assert!(
        grants("s3:PutObject", "arn:aws:s3:::my-ml-artifact-bucket/*"),
        "writes artifacts"
    );
    assert_eq!(
        bundle["trust_policy"]["Statement"][0]["Principal"]["Service"],
        Value::from(vec!["sagemaker.amazonaws.com"])
    );

    let role_arn = "arn:aws:iam::111122223333:role/service-role/SageMaker-Execution-Role";
    let scientist = strings(&[
        "mlrole",
        "generate",
        "--persona",
        "data-scientist",
        "--account",
        ACCOUNT,
        "--region",
        REGION,
        "--bucket",
        "my-ml-artifact-bucket",
        "--read-bucket",
        "my-ml-data-bucket",
        "--pass-role",
        role_arn,
    ]);
    let scientist_output = run_ok(&scientist);
    insta::assert_snapshot!("study-guide-data-scientist", scientist_output);
    let bundle: Value = serde_json::from_str(&scientist_output).unwrap();
    let pass_role: Vec<&Value> = bundle["permission_policies"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["document"]["Statement"].as_array().unwrap())
        .filter(|s| as_list(&s["Action"]).iter().any(|a| a == "iam:PassRole"))
        .collect();
    assert!(!pass_role.is_empty());
    for statement in pass_role {
        assert_eq!(as_list(&statement["Resource"]), vec![role_arn.to_string()]);
    }
}

#[test]
fn without_account_a_json_role_is_refused_and_iac_takes_it_from_the_deployment() {
    // Review of 2026-11-29: without --account, ARNs used to read
    // `arn:aws:sagemaker:*:${aws:PrincipalAccount}:...`; IAM substitutes policy variables in a
    // Resource only after the fifth colon, so those statements matched nothing in AWS (mlrole's
    // own evaluator denied them). A JSON role now needs the account.
    let base = [
        "generate",
        "--persona",
        "data-scientist",
        "--bucket",
        "my-ml-data",
        "--pass-role",
        PASS_ROLE,
    ];
    let refused = mlrole(&base);
    assert_eq!(refused.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("needs `--account ID`"), "{stderr}");
    assert!(
        stderr.contains("fifth") || stderr.contains("account part"),
        "{stderr}"
    );
    // CloudFormation takes the account from the stack.
    let template = mlrole(&[&base[..], &["--format", "cloudformation"]].concat());
    assert_eq!(template.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&template.stdout).contains("${AWS::AccountId}"));
    // With the account, no Resource holds a policy variable before its fifth colon.
    let args = strings(&[&["mlrole"][..], &base[..], &["--account", "111122223333"]].concat());
    let bundle: Value = serde_json::from_str(&run_ok(&args)).unwrap();
    for policy in bundle["permission_policies"].as_array().unwrap() {
        for statement in policy["document"]["Statement"].as_array().unwrap() {
            for resource in as_list(&statement["Resource"]) {
                assert!(
                    !mlrole::compose::variable_before_resource_part(&resource),
                    "{resource}"
                );
            }
        }
    }
}

#[test]
fn list_parameters_expand_per_value_and_order_does_not_matter() {
    let a = run_ok(&strings(&[
        "mlrole",
        "generate",
        "--activity",
        "s3-bucket-access",
        "--bucket",
        "a-bucket",
        "--bucket",
        "b-bucket",
    ]));
    let b = run_ok(&strings(&[
        "mlrole",
        "generate",
        "--activity",
        "s3-bucket-access",
        "--bucket",
        "b-bucket",
        "--bucket",
        "a-bucket",
    ]));
    assert_eq!(a, b, "flag order does not change the output");
    for arn in [
        "arn:aws:s3:::a-bucket\"",
        "arn:aws:s3:::b-bucket\"",
        "arn:aws:s3:::a-bucket/*\"",
        "arn:aws:s3:::b-bucket/*\"",
    ] {
        assert!(a.contains(arn), "{arn} in output");
    }
}

#[test]
fn partitions_follow_the_region() {
    let output = run_ok(&strings(&[
        "mlrole",
        "generate",
        "--persona",
        "compute",
        "--region",
        "cn-north-1",
        "--account",
        ACCOUNT,
        "--bucket",
        "data-cn",
        "--ecr-repo",
        ECR_REPO,
    ]));
    assert!(output.contains("arn:aws-cn:s3:::data-cn"));
    assert!(
        !output.contains("arn:aws:"),
        "no ARN of the commercial partition"
    );
    assert!(output.contains("\"partition\": \"aws-cn\""));
}

/// `generate` parses its built-in JSON templates compacted (comments and whitespace between JSON
/// tokens removed at build time, `src/template_compact.rs`); with `--templates` naming an empty
/// folder it parses the template files themselves. Every command that renders them must give
/// byte-identical output either way.
#[test]
fn compacted_templates_render_what_the_template_files_render() {
    let empty = tempfile::tempdir().unwrap();
    let folder = empty.path().to_str().unwrap().to_string();
    let mut commands: Vec<Vec<String>> = cases().into_iter().map(|(_, args)| args).collect();
    for persona in ["data-scientist", "mlops", "compute"] {
        let mut boundary = generate_args(Some(persona), &persona_activities(persona), true);
        boundary[1] = "boundary".into();
        commands.push(boundary);
    }
    commands.push(strings(&[
        "mlrole",
        "bucket-policy",
        "--bucket",
        READ_BUCKET,
        "--read-principal",
        PASS_ROLE,
        "--write-principal",
        PASS_ROLE,
        "--write-prefix",
        "models/",
    ]));
    commands.push(strings(&[
        "mlrole",
        "access-policy",
        "--persona",
        "data-scientist",
        "--execution-role",
        PASS_ROLE,
        "--account",
        ACCOUNT,
        "--region",
        REGION,
    ]));
    for args in commands {
        let compact = run_ok(&args);
        let mut with_files = args.clone();
        with_files.splice(1..1, ["--templates".to_string(), folder.clone()]);
        assert_eq!(compact, run_ok(&with_files), "`{}`", args.join(" "));
    }
}
