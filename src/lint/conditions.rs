//! Condition checks: operators and qualifiers, value types, known keys,
//! whether a key applies to the statement's actions, and set-operator traps.

use serde_json::{Map, Value};

use super::actions::Resolved;
use super::codes::Code;
use super::context::{member, Ctx};
use super::document::{Effect, Stmt};
use super::suggest::{closest, did_you_mean};
use super::variables;
use crate::reference::{key_pattern_matches, Action, ConditionKey, ConditionKeyType, Reference};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Cat {
    String,
    Numeric,
    Date,
    Bool,
    Binary,
    Ip,
    Arn,
    Null,
}

const OPERATORS: [(&str, Cat); 27] = [
    ("StringEquals", Cat::String),
    ("StringNotEquals", Cat::String),
    ("StringEqualsIgnoreCase", Cat::String),
    ("StringNotEqualsIgnoreCase", Cat::String),
    ("StringLike", Cat::String),
    ("StringNotLike", Cat::String),
    ("NumericEquals", Cat::Numeric),
    ("NumericNotEquals", Cat::Numeric),
    ("NumericLessThan", Cat::Numeric),
    ("NumericLessThanEquals", Cat::Numeric),
    ("NumericGreaterThan", Cat::Numeric),
    ("NumericGreaterThanEquals", Cat::Numeric),
    ("DateEquals", Cat::Date),
    ("DateNotEquals", Cat::Date),
    ("DateLessThan", Cat::Date),
    ("DateLessThanEquals", Cat::Date),
    ("DateGreaterThan", Cat::Date),
    ("DateGreaterThanEquals", Cat::Date),
    ("Bool", Cat::Bool),
    ("BinaryEquals", Cat::Binary),
    ("IpAddress", Cat::Ip),
    ("NotIpAddress", Cat::Ip),
    ("ArnEquals", Cat::Arn),
    ("ArnLike", Cat::Arn),
    ("ArnNotEquals", Cat::Arn),
    ("ArnNotLike", Cat::Arn),
    ("Null", Cat::Null),
];

fn cat_name(cat: Cat) -> &'static str {
    match cat {
        Cat::String => "String",
        Cat::Numeric => "Numeric",
        Cat::Date => "Date",
        Cat::Bool => "Bool",
        Cat::Binary => "Binary",
        Cat::Ip => "IP address",
        Cat::Arn => "ARN",
        Cat::Null => "Null",
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Qualifier {
    ForAllValues,
    ForAnyValue,
}

struct Operator {
    qualifier: Option<Qualifier>,
    base: &'static str,
    cat: Cat,
}

/// Parses `[ForAllValues:|ForAnyValue:]Base[IfExists]`, case-insensitively.
fn parse_operator(text: &str) -> Result<Operator, String> {
    let lower = text.to_ascii_lowercase();
    let (qualifier, rest) = if let Some(r) = lower.strip_prefix("forallvalues:") {
        (Some(Qualifier::ForAllValues), r)
    } else if let Some(r) = lower.strip_prefix("foranyvalue:") {
        (Some(Qualifier::ForAnyValue), r)
    } else if let Some((q, _)) = lower.split_once(':') {
        return Err(format!(
            "`{}` is not a qualifier (use ForAllValues: or ForAnyValue:)",
            &text[..q.len()]
        ));
    } else {
        (None, lower.as_str())
    };
    let (base_text, if_exists) = match rest.strip_suffix("ifexists") {
        Some(b) => (b, true),
        None => (rest, false),
    };
    let Some(&(base, cat)) = OPERATORS
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(base_text))
    else {
        return Err(format!("`{text}` is not a condition operator"));
    };
    if cat == Cat::Null && if_exists {
        return Err(
            "Null cannot be combined with IfExists: Null already tests whether the key exists"
                .to_string(),
        );
    }
    if cat == Cat::Null && qualifier.is_some() {
        return Err("Null cannot take a ForAllValues/ForAnyValue qualifier".to_string());
    }
    // IAM's documentation spells every operator one way and does not say other spellings work;
    // `simulate` reads only that spelling, so lint holds policies to it too.
    let spelled = format!(
        "{}{base}{}",
        match qualifier {
            Some(Qualifier::ForAllValues) => "ForAllValues:",
            Some(Qualifier::ForAnyValue) => "ForAnyValue:",
            None => "",
        },
        if if_exists { "IfExists" } else { "" }
    );
    if spelled != text {
        return Err(format!(
            "`{text}` is spelled `{spelled}` in IAM's documentation, which names no other spelling"
        ));
    }
    Ok(Operator {
        qualifier,
        base,
        cat,
    })
}

