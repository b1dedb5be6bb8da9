//! The persona and activity catalog: raw YAML types kept apart from the validated model.
//!
//! Loading reads the built-in files embedded in the binary, lets a user directory add or replace
//! files (`--catalog DIR` with `personas/` and `activities/` inside), and validates everything,
//! collecting every problem with its file and line before giving up.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use crate::embedded;
use crate::error::{Diagnostic, Error, Result};
use crate::params;
use crate::placeholder::Template;
use crate::suggest;
use crate::validate;
use crate::yaml;

// ---------------------------------------------------------------- raw (as written in YAML)

/// An ML activity (`activities/<id>.yaml`): the permissions for one job to be done.
#[derive(Debug, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub(crate) struct RawActivity {
    /// Kebab-case id, equal to the file name without `.yaml`.
    id: String,
    /// Name shown in `mlrole list activities` (Role Manager's name where there is one).
    title: String,
    /// One or two sentences: what the activity lets the role do.
    description: String,
    /// Provenance of the Role Manager equivalent and where this activity deliberately differs.
    #[serde(default)]
    role_manager: Option<RoleManagerNote>,
    /// Every list placeholder the statements use, and whether the user must supply it.
    #[serde(default)]
    parameters: IndexMap<String, Requirement>,
    /// The IAM statements, each with a reason.
    statements: Vec<RawStatement>,
}

/// One IAM statement of an activity.
#[derive(Debug, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
struct RawStatement {
    /// ASCII letters and digits, unique in the file; mlrole prefixes the activity's name.
    sid: String,
    /// Why the role needs this statement (shown in provenance and `mlrole show`).
    why: String,
    /// `Allow` (default) or `Deny`.
    #[serde(default)]
    effect: Effect,
    /// When the statement is part of the role: always (default), or only with VPC or KMS settings.
    #[serde(default)]
    when: When,
    /// Exact action names `service:Action`; wildcards only where unavoidable (say why).
    actions: Vec<String>,
    /// ARNs with placeholders (`${partition}`, `${account}`, `${buckets}`, …); `"*"` only if none fits.
    resources: Vec<String>,
    /// IAM condition block: operator → key → value or list of values (placeholders allowed).
    #[serde(default)]
    conditions: IndexMap<String, IndexMap<String, RawConditionValues>>,
    /// Settings whose conditions mlrole attaches to this statement when they are on.
    #[serde(default)]
    network: Vec<Network>,
}

// Read by hand rather than as untagged enums: serde buffers an untagged value and builds an
// error message for every variant that does not fit (about a tenth of loading a persona's
// activities), and then reports only "data did not match any variant".
#[derive(Debug)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[cfg_attr(test, schemars(untagged))]
enum RawConditionValues {
    One(RawScalar),
    Many(Vec<RawScalar>),
}

#[derive(Debug)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[cfg_attr(test, schemars(untagged))]
enum RawScalar {
    Bool(bool),
    Int(i64),
    Text(String),
}

const CONDITION_VALUE: &str = "a string, a whole number, true or false, or a list of them";

/// Reads a scalar as [`RawScalar`]; `None` for what is not one, so the caller reports it.
struct ScalarVisitor;

impl<'de> serde::de::Visitor<'de> for ScalarVisitor {
    type Value = RawScalar;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str(CONDITION_VALUE)
    }

    fn visit_bool<E: serde::de::Error>(self, value: bool) -> std::result::Result<RawScalar, E> {
        Ok(RawScalar::Bool(value))
    }

    fn visit_i64<E: serde::de::Error>(self, value: i64) -> std::result::Result<RawScalar, E> {
        Ok(RawScalar::Int(value))
    }

    fn visit_u64<E: serde::de::Error>(self, value: u64) -> std::result::Result<RawScalar, E> {
        i64::try_from(value)
            .map(RawScalar::Int)
            .map_err(|_| E::invalid_value(serde::de::Unexpected::Unsigned(value), &CONDITION_VALUE))
    }

    fn visit_str<E: serde::de::Error>(self, value: &str) -> std::result::Result<RawScalar, E> {
        Ok(RawScalar::Text(value.to_string()))
    }

    fn visit_string<E: serde::de::Error>(self, value: String) -> std::result::Result<RawScalar, E> {
        Ok(RawScalar::Text(value))
    }
}

impl<'de> Deserialize<'de> for RawScalar {
    fn deserialize<D: serde::Deserializer<'de>>(
        deserializer: D,
    ) -> std::result::Result<Self, D::Error> {
        deserializer.deserialize_any(ScalarVisitor)
    }
}

impl<'de> Deserialize<'de> for RawConditionValues {
    fn deserialize<D: serde::Deserializer<'de>>(
        deserializer: D,
    ) -> std::result::Result<Self, D::Error> {
        struct ValuesVisitor;

        impl<'de> serde::de::Visitor<'de> for ValuesVisitor {
            type Value = RawConditionValues;

            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str(CONDITION_VALUE)
            }

            fn visit_bool<E: serde::de::Error>(
                self,
                v: bool,
            ) -> std::result::Result<Self::Value, E> {
                ScalarVisitor.visit_bool(v).map(RawConditionValues::One)
            }

            fn visit_i64<E: serde::de::Error>(self, v: i64) -> std::result::Result<Self::Value, E> {
                ScalarVisitor.visit_i64(v).map(RawConditionValues::One)
            }

            fn visit_u64<E: serde::de::Error>(self, v: u64) -> std::result::Result<Self::Value, E> {
                ScalarVisitor.visit_u64(v).map(RawConditionValues::One)
            }

            fn visit_str<E: serde::de::Error>(
                self,
                v: &str,
            ) -> std::result::Result<Self::Value, E> {
                ScalarVisitor.visit_str(v).map(RawConditionValues::One)
            }

            fn visit_string<E: serde::de::Error>(
                self,
                v: String,
            ) -> std::result::Result<Self::Value, E> {
                ScalarVisitor.visit_string(v).map(RawConditionValues::One)
            }

            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> std::result::Result<Self::Value, A::Error> {
                let mut values = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
                while let Some(value) = seq.next_element()? {
                    values.push(value);
                }
                Ok(RawConditionValues::Many(values))
            }
        }

        deserializer.deserialize_any(ValuesVisitor)
    }
}

