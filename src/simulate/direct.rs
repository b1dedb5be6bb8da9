//! A batch line's policies compiled straight from the JSON parser, without the [`Json`] tree.
//!
//! When every line brings new policies, building each line's JSON tree and dropping it again
//! cost about as much as reading the text. Here serde visitors compile the documents as they
//! are read: statements, their actions, resources and conditions never become tree nodes (a
//! `Principal`, rare outside resource policies, still goes through a [`Json`] tree).
//!
//! This is only a fast path. It accepts a subset of what the tree path accepts and compiles it
//! to the same policies; anything else (every error, and the rare valid shapes it does not
//! handle: a `Version` after the `Statement` it governs, members of a `{"name", "policy"}`
//! wrapper besides those two) fails here with an unworded error, and the caller answers the
//! line by the tree path, which words the errors. Every value is read in full by serde_json
//! (nothing is skipped unchecked), so nesting limits and invalid JSON fail here as there.
//!
//! Being a subset is what keeps it safe: refusing a line costs only time, while accepting one
//! the tree path refuses or reads differently changes an answer. `batch` in `fuzz/checks.rs`
//! (also run on stable by `tests/fuzz_stable.rs`) requires every line's answer to be the one
//! [`evaluate_line`](super::evaluate_line) gives, so a rule added to the tree path and not
//! mirrored here fails it.

use super::condition::{compile_entry, parse_operator, ConditionBlock, Entry, Operator, RawValues};
use super::json::{Json, KeyStr, LINEAR_KEYS};
use super::policy::{
    action_globs, parse_principal, Effect, Policy, PolicyType, PrincipalSpec, Resources, Statement,
};
use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;

/// Room made up front in the vector of an array read: growing from empty cost more than an
/// allocation of this size (the arrays of a policy are short).
const SEQ_ROOM: usize = 4;

/// The error of every refusal: the tree path words the real one.
fn refuse<E: serde::de::Error>() -> E {
    E::custom("not taken by the direct compiler")
}

/// One of the four policy fields of a batch line, read as [`super::batch`]'s
/// `add_policies` (`MANY`: an array of documents) or `add_single` (one document) would.
pub(crate) struct Field<const KIND: u8, const MANY: bool>(pub(crate) Vec<Policy>);

/// The four fields as a [`Field`]'s `KIND` (a const parameter cannot be an enum on Rust 1.80).
pub(crate) const IDENTITY: u8 = 0;
pub(crate) const SESSION: u8 = 1;
pub(crate) const RESOURCE: u8 = 2;
pub(crate) const BOUNDARY: u8 = 3;

/// The [`PolicyType`] and line key of a field's `KIND`.
const fn field_kind(kind: u8) -> (PolicyType, &'static str) {
    match kind {
        IDENTITY => (PolicyType::Identity, "identity_policies"),
        SESSION => (PolicyType::Session, "session_policies"),
        RESOURCE => (PolicyType::Resource, "resource_policy"),
        _ => (PolicyType::PermissionsBoundary, "permissions_boundary"),
    }
}

impl<'de, const KIND: u8, const MANY: bool> Deserialize<'de> for Field<KIND, MANY> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let (kind, key) = field_kind(KIND);
        if !MANY {
            let doc = Doc {
                kind,
                key,
                index: None,
                wrapper_allowed: true,
                text_allowed: true,
            };
            return doc.deserialize(d).map(|p| Field(vec![p]));
        }
        struct Docs(PolicyType, &'static str);
        impl<'de> Visitor<'de> for Docs {
            type Value = Vec<Policy>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an array of policies")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<Policy>, A::Error> {
                let mut out = Vec::new();
                loop {
                    let doc = Doc {
                        kind: self.0,
                        key: self.1,
                        index: Some(out.len()),
                        wrapper_allowed: true,
                        text_allowed: true,
                    };
                    match seq.next_element_seed(doc)? {
                        Some(p) => out.push(p),
                        None => return Ok(out),
                    }
                }
            }
        }
        d.deserialize_seq(Docs(kind, key)).map(Field)
    }
}

