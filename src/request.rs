//! What the user asked for. Flags, a `--spec` file and the wizard all produce a [`RoleSpec`]
//! (raw, unvalidated); [`RoleSpec::resolve`] turns it into a [`RoleRequest`] whose every value has
//! been validated, so nothing downstream knows or cares which door the request came in by.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::catalog::{self, Catalog, Requirement};
use crate::error::{Diagnostic, Error, Result};
use crate::params;
use crate::validate::{self, EcrRepo, Partition};
use crate::yaml;

/// The role as the user described it. Field names match the flags (`buckets` ↔ `--bucket`).
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RoleSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub persona: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub activities: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub without_activities: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub no_default_activities: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_session_duration: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_policies: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partition: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub buckets: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub read_buckets: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ecr_repos: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pass_roles: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_profile: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub athena_workgroups: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub glue_databases: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub vpc_subnets: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub vpc_security_groups: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub volume_kms_keys: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub data_kms_keys: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub kendra_indexes: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub emr_serverless_roles: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bedrock_roles: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub forecast_roles: Vec<String>,
    /// Principals (role ARNs, account root ARNs, account ids) that may assume the role too.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub trust_principals: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub require_mfa: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
}

/// Names a field the way the user wrote it: a flag, or a key in their spec file.
#[derive(Debug, Clone, Default)]
pub struct FieldLabels {
    spec_file: Option<String>,
    from_spec: BTreeSet<&'static str>,
}

impl FieldLabels {
    fn label(&self, field: &'static str, flag: &str) -> String {
        match &self.spec_file {
            Some(file) if self.from_spec.contains(field) => format!("`{field}` in {file}"),
            _ => format!("`{flag}`"),
        }
    }
}

impl RoleSpec {
    /// Reads a YAML or JSON spec file.
    pub fn from_file(path: &Path) -> Result<RoleSpec> {
        let bytes = crate::input::read_capped(path, "cannot read spec file")?;
        let label = path.display().to_string();
        let text = String::from_utf8(bytes).map_err(|_| {
            Error::Spec(Diagnostic::new(
                label.clone(),
                None,
                "the file is not valid UTF-8",
            ))
        })?;
        yaml::from_str(&text).map_err(|error| {
            let mut diagnostic = Diagnostic::new(label, error.line, error.message.clone());
            diagnostic.help = error.help.map(String::from);
            if error.message.contains("unknown field") {
                diagnostic.help = Some("spec keys are the flag names in snake_case plural for lists, e.g. `buckets`, `pass_roles`".into());
            }
            Error::Spec(diagnostic)
        })
    }

    /// `self` (flags) over `spec` (file): a flag that was given replaces the file's value.
    pub fn over(self, spec: RoleSpec, spec_file: &Path) -> (RoleSpec, FieldLabels) {
        let mut labels = FieldLabels {
            spec_file: Some(spec_file.display().to_string()),
            from_spec: BTreeSet::new(),
        };
        macro_rules! pick {
            ($field:ident, option) => {{
                if self.$field.is_none() && spec.$field.is_some() {
                    labels.from_spec.insert(stringify!($field));
                }
                self.$field.or(spec.$field)
            }};
            ($field:ident, list) => {{
                if self.$field.is_empty() && !spec.$field.is_empty() {
                    labels.from_spec.insert(stringify!($field));
                    spec.$field
                } else {
                    self.$field
                }
            }};
        }
        let mut tags = spec.tags.clone();
        if !spec.tags.is_empty() {
            labels.from_spec.insert("tags");
        }
        tags.extend(self.tags.clone());
        let merged = RoleSpec {
            persona: pick!(persona, option),
            activities: pick!(activities, list),
            without_activities: pick!(without_activities, list),
            no_default_activities: pick!(no_default_activities, option),
            role_name: pick!(role_name, option),
            path: pick!(path, option),
            description: pick!(description, option),
            tags,
            max_session_duration: pick!(max_session_duration, option),
            max_policies: pick!(max_policies, option),
            account: pick!(account, option),
            region: pick!(region, option),
            partition: pick!(partition, option),
            buckets: pick!(buckets, list),
            read_buckets: pick!(read_buckets, list),
            ecr_repos: pick!(ecr_repos, list),
            pass_roles: pick!(pass_roles, list),
            domain_id: pick!(domain_id, option),
            user_profile: pick!(user_profile, option),
            athena_workgroups: pick!(athena_workgroups, list),
            glue_databases: pick!(glue_databases, list),
            vpc_subnets: pick!(vpc_subnets, list),
            vpc_security_groups: pick!(vpc_security_groups, list),
            volume_kms_keys: pick!(volume_kms_keys, list),
            data_kms_keys: pick!(data_kms_keys, list),
            kendra_indexes: pick!(kendra_indexes, list),
            emr_serverless_roles: pick!(emr_serverless_roles, list),
            bedrock_roles: pick!(bedrock_roles, list),
            forecast_roles: pick!(forecast_roles, list),
            trust_principals: pick!(trust_principals, list),
            require_mfa: pick!(require_mfa, option),
            external_id: pick!(external_id, option),
        };
        (merged, labels)
    }

