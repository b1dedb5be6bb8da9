//! A borrowed JSON tree for compiling policies.
//!
//! `serde_json::Value` (with the crate-wide `preserve_order` feature) gives
//! every object a hash index and every key and string its own allocation;
//! compiling a policy only walks the document once, so [`Json`] keeps
//! objects as vectors in document order and borrows strings from the input
//! text where it can. It reads what `Value` reads, except that a key given
//! twice in one object is an error (`Value` would keep the last value, and
//! which one IAM uses is not documented); numbers are `serde_json::Number`s,
//! and [`Json::to_value`] rebuilds the same `Value` (used only to quote a
//! value in an error message).

use serde::de::{Deserialize, Deserializer, Error as _, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};
use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;

/// A JSON value borrowing its strings from the input where possible.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Json<'a> {
    Null,
    Bool(bool),
    Num(Number),
    Str(Cow<'a, str>),
    Arr(Vec<Json<'a>>),
    Obj(Vec<(Cow<'a, str>, Json<'a>)>),
}

impl<'a> Json<'a> {
    /// Borrows a `Value` (same tree, no string copies).
    pub(crate) fn from_value(v: &'a Value) -> Json<'a> {
        match v {
            Value::Null => Json::Null,
            Value::Bool(b) => Json::Bool(*b),
            Value::Number(n) => Json::Num(n.clone()),
            Value::String(s) => Json::Str(Cow::Borrowed(s)),
            Value::Array(a) => Json::Arr(a.iter().map(Json::from_value).collect()),
            Value::Object(m) => Json::Obj(
                m.iter()
                    .map(|(k, v)| (Cow::Borrowed(k.as_str()), Json::from_value(v)))
                    .collect(),
            ),
        }
    }

    /// The equivalent `Value`.
    pub(crate) fn to_value(&self) -> Value {
        match self {
            Json::Null => Value::Null,
            Json::Bool(b) => Value::Bool(*b),
            Json::Num(n) => Value::Number(n.clone()),
            Json::Str(s) => Value::String(s.to_string()),
            Json::Arr(a) => Value::Array(a.iter().map(Json::to_value).collect()),
            Json::Obj(m) => {
                let mut out = Map::new();
                for (k, v) in m {
                    out.insert(k.to_string(), v.to_value());
                }
                Value::Object(out)
            }
        }
    }

    /// Name of the value's type, for error messages (as `json_type`).
    pub(crate) fn type_name(&self) -> &'static str {
        match self {
            Json::Null => "null",
            Json::Bool(_) => "a boolean",
            Json::Num(_) => "a number",
            Json::Str(_) => "a string",
            Json::Arr(_) => "an array",
            Json::Obj(_) => "an object",
        }
    }

    pub(crate) fn is_null(&self) -> bool {
        matches!(self, Json::Null)
    }

    pub(crate) fn is_string(&self) -> bool {
        matches!(self, Json::Str(_))
    }

    pub(crate) fn is_array(&self) -> bool {
        matches!(self, Json::Arr(_))
    }

    /// Member of an object.
    pub(crate) fn get(&self, key: &str) -> Option<&Json<'a>> {
        match self {
            Json::Obj(m) => m.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }
}

impl fmt::Display for Json<'_> {
    /// Compact JSON text, as `Value`'s `Display`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.to_value(), f)
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Json<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Json<'a>, D::Error> {
        d.deserialize_any(JsonVisitor(std::marker::PhantomData))
    }
}

struct JsonVisitor<'a>(std::marker::PhantomData<&'a ()>);

/// Room allocated for an array's and an object's members when the first one arrives (a
/// statement has up to five members): one allocation instead of `Vec`'s growth, which costs
/// more even for the first. Empty arrays and objects allocate nothing.
const ARRAY_ROOM: usize = 4;
const OBJECT_ROOM: usize = 6;

/// Objects with more members than this find repeated keys through a hash
/// index instead of a linear scan.
pub(crate) const LINEAR_KEYS: usize = 16;