fn operator_suggestion(text: &str) -> Option<String> {
    let (prefix, rest) = match text.split_once(':') {
        Some((q, r)) => {
            let q = closest(q, ["ForAllValues", "ForAnyValue"])?;
            (format!("{q}:"), r)
        }
        None => (String::new(), text),
    };
    let (body, suffix) = match rest.strip_suffix("IfExists") {
        Some(b) => (b, "IfExists"),
        None => (rest, ""),
    };
    closest(body, OPERATORS.iter().map(|(n, _)| *n)).map(|b| format!("{prefix}{b}{suffix}"))
}

fn is_date(s: &str) -> bool {
    if !s.is_empty() && s.chars().all(|c| c.is_ascii_digit()) {
        return true; // epoch seconds
    }
    let b = s.as_bytes();
    let digits =
        |r: std::ops::Range<usize>| b.get(r).is_some_and(|x| x.iter().all(u8::is_ascii_digit));
    if !(digits(0..4)
        && b.get(4) == Some(&b'-')
        && digits(5..7)
        && b.get(7) == Some(&b'-')
        && digits(8..10))
    {
        return false;
    }
    match b.get(10) {
        None => true,
        Some(b'T') => {
            digits(11..13)
                && b.get(13) == Some(&b':')
                && digits(14..16)
                && s[16..]
                    .chars()
                    .all(|c| c.is_ascii_digit() || matches!(c, ':' | '.' | 'Z' | '+' | '-'))
        }
        _ => false,
    }
}

fn is_ip(s: &str) -> bool {
    let (addr, prefix) = match s.split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (s, None),
    };
    let Ok(ip) = addr.parse::<std::net::IpAddr>() else {
        return false;
    };
    let max = if ip.is_ipv4() { 32 } else { 128 };
    prefix.map_or(true, |p| p.parse::<u8>().is_ok_and(|n| n <= max))
}

/// The network address of a CIDR block whose host bits are set
/// (`10.1.2.3/8` -> `10.0.0.0/8`), or `None` when it is already clean.
fn cleaner_cidr(s: &str) -> Option<String> {
    let (addr, prefix) = s.split_once('/')?;
    let prefix: u32 = prefix.parse().ok()?;
    match addr.parse::<std::net::IpAddr>().ok()? {
        std::net::IpAddr::V4(a) => {
            let bits = u32::from(a);
            let mask = u32::MAX.checked_shl(32 - prefix.min(32)).unwrap_or(0);
            (bits & !mask != 0)
                .then(|| format!("{}/{prefix}", std::net::Ipv4Addr::from(bits & mask)))
        }
        std::net::IpAddr::V6(a) => {
            let bits = u128::from(a);
            let mask = u128::MAX.checked_shl(128 - prefix.min(128)).unwrap_or(0);
            (bits & !mask != 0)
                .then(|| format!("{}/{prefix}", std::net::Ipv6Addr::from(bits & mask)))
        }
    }
}

/// Why `value` cannot be read by an operator of category `cat`, if it cannot.
fn value_problem(cat: Cat, value: &Value) -> Option<&'static str> {
    if let Value::String(s) = value {
        if s.contains("${") {
            return None; // substituted at request time
        }
    }
    match (cat, value) {
        (_, Value::Object(_) | Value::Array(_) | Value::Null) => {
            Some("a condition value must be a string, number or boolean")
        }
        (Cat::Numeric, Value::Number(_)) => None,
        (Cat::Numeric, Value::String(s)) if s.trim().parse::<f64>().is_ok() => None,
        (Cat::Numeric, _) => Some("it needs a number"),
        (Cat::Date, Value::Number(n)) if n.is_u64() => None,
        (Cat::Date, Value::String(s)) if is_date(s) => None,
        (Cat::Date, _) => Some("it needs an ISO 8601 date (2026-01-31T00:00:00Z) or epoch seconds"),
        (Cat::Bool | Cat::Null, Value::Bool(_)) => None,
        (Cat::Bool | Cat::Null, Value::String(s))
            if s.eq_ignore_ascii_case("true") || s.eq_ignore_ascii_case("false") =>
        {
            None
        }
        (Cat::Bool, _) => Some("it needs \"true\" or \"false\""),
        (Cat::Null, _) => Some("it needs \"true\" (key absent) or \"false\" (key present)"),
        (Cat::Ip, Value::String(s)) if is_ip(s) => None,
        (Cat::Ip, _) => Some("it needs an IPv4/IPv6 address or CIDR block"),
        // ARN operators compare six components; a shorter value matches nothing (and a negated
        // one therefore always holds), which `simulate` decides the same way.
        (Cat::Arn, Value::String(s)) if s != "*" && s.split(':').count() < 6 => Some(
            "an ARN operator compares six components (arn:partition:service:region:account:resource), and a value with fewer matches nothing",
        ),
        _ => None,
    }
}