    /// Validates every value and resolves the activity list against the catalog.
    pub fn resolve(&self, catalog: &Catalog, labels: &FieldLabels) -> Result<RoleRequest> {
        let l = |field: &'static str, flag: &str| labels.label(field, flag);
        let persona = match &self.persona {
            Some(id) => Some(catalog.persona(id)?),
            None => None,
        };
        let mut activities: BTreeSet<String> = BTreeSet::new();
        if let Some(persona) = persona {
            if !self.no_default_activities.unwrap_or(false) {
                activities.extend(persona.default_activities.iter().cloned());
            }
        }
        for id in &self.activities {
            activities.insert(catalog.activity(id)?.id.clone());
        }
        for id in &self.without_activities {
            activities.remove(&catalog.activity(id)?.id);
        }
        if activities.is_empty() {
            return Err(Error::Usage {
                message: "no ML activity is selected".into(),
                help: Some(if persona.is_some() {
                    "add `--activity ID` (see `mlrole list activities`), or drop `--no-default-activities`".into()
                } else {
                    "pass `--persona ID` or at least one `--activity ID` (see `mlrole list personas` and `mlrole list activities`)".into()
                }),
            });
        }

        let partition = match &self.partition {
            Some(p) => Partition::parse(p, &l("partition", "--partition"))?,
            None => self
                .region
                .as_deref()
                .map(Partition::of_region)
                .unwrap_or(Partition::Aws),
        };
        let account = self
            .account
            .as_deref()
            .map(|a| validate::account_id(a, &l("account", "--account")))
            .transpose()?;
        let region = self
            .region
            .as_deref()
            .map(|r| validate::region(r, &l("region", "--region")))
            .transpose()?;
        if let Some(region) = &region {
            if Partition::of_region(region) != partition {
                return Err(Error::invalid_with_help(
                    l("region", "--region"),
                    region,
                    format!("the region is not in partition `{partition}`"),
                    format!(
                        "pass `--partition {}` or a region of `{partition}`",
                        Partition::of_region(region)
                    ),
                ));
            }
        }

        let role_name = match &self.role_name {
            Some(name) => validate::role_name(name, &l("role_name", "--role-name"))?,
            None => persona
                .map(|p| p.role_name.clone())
                .unwrap_or_else(|| "SageMaker-Custom".into()),
        };
        let path = validate::role_path(
            self.path.as_deref().unwrap_or("/service-role/"),
            &l("path", "--path"),
        )?;
        let description = self
            .description
            .as_deref()
            .map(|d| validate::description(d, &l("description", "--description")))
            .transpose()?;
        let mut tags = BTreeMap::new();
        for (key, value) in &self.tags {
            let (key, value) = validate::tag(key, value, &l("tags", "--tag"))?;
            tags.insert(key, value);
        }
        // IAM compares a role's tag keys without regard to case: `Team` and `team` are one key,
        // and which value won would depend on the order the two came in.
        let mut lowered: BTreeMap<String, &str> = BTreeMap::new();
        for key in tags.keys() {
            if let Some(first) = lowered.insert(key.to_lowercase(), key) {
                return Err(Error::invalid_with_help(
                    l("tags", "--tag"),
                    format!("{first}, {key}"),
                    "IAM treats a role's tag keys without regard to case, so these are one key",
                    "keep one of them",
                ));
            }
        }
        if tags.len() > 50 {
            return Err(Error::invalid(
                l("tags", "--tag"),
                format!("{} tags", tags.len()),
                "IAM allows at most 50 tags on a role",
            ));
        }
        let max_session_duration = validate::max_session_duration(
            self.max_session_duration
                .or(persona.map(|p| p.max_session_duration))
                .unwrap_or(3600),
            &l("max_session_duration", "--max-session-duration"),
        )?;
        let max_policies = self.max_policies.unwrap_or(10);
        if !(1..=20).contains(&max_policies) {
            return Err(Error::invalid_with_help(
                l("max_policies", "--max-policies"),
                max_policies.to_string(),
                "IAM attaches 10 managed policies to a role by default, 20 at most after a quota increase",
                "use a number from 1 to 20",
            ));
        }

        let mut lists: BTreeMap<&'static str, Vec<String>> = BTreeMap::new();
        let mut put = |name: &'static str, values: Vec<String>| {
            let unique: BTreeSet<String> = values.into_iter().collect();
            lists.insert(name, unique.into_iter().collect());
        };
        let each = |values: &[String], f: &dyn Fn(&str) -> Result<String>| {
            values.iter().map(|v| f(v)).collect::<Result<Vec<_>>>()
        };
        let buckets = each(&self.buckets, &|v| {
            validate::bucket_name(v, &l("buckets", "--bucket"))
        })?;
        let read_buckets = each(&self.read_buckets, &|v| {
            validate::bucket_name(v, &l("read_buckets", "--read-bucket"))
        })?;
        if let Some(both) = buckets.iter().find(|b| read_buckets.contains(b)) {
            return Err(Error::Usage {
                message: format!("bucket `{both}` is given both as `--bucket` (read and write) and `--read-bucket` (read only)"),
                help: Some("keep only one of the two".into()),
            });
        }
        put(
            "all_buckets",
            buckets.iter().chain(&read_buckets).cloned().collect(),
        );
        put("buckets", buckets);
        put("read_buckets", read_buckets);
        // Names stay names here; the composer places them in the role's account and region.
        put(
            "ecr_repos",
            each(&self.ecr_repos, &|v| {
                Ok(
                    match validate::ecr_repository(v, &l("ecr_repos", "--ecr-repo"), partition)? {
                        EcrRepo::Arn(arn) | EcrRepo::Name(arn) => arn,
                    },
                )
            })?,
        );
        put(
            "pass_roles",
            each(&self.pass_roles, &|v| {
                validate::role_arn(
                    v,
                    &l("pass_roles", "--pass-role"),
                    partition,
                    account.as_deref(),
                )
            })?,
        );
        put(
            "athena_workgroups",
            each(&self.athena_workgroups, &|v| {
                validate::athena_workgroup(v, &l("athena_workgroups", "--athena-workgroup"))
            })?,
        );
        put(
            "glue_databases",
            each(&self.glue_databases, &|v| {
                validate::glue_database(v, &l("glue_databases", "--glue-database"))
            })?,
        );
        put(
            "vpc_subnets",
            each(&self.vpc_subnets, &|v| {
                validate::subnet_id(v, &l("vpc_subnets", "--vpc-subnet"))
            })?,
        );
        put(
            "vpc_security_groups",
            each(&self.vpc_security_groups, &|v| {
                validate::security_group_id(v, &l("vpc_security_groups", "--vpc-security-group"))
            })?,
        );
        put(
            "volume_kms_keys",
            each(&self.volume_kms_keys, &|v| {
                validate::kms_key_arn(
                    v,
                    &l("volume_kms_keys", "--volume-kms-key"),
                    partition,
                    region.as_deref(),
                )
            })?,
        );
        put(
            "data_kms_keys",
            each(&self.data_kms_keys, &|v| {
                validate::kms_key_arn(
                    v,
                    &l("data_kms_keys", "--data-kms-key"),
                    partition,
                    region.as_deref(),
                )
            })?,
        );
        put(
            "kendra_indexes",
            each(&self.kendra_indexes, &|v| {
                validate::kendra_index_id(v, &l("kendra_indexes", "--kendra-index"))
            })?,
        );
        for (name, values, flag) in [
            (
                "emr_serverless_roles",
                &self.emr_serverless_roles,
                "--emr-serverless-role",
            ),
            ("bedrock_roles", &self.bedrock_roles, "--bedrock-role"),
            ("forecast_roles", &self.forecast_roles, "--forecast-role"),
        ] {
            put(
                name,
                each(values, &|v| {
                    validate::role_arn(v, &l(name, flag), partition, account.as_deref())
                })?,
            );
        }
        let domain_id = self
            .domain_id
            .as_deref()
            .map(|d| validate::domain_id(d, &l("domain_id", "--domain-id")))
            .transpose()?;
        let user_profile = self
            .user_profile
            .as_deref()
            .map(|u| validate::user_profile(u, &l("user_profile", "--user-profile")))
            .transpose()?;

