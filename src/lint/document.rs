//! Policy grammar: the document's top level and each statement's elements.
//! Parses leniently into [`Stmt`] views and hands them to the semantic checks.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::rc::Rc;

use serde_json::{Map, Value};

use super::codes::Code;
use super::context::{member, Ctx, Loc};
use super::{actions, conditions, principals, resources, DocumentKind};

const TOP_LEVEL: [&str; 3] = ["Version", "Id", "Statement"];
const STATEMENT_ELEMENTS: [&str; 9] = [
    "Sid",
    "Effect",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Principal",
    "NotPrincipal",
    "Condition",
];

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Effect {
    Allow,
    Deny,
}

/// One string of an Action/Resource list, with its path.
pub(crate) struct Item<'a> {
    pub path: ItemPath,
    pub value: &'a str,
}

/// Where an item is (`Statement[0].Action[2]`). The list's path is shared by its items and the
/// item's own text is built only when a finding names it: generate lints every statement it
/// renders, and almost none has a finding.
#[derive(Clone)]
pub(crate) struct ItemPath {
    list: Rc<str>,
    /// The position in an array; `None` for an element given as one string.
    index: Option<usize>,
}

impl ItemPath {
    pub fn new(list: Rc<str>, index: Option<usize>) -> Self {
        ItemPath { list, index }
    }

    pub fn text(&self) -> String {
        match self.index {
            Some(index) => format!("{}[{index}]", self.list),
            None => self.list.to_string(),
        }
    }
}

/// Action/NotAction or Resource/NotResource.
pub(crate) struct List<'a> {
    pub negated: bool,
    pub items: Vec<Item<'a>>,
}

/// A statement's members by element name, found in one pass over the object: the linter asks
/// for each element several times, and every `Map::get` hashes the name.
#[derive(Default, Clone, Copy)]
pub(crate) struct Elements<'a> {
    pub sid: Option<&'a Value>,
    pub effect: Option<&'a Value>,
    pub action: Option<&'a Value>,
    pub not_action: Option<&'a Value>,
    pub resource: Option<&'a Value>,
    pub not_resource: Option<&'a Value>,
    pub principal: Option<&'a Value>,
    pub not_principal: Option<&'a Value>,
    pub condition: Option<&'a Value>,
}

impl<'a> Elements<'a> {
    fn of(obj: &'a Map<String, Value>) -> Self {
        let mut elements = Elements::default();
        for (key, value) in obj {
            let slot = match key.as_str() {
                "Sid" => &mut elements.sid,
                "Effect" => &mut elements.effect,
                "Action" => &mut elements.action,
                "NotAction" => &mut elements.not_action,
                "Resource" => &mut elements.resource,
                "NotResource" => &mut elements.not_resource,
                "Principal" => &mut elements.principal,
                "NotPrincipal" => &mut elements.not_principal,
                "Condition" => &mut elements.condition,
                _ => continue,
            };
            *slot = Some(value);
        }
        elements
    }
}

/// A statement's elements, as far as they are well-formed.
pub(crate) struct Stmt<'a> {
    pub index: usize,
    pub path: String,
    pub sid: Option<&'a str>,
    pub effect: Option<Effect>,
    pub action: Option<List<'a>>,
    pub resource: Option<List<'a>>,
    pub condition: Option<&'a Map<String, Value>>,
    pub elements: Elements<'a>,
    pub raw: &'a Map<String, Value>,
}

impl<'a> Stmt<'a> {
    pub fn loc(&self) -> Loc<'a> {
        Loc {
            statement: Some(self.index),
            sid: self.sid,
        }
    }

    pub fn elem(&self, name: &str) -> String {
        member(&self.path, name)
    }
}

