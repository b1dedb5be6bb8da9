//! Policy grammar: JSON document → compiled [`Policy`].
//!
//! Grammar (IAM User Guide, "IAM JSON policy element reference"):
//! `Version`, `Id`, `Statement` (object or array); per statement `Sid`,
//! `Effect`, exactly one of `Action`/`NotAction`, exactly one of
//! `Resource`/`NotResource`, in resource-based policies exactly one of
//! `Principal`/`NotPrincipal`, and `Condition`. Identity-based policies,
//! permissions boundaries and session policies may not carry a principal.
//!
//! Everything is compiled once: action globs are lowercased (action names are
//! case-insensitive), resource ARNs are split per segment, condition values
//! are parsed into their types.

use super::arn::ResourcePattern;
use super::condition::{parse_condition, ConditionBlock};
use super::error::ParseError;
use super::json::Json;
use super::wildcard::{lowercase, Glob};
use serde::Serialize;
use std::borrow::Cow;
use std::sync::OnceLock;

/// Statement effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Effect {
    Allow,
    Deny,
}

/// The role a policy plays in evaluation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PolicyType {
    /// Attached to the principal (user, group or role policies).
    Identity,
    /// Attached to the resource (bucket policy, key policy, ...).
    Resource,
    /// The principal's permissions boundary.
    PermissionsBoundary,
    /// Passed when the role or federated session was created.
    Session,
}

/// One `Principal`/`NotPrincipal` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PrincipalEntry {
    /// `"*"` or `{"AWS": "*"}`: everyone.
    Any,
    /// An account ID or `arn:<partition>:iam::<account>:root`: the whole account.
    Account(String),
    /// A user, role, role-session or federated-user ARN.
    Arn(String),
    /// `{"Service": ...}` (compared case-insensitively, stored lowercase).
    Service(String),
    /// `{"Federated": ...}`.
    Federated(String),
    /// `{"CanonicalUser": ...}`.
    Canonical(String),
}

#[derive(Debug, Clone)]
pub(crate) struct PrincipalSpec {
    pub(crate) not: bool,
    pub(crate) entries: Vec<PrincipalEntry>,
}

#[derive(Debug, Clone)]
pub(crate) struct Statement {
    pub(crate) sid: Option<String>,
    pub(crate) index: usize,
    pub(crate) effect: Effect,
    pub(crate) not_action: bool,
    pub(crate) actions: Vec<Glob>,
    pub(crate) not_resource: bool,
    pub(crate) resources: Resources,
    pub(crate) principal: Option<PrincipalSpec>,
    pub(crate) condition: ConditionBlock,
}

/// A statement's `Resource`/`NotResource` entries, compiled when a request first reaches them.
/// A request only reaches the statements whose actions match it; in a batch where every line
/// brings new policies for one request, most statements are never reached (60 % on the random
/// differential corpus), and compiling their ARN patterns was an eighth of the batch's work.
/// Entries never fail to compile, so deferring it changes no error.
#[derive(Debug, Clone)]
pub(crate) struct Resources {
    /// The entries' texts, one after another.
    text: Box<str>,
    /// Where each entry ends in `text`.
    ends: Box<[usize]>,
    /// Whether policy variables apply (Version 2012-10-17).
    vars: bool,
    compiled: OnceLock<Box<[ResourcePattern]>>,
}

impl Resources {
    pub(crate) fn new<S: AsRef<str>>(entries: &[S], vars: bool) -> Resources {
        let mut text = String::with_capacity(entries.iter().map(|e| e.as_ref().len()).sum());
        let ends = entries
            .iter()
            .map(|entry| {
                text.push_str(entry.as_ref());
                text.len()
            })
            .collect();
        Resources {
            text: text.into_boxed_str(),
            ends,
            vars,
            compiled: OnceLock::new(),
        }
    }

