//! Least-privilege proofs: scenario files list the requests a role must be allowed (the real API
//! calls of its workflow) and those it must be denied; each is decided by the IAM evaluator
//! against the role's permission policies. The same scenarios run in the tests, in
//! `mlrole verify`, and against any bundle a user generated.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::catalog::Catalog;
use crate::error::{Diagnostic, Error, Result};
use crate::generate;
use crate::render::Renderer;
use crate::request::{FieldLabels, RoleSpec};
use crate::simulate::{Decision, Policy, PolicySet, PolicyType, Request};

/// A scenario file: the role (as a spec) and the requests it must and must not be allowed.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub role: RoleSpec,
    #[serde(default)]
    pub allow: Vec<ScenarioRequest>,
    #[serde(default)]
    pub deny: Vec<ScenarioRequest>,
}

/// One request. The principal defaults to the role itself; the resource account to the ARN's.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioRequest {
    pub name: String,
    pub action: String,
    pub resource: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub principal: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_account: Option<String>,
    /// Context keys: a string (or number/bool) or a list of them.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub context: BTreeMap<String, ContextEntry>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(untagged)]
pub enum ContextEntry {
    Many(Vec<Scalar>),
    One(Scalar),
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(untagged)]
pub enum Scalar {
    Bool(bool),
    Number(f64),
    Text(String),
}

impl Scalar {
    fn text(&self) -> String {
        match self {
            Scalar::Bool(b) => b.to_string(),
            Scalar::Number(n) if n.fract() == 0.0 => format!("{}", *n as i64),
            Scalar::Number(n) => n.to_string(),
            Scalar::Text(s) => s.clone(),
        }
    }
}

/// The outcome of one request.
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    pub name: String,
    pub expected: &'static str,
    pub decision: &'static str,
    pub passed: bool,
    pub action: String,
    pub resource: String,
    /// Statements that decided, as `policy/Sid`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub decided_by: Vec<String>,
}

/// Outcomes of one scenario file.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub scenario: String,
    pub outcomes: Vec<Outcome>,
}

impl Report {
    pub fn failures(&self) -> usize {
        self.outcomes.iter().filter(|o| !o.passed).count()
    }
}

/// Parses a scenario file (YAML or JSON).
pub fn parse_scenario(label: &str, text: &str) -> Result<Scenario> {
    crate::yaml::from_str(text).map_err(|error| {
        let mut diagnostic = Diagnostic::new(label, error.line, error.message);
        diagnostic.help = error.help.map(String::from);
        Error::Spec(diagnostic)
    })
}

/// The role's ARN as the evaluator's principal.
fn role_arn(bundle: &Value) -> String {
    let role = &bundle["role"];
    let partition = role["partition"].as_str().unwrap_or("aws");
    let account = role["account"].as_str().unwrap_or("111122223333");
    let path = role["path"].as_str().unwrap_or("/");
    let name = role["name"].as_str().unwrap_or("role");
    format!("arn:{partition}:iam::{account}:role{path}{name}")
}

/// The identity policies of a bundle written by `generate` (or a single policy document).
pub fn identity_policies(label: &str, document: &Value) -> Result<PolicySet> {
    let mut set = PolicySet::new();
    let invalid = |message: String| Error::Spec(Diagnostic::new(label, None, message));
    match document
        .get("permission_policies")
        .and_then(Value::as_array)
    {
        Some(policies) => {
            for (index, policy) in policies.iter().enumerate() {
                let name = policy["name"]
                    .as_str()
                    .map(String::from)
                    .unwrap_or_else(|| format!("policy-{}", index + 1));
                let parsed = Policy::from_value(&name, PolicyType::Identity, &policy["document"])
                    .map_err(|e| {
                    invalid(format!("permission_policies[{index}].document: {e}"))
                })?;
                set.add(parsed);
            }
        }
        None => {
            set.add(
                Policy::from_value(label, PolicyType::Identity, document)
                    .map_err(|e| invalid(e.to_string()))?,
            );
        }
    }
    Ok(set)
}

