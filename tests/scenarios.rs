//! The least-privilege scenarios in `tests/scenarios/*.yaml` (must-allow and must-deny requests per
//! activity or persona) are data for the policy evaluator. Until it runs them, this test keeps the
//! files honest: each parses in the documented format, its `role` is a spec `generate` accepts, it
//! is named after the activity or persona it tests, and every allowed action is one the generated
//! role actually mentions.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use mlrole::request::RoleSpec;
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Scenario {
    role: RoleSpec,
    allow: Vec<Request>,
    deny: Vec<Request>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Request {
    name: String,
    action: String,
    resource: String,
    #[serde(default)]
    context: BTreeMap<String, serde_yaml::Value>,
}

/// Activities and personas that must have scenarios (the Canvas / EMR Serverless / MLflow Apps
/// catalog work and the Canvas companion roles).
const REQUIRED: &[&str] = &[
    "canvas-core-access",
    "canvas-data-preparation",
    "canvas-ai-services",
    "canvas-mlops",
    "canvas-kendra-access",
    "canvas-forecast-access",
    "run-studio-emr-serverless",
    "manage-mlflow-apps",
    "mlflow-apps-aws-services",
    "canvas-emr-serverless-execution",
    "canvas-bedrock-fine-tuning",
    "canvas-forecast-execution",
    "canvas-emr-serverless",
    "canvas-bedrock",
    "canvas-forecast",
];

fn scenario_files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios");
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    files
}

#[test]
fn every_required_scenario_exists() {
    let stems: Vec<String> = scenario_files()
        .iter()
        .map(|p| p.file_stem().unwrap().to_string_lossy().to_string())
        .collect();
    for id in REQUIRED {
        assert!(stems.iter().any(|s| s == id), "tests/scenarios/{id}.yaml");
    }
}

#[test]
fn scenarios_are_well_formed_and_match_their_role() {
    let catalog = common::catalog();
    for file in scenario_files() {
        let name = file.file_name().unwrap().to_string_lossy().to_string();
        let stem = file.file_stem().unwrap().to_string_lossy().to_string();
        let text = std::fs::read_to_string(&file).unwrap();
        let scenario: Scenario =
            serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        let tests_itself = scenario.role.persona.as_deref() == Some(stem.as_str())
            || scenario.role.activities == [stem.clone()];
        assert!(
            tests_itself,
            "{name}: the role is the persona or activity named by the file"
        );
        assert!(
            !scenario.allow.is_empty() && !scenario.deny.is_empty(),
            "{name}: allow and deny"
        );

        let request = scenario
            .role
            .resolve(&catalog, &Default::default())
            .unwrap_or_else(|e| panic!("{name}: role: {e}"));
        let plan =
            mlrole::compose::compose(&catalog, &request, mlrole::compose::Target::Policy).unwrap();
        let granted: Vec<String> = plan
            .statements
            .iter()
            .flat_map(|s| s.actions.iter().map(|a| a.to_ascii_lowercase()))
            .collect();
        for entry in scenario.allow.iter().chain(&scenario.deny) {
            assert!(
                !entry.name.trim().is_empty(),
                "{name}: every request has a name"
            );
            let (service, action) = entry.action.split_once(':').unwrap_or(("", ""));
            assert!(
                !service.is_empty() && !action.is_empty(),
                "{name}: {}: action",
                entry.name
            );
            assert!(
                entry.resource == "*" || entry.resource.starts_with("arn:"),
                "{name}: {}: resource",
                entry.name
            );
            for (key, value) in &entry.context {
                assert!(
                    key.contains(':'),
                    "{name}: {}: context key {key}",
                    entry.name
                );
                let ok = value.is_string()
                    || value
                        .as_sequence()
                        .is_some_and(|items| items.iter().all(|v| v.is_string()));
                assert!(ok, "{name}: {}: {key} is a string or a list", entry.name);
            }
        }
        for entry in &scenario.allow {
            assert!(
                granted.contains(&entry.action.to_ascii_lowercase()),
                "{name}: allowed action {} is not in the role",
                entry.action
            );
        }
    }
}

/// The proofs themselves: every scenario's role, generated from its spec, is allowed every
/// must-allow request and denied every must-deny request by the IAM evaluator.
#[test]
fn every_scenario_holds_under_iam_evaluation() {
    let catalog = common::catalog();
    let renderer = mlrole::render::Renderer::new(None).unwrap();
    let mut reports = Vec::new();
    for file in scenario_files() {
        let label = file.file_name().unwrap().to_string_lossy().to_string();
        let scenario =
            mlrole::verify::parse_scenario(&label, &std::fs::read_to_string(&file).unwrap())
                .unwrap();
        assert!(
            !scenario.allow.is_empty() && !scenario.deny.is_empty(),
            "{label}: needs must-allow and must-deny requests"
        );
        reports.push(
            mlrole::verify::run_generated(&catalog, &renderer, &label, &scenario)
                .unwrap_or_else(|e| panic!("{label}: {e}")),
        );
    }
    let failures: usize = reports.iter().map(|r| r.failures()).sum();
    assert_eq!(failures, 0, "\n{}", mlrole::verify::render_human(&reports));
}