pub(crate) fn lint(ctx: &mut Ctx, doc: &Value) {
    let Some(top) = doc.as_object() else {
        ctx.push(
            Loc::default(),
            Code::InvalidDocument,
            "",
            "a policy document must be a JSON object",
            "write the policy as {\"Version\": \"2012-10-17\", \"Statement\": [...]}",
        );
        return;
    };
    for key in top.keys() {
        if !TOP_LEVEL.contains(&key.as_str()) {
            let hint = TOP_LEVEL.iter().find(|k| k.eq_ignore_ascii_case(key));
            ctx.push(
                Loc::default(),
                Code::InvalidElement,
                &member("", key),
                format!("`{key}` is not a policy element"),
                match hint {
                    Some(h) => format!("element names are case-sensitive: write `{h}`"),
                    None => "a policy has only Version, Id and Statement".to_string(),
                },
            );
        }
    }
    check_version(ctx, top.get("Version"));

    let statements: Vec<(String, &Value)> = match top.get("Statement") {
        None => {
            ctx.push(
                Loc::default(),
                Code::MissingStatement,
                "",
                "the policy has no Statement",
                "add a \"Statement\" array with at least one statement",
            );
            return;
        }
        Some(Value::Array(a)) if a.is_empty() => {
            ctx.push(
                Loc::default(),
                Code::MissingStatement,
                "Statement",
                "the Statement array is empty",
                "add at least one statement",
            );
            return;
        }
        Some(Value::Array(a)) => a
            .iter()
            .enumerate()
            .map(|(i, s)| (format!("Statement[{i}]"), s))
            .collect(),
        Some(s @ Value::Object(_)) => vec![("Statement".to_string(), s)],
        Some(_) => {
            ctx.push(
                Loc::default(),
                Code::DataTypeMismatch,
                "Statement",
                "Statement must be an object or an array of objects",
                "wrap the statements in a JSON array",
            );
            return;
        }
    };

    let mut parsed = Vec::new();
    for (index, (path, value)) in statements.iter().enumerate() {
        match value.as_object() {
            Some(obj) => parsed.push(statement(ctx, index, path.clone(), obj)),
            None => ctx.push(
                Loc {
                    statement: Some(index),
                    sid: None,
                },
                Code::DataTypeMismatch,
                path,
                "a statement must be a JSON object",
                "write the statement as {\"Effect\": ..., \"Action\": ..., \"Resource\": ...}",
            ),
        }
    }
    check_sids(ctx, &parsed);
    for stmt in &parsed {
        let resolved = actions::check(ctx, stmt);
        resources::check(ctx, stmt, &resolved);
        conditions::check(ctx, stmt, &resolved);
        principals::check(ctx, stmt);
        actions::check_pass_role(ctx, stmt, &resolved);
    }
    check_redundant_statements(ctx, &parsed);
}

fn check_version(ctx: &mut Ctx, version: Option<&Value>) {
    match version {
        None => ctx.push(
            Loc::default(),
            Code::MissingVersion,
            "",
            "the policy has no Version, so IAM applies 2008-10-17 and policy variables are not substituted",
            "add \"Version\": \"2012-10-17\"",
        ),
        Some(Value::String(v)) if v == "2012-10-17" => {}
        Some(Value::String(v)) if v == "2008-10-17" => ctx.push(
            Loc::default(),
            Code::OldVersion,
            "Version",
            "Version 2008-10-17 does not substitute policy variables and lacks newer features",
            "use \"Version\": \"2012-10-17\"",
        ),
        Some(Value::String(v)) => ctx.push(
            Loc::default(),
            Code::InvalidVersion,
            "Version",
            format!("`{v}` is not a policy language version"),
            "use \"Version\": \"2012-10-17\" (a version is a fixed date, not the date you wrote the policy)",
        ),
        Some(_) => ctx.push(
            Loc::default(),
            Code::DataTypeMismatch,
            "Version",
            "Version must be a string",
            "use \"Version\": \"2012-10-17\"",
        ),
    }
}

/// Reads a string-or-array-of-strings element.
fn list<'a>(
    ctx: &mut Ctx,
    loc: Loc<'_>,
    path: &str,
    value: &'a Value,
    negated: bool,
) -> Option<List<'a>> {
    let items = match value {
        Value::String(s) => vec![Item {
            path: ItemPath::new(path.into(), None),
            value: s.as_str(),
        }],
        Value::Array(a) => {
            let list: Rc<str> = path.into();
            let mut items = Vec::with_capacity(a.len());
            for (i, v) in a.iter().enumerate() {
                let item_path = ItemPath::new(list.clone(), Some(i));
                match v.as_str() {
                    Some(s) => items.push(Item {
                        path: item_path,
                        value: s,
                    }),
                    None => ctx.push(
                        loc,
                        Code::DataTypeMismatch,
                        &item_path.text(),
                        "list entries must be strings",
                        "quote the value",
                    ),
                }
            }
            items
        }
        _ => {
            ctx.push(
                loc,
                Code::DataTypeMismatch,
                path,
                "must be a string or an array of strings",
                "write a string or an array of strings",
            );
            return None;
        }
    };
    Some(List { negated, items })
}