impl RawScalar {
    fn into_text(self) -> String {
        match self {
            RawScalar::Bool(b) => b.to_string(),
            RawScalar::Int(i) => i.to_string(),
            RawScalar::Text(s) => s,
        }
    }
}

/// A persona (`personas/<id>.yaml`): who assumes the role, and the activities it starts from.
#[derive(Debug, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub(crate) struct RawPersona {
    /// Kebab-case id, equal to the file name without `.yaml`.
    id: String,
    /// Name shown in `mlrole list personas`.
    title: String,
    /// What roles of this persona are for.
    description: String,
    /// Default role name (IAM: at most 64 of `A-Za-z0-9+=,.@_-`).
    role_name: String,
    /// The trust policy: which service assumes the role.
    trust: RawTrust,
    /// Activity ids selected by default (built-in or from the same catalog directory).
    default_activities: Vec<String>,
    /// List parameters this persona always needs, e.g. `pass_roles`.
    #[serde(default)]
    required_parameters: Vec<String>,
    /// Maximum session duration in seconds, 3600-43200 (default 3600).
    #[serde(default)]
    max_session_duration: Option<u32>,
}

#[derive(Debug, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
struct RawTrust {
    /// Service names without `.amazonaws.com`, e.g. `sagemaker`.
    services: Vec<String>,
    /// Optional `aws:SourceArn` (ArnLike) the service presents; mlrole always adds aws:SourceAccount.
    #[serde(default)]
    source_arn: Option<String>,
}

// ---------------------------------------------------------------- validated model

/// Where the Role Manager equivalent came from, and how mlrole deliberately differs.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct RoleManagerNote {
    /// Role Manager's template or policy name, or the evidence used when there is none.
    #[serde(default)]
    pub template: Option<String>,
    /// Where and why this activity deliberately differs (tighter, fixed defects, sources).
    #[serde(default)]
    pub differences: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum Requirement {
    Required,
    Optional,
}

#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize,
)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub enum Effect {
    #[default]
    Allow,
    Deny,
}

impl Effect {
    pub fn as_str(self) -> &'static str {
        match self {
            Effect::Allow => "Allow",
            Effect::Deny => "Deny",
        }
    }
}

/// When a statement is part of the role at all.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
pub enum When {
    #[default]
    Always,
    Vpc,
    KmsVolume,
    KmsData,
}

impl When {
    pub fn as_str(self) -> &'static str {
        match self {
            When::Always => "always",
            When::Vpc => "vpc",
            When::KmsVolume => "kms-volume",
            When::KmsData => "kms-data",
        }
    }
}

/// Network and encryption settings whose conditions attach to a statement when they are on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
pub enum Network {
    Vpc,
    KmsVolume,
    KmsData,
}

impl Network {
    /// The condition keys the setting's conditions read, each with the list parameter whose
    /// values it is compared with: one table for composing the conditions, for what an activity
    /// reads, and for which actions may carry the setting.
    pub fn condition_keys(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Network::Vpc => &[
                ("sagemaker:VpcSubnets", "vpc_subnets"),
                ("sagemaker:VpcSecurityGroupIds", "vpc_security_groups"),
            ],
            Network::KmsVolume => &[("sagemaker:VolumeKmsKeyArn", "volume_kms_keys")],
            Network::KmsData => &[("sagemaker:OutputKmsKeyArn", "data_kms_keys")],
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Network::Vpc => "vpc",
            Network::KmsVolume => "kms-volume",
            Network::KmsData => "kms-data",
        }
    }
}

/// The SageMaker actions whose requests carry the keys mlrole's VPC and KMS settings constrain,
/// with the `network:` entries a statement granting them must declare. Without this rule a
/// statement could grant `CreateTrainingJob` with no `network:` and let jobs run outside the
/// given subnets and keys whenever its activity is selected (a review found three Canvas
/// activities doing so). The families follow Role Manager's gating, without its defects:
/// `CreateTransformJob` carries no VPC keys, and an endpoint configuration only its volume key
/// (its VPC settings come from the model).
const NETWORK_GATED: &[(&str, &[Network])] = &[
    ("sagemaker:CreateAutoMLJob", &ALL_NETWORK),
    ("sagemaker:CreateAutoMLJobV2", &ALL_NETWORK),
    ("sagemaker:CreateDataQualityJobDefinition", &ALL_NETWORK),
    ("sagemaker:CreateEndpointConfig", &[Network::KmsVolume]),
    ("sagemaker:CreateHyperParameterTuningJob", &ALL_NETWORK),
    (
        "sagemaker:CreateLabelingJob",
        &[Network::KmsVolume, Network::KmsData],
    ),
    ("sagemaker:CreateModel", &[Network::Vpc]),
    ("sagemaker:CreateModelBiasJobDefinition", &ALL_NETWORK),
    (
        "sagemaker:CreateModelExplainabilityJobDefinition",
        &ALL_NETWORK,
    ),
    ("sagemaker:CreateModelQualityJobDefinition", &ALL_NETWORK),
    ("sagemaker:CreateMonitoringSchedule", &ALL_NETWORK),
    (
        "sagemaker:CreateNotebookInstance",
        &[Network::Vpc, Network::KmsVolume],
    ),
    ("sagemaker:CreateProcessingJob", &ALL_NETWORK),
    ("sagemaker:CreateTrainingJob", &ALL_NETWORK),
    (
        "sagemaker:CreateTransformJob",
        &[Network::KmsVolume, Network::KmsData],
    ),
    ("sagemaker:UpdateMonitoringSchedule", &ALL_NETWORK),
];

