//! Typed view of one service's entry in the embedded IAM reference.

use std::sync::OnceLock;

use serde::Deserialize;

use super::layout::{cmp_ignore_case, ActionRows};
use super::pattern::key_pattern_matches;

/// IAM access level of an action, as the IAM console classifies it.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub enum AccessLevel {
    List,
    Read,
    Write,
    #[serde(rename = "Permissions management")]
    PermissionsManagement,
    Tagging,
}

impl AccessLevel {
    /// All levels in display order.
    pub const ALL: [AccessLevel; 5] = [
        AccessLevel::List,
        AccessLevel::Read,
        AccessLevel::Write,
        AccessLevel::PermissionsManagement,
        AccessLevel::Tagging,
    ];

    /// Name as written in the AWS Service Authorization Reference.
    pub fn as_str(self) -> &'static str {
        match self {
            AccessLevel::List => "List",
            AccessLevel::Read => "Read",
            AccessLevel::Write => "Write",
            AccessLevel::PermissionsManagement => "Permissions management",
            AccessLevel::Tagging => "Tagging",
        }
    }

    fn from_code(code: &str) -> AccessLevel {
        match code {
            "L" => AccessLevel::List,
            "R" => AccessLevel::Read,
            "P" => AccessLevel::PermissionsManagement,
            "T" => AccessLevel::Tagging,
            _ => AccessLevel::Write,
        }
    }
}

impl std::fmt::Display for AccessLevel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Value type of a condition key; `ArrayOf*` types are multivalued (sets).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ConditionKeyType {
    String,
    Arn,
    Bool,
    Numeric,
    Date,
    IpAddress,
    Binary,
    /// A set of values of the inner type (`ArrayOfString`, ...).
    ArrayOf(Box<ConditionKeyType>),
    /// A type name this version does not know; treated leniently.
    Other(String),
}

impl ConditionKeyType {
    /// Parses the type names used by the AWS Service Authorization Reference.
    pub fn parse(name: &str) -> ConditionKeyType {
        if let Some(inner) = name.strip_prefix("ArrayOf") {
            return ConditionKeyType::ArrayOf(Box::new(ConditionKeyType::parse(inner)));
        }
        match name {
            "String" => ConditionKeyType::String,
            "ARN" | "Arn" => ConditionKeyType::Arn,
            "Bool" | "Boolean" => ConditionKeyType::Bool,
            "Numeric" | "Long" | "Integer" => ConditionKeyType::Numeric,
            "Date" => ConditionKeyType::Date,
            "IPAddress" | "IpAddress" => ConditionKeyType::IpAddress,
            "Binary" => ConditionKeyType::Binary,
            other => ConditionKeyType::Other(other.to_string()),
        }
    }

    /// True for set-valued keys, where ForAllValues/ForAnyValue make sense.
    pub fn is_multivalued(&self) -> bool {
        matches!(self, ConditionKeyType::ArrayOf(_))
    }

    /// The element type (the type itself for single-valued keys).
    pub fn base(&self) -> &ConditionKeyType {
        match self {
            ConditionKeyType::ArrayOf(inner) => inner.base(),
            other => other,
        }
    }

    /// Name as written in the AWS Service Authorization Reference.
    pub fn name(&self) -> String {
        match self {
            ConditionKeyType::String => "String".into(),
            ConditionKeyType::Arn => "ARN".into(),
            ConditionKeyType::Bool => "Bool".into(),
            ConditionKeyType::Numeric => "Numeric".into(),
            ConditionKeyType::Date => "Date".into(),
            ConditionKeyType::IpAddress => "IPAddress".into(),
            ConditionKeyType::Binary => "Binary".into(),
            ConditionKeyType::ArrayOf(inner) => format!("ArrayOf{}", inner.name()),
            ConditionKeyType::Other(s) => s.clone(),
        }
    }
}

/// A condition key: its name as documented (may hold a `${TagKey}`-style
/// placeholder) and its value type.
#[derive(Debug, Clone)]
pub struct ConditionKey {
    pub name: String,
    pub value_type: ConditionKeyType,
}

impl ConditionKey {
    /// True when `used` (any case) names this key, filling placeholders.
    pub fn matches(&self, used: &str) -> bool {
        key_pattern_matches(&self.name, used)
    }
}