    /// Each entry's text with its compiled pattern, in the policy's order.
    pub(crate) fn patterns(&self) -> impl Iterator<Item = (&str, &ResourcePattern)> {
        let compiled = self.compiled.get_or_init(|| {
            self.entries()
                .map(|entry| ResourcePattern::new(entry, self.vars))
                .collect()
        });
        self.entries().zip(compiled.iter())
    }

    fn entries(&self) -> impl Iterator<Item = &str> {
        let mut start = 0;
        self.ends.iter().map(move |&end| {
            let entry = self.text.get(start..end).unwrap_or_default();
            start = end;
            entry
        })
    }
}

/// A compiled policy document.
#[derive(Debug, Clone)]
pub struct Policy {
    pub(crate) name: String,
    pub(crate) kind: PolicyType,
    pub(crate) statements: Vec<Statement>,
    /// Statements whose actions all name one literal service prefix, by
    /// lowercase service (so a request only visits statements that can match).
    pub(crate) by_service: ServiceIndex,
    /// Statements that may match any service (`*`, `s3*:..`, `NotAction`).
    pub(crate) any_service: Vec<u32>,
}

/// Appends the literal lowercase service prefixes of a statement's actions
/// (each once) to `out`; `false` when some pattern could match any service.
fn services_of<'v, S: AsRef<str>>(
    s: &Statement,
    raw: &'v [S],
    out: &mut Vec<(Cow<'v, str>, u32)>,
    i: u32,
) -> bool {
    if s.not_action {
        return false;
    }
    let first = out.len();
    for a in raw {
        // Byte searches: `:`, `*` and `?` are ASCII, so every cut is a char boundary.
        let a = a.as_ref();
        let Some(svc) = a.bytes().position(|b| b == b':').and_then(|at| a.get(..at)) else {
            out.truncate(first);
            return false;
        };
        if svc.bytes().any(|b| b == b'*' || b == b'?') {
            out.truncate(first);
            return false;
        }
        let svc = if svc.bytes().any(|b| b.is_ascii_uppercase()) || !svc.is_ascii() {
            Cow::Owned(lowercase(svc))
        } else {
            Cow::Borrowed(svc)
        };
        if !out[first..].iter().any(|(seen, _)| *seen == svc) {
            out.push((svc, i));
        }
    }
    true
}

/// Statement numbers by the lowercase service prefix their actions name, in
/// three flat buffers: a batch compiles policies by the thousand, and a hash
/// map of vectors cost a handful of allocations each.
#[derive(Debug, Clone, Default)]
pub(crate) struct ServiceIndex {
    /// The service names, one after another, in sorted order.
    names: String,
    /// Per service: end of its name in `names`, end of its statements in
    /// `statements`.
    ends: Vec<(u32, u32)>,
    /// Statement numbers, grouped by service, ascending within a group.
    statements: Vec<u32>,
}

impl ServiceIndex {
    /// `pairs` are (service, statement) in statement order.
    fn build(mut pairs: Vec<(Cow<'_, str>, u32)>) -> ServiceIndex {
        // Stable: statements stay in order within a service.
        pairs.sort_by(|a, b| a.0.cmp(&b.0));
        // Room for every pair (at most one service each) up front: growing the buffers
        // cost more than sorting.
        let mut index = ServiceIndex {
            names: String::with_capacity(pairs.iter().map(|(s, _)| s.len()).sum()),
            ends: Vec::with_capacity(pairs.len()),
            statements: Vec::with_capacity(pairs.len()),
        };
        let end = |len: usize| u32::try_from(len).unwrap_or(u32::MAX);
        for group in pairs.chunk_by(|a, b| a.0 == b.0) {
            let Some((service, _)) = group.first() else {
                continue;
            };
            index.names.push_str(service);
            index.statements.extend(group.iter().map(|(_, i)| *i));
            index
                .ends
                .push((end(index.names.len()), end(index.statements.len())));
        }
        index
    }

    /// The statements whose actions all name service `svc` (lowercase).
    pub(crate) fn get(&self, svc: &str) -> &[u32] {
        let entry = |k: usize| {
            let (name_start, st_start) = if k == 0 { (0, 0) } else { self.ends[k - 1] };
            let (name_end, st_end) = self.ends[k];
            (
                self.names
                    .get(name_start as usize..name_end as usize)
                    .unwrap_or_default(),
                st_start as usize..st_end as usize,
            )
        };
        let (mut lo, mut hi) = (0, self.ends.len());
        while lo < hi {
            let mid = (lo + hi) / 2;
            let (name, range) = entry(mid);
            match name.cmp(svc) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return self.statements.get(range).unwrap_or_default(),
            }
        }
        &[]
    }
}