fn statement<'a>(
    ctx: &mut Ctx,
    index: usize,
    path: String,
    obj: &'a Map<String, Value>,
) -> Stmt<'a> {
    let elements = Elements::of(obj);
    let sid = elements
        .sid
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty());
    let loc = Loc {
        statement: Some(index),
        sid,
    };
    for key in obj.keys() {
        if !STATEMENT_ELEMENTS.contains(&key.as_str()) {
            let hint = STATEMENT_ELEMENTS
                .iter()
                .find(|k| k.eq_ignore_ascii_case(key) || format!("{k}s").eq_ignore_ascii_case(key));
            ctx.push(
                loc,
                Code::InvalidElement,
                &member(&path, key),
                format!("`{key}` is not a statement element"),
                match hint {
                    Some(h) => format!("did you mean `{h}`? Element names are case-sensitive"),
                    None => "a statement has only Sid, Effect, (Not)Action, (Not)Resource, (Not)Principal and Condition"
                        .to_string(),
                },
            );
        }
    }
    if let Some(v) = elements.sid {
        if !v.is_string() {
            ctx.push(
                loc,
                Code::DataTypeMismatch,
                &member(&path, "Sid"),
                "Sid must be a string",
                "quote the Sid",
            );
        }
    }

    let effect = match elements.effect {
        None => {
            ctx.push(
                loc,
                Code::MissingEffect,
                &path,
                "the statement has no Effect",
                "add \"Effect\": \"Allow\" or \"Deny\"",
            );
            None
        }
        Some(Value::String(e)) if e == "Allow" => Some(Effect::Allow),
        Some(Value::String(e)) if e == "Deny" => Some(Effect::Deny),
        Some(Value::String(e)) => {
            ctx.push(
                loc,
                Code::InvalidEffect,
                &member(&path, "Effect"),
                format!("Effect `{e}` is neither \"Allow\" nor \"Deny\""),
                "Effect is case-sensitive: write \"Allow\" or \"Deny\"",
            );
            None
        }
        Some(_) => {
            ctx.push(
                loc,
                Code::DataTypeMismatch,
                &member(&path, "Effect"),
                "Effect must be a string",
                "write \"Allow\" or \"Deny\"",
            );
            None
        }
    };

    let action = pair(
        ctx,
        loc,
        &path,
        (elements.action, "Action"),
        (elements.not_action, "NotAction"),
    );
    match &action {
        None if elements.action.is_none() && elements.not_action.is_none() => ctx.push(
            loc,
            Code::MissingAction,
            &path,
            "the statement has neither Action nor NotAction",
            "add an \"Action\" list",
        ),
        Some(l) if l.items.is_empty() => ctx.push(
            loc,
            Code::MissingAction,
            &l_path(&path, l.negated, "Action"),
            "the action list is empty",
            "list at least one action, or remove the statement",
        ),
        _ => {}
    }

    let resource = pair(
        ctx,
        loc,
        &path,
        (elements.resource, "Resource"),
        (elements.not_resource, "NotResource"),
    );
    let has_resource = elements.resource.is_some() || elements.not_resource.is_some();
    if ctx.kind == DocumentKind::Trust {
        for (value, name) in [
            (elements.resource, "Resource"),
            (elements.not_resource, "NotResource"),
        ] {
            if value.is_some() {
                ctx.push(
                    loc,
                    Code::InvalidElement,
                    &member(&path, name),
                    format!("`{name}` is not allowed in a role trust policy"),
                    "remove it: the resource of a trust policy is always the role itself",
                );
            }
        }
    } else if !has_resource {
        ctx.push(
            loc,
            Code::MissingResource,
            &path,
            "the statement has neither Resource nor NotResource",
            "add \"Resource\" with the ARNs the actions apply to (or \"*\" for actions without resource-level permissions)",
        );
    } else if let Some(l) = &resource {
        if l.items.is_empty() {
            ctx.push(
                loc,
                Code::MissingResource,
                &l_path(&path, l.negated, "Resource"),
                "the resource list is empty",
                "list at least one resource, or remove the statement",
            );
        }
    }

    if elements.action.is_some() && elements.not_action.is_some() {
        conflict(ctx, loc, &path, "Action", "NotAction");
    }
    if elements.resource.is_some() && elements.not_resource.is_some() {
        conflict(ctx, loc, &path, "Resource", "NotResource");
    }
    if elements.principal.is_some() && elements.not_principal.is_some() {
        conflict(ctx, loc, &path, "Principal", "NotPrincipal");
    }

    let condition = match elements.condition {
        None => None,
        Some(Value::Object(c)) => Some(c),
        Some(_) => {
            ctx.push(
                loc,
                Code::DataTypeMismatch,
                &member(&path, "Condition"),
                "Condition must be an object of operators",
                "write {\"StringEquals\": {\"key\": \"value\"}}",
            );
            None
        }
    };

    Stmt {
        index,
        path,
        sid,
        effect,
        action,
        resource,
        condition,
        elements,
        raw: obj,
    }
}