/// A resource type a service defines, with its ARN format(s).
///
/// Strings borrow from the reference embedded in the binary.
#[derive(Debug, Clone)]
pub struct ResourceType {
    pub name: &'static str,
    pub arn_patterns: Vec<&'static str>,
    pub condition_keys: Vec<&'static str>,
}

/// A resource type an action accepts.
#[derive(Debug, Clone)]
pub struct ActionResourceType {
    /// Name of a [`ResourceType`] of the same service.
    pub name: &'static str,
    /// Its position in [`Service::resource_types`], found once when the action is read: the
    /// linter looks it up for every action of every statement.
    pub index: Option<usize>,
    /// Whether the reference marks it required for the action.
    pub required: bool,
    pub condition_keys: Vec<&'static str>,
}

/// One IAM action.
#[derive(Debug, Clone)]
pub struct Action {
    service: &'static str,
    pub name: &'static str,
    pub access_level: AccessLevel,
    pub resource_types: Vec<ActionResourceType>,
    pub condition_keys: Vec<&'static str>,
    pub dependent_actions: Vec<&'static str>,
}

impl Action {
    /// Service prefix, e.g. `sagemaker`.
    pub fn service(&self) -> &'static str {
        self.service
    }

    /// `service:Name` as written in policies.
    pub fn full_name(&self) -> String {
        format!("{}:{}", self.service, self.name)
    }

    /// True when the action can be scoped to specific resources; actions
    /// without resource types only work with `"Resource": "*"`.
    pub fn supports_resource_level_permissions(&self) -> bool {
        !self.resource_types.is_empty()
    }
}

/// One AWS service: its actions, resource types and condition keys.
#[derive(Debug)]
pub struct Service {
    pub prefix: &'static str,
    pub name: String,
    /// The embedded action rows, sorted by ASCII-lowercased name for case-insensitive binary
    /// search. A policy names a handful of ec2's 826 actions, so each is parsed on first use.
    action_rows: ActionRows,
    /// One cell per action row.
    actions: Vec<OnceLock<Option<Box<Action>>>>,
    /// Sorted like the actions.
    resource_types: Vec<ResourceType>,
    condition_keys: Vec<ConditionKey>,
    /// The service's interned condition-key names, which actions refer to by index.
    key_names: Vec<&'static str>,
    /// Resource-type names in the data's order, which actions refer to by index.
    resource_type_names: Vec<&'static str>,
    /// For each of those, its position in `resource_types`.
    resource_type_positions: Vec<usize>,
}

impl Service {
    /// Every action, sorted by name (each parsed on first use).
    pub fn actions(&self) -> impl Iterator<Item = &Action> + '_ {
        (0..self.actions.len()).filter_map(|index| self.parsed(index))
    }

    /// Every action's name, sorted, without parsing the actions.
    pub fn action_names(&self) -> impl Iterator<Item = &'static str> + '_ {
        (0..self.action_rows.len()).filter_map(|index| self.action_rows.name(index))
    }

    /// Action by name without prefix, case-insensitive.
    pub fn action(&self, name: &str) -> Option<&Action> {
        self.parsed(self.action_rows.find(name)?)
    }

    /// The action at `index`, parsed now if this is its first use. A malformed entry (only a
    /// corrupt reference file has one) is left out rather than panicking.
    fn parsed(&self, index: usize) -> Option<&Action> {
        self.actions
            .get(index)?
            .get_or_init(|| {
                let entry = self.action_rows.entry(index)?;
                let raw: RawAction<'static> = serde_json::from_str(entry).ok()?;
                Some(Box::new(self.build_action(raw)))
            })
            .as_deref()
    }

    fn build_action(&self, raw: RawAction<'static>) -> Action {
        let RawAction(name, level, resource_types, action_keys, dependent_actions) = raw;
        let keys = |indexes| interned(&self.key_names, indexes);
        Action {
            service: self.prefix,
            name,
            access_level: AccessLevel::from_code(level),
            resource_types: resource_types
                .into_iter()
                .filter_map(|(rt, required, rt_keys)| {
                    Some(ActionResourceType {
                        name: self.resource_type_names.get(rt).copied()?,
                        index: self.resource_type_positions.get(rt).copied(),
                        required: required != 0,
                        condition_keys: keys(rt_keys),
                    })
                })
                .collect(),
            condition_keys: keys(action_keys),
            dependent_actions,
        }
    }

    pub fn resource_types(&self) -> &[ResourceType] {
        &self.resource_types
    }

    /// Resource type by name, case-insensitive.
    pub fn resource_type(&self, name: &str) -> Option<&ResourceType> {
        self.resource_types.get(self.resource_type_index(name)?)
    }

    /// The position of a resource type in [`Service::resource_types`], by name in any case.
    pub fn resource_type_index(&self, name: &str) -> Option<usize> {
        self.resource_types
            .binary_search_by(|r| cmp_ignore_case(r.name.as_bytes(), name.as_bytes()))
            .ok()
    }

    pub fn condition_keys(&self) -> &[ConditionKey] {
        &self.condition_keys
    }

    /// Condition key by name (any case), resolving documented placeholders.
    pub fn condition_key(&self, name: &str) -> Option<&ConditionKey> {
        self.condition_keys
            .iter()
            .find(|k| k.name.eq_ignore_ascii_case(name))
            .or_else(|| self.condition_keys.iter().find(|k| k.matches(name)))
    }

    /// Condition keys (as documented, with placeholders) usable with `action`:
    /// the action's own keys and those of the resource types it accepts.
    pub fn keys_for_action<'a>(
        &'a self,
        action: &'a Action,
    ) -> impl Iterator<Item = &'static str> + 'a {
        let own = action.condition_keys.iter().copied();
        let per_rt = action.resource_types.iter().flat_map(move |rt| {
            let defined = self
                .resource_type(rt.name)
                .map(|r| r.condition_keys.as_slice())
                .unwrap_or(&[]);
            rt.condition_keys.iter().chain(defined.iter()).copied()
        });
        own.chain(per_rt)
    }
}