/// A policy document: an object, the JSON text of one, or (where `wrapper_allowed`) a
/// `{"name", "policy"}` wrapper around either, as `policy_doc` reads them.
#[derive(Clone, Copy)]
struct Doc {
    kind: PolicyType,
    /// Where the document sits in the line, for its default name (`identity_policies[2]`).
    key: &'static str,
    index: Option<usize>,
    wrapper_allowed: bool,
    /// False inside a document given as text: the reference path decodes a string once, and a
    /// string inside it is not a policy.
    text_allowed: bool,
}

impl Doc {
    /// The name of a document without one, as `PolicyAt` writes it (`identity_policies[2]`),
    /// written without `format!`, whose machinery cost several times more per policy.
    fn default_name(&self) -> String {
        /// Appends `n` in decimal.
        fn push_decimal(out: &mut String, n: usize) {
            if n >= 10 {
                push_decimal(out, n / 10);
            }
            out.push(char::from(b'0' + (n % 10) as u8));
        }
        let mut name = String::with_capacity(self.key.len() + 8);
        name.push_str(self.key);
        if let Some(i) = self.index {
            name.push('[');
            push_decimal(&mut name, i);
            name.push(']');
        }
        name
    }

    /// A document given as JSON text: parsed on its own, as the tree path parses it.
    fn read_text<E: serde::de::Error>(self, text: &str) -> Result<Policy, E> {
        let inner = Doc {
            wrapper_allowed: false,
            text_allowed: false,
            ..self
        };
        let mut de = serde_json::Deserializer::from_str(text);
        let policy = inner.deserialize(&mut de).map_err(|_| refuse::<E>())?;
        de.end().map_err(|_| refuse::<E>())?;
        Ok(policy)
    }
}

impl<'de> DeserializeSeed<'de> for Doc {
    type Value = Policy;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Policy, D::Error> {
        d.deserialize_any(self)
    }
}

/// Which members a document object has shown so far (a repeated one is refused).
#[derive(Default)]
struct DocSeen {
    version: bool,
    id: bool,
    statement: bool,
    name: bool,
    policy: bool,
}

impl<'de> Visitor<'de> for Doc {
    type Value = Policy;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a policy")
    }

    fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Policy, E> {
        if !self.text_allowed {
            return Err(refuse());
        }
        self.read_text(text)
    }

    fn visit_map<M: MapAccess<'de>>(self, mut m: M) -> Result<Policy, M::Error> {
        let mut seen = DocSeen::default();
        // Version 2012-10-17 turns policy variables on; without a Version they are off.
        let mut vars = false;
        let mut statements = None;
        let mut name = None;
        let mut wrapped = None;
        while let Some(KeyStr(key)) = m.next_key()? {
            let first = |seen: &mut bool| {
                if std::mem::replace(seen, true) {
                    Err(refuse::<M::Error>())
                } else {
                    Ok(())
                }
            };
            match key.as_ref() {
                "Version" => {
                    first(&mut seen.version)?;
                    vars = match m.next_value::<KeyStr>()?.0.as_ref() {
                        "2012-10-17" => true,
                        "2008-10-17" => false,
                        _ => return Err(refuse()),
                    };
                    // The statements read so far were compiled without variables.
                    if vars && seen.statement {
                        return Err(refuse());
                    }
                }
                "Id" => {
                    first(&mut seen.id)?;
                    m.next_value::<KeyStr>()?;
                }
                "Statement" => {
                    first(&mut seen.statement)?;
                    let kind = self.kind;
                    statements = Some(m.next_value_seed(Statements { kind, vars })?);
                }
                "name" if self.wrapper_allowed => {
                    first(&mut seen.name)?;
                    name = Some(m.next_value::<KeyStr>()?.0.into_owned());
                }
                "policy" if self.wrapper_allowed => {
                    first(&mut seen.policy)?;
                    let inner = Doc {
                        wrapper_allowed: false,
                        ..self
                    };
                    wrapped = Some(m.next_value_seed(inner)?);
                }
                _ => return Err(refuse()),
            }
        }
        match (statements, wrapped) {
            (Some(statements), None) if !seen.name => {
                Ok(Policy::assemble(self.default_name(), self.kind, statements))
            }
            // A wrapper: its own Version or Id would be ignored, and is left to the tree path.
            (None, Some(mut policy)) if !seen.version && !seen.id => {
                policy.name = name.unwrap_or_else(|| self.default_name());
                Ok(policy)
            }
            _ => Err(refuse()),
        }
    }
}

