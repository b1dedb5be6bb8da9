//! Property tests (proptest): rendered output always parses, generation is deterministic whatever
//! the order of the flags, the evaluator never allows what no Allow statement matches, and merging
//! statements never changes a decision. Case counts are kept small so `cargo test` stays fast;
//! raise them with `PROPTEST_CASES`.

mod common;

use mlrole::catalog::Catalog;
use mlrole::cli::{Cli, Command};
use mlrole::compose::{self, PlannedStatement, Target};
use mlrole::request::FieldLabels;
use mlrole::simulate::{Decision, Policy, PolicySet, PolicyType, Request};
use proptest::prelude::*;
use proptest::sample::{select, subsequence};
use std::sync::OnceLock;

fn catalog() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    CATALOG.get_or_init(common::catalog)
}

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases: std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(cases),
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Safe free text: what the validators accept for descriptions and tags.
fn text() -> impl Strategy<Value = String> {
    "[A-Za-z0-9][A-Za-z0-9 _.:/=+@-]{0,39}"
}

/// `generate` arguments for a random valid role: a persona or a few activities, with every value
/// they need, and random account, region, network settings and metadata.
fn role_args() -> impl Strategy<Value = Vec<String>> {
    let personas: Vec<String> = catalog().personas.iter().map(|p| p.id.clone()).collect();
    let activities: Vec<String> = catalog().activities.iter().map(|a| a.id.clone()).collect();
    (
        prop_oneof![select(personas).prop_map(Some), Just(None::<String>),],
        subsequence(activities, 1..4),
        any::<bool>(),
        // Always an account: without one a JSON role is refused (IAM does not fill a policy
        // variable into the account part of a Resource ARN).
        "[0-9]{12}".prop_map(Some),
        prop::option::of(select(vec![
            "us-east-1",
            "eu-west-1",
            "cn-north-1",
            "us-gov-west-1",
        ])),
        prop::option::of(text()),
        prop::collection::btree_map("[A-Za-z][A-Za-z0-9_.-]{0,20}", text(), 0..3),
        prop::option::of("[A-Za-z][A-Za-z0-9+=,.@_-]{0,63}"),
    )
        .prop_map(
            |(persona, activities, network, account, region, description, tags, role_name)| {
                let activities = match &persona {
                    Some(persona) => common::persona_activities(persona),
                    None => activities,
                };
                let mut args = common::generate_args(persona.as_deref(), &activities, network);
                // Replace the standard account and region (or drop them).
                let mut i = 0;
                while i < args.len() {
                    let replacement = match args[i].as_str() {
                        "--account" => Some(account.clone()),
                        "--region" => Some(region.map(str::to_string)),
                        _ => None,
                    };
                    match replacement {
                        Some(Some(value)) => {
                            args[i + 1] = value;
                            i += 2;
                        }
                        Some(None) => {
                            args.drain(i..i + 2);
                        }
                        None => i += 1,
                    }
                }
                // Role ARNs and KMS keys name the standard account and partition: keep them
                // consistent with the random ones.
                let partition = match region {
                    Some(r) if r.starts_with("cn-") => "aws-cn",
                    Some(r) if r.starts_with("us-gov-") => "aws-us-gov",
                    _ => "aws",
                };
                for arg in args.iter_mut().skip(2) {
                    if arg.starts_with("arn:aws:") {
                        *arg = arg.replacen("arn:aws:", &format!("arn:{partition}:"), 1);
                        if let Some(account) = &account {
                            *arg = arg.replace(common::ACCOUNT, account);
                        }
                        if let Some(region) = region {
                            *arg = arg.replace(common::REGION, region);
                        }
                    }
                }
                if let Some(description) = description {
                    args.extend(["--description".into(), description]);
                }
                for (key, value) in tags {
                    args.extend(["--tag".into(), format!("{key}={value}")]);
                }
                if let Some(name) = role_name {
                    args.extend(["--role-name".into(), name]);
                }
                args
            },
        )
}

