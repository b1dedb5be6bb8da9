//! Shared test helpers: the standard example values (the same as
//! `shared/reference/role-manager-policies`, so outputs can be compared with Role Manager's) and
//! argument builders that supply exactly the parameters the chosen activities declare.
#![allow(dead_code)]

use std::collections::BTreeSet;

use mlrole::catalog::Catalog;

pub const ACCOUNT: &str = "111122223333";
pub const REGION: &str = "us-east-1";
pub const READ_BUCKET: &str = "ml-data-in";
pub const RW_BUCKET: &str = "ml-art-out";
pub const ECR_REPO: &str = "my-image";
pub const PASS_ROLE: &str = "arn:aws:iam::111122223333:role/service-role/SageMaker-Compute";
pub const SUBNETS: [&str; 2] = ["subnet-0aaa1111", "subnet-0bbb2222"];
pub const SECURITY_GROUP: &str = "sg-0ccc3333";
pub const VOLUME_KEY: &str =
    "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
pub const DATA_KEY: &str =
    "arn:aws:kms:us-east-1:111122223333:key/5678abcd-12ab-34cd-56ef-1234567890ab";
pub const WORKGROUP: &str = "primary";
pub const GLUE_DATABASE: &str = "ml_features";
pub const KENDRA_INDEX: &str = "0123abcd-ef01-2345-6789-abcdef012345";
pub const EMR_SERVERLESS_ROLE: &str =
    "arn:aws:iam::111122223333:role/service-role/SageMaker-CanvasEMRServerless";
pub const BEDROCK_ROLE: &str =
    "arn:aws:iam::111122223333:role/service-role/SageMaker-CanvasBedrock";
pub const FORECAST_ROLE: &str =
    "arn:aws:iam::111122223333:role/service-role/SageMaker-CanvasForecast";

pub fn catalog() -> Catalog {
    Catalog::load(None).expect("the built-in catalog loads")
}

/// Whether the activities can use VPC / KMS settings at all.
pub fn network_support(catalog: &Catalog, activities: &[String]) -> (bool, bool) {
    let (vpc, volume_keys, data_keys) = network_settings(catalog, activities);
    (vpc, volume_keys || data_keys)
}

/// Whether these activities read VPC settings, volume KMS keys and data KMS keys.
pub fn network_settings(catalog: &Catalog, activities: &[String]) -> (bool, bool, bool) {
    let (mut vpc, mut volume_keys, mut data_keys) = (false, false, false);
    for id in activities {
        let read = catalog
            .activity(id)
            .expect("known activity")
            .parameters_read();
        vpc |= read.contains("vpc_subnets");
        volume_keys |= read.contains("volume_kms_keys");
        data_keys |= read.contains("data_kms_keys");
    }
    (vpc, volume_keys, data_keys)
}

/// `generate` arguments for these activities with the standard values of every parameter they
/// declare (and, when `network`, the VPC and KMS settings they support).
pub fn generate_args(persona: Option<&str>, activities: &[String], network: bool) -> Vec<String> {
    let catalog = catalog();
    let mut args: Vec<String> = vec!["mlrole".into(), "generate".into()];
    if let Some(persona) = persona {
        args.extend(["--persona".into(), persona.into()]);
    } else {
        for activity in activities {
            args.extend(["--activity".into(), activity.clone()]);
        }
    }
    args.extend([
        "--account".into(),
        ACCOUNT.into(),
        "--region".into(),
        REGION.into(),
    ]);
    let mut declared = BTreeSet::new();
    for id in activities {
        for (name, _) in &catalog.activity(id).expect("known activity").parameters {
            declared.insert(name.clone());
        }
    }
    let has = |name: &str| declared.contains(name);
    if has("all_buckets") || has("read_buckets") {
        args.extend(["--read-bucket".into(), READ_BUCKET.into()]);
    }
    if has("all_buckets") || has("buckets") {
        args.extend(["--bucket".into(), RW_BUCKET.into()]);
    }
    let mut add = |name: &str, flag: &str, value: &str| {
        if has(name) {
            args.extend([flag.into(), value.into()]);
        }
    };
    add("ecr_repos", "--ecr-repo", ECR_REPO);
    add("pass_roles", "--pass-role", PASS_ROLE);
    add("athena_workgroups", "--athena-workgroup", WORKGROUP);
    add("glue_databases", "--glue-database", GLUE_DATABASE);
    add("kendra_indexes", "--kendra-index", KENDRA_INDEX);
    add(
        "emr_serverless_roles",
        "--emr-serverless-role",
        EMR_SERVERLESS_ROLE,
    );
    add("bedrock_roles", "--bedrock-role", BEDROCK_ROLE);
    add("forecast_roles", "--forecast-role", FORECAST_ROLE);
    if network {
        let (vpc, volume_keys, data_keys) = network_settings(&catalog, activities);
        if vpc {
            for subnet in SUBNETS {
                args.extend(["--vpc-subnet".into(), subnet.into()]);
            }
            args.extend(["--vpc-security-group".into(), SECURITY_GROUP.into()]);
        }
        if volume_keys {
            args.extend(["--volume-kms-key".into(), VOLUME_KEY.into()]);
        }
        if data_keys {
            args.extend(["--data-kms-key".into(), DATA_KEY.into()]);
        }
    }
    args
}

pub fn persona_activities(persona: &str) -> Vec<String> {
    catalog()
        .persona(persona)
        .expect("known persona")
        .default_activities
        .clone()
}

/// Runs the CLI in-process; panics with the error report on failure.
pub fn run_ok(args: &[String]) -> String {
    match mlrole::cli::run_args(args) {
        Ok(out) => out,
        Err((code, report)) => panic!("`{}` failed with {code}:\n{report}", args.join(" ")),
    }
}

/// Runs the real binary with these arguments.
pub fn mlrole(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_mlrole"))
        .args(args)
        .output()
        .expect("run mlrole")
}