        let trust = crate::trust::resolve(self, partition, &l)?;

        let request = RoleRequest {
            persona: persona.map(|p| p.id.clone()),
            activities: activities.into_iter().collect(),
            role_name,
            path,
            description,
            tags,
            max_session_duration,
            max_policies,
            account,
            region,
            partition,
            partition_explicit: self.partition.is_some() || self.region.is_some(),
            lists,
            domain_id,
            user_profile,
            trust_principals: trust.principals,
            require_mfa: trust.require_mfa,
            external_id: trust.external_id,
        };
        request.check_parameters(catalog, labels)?;
        Ok(request)
    }
}

/// A validated request: every value checked, activities resolved and sorted.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RoleRequest {
    pub persona: Option<String>,
    pub activities: Vec<String>,
    pub role_name: String,
    pub path: String,
    pub description: Option<String>,
    pub tags: BTreeMap<String, String>,
    pub max_session_duration: u32,
    pub max_policies: usize,
    pub account: Option<String>,
    pub region: Option<String>,
    pub partition: Partition,
    /// Whether `--partition` or `--region` fixed the partition (else infrastructure-as-code
    /// outputs take it from the deployment).
    pub partition_explicit: bool,
    /// List parameters by placeholder name (sorted, unique values).
    pub lists: BTreeMap<&'static str, Vec<String>>,
    pub domain_id: Option<String>,
    pub user_profile: Option<String>,
    /// Principals besides the persona's service that may assume the role (ARNs, sorted, unique).
    pub trust_principals: Vec<String>,
    /// Those principals must have signed in with MFA.
    pub require_mfa: bool,
    /// Those principals must present this `sts:ExternalId`.
    pub external_id: Option<String>,
}