/// The arguments after `mlrole generate`, grouped as flag + value (or a bare flag).
fn flag_groups(args: &[String]) -> Vec<Vec<String>> {
    let mut groups: Vec<Vec<String>> = Vec::new();
    for arg in &args[2..] {
        match groups.last_mut() {
            Some(group) if group.len() == 1 && !arg.starts_with("--") => group.push(arg.clone()),
            _ => groups.push(vec![arg.clone()]),
        }
    }
    groups
}

fn run(args: &[String]) -> String {
    common::run_ok(args)
}

proptest! {
    #![proptest_config(config(6))]

    /// Every format's output parses: the JSON bundle and its documents, the CloudFormation YAML
    /// and the Terraform HCL.
    #[test]
    fn rendered_output_always_parses(args in role_args()) {
        let bundle: serde_json::Value = serde_json::from_str(&run(&args)).expect("bundle is JSON");
        for policy in bundle["permission_policies"].as_array().expect("policies") {
            prop_assert!(policy["document"]["Statement"].is_array());
        }
        prop_assert!(bundle["trust_policy"]["Statement"].is_array());
        let mut cfn = args.clone();
        cfn.extend(["--format".into(), "cloudformation".into()]);
        let template: serde_yaml::Value = serde_yaml::from_str(&run(&cfn)).expect("CloudFormation is YAML");
        prop_assert!(template.get("Resources").is_some());
        let mut tf = args.clone();
        tf.extend(["--format".into(), "terraform".into()]);
        hcl::parse(&run(&tf)).expect("Terraform is HCL");
    }

    /// The same flags in any order give the same bytes.
    #[test]
    fn generation_is_deterministic_whatever_the_flag_order(
        args in role_args(),
        seed in any::<u64>(),
    ) {
        let first = run(&args);
        let mut groups = flag_groups(&args);
        // A deterministic shuffle from the seed (Fisher-Yates with a xorshift).
        let mut state = seed | 1;
        for i in (1..groups.len()).rev() {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            groups.swap(i, (state % (i as u64 + 1)) as usize);
        }
        let mut shuffled = args[..2].to_vec();
        shuffled.extend(groups.into_iter().flatten());
        prop_assert_eq!(&first, &run(&shuffled), "order: {:?}", shuffled);
        prop_assert_eq!(&first, &run(&args), "second run differs");
    }
}

// --- the evaluator ----------------------------------------------------------------------------

/// Glob match written independently of the evaluator's (`*` any run, `?` one character).
fn glob(pattern: &[u8], text: &[u8]) -> bool {
    match (pattern.first(), text.first()) {
        (None, None) => true,
        (Some(b'*'), _) => {
            glob(&pattern[1..], text) || (!text.is_empty() && glob(pattern, &text[1..]))
        }
        (Some(b'?'), Some(_)) => glob(&pattern[1..], &text[1..]),
        (Some(p), Some(t)) if p == t => glob(&pattern[1..], &text[1..]),
        _ => false,
    }
}

const ACTIONS: [&str; 8] = [
    "s3:GetObject",
    "s3:PutObject",
    "s3:ListBucket",
    "s3:DeleteBucket",
    "sagemaker:CreateTrainingJob",
    "sagemaker:DescribeTrainingJob",
    "iam:PassRole",
    "kms:Decrypt",
];
const ACTION_PATTERNS: [&str; 6] = [
    "s3:Get*",
    "s3:*Object",
    "sagemaker:*",
    "s3:?etObject",
    "*",
    "iam:PassRole",
];
const RESOURCES: [&str; 6] = [
    "arn:aws:s3:::ml-data",
    "arn:aws:s3:::ml-data/train.csv",
    "arn:aws:s3:::other/x",
    "arn:aws:sagemaker:us-east-1:111122223333:training-job/j1",
    "arn:aws:iam::111122223333:role/Compute",
    "arn:aws:kms:us-east-1:111122223333:key/k1",
];
// Wildcards only in the last segment (or `*` alone), where IAM's per-segment matching and a
// whole-text glob agree.
const RESOURCE_PATTERNS: [&str; 6] = [
    "*",
    "arn:aws:s3:::ml-data/*",
    "arn:aws:s3:::ml-*",
    "arn:aws:sagemaker:us-east-1:111122223333:training-job/*",
    "arn:aws:iam::111122223333:role/Comp?te",
    "arn:aws:kms:us-east-1:111122223333:key/k1",
];

