//! The least-privilege scenarios in `tests/scenarios/*.yaml` (must-allow and must-deny requests per
//! activity or persona) are proofs decided by the policy evaluator. These tests require one for
//! every activity and persona of the catalog (and a `-vpc-kms` variant for every persona that takes
//! VPC and KMS settings), keep the files honest (each parses in the documented format, its `role`
//! is a spec `generate` accepts with its account and region, it is named after the activity or
//! persona it tests, and every allowed action is one the generated role actually mentions), and
//! run every request through the evaluator.

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
    principal: Option<String>,
    #[serde(default)]
    resource_account: Option<String>,
    #[serde(default)]
    context: BTreeMap<String, serde_yaml::Value>,
}

/// Suffix of a persona's scenario whose role has the VPC and KMS settings on.
const VPC_KMS: &str = "-vpc-kms";

/// The scenario files the catalog requires: one per activity and per persona, and for every
/// persona whose activities take both VPC and KMS settings also `<persona>-vpc-kms`.
fn required_scenarios(catalog: &mlrole::catalog::Catalog) -> Vec<String> {
    let mut required: Vec<String> = catalog.activities.iter().map(|a| a.id.clone()).collect();
    for persona in &catalog.personas {
        required.push(persona.id.clone());
        let (vpc, kms) = common::network_support(catalog, &persona.default_activities);
        if vpc && kms {
            required.push(format!("{}{VPC_KMS}", persona.id));
        }
    }
    required
}

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
    let missing: Vec<String> = required_scenarios(&common::catalog())
        .into_iter()
        .filter(|id| !stems.contains(id))
        .map(|id| format!("tests/scenarios/{id}.yaml"))
        .collect();
    assert!(missing.is_empty(), "missing scenarios: {missing:?}");
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
        let tests_itself = match stem.strip_suffix(VPC_KMS) {
            Some(subject) => {
                let role = &scenario.role;
                // `<persona>-vpc-kms` tests the persona's default activities; `<activity>-vpc-kms`
                // the activity, with the others of its role.
                let is_activity = catalog.persona(subject).is_err();
                let activities = match catalog.persona(subject) {
                    Ok(p) => p.default_activities.clone(),
                    Err(_) => role.activities.clone(),
                };
                let (_, volume_keys, data_keys) = common::network_settings(&catalog, &activities);
                assert!(
                    !role.vpc_subnets.is_empty()
                        && !role.vpc_security_groups.is_empty()
                        && role.volume_kms_keys.is_empty() != volume_keys
                        && role.data_kms_keys.is_empty() != data_keys,
                    "{name}: a {VPC_KMS} scenario sets vpc_subnets, vpc_security_groups, \
                     and the KMS keys its persona's activities read (volume: {volume_keys}, \
                     data: {data_keys})"
                );
                if is_activity {
                    role.activities.iter().any(|a| a == subject)
                } else {
                    role.persona.as_deref() == Some(subject)
                }
            }
            None => {
                scenario.role.persona.as_deref() == Some(stem.as_str())
                    || scenario.role.activities == [stem.clone()]
            }
        };
        assert!(
            tests_itself,
            "{name}: the role is the persona or activity named by the file"
        );
        assert!(
            scenario.role.account.is_some() && scenario.role.region.is_some(),
            "{name}: the role names its account and region, so that requests in another \
             account or region are meaningful denials"
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
            if let Some(principal) = &entry.principal {
                assert!(
                    principal.starts_with("arn:"),
                    "{name}: {}: principal",
                    entry.name
                );
            }
            if let Some(account) = &entry.resource_account {
                assert!(
                    account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()),
                    "{name}: {}: resource_account",
                    entry.name
                );
            }
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
