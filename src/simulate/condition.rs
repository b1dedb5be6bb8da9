//! The `Condition` element: operators, set qualifiers, `...IfExists`, `Null`.
//!
//! IAM rules implemented (IAM User Guide, "Condition operators" and
//! "Conditions with multiple context keys or values"):
//! - Several operators in a block, and several keys under one operator, are
//!   ANDed; several values for one key are ORed; for a negated operator
//!   (`StringNotEquals`, `NotIpAddress`, `ArnNotLike`, ...) they are NORed,
//!   i.e. the negated operator is the negation of its positive form.
//! - A key absent from the request makes a positive operator false and a
//!   negated operator true ("If the key ... is not present in the request
//!   context, the values do not match").
//! - `...IfExists`: true when the key is absent, otherwise the operator.
//! - `Null`: `true` means "the key is absent", `false` "the key is present".
//! - `ForAnyValue:` true when some request value satisfies the operator;
//!   false on a missing or empty key. `ForAllValues:` true when every request
//!   value satisfies it; true on a missing or empty key.
//! - Without a set qualifier a multi-valued key matches when any of its
//!   values matches (and a negated operator when none does).
//! - Key names are case-insensitive; operator names are matched exactly as
//!   IAM spells them.
//!
//! Three-valued logic: a key the caller declared *unknown* yields
//! [`Tri::Unknown`], which propagates with Kleene semantics (false AND
//! unknown = false, true OR unknown = true), so an answer is only reported as
//! certain when no value of the unknown key could change it.

use super::arn::{ArnParts, ArnPattern};
use super::error::{json_type, ParseError};
use super::types::{parse_binary, parse_bool, parse_date, parse_ip, parse_number, Cidr};
use super::variables::{Resolved, Template, VarSource};
use super::wildcard::Glob;
use chrono::{DateTime, Utc};
use serde_json::Value;

/// Kleene three-valued truth.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tri {
    False,
    Unknown,
    True,
}

impl Tri {
    pub(crate) fn from_bool(b: bool) -> Tri {
        if b {
            Tri::True
        } else {
            Tri::False
        }
    }
    pub(crate) fn not(self) -> Tri {
        match self {
            Tri::False => Tri::True,
            Tri::Unknown => Tri::Unknown,
            Tri::True => Tri::False,
        }
    }
    pub(crate) fn and(self, o: Tri) -> Tri {
        match (self, o) {
            (Tri::False, _) | (_, Tri::False) => Tri::False,
            (Tri::True, Tri::True) => Tri::True,
            _ => Tri::Unknown,
        }
    }
    pub(crate) fn or(self, o: Tri) -> Tri {
        match (self, o) {
            (Tri::True, _) | (_, Tri::True) => Tri::True,
            (Tri::False, Tri::False) => Tri::False,
            _ => Tri::Unknown,
        }
    }
}