#[derive(Debug, Clone)]
struct Stmt {
    allow: bool,
    not_action: bool,
    actions: Vec<String>,
    not_resource: bool,
    resources: Vec<String>,
    condition: bool,
}

fn statement() -> impl Strategy<Value = Stmt> {
    let action = prop_oneof![select(ACTIONS.to_vec()), select(ACTION_PATTERNS.to_vec())]
        .prop_map(str::to_string);
    let resource = prop_oneof![
        select(RESOURCES.to_vec()),
        select(RESOURCE_PATTERNS.to_vec())
    ]
    .prop_map(str::to_string);
    (
        prop::bool::weighted(0.7),
        prop::bool::weighted(0.2),
        prop::collection::vec(action, 1..3),
        prop::bool::weighted(0.2),
        prop::collection::vec(resource, 1..3),
        any::<bool>(),
    )
        .prop_map(
            |(allow, not_action, actions, not_resource, resources, condition)| Stmt {
                allow,
                not_action,
                actions,
                not_resource,
                resources,
                condition,
            },
        )
}

fn document(statements: &[Stmt]) -> String {
    let statements: Vec<serde_json::Value> = statements
        .iter()
        .map(|s| {
            let mut o = serde_json::Map::new();
            o.insert(
                "Effect".into(),
                (if s.allow { "Allow" } else { "Deny" }).into(),
            );
            o.insert(
                (if s.not_action { "NotAction" } else { "Action" }).into(),
                s.actions.clone().into(),
            );
            o.insert(
                (if s.not_resource {
                    "NotResource"
                } else {
                    "Resource"
                })
                .into(),
                s.resources.clone().into(),
            );
            if s.condition {
                o.insert(
                    "Condition".into(),
                    serde_json::json!({"StringEquals": {"aws:RequestedRegion": "us-east-1"}}),
                );
            }
            serde_json::Value::Object(o)
        })
        .collect();
    serde_json::json!({"Version": "2012-10-17", "Statement": statements}).to_string()
}

/// Whether the statement's action and resource elements match, ignoring its conditions (which
/// can only narrow it).
fn may_match(s: &Stmt, action: &str, resource: &str) -> bool {
    let action_lc = action.to_ascii_lowercase();
    let action_hit = s
        .actions
        .iter()
        .any(|p| glob(p.to_ascii_lowercase().as_bytes(), action_lc.as_bytes()));
    let resource_hit = s
        .resources
        .iter()
        .any(|p| glob(p.as_bytes(), resource.as_bytes()));
    (action_hit != s.not_action) && (resource_hit != s.not_resource)
}

proptest! {
    #![proptest_config(config(512))]

    /// An allowed request always has an Allow statement whose Action and Resource match it, and
    /// no unconditional Deny statement that matches it.
    #[test]
    fn evaluator_never_allows_without_a_matching_allow(
        statements in prop::collection::vec(statement(), 1..5),
        action in select(ACTIONS.to_vec()),
        resource in select(RESOURCES.to_vec()),
        region in select(vec!["us-east-1", "eu-west-1"]),
    ) {
        let policy = Policy::parse("p", PolicyType::Identity, &document(&statements)).expect("parses");
        let set = PolicySet::new().with(policy);
        let request = Request::new("arn:aws:sts::111122223333:assumed-role/r/s", action, resource)
            .with("aws:RequestedRegion", region);
        let decision = set.decide(&request);
        if decision == Decision::Allow {
            prop_assert!(
                statements.iter().any(|s| s.allow && may_match(s, action, resource)),
                "allowed with no matching Allow: {}", document(&statements)
            );
            prop_assert!(
                !statements.iter().any(|s| !s.allow && !s.condition && may_match(s, action, resource)),
                "allowed despite a matching Deny: {}", document(&statements)
            );
        }
        if !statements.iter().any(|s| s.allow && may_match(s, action, resource)) {
            prop_assert_ne!(decision, Decision::Allow);
        }
    }
}

// --- merging ------------------------------------------------------------------------------------

