//! The `Condition` element: operators, set qualifiers, `...IfExists`, `Null`.
//!
//! IAM rules implemented (IAM User Guide, "Condition operators" and
//! "Conditions with multiple context keys or values"):
//! - Several operators in a block, and several keys under one operator, are
//!   ANDed; several values for one key are ORed; for a negated operator
//!   (`StringNotEquals`, `NotIpAddress`, `ArnNotLike`, ...) they are NORed
//!   (true only when the request value matches none of them). A policy value
//!   whose variable has no value satisfies neither form.
//! - A key absent from the request makes a positive operator false and a
//!   negated operator true ("If the key ... is not present in the request
//!   context, the values do not match").
//! - `...IfExists`: true when the key is absent, otherwise the operator
//!   (but see `ForAnyValue` below).
//! - `Null`: `true` means "the key is absent", `false` "the key is present
//!   and its value is not null"; an empty multi-valued key counts as absent
//!   ("Multivalued context keys examples": use `Null: false` "to check if the
//!   context key in the request exists and its value is not null").
//! - `ForAnyValue:` true when some request value satisfies the operator;
//!   false on a missing or empty key, with or without `IfExists`.
//! - `ForAllValues:` true when every request value satisfies it; true on a
//!   missing or empty key.
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
use super::error::ParseError;
use super::json::Json;
use super::types::{parse_binary, parse_bool, parse_date, parse_ip, parse_number, Cidr};
use super::variables::{has_variable, Resolved, Template, VarSource};
use super::wildcard::{lowercase as lower, Glob};
use chrono::{DateTime, Utc};
use std::borrow::Cow;

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

/// A condition operator as parsed by [`parse_operator`]: base operator, negated, `IfExists`,
/// set qualifier.
#[derive(Clone, Copy)]
pub(crate) struct Operator(Base, bool, bool, SetQ);

pub(crate) fn parse_operator(name: &str) -> Option<Operator> {
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
    // As lint: Null already tests presence, so it takes neither IfExists nor a set qualifier.
    if b == Base::Null && (if_exists || set != SetQ::None) {
        return None;
    }
    Some(Operator(b, neg, if_exists, set))
}

/// Condition values as text, each with its index in the array (`None` for a
/// lone value).
pub(crate) type RawValues<'v> = Vec<(Cow<'v, str>, Option<usize>)>;

/// Condition values may be a string, number, boolean or an array of them.
/// Each value comes with its index in the array (`None` for a lone value),
/// from which its path is built only if it turns out to be invalid.
fn scalar_strings<'v>(
    v: &'v Json<'_>,
    path: &dyn Fn() -> String,
) -> Result<RawValues<'v>, ParseError> {
    let one =
        |v: &'v Json<'_>, i: Option<usize>| -> Result<(Cow<'v, str>, Option<usize>), ParseError> {
            match v {
                Json::Str(s) => Ok((Cow::Borrowed(s.as_ref()), i)),
                Json::Bool(b) => Ok((Cow::Owned(b.to_string()), i)),
                Json::Num(n) => Ok((Cow::Owned(n.to_string()), i)),
                other => Err(ParseError::WrongType {
                    path: value_path(path, i),
                    expected: "a string, number or boolean",
                    found: other.type_name(),
                }),
            }
        };
    match v {
        Json::Arr(a) => a.iter().enumerate().map(|(i, x)| one(x, Some(i))).collect(),
        _ => Ok(vec![one(v, None)?]),
    }
}

fn value_path(path: &dyn Fn() -> String, i: Option<usize>) -> String {
    match i {
        Some(i) => format!("{}[{i}]", path()),
        None => path(),
    }
}

fn typed<T>(
    raw: RawValues<'_>,
    path: &dyn Fn() -> String,
    expected: &'static str,
    f: impl Fn(&str) -> Option<T>,
) -> Result<Vec<T>, ParseError> {
    raw.into_iter()
        .map(|(s, i)| {
            f(&s).ok_or_else(|| ParseError::InvalidValue {
                path: value_path(path, i),
                value: s.into_owned(),
                expected,
            })
        })
        .collect()
}

/// Compiles a `Condition` element found at `path` (built only for an error).
pub(crate) fn parse_condition(
    v: &Json<'_>,
    path: &dyn Fn() -> String,
    vars: bool,
) -> Result<ConditionBlock, ParseError> {
    let Json::Obj(ops) = v else {
        return Err(ParseError::WrongType {
            path: path(),
            expected: "an object of condition operators",
            found: v.type_name(),
        });
    };
    let mut entries = Vec::new();
    for (op, keys) in ops {
        let Some(operator) = parse_operator(op) else {
            return Err(ParseError::UnknownElement {
                path: format!("{}.{op}", path()),
                name: op.to_string(),
                expected: OPERATORS,
            });
        };
        let Json::Obj(keys) = keys else {
            return Err(ParseError::WrongType {
                path: format!("{}.{op}", path()),
                expected: "an object mapping condition keys to values",
                found: keys.type_name(),
            });
        };
        for (key, val) in keys {
            // The path is only needed for an error.
            let p = || format!("{}.{op}.{key}", path());
            let raw = scalar_strings(val, &p)?;
            entries.push(compile_entry(op, operator, key, raw, &p, vars)?);
        }
    }
    Ok(ConditionBlock { entries })
}