impl Policy {
    /// Parses and compiles a policy document from JSON text.
    pub fn parse(name: &str, kind: PolicyType, json: &str) -> Result<Policy, ParseError> {
        let v = super::json::parse(json).map_err(|e| ParseError::Json(e.to_string()))?;
        Policy::from_json(name, kind, &v)
    }

    /// Compiles an already-parsed JSON policy document.
    pub fn from_value(
        name: &str,
        kind: PolicyType,
        doc: &serde_json::Value,
    ) -> Result<Policy, ParseError> {
        Policy::from_json(name, kind, &Json::from_value(doc))
    }

    /// Compiles a policy document from the borrowed JSON tree.
    pub(crate) fn from_json(
        name: &str,
        kind: PolicyType,
        doc: &Json<'_>,
    ) -> Result<Policy, ParseError> {
        let Json::Obj(top) = doc else {
            return Err(ParseError::WrongType {
                path: "$".into(),
                expected: "a policy object",
                found: doc.type_name(),
            });
        };
        let mut vars = false;
        let mut statements_v = None;
        for (k, v) in top {
            match k.as_ref() {
                "Version" => match v {
                    Json::Str(s) if s == "2012-10-17" => vars = true,
                    Json::Str(s) if s == "2008-10-17" => vars = false,
                    _ => {
                        return Err(ParseError::InvalidValue {
                            path: "Version".into(),
                            value: value_text(v),
                            expected: "\"2012-10-17\" or \"2008-10-17\"",
                        })
                    }
                },
                "Id" => {
                    if !v.is_string() {
                        return Err(wrong("Id", "a string", v));
                    }
                }
                "Statement" => statements_v = Some(v),
                other => {
                    return Err(ParseError::UnknownElement {
                        path: other.to_string(),
                        name: other.to_string(),
                        expected: "Version, Id, Statement",
                    })
                }
            }
        }
        let Some(sv) = statements_v else {
            return Err(ParseError::Missing {
                path: "$".into(),
                expected: "Statement",
            });
        };
        let parsed = match sv {
            Json::Arr(a) => a
                .iter()
                .enumerate()
                .map(|(i, s)| parse_statement(s, &|| format!("Statement[{i}]"), i, kind, vars))
                .collect::<Result<Vec<_>, _>>()?,
            Json::Obj(_) => vec![parse_statement(
                sv,
                &|| "Statement".to_string(),
                0,
                kind,
                vars,
            )?],
            other => {
                return Err(wrong(
                    "Statement",
                    "an object or an array of objects",
                    other,
                ))
            }
        };
        Ok(Policy::assemble(name.to_string(), kind, parsed))
    }

    /// A policy from its compiled statements, each with its `Action` texts as written (from
    /// which the statements are indexed by service).
    pub(crate) fn assemble<S: AsRef<str>>(
        name: String,
        kind: PolicyType,
        parsed: Vec<(Statement, Vec<S>)>,
    ) -> Policy {
        // At most one pair per action, one statement per any-service entry.
        let mut pairs = Vec::with_capacity(parsed.iter().map(|(_, raw)| raw.len()).sum());
        let mut any_service = Vec::with_capacity(parsed.len());
        let mut statements = Vec::with_capacity(parsed.len());
        for (i, (st, raw)) in parsed.iter().enumerate() {
            let i = u32::try_from(i).unwrap_or(u32::MAX);
            if !services_of(st, raw, &mut pairs, i) {
                any_service.push(i);
            }
        }
        let by_service = ServiceIndex::build(pairs);
        statements.extend(parsed.into_iter().map(|(st, _)| st));
        Policy {
            name,
            kind,
            statements,
            by_service,
            any_service,
        }
    }