fn policy_of(statements: &[PlannedStatement]) -> Policy {
    let json: Vec<serde_json::Value> = statements
        .iter()
        .map(mlrole::policy::statement_json)
        .collect();
    let document = serde_json::json!({"Version": "2012-10-17", "Statement": json});
    Policy::parse("p", PolicyType::Identity, &document.to_string()).expect("composed policy parses")
}

/// Requests drawn from the policy's own actions and resources (wildcards filled in) and others.
fn requests(
    statements: &[PlannedStatement],
    picks: &[(usize, usize, usize)],
) -> Vec<(String, String, usize)> {
    let mut actions: Vec<String> = statements.iter().flat_map(|s| s.actions.clone()).collect();
    actions.extend(
        [
            "s3:DeleteBucket",
            "iam:CreateUser",
            "sagemaker:DeleteDomain",
        ]
        .map(String::from),
    );
    let mut resources: Vec<String> = statements
        .iter()
        .flat_map(|s| s.resources.clone())
        .map(|r| {
            r.replace("${aws:PrincipalAccount}", "111122223333")
                .replace('*', "x1")
                .replace('?', "q")
        })
        .collect();
    resources.extend(
        [
            "arn:aws:s3:::elsewhere/x",
            "*",
            "arn:aws:iam::444455556666:role/Other",
        ]
        .map(String::from),
    );
    picks
        .iter()
        .map(|(a, r, c)| {
            (
                actions[a % actions.len()].clone(),
                resources[r % resources.len()].clone(),
                *c,
            )
        })
        .collect()
}

proptest! {
    #![proptest_config(config(16))]

    /// Composing with and without the merge step gives policies with the same decision on every
    /// request.
    #[test]
    fn merging_statements_never_changes_a_decision(
        args in role_args(),
        picks in prop::collection::vec((any::<usize>(), any::<usize>(), 0usize..4), 64),
    ) {
        let cli = <Cli as clap::Parser>::try_parse_from(&args).expect("valid args");
        let Command::Generate(generate) = &cli.command else { unreachable!() };
        let request = generate.to_spec().resolve(catalog(), &FieldLabels::default()).expect("resolves");
        let merged = compose::compose(catalog(), &request, Target::Policy).expect("composes");
        let unmerged = compose::compose_unmerged(catalog(), &request, Target::Policy).expect("composes");
        prop_assert!(merged.statements.len() <= unmerged.statements.len());
        let merged_set = PolicySet::new().with(policy_of(&merged.statements));
        let unmerged_set = PolicySet::new().with(policy_of(&unmerged.statements));
        for (action, resource, context) in requests(&unmerged.statements, &picks) {
            let mut request = Request::new("arn:aws:sts::111122223333:assumed-role/r/s", &action, &resource)
                .with("aws:PrincipalAccount", "111122223333");
            if context & 1 == 1 {
                request = request
                    .with_many("sagemaker:VpcSubnets", common::SUBNETS.to_vec())
                    .with_many("sagemaker:VpcSecurityGroupIds", vec![common::SECURITY_GROUP]);
            }
            if context & 2 == 2 {
                request = request
                    .with("sagemaker:VolumeKmsKeyArn", common::VOLUME_KEY)
                    .with("sagemaker:OutputKmsKeyArn", common::DATA_KEY)
                    .with("iam:PassedToService", "sagemaker.amazonaws.com")
                    .with("kms:ViaService", "s3.us-east-1.amazonaws.com");
            }
            prop_assert_eq!(
                merged_set.decide(&request),
                unmerged_set.decide(&request),
                "{} on {}", action, resource
            );
        }
    }
}

/// Any JSON value: every kind of number, and strings of any characters (controls, quotes,
/// backslashes, multi-byte).
fn json_value() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::Value;
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        any::<String>().prop_map(Value::String),
        "[\"\\\\\\x00-\\x1f\\x7f a-z\u{e9}\u{2014}\u{1F600}]{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((any::<String>(), inner), 0..6)
                .prop_map(|members| Value::Object(members.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(config(512))]

    /// The size IAM counts, computed from the value, is the character count of its compact text.
    #[test]
    fn iam_size_is_the_compact_texts_character_count(value in json_value()) {
        let compact = serde_json::to_string(&value).expect("serializes");
        prop_assert_eq!(mlrole::policy::iam_size(&value), compact.chars().count());
    }
}