/// Compiles one operator/key pair from its values as text (`p` builds the pair's path, only
/// for an error).
pub(crate) fn compile_entry(
    op: &str,
    Operator(base, negated, if_exists, set): Operator,
    key: &str,
    raw: RawValues<'_>,
    p: &dyn Fn() -> String,
    vars: bool,
) -> Result<Entry, ParseError> {
    let values = match base {
        Base::StrEq => Values::Str(
            raw.into_iter()
                .map(|(s, _)| str_val(&s, vars, false))
                .collect(),
        ),
        Base::StrEqIc => Values::Str(
            raw.into_iter()
                .map(|(s, _)| str_val(&s, vars, true))
                .collect(),
        ),
        Base::StrLike => Values::Like(
            raw.into_iter()
                .map(|(s, _)| {
                    if !vars || !has_variable(&s) {
                        return LikeVal::Static(Glob::new(&s));
                    }
                    let t = Template::parse(&s, vars);
                    if t.is_static() {
                        LikeVal::Static(t.static_glob(false))
                    } else {
                        LikeVal::Dynamic(t)
                    }
                })
                .collect(),
        ),
        Base::Arn => Values::Arn(
            raw.into_iter()
                .map(|(s, _)| ArnPattern::new(&s, vars))
                .collect(),
        ),
        Base::NumEq | Base::NumLt | Base::NumLe | Base::NumGt | Base::NumGe => {
            Values::Num(typed(raw, p, "a number", parse_number)?)
        }
        Base::DateEq | Base::DateLt | Base::DateLe | Base::DateGt | Base::DateGe => Values::Date(
            typed(raw, p, "an ISO 8601 date/time or epoch seconds", parse_date)?,
        ),
        Base::Bool => Values::Bool(typed(raw, p, "true or false", parse_bool)?),
        Base::Bin => Values::Bin(typed(raw, p, "base-64 encoded binary", parse_binary)?),
        Base::Ip => Values::Ip(typed(
            raw,
            p,
            "an IPv4/IPv6 address or CIDR range",
            Cidr::parse,
        )?),
        Base::Null => Values::Null(typed(raw, p, "true or false", parse_bool)?),
    };
    if key.is_empty() {
        return Err(ParseError::InvalidValue {
            path: p(),
            value: String::new(),
            expected: "a non-empty condition key",
        });
    }
    Ok(Entry {
        operator: op.to_string(),
        key: key.to_string(),
        key_lc: lower(key),
        base,
        negated,
        if_exists,
        set,
        values,
    })
}