/// Whether the operator's category fits the key's type. Lenient: string and
/// ARN operators work on most keys, so only clear misfits are reported.
fn type_fits(cat: Cat, key_type: &ConditionKeyType) -> bool {
    let base = key_type.base();
    match cat {
        Cat::Numeric => *base == ConditionKeyType::Numeric,
        Cat::Date => *base == ConditionKeyType::Date,
        Cat::Bool => *base == ConditionKeyType::Bool,
        Cat::Ip => *base == ConditionKeyType::IpAddress,
        Cat::Arn => !matches!(
            base,
            ConditionKeyType::Numeric
                | ConditionKeyType::Date
                | ConditionKeyType::Bool
                | ConditionKeyType::IpAddress
        ),
        Cat::String | Cat::Binary | Cat::Null => true,
    }
}

enum KeyInfo<'r> {
    /// Global key: applies to every action.
    Global(&'r ConditionKey),
    /// Key of this service prefix.
    Service(&'r ConditionKey, &'static str),
    /// Known through an alias (OIDC/SAML provider keys): not checked for applicability.
    Other(&'r ConditionKey),
}

/// The closest of `keys` to an unknown `key`, searched only when `suggest`.
fn key_hint(suggest: bool, key: &str, keys: &[ConditionKey]) -> Option<String> {
    if !suggest {
        return None;
    }
    closest(key, keys.iter().map(|k| k.name.as_str())).map(str::to_string)
}

/// `suggest`: whether to search for a spelling suggestion when the key is unknown.
fn resolve_key<'r>(r: &'r Reference, key: &str, suggest: bool) -> Result<KeyInfo<'r>, String> {
    if let Some(k) = r.global_condition_key(key) {
        return Ok(KeyInfo::Global(k));
    }
    let Some((prefix, _)) = key.split_once(':') else {
        return Err("a condition key has the form `service:KeyName`".to_string());
    };
    if prefix.eq_ignore_ascii_case("aws") {
        return Err(did_you_mean(
            key_hint(suggest, key, r.global_condition_keys()),
            "see the AWS global condition context keys",
        ));
    }
    if let Some(service) = r.service(prefix) {
        return match service.condition_key(key) {
            Some(k) => Ok(KeyInfo::Service(k, service.prefix)),
            None => Err(did_you_mean(
                key_hint(suggest, key, service.condition_keys()),
                &format!("{} defines no such key; see its condition keys in the Service Authorization Reference", service.name),
            )),
        };
    }
    match r.condition_key(key) {
        Some(k) => Ok(KeyInfo::Other(k)),
        None => Err(format!(
            "`{prefix}` is not a service prefix or identity provider"
        )),
    }
}

fn has_null_guard(condition: &Map<String, Value>, key: &str) -> bool {
    condition.iter().any(|(op, block)| {
        op.eq_ignore_ascii_case("Null")
            && block.as_object().is_some_and(|b| {
                b.iter().any(|(k, v)| {
                    // `"false"`, `false`, or a one-element list of either: all say "present".
                    let is_false = |v: &Value| match v {
                        Value::Bool(false) => true,
                        Value::String(s) => s.eq_ignore_ascii_case("false"),
                        _ => false,
                    };
                    k.eq_ignore_ascii_case(key)
                        && match v {
                            Value::Array(items) => !items.is_empty() && items.iter().all(is_false),
                            other => is_false(other),
                        }
                })
            })
    })
}