/// Runs a scenario's requests against a bundle.
pub fn run_against(scenario_label: &str, scenario: &Scenario, bundle: &Value) -> Result<Report> {
    let policies = identity_policies(scenario_label, bundle)?;
    let principal = role_arn(bundle);
    let mut outcomes = Vec::new();
    for (expected_allow, requests) in [(true, &scenario.allow), (false, &scenario.deny)] {
        for request in requests {
            if let Some(problem) = request
                .principal
                .as_deref()
                .and_then(crate::simulate::requester_problem)
            {
                return Err(Error::Spec(Diagnostic::new(
                    scenario_label.to_string(),
                    None,
                    format!("request `{}`: principal: {problem}", request.name),
                )));
            }
            let mut evaluated = Request::new(
                request.principal.as_deref().unwrap_or(&principal),
                &request.action,
                &request.resource,
            );
            if let Some(account) = &request.resource_account {
                evaluated = evaluated.with_resource_account(account);
            }
            // AWS always sets aws:RequestedRegion; take it from the resource ARN unless given.
            let region = request
                .resource
                .split(':')
                .nth(3)
                .filter(|r| !r.is_empty() && !r.contains('*'));
            if let (Some(region), false) =
                (region, request.context.contains_key("aws:RequestedRegion"))
            {
                evaluated = evaluated.with("aws:RequestedRegion", region);
            }
            for (key, entry) in &request.context {
                evaluated = match entry {
                    ContextEntry::One(value) => evaluated.with(key, value.text().as_str()),
                    ContextEntry::Many(values) => {
                        let texts: Vec<String> = values.iter().map(Scalar::text).collect();
                        evaluated.with_many(key, texts.iter().map(String::as_str))
                    }
                };
            }
            let evaluation = policies.evaluate(&evaluated);
            let allowed = evaluation.decision == Decision::Allow;
            let decided_by = evaluation
                .reasons
                .iter()
                .filter(|r| matches!(r.detail, crate::simulate::ReasonDetail::Matched))
                .map(|r| {
                    format!(
                        "{}/{}",
                        r.policy,
                        r.sid.clone().unwrap_or_else(|| r
                            .statement_index
                            .map(|i| i.to_string())
                            .unwrap_or_default())
                    )
                })
                .collect();
            outcomes.push(Outcome {
                name: request.name.clone(),
                expected: if expected_allow { "allow" } else { "deny" },
                decision: evaluation.decision.as_str(),
                passed: if expected_allow {
                    allowed
                } else {
                    !allowed && evaluation.decision != Decision::Indeterminate
                },
                action: request.action.clone(),
                resource: request.resource.clone(),
                decided_by,
            });
        }
    }
    Ok(Report {
        scenario: scenario_label.to_string(),
        outcomes,
    })
}

/// Generates the scenario's own role and runs its requests against it.
pub fn run_generated(
    catalog: &Catalog,
    renderer: &Renderer,
    label: &str,
    scenario: &Scenario,
) -> Result<Report> {
    let request = scenario.role.resolve(catalog, &FieldLabels::default())?;
    let bundle = generate::generate(catalog, renderer, &request)?.bundle();
    run_against(label, scenario, &bundle)
}

/// The built-in scenarios (embedded from `tests/scenarios/`), as `(label, text)`.
pub fn builtin() -> impl Iterator<Item = (&'static str, &'static str)> {
    crate::embedded::FILES
        .iter()
        .filter(|(path, _)| path.starts_with("tests/scenarios/"))
        .copied()
}

/// The report as a person reads it.
pub fn render_human(reports: &[Report]) -> String {
    let mut text = String::new();
    for report in reports {
        text.push_str(&format!("{}\n", report.scenario));
        for outcome in &report.outcomes {
            let mark = if outcome.passed { "ok  " } else { "FAIL" };
            text.push_str(&format!(
                "  {mark} must {:<5} {} — {} ({})\n",
                outcome.expected, outcome.name, outcome.decision, outcome.action
            ));
            if !outcome.passed {
                text.push_str(&format!("       resource: {}\n", outcome.resource));
                if !outcome.decided_by.is_empty() {
                    text.push_str(&format!(
                        "       allowed by: {}\n",
                        outcome.decided_by.join(", ")
                    ));
                }
            }
        }
    }
    let total: usize = reports.iter().map(|r| r.outcomes.len()).sum();
    let failed: usize = reports.iter().map(Report::failures).sum();
    text.push_str(&format!("{} passed, {failed} failed\n", total - failed));
    text
}