const ALL_NETWORK: [Network; 3] = [Network::Vpc, Network::KmsVolume, Network::KmsData];

/// Whether the IAM reference lists, for `action`, every condition key the conditions of `network`
/// read (the VPC conditions read both VPC keys).
fn carries_keys(action: &str, network: Network) -> bool {
    let Ok(reference) = crate::reference::try_get() else {
        return false;
    };
    let Some(found) = reference.action(action) else {
        return false;
    };
    network.condition_keys().iter().all(|(key, _)| {
        found
            .condition_keys
            .iter()
            .any(|k| k.eq_ignore_ascii_case(key))
            || found.resource_types.iter().any(|rt| {
                rt.condition_keys
                    .iter()
                    .any(|k| k.eq_ignore_ascii_case(key))
            })
    })
}

/// Problems with a statement's `network:` entries: a gated action without the entries it needs,
/// a wildcard covering gated actions (their families differ, so no one set of entries fits), or
/// an action beside entries its requests do not carry (the `Null` guard of the VPC conditions
/// would then deny it). Each is `(action, message, help)`.
fn network_problems(
    effect: Effect,
    actions: &[String],
    network: &[Network],
) -> Vec<(String, String, String)> {
    let mut problems = Vec::new();
    if effect != Effect::Allow {
        // The network conditions are written for Allow ("only inside these subnets"); on a Deny
        // they would deny exactly the compliant requests and let the others through.
        if !network.is_empty() {
            if let Some(action) = actions.first() {
                problems.push((
                    action.clone(),
                    "`network:` applies to Allow statements only: on a Deny its conditions would deny the requests inside the given subnets and keys, and let the others through".into(),
                    "remove `network:` from the Deny statement (write its conditions yourself, negated)".into(),
                ));
            }
        }
        return problems;
    }
    let names = |entries: &[Network]| {
        entries
            .iter()
            .map(|n| n.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    for action in actions {
        // Only a wildcard needs the glob matcher (it allocates; this runs on every action of
        // every activity `generate` loads).
        let wildcard = action.contains(['*', '?']);
        let gated: Vec<&(&str, &[Network])> = if wildcard {
            let pattern = action.to_ascii_lowercase();
            NETWORK_GATED
                .iter()
                .filter(|(name, _)| {
                    crate::reference::pattern::glob_match(&pattern, &name.to_ascii_lowercase())
                })
                .collect()
        } else {
            NETWORK_GATED
                .iter()
                .filter(|(name, _)| name.eq_ignore_ascii_case(action))
                .collect()
        };
        if !gated.is_empty() && wildcard {
            let covered: Vec<&str> = gated.iter().map(|(name, _)| *name).collect();
            problems.push((
                action.clone(),
                format!(
                    "`{action}` covers actions the role's VPC and KMS settings constrain ({})",
                    covered.join(", ")
                ),
                "name those actions, each in a statement with the `network:` entries it needs"
                    .into(),
            ));
            continue;
        }
        let missing: Vec<Network> = ALL_NETWORK
            .into_iter()
            .filter(|n| gated.iter().any(|(_, needs)| needs.contains(n)) && !network.contains(n))
            .collect();
        if !missing.is_empty() {
            problems.push((
                action.clone(),
                format!(
                    "`{action}` needs `network: [{}]` on its statement: without it the role's VPC and KMS settings would not constrain it",
                    names(&missing)
                ),
                format!(
                    "add `network: [{}]` (the conditions attach only when those settings are given)",
                    names(&ALL_NETWORK.into_iter().filter(|n| network.contains(n) || missing.contains(n)).collect::<Vec<_>>())
                ),
            ));
        }
        // An entry is fine on an action that needs it, or whose requests carry its keys
        // according to the IAM reference (CreateEndpointConfig may take `vpc` too).
        let unsupported: Vec<Network> = network
            .iter()
            .copied()
            .filter(|n| {
                !gated.iter().any(|(_, needs)| needs.contains(n)) && !carries_keys(action, *n)
            })
            .collect();
        if !unsupported.is_empty() {
            problems.push((
                action.clone(),
                format!(
                    "`{action}` carries no keys for `network: [{}]`: those conditions would deny it whenever the settings are given",
                    names(&unsupported)
                ),
                "move it to a statement without those `network:` entries".into(),
            ));
        }
    }
    problems
}

#[derive(Debug, Clone)]
pub struct Activity {
    pub id: String,
    pub title: String,
    pub description: String,
    pub role_manager: Option<RoleManagerNote>,
    pub parameters: Vec<(String, Requirement)>,
    pub statements: Vec<ActivityStatement>,
    /// The file it was loaded from (built-in path or the user's path).
    pub file: String,
}

impl Activity {
    /// The parameters the activity reads: the lists it declares, the placeholders its statements
    /// use (e.g. `domain_id`), and what their `when:` gates and `network:` conditions read (VPC
    /// settings, volume and data keys).
    pub fn parameters_read(&self) -> BTreeSet<&str> {
        let mut read: BTreeSet<&str> = self.parameters.iter().map(|(n, _)| n.as_str()).collect();
        for statement in &self.statements {
            let templates = statement.resources.iter().chain(
                statement
                    .conditions
                    .iter()
                    .flat_map(|(_, _, values)| values),
            );
            read.extend(templates.flat_map(Template::slots));
            let gate = match statement.when {
                When::Always => None,
                When::Vpc => Some(Network::Vpc),
                When::KmsVolume => Some(Network::KmsVolume),
                When::KmsData => Some(Network::KmsData),
            };
            for network in gate.iter().chain(&statement.network) {
                read.extend(
                    network
                        .condition_keys()
                        .iter()
                        .map(|(_, parameter)| *parameter),
                );
            }
        }
        read
    }

    /// Whether the activity reads both kinds of KMS keys (the jobs it starts are constrained on
    /// both): then the two are given together, as Role Manager requires.
    pub fn reads_both_key_kinds(&self) -> bool {
        let read = self.parameters_read();
        read.contains("volume_kms_keys") && read.contains("data_kms_keys")
    }
}

/// Every value a role of these activities and this persona reads: the activities'
/// [`Activity::parameters_read`] and the placeholders of the persona's trust policy. A value
/// outside it would change nothing, so it is refused, and the wizard never asks for it.
pub fn values_read<'c>(
    activities: &[&'c Activity],
    persona: Option<&'c Persona>,
) -> BTreeSet<&'c str> {
    let mut read: BTreeSet<&str> = activities
        .iter()
        .flat_map(|a| a.parameters_read())
        .collect();
    if let Some(source_arn) = persona.and_then(|p| p.trust_source_arn.as_ref()) {
        read.extend(source_arn.slots());
    }
    read
}

#[derive(Debug, Clone)]
pub struct ActivityStatement {
    pub sid: String,
    pub why: String,
    pub effect: Effect,
    pub when: When,
    pub actions: Vec<String>,
    pub resources: Vec<Template>,
    /// (operator, key, values), in file order.
    pub conditions: Vec<(String, String, Vec<Template>)>,
    pub network: Vec<Network>,
}

#[derive(Debug, Clone)]
pub struct Persona {
    pub id: String,
    pub title: String,
    pub description: String,
    pub role_name: String,
    pub trust_services: Vec<String>,
    pub trust_source_arn: Option<Template>,
    pub default_activities: Vec<String>,
    pub required_parameters: Vec<String>,
    pub max_session_duration: u32,
    pub file: String,
}

/// The validated catalog, personas and activities each sorted by id.
#[derive(Debug, Clone)]
pub struct Catalog {
    pub personas: Vec<Persona>,
    pub activities: Vec<Activity>,
    /// Every persona and activity id the catalog knows, loaded or not (see
    /// [`Catalog::load_for`]): what an unknown id is compared with for a suggestion.
    persona_ids: Vec<String>,
    activity_ids: Vec<String>,
}

/// One catalog file to load.
pub struct SourceFile {
    pub label: String,
    /// Borrowed for built-in files, so loading the catalog copies none of their text.
    pub text: Cow<'static, str>,
    /// The same document as JSON, for built-in files (made by build.rs): parsed instead of the
    /// YAML when present. Diagnostics always come from the YAML, so they keep their lines.
    pub precompiled: Option<&'static str>,
}

impl SourceFile {
    pub fn new(label: impl Into<String>, text: impl Into<Cow<'static, str>>) -> SourceFile {
        SourceFile {
            label: label.into(),
            text: text.into(),
            precompiled: None,
        }
    }

    /// A built-in file, with the JSON form build.rs stored for it.
    fn builtin(path: &'static str, text: &'static str) -> SourceFile {
        SourceFile {
            precompiled: embedded::CATALOG_JSON
                .iter()
                .find(|(json_path, _)| *json_path == path)
                .map(|(_, json)| *json),
            ..SourceFile::new(path, text)
        }
    }

    /// Deserialises the document: from its JSON form when there is one, else from the YAML.
    fn parse<T: serde::de::DeserializeOwned>(&self) -> std::result::Result<T, yaml::YamlError> {
        if let Some(json) = self.precompiled {
            if let Ok(value) = serde_json::from_str(json) {
                return Ok(value);
            }
        }
        yaml::from_str(&self.text)
    }
}

const KNOWN_OPERATORS: &[&str] = &[
    "StringEquals",
    "StringNotEquals",
    "StringEqualsIgnoreCase",
    "StringNotEqualsIgnoreCase",
    "StringLike",
    "StringNotLike",
    "NumericEquals",
    "NumericNotEquals",
    "NumericLessThan",
    "NumericLessThanEquals",
    "NumericGreaterThan",
    "NumericGreaterThanEquals",
    "DateEquals",
    "DateNotEquals",
    "DateLessThan",
    "DateLessThanEquals",
    "DateGreaterThan",
    "DateGreaterThanEquals",
    "Bool",
    "BinaryEquals",
    "IpAddress",
    "NotIpAddress",
    "ArnEquals",
    "ArnLike",
    "ArnNotEquals",
    "ArnNotLike",
    "Null",
];

impl Catalog {
    /// The built-in catalog plus, if given, the user's directory.
    pub fn load(user_dir: Option<&Path>) -> Result<Catalog> {
        let (personas, activities) = sources(user_dir)?;
        Catalog::from_sources(
            personas.into_values().collect(),
            activities.into_values().collect(),
        )
    }

    /// Whether every activity of the catalog is loaded (not so after [`Catalog::load_for`] on the
    /// built-in catalog).
    pub fn has_every_activity(&self) -> bool {
        self.activities.len() == self.activity_ids.len()
    }

    /// The catalog one role needs: its persona, the persona's default activities and
    /// `activities`. Only the built-in catalog is loaded in part, because parsing and checking
    /// all of it is most of a `generate` run and the tests check it whole; with `--catalog DIR`
    /// the whole catalog is loaded and checked as by [`Catalog::load`]. An id that is not in the
    /// catalog is left out, so looking it up fails with suggestions drawn from every id.
    pub fn load_for(
        user_dir: Option<&Path>,
        persona: Option<&str>,
        activities: &[String],
    ) -> Result<Catalog> {
        if user_dir.is_some() {
            return Catalog::load(user_dir);
        }
        let (mut persona_files, mut activity_files) = sources(None)?;
        let persona_ids: Vec<String> = persona_files.keys().cloned().collect();
        let activity_ids: Vec<String> = activity_files.keys().cloned().collect();
        let all_activities: Vec<&str> = activity_ids.iter().map(String::as_str).collect();
        let mut problems = Vec::new();
        let persona = persona
            .and_then(|id| persona_files.remove(id))
            .and_then(|file| load_persona(&file, &all_activities, &mut problems));
        let wanted: BTreeSet<&str> = persona
            .iter()
            .flat_map(|p| p.default_activities.iter())
            .chain(activities)
            .map(String::as_str)
            .collect();
        let mut loaded = Vec::new();
        for id in wanted {
            if let Some(file) = activity_files.remove(id) {
                loaded.extend(load_activity(&file, &mut problems));
            }
        }
        if !problems.is_empty() {
            return Err(Error::Catalog(problems));
        }
        Ok(Catalog {
            personas: persona.into_iter().collect(),
            activities: loaded,
            persona_ids,
            activity_ids,
        })
    }

    /// Validates the given files (used by `load` and by tests with broken catalogs).
    pub fn from_sources(
        persona_files: Vec<SourceFile>,
        activity_files: Vec<SourceFile>,
    ) -> Result<Catalog> {
        let mut problems = Vec::new();
        report_duplicate_ids(&persona_files, &mut problems);
        report_duplicate_ids(&activity_files, &mut problems);
        let mut activities = Vec::new();
        for file in &activity_files {
            if let Some(activity) = load_activity(file, &mut problems) {
                activities.push(activity);
            }
        }
        activities.sort_by(|a, b| a.id.cmp(&b.id));
        let activity_ids: Vec<&str> = activities.iter().map(|a| a.id.as_str()).collect();
        let mut personas = Vec::new();
        for file in &persona_files {
            if let Some(persona) = load_persona(file, &activity_ids, &mut problems) {
                personas.push(persona);
            }
        }
        personas.sort_by(|a, b| a.id.cmp(&b.id));
        if problems.is_empty() {
            Ok(Catalog {
                persona_ids: personas.iter().map(|p| p.id.clone()).collect(),
                activity_ids: activity_ids.iter().map(|id| id.to_string()).collect(),
                personas,
                activities,
            })
        } else {
            Err(Error::Catalog(problems))
        }
    }

    pub fn persona(&self, id: &str) -> Result<&Persona> {
        self.personas
            .iter()
            .find(|p| p.id == id)
            .ok_or_else(|| Error::Usage {
                message: format!("unknown persona `{id}`"),
                help: Some(suggest::hint(
                    id,
                    self.persona_ids.iter().map(String::as_str),
                )),
            })
    }

    pub fn activity(&self, id: &str) -> Result<&Activity> {
        self.activities
            .iter()
            .find(|a| a.id == id)
            .ok_or_else(|| Error::Usage {
                message: format!("unknown activity `{id}`"),
                help: Some(suggest::hint(
                    id,
                    self.activity_ids.iter().map(String::as_str),
                )),
            })
    }

    /// Personas that select an activity by default (for `list activities`).
    pub fn personas_defaulting_to(&self, activity: &str) -> Vec<&str> {
        self.personas
            .iter()
            .filter(|p| p.default_activities.iter().any(|a| a == activity))
            .map(|p| p.id.as_str())
            .collect()
    }
}

/// The catalog's files by kind, keyed by id (the file stem): the built-in ones, then the user's
/// directory's, which replace built-in files of the same name.
type Sources = (BTreeMap<String, SourceFile>, BTreeMap<String, SourceFile>);

fn sources(user_dir: Option<&Path>) -> Result<Sources> {
    let mut personas: BTreeMap<String, SourceFile> = BTreeMap::new();
    let mut activities: BTreeMap<String, SourceFile> = BTreeMap::new();
    for (path, text) in embedded::FILES {
        let target = if path.starts_with("personas/") {
            &mut personas
        } else if path.starts_with("activities/") {
            &mut activities
        } else {
            continue;
        };
        target.insert(file_stem(path).to_string(), SourceFile::builtin(path, text));
    }
    if let Some(dir) = user_dir {
        if !dir.is_dir() {
            return Err(Error::Usage {
                message: format!("catalog folder `{}` does not exist", dir.display()),
                help: Some(
                    "`--catalog DIR` names a folder with `personas/*.yaml` and/or `activities/*.yaml` (`mlrole catalog init DIR` starts one)"
                        .into(),
                ),
            });
        }
        let mut found_any = false;
        for (sub, target) in [("personas", &mut personas), ("activities", &mut activities)] {
            let folder = dir.join(sub);
            if !folder.is_dir() {
                continue;
            }
            found_any = true;
            for (stem, file) in read_yaml_dir(&folder)? {
                target.insert(stem, file);
            }
        }
        if !found_any {
            return Err(Error::Usage {
                message: format!(
                    "`{}` has no `personas/` or `activities/` folder",
                    dir.display()
                ),
                help: Some(
                    "a catalog directory holds `personas/*.yaml` and/or `activities/*.yaml`".into(),
                ),
            });
        }
    }
    Ok((personas, activities))
}

/// Two files claiming one id: the id must equal the file name, but say plainly what collides.
fn report_duplicate_ids(files: &[SourceFile], problems: &mut Vec<Diagnostic>) {
    #[derive(Deserialize)]
    struct IdOnly {
        id: String,
    }
    let mut seen: BTreeMap<String, &str> = BTreeMap::new();
    for file in files {
        let Ok(IdOnly { id }) = file.parse::<IdOnly>() else {
            continue;
        };
        if let Some(first) = seen.get(&id) {
            problems.push(
                Diagnostic::new(
                    file.label.clone(),
                    line_of(&file.text, &format!("id: {id}")),
                    format!("duplicate id `{id}`, also defined in {first}"),
                )
                .with_help("every persona and activity needs its own id"),
            );
        } else {
            seen.insert(id, &file.label);
        }
    }
}

fn file_stem(path: &str) -> &str {
    let name = path.rsplit('/').next().unwrap_or(path);
    name.strip_suffix(".yaml").unwrap_or(name)
}

fn read_yaml_dir(folder: &Path) -> Result<Vec<(String, SourceFile)>> {
    let io = |source| Error::Io {
        action: "cannot read catalog folder",
        path: folder.to_path_buf(),
        source,
    };
    let mut files = Vec::new();
    for entry in std::fs::read_dir(folder).map_err(io)? {
        let path = entry.map_err(io)?.path();
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        let Some(stem) = name.strip_suffix(".yaml") else {
            continue;
        };
        let bytes = crate::input::read_capped(&path, "cannot read catalog file")?;
        let label = path.display().to_string();
        let text = String::from_utf8(bytes).map_err(|_| {
            Error::Catalog(vec![Diagnostic::new(
                label.clone(),
                None,
                "the file is not valid UTF-8",
            )])
        })?;
        files.push((stem.to_string(), SourceFile::new(label, text)));
    }
    files.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(files)
}

/// The first line of `text` containing `needle` (1-based), to point a diagnostic at.
fn line_of(text: &str, needle: &str) -> Option<usize> {
    text.lines()
        .position(|line| line.contains(needle))
        .map(|i| i + 1)
}

fn is_kebab_id(id: &str) -> bool {
    !id.is_empty()
        && id.split('-').all(|part| {
            !part.is_empty()
                && part
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        })
}

fn is_action_name(action: &str) -> bool {
    let Some((service, name)) = action.split_once(':') else {
        return false;
    };
    !service.is_empty()
        && service
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '*' || c == '?')
}

