//! Object keys given twice in JSON text.
//!
//! serde_json, like most JSON readers, keeps one value of a key given twice, so a policy whose
//! `Condition` names `StringLike` twice is read with one of its blocks gone, and which one IAM
//! would use is not documented. Policy readers find such keys here and report or refuse them.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashSet;
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

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

    /// The holding object as an error-path prefix: its path, or `line` for a batch line's top
    /// level.
    pub fn object_or_line(&self) -> &str {
        if self.object.is_empty() {
            "line"
        } else {
            &self.object
        }
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

/// At most this many are reported; a document with more is hopeless either way.
const MOST: usize = 1000;

/// Every key given twice, in document order. Empty when `text` is not JSON: the caller's own
/// parse reports that.
pub fn duplicate_keys(text: &str) -> Vec<DuplicateKey> {
    // Paths cost an allocation per value; only a document that has a repeat pays for them.
    let mut reader = serde_json::Deserializer::from_str(text);
    if !matches!(reader.deserialize_any(Probe), Ok(Repeats(true))) {
        return Vec::new();
    }
    let found = RefCell::new(Vec::new());
    let mut reader = serde_json::Deserializer::from_str(text);
    let walk = Walk {
        path: String::new(),
        found: &found,
    };
    if walk.deserialize(&mut reader).is_err() {
        return Vec::new();
    }
    found.into_inner()
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

    fn visit_bool<E>(self, _: bool) -> Result<Repeats, E> {
        Ok(Repeats(false))
    }
    fn visit_i64<E>(self, _: i64) -> Result<Repeats, E> {
        Ok(Repeats(false))
    }
    fn visit_u64<E>(self, _: u64) -> Result<Repeats, E> {
        Ok(Repeats(false))
    }
    fn visit_f64<E>(self, _: f64) -> Result<Repeats, E> {
        Ok(Repeats(false))
    }
    fn visit_str<E>(self, _: &str) -> Result<Repeats, E> {
        Ok(Repeats(false))
    }
    fn visit_unit<E>(self) -> Result<Repeats, E> {
        Ok(Repeats(false))
    }

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

struct Walk<'a> {
    path: String,
    found: &'a RefCell<Vec<DuplicateKey>>,
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

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut items: A) -> Result<(), A::Error> {
        let mut index = 0usize;
        loop {
            let item = Walk {
                path: format!("{}[{index}]", self.path),
                found: self.found,
            };
            if items.next_element_seed(item)?.is_none() {
                return Ok(());
            }
            index += 1;
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut entries: A) -> Result<(), A::Error> {
        let mut seen: HashSet<String> = HashSet::new();
        while let Some(key) = entries.next_key::<String>()? {
            let value = Walk {
                path: member(&self.path, &key),
                found: self.found,
            };
            entries.next_value_seed(value)?;
            if !seen.insert(key.clone()) {
                let mut found = self.found.borrow_mut();
                if found.len() < MOST {
                    found.push(DuplicateKey {
                        object: self.path.clone(),
                        key,
                    });
                }
            }
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
        let found = duplicate_keys(text);
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
        assert!(duplicate_keys(text).is_empty());
    }

    #[test]
    fn keys_differing_only_in_case_or_by_escapes_are_compared_as_read() {
        // JSON keys are case-sensitive; an escaped spelling is the same key once read.
        assert!(duplicate_keys(r#"{"Effect":1,"effect":2}"#).is_empty());
        assert_eq!(duplicate_keys(r#"{"Effect":1,"Eff\u0065ct":2}"#).len(), 1);
    }

    #[test]
    fn repeats_are_found_in_objects_of_many_keys() {
        let mut members: Vec<String> = (0..40).map(|i| format!("\"k{i}\":{i}")).collect();
        assert!(duplicate_keys(&format!("{{{}}}", members.join(","))).is_empty());
        members.push("\"k3\":0".into());
        let found = duplicate_keys(&format!("[{{{}}}]", members.join(",")));
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].path(), "[0].k3");
    }

    #[test]
    fn text_that_is_not_json_gives_nothing_for_the_parser_to_report() {
        assert!(duplicate_keys(r#"{"a":1,"a":"#).is_empty());
        assert!(duplicate_keys("").is_empty());
    }
}
