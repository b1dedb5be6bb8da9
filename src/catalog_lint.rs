//! IAM checks of catalog activities before any role uses them: `catalog check` generates each
//! activity of a user catalog alone, with sample values for everything it reads, and runs the
//! checks `generate` runs on what it renders. An unknown action or an ARN of the wrong resource
//! type then shows up when the catalog is written, not when a team first generates a role.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use crate::catalog::{Activity, Catalog};
use crate::compose::Target;
use crate::error::{Diagnostic, Result};
use crate::lint::{Finding, Severity};
use crate::render::Renderer;
use crate::request::{FieldLabels, RoleSpec};

/// The account and region of every sample role.
const SAMPLE_ACCOUNT: &str = "111122223333";
const SAMPLE_REGION: &str = "us-east-1";

/// A sample value for a list parameter, of the shape its flag accepts.
fn sample(parameter: &str) -> Option<&'static str> {
    Some(match parameter {
        "buckets" => "example-bucket",
        "read_buckets" => "example-read-bucket",
        "ecr_repos" => "example-repository",
        "pass_roles" => "arn:aws:iam::111122223333:role/example-execution-role",
        "athena_workgroups" => "example-workgroup",
        "glue_databases" => "example_database",
        "vpc_subnets" => "subnet-0123456789abcdef0",
        "vpc_security_groups" => "sg-0123456789abcdef0",
        "volume_kms_keys" => {
            "arn:aws:kms:us-east-1:111122223333:key/11111111-2222-3333-4444-555555555555"
        }
        "data_kms_keys" => {
            "arn:aws:kms:us-east-1:111122223333:key/66666666-7777-8888-9999-000000000000"
        }
        "kendra_indexes" => "12345678-1234-1234-1234-123456789012",
        "emr_serverless_roles" => "arn:aws:iam::111122223333:role/example-emr-runtime-role",
        "bedrock_roles" => "arn:aws:iam::111122223333:role/example-bedrock-role",
        "forecast_roles" => "arn:aws:iam::111122223333:role/example-forecast-role",
        _ => return None,
    })
}

/// The role spec of `activity` alone: the sample account and region, and a sample value for
/// each parameter it reads (both halves of a pair, as `generate` requires).
fn sample_spec(activity: &Activity) -> Result<RoleSpec> {
    let mut read: BTreeSet<&str> = activity.parameters_read();
    if read.remove("all_buckets") {
        read.insert("buckets");
    }
    if read.contains("vpc_subnets") || read.contains("vpc_security_groups") {
        read.extend(["vpc_subnets", "vpc_security_groups"]);
    }
    if activity.reads_both_key_kinds() {
        read.extend(["volume_kms_keys", "data_kms_keys"]);
    }
    let mut spec = Map::new();
    spec.insert("activities".into(), Value::from(vec![activity.id.clone()]));
    spec.insert("account".into(), Value::from(SAMPLE_ACCOUNT));
    spec.insert("region".into(), Value::from(SAMPLE_REGION));
    for parameter in read {
        match parameter {
            "domain_id" => {
                spec.insert(parameter.into(), Value::from("d-abcdef123456"));
            }
            "user_profile" => {
                spec.insert(parameter.into(), Value::from("example-user"));
            }
            list => {
                if let Some(value) = sample(list) {
                    spec.insert(list.into(), Value::from(vec![value]));
                }
            }
        }
    }
    serde_json::from_value(Value::Object(spec)).map_err(|e| crate::Error::Usage {
        message: format!("cannot build a sample role for `{}`: {e}", activity.id),
        help: None,
    })
}

/// The findings of `activity` generated alone, each as a diagnostic on its YAML file at the line
/// of the statement that produced it (found by its sid).
pub fn check_activity(
    catalog: &Catalog,
    renderer: &Renderer,
    activity: &Activity,
    yaml: &str,
) -> Result<Vec<(Severity, Diagnostic)>> {
    let request = sample_spec(activity)?.resolve(catalog, &FieldLabels::default())?;
    let generated = crate::generate::build(catalog, renderer, &request, Target::Policy)?;
    let prefix = crate::compose::pascal_case(&activity.id);
    Ok(generated
        .check()
        .into_iter()
        .map(|finding| {
            let line = statement_line(&finding, &prefix, yaml);
            let diagnostic = Diagnostic::new(
                activity.file.clone(),
                line,
                format!(
                    "{}[{}]: {}",
                    finding.severity, finding.code, finding.message
                ),
            )
            .with_help(finding.help.clone());
            (finding.severity, diagnostic)
        })
        .collect())
}

/// The line of `sid: <sid>` for the finding's statement. Merged statements carry the sid of the
/// first one; a finding without a sid has no line.
fn statement_line(finding: &Finding, prefix: &str, yaml: &str) -> Option<usize> {
    let sid = finding.sid.as_deref()?.strip_prefix(prefix)?;
    let find = |sid: &str| {
        yaml.lines()
            .position(|line| {
                line.trim_start()
                    .trim_start_matches("- ")
                    .strip_prefix("sid:")
                    .is_some_and(|rest| rest.trim().trim_matches(['"', '\'']) == sid)
            })
            .map(|index| index + 1)
    };
    // A repeated sid gets a number appended when the role is composed.
    find(sid).or_else(|| find(sid.trim_end_matches(|c: char| c.is_ascii_digit())))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The sample values are of the shape each flag accepts: every built-in activity (together
    /// they read every parameter) generates alone and checks clean, as the tests of generated
    /// roles require of the built-in catalog.
    #[test]
    fn every_built_in_activity_checks_clean_with_sample_values() {
        let catalog = Catalog::load(None).unwrap_or_else(|e| panic!("{e}"));
        let renderer = Renderer::new(None).unwrap_or_else(|e| panic!("{e}"));
        let mut read: BTreeSet<&str> = BTreeSet::new();
        for activity in &catalog.activities {
            read.extend(activity.parameters_read());
            let findings = check_activity(&catalog, &renderer, activity, "")
                .unwrap_or_else(|e| panic!("{}: {e}", activity.id));
            assert!(findings.is_empty(), "{}: {findings:?}", activity.id);
        }
        for parameter in crate::params::PARAMETERS.iter().filter(|p| p.list) {
            if parameter.name != "all_buckets" && read.contains(parameter.name) {
                assert!(sample(parameter.name).is_some(), "{}", parameter.name);
            }
        }
    }
}