/// A compiled statement with its `Action` texts as written.
type Compiled<'de> = (Statement, Vec<Cow<'de, str>>);

/// The `Statement` element: one statement object or an array of them.
#[derive(Clone, Copy)]
struct Statements {
    kind: PolicyType,
    vars: bool,
}

impl<'de> DeserializeSeed<'de> for Statements {
    type Value = Vec<Compiled<'de>>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Statements {
    type Value = Vec<Compiled<'de>>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("statements")
    }

    fn visit_map<M: MapAccess<'de>>(self, m: M) -> Result<Self::Value, M::Error> {
        let one = StatementSeed {
            kind: self.kind,
            vars: self.vars,
            index: 0,
        };
        Ok(vec![one.visit_map(m)?])
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::with_capacity(SEQ_ROOM);
        loop {
            let seed = StatementSeed {
                kind: self.kind,
                vars: self.vars,
                index: out.len(),
            };
            match seq.next_element_seed(seed)? {
                Some(s) => out.push(s),
                None => return Ok(out),
            }
        }
    }
}

/// One statement object, compiled as `parse_statement` compiles it.
#[derive(Clone, Copy)]
struct StatementSeed {
    kind: PolicyType,
    vars: bool,
    index: usize,
}

impl<'de> DeserializeSeed<'de> for StatementSeed {
    type Value = Compiled<'de>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for StatementSeed {
    type Value = Compiled<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a statement object")
    }

    fn visit_map<M: MapAccess<'de>>(self, mut m: M) -> Result<Self::Value, M::Error> {
        // Members already read, by key (each key at most once, as in the tree).
        let mut seen = [false; 10];
        let mut sid = None;
        let mut effect = None;
        let mut action: Option<(bool, Vec<Cow<'de, str>>)> = None;
        let mut resource: Option<(bool, Vec<Cow<'de, str>>)> = None;
        let mut principal: Option<(bool, Json<'de>)> = None;
        let mut condition = ConditionBlock::default();
        while let Some(KeyStr(key)) = m.next_key()? {
            let at = match key.as_ref() {
                "Sid" => 0,
                "Effect" => 1,
                "Action" => 2,
                "NotAction" => 3,
                "Resource" => 4,
                "NotResource" => 5,
                "Principal" => 6,
                "NotPrincipal" => 7,
                "Condition" => 8,
                _ => return Err(refuse()),
            };
            if std::mem::replace(&mut seen[at], true) {
                return Err(refuse());
            }
            match at {
                0 => sid = Some(m.next_value::<KeyStr>()?.0.into_owned()),
                1 => {
                    effect = Some(match m.next_value::<KeyStr>()?.0.as_ref() {
                        "Allow" => Effect::Allow,
                        "Deny" => Effect::Deny,
                        _ => return Err(refuse()),
                    })
                }
                2 | 3 if action.is_none() => {
                    action = Some((at == 3, m.next_value::<StringList>()?.0));
                }
                4 | 5 if resource.is_none() => {
                    resource = Some((at == 5, m.next_value::<StringList>()?.0));
                }
                6 | 7 if principal.is_none() && self.kind == PolicyType::Resource => {
                    principal = Some((at == 7, m.next_value::<Json>()?));
                }
                8 => condition = m.next_value_seed(ConditionSeed(self.vars))?,
                _ => return Err(refuse()),
            }
        }
        let (Some(effect), Some((not_action, raw_actions)), Some((not_resource, raw_resources))) =
            (effect, action, resource)
        else {
            return Err(refuse());
        };
        let actions = action_globs(&raw_actions).map_err(|_| refuse::<M::Error>())?;
        let principal = match principal {
            Some((not, tree)) => Some(PrincipalSpec {
                not,
                entries: parse_principal(&tree, &String::new).map_err(|_| refuse::<M::Error>())?,
            }),
            // A resource-based policy must name a principal.
            None if self.kind == PolicyType::Resource => return Err(refuse()),
            None => None,
        };
        let statement = Statement {
            sid,
            index: self.index,
            effect,
            not_action,
            actions,
            not_resource,
            resources: Resources::new(&raw_resources, self.vars),
            principal,
            condition,
        };
        Ok((statement, raw_actions))
    }
}

/// A string or an array of strings, borrowed from the line where they have no escapes.
struct StringList<'de>(Vec<Cow<'de, str>>);