    /// The name given at parse time.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The role this policy plays.
    pub fn kind(&self) -> PolicyType {
        self.kind
    }

    /// Number of statements.
    pub fn len(&self) -> usize {
        self.statements.len()
    }

    /// True for a policy without statements.
    pub fn is_empty(&self) -> bool {
        self.statements.is_empty()
    }
}

fn wrong(path: &str, expected: &'static str, v: &Json<'_>) -> ParseError {
    ParseError::WrongType {
        path: path.to_string(),
        expected,
        found: v.type_name(),
    }
}

fn value_text(v: &Json<'_>) -> String {
    match v {
        Json::Str(s) => s.to_string(),
        other => other.to_string(),
    }
}

/// A string or an array of strings.
/// `path` builds the element's path, only needed for an error.
fn string_list<'v>(v: &'v Json<'_>, path: impl Fn() -> String) -> Result<Vec<&'v str>, ParseError> {
    match v {
        Json::Str(s) => Ok(vec![s.as_ref()]),
        Json::Arr(a) => a
            .iter()
            .enumerate()
            .map(|(i, x)| match x {
                Json::Str(s) => Ok(s.as_ref()),
                other => Err(wrong(&format!("{}[{i}]", path()), "a string", other)),
            })
            .collect(),
        other => Err(wrong(&path(), "a string or an array of strings", other)),
    }
}

/// The compiled `Action` entries (lowercase globs), or the index of the first entry that is
/// neither `*` nor `service:action`.
pub(crate) fn action_globs<S: AsRef<str>>(raw: &[S]) -> Result<Vec<Glob>, usize> {
    raw.iter()
        .enumerate()
        .map(|(i, a)| {
            let a = a.as_ref();
            if a != "*" && !a.bytes().any(|b| b == b':') {
                return Err(i);
            }
            Ok(Glob::new_lowercase(a))
        })
        .collect()
}

