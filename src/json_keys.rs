//! Object keys given twice in JSON text (and, for spec and catalog files, YAML mappings).
//!
//! serde_json, like most JSON readers, keeps one value of a key given twice, so a policy whose
//! `Condition` names `StringLike` twice is read with one of its blocks gone, and which one IAM
//! would use is not documented. serde_yaml does the same when it fills a map. Readers find such
//! keys here and report or refuse them.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashSet;
use std::fmt;

use serde::de::{
    DeserializeSeed, Deserializer, EnumAccess, Error as _, IgnoredAny, MapAccess, SeqAccess,
    VariantAccess, Visitor,
};

/// A key given more than once in one object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DuplicateKey {
    /// Path of the object holding the key (`Statement[0].Condition`), empty for the top level.
    pub object: String,
    pub key: String,
}

impl DuplicateKey {
    /// Where the key is, as one path: `Statement[0].Condition.StringLike`.
    pub fn path(&self) -> String {
        member(&self.object, &self.key)
    }

    /// The holding object for a message: `` `Statement[0].Condition` `` or "the top-level object".
    pub fn object_name(&self) -> String {
        if self.object.is_empty() {
            "the top-level object".into()
        } else {
            format!("`{}`", self.object)
        }
    }
}

/// At most this many are kept; [`DuplicateKeys::total`] counts them all.
const MOST: usize = 1000;

/// The keys given twice in a document: the first [`MOST`] in document order, and how many.
#[derive(Debug, Default)]
pub struct DuplicateKeys {
    pub first: Vec<DuplicateKey>,
    pub total: usize,
}

/// Every key given twice, in document order. None when `text` is not JSON: the caller's own
/// parse reports that.
pub fn duplicate_keys(text: &str) -> DuplicateKeys {
    // Paths cost work per value; only a document that has a repeat pays for them.
    let mut reader = serde_json::Deserializer::from_str(text);
    if !matches!(reader.deserialize_any(Probe), Ok(Repeats(true))) {
        return DuplicateKeys::default();
    }
    let state = RefCell::new(WalkState::default());
    let mut reader = serde_json::Deserializer::from_str(text);
    if (Walk { state: &state }).deserialize(&mut reader).is_err() {
        return DuplicateKeys::default();
    }
    state.into_inner().found
}

/// Reads a whole document from `deserializer` and fails, at the first key an object or mapping
/// repeats, with an error of the deserializer's own kind (so that it carries the place); the
/// key is then in `repeated`. Keys are compared as the strings a string-keyed map would get:
/// YAML's `1` and `"1"` are the same key, `0x10` and `16` are not.
pub fn refuse_repeats<'de, D: Deserializer<'de>>(
    deserializer: D,
    repeated: &RefCell<Option<String>>,
) -> Result<(), D::Error> {
    FirstRepeat { repeated }.deserialize(deserializer)
}

/// The path of an object member: `.Name` for plain names, `["odd key"]` otherwise; the same
/// form as the linter's finding paths.
pub fn member(parent: &str, key: &str) -> String {
    let plain = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    match (plain, parent.is_empty()) {
        (true, true) => key.to_string(),
        (true, false) => format!("{parent}.{key}"),
        (false, _) => format!("{parent}[{}]", serde_json::Value::from(key)),
    }
}

/// The visits of values that cannot hold a key, for the walkers below: each answers `$value`.
/// The 128-bit integers and `none` (an empty document) come from serde_yaml, not serde_json.
macro_rules! scalars_hold_no_keys {
    ($value:expr) => {
        fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_i128<E>(self, _: i128) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_u128<E>(self, _: u128) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_unit<E>(self) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_none<E>(self) -> Result<Self::Value, E> {
            Ok($value)
        }
    };
}

/// Whether any object repeats a key, comparing keys borrowed from the text.
struct Probe;

struct Repeats(bool);

impl<'de> serde::Deserialize<'de> for Repeats {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Repeats, D::Error> {
        deserializer.deserialize_any(Probe)
    }
}

/// A key as read: borrowed unless it held an escape.
struct Key<'de>(Cow<'de, str>);

impl<'de> serde::Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Key<'de>, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string key")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_string())))
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

impl<'de> Visitor<'de> for Probe {
    type Value = Repeats;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    scalars_hold_no_keys!(Repeats(false));

    fn visit_seq<A: SeqAccess<'de>>(self, mut items: A) -> Result<Repeats, A::Error> {
        let mut any = false;
        while let Some(Repeats(inner)) = items.next_element()? {
            any |= inner;
        }
        Ok(Repeats(any))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut entries: A) -> Result<Repeats, A::Error> {
        let mut any = false;
        // A statement has a handful of keys: a scan. An object of thousands gets a set.
        let mut few: Vec<Cow<'de, str>> = Vec::new();
        let mut many: Option<HashSet<Cow<'de, str>>> = None;
        while let Some(Key(key)) = entries.next_key()? {
            let Repeats(inner) = entries.next_value()?;
            any |= inner;
            match &mut many {
                Some(set) => any |= !set.insert(key),
                None => {
                    any |= few.contains(&key);
                    few.push(key);
                    if few.len() > 16 {
                        many = Some(few.drain(..).collect());
                    }
                }
            }
        }
        Ok(Repeats(any))
    }
}

/// One step of the path to the value being read.
enum Step {
    Key(String),
    Index(usize),
}

#[derive(Default)]
struct WalkState {
    steps: Vec<Step>,
    found: DuplicateKeys,
}

impl WalkState {
    /// The path of the value being read, from its steps: built only for a repeat.
    fn path(&self) -> String {
        self.steps
            .iter()
            .fold(String::new(), |path, step| match step {
                Step::Key(key) => member(&path, key),
                Step::Index(index) => format!("{path}[{index}]"),
            })
    }
}