fn is_known_operator(operator: &str) -> bool {
    let base = operator
        .strip_prefix("ForAllValues:")
        .or_else(|| operator.strip_prefix("ForAnyValue:"))
        .unwrap_or(operator);
    let base = base.strip_suffix("IfExists").unwrap_or(base);
    KNOWN_OPERATORS.contains(&base)
}

struct FileCheck<'a> {
    file: &'a SourceFile,
    problems: &'a mut Vec<Diagnostic>,
}

impl FileCheck<'_> {
    fn report(&mut self, needle: &str, message: impl Into<String>, help: Option<String>) {
        let mut diagnostic = Diagnostic::new(
            self.file.label.clone(),
            line_of(&self.file.text, needle),
            message,
        );
        diagnostic.help = help;
        self.problems.push(diagnostic);
    }

    fn parse<T: serde::de::DeserializeOwned>(&mut self) -> Option<T> {
        match self.file.parse::<T>() {
            Ok(value) => Some(value),
            Err(error) => {
                let help = if error.message.contains("unknown field") {
                    Some("remove the key, or check its spelling against the catalog schema in README.md".into())
                } else {
                    error.help.map(String::from)
                };
                let mut diagnostic =
                    Diagnostic::new(self.file.label.clone(), error.line, error.message);
                diagnostic.help = help;
                self.problems.push(diagnostic);
                None
            }
        }
    }

    fn check_id(&mut self, id: &str) {
        if !is_kebab_id(id) {
            self.report(
                &format!("id: {id}"),
                format!("id `{id}` is not kebab-case"),
                Some("use lower-case words joined by `-`, e.g. `manage-ml-jobs`".into()),
            );
        }
        let stem = file_stem(&self.file.label);
        if id != stem {
            self.report(
                &format!("id: {id}"),
                format!("id `{id}` differs from the file name `{stem}.yaml`"),
                Some(format!(
                    "rename the file to `{id}.yaml` or set `id: {stem}`"
                )),
            );
        }
    }

    /// Parses a placeholder string and checks its slots against the parameter table and `declared`.
    fn template(
        &mut self,
        text: &str,
        declared: Option<&BTreeSet<String>>,
        used: &mut BTreeSet<String>,
    ) -> Option<Template> {
        // Resources and condition values end up inside policy JSON: anything that could close a
        // JSON string is refused here, with the file and line, not escaped into a policy.
        let injection = text
            .chars()
            .find(|c| *c == '"' || *c == '\\' || c.is_control());
        if let Some(bad) = injection {
            self.report(
                text,
                format!(
                    "`{}` contains {bad:?}, which no ARN or condition value mlrole writes may have",
                    text.escape_debug()
                ),
                Some("remove quotes, backslashes and control characters".into()),
            );
        }
        let template = match Template::parse(text) {
            Ok(template) => template,
            Err(message) => {
                self.report(text, message, None);
                return None;
            }
        };
        // Keep checking the slots (so used parameters count as used), but refuse the template.
        let mut ok = injection.is_none();
        for slot in template.slots() {
            match params::find(slot) {
                None => {
                    ok = false;
                    self.report(
                        &format!("${{{slot}}}"),
                        format!("unknown placeholder `${{{slot}}}`"),
                        Some(suggest::hint(slot, params::names())),
                    );
                }
                Some(info) if info.list => {
                    match declared {
                        None => {
                            ok = false;
                            self.report(&format!("${{{slot}}}"), format!("list placeholder `${{{slot}}}` cannot be used here"), Some("only single-valued placeholders such as `${account}` are allowed here".into()));
                        }
                        Some(declared) if !declared.contains(slot) => {
                            ok = false;
                            self.report(&format!("${{{slot}}}"), format!("placeholder `${{{slot}}}` is not declared in `parameters`"), Some(format!("add `{slot}: required` or `{slot}: optional` under `parameters:`")));
                        }
                        Some(_) => {
                            used.insert(slot.to_string());
                        }
                    }
                }
                Some(_) => {}
            }
        }
        ok.then_some(template)
    }
}