fn strip_variables(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        match rest[start..].find('}') {
            Some(end) => rest = &rest[start + end + 1..],
            None => {
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

pub(crate) fn check(ctx: &mut Ctx, stmt: &Stmt<'_>, resolved: &Resolved) {
    let Some(condition) = stmt.condition else {
        return;
    };
    let cond_path = stmt.elem("Condition");
    let actions = resolved.actions();
    for (op_text, block) in condition {
        let op_path = member(&cond_path, op_text);
        let op = match parse_operator(op_text) {
            Ok(op) => op,
            Err(why) => {
                let help = match operator_suggestion(op_text) {
                    Some(s) if s != *op_text => format!("did you mean `{s}`?"),
                    _ if op_text.to_ascii_lowercase().starts_with("null") => {
                        "use plain Null: \"true\" means the key is absent, \"false\" that it is present".to_string()
                    }
                    _ => "see the IAM condition operators".to_string(),
                };
                ctx.push(
                    stmt.loc(),
                    Code::InvalidConditionOperator,
                    &op_path,
                    why,
                    help,
                );
                continue;
            }
        };
        let Some(block) = block.as_object() else {
            ctx.push(
                stmt.loc(),
                Code::DataTypeMismatch,
                &op_path,
                format!("the {op_text} block must be an object of condition keys"),
                "write {\"key\": \"value\"} or {\"key\": [\"v1\", \"v2\"]}",
            );
            continue;
        };
        for (key, value) in block {
            let key_path = member(&op_path, key);
            let values: Vec<(String, &Value)> = match value {
                Value::Array(a) => a
                    .iter()
                    .enumerate()
                    .map(|(i, v)| (format!("{key_path}[{i}]"), v))
                    .collect(),
                v => vec![(key_path.clone(), v)],
            };
            check_values(ctx, stmt, &op, &values);

            let info = match resolve_key(ctx.reference, key, !ctx.saturated()) {
                Ok(info) => info,
                Err(help) => {
                    ctx.push(
                        stmt.loc(),
                        Code::UnknownConditionKey,
                        &key_path,
                        format!("`{key}` is not a known condition key"),
                        help,
                    );
                    continue;
                }
            };
            let known = match &info {
                KeyInfo::Global(k) | KeyInfo::Service(k, _) | KeyInfo::Other(k) => *k,
            };
            if !type_fits(op.cat, &known.value_type) {
                ctx.push(
                    stmt.loc(),
                    Code::ConditionTypeMismatch,
                    &op_path,
                    format!("{} is a {} operator, but `{key}` is of type {}", op.base, cat_name(op.cat), known.value_type.name()),
                    "use an operator of the key's type (String*, Numeric*, Date*, Bool, IpAddress, Arn*)",
                );
            }
            if op.qualifier.is_none() && op.cat != Cat::Null && known.value_type.is_multivalued() {
                ctx.push(
                    stmt.loc(),
                    Code::MissingSetQualifier,
                    &op_path,
                    format!("`{key}` holds a set of values, but {} compares it as a single value", op.base),
                    format!(
                        "use ForAnyValue:{0} (any value matches) or ForAllValues:{0} (every value matches)",
                        op_text
                    ),
                );
            }
            if op.qualifier == Some(Qualifier::ForAllValues) {
                if !known.value_type.is_multivalued() {
                    ctx.push(
                        stmt.loc(),
                        Code::ForAllValuesSingleValued,
                        &op_path,
                        format!("`{key}` is single-valued; ForAllValues is true when the key is missing"),
                        format!("remove the ForAllValues: qualifier and use {}", op.base),
                    );
                } else if stmt.effect == Some(Effect::Allow) && !has_null_guard(condition, key) {
                    ctx.push(
                        stmt.loc(),
                        Code::ForAllValuesWithoutNull,
                        &op_path,
                        format!("ForAllValues on `{key}` also matches requests without `{key}`, so this Allow opens access"),
                        format!("add \"Null\": {{\"{key}\": \"false\"}} to the Condition"),
                    );
                }
            }
            if let (KeyInfo::Service(_, prefix), Some(actions)) = (&info, &actions) {
                if actions.is_empty() {
                    continue;
                }
                let applies = actions.iter().any(|a| {
                    ctx.reference
                        .service(a.service())
                        .is_some_and(|s| s.keys_for_action(a).any(|k| key_pattern_matches(k, key)))
                });
                if !applies {
                    let names: Vec<String> =
                        actions.iter().take(3).map(|a| a.full_name()).collect();
                    ctx.push(
                        stmt.loc(),
                        Code::ConditionKeyNotApplicable,
                        &key_path,
                        format!(
                            "`{key}` applies to none of this statement's actions ({}{}), so the condition never holds",
                            names.join(", "),
                            if actions.len() > 3 { ", ..." } else { "" }
                        ),
                        match (!ctx.saturated())
                            .then(|| applicable_suggestion(ctx.reference, actions, key))
                            .flatten()
                        {
                            Some(k) => format!("did you mean `{k}`, which these actions support?"),
                            None => format!("move the condition to a statement with {prefix} actions that support it, or use a global aws: key"),
                        },
                    );
                }
            }
        }
    }
}

/// A key the statement's actions do support that is spelt like `key`.
fn applicable_suggestion(r: &Reference, actions: &[&Action], key: &str) -> Option<String> {
    let mut candidates: Vec<&str> = Vec::new();
    for a in actions {
        if let Some(s) = r.service(a.service()) {
            candidates.extend(s.keys_for_action(a).filter(|k| !k.starts_with("aws:")));
        }
    }
    closest(key, candidates).map(str::to_string)
}

fn check_values(ctx: &mut Ctx, stmt: &Stmt<'_>, op: &Operator, values: &[(String, &Value)]) {
    for (path, v) in values {
        if let Value::String(s) = v {
            if s.contains("${") {
                if let Some(problem) = variables::problem(s, ctx.reference) {
                    ctx.push(
                        stmt.loc(),
                        Code::InvalidPolicyVariable,
                        path,
                        format!("malformed policy variable: {problem}"),
                        "write variables as ${aws:username} or ${aws:PrincipalTag/team}",
                    );
                    continue;
                }
            }
        }
        if let Some(problem) = value_problem(op.cat, v) {
            let code = if matches!(v, Value::Object(_) | Value::Array(_) | Value::Null) {
                Code::DataTypeMismatch
            } else {
                Code::InvalidConditionValue
            };
            ctx.push(
                stmt.loc(),
                code,
                path,
                if code == Code::DataTypeMismatch {
                    format!("{}: {problem}", op.base)
                } else {
                    format!("{} cannot compare {v}: {problem}", op.base)
                },
                "fix the value, or use an operator of the value's type",
            );
            continue;
        }
        if op.cat == Cat::Ip {
            if let Some(clean) = v.as_str().and_then(cleaner_cidr) {
                ctx.push(
                    stmt.loc(),
                    Code::ImproveIpRange,
                    path,
                    format!("the bits after the prefix in {v} are ignored"),
                    format!("write `{clean}`"),
                );
            }
        }
        let equals = matches!(
            op.base,
            "StringEquals"
                | "StringNotEquals"
                | "StringEqualsIgnoreCase"
                | "StringNotEqualsIgnoreCase"
        );
        if equals {
            if let Value::String(s) = v {
                if strip_variables(s).contains(['*', '?']) {
                    ctx.push(
                        stmt.loc(),
                        Code::WildcardWithoutLike,
                        path,
                        format!(
                            "{} matches `{s}` literally, including the wildcard",
                            op.base
                        ),
                        format!(
                            "use {} for wildcard matching",
                            op.base.replace("Equals", "Like").replace("IgnoreCase", "")
                        ),
                    );
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operators() {
        assert!(parse_operator("StringEquals").is_ok());
        assert!(parse_operator("ForAllValues:StringLikeIfExists").is_ok());
        assert!(parse_operator("ArnLikeIfExists").is_ok());
        assert!(parse_operator("NullIfExists").is_err());
        // Review of 2026-11-29: lint took these, simulate refused them.
        for miscased in [
            "stringequals",
            "forallvalues:StringEquals",
            "StringEqualsifexists",
        ] {
            assert!(parse_operator(miscased).is_err(), "{miscased}");
        }
        assert!(parse_operator("StringEqual").is_err());
        assert!(parse_operator("ForAllValue:StringEquals").is_err());
        assert_eq!(
            operator_suggestion("StringEqual").as_deref(),
            Some("StringEquals")
        );
        assert_eq!(
            operator_suggestion("ForAllValue:StringEquals").as_deref(),
            Some("ForAllValues:StringEquals")
        );
    }

    #[test]
    fn values() {
        assert!(is_date("2026-01-31T00:00:00Z"));
        assert!(is_date("2026-01-31"));
        assert!(is_date("1700000000"));
        assert!(!is_date("tomorrow"));
        assert!(is_ip("10.0.0.0/8"));
        assert!(is_ip("2001:db8::/32"));
        assert!(!is_ip("300.1.1.1"));
        assert!(!is_ip("10.0.0.0/33"));
    }
}