/// Records every repeated key with the path of its object. The path is a stack of steps, so a
/// long key above a long array costs its length once, not once per element.
struct Walk<'a> {
    state: &'a RefCell<WalkState>,
}

impl<'de> DeserializeSeed<'de> for Walk<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Walk<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    scalars_hold_no_keys!(());

    fn visit_seq<A: SeqAccess<'de>>(self, mut items: A) -> Result<(), A::Error> {
        self.state.borrow_mut().steps.push(Step::Index(0));
        let mut index = 0usize;
        loop {
            if let Some(Step::Index(at)) = self.state.borrow_mut().steps.last_mut() {
                *at = index;
            }
            if items
                .next_element_seed(Walk { state: self.state })?
                .is_none()
            {
                break;
            }
            index += 1;
        }
        self.state.borrow_mut().steps.pop();
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut entries: A) -> Result<(), A::Error> {
        let mut seen: HashSet<String> = HashSet::new();
        while let Some(key) = entries.next_key::<String>()? {
            self.state.borrow_mut().steps.push(Step::Key(key.clone()));
            entries.next_value_seed(Walk { state: self.state })?;
            let mut state = self.state.borrow_mut();
            state.steps.pop();
            if !seen.insert(key.clone()) {
                state.found.total += 1;
                if state.found.first.len() < MOST {
                    let object = state.path();
                    state.found.first.push(DuplicateKey { object, key });
                }
            }
        }
        Ok(())
    }
}

/// Stops at the first repeated key (see [`refuse_repeats`]).
struct FirstRepeat<'a> {
    repeated: &'a RefCell<Option<String>>,
}

impl<'de> DeserializeSeed<'de> for FirstRepeat<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for FirstRepeat<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any value")
    }

    scalars_hold_no_keys!(());

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        self.deserialize(deserializer)
    }

    /// A tagged YAML value (`!Ref x`, `!T {a: 1}`): its content is read like any other, since a
    /// map filled from it would keep one of two repeated keys all the same.
    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<(), A::Error> {
        let (IgnoredAny, variant) = data.variant()?;
        variant.newtype_variant_seed(FirstRepeat {
            repeated: self.repeated,
        })
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut items: A) -> Result<(), A::Error> {
        while items
            .next_element_seed(FirstRepeat {
                repeated: self.repeated,
            })?
            .is_some()
        {}
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut entries: A) -> Result<(), A::Error> {
        let mut seen: HashSet<String> = HashSet::new();
        while let Some(key) = entries.next_key::<String>()? {
            if seen.contains(&key) {
                let message = format!("the key `{key}` is given twice");
                *self.repeated.borrow_mut() = Some(key);
                return Err(A::Error::custom(message));
            }
            entries.next_value_seed(FirstRepeat {
                repeated: self.repeated,
            })?;
            seen.insert(key);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_keys_given_twice_at_any_depth_with_their_paths() {
        let text = r#"{"Statement":[{"Effect":"Allow"},{"Condition":{"StringLike":{"s3:prefix":"a"},"StringLike":{"s3:prefix":"*","s3:prefix":"b"}}}],"Statement":[]}"#;
        let found = duplicate_keys(text).first;
        let paths: Vec<String> = found.iter().map(DuplicateKey::path).collect();
        assert_eq!(
            paths,
            [
                r#"Statement[1].Condition.StringLike["s3:prefix"]"#,
                "Statement[1].Condition.StringLike",
                "Statement",
            ]
        );
        assert_eq!(found[0].object, "Statement[1].Condition.StringLike");
        assert_eq!(found[0].key, "s3:prefix");
    }

    #[test]
    fn equal_keys_in_different_objects_and_equal_values_are_not_duplicates() {
        let text = r#"{"a":{"k":1},"b":{"k":1},"c":[{"k":1},{"k":1}],"d":"k"}"#;
        assert_eq!(duplicate_keys(text).total, 0);
    }

    #[test]
    fn keys_differing_only_in_case_or_by_escapes_are_compared_as_read() {
        // JSON keys are case-sensitive; an escaped spelling is the same key once read.
        assert_eq!(duplicate_keys(r#"{"Effect":1,"effect":2}"#).total, 0);
        assert_eq!(duplicate_keys(r#"{"Effect":1,"Eff\u0065ct":2}"#).total, 1);
    }

    #[test]
    fn repeats_are_found_in_objects_of_many_keys() {
        let mut members: Vec<String> = (0..40).map(|i| format!("\"k{i}\":{i}")).collect();
        assert_eq!(
            duplicate_keys(&format!("{{{}}}", members.join(","))).total,
            0
        );
        members.push("\"k3\":0".into());
        let found = duplicate_keys(&format!("[1,{{}},{{{}}}]", members.join(","))).first;
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].path(), "[2].k3");
    }

    #[test]
    fn many_repeats_are_counted_past_the_ones_kept() {
        let statement = r#"{"Effect":"Allow","Effect":"Deny"}"#;
        let text = format!("[{}]", vec![statement; MOST + 5].join(","));
        let found = duplicate_keys(&text);
        assert_eq!((found.first.len(), found.total), (MOST, MOST + 5));
        assert_eq!(found.first[MOST - 1].object, format!("[{}]", MOST - 1));
    }

    #[test]
    fn text_that_is_not_json_gives_nothing_for_the_parser_to_report() {
        assert_eq!(duplicate_keys(r#"{"a":1,"a":"#).total, 0);
        assert_eq!(duplicate_keys("").total, 0);
    }
}