fn l_path(path: &str, negated: bool, name: &str) -> String {
    if negated {
        member(path, &format!("Not{name}"))
    } else {
        member(path, name)
    }
}

/// The element or, without it, its `Not` form; each given with its name.
fn pair<'a>(
    ctx: &mut Ctx,
    loc: Loc<'_>,
    path: &str,
    (positive, positive_name): (Option<&'a Value>, &str),
    (negative, negative_name): (Option<&'a Value>, &str),
) -> Option<List<'a>> {
    if let Some(v) = positive {
        return list(ctx, loc, &member(path, positive_name), v, false);
    }
    negative.and_then(|v| list(ctx, loc, &member(path, negative_name), v, true))
}

fn conflict(ctx: &mut Ctx, loc: Loc<'_>, path: &str, a: &str, b: &str) {
    ctx.push(
        loc,
        Code::ConflictingElements,
        path,
        format!("the statement has both {a} and {b}"),
        format!("keep only one of {a} and {b}"),
    );
}

fn check_sids(ctx: &mut Ctx, stmts: &[Stmt<'_>]) {
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for s in stmts {
        if s.elements.sid.and_then(Value::as_str) == Some("") {
            ctx.push(
                s.loc(),
                Code::EmptySid,
                &s.elem("Sid"),
                "Sid is empty",
                "give the statement a Sid of ASCII letters and digits, or remove the element",
            );
        }
        let Some(sid) = s.sid else { continue };
        if ctx.kind != DocumentKind::Resource && !sid.chars().all(|c| c.is_ascii_alphanumeric()) {
            ctx.push(
                s.loc(),
                Code::InvalidSid,
                &s.elem("Sid"),
                format!("Sid `{sid}` may only hold ASCII letters and digits"),
                format!("rename it, e.g. `{}`", camel_case(sid)),
            );
        }
        if let Some(first) = seen.get(sid) {
            ctx.push(
                s.loc(),
                Code::DuplicateSid,
                &s.elem("Sid"),
                format!("Sid `{sid}` is already used by statement {first}"),
                "give every statement a unique Sid",
            );
        } else {
            seen.insert(sid, s.index);
        }
    }
}

/// `read-training jobs` -> `ReadTrainingJobs`, for Sid suggestions.
fn camel_case(text: &str) -> String {
    text.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut chars = w.chars();
            chars
                .next()
                .map(|f| f.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// True when two statements have the same elements and values, the Sid aside. Only statements
/// with the same [`fingerprint`] are compared, so a lookup per element is cheap enough.
fn same_but_sid(a: &Map<String, Value>, b: &Map<String, Value>) -> bool {
    let count = |m: &Map<String, Value>| m.len() - usize::from(m.contains_key("Sid"));
    count(a) == count(b) && a.iter().all(|(k, v)| k == "Sid" || b.get(k) == Some(v))
}

/// Reports each statement that repeats an earlier one (the first it repeats). Statements are
/// grouped by a fingerprint that equal statements share, so only statements that may be equal
/// are compared: a policy of thousands of statements is not checked pair by pair (an 8,000-
/// statement file took seconds that way).
fn check_redundant_statements(ctx: &mut Ctx, stmts: &[Stmt<'_>]) {
    let mut by_fingerprint: HashMap<u64, Vec<usize>> = HashMap::with_capacity(stmts.len());
    for (i, s) in stmts.iter().enumerate() {
        let earlier = by_fingerprint.entry(fingerprint(s.raw)).or_default();
        match earlier.iter().find(|&&j| same_but_sid(stmts[j].raw, s.raw)) {
            Some(&first) => ctx.push(
                s.loc(),
                Code::RedundantStatement,
                &s.path,
                format!("this statement repeats statement {}", stmts[first].index),
                "remove the duplicate statement",
            ),
            // A repeat is not kept: what equals it also equals the statement it repeats.
            None => earlier.push(i),
        }
    }
}

/// A hash of a statement without its Sid that statements [`same_but_sid`] calls equal share:
/// object members are combined in any order, as `Value` compares objects.
fn fingerprint(statement: &Map<String, Value>) -> u64 {
    statement
        .iter()
        .filter(|(k, _)| k.as_str() != "Sid")
        .fold(0, |sum, (k, v)| sum.wrapping_add(member_hash(k, v)))
}

fn member_hash(key: &str, value: &Value) -> u64 {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    key.hash(&mut hasher);
    value_hash(value, &mut hasher);
    hasher.finish()
}

fn value_hash(value: &Value, hasher: &mut impl Hasher) {
    match value {
        Value::Null => 0u8.hash(hasher),
        Value::Bool(b) => (1u8, b).hash(hasher),
        Value::Number(n) => {
            // Equal numbers have the same representation; 0.0 and -0.0 are equal.
            if let Some(u) = n.as_u64() {
                (2u8, u).hash(hasher);
            } else if let Some(i) = n.as_i64() {
                (3u8, i).hash(hasher);
            } else {
                let f = n.as_f64().unwrap_or_default();
                (4u8, if f == 0.0 { 0 } else { f.to_bits() }).hash(hasher);
            }
        }
        Value::String(s) => (5u8, s).hash(hasher),
        Value::Array(items) => {
            (6u8, items.len()).hash(hasher);
            items.iter().for_each(|item| value_hash(item, hasher));
        }
        Value::Object(map) => {
            let members = map
                .iter()
                .fold(0u64, |sum, (k, v)| sum.wrapping_add(member_hash(k, v)));
            (7u8, members).hash(hasher);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{fingerprint, same_but_sid};
    use serde_json::json;

    #[test]
    fn equal_statements_in_any_order_share_a_fingerprint() {
        let statements = [
            json!({"Sid": "A", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}),
            json!({"Sid": "B", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}),
            json!({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}),
            json!({"Resource": "*", "Action": "s3:GetObject", "Effect": "Allow"}),
            json!({"Action": "s3:GetObject", "Sid": "C", "Effect": "Allow", "Resource": "*"}),
            json!({"Effect": "Allow", "Action": "s3:PutObject", "Resource": "*"}),
            json!({"Effect": "Deny", "Action": "s3:GetObject", "Resource": "*"}),
            json!({"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "*"}),
            json!({"Effect": "Allow", "Action": "s3:GetObject", "NotResource": "*"}),
            json!({"Effect": "Allow", "Action": "s3:GetObject"}),
            json!({"Sid": "A", "Effect": "Allow", "Action": "s3:GetObject"}),
            json!({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", "Condition": {}}),
            json!({"Sid": "A"}),
            json!({}),
            json!({"Effect": "Allow", "Action": "a:b", "Resource": "*", "Condition": {
                "StringEquals": {"k1": "v", "k2": ["x", "y"]}, "NumericLessThan": {"n": 1, "z": 0.0}}}),
            json!({"Condition": {"NumericLessThan": {"z": -0.0, "n": 1},
                "StringEquals": {"k2": ["x", "y"], "k1": "v"}}, "Resource": "*", "Action": "a:b", "Effect": "Allow"}),
            json!({"Effect": "Allow", "Action": "a:b", "Resource": "*", "Condition": {
                "StringEquals": {"k1": "v", "k2": ["y", "x"]}, "NumericLessThan": {"n": 1, "z": 0.0}}}),
            json!({"Effect": "Allow", "Action": "a:b", "Resource": "*", "Condition": {
                "StringEquals": {"k1": "v", "k2": ["x", "y"]}, "NumericLessThan": {"n": 1.0, "z": 0.0}}}),
        ];
        let mut same = 0;
        for a in &statements {
            for b in &statements {
                let (Some(a), Some(b)) = (a.as_object(), b.as_object()) else {
                    unreachable!("every case is an object")
                };
                assert_eq!(same_but_sid(a, b), same_but_sid(b, a), "{a:?} vs {b:?}");
                if same_but_sid(a, b) {
                    // The grouping relies on it.
                    assert_eq!(fingerprint(a), fingerprint(b), "{a:?} vs {b:?}");
                    same += 1;
                }
            }
        }
        // Equal pairs: the first five cases are one statement written five ways (25 pairs), two
        // more groups of two differ only by a Sid (4 + 4), two conditions written in another
        // order (4: members in any order, -0.0 equal to 0.0), and the seven others equal
        // themselves (an array in another order, or 1.0 for 1, is another statement).
        assert_eq!(same, 44);
    }
}