impl<'de: 'a, 'a> Visitor<'de> for JsonVisitor<'a> {
    type Value = Json<'a>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any valid JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Json<'a>, E> {
        Ok(Json::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Json<'a>, E> {
        Ok(Json::Num(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Json<'a>, E> {
        Ok(Json::Num(v.into()))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Json<'a>, E> {
        // As `Value`: a non-finite float becomes null.
        Ok(Number::from_f64(v).map_or(Json::Null, Json::Num))
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Json<'a>, E> {
        Ok(Json::Str(Cow::Borrowed(v)))
    }

    fn visit_str<E>(self, v: &str) -> Result<Json<'a>, E> {
        Ok(Json::Str(Cow::Owned(v.to_string())))
    }

    fn visit_string<E>(self, v: String) -> Result<Json<'a>, E> {
        Ok(Json::Str(Cow::Owned(v)))
    }

    fn visit_none<E>(self) -> Result<Json<'a>, E> {
        Ok(Json::Null)
    }

    fn visit_unit<E>(self) -> Result<Json<'a>, E> {
        Ok(Json::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Json<'a>, D::Error> {
        Json::deserialize(d)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json<'a>, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(v) = seq.next_element::<Json<'a>>()? {
            if out.capacity() == 0 {
                out = Vec::with_capacity(ARRAY_ROOM);
            }
            out.push(v);
        }
        Ok(Json::Arr(out))
    }

    fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Json<'a>, M::Error> {
        let mut out: Vec<(Cow<'a, str>, Json<'a>)> = Vec::new();
        let mut index: Option<HashMap<Cow<'a, str>, usize>> = None;
        while let Some(k) = map.next_key::<KeyStr<'a>>()? {
            let v = map.next_value::<Json<'a>>()?;
            let k = k.0;
            if out.capacity() == 0 {
                out = Vec::with_capacity(OBJECT_ROOM);
            }
            if out.len() == LINEAR_KEYS && index.is_none() {
                index = Some(
                    out.iter()
                        .enumerate()
                        .map(|(i, (k, _))| (k.clone(), i))
                        .collect(),
                );
            }
            let at = match &index {
                Some(ix) => ix.get(&k).copied(),
                None => out.iter().position(|(x, _)| *x == k),
            };
            match at {
                Some(_) => {
                    return Err(M::Error::custom(format_args!(
                        "the key {} is given twice in one object",
                        Value::from(k.as_ref())
                    )))
                }
                None => {
                    if let Some(ix) = &mut index {
                        ix.insert(k.clone(), out.len());
                    }
                    out.push((k, v));
                }
            }
        }
        Ok(Json::Obj(out))
    }
}

/// An object key, borrowed when it has no escapes.
pub(crate) struct KeyStr<'a>(pub(crate) Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for KeyStr<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<KeyStr<'a>, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = KeyStr<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string key")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<KeyStr<'a>, E> {
                Ok(KeyStr(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<KeyStr<'a>, E> {
                Ok(KeyStr(Cow::Owned(v.to_string())))
            }
            fn visit_string<E>(self, v: String) -> Result<KeyStr<'a>, E> {
                Ok(KeyStr(Cow::Owned(v)))
            }
        }
        d.deserialize_str(V(std::marker::PhantomData))
    }
}

/// Parses JSON text into a [`Json`] tree borrowing from `text`.
pub(crate) fn parse(text: &str) -> Result<Json<'_>, serde_json::Error> {
    serde_json::from_str(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_given_twice_is_an_error_in_small_and_large_objects() {
        for (text, key) in [
            (r#"{"a":1,"b":[true,null,"x\n"],"a":{"c":2.5,"d":-3}}"#, "a"),
            (
                r#"{"k0":0,"k1":1,"k2":2,"k3":3,"k4":4,"k5":5,"k6":6,"k7":7,"k8":8,"k9":9,"k10":10,"k11":11,"k12":12,"k13":13,"k14":14,"k15":15,"k16":16,"k17":17,"k3":"again"}"#,
                "k3",
            ),
            (r#"[{"x":{"Effect":1,"Eff\u0065ct":2}}]"#, "Effect"),
        ] {
            let error = parse(text).map(|_| ()).map_err(|e| e.to_string());
            let expected = format!("the key \"{key}\" is given twice in one object");
            assert!(
                error
                    .as_ref()
                    .err()
                    .is_some_and(|e| e.starts_with(&expected)),
                "{text}: {error:?}"
            );
        }
        // Keys are case-sensitive, as in `Value`.
        assert!(parse(r#"{"Effect":1,"effect":2}"#).is_ok());
    }

    #[test]
    fn same_tree_as_value() {
        for text in [
            r#"{"a":1,"b":[true,null,"x\n"],"c":{"c":2.5,"d":-3}}"#,
            r#"[1e400, 18446744073709551615, -9223372036854775808, 0.1]"#,
            r#""\ud83d\ude00 esc \" q""#,
            r#"{"k0":0,"k1":1,"k2":2,"k3":3,"k4":4,"k5":5,"k6":6,"k7":7,"k8":8,"k9":9,"k10":10,"k11":11,"k12":12,"k13":13,"k14":14,"k15":15,"k16":16,"k17":17,"k18":"again","k19":"last"}"#,
        ] {
            let v: Result<Value, _> = serde_json::from_str(text);
            let j = parse(text).map(|j| j.to_value());
            assert_eq!(j.ok(), v.ok(), "{text}");
        }
        let v: Value = serde_json::from_str(r#"{"x":[1,{"y":"z"}]}"#).unwrap_or_default();
        assert_eq!(Json::from_value(&v).to_value(), v);
        assert_eq!(
            parse("{").map_err(|e| e.to_string()).err(),
            serde_json::from_str::<Value>("{")
                .map_err(|e| e.to_string())
                .err()
        );
    }
}