fn parse_statement<'v>(
    v: &'v Json<'_>,
    path: &dyn Fn() -> String,
    index: usize,
    kind: PolicyType,
    vars: bool,
) -> Result<(Statement, Vec<&'v str>), ParseError> {
    let Json::Obj(m) = v else {
        return Err(wrong(&path(), "a statement object", v));
    };
    let mut sid = None;
    let mut effect = None;
    let mut action: Option<(bool, &Json<'_>)> = None;
    let mut resource: Option<(bool, &Json<'_>)> = None;
    let mut principal: Option<(bool, &Json<'_>)> = None;
    let mut condition = ConditionBlock::default();
    for (k, val) in m {
        // The element path is only needed for an error: build it lazily.
        let p = || format!("{}.{k}", path());
        match k.as_ref() {
            "Sid" => match val {
                Json::Str(s) => sid = Some(s.to_string()),
                other => return Err(wrong(&p(), "a string", other)),
            },
            "Effect" => match val {
                Json::Str(s) if s == "Allow" => effect = Some(Effect::Allow),
                Json::Str(s) if s == "Deny" => effect = Some(Effect::Deny),
                other => {
                    return Err(ParseError::InvalidValue {
                        path: p(),
                        value: value_text(other),
                        expected: "\"Allow\" or \"Deny\"",
                    })
                }
            },
            "Action" | "NotAction" => {
                if action.is_some() {
                    return Err(ParseError::Conflict {
                        path: path(),
                        a: "Action",
                        b: "NotAction",
                    });
                }
                action = Some((k == "NotAction", val));
            }
            "Resource" | "NotResource" => {
                if resource.is_some() {
                    return Err(ParseError::Conflict {
                        path: path(),
                        a: "Resource",
                        b: "NotResource",
                    });
                }
                resource = Some((k == "NotResource", val));
            }
            "Principal" | "NotPrincipal" => {
                if kind != PolicyType::Resource {
                    return Err(ParseError::UnknownElement {
                        path: p(),
                        name: k.to_string(),
                        expected: "Sid, Effect, Action, NotAction, Resource, NotResource, Condition (a principal is only allowed in resource-based policies)",
                    });
                }
                if principal.is_some() {
                    return Err(ParseError::Conflict {
                        path: path(),
                        a: "Principal",
                        b: "NotPrincipal",
                    });
                }
                principal = Some((k == "NotPrincipal", val));
            }
            "Condition" => condition = parse_condition(val, &p, vars)?,
            other => {
                return Err(ParseError::UnknownElement {
                    path: p(),
                    name: other.to_string(),
                    expected: "Sid, Effect, Action, NotAction, Resource, NotResource, Principal, NotPrincipal, Condition",
                })
            }
        }
    }
    let effect = effect.ok_or_else(|| ParseError::Missing {
        path: path(),
        expected: "Effect",
    })?;
    let (not_action, av) = action.ok_or_else(|| ParseError::Missing {
        path: path(),
        expected: "Action or NotAction",
    })?;
    let apath = || {
        format!(
            "{}.{}",
            path(),
            if not_action { "NotAction" } else { "Action" }
        )
    };
    let raw_actions = string_list(av, apath)?;
    let actions = action_globs(&raw_actions).map_err(|i| ParseError::InvalidValue {
        path: if av.is_array() {
            format!("{}[{i}]", apath())
        } else {
            apath()
        },
        value: raw_actions
            .get(i)
            .map_or_else(String::new, |a| a.to_string()),
        expected: "\"*\" or service:action (e.g. s3:GetObject, wildcards allowed)",
    })?;
    let (not_resource, rv) = resource.ok_or_else(|| ParseError::Missing {
        path: path(),
        expected: "Resource or NotResource",
    })?;
    let rpath = || {
        format!(
            "{}.{}",
            path(),
            if not_resource {
                "NotResource"
            } else {
                "Resource"
            }
        )
    };
    let resources = Resources::new(&string_list(rv, rpath)?, vars);
    let principal = match principal {
        Some((not, pv)) => {
            let ppath = || {
                format!(
                    "{}.{}",
                    path(),
                    if not { "NotPrincipal" } else { "Principal" }
                )
            };
            Some(PrincipalSpec {
                not,
                entries: parse_principal(pv, &ppath)?,
            })
        }
        None if kind == PolicyType::Resource => {
            return Err(ParseError::Missing {
                path: path(),
                expected: "Principal or NotPrincipal (required in a resource-based policy)",
            })
        }
        None => None,
    };
    Ok((
        Statement {
            sid,
            index,
            effect,
            not_action,
            actions,
            not_resource,
            resources,
            principal,
            condition,
        },
        raw_actions,
    ))
}

/// Parses `"*"` or `{"AWS"|"Service"|"Federated"|"CanonicalUser": string|[string]}`.
/// `path` builds the element's path, only for an error.
pub(crate) fn parse_principal(
    v: &Json<'_>,
    path: &dyn Fn() -> String,
) -> Result<Vec<PrincipalEntry>, ParseError> {
    match v {
        Json::Str(s) if s == "*" => Ok(vec![PrincipalEntry::Any]),
        Json::Obj(m) => {
            let mut out = Vec::new();
            for (k, val) in m {
                let p = || format!("{}.{k}", path());
                let list = string_list(val, p)?;
                for s in list {
                    out.push(match k.as_ref() {
                        "AWS" => aws_principal(s, &p)?,
                        "Service" => PrincipalEntry::Service(lowercase(s)),
                        "Federated" => PrincipalEntry::Federated(s.to_string()),
                        "CanonicalUser" => PrincipalEntry::Canonical(s.to_string()),
                        other => {
                            return Err(ParseError::UnknownElement {
                                path: p(),
                                name: other.to_string(),
                                expected: "AWS, Service, Federated, CanonicalUser",
                            })
                        }
                    });
                }
            }
            Ok(out)
        }
        other => Err(ParseError::InvalidValue {
            path: path(),
            value: value_text(other),
            expected: "\"*\" or an object with AWS, Service, Federated or CanonicalUser",
        }),
    }
}

fn aws_principal(s: &str, path: &dyn Fn() -> String) -> Result<PrincipalEntry, ParseError> {
    if s == "*" {
        return Ok(PrincipalEntry::Any);
    }
    if s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(PrincipalEntry::Account(s.to_string()));
    }
    let parts: Vec<&str> = s.splitn(6, ':').collect();
    if parts.len() == 6 && parts[0] == "arn" {
        if parts[2] == "iam" && parts[5] == "root" {
            return Ok(PrincipalEntry::Account(parts[4].to_string()));
        }
        return Ok(PrincipalEntry::Arn(s.to_string()));
    }
    Err(ParseError::InvalidValue {
        path: path(),
        value: s.to_string(),
        expected: "\"*\", a 12-digit account ID or an IAM/STS principal ARN",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(json: &str, kind: PolicyType) -> ParseError {
        match Policy::parse("p", kind, json) {
            Err(e) => e,
            Ok(_) => panic!("expected an error for {json}"),
        }
    }

    /// A statement's resources are compiled when a request first reaches them, and then as the
    /// eager compile gave them; a request for another action leaves them uncompiled.
    #[test]
    fn resources_compile_when_first_reached() {
        use crate::simulate::{Decision, PolicySet, Request};
        let entries = [
            "arn:aws:s3:::ml-data/${aws:username}/*",
            "arn:aws:s3:::logs",
            "*",
            "arn:aws:s3*",
        ];
        let document = serde_json::json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": entries}]});
        let policy = Policy::parse("p", PolicyType::Identity, &document.to_string()).unwrap();
        let set = PolicySet::new().with(policy);
        let resources =
            |set: &PolicySet| set.identity_policies()[0].statements[0].resources.clone();
        let principal = "arn:aws:iam::111122223333:user/alice";
        let other = Request::new(principal, "kms:Decrypt", "arn:aws:kms:us-east-1:1:key/k");
        assert_eq!(set.decide(&other), Decision::ImplicitDeny);
        assert!(resources(&set).compiled.get().is_none());
        let get = Request::new(principal, "s3:GetObject", "arn:aws:s3:::logs");
        assert_eq!(set.decide(&get), Decision::Allow);
        let compiled = resources(&set).compiled.get().cloned().unwrap();
        let eager: Vec<ResourcePattern> = entries
            .iter()
            .map(|e| ResourcePattern::new(e, true))
            .collect();
        assert_eq!(compiled.to_vec(), eager);
    }

    // Statements are found by the service their actions name, in statement
    // order; a wildcard service or NotAction puts a statement in every list.
    #[test]
    fn statements_by_service() {
        let p = Policy::parse(
            "p",
            PolicyType::Identity,
            r#"{"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": ["S3:GetObject", "kms:Decrypt"], "Resource": "*"},
                {"Effect": "Allow", "Action": "s3:PutObject", "Resource": "*"},
                {"Effect": "Allow", "Action": "s3*:List*", "Resource": "*"},
                {"Effect": "Deny", "NotAction": "iam:*", "Resource": "*"},
                {"Effect": "Allow", "Action": ["sagemaker:*", "SageMaker:Describe*"], "Resource": "*"},
                {"Effect": "Allow", "Action": "kms:Encrypt", "Resource": "*"}]}"#,
        )
        .unwrap();
        assert_eq!(p.by_service.get("s3"), [0, 1]);
        assert_eq!(p.by_service.get("kms"), [0, 5]);
        assert_eq!(p.by_service.get("sagemaker"), [4]);
        assert_eq!(p.by_service.get("iam"), [] as [u32; 0]);
        assert_eq!(p.by_service.get("S3"), [] as [u32; 0]);
        assert_eq!(p.any_service, [2, 3]);
    }

    #[test]
    fn statement_object_or_array() {
        let one = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}"#;
        let many = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"},{"Effect":"Deny","NotAction":["s3:Get*"],"NotResource":"arn:aws:s3:::b"}]}"#;
        assert_eq!(
            Policy::parse("p", PolicyType::Identity, one).map(|p| p.len()),
            Ok(1)
        );
        assert_eq!(
            Policy::parse("p", PolicyType::Identity, many).map(|p| p.len()),
            Ok(2)
        );
    }

    #[test]
    fn errors_name_the_path() {
        let e = err(
            r#"{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"},{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEqualz":{"a":"b"}}}]}"#,
            PolicyType::Identity,
        );
        assert_eq!(e.path(), "Statement[1].Condition.StringEqualz");
        let e = err(
            r#"{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"NumericLessThan":{"s3:max-keys":["10","x"]}}}}"#,
            PolicyType::Identity,
        );
        assert_eq!(
            e.path(),
            "Statement.Condition.NumericLessThan.s3:max-keys[1]"
        );
        assert!(e.to_string().contains("expected a number"));
        let e = err(
            r#"{"Statement":[{"Effect":"Permit","Action":"s3:*","Resource":"*"}]}"#,
            PolicyType::Identity,
        );
        assert_eq!(e.path(), "Statement[0].Effect");
        let e = err(
            r#"{"Statement":[{"Effect":"Allow","Resource":"*"}]}"#,
            PolicyType::Identity,
        );
        assert!(matches!(
            e,
            ParseError::Missing {
                expected: "Action or NotAction",
                ..
            }
        ));
        let e = err(
            r#"{"Statement":[{"Effect":"Allow","Action":"s3:*","NotAction":"x:y","Resource":"*"}]}"#,
            PolicyType::Identity,
        );
        assert!(matches!(e, ParseError::Conflict { .. }));
        let e = err(
            r#"{"Statement":[{"Effect":"Allow","Action":["s3:*", 3],"Resource":"*"}]}"#,
            PolicyType::Identity,
        );
        assert_eq!(e.path(), "Statement[0].Action[1]");
        let e = err(
            r#"{"Statement":[{"Effect":"Allow","Action":"getobject","Resource":"*"}]}"#,
            PolicyType::Identity,
        );
        assert_eq!(e.path(), "Statement[0].Action");
        let e = err(
            r#"{"Version":"2013-01-01","Statement":[]}"#,
            PolicyType::Identity,
        );
        assert_eq!(e.path(), "Version");
        let e = err("[1]", PolicyType::Identity);
        assert_eq!(e.path(), "$");
        assert!(matches!(
            err("{", PolicyType::Identity),
            ParseError::Json(_)
        ));
    }

    #[test]
    fn principal_rules() {
        let e = err(
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}]}"#,
            PolicyType::Identity,
        );
        assert_eq!(e.path(), "Statement[0].Principal");
        let e = err(
            r#"{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#,
            PolicyType::Resource,
        );
        assert!(matches!(e, ParseError::Missing { .. }));
        let e = err(
            r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":"bob"},"Action":"s3:*","Resource":"*"}]}"#,
            PolicyType::Resource,
        );
        assert_eq!(e.path(), "Statement[0].Principal.AWS");
        let p = Policy::parse(
            "b",
            PolicyType::Resource,
            r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":["123456789012","arn:aws:iam::210987654321:root","arn:aws:iam::1:user/u"],"Service":"SageMaker.amazonaws.com"},"Action":"s3:*","Resource":"*"}]}"#,
        );
        let entries = p.map(|p| p.statements[0].principal.clone().map(|s| s.entries));
        assert_eq!(
            entries,
            Ok(Some(vec![
                PrincipalEntry::Account("123456789012".into()),
                PrincipalEntry::Account("210987654321".into()),
                PrincipalEntry::Arn("arn:aws:iam::1:user/u".into()),
                PrincipalEntry::Service("sagemaker.amazonaws.com".into()),
            ]))
        );
    }
}