impl<'de> Deserialize<'de> for StringList<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = StringList<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string or an array of strings")
            }
            fn visit_borrowed_str<E>(self, s: &'de str) -> Result<StringList<'de>, E> {
                Ok(StringList(vec![Cow::Borrowed(s)]))
            }
            fn visit_str<E>(self, s: &str) -> Result<StringList<'de>, E> {
                Ok(StringList(vec![Cow::Owned(s.to_string())]))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<StringList<'de>, A::Error> {
                let mut out = Vec::with_capacity(SEQ_ROOM);
                while let Some(KeyStr(s)) = seq.next_element()? {
                    out.push(s);
                }
                Ok(StringList(out))
            }
        }
        d.deserialize_any(V)
    }
}

/// The `Condition` element, compiled as `parse_condition` compiles it; `.0` turns policy
/// variables on.
#[derive(Clone, Copy)]
struct ConditionSeed(bool);

impl<'de> DeserializeSeed<'de> for ConditionSeed {
    type Value = ConditionBlock;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<ConditionBlock, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for ConditionSeed {
    type Value = ConditionBlock;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object of condition operators")
    }

    fn visit_map<M: MapAccess<'de>>(self, mut m: M) -> Result<ConditionBlock, M::Error> {
        let mut block = ConditionBlock::default();
        let mut operators = SeenKeys::default();
        while let Some(KeyStr(op)) = m.next_key()? {
            if !operators.insert(op.clone()) {
                return Err(refuse());
            }
            let operator = parse_operator(&op).ok_or_else(refuse::<M::Error>)?;
            m.next_value_seed(ConditionKeys {
                op: &op,
                operator,
                vars: self.0,
                entries: &mut block.entries,
            })?;
        }
        Ok(block)
    }
}

/// The keys of one object read so far, to refuse a repeated one: a linear search while there
/// are few, then a hash set, so that an object of many keys (a condition may list thousands)
/// costs linear time, as in the tree (`json.rs`). The first key is kept without a vector:
/// most condition objects have one key, and allocating for it cost more than the search.
#[derive(Default)]
struct SeenKeys<'de> {
    first: Option<Cow<'de, str>>,
    /// The keys after the first.
    few: Vec<Cow<'de, str>>,
    many: Option<HashSet<Cow<'de, str>>>,
}

impl<'de> SeenKeys<'de> {
    /// Records `key`; false when it was read before.
    fn insert(&mut self, key: Cow<'de, str>) -> bool {
        if let Some(many) = &mut self.many {
            return many.insert(key);
        }
        let Some(first) = &self.first else {
            self.first = Some(key);
            return true;
        };
        if *first == key || self.few.contains(&key) {
            return false;
        }
        self.few.push(key);
        if self.few.len() >= LINEAR_KEYS {
            let mut many: HashSet<_> = self.few.drain(..).collect();
            many.extend(self.first.take());
            self.many = Some(many);
        }
        true
    }
}

/// The keys of one condition operator and their values, compiled into `entries`.
struct ConditionKeys<'o> {
    op: &'o str,
    operator: Operator,
    vars: bool,
    entries: &'o mut Vec<Entry>,
}