fn str_val(s: &str, vars: bool, lowercase: bool) -> StrVal {
    if !vars || !has_variable(s) {
        // One text part: the template route would return the same text.
        return StrVal::Static(if lowercase { lower(s) } else { s.to_string() });
    }
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
        // ForAnyValue on an empty set is false even with IfExists (an Allow
        // with `ForAnyValue:StringEqualsIfExists` on an absent aws:TagKeys is
        // refused by AWS); ForAllValues is true either way.
        match (&self.values, self.set, self.if_exists) {
            (Values::Null(v), _, _) => v.iter().any(|b| *b),
            (_, SetQ::ForAll, _) => true,
            (_, SetQ::ForAny, _) => false,
            (_, SetQ::None, true) => true,
            (_, SetQ::None, false) => self.negated,
        }
    }

    /// Applies the operator to one request value `c` against all policy
    /// values: OR of matches for a positive operator, NOR for a negated one.
    /// A policy value whose variable has no value never satisfies the
    /// comparison, whatever the polarity ("any attempt to match it fails");
    /// nor does a request value the operator cannot read as its type (a
    /// number, date, IP address or ARN): `NotIpAddress` on `garbage` is
    /// false, not true, so a malformed value never satisfies an Allow.
    fn test(&self, c: &str, neg: bool, ctx: &dyn ContextSource, unk: &mut Option<String>) -> Tri {
        let fold = |it: &mut dyn Iterator<Item = Pv>, unk: &mut Option<String>| -> Tri {
            let mut acc = Tri::from_bool(neg);
            for v in it {
                let t = match (v, neg) {
                    (Pv::Hit, false) | (Pv::Miss, true) => Tri::True,
                    (Pv::Hit, true) | (Pv::Miss, false) | (Pv::Fail, _) => Tri::False,
                    (Pv::Unknown(k), _) => note(unk, k),
                };
                acc = if neg { acc.and(t) } else { acc.or(t) };
                if acc == Tri::from_bool(!neg) {
                    break;
                }
            }
            acc
        };
        let hit = |b: bool| if b { Pv::Hit } else { Pv::Miss };
        let resolved = |r: Resolved<bool>| match r {
            Resolved::Value(b) => hit(b),
            Resolved::Missing => Pv::Fail,
            Resolved::Unknown(k) => Pv::Unknown(k),
        };
        match &self.values {
            Values::Str(vals) => {
                let ic = self.base == Base::StrEqIc;
                let eq = |a: &str, b: &str| if ic { eq_ignore_case(a, b) } else { a == b };
                fold(
                    &mut vals.iter().map(|v| match v {
                        StrVal::Static(s) => hit(eq(c, s)),
                        StrVal::Dynamic(t) => resolved(match t.resolve_string(ctx, ic) {
                            Resolved::Value(s) => Resolved::Value(eq(c, &s)),
                            Resolved::Missing => Resolved::Missing,
                            Resolved::Unknown(k) => Resolved::Unknown(k),
                        }),
                    }),
                    unk,
                )
            }
            Values::Like(vals) => fold(
                &mut vals.iter().map(|v| match v {
                    LikeVal::Static(g) => hit(g.matches(c)),
                    LikeVal::Dynamic(t) => resolved(match t.resolve_glob(ctx, false) {
                        Resolved::Value(g) => Resolved::Value(g.matches(c)),
                        Resolved::Missing => Resolved::Missing,
                        Resolved::Unknown(k) => Resolved::Unknown(k),
                    }),
                }),
                unk,
            ),
            Values::Arn(vals) => {
                let parts = ArnParts::parse(c);
                match parts {
                    Some(parts) => fold(
                        &mut vals
                            .iter()
                            .map(|v| resolved(v.matches(c, Some(&parts), ctx))),
                        unk,
                    ),
                    // Not an ARN: the comparison fails, negated or not.
                    None => fold(&mut vals.iter().map(|_| Pv::Fail), unk),
                }
            }
            Values::Num(vals) => {
                let Some(x) = parse_number(c) else {
                    return fold(&mut vals.iter().map(|_| Pv::Fail), unk);
                };
                fold(
                    &mut vals.iter().map(|p| {
                        hit(match self.base {
                            Base::NumEq => x == *p,
                            Base::NumLt => x < *p,
                            Base::NumLe => x <= *p,
                            Base::NumGt => x > *p,
                            _ => x >= *p,
                        })
                    }),
                    unk,
                )
            }
            Values::Date(vals) => {
                let Some(x) = parse_date(c) else {
                    return fold(&mut vals.iter().map(|_| Pv::Fail), unk);
                };
                fold(
                    &mut vals.iter().map(|p| {
                        hit(match self.base {
                            Base::DateEq => x == *p,
                            Base::DateLt => x < *p,
                            Base::DateLe => x <= *p,
                            Base::DateGt => x > *p,
                            _ => x >= *p,
                        })
                    }),
                    unk,
                )
            }
            Values::Bool(vals) => {
                let x = parse_bool(c);
                fold(&mut vals.iter().map(|p| hit(x == Some(*p))), unk)
            }
            Values::Bin(vals) => {
                let x = parse_binary(c);
                fold(&mut vals.iter().map(|p| hit(x.as_ref() == Some(p))), unk)
            }
            Values::Ip(vals) => {
                let Some(ip) = parse_ip(c) else {
                    return fold(&mut vals.iter().map(|_| Pv::Fail), unk);
                };
                fold(&mut vals.iter().map(|r| hit(r.contains(ip))), unk)
            }
            // Null is decided by presence alone (see `eval_values`).
            Values::Null(_) => Tri::False,
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
        // Without a qualifier a negated operator needs every request value to
        // miss every policy value; a positive one needs some value to hit.
        let all = match self.set {
            SetQ::None => self.negated,
            SetQ::ForAll => true,
            SetQ::ForAny => false,
        };
        let mut acc = Tri::from_bool(all);
        for c in vals {
            let t = self.test(c, self.negated, ctx, unk);
            acc = if all { acc.and(t) } else { acc.or(t) };
            if acc == Tri::from_bool(!all) {
                break;
            }
        }
        acc
    }
}

/// One policy value compared with one request value.
enum Pv {
    Hit,
    Miss,
    /// A variable in the policy value has no value.
    Fail,
    Unknown(String),
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
