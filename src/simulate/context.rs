//! The request: principal, action, resource and context keys.

use base64::Engine as _;
use chrono::{DateTime, SecondsFormat, Utc};
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::net::IpAddr;

/// A typed context value. IAM's request context is textual, and the
/// condition operator decides how a value is read; these variants only
/// render the canonical text IAM would see (e.g. RFC 3339 for dates,
/// base-64 for binary).
#[derive(Debug, Clone, PartialEq)]
pub enum ContextValue {
    String(String),
    Bool(bool),
    Numeric(f64),
    Date(DateTime<Utc>),
    IpAddress(IpAddr),
    Arn(String),
    Binary(Vec<u8>),
}

impl ContextValue {
    /// The text IAM compares.
    pub fn into_text(self) -> String {
        match self {
            ContextValue::String(s) | ContextValue::Arn(s) => s,
            ContextValue::Bool(b) => b.to_string(),
            ContextValue::Numeric(n) => n.to_string(),
            ContextValue::Date(d) => d.to_rfc3339_opts(SecondsFormat::AutoSi, true),
            ContextValue::IpAddress(ip) => ip.to_string(),
            ContextValue::Binary(b) => base64::engine::general_purpose::STANDARD.encode(b),
        }
    }
}

impl From<&str> for ContextValue {
    fn from(s: &str) -> Self {
        ContextValue::String(s.to_string())
    }
}
impl From<String> for ContextValue {
    fn from(s: String) -> Self {
        ContextValue::String(s)
    }
}
impl From<bool> for ContextValue {
    fn from(b: bool) -> Self {
        ContextValue::Bool(b)
    }
}
impl From<f64> for ContextValue {
    fn from(n: f64) -> Self {
        ContextValue::Numeric(n)
    }
}
impl From<i64> for ContextValue {
    fn from(n: i64) -> Self {
        ContextValue::String(n.to_string())
    }
}
impl From<IpAddr> for ContextValue {
    fn from(ip: IpAddr) -> Self {
        ContextValue::IpAddress(ip)
    }
}
impl From<DateTime<Utc>> for ContextValue {
    fn from(d: DateTime<Utc>) -> Self {
        ContextValue::Date(d)
    }
}

/// FNV-1a: context keys are short, so a simple fast hash beats SipHash on the per-condition
/// lookup (the hot path). Not a word-at-a-time multiply-rotate hash (FxHash's kind), although
/// that costs less per key: its last step can be solved for, so a batch line can carry
/// thousands of keys with one hash (a 1 MiB line of 28,000 such keys took 1.6 s instead of
/// 0.03 s), while FNV's byte steps leave no such shortcut.
#[derive(Default)]
pub(crate) struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
}

#[derive(Debug, Clone)]
pub(crate) enum Slot {
    /// A single value, kept without a vector (most keys have one).
    One(String),
    Values(Vec<String>),
    Unknown,
}

impl Slot {
    /// The values of a known key.
    pub(crate) fn values(&self) -> Option<&[String]> {
        match self {
            Slot::One(v) => Some(std::slice::from_ref(v)),
            Slot::Values(v) => Some(v),
            Slot::Unknown => None,
        }
    }
}

/// Equal when both are unknown or both hold the same values: one value is
/// the same whether it was given alone or as a list of one.
impl PartialEq for Slot {
    fn eq(&self, other: &Slot) -> bool {
        self.values() == other.values()
    }
}

/// Context keys of a request. Key names are case-insensitive (stored
/// lowercase). A key can be given values, or be declared *unknown*: its
/// value (and even its presence) is not known to the caller, and the
/// evaluator answers `indeterminate` if the decision depends on it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Context {
    pub(crate) map: HashMap<String, Slot, BuildHasherDefault<Fnv>>,
}

/// A context key as stored: lowercase.
use super::wildcard::lowercase as key_lc;

impl Context {
    pub fn new() -> Context {
        Context::default()
    }

    /// Room for `n` more keys (a batch line knows how many it brings).
    pub(crate) fn reserve(&mut self, n: usize) {
        self.map.reserve(n);
    }

    /// Sets a single-valued key (replacing earlier values).
    pub fn insert(&mut self, key: &str, value: impl Into<ContextValue>) -> &mut Context {
        self.map
            .insert(key_lc(key), Slot::One(value.into().into_text()));
        self
    }