/// What the request context holds for a key.
pub(crate) enum KeyLookup<'a> {
    Many(&'a [String]),
    One(&'a str),
    Missing,
    Unknown,
}

/// The request context as seen by conditions.
pub(crate) trait ContextSource: VarSource {
    fn lookup_key(&self, key_lc: &str) -> KeyLookup<'_>;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Base {
    StrEq,
    StrEqIc,
    StrLike,
    NumEq,
    NumLt,
    NumLe,
    NumGt,
    NumGe,
    DateEq,
    DateLt,
    DateLe,
    DateGt,
    DateGe,
    Bool,
    Bin,
    Ip,
    Arn,
    Null,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SetQ {
    None,
    ForAll,
    ForAny,
}

#[derive(Debug, Clone)]
enum StrVal {
    Static(String),
    Dynamic(Template),
}

#[derive(Debug, Clone)]
enum LikeVal {
    Static(Glob),
    Dynamic(Template),
}

#[derive(Debug, Clone)]
enum Values {
    Str(Vec<StrVal>),
    Like(Vec<LikeVal>),
    Arn(Vec<ArnPattern>),
    Num(Vec<f64>),
    Date(Vec<DateTime<Utc>>),
    Bool(Vec<bool>),
    Bin(Vec<Vec<u8>>),
    Ip(Vec<Cidr>),
    Null(Vec<bool>),
}

/// One operator/key pair with its policy values.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    /// Operator as written in the policy (for explanations).
    pub(crate) operator: String,
    /// Key as written in the policy (for explanations).
    pub(crate) key: String,
    key_lc: String,
    base: Base,
    negated: bool,
    if_exists: bool,
    set: SetQ,
    values: Values,
}

/// A compiled `Condition` element.
#[derive(Debug, Clone, Default)]
pub(crate) struct ConditionBlock {
    pub(crate) entries: Vec<Entry>,
}

/// Outcome of a condition block.
pub(crate) struct CondResult {
    pub(crate) tri: Tri,
    /// Index of the first entry that evaluated to false.
    pub(crate) failed: Option<usize>,
    /// A key whose unknown value made the block unknown.
    pub(crate) unknown: Option<String>,
}

const OPERATORS: &str = "a condition operator such as StringEquals, StringNotLike, NumericLessThan, DateGreaterThan, Bool, BinaryEquals, IpAddress, NotIpAddress, ArnLike, Null, optionally prefixed ForAllValues:/ForAnyValue: or suffixed IfExists";

fn parse_operator(name: &str) -> Option<(Base, bool, bool, SetQ)> {
    let (set, rest) = if let Some(r) = name.strip_prefix("ForAllValues:") {
        (SetQ::ForAll, r)
    } else if let Some(r) = name.strip_prefix("ForAnyValue:") {
        (SetQ::ForAny, r)
    } else {
        (SetQ::None, name)
    };
    let (if_exists, base) = match rest.strip_suffix("IfExists") {
        Some(b) => (true, b),
        None => (false, rest),
    };
    let (b, neg) = match base {
        "StringEquals" => (Base::StrEq, false),
        "StringNotEquals" => (Base::StrEq, true),
        "StringEqualsIgnoreCase" => (Base::StrEqIc, false),
        "StringNotEqualsIgnoreCase" => (Base::StrEqIc, true),
        "StringLike" => (Base::StrLike, false),
        "StringNotLike" => (Base::StrLike, true),
        "NumericEquals" => (Base::NumEq, false),
        "NumericNotEquals" => (Base::NumEq, true),
        "NumericLessThan" => (Base::NumLt, false),
        "NumericLessThanEquals" => (Base::NumLe, false),
        "NumericGreaterThan" => (Base::NumGt, false),
        "NumericGreaterThanEquals" => (Base::NumGe, false),
        "DateEquals" => (Base::DateEq, false),
        "DateNotEquals" => (Base::DateEq, true),
        "DateLessThan" => (Base::DateLt, false),
        "DateLessThanEquals" => (Base::DateLe, false),
        "DateGreaterThan" => (Base::DateGt, false),
        "DateGreaterThanEquals" => (Base::DateGe, false),
        "Bool" => (Base::Bool, false),
        "BinaryEquals" => (Base::Bin, false),
        "IpAddress" => (Base::Ip, false),
        "NotIpAddress" => (Base::Ip, true),
        "ArnEquals" | "ArnLike" => (Base::Arn, false),
        "ArnNotEquals" | "ArnNotLike" => (Base::Arn, true),
        "Null" => (Base::Null, false),
        _ => return None,
    };
    if b == Base::Null && if_exists {
        return None;
    }
    Some((b, neg, if_exists, set))
}

/// Condition values may be a string, number, boolean or an array of them.
fn scalar_strings(v: &Value, path: &str) -> Result<Vec<(String, String)>, ParseError> {
    let one = |v: &Value, p: String| -> Result<(String, String), ParseError> {
        match v {
            Value::String(s) => Ok((s.clone(), p)),
            Value::Bool(b) => Ok((b.to_string(), p)),
            Value::Number(n) => Ok((n.to_string(), p)),
            other => Err(ParseError::WrongType {
                path: p,
                expected: "a string, number or boolean",
                found: json_type(other),
            }),
        }
    };
    match v {
        Value::Array(a) => a
            .iter()
            .enumerate()
            .map(|(i, x)| one(x, format!("{path}[{i}]")))
            .collect(),
        _ => Ok(vec![one(v, path.to_string())?]),
    }
}

fn typed<T>(
    raw: Vec<(String, String)>,
    expected: &'static str,
    f: impl Fn(&str) -> Option<T>,
) -> Result<Vec<T>, ParseError> {
    raw.into_iter()
        .map(|(s, p)| {
            f(&s).ok_or(ParseError::InvalidValue {
                path: p,
                value: s,
                expected,
            })
        })
        .collect()
}

/// Compiles a `Condition` element found at `path`.
pub(crate) fn parse_condition(v: &Value, path: &str, vars: bool) -> Result<ConditionBlock, ParseError> {
    let Value::Object(ops) = v else {
        return Err(ParseError::WrongType {
            path: path.to_string(),
            expected: "an object of condition operators",
            found: json_type(v),
        });
    };
    let mut entries = Vec::new();
    for (op, keys) in ops {
        let op_path = format!("{path}.{op}");
        let Some((base, negated, if_exists, set)) = parse_operator(op) else {
            return Err(ParseError::UnknownElement {
                path: op_path,
                name: op.clone(),
                expected: OPERATORS,
            });
        };
        let Value::Object(keys) = keys else {
            return Err(ParseError::WrongType {
                path: op_path,
                expected: "an object mapping condition keys to values",
                found: json_type(keys),
            });
        };
        for (key, val) in keys {
            let p = format!("{op_path}.{key}");
            let raw = scalar_strings(val, &p)?;
            let values = match base {
                Base::StrEq => Values::Str(raw.into_iter().map(|(s, _)| str_val(&s, vars, false)).collect()),
                Base::StrEqIc => Values::Str(raw.into_iter().map(|(s, _)| str_val(&s, vars, true)).collect()),
                Base::StrLike => Values::Like(
                    raw.into_iter()
                        .map(|(s, _)| {
                            let t = Template::parse(&s, vars);
                            if t.is_static() {
                                LikeVal::Static(t.static_glob(false))
                            } else {
                                LikeVal::Dynamic(t)
                            }
                        })
                        .collect(),
                ),
                Base::Arn => Values::Arn(raw.into_iter().map(|(s, _)| ArnPattern::new(&s, vars)).collect()),
                Base::NumEq | Base::NumLt | Base::NumLe | Base::NumGt | Base::NumGe => {
                    Values::Num(typed(raw, "a number", parse_number)?)
                }
                Base::DateEq | Base::DateLt | Base::DateLe | Base::DateGt | Base::DateGe => Values::Date(typed(
                    raw,
                    "an ISO 8601 date/time or epoch seconds",
                    parse_date,
                )?),
                Base::Bool => Values::Bool(typed(raw, "true or false", parse_bool)?),
                Base::Bin => Values::Bin(typed(raw, "base-64 encoded binary", parse_binary)?),
                Base::Ip => Values::Ip(typed(raw, "an IPv4/IPv6 address or CIDR range", Cidr::parse)?),
                Base::Null => Values::Null(typed(raw, "true or false", parse_bool)?),
            };
            if key.is_empty() {
                return Err(ParseError::InvalidValue {
                    path: p,
                    value: String::new(),
                    expected: "a non-empty condition key",
                });
            }
            entries.push(Entry {
                operator: op.clone(),
                key: key.clone(),
                key_lc: key.to_lowercase(),
                base,
                negated,
                if_exists,
                set,
                values,
            });
        }
    }
    Ok(ConditionBlock { entries })
}

fn str_val(s: &str, vars: bool, lowercase: bool) -> StrVal {
    let t = Template::parse(s, vars);
    if t.is_static() {
        StrVal::Static(t.static_string(lowercase))
    } else {
        StrVal::Dynamic(t)
    }
}

fn eq_ignore_case(a: &str, b_lc: &str) -> bool {
    if a.is_ascii() {
        a.len() == b_lc.len() && a.eq_ignore_ascii_case(b_lc)
    } else {
        a.to_lowercase() == b_lc
    }
}

/// Collects the first unknown key seen.
fn note(slot: &mut Option<String>, k: String) -> Tri {
    if slot.is_none() {
        *slot = Some(k);
    }
    Tri::Unknown
}

impl Entry {
    /// Result when the key is absent (or an empty set).
    fn on_missing(&self) -> bool {
        match (&self.values, self.if_exists, self.set) {
            (Values::Null(v), _, _) => v.iter().any(|b| *b),
            (_, true, _) => true,
            (_, _, SetQ::ForAll) => true,
            (_, _, SetQ::ForAny) => false,
            (_, _, SetQ::None) => self.negated,
        }
    }

    /// Does context value `c` match any policy value (positive form)?
    fn positive(&self, c: &str, ctx: &dyn ContextSource, unk: &mut Option<String>) -> Tri {
        let mut acc = Tri::False;
        match &self.values {
            Values::Str(vals) => {
                let ic = self.base == Base::StrEqIc;
                for v in vals {
                    let t = match v {
                        StrVal::Static(s) => Tri::from_bool(if ic { eq_ignore_case(c, s) } else { c == s }),
                        StrVal::Dynamic(t) => match t.resolve_string(ctx, ic) {
                            Resolved::Value(s) => Tri::from_bool(if ic { eq_ignore_case(c, &s) } else { c == s }),
                            Resolved::Missing => Tri::False,
                            Resolved::Unknown(k) => note(unk, k),
                        },
                    };
                    acc = acc.or(t);
                    if acc == Tri::True {
                        return acc;
                    }
                }
            }
            Values::Like(vals) => {
                for v in vals {
                    let t = match v {
                        LikeVal::Static(g) => Tri::from_bool(g.matches(c)),
                        LikeVal::Dynamic(t) => match t.resolve_glob(ctx, false) {
                            Resolved::Value(g) => Tri::from_bool(g.matches(c)),
                            Resolved::Missing => Tri::False,
                            Resolved::Unknown(k) => note(unk, k),
                        },
                    };
                    acc = acc.or(t);
                    if acc == Tri::True {
                        return acc;
                    }
                }
            }
            Values::Arn(vals) => {
                let parts = ArnParts::parse(c);
                let Some(parts) = parts else {
                    return Tri::False;
                };
                for v in vals {
                    let t = match v.matches(c, Some(&parts), ctx) {
                        Resolved::Value(b) => Tri::from_bool(b),
                        Resolved::Missing => Tri::False,
                        Resolved::Unknown(k) => note(unk, k),
                    };
                    acc = acc.or(t);
                    if acc == Tri::True {
                        return acc;
                    }
                }
            }
            Values::Num(vals) => {
                let Some(x) = parse_number(c) else {
                    return Tri::False;
                };
                return Tri::from_bool(vals.iter().any(|p| match self.base {
                    Base::NumEq => x == *p,
                    Base::NumLt => x < *p,
                    Base::NumLe => x <= *p,
                    Base::NumGt => x > *p,
                    _ => x >= *p,
                }));
            }
            Values::Date(vals) => {
                let Some(x) = parse_date(c) else {
                    return Tri::False;
                };
                return Tri::from_bool(vals.iter().any(|p| match self.base {
                    Base::DateEq => x == *p,
                    Base::DateLt => x < *p,
                    Base::DateLe => x <= *p,
                    Base::DateGt => x > *p,
                    _ => x >= *p,
                }));
            }
            Values::Bool(vals) => {
                let Some(x) = parse_bool(c) else {
                    return Tri::False;
                };
                return Tri::from_bool(vals.contains(&x));
            }
            Values::Bin(vals) => {
                let Some(x) = parse_binary(c) else {
                    return Tri::False;
                };
                return Tri::from_bool(vals.contains(&x));
            }
            Values::Ip(vals) => {
                let Some(ip) = parse_ip(c) else {
                    return Tri::False;
                };
                return Tri::from_bool(vals.iter().any(|r| r.contains(ip)));
            }
            // Null is decided by presence alone (see `eval`).
            Values::Null(_) => return Tri::False,
        }
        acc
    }

    /// Operator applied to one request value, negation included.
    fn per_value(&self, c: &str, ctx: &dyn ContextSource, unk: &mut Option<String>) -> Tri {
        let p = self.positive(c, ctx, unk);
        if self.negated {
            p.not()
        } else {
            p
        }
    }

    fn eval(&self, ctx: &dyn ContextSource, unk: &mut Option<String>) -> Tri {
        match ctx.lookup_key(&self.key_lc) {
            KeyLookup::Unknown => note(unk, self.key_lc.clone()),
            KeyLookup::Missing => Tri::from_bool(self.on_missing()),
            KeyLookup::Many([]) => Tri::from_bool(self.on_missing()),
            KeyLookup::Many(v) => self.eval_values(v.iter().map(String::as_str), ctx, unk),
            KeyLookup::One(v) => self.eval_values(std::iter::once(v), ctx, unk),
        }
    }

    /// Evaluates against a non-empty set of request values.
    fn eval_values<'a>(
        &self,
        vals: impl Iterator<Item = &'a str>,
        ctx: &dyn ContextSource,
        unk: &mut Option<String>,
    ) -> Tri {
        if let Values::Null(v) = &self.values {
            return Tri::from_bool(v.iter().any(|b| !*b));
        }
        match self.set {
            SetQ::None => {
                let mut any = Tri::False;
                for c in vals {
                    any = any.or(self.positive(c, ctx, unk));
                    if any == Tri::True {
                        break;
                    }
                }
                if self.negated {
                    any.not()
                } else {
                    any
                }
            }
            SetQ::ForAny => {
                let mut acc = Tri::False;
                for c in vals {
                    acc = acc.or(self.per_value(c, ctx, unk));
                    if acc == Tri::True {
                        break;
                    }
                }
                acc
            }
            SetQ::ForAll => {
                let mut acc = Tri::True;
                for c in vals {
                    acc = acc.and(self.per_value(c, ctx, unk));
                    if acc == Tri::False {
                        break;
                    }
                }
                acc
            }
        }
    }
}

impl ConditionBlock {
    /// All entries must hold (AND); reports the first false one.
    pub(crate) fn eval(&self, ctx: &dyn ContextSource) -> CondResult {
        let mut tri = Tri::True;
        let mut unknown = None;
        for (i, e) in self.entries.iter().enumerate() {
            let mut unk = None;
            match e.eval(ctx, &mut unk) {
                Tri::True => {}
                Tri::False => {
                    return CondResult {
                        tri: Tri::False,
                        failed: Some(i),
                        unknown: None,
                    }
                }
                Tri::Unknown => {
                    tri = Tri::Unknown;
                    if unknown.is_none() {
                        unknown = unk;
                    }
                }
            }
        }
        CondResult {
            tri,
            failed: None,
            unknown,
        }
    }
}
