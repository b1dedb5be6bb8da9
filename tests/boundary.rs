//! `mlrole boundary`: for every persona, the boundary allows the persona's actions on the persona's
//! resources under the same conditions (and nothing else, up to the documented widening steps), and
//! the role-creation policy lets the persona create job roles only with that boundary.

mod common;

use common::*;
use mlrole::boundary::{widen_read_action, widen_resource};
use serde_json::Value;

/// (name, boundary arguments, generate arguments) for every persona, with and without VPC/KMS.
fn cases() -> Vec<(String, Vec<String>, Vec<String>)> {
    let catalog = catalog();
    let mut cases = Vec::new();
    for persona in &catalog.personas {
        let activities = persona.default_activities.clone();
        let (vpc, kms) = network_support(&catalog, &activities);
        for network in [false, true] {
            if network && !(vpc || kms) {
                continue;
            }
            let generate = generate_args(Some(&persona.id), &activities, network);
            let mut boundary = generate.clone();
            boundary[1] = "boundary".into();
            let suffix = if network { "-vpc-kms" } else { "" };
            cases.push((format!("{}{suffix}", persona.id), boundary, generate));
        }
    }
    cases
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

fn statements(document: &Value) -> Vec<Value> {
    document["Statement"]
        .as_array()
        .expect("statements")
        .clone()
}

fn role_statements(bundle: &Value) -> Vec<Value> {
    bundle["permission_policies"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| statements(&p["document"]))
        .collect()
}

fn condition(statement: &Value) -> Value {
    statement.get("Condition").cloned().unwrap_or(Value::Null)
}

#[test]
fn boundaries_allow_exactly_the_personas_permissions() {
    for (name, boundary_args, generate_args) in cases() {
        let boundary: Value = serde_json::from_str(&run_ok(&boundary_args)).unwrap();
        let role: Value = serde_json::from_str(&run_ok(&generate_args)).unwrap();
        let policy = &boundary["boundary_policy"];
        assert!(
            policy["characters"].as_u64().unwrap() <= 6144,
            "{name}: one managed policy"
        );
        let bounds = statements(&policy["document"]);
        let exact = boundary["notes"].as_array().unwrap().is_empty();
        let role_statements = role_statements(&role);
        let role_actions: Vec<String> = role_statements
            .iter()
            .flat_map(|s| as_list(&s["Action"]))
            .collect();
        let role_resources: Vec<String> = role_statements
            .iter()
            .flat_map(|s| as_list(&s["Resource"]))
            .collect();

        // Everything the role may do, the boundary allows, under the same conditions.
        for statement in &role_statements {
            for action in as_list(&statement["Action"]) {
                for resource in as_list(&statement["Resource"]) {
                    let covered = bounds.iter().any(|b| {
                        b["Effect"] == statement["Effect"]
                            && condition(b) == condition(statement)
                            && as_list(&b["Action"])
                                .iter()
                                .any(|a| *a == action || *a == widen_read_action(&action))
                            && as_list(&b["Resource"])
                                .iter()
                                .any(|r| *r == resource || *r == widen_resource(&resource))
                    });
                    assert!(covered, "{name}: boundary misses {action} on {resource}");
                }
            }
        }
        // And nothing beyond the persona's actions and resources.
        for b in &bounds {
            for action in as_list(&b["Action"]) {
                let known = role_actions
                    .iter()
                    .any(|a| *a == action || widen_read_action(a) == action);
                assert!(known, "{name}: boundary adds action {action}");
            }
            for resource in as_list(&b["Resource"]) {
                let known = role_resources
                    .iter()
                    .any(|r| *r == resource || widen_resource(r) == resource);
                assert!(known, "{name}: boundary adds resource {resource}");
            }
            // Review of 2026-11-29: merging put the List actions' "*" beside scoped actions, so
            // s3:GetObject applied to every bucket. Only actions the role has on "*" may be there.
            if as_list(&b["Resource"]).iter().any(|r| r == "*") {
                for action in as_list(&b["Action"]) {
                    let on_star = role_statements.iter().any(|s| {
                        as_list(&s["Resource"]).iter().any(|r| r == "*")
                            && as_list(&s["Action"])
                                .iter()
                                .any(|a| *a == action || widen_read_action(a) == action)
                    });
                    assert!(on_star, "{name}: boundary puts {action} on \"*\"");
                }
            }
            if exact {
                // Without widening, every (action, resource) pair is one the role has.
                for action in as_list(&b["Action"]) {
                    for resource in as_list(&b["Resource"]) {
                        let in_role = role_statements.iter().any(|s| {
                            s["Effect"] == b["Effect"]
                                && condition(s) == condition(b)
                                && as_list(&s["Action"]).contains(&action)
                                && as_list(&s["Resource"]).contains(&resource)
                        });
                        assert!(
                            in_role,
                            "{name}: exact boundary adds {action} on {resource}"
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn role_creation_requires_the_boundary() {
    for (name, boundary_args, _) in cases() {
        let bundle: Value = serde_json::from_str(&run_ok(&boundary_args)).unwrap();
        let persona = bundle["role"]["persona"].as_str().unwrap().to_string();
        let boundary_arn = bundle["boundary_policy"]["arn"].as_str().unwrap();
        assert_eq!(
            boundary_arn,
            format!(
                "arn:aws:iam::{ACCOUNT}:policy/{}",
                bundle["boundary_policy"]["name"].as_str().unwrap()
            ),
            "{name}: boundary ARN"
        );
        let job_roles = format!("arn:aws:iam::{ACCOUNT}:role/mlrole/{persona}/*");
        let creation = statements(&bundle["role_creation_policy"]["document"]);
        let mut saw_create = false;
        let mut saw_deny_removal = false;
        let mut saw_deny_changes = false;
        for statement in &creation {
            let actions = as_list(&statement["Action"]);
            let resources = as_list(&statement["Resource"]);
            let effect = statement["Effect"].as_str().unwrap();
            if effect == "Allow" {
                assert_eq!(resources, vec![job_roles.clone()], "{name}: only job roles");
            }
            let boundary_mutations = [
                "iam:CreateRole",
                "iam:PutRolePermissionsBoundary",
                "iam:AttachRolePolicy",
                "iam:PutRolePolicy",
            ];
            if effect == "Allow"
                && actions
                    .iter()
                    .any(|a| boundary_mutations.contains(&a.as_str()))
            {
                saw_create = true;
                assert_eq!(
                    statement["Condition"]["StringEquals"]["iam:PermissionsBoundary"],
                    Value::from(vec![boundary_arn]),
                    "{name}: role creation requires the boundary"
                );
            }
            if actions.iter().any(|a| a == "iam:PassRole") {
                assert_eq!(
                    statement["Condition"]["StringEquals"]["iam:PassedToService"],
                    Value::from(vec!["sagemaker.amazonaws.com"]),
                    "{name}: job roles passed only to SageMaker"
                );
            }
            if effect == "Deny" && actions == ["iam:DeleteRolePermissionsBoundary"] {
                saw_deny_removal = true;
            }
            if effect == "Deny" && resources == [boundary_arn.to_string()] {
                saw_deny_changes = actions.iter().any(|a| a == "iam:CreatePolicyVersion");
            }
        }
        assert!(saw_create && saw_deny_removal && saw_deny_changes, "{name}");
    }
}

#[test]
fn boundary_snapshot() {
    let (_, args, _) = cases()
        .into_iter()
        .find(|(name, _, _)| name == "data-scientist")
        .unwrap();
    insta::with_settings!({ description => args[1..].join(" "), omit_expression => true }, {
        insta::assert_snapshot!("boundary-data-scientist", run_ok(&args));
    });
}

#[test]
fn boundary_needs_a_persona() {
    let output = mlrole(&[
        "boundary",
        "--account",
        "111122223333",
        "--activity",
        "s3-bucket-access",
        "--bucket",
        "b-1",
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("--persona"));
}

#[test]
fn boundary_output_file_is_atomic_and_not_clobbered() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("boundary.json");
    let file_arg = file.to_str().unwrap();
    let args = [
        "boundary",
        "--persona",
        "compute",
        "--account",
        ACCOUNT,
        "--bucket",
        "b-1",
        "--output",
        file_arg,
    ];
    assert_eq!(mlrole(&args).status.code(), Some(0));
    let first = std::fs::read_to_string(&file).unwrap();
    assert!(first.ends_with("}\n"), "pretty JSON with a final newline");
    serde_json::from_str::<Value>(&first).unwrap();
    std::fs::write(&file, "keep me").unwrap();
    let refused = mlrole(&args);
    assert_eq!(refused.status.code(), Some(1));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "keep me");
    let mut forced = args.to_vec();
    forced.push("--force");
    assert_eq!(mlrole(&forced).status.code(), Some(0));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), first);
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .filter(|n| n.starts_with(".mlrole-"))
        .collect();
    assert!(
        leftovers.is_empty(),
        "no temporary files left: {leftovers:?}"
    );
}

#[test]
fn boundary_help() {
    let output = mlrole(&["boundary", "--help"]);
    insta::assert_snapshot!("help-boundary", String::from_utf8_lossy(&output.stdout));
}

/// The boundary decides like the persona's permissions where it matters: a job role with an
/// allow-everything identity policy still cannot reach another bucket or region.
#[test]
fn boundary_confines_an_allow_everything_job_role() {
    use mlrole::simulate::{Decision, Policy, PolicySet, PolicyType, Request};
    for (name, boundary_args, _) in cases() {
        let boundary: Value = serde_json::from_str(&run_ok(&boundary_args)).unwrap();
        let document = &boundary["boundary_policy"]["document"];
        let all = serde_json::json!({"Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]});
        let set = PolicySet::new()
            .with(Policy::from_value("all", PolicyType::Identity, &all).unwrap())
            .with(
                Policy::from_value("boundary", PolicyType::PermissionsBoundary, document).unwrap(),
            );
        let session = "arn:aws:sts::111122223333:assumed-role/job/s";
        for (action, resource) in [
            ("s3:GetObject", "arn:aws:s3:::victim-bucket/x"),
            ("s3:PutObject", "arn:aws:s3:::victim-bucket/x"),
            ("s3:DeleteBucket", "arn:aws:s3:::ml-art-out"),
            (
                "sagemaker:CreateTrainingJob",
                "arn:aws:sagemaker:eu-west-1:111122223333:training-job/x",
            ),
            ("iam:CreateUser", "arn:aws:iam::111122223333:user/mallory"),
            // Widening reads on "*" put `sagemaker:Describe*` there (review of 2026-11-29).
            (
                "sagemaker:DescribeTrainingJob",
                "arn:aws:sagemaker:eu-west-1:111122223333:training-job/x",
            ),
        ] {
            let decision = set.decide(&Request::new(session, action, resource));
            assert_ne!(decision, Decision::Allow, "{name}: {action} on {resource}");
        }
    }
}