impl RoleRequest {
    pub fn list(&self, name: &str) -> &[String] {
        self.lists.get(name).map(Vec::as_slice).unwrap_or(&[])
    }

    pub fn vpc_enabled(&self) -> bool {
        !self.list("vpc_subnets").is_empty()
    }

    /// Required parameters present, paired settings complete, and no value given that nothing uses.
    fn check_parameters(&self, catalog: &Catalog, labels: &FieldLabels) -> Result<()> {
        let flag_of = |name: &str| params::find(name).map(|p| p.flag).unwrap_or("?");
        let activities = self
            .activities
            .iter()
            .map(|id| catalog.activity(id))
            .collect::<Result<Vec<_>>>()?;
        let persona = match &self.persona {
            Some(id) => Some(catalog.persona(id)?),
            None => None,
        };
        let used = catalog::values_read(&activities, persona);
        for activity in &activities {
            let id = &activity.id;
            for (name, requirement) in &activity.parameters {
                if *requirement == Requirement::Required && self.list(name).is_empty() {
                    return Err(Error::Missing {
                        what: needs(name),
                        needed_by: format!("activity `{id}`"),
                        help: format!(
                            "add {}, or drop the activity with `--without-activity {id}`",
                            flag_hint(name)
                        ),
                    });
                }
            }
        }
        if let Some(persona) = persona {
            // Required while some selected activity reads it: without one, the value would only
            // be refused as unread.
            for name in &persona.required_parameters {
                if self.list(name).is_empty() && used.contains(name.as_str()) {
                    return Err(Error::Missing {
                        what: needs(name),
                        needed_by: format!("persona `{}`", persona.id),
                        help: format!("add {}", flag_hint(name)),
                    });
                }
            }
        }
        // A value nothing reads would leave the user believing the role enforces it. Checked
        // before the pairs, so that half a pair nothing reads is refused rather than completed.
        let given = self
            .lists
            .iter()
            .filter(|(_, values)| !values.is_empty())
            .map(|(name, _)| *name)
            .chain(self.domain_id.is_some().then_some("domain_id"))
            .chain(self.user_profile.is_some().then_some("user_profile"));
        for name in given {
            let derived = name == "buckets" || name == "read_buckets";
            if name == "all_buckets"
                || used.contains(name)
                || (derived && used.contains("all_buckets"))
            {
                continue;
            }
            return Err(unread_value(name, derived, catalog, labels)?);
        }
        let pair = |a: &'static str, b: &'static str, what: &str| -> Result<()> {
            if self.list(a).is_empty() != self.list(b).is_empty() {
                let (given, missing) = if self.list(a).is_empty() {
                    (b, a)
                } else {
                    (a, b)
                };
                // The missing half is named where the given one was written: a spec key for a
                // spec (a flag would apply to every spec of a `--spec-dir`).
                let (what_is_missing, help) = match &labels.spec_file {
                    Some(file) if labels.from_spec.contains(field_name(given)) => (
                        format!("`{}`", field_name(missing)),
                        format!("add `{}` to {file} as well", field_name(missing)),
                    ),
                    _ => (
                        format!("`{}`", flag_of(missing)),
                        format!("add `{} VALUE` as well", flag_of(missing)),
                    ),
                };
                return Err(Error::Missing {
                    what: what_is_missing,
                    needed_by: format!(
                        "{} ({what} settings come together)",
                        labels.label(field_name(given), flag_of(given))
                    ),
                    help,
                });
            }
            Ok(())
        };
        pair("vpc_subnets", "vpc_security_groups", "VPC")?;
        // An activity that constrains both keys of what it creates (the jobs it starts) needs
        // both, as Role Manager requires; where separate activities read them (Studio volumes,
        // data in S3), either kind means something alone.
        if activities.iter().any(|a| a.reads_both_key_kinds()) {
            pair("volume_kms_keys", "data_kms_keys", "KMS")?;
        }
        Ok(())
    }
}