/// A service's head in the embedded layout; strings borrow from it and condition keys are
/// indexes into `k`. Its actions are separate rows (see `layout.rs`).
#[derive(Deserialize)]
pub(crate) struct RawHead<'a> {
    n: &'a str,
    #[serde(borrow)]
    k: Vec<&'a str>,
    #[serde(borrow)]
    c: Vec<(usize, &'a str)>,
    #[serde(borrow)]
    r: Vec<RawResourceType<'a>>,
}

type RawResourceType<'a> = (&'a str, Vec<&'a str>, Vec<usize>);
type RawActionResourceType = (usize, u8, Vec<usize>);

#[derive(Deserialize)]
struct RawAction<'a>(
    &'a str,
    &'a str,
    Vec<RawActionResourceType>,
    Vec<usize>,
    #[serde(borrow)] Vec<&'a str>,
);

/// The interned names at these indexes. Out-of-range indexes (a corrupt file) are dropped,
/// never panic.
fn interned(names: &[&'static str], indexes: Vec<usize>) -> Vec<&'static str> {
    indexes
        .into_iter()
        .filter_map(|i| names.get(i).copied())
        .collect()
}

impl RawHead<'static> {
    pub(crate) fn into_service(self, prefix: &'static str, action_rows: ActionRows) -> Service {
        let k = self.k;
        let keys = |indexes| interned(&k, indexes);
        let resource_type_names: Vec<&'static str> = self.r.iter().map(|r| r.0).collect();
        // Sorted by name for lookups; `resource_type_positions` maps the data's order to it.
        let mut order: Vec<usize> = (0..self.r.len()).collect();
        order.sort_by(|&a, &b| {
            cmp_ignore_case(
                resource_type_names[a].as_bytes(),
                resource_type_names[b].as_bytes(),
            )
        });
        let mut resource_type_positions = vec![0; order.len()];
        for (position, &raw) in order.iter().enumerate() {
            resource_type_positions[raw] = position;
        }
        let mut unsorted: Vec<Option<ResourceType>> = self
            .r
            .into_iter()
            .map(|(name, arn_patterns, rt_keys)| {
                Some(ResourceType {
                    name,
                    arn_patterns,
                    condition_keys: keys(rt_keys),
                })
            })
            .collect();
        let resource_types: Vec<ResourceType> = order
            .iter()
            .filter_map(|&raw| unsorted[raw].take())
            .collect();
        let condition_keys = self
            .c
            .into_iter()
            .filter_map(|(i, t)| {
                Some(ConditionKey {
                    name: k.get(i)?.to_string(),
                    value_type: ConditionKeyType::parse(t),
                })
            })
            .collect();
        Service {
            prefix,
            name: self.n.to_string(),
            actions: (0..action_rows.len()).map(|_| OnceLock::new()).collect(),
            action_rows,
            resource_types,
            condition_keys,
            key_names: k,
            resource_type_names,
            resource_type_positions,
        }
    }
}