    /// Sets a multi-valued key (e.g. `aws:TagKeys`). An empty list is an
    /// empty set: `ForAllValues` is true and `ForAnyValue` false on it.
    pub fn insert_many<V: Into<ContextValue>>(
        &mut self,
        key: &str,
        values: impl IntoIterator<Item = V>,
    ) -> &mut Context {
        let v = values.into_iter().map(|x| x.into().into_text()).collect();
        self.map.insert(key_lc(key), Slot::Values(v));
        self
    }

    /// Declares a key whose value is unknown.
    pub fn insert_unknown(&mut self, key: &str) -> &mut Context {
        self.map.insert(key_lc(key), Slot::Unknown);
        self
    }

    /// Values of a key, if known and present.
    pub fn get(&self, key: &str) -> Option<&[String]> {
        match self.map.get(&key_lc(key)) {
            Some(slot) => slot.values(),
            None => None,
        }
    }

    /// Whether the key was declared unknown.
    pub fn is_unknown(&self, key: &str) -> bool {
        matches!(self.map.get(&key_lc(key)), Some(Slot::Unknown))
    }
}

/// One authorization request.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Request {
    /// Principal ARN (user, role, `assumed-role` session, `federated-user`,
    /// account root), a service principal such as `sagemaker.amazonaws.com`,
    /// or `*` for an anonymous request.
    pub principal: String,
    /// `service:Action`; compared case-insensitively.
    pub action: String,
    /// Resource ARN (or `*` for actions without a resource).
    pub resource: String,
    /// Account owning the resource. When absent: the account segment of the
    /// resource ARN if it has one, else the principal's account (same-account).
    pub resource_account: Option<String>,
    pub context: Context,
}

impl Request {
    pub fn new(principal: &str, action: &str, resource: &str) -> Request {
        Request {
            principal: principal.to_string(),
            action: action.to_string(),
            resource: resource.to_string(),
            resource_account: None,
            context: Context::new(),
        }
    }

    /// Sets the resource's account.
    pub fn with_resource_account(mut self, account: &str) -> Request {
        self.resource_account = Some(account.to_string());
        self
    }

    /// Sets a single-valued context key.
    pub fn with(mut self, key: &str, value: impl Into<ContextValue>) -> Request {
        self.context.insert(key, value);
        self
    }

    /// Sets a multi-valued context key.
    pub fn with_many<V: Into<ContextValue>>(
        mut self,
        key: &str,
        values: impl IntoIterator<Item = V>,
    ) -> Request {
        self.context.insert_many(key, values);
        self
    }

    /// Declares a context key unknown.
    pub fn with_unknown(mut self, key: &str) -> Request {
        self.context.insert_unknown(key);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::BuildHasher;

    /// A word-at-a-time multiply-rotate hash (FxHash's kind) of `bytes`.
    fn word_hash(bytes: &[u8]) -> u64 {
        bytes.chunks(8).fold(0u64, |h, chunk| {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            (h.rotate_left(5) ^ u64::from_le_bytes(word)).wrapping_mul(0x517c_c1b7_2722_0a95)
        })
    }

    /// Two 16-byte keys with one word hash, made as an attacker would: the second word is
    /// solved for from the first, kept when it is ASCII without capitals (keys are lowercased).
    fn keys_colliding_under_a_word_hash() -> [String; 2] {
        let target: u64 = 0x0123_4567_0123_4567;
        let mut keys = Vec::new();
        let mut seed = 0u64;
        while keys.len() < 2 {
            seed += 1;
            let first: [u8; 8] = std::array::from_fn(|i| b'a' + ((seed >> (5 * i)) % 26) as u8);
            let h = word_hash(&first);
            let second = (target ^ h.rotate_left(5)).to_le_bytes();
            if second
                .iter()
                .all(|b| b.is_ascii() && !b.is_ascii_uppercase())
            {
                let mut key = first.to_vec();
                key.extend_from_slice(&second);
                keys.push(String::from_utf8(key).unwrap_or_default());
            }
        }
        [keys[0].clone(), keys[1].clone()]
    }

    #[test]
    fn keys_built_to_collide_under_a_word_hash_do_not_collide_here() {
        let [a, b] = keys_colliding_under_a_word_hash();
        assert_ne!(a, b);
        assert_eq!(word_hash(a.as_bytes()), word_hash(b.as_bytes()));
        let map_hash = BuildHasherDefault::<Fnv>::default();
        assert_ne!(map_hash.hash_one(&a), map_hash.hash_one(&b));
    }
}