fn load_activity(file: &SourceFile, problems: &mut Vec<Diagnostic>) -> Option<Activity> {
    let mut check = FileCheck { file, problems };
    let raw: RawActivity = check.parse()?;
    let before = check.problems.len();
    check.check_id(&raw.id);
    for (field, value) in [("title", &raw.title), ("description", &raw.description)] {
        if value.trim().is_empty() {
            check.report(&format!("{field}:"), format!("`{field}` is empty"), None);
        }
    }
    let mut declared = BTreeSet::new();
    for name in raw.parameters.keys() {
        match params::find(name) {
            Some(info) if info.list => {
                declared.insert(name.clone());
            }
            Some(_) => check.report(
                &format!("{name}:"),
                format!("`{name}` is always available and is not declared in `parameters`"),
                Some("remove it from `parameters:`".into()),
            ),
            None => check.report(
                &format!("{name}:"),
                format!("unknown parameter `{name}`"),
                Some(suggest::hint(
                    name,
                    params::PARAMETERS.iter().filter(|p| p.list).map(|p| p.name),
                )),
            ),
        }
    }
    if raw.statements.is_empty() {
        check.report(
            "statements:",
            "an activity needs at least one statement",
            None,
        );
    }
    let mut used = BTreeSet::new();
    let mut sids = BTreeSet::new();
    let mut statements = Vec::new();
    for raw_statement in raw.statements {
        let sid = raw_statement.sid;
        let sid_needle = format!("sid: {sid}");
        if sid.is_empty() || !sid.chars().all(|c| c.is_ascii_alphanumeric()) {
            check.report(
                &sid_needle,
                format!("sid `{sid}` may only have ASCII letters and digits"),
                Some("IAM accepts only `A-Z`, `a-z` and `0-9` in a Sid".into()),
            );
        } else if !sids.insert(sid.clone()) {
            check.report(
                &sid_needle,
                format!("duplicate sid `{sid}`"),
                Some("every statement of an activity needs its own sid".into()),
            );
        }
        if raw_statement.why.trim().is_empty() {
            check.report(
                &sid_needle,
                format!("statement `{sid}` has an empty `why`"),
                None,
            );
        }
        if raw_statement.actions.is_empty() {
            check.report(
                &sid_needle,
                format!("statement `{sid}` has no actions"),
                None,
            );
        }
        let mut seen_actions = BTreeSet::new();
        for action in &raw_statement.actions {
            if !is_action_name(action) {
                check.report(
                    action,
                    format!("`{action}` is not an action name"),
                    Some("write `service:ActionName`, e.g. `sagemaker:CreateTrainingJob`".into()),
                );
            } else if !seen_actions.insert(action.to_ascii_lowercase()) {
                check.report(
                    action,
                    format!("action `{action}` is listed twice in statement `{sid}`"),
                    None,
                );
            }
        }
        for (action, message, help) in network_problems(
            raw_statement.effect,
            &raw_statement.actions,
            &raw_statement.network,
        ) {
            check.report(&action, message, Some(help));
        }
        if raw_statement.resources.is_empty() {
            check.report(
                &sid_needle,
                format!("statement `{sid}` has no resources"),
                Some("use `\"*\"` only for actions without resource-level permissions".into()),
            );
        }
        let resources: Vec<Template> = raw_statement
            .resources
            .iter()
            .filter_map(|r| check.template(r, Some(&declared), &mut used))
            .collect();
        let mut conditions = Vec::new();
        for (operator, keys) in raw_statement.conditions {
            if !is_known_operator(&operator) {
                check.report(
                    &operator,
                    format!("unknown condition operator `{operator}`"),
                    Some(suggest::hint(&operator, KNOWN_OPERATORS.iter().copied())),
                );
            }
            for (key, values) in keys {
                let values = match values {
                    RawConditionValues::One(one) => vec![one.into_text()],
                    RawConditionValues::Many(many) => {
                        many.into_iter().map(RawScalar::into_text).collect()
                    }
                };
                let templates: Vec<Template> = values
                    .iter()
                    .filter_map(|v| check.template(v, Some(&declared), &mut used))
                    .collect();
                conditions.push((operator.clone(), key, templates));
            }
        }
        statements.push(ActivityStatement {
            sid,
            why: raw_statement.why,
            effect: raw_statement.effect,
            when: raw_statement.when,
            actions: raw_statement.actions,
            resources,
            conditions,
            network: raw_statement.network,
        });
    }
    for name in declared.difference(&used) {
        check.report(
            &format!("{name}:"),
            format!("parameter `{name}` is declared but no statement uses it"),
            Some("remove it from `parameters:` or use `${…}` in a statement".into()),
        );
    }
    if check.problems.len() > before {
        return None;
    }
    let parameters = raw.parameters.into_iter().collect();
    Some(Activity {
        id: raw.id,
        title: raw.title,
        description: raw.description,
        role_manager: raw.role_manager,
        parameters,
        statements,
        file: file.label.clone(),
    })
}