impl<'de> DeserializeSeed<'de> for ConditionKeys<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for ConditionKeys<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object mapping condition keys to values")
    }

    fn visit_map<M: MapAccess<'de>>(self, mut m: M) -> Result<(), M::Error> {
        let mut keys = SeenKeys::default();
        while let Some(KeyStr(key)) = m.next_key()? {
            if !keys.insert(key.clone()) {
                return Err(refuse());
            }
            let Scalars(raw) = m.next_value()?;
            let entry = compile_entry(self.op, self.operator, &key, raw, &String::new, self.vars)
                .map_err(|_| refuse::<M::Error>())?;
            self.entries.push(entry);
        }
        Ok(())
    }
}

/// Condition values (a string, number or boolean, or an array of them) as text, each with its
/// index in the array, as `scalar_strings` renders them from the tree.
struct Scalars<'de>(RawValues<'de>);

/// One condition value as text; numbers as the tree's `serde_json::Number` prints them.
struct ScalarText<'de>(Cow<'de, str>);

struct ScalarVisitor;

impl<'de> Visitor<'de> for ScalarVisitor {
    type Value = ScalarText<'de>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string, number or boolean")
    }
    fn visit_borrowed_str<E>(self, s: &'de str) -> Result<ScalarText<'de>, E> {
        Ok(ScalarText(Cow::Borrowed(s)))
    }
    fn visit_str<E>(self, s: &str) -> Result<ScalarText<'de>, E> {
        Ok(ScalarText(Cow::Owned(s.to_string())))
    }
    fn visit_bool<E>(self, b: bool) -> Result<ScalarText<'de>, E> {
        Ok(ScalarText(Cow::Owned(b.to_string())))
    }
    fn visit_i64<E>(self, v: i64) -> Result<ScalarText<'de>, E> {
        Ok(ScalarText(Cow::Owned(
            serde_json::Number::from(v).to_string(),
        )))
    }
    fn visit_u64<E>(self, v: u64) -> Result<ScalarText<'de>, E> {
        Ok(ScalarText(Cow::Owned(
            serde_json::Number::from(v).to_string(),
        )))
    }
    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<ScalarText<'de>, E> {
        // A non-finite float is null in the tree, which no condition takes.
        let n = serde_json::Number::from_f64(v).ok_or_else(refuse::<E>)?;
        Ok(ScalarText(Cow::Owned(n.to_string())))
    }
}

impl<'de> Deserialize<'de> for ScalarText<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ScalarVisitor)
    }
}

impl<'de> Deserialize<'de> for Scalars<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Scalars<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a scalar or an array of scalars")
            }
            fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Scalars<'de>, E> {
                Ok(Scalars(vec![(Cow::Borrowed(s), None)]))
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Scalars<'de>, E> {
                lone(ScalarVisitor.visit_str(s))
            }
            fn visit_bool<E: serde::de::Error>(self, b: bool) -> Result<Scalars<'de>, E> {
                lone(ScalarVisitor.visit_bool(b))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Scalars<'de>, E> {
                lone(ScalarVisitor.visit_i64(v))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Scalars<'de>, E> {
                lone(ScalarVisitor.visit_u64(v))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Scalars<'de>, E> {
                lone(ScalarVisitor.visit_f64(v))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Scalars<'de>, A::Error> {
                let mut out = Vec::with_capacity(SEQ_ROOM);
                while let Some(ScalarText(s)) = seq.next_element()? {
                    out.push((s, Some(out.len())));
                }
                Ok(Scalars(out))
            }
        }
        fn lone<E>(value: Result<ScalarText<'_>, E>) -> Result<Scalars<'_>, E> {
            value.map(|ScalarText(s)| Scalars(vec![(s, None)]))
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_names_are_written_as_format_writes_them() {
        for index in [
            None,
            Some(0),
            Some(9),
            Some(10),
            Some(123),
            Some(usize::MAX),
        ] {
            let doc = Doc {
                kind: PolicyType::Identity,
                key: "identity_policies",
                index,
                wrapper_allowed: true,
                text_allowed: true,
            };
            let expected = match index {
                Some(i) => format!("identity_policies[{i}]"),
                None => "identity_policies".to_string(),
            };
            assert_eq!(doc.default_name(), expected);
        }
    }
}