/// The error for a value no selected activity reads, naming the activities that would.
fn unread_value(
    name: &str,
    derived: bool,
    catalog: &Catalog,
    labels: &FieldLabels,
) -> Result<Error> {
    // Only the error path pays for the rest of a partly loaded built-in catalog.
    let whole;
    let every = if catalog.has_every_activity() {
        catalog
    } else {
        whole = Catalog::load(None)?;
        &whole
    };
    let readers: Vec<String> = every
        .activities
        .iter()
        .filter(|a| {
            let read = a.parameters_read();
            read.contains(name) || (derived && read.contains("all_buckets"))
        })
        .map(|a| format!("`{}`", a.id))
        .collect();
    // No `--activity` or `activities:` in the hint: flags replace a spec's activity list, so the
    // right place depends on how the role is given, which the user knows better.
    let help = if readers.is_empty() {
        "drop the value: no activity of the catalog uses it".to_string()
    } else {
        format!(
            "drop the value, or add an activity that uses it: {}",
            readers.join(", ")
        )
    };
    let flag = params::find(name).map_or("?", |p| p.flag);
    Ok(Error::Usage {
        message: format!(
            "{} was given but no selected activity uses it",
            labels.label(field_name(name), flag)
        ),
        help: Some(help),
    })
}

/// "at least one of the IAM roles the role may pass to SageMaker (`--pass-role`)".
fn needs(name: &str) -> String {
    match params::find(name) {
        Some(info) => format!("at least one of the {} (`{}`)", info.describe, info.flag),
        None => format!("a value for `{name}`"),
    }
}

/// "`--pass-role ROLE_ARN`", or "`--bucket NAME` or `--read-bucket NAME`".
fn flag_hint(name: &str) -> String {
    match params::find(name) {
        Some(info) => info
            .flag
            .split(" or ")
            .map(|flag| format!("`{flag} {}`", info.value))
            .collect::<Vec<_>>()
            .join(" or "),
        None => format!("`{name}`"),
    }
}

/// The spec-file field name of a list placeholder (they are the same words).
fn field_name(placeholder: &str) -> &'static str {
    params::find(placeholder).map(|p| p.name).unwrap_or("")
}