fn load_persona(
    file: &SourceFile,
    activity_ids: &[&str],
    problems: &mut Vec<Diagnostic>,
) -> Option<Persona> {
    let mut check = FileCheck { file, problems };
    let raw: RawPersona = check.parse()?;
    let before = check.problems.len();
    check.check_id(&raw.id);
    if let Err(error) = validate::role_name(&raw.role_name, "role_name") {
        check.report("role_name:", error.to_string(), None);
    }
    if raw.trust.services.is_empty() {
        check.report(
            "services:",
            "`trust.services` needs at least one service",
            Some("e.g. `services: [sagemaker]`".into()),
        );
    }
    for service in &raw.trust.services {
        if service.is_empty()
            || !service
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
            || service.ends_with(".com")
        {
            check.report(
                service,
                format!("`{service}` is not a service name"),
                Some(
                    "give the service name only, e.g. `sagemaker`; mlrole adds `.amazonaws.com`"
                        .into(),
                ),
            );
        }
    }
    let source_arn = raw
        .trust
        .source_arn
        .as_deref()
        .and_then(|text| check.template(text, None, &mut BTreeSet::new()));
    let mut seen = BTreeSet::new();
    for activity in &raw.default_activities {
        if !activity_ids.contains(&activity.as_str()) {
            check.report(
                &format!("- {activity}"),
                format!("unknown activity `{activity}`"),
                Some(suggest::hint(activity, activity_ids.iter().copied())),
            );
        } else if !seen.insert(activity) {
            check.report(
                &format!("- {activity}"),
                format!("activity `{activity}` is listed twice"),
                None,
            );
        }
    }
    for parameter in &raw.required_parameters {
        if !params::find(parameter).is_some_and(|p| p.list) {
            check.report(
                parameter,
                format!("unknown parameter `{parameter}`"),
                Some(suggest::hint(
                    parameter,
                    params::PARAMETERS.iter().filter(|p| p.list).map(|p| p.name),
                )),
            );
        }
    }
    let max_session_duration = raw.max_session_duration.unwrap_or(3600);
    if let Err(error) = validate::max_session_duration(max_session_duration, "max_session_duration")
    {
        check.report("max_session_duration:", error.to_string(), None);
    }
    if check.problems.len() > before {
        return None;
    }
    Some(Persona {
        id: raw.id,
        title: raw.title,
        description: raw.description,
        role_name: raw.role_name,
        trust_services: raw.trust.services,
        trust_source_arn: source_arn,
        default_activities: raw.default_activities,
        required_parameters: raw.required_parameters,
        max_session_duration,
        file: file.label.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn builtin_sources(with_json: bool) -> (Vec<SourceFile>, Vec<SourceFile>) {
        let mut personas = Vec::new();
        let mut activities = Vec::new();
        for (path, text) in embedded::FILES {
            let file = if with_json {
                SourceFile::builtin(path, text)
            } else {
                SourceFile::new(*path, *text)
            };
            if path.starts_with("personas/") {
                personas.push(file);
            } else if path.starts_with("activities/") {
                activities.push(file);
            }
        }
        (personas, activities)
    }

    /// The JSON that build.rs stores must load into exactly what the YAML loads into.
    #[test]
    fn precompiled_catalog_equals_the_yaml() {
        let (personas, activities) = builtin_sources(true);
        assert_eq!(
            embedded::CATALOG_JSON.len(),
            personas.len() + activities.len(),
            "every built-in catalog file has its JSON form"
        );
        let from_json = Catalog::from_sources(personas, activities).expect("built-in loads");
        let (personas, activities) = builtin_sources(false);
        let from_yaml = Catalog::from_sources(personas, activities).expect("built-in loads");
        assert_eq!(format!("{from_json:?}"), format!("{from_yaml:?}"));
    }

    /// A role's part of the built-in catalog is exactly what the whole catalog holds for it.
    #[test]
    fn partial_load_matches_the_whole_catalog() {
        let whole = Catalog::load(None).expect("built-in loads");
        for persona in &whole.personas {
            let part = Catalog::load_for(None, Some(&persona.id), &[]).expect("loads");
            assert_eq!(format!("{:?}", part.personas), format!("{:?}", [persona]));
            let expected: Vec<&Activity> = whole
                .activities
                .iter()
                .filter(|a| persona.default_activities.contains(&a.id))
                .collect();
            assert_eq!(format!("{:?}", part.activities), format!("{expected:?}"));
        }
        let named = vec![
            "s3-bucket-access".to_string(),
            "no-such-activity".to_string(),
        ];
        let part = Catalog::load_for(None, None, &named).expect("loads");
        assert!(part.personas.is_empty());
        assert_eq!(part.activities.len(), 1);
        assert_eq!(
            format!("{:?}", part.activities[0]),
            format!("{:?}", whole.activity("s3-bucket-access").expect("exists"))
        );
        // Unknown ids are suggested from the whole catalog, not from what was loaded.
        let Err(Error::Usage { help, .. }) = part.activity("manage-ml-job") else {
            panic!("an unknown activity is a usage error");
        };
        assert_eq!(help.as_deref(), Some("did you mean `manage-ml-jobs`?"));
        let Err(Error::Usage { help, .. }) = part.persona("data-scientst") else {
            panic!("an unknown persona is a usage error");
        };
        assert_eq!(help.as_deref(), Some("did you mean `data-scientist`?"));
    }

    /// A JSON form that does not fit the types falls back to the YAML, whose diagnostics
    /// carry lines.
    #[test]
    fn unusable_json_falls_back_to_the_yaml() {
        let mut file = SourceFile::new("activities/x.yaml", "id: x\nbogus: 1\n");
        file.precompiled = Some("{\"id\": 5}");
        let Err(error) = file.parse::<RawActivity>() else {
            panic!("an unknown key must fail");
        };
        assert_eq!(error.line, Some(2), "{error:?}");
    }
}
