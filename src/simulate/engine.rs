//! Combining statements into a decision (IAM User Guide, "Policy evaluation
//! logic", "Cross-account policy evaluation logic").
//!
//! 1. An applicable `Deny` in any policy → `explicit-deny`.
//! 2. Same account: allowed when
//!    - identity policies allow AND the permissions boundary (if any) allows
//!      AND the session policies (if any) allow; or
//!    - the resource policy allows and names the requesting IAM user,
//!      role session or federated-user session ARN itself, or `*`, or uses
//!      a `NotPrincipal` that does not exclude it (implicit denies elsewhere
//!      do not matter); or
//!    - the resource policy allows via the role ARN (for a role session),
//!      AND the boundary and session policies allow ("Resource-based
//!      policies" table: a grant to the role ARN is limited by boundary and
//!      session policy).
//!    - a grant to the account (`123456789012`,
//!      `arn:aws:iam::123456789012:root`) does not name the principal: it
//!      delegates to the account's IAM policies, so it allows only when the
//!      identity path allows anyway.
//! 3. Cross-account (principal's account ≠ resource account): the identity
//!    path above AND the resource policy must both allow.
//! 4. KMS keys (resource ARN service `kms`) with a key policy supplied: the
//!    key policy must allow ("KMS key policies are exceptions ... they must
//!    explicitly allow access for principals"); a grant to the account only
//!    delegates to IAM, so identity policies (and boundary/session) must allow
//!    too. Without a key policy the default key policy (delegate to IAM) is
//!    assumed.
//! 5. A principal without an account (a service principal, `*` for anonymous)
//!    is allowed only by the resource policy.
//! 6. The account root user is allowed anything in its own account that no
//!    Deny forbids (except KMS keys, whose key policy must allow).
//! 7. Otherwise `implicit-deny`.
//!
//! Session policies are treated as one set: some session policy must allow.

use super::arn::ArnParts;
use super::condition::{ContextSource, KeyLookup, Tri};
use super::context::{Request, Slot};
use super::policy::{Effect, Policy, PolicyType, PrincipalEntry, PrincipalSpec, Statement};
use super::variables::{Resolved, VarLookup, VarSource};
use serde::Serialize;

/// The final answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Decision {
    Allow,
    ExplicitDeny,
    ImplicitDeny,
    /// The decision depends on a context key the caller declared unknown.
    Indeterminate,
}

impl Decision {
    /// The wire name (`allow`, `explicit-deny`, `implicit-deny`, `indeterminate`).
    pub fn as_str(&self) -> &'static str {
        match self {
            Decision::Allow => "allow",
            Decision::ExplicitDeny => "explicit-deny",
            Decision::ImplicitDeny => "implicit-deny",
            Decision::Indeterminate => "indeterminate",
        }
    }
}

/// Why a reason is listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "detail", rename_all = "kebab-case")]
pub enum ReasonDetail {
    /// The statement applies to the request.
    Matched,
    /// Action, resource and principal match, but this condition is false.
    ConditionFailed { operator: String, key: String },
    /// Whether the statement applies depends on this unknown key.
    DependsOnUnknown { key: String },
    /// This policy type has no applicable Allow, and one is required.
    NoAllow,
}

/// One statement (or policy) that shaped the decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reason {
    pub policy_type: PolicyType,
    /// Policy name as given by the caller.
    pub policy: String,
    /// `Sid` if the statement has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    /// Zero-based statement index in the policy.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub statement_index: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub effect: Option<Effect>,
    #[serde(flatten)]
    pub detail: ReasonDetail,
}

/// Decision plus explanation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Evaluation {
    pub decision: Decision,
    pub reasons: Vec<Reason>,
    /// Unknown keys the decision depends on (only for `indeterminate`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unknown_keys: Vec<String>,
}

/// The policies that apply to a principal/resource pair, compiled once and
/// reused for any number of requests.
#[derive(Debug, Clone, Default)]
pub struct PolicySet {
    identity: Vec<Policy>,
    resource: Option<Policy>,
    boundary: Option<Policy>,
    session: Vec<Policy>,
}

impl PolicySet {
    pub fn new() -> PolicySet {
        PolicySet::default()
    }

    /// Adds a policy in the slot its [`PolicyType`] names (a second resource
    /// policy or boundary replaces the first).
    pub fn add(&mut self, p: Policy) -> &mut PolicySet {
        match p.kind {
            PolicyType::Identity => self.identity.push(p),
            PolicyType::Resource => self.resource = Some(p),
            PolicyType::PermissionsBoundary => self.boundary = Some(p),
            PolicyType::Session => self.session.push(p),
        }
        self
    }

    /// [`PolicySet::add`] of each policy in order; a vector of identity (or session) policies
    /// becomes the set's own when it has none yet, rather than being moved one by one.
    pub(crate) fn add_all(&mut self, policies: Vec<Policy>) {
        let kind = policies.first().map(|p| p.kind);
        let slot = match kind {
            Some(PolicyType::Identity) => Some(&mut self.identity),
            Some(PolicyType::Session) => Some(&mut self.session),
            _ => None,
        };
        if let Some(slot) = slot {
            if slot.is_empty() && policies.iter().all(|p| Some(p.kind) == kind) {
                *slot = policies;
                return;
            }
        }
        for p in policies {
            self.add(p);
        }
    }

    /// Every policy of the set: identity, resource, boundary, session.
    pub fn policies(&self) -> impl Iterator<Item = &Policy> {
        self.identity
            .iter()
            .chain(&self.resource)
            .chain(&self.boundary)
            .chain(&self.session)
    }

    /// Builder form of [`PolicySet::add`].
    pub fn with(mut self, p: Policy) -> PolicySet {
        self.add(p);
        self
    }

    /// The identity policies, for tests that look inside compiled statements.
    #[cfg(test)]
    pub(crate) fn identity_policies(&self) -> &[Policy] {
        &self.identity
    }

    /// Decides `req` and explains the decision.
    pub fn evaluate(&self, req: &Request) -> Evaluation {
        evaluate(self, req, true)
    }

    /// [`PolicySet::evaluate`], or `None` where [`requester_problem`] finds a problem: a batch
    /// line needs both, and this parses the principal once for them.
    pub(crate) fn evaluate_requester(&self, req: &Request) -> Option<Evaluation> {
        let principal = principal_of(&req.principal);
        can_request(&principal).then(|| evaluate_as(self, req, true, principal))
    }

    /// Decides `req` without building the explanation (no allocation on
    /// the common path once each reached statement has been used); same
    /// decision as [`PolicySet::evaluate`].
    pub fn decide(&self, req: &Request) -> Decision {
        evaluate(self, req, false).decision
    }
}

// ---------------------------------------------------------------- principal

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind<'a> {
    User(&'a str),
    AssumedRole(&'a str),
    FederatedUser,
    Role,
    Root,
    OtherArn,
    NonArn,
}

struct Principal<'a> {
    raw: &'a str,
    partition: &'a str,
    account: Option<&'a str>,
    kind: Kind<'a>,
}

fn principal_of(raw: &str) -> Principal<'_> {
    let Some(a) = ArnParts::parse(raw) else {
        return Principal {
            raw,
            partition: "",
            account: None,
            kind: Kind::NonArn,
        };
    };
    let res = a.resource();
    let kind = match a.service() {
        "iam" if res == "root" => Kind::Root,
        // Byte searches for `/` (ASCII, so every cut is a char boundary).
        "iam" if res.starts_with("user/") => Kind::User(
            res.bytes()
                .rposition(|b| b == b'/')
                .and_then(|at| res.get(at + 1..))
                .unwrap_or(res),
        ),
        "iam" if res.starts_with("role/") => Kind::Role,
        "sts" if res.starts_with("assumed-role/") => {
            let rest = res.get("assumed-role/".len()..).unwrap_or("");
            Kind::AssumedRole(
                rest.bytes()
                    .position(|b| b == b'/')
                    .and_then(|at| rest.get(..at))
                    .unwrap_or(rest),
            )
        }
        "sts" if res.starts_with("federated-user/") => Kind::FederatedUser,
        _ => Kind::OtherArn,
    };
    Principal {
        raw,
        partition: a.partition(),
        account: Some(a.account()).filter(|s| !s.is_empty()),
        kind,
    }
}

/// Why `principal` cannot make a request, if it cannot: a group ARN (IAM never authenticates a
/// group), an ARN of something that is not a principal, or a name that is neither an ARN, a
/// service principal nor `*` (anonymous). Deciding such a request would answer a question IAM
/// never asks, so callers refuse it instead.
pub fn requester_problem(principal: &str) -> Option<String> {
    let parsed = principal_of(principal);
    let expected =
        "expected the ARN of a user, a role, an assumed-role session, a federated user or \
                    an account root (`arn:aws:iam::ACCOUNT:root`), a service principal such as \
                    `sagemaker.amazonaws.com`, or `*` for an anonymous request";
    if can_request(&parsed) {
        return None;
    }
    match parsed.kind {
        Kind::OtherArn => {
            let is_group = ArnParts::parse(principal)
                .is_some_and(|a| a.service() == "iam" && a.resource().starts_with("group/"));
            Some(if is_group {
                format!(
                    "`{principal}` is an IAM group: IAM never authenticates a group, so a group \
                     never makes a request; use the ARN of a member, or of the role members assume"
                )
            } else {
                format!("`{principal}` is not an ARN of a principal: {expected}")
            })
        }
        _ => Some(format!("`{principal}` is not a principal: {expected}")),
    }
}

/// Whether `requester_problem` finds no problem with the principal parsed as `p`.
fn can_request(p: &Principal<'_>) -> bool {
    match p.kind {
        Kind::User(_) | Kind::AssumedRole(_) | Kind::FederatedUser | Kind::Role | Kind::Root => {
            true
        }
        Kind::OtherArn => false,
        Kind::NonArn => {
            let raw = p.raw;
            let service_like = raw.contains('.')
                && raw.bytes().all(|b| {
                    b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-'
                });
            raw == "*" || service_like
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum PMatch {
    No,
    /// Matches only through an account entry (ID or `:root`).
    Account,
    /// Matches through the role of a session (or a role ARN as requester).
    Indirect,
    /// Names the requesting user/session itself.
    Direct,
}

fn match_entry(e: &PrincipalEntry, p: &Principal<'_>) -> PMatch {
    match e {
        // `*` covers the requesting user/session itself (and anyone could
        // make the same request unsigned), so it counts as naming it.
        PrincipalEntry::Any => PMatch::Direct,
        PrincipalEntry::Account(a) => {
            if p.account == Some(a.as_str()) {
                PMatch::Account
            } else {
                PMatch::No
            }
        }
        PrincipalEntry::Arn(s) => {
            if s == p.raw {
                return match p.kind {
                    Kind::User(_) | Kind::AssumedRole(_) | Kind::FederatedUser => PMatch::Direct,
                    _ => PMatch::Indirect,
                };
            }
            // A role ARN names every session of that role.
            if let Kind::AssumedRole(role) = p.kind {
                if let Some(a) = ArnParts::parse(s) {
                    if a.service() == "iam"
                        && a.partition() == p.partition
                        && Some(a.account()) == p.account
                        && a.resource().starts_with("role/")
                        && a.resource().rsplit('/').next() == Some(role)
                    {
                        return PMatch::Indirect;
                    }
                }
            }
            PMatch::No
        }
        PrincipalEntry::Service(s) => {
            if p.raw.eq_ignore_ascii_case(s) {
                PMatch::Direct
            } else {
                PMatch::No
            }
        }
        PrincipalEntry::Federated(s) | PrincipalEntry::Canonical(s) => {
            if p.raw == s {
                PMatch::Direct
            } else {
                PMatch::No
            }
        }
    }
}

/// Whether a `NotPrincipal` list names every identity in the requester's
/// chain. IAM checks the account, then the role, then the user or session
/// ("NotPrincipal with Deny": list "the ARN for a user's account", and for
/// an assumed role "the assumed-role user ..., the role ..., and the AWS
/// account"), so a user is exempt only when both the user ARN and the
/// account are listed, and a role session only with session, role and
/// account. An account entry exempts only the account identity itself.
fn not_principal_exempts(spec: &PrincipalSpec, p: &Principal<'_>) -> bool {
    let any = spec.entries.contains(&PrincipalEntry::Any);
    if any {
        return true;
    }
    let listed_arn = |arn: &str| {
        spec.entries
            .iter()
            .any(|e| matches!(e, PrincipalEntry::Arn(s) if s == arn))
    };
    let listed_account = |acct: &str| {
        spec.entries
            .iter()
            .any(|e| matches!(e, PrincipalEntry::Account(a) if a == acct))
    };
    let account_ok = p.account.map_or(true, listed_account);
    match p.kind {
        Kind::Root => account_ok,
        Kind::User(_) | Kind::Role | Kind::FederatedUser | Kind::OtherArn => {
            account_ok && listed_arn(p.raw)
        }
        Kind::AssumedRole(role) => {
            let role_listed = spec.entries.iter().any(|e| match e {
                PrincipalEntry::Arn(s) => ArnParts::parse(s).is_some_and(|a| {
                    a.service() == "iam"
                        && a.partition() == p.partition
                        && Some(a.account()) == p.account
                        && a.resource().starts_with("role/")
                        && a.resource().rsplit('/').next() == Some(role)
                }),
                _ => false,
            });
            account_ok && role_listed && listed_arn(p.raw)
        }
        Kind::NonArn => spec.entries.iter().any(|e| match_entry(e, p) != PMatch::No),
    }
}

fn match_principal(spec: &PrincipalSpec, p: &Principal<'_>, effect: Effect) -> PMatch {
    if spec.not {
        // The docs leave partial lists open ("might deny"); resolve toward
        // refusing access: a Deny exempts only a fully listed chain, an
        // Allow excludes anyone an entry would name as a `Principal`.
        let exempt = match effect {
            Effect::Deny => not_principal_exempts(spec, p),
            Effect::Allow => spec.entries.iter().any(|e| match_entry(e, p) != PMatch::No),
        };
        return if exempt {
            PMatch::No
        } else {
            // "Everyone except ...": covers the requester itself, like `*`.
            PMatch::Direct
        };
    }
    spec.entries
        .iter()
        .map(|e| match_entry(e, p))
        .max()
        .unwrap_or(PMatch::No)
}

// ------------------------------------------------------------------ context

/// Request context plus keys IAM derives from the request itself.
struct Ctx<'a> {
    req: &'a Request,
    /// Lowercase service prefix of the action.
    service: &'a str,
    principal: &'a Principal<'a>,
    resource_account: Option<&'a str>,
}

/// What IAM would put in the request context for a key the caller did not set.
enum Derived<'a> {
    Value(&'a str),
    /// IAM sets the key, but its value cannot be read off the request.
    Unknown,
    Missing,
}

impl Ctx<'_> {
    /// `aws:PrincipalAccount`, `aws:PrincipalArn`, `aws:username` (IAM users),
    /// `aws:ResourceAccount`, unless the caller set them. A role session's
    /// `aws:PrincipalArn` is its role's ARN, path included, which the session
    /// ARN does not carry: it is unknown rather than absent, so that a policy
    /// that reads it never gets a confident answer from a guess.
    fn derived(&self, key_lc: &str) -> Derived<'_> {
        let p = self.principal;
        match key_lc {
            "aws:principalaccount" => p.account.map_or(Derived::Missing, Derived::Value),
            "aws:principalarn" => match p.kind {
                Kind::User(_) | Kind::Role | Kind::Root | Kind::FederatedUser => {
                    Derived::Value(p.raw)
                }
                Kind::AssumedRole(_) => Derived::Unknown,
                Kind::OtherArn | Kind::NonArn => Derived::Missing,
            },
            "aws:username" => match p.kind {
                Kind::User(n) => Derived::Value(n),
                _ => Derived::Missing,
            },
            "aws:resourceaccount" => self
                .resource_account
                .map_or(Derived::Missing, Derived::Value),
            _ => Derived::Missing,
        }
    }
}

impl VarSource for Ctx<'_> {
    fn lookup_var(&self, key_lc: &str) -> VarLookup<'_> {
        match self.req.context.map.get(key_lc) {
            Some(Slot::Unknown) => VarLookup::Unknown,
            Some(Slot::One(v)) => VarLookup::Value(v),
            Some(Slot::Values(v)) if v.len() == 1 => VarLookup::Value(&v[0]),
            // Multi-valued keys cannot be used as variables.
            Some(Slot::Values(_)) => VarLookup::Missing,
            None => match self.derived(key_lc) {
                Derived::Value(v) => VarLookup::Value(v),
                Derived::Unknown => VarLookup::Unknown,
                Derived::Missing => VarLookup::Missing,
            },
        }
    }
}

impl ContextSource for Ctx<'_> {
    fn lookup_key(&self, key_lc: &str) -> KeyLookup<'_> {
        match self.req.context.map.get(key_lc) {
            Some(Slot::Unknown) => KeyLookup::Unknown,
            Some(Slot::One(v)) => KeyLookup::Many(std::slice::from_ref(v)),
            Some(Slot::Values(v)) => KeyLookup::Many(v),
            None => match self.derived(key_lc) {
                Derived::Value(v) => KeyLookup::One(v),
                Derived::Unknown => KeyLookup::Unknown,
                Derived::Missing => KeyLookup::Missing,
            },
        }
    }
}

// --------------------------------------------------------------- statements

struct Hit {
    kind: PolicyType,
    policy: usize,
    stmt: usize,
    detail: HitDetail,
}

enum HitDetail {
    Matched,
    Failed(usize),
    Unknown(String),
}

struct StmtResult {
    tri: Tri,
    pmatch: PMatch,
    failed: Option<usize>,
    unknown: Option<String>,
}

fn eval_statement(
    s: &Statement,
    action_lc: &str,
    resource: &str,
    arn: Option<&ArnParts<'_>>,
    principal: &Principal<'_>,
    ctx: &Ctx<'_>,
) -> Option<StmtResult> {
    // Action / NotAction (case-insensitive: both sides lowercase).
    let hit = s.actions.iter().any(|g| g.matches(action_lc));
    if hit == s.not_action {
        return None;
    }
    // Resource / NotResource. An entry whose variable has no value matches
    // nothing, and it also keeps a NotResource statement from applying.
    let neg = s.not_resource;
    let mut tri = Tri::from_bool(neg);
    let mut unknown = None;
    for (entry, r) in s.resources.patterns() {
        let t = match r.matches(entry, resource, arn, ctx) {
            Resolved::Value(b) => Tri::from_bool(b != neg),
            Resolved::Missing => Tri::False,
            Resolved::Unknown(k) => {
                unknown.get_or_insert(k);
                Tri::Unknown
            }
        };
        tri = if neg { tri.and(t) } else { tri.or(t) };
        if tri == Tri::from_bool(!neg) {
            break;
        }
    }
    if tri == Tri::False {
        return None;
    }
    // Principal / NotPrincipal (resource-based policies only).
    let mut pmatch = PMatch::Direct;
    if let Some(spec) = &s.principal {
        pmatch = match_principal(spec, principal, s.effect);
        if pmatch == PMatch::No {
            return None;
        }
    }
    if s.condition.entries.is_empty() {
        return Some(StmtResult {
            tri,
            pmatch,
            failed: None,
            unknown,
        });
    }
    let c = s.condition.eval(ctx);
    if c.tri == Tri::False {
        return Some(StmtResult {
            tri: Tri::False,
            pmatch,
            failed: c.failed,
            unknown: None,
        });
    }
    Some(StmtResult {
        tri: tri.and(c.tri),
        pmatch,
        failed: None,
        unknown: unknown.or(c.unknown),
    })
}

#[derive(Default)]
struct Acc {
    deny: Option<Tri>,
    deny_hits: Vec<Hit>,
    unknown_hits: Vec<Hit>,
    near: Vec<Hit>,
    allow_hits: Vec<Hit>,
}

/// Per-policy-type allow state.
#[derive(Clone, Copy)]
struct Allows {
    /// Some Allow applies.
    any: Tri,
    /// An Allow applies that names the requesting user/session itself.
    direct: Tri,
    /// An Allow applies through something other than an account entry.
    named: Tri,
}

impl Default for Allows {
    fn default() -> Self {
        Allows {
            any: Tri::False,
            direct: Tri::False,
            named: Tri::False,
        }
    }
}

impl Allows {
    fn add(&mut self, t: Tri, pm: PMatch) {
        self.any = self.any.or(t);
        if pm == PMatch::Direct {
            self.direct = self.direct.or(t);
        }
        if pm >= PMatch::Indirect {
            self.named = self.named.or(t);
        }
    }
}

/// Visits, in statement order, the statements of `p` that can match an
/// action of service `svc`.
fn candidates(p: &Policy, svc: &str, mut f: impl FnMut(usize)) {
    let a = p.by_service.get(svc);
    let b = p.any_service.as_slice();
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        if j >= b.len() || (i < a.len() && a[i] < b[j]) {
            f(a[i] as usize);
            i += 1;
        } else {
            f(b[j] as usize);
            j += 1;
        }
    }
}

/// Lowercases an action without allocating when it is short ASCII.
enum Lower {
    Stack([u8; 128], usize),
    Heap(String),
}

impl Lower {
    fn new(s: &str) -> Lower {
        if s.is_ascii() && s.len() <= 128 {
            let mut buf = [0u8; 128];
            for (d, b) in buf.iter_mut().zip(s.bytes()) {
                *d = b.to_ascii_lowercase();
            }
            Lower::Stack(buf, s.len())
        } else {
            Lower::Heap(s.to_lowercase())
        }
    }
    fn as_str(&self) -> &str {
        match self {
            // ASCII bytes are always valid UTF-8.
            Lower::Stack(b, n) => std::str::from_utf8(&b[..*n]).unwrap_or(""),
            Lower::Heap(s) => s,
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn scan(
    policies: &[Policy],
    explain: bool,
    action_lc: &str,
    resource: &str,
    arn: Option<&ArnParts<'_>>,
    principal: &Principal<'_>,
    ctx: &Ctx<'_>,
    acc: &mut Acc,
) -> Allows {
    let mut allows = Allows::default();
    let svc = ctx.service;
    for (pi, p) in policies.iter().enumerate() {
        candidates(p, svc, |si| {
            let Some(s) = p.statements.get(si) else {
                return;
            };
            let Some(r) = eval_statement(s, action_lc, resource, arn, principal, ctx) else {
                return;
            };
            if !explain {
                match (s.effect, r.tri) {
                    (Effect::Deny, t) if t != Tri::False => {
                        acc.deny = Some(acc.deny.unwrap_or(Tri::False).or(t))
                    }
                    (Effect::Allow, t) if t != Tri::False => allows.add(t, r.pmatch),
                    _ => {}
                }
                return;
            }
            let hit = |detail| Hit {
                kind: p.kind,
                policy: pi,
                stmt: si,
                detail,
            };
            match (s.effect, r.tri) {
                (Effect::Deny, Tri::True) => {
                    acc.deny = Some(Tri::True);
                    acc.deny_hits.push(hit(HitDetail::Matched));
                }
                (Effect::Deny, Tri::Unknown) => {
                    acc.deny = Some(acc.deny.unwrap_or(Tri::False).or(Tri::Unknown));
                    acc.unknown_hits
                        .push(hit(HitDetail::Unknown(r.unknown.unwrap_or_default())));
                }
                (Effect::Allow, Tri::True) => {
                    allows.add(Tri::True, r.pmatch);
                    acc.allow_hits.push(hit(HitDetail::Matched));
                }
                (Effect::Allow, Tri::Unknown) => {
                    allows.add(Tri::Unknown, r.pmatch);
                    acc.unknown_hits
                        .push(hit(HitDetail::Unknown(r.unknown.unwrap_or_default())));
                }
                (Effect::Allow, Tri::False) => {
                    if let Some(f) = r.failed {
                        acc.near.push(hit(HitDetail::Failed(f)));
                    }
                }
                (Effect::Deny, Tri::False) => {}
            }
        });
    }
    allows
}

fn evaluate(set: &PolicySet, req: &Request, explain: bool) -> Evaluation {
    evaluate_as(set, req, explain, principal_of(&req.principal))
}

/// [`evaluate`] with the request's principal already parsed.
fn evaluate_as<'r>(
    set: &PolicySet,
    req: &'r Request,
    explain: bool,
    principal: Principal<'r>,
) -> Evaluation {
    let lower = Lower::new(&req.action);
    let action_lc = lower.as_str();
    let arn = ArnParts::parse(&req.resource);
    let resource_account = req
        .resource_account
        .as_deref()
        .or_else(|| arn.as_ref().map(|a| a.account()).filter(|s| !s.is_empty()))
        .or(principal.account);
    let ctx = Ctx {
        req,
        service: action_lc.split_once(':').map_or(action_lc, |(s, _)| s),
        principal: &principal,
        resource_account,
    };
    let mut acc = Acc::default();
    let arn_ref = arn.as_ref();
    // Every policy type is scanned the same way; the deny it finds accumulates in `acc`.
    let mut scan_type = |policies: &[Policy]| {
        scan(
            policies,
            explain,
            action_lc,
            &req.resource,
            arn_ref,
            &principal,
            &ctx,
            &mut acc,
        )
    };
    let id = scan_type(&set.identity);
    let res = set
        .resource
        .as_ref()
        .map(|p| scan_type(std::slice::from_ref(p)));
    let pb = set
        .boundary
        .as_ref()
        .map(|p| scan_type(std::slice::from_ref(p)));
    let sp = (!set.session.is_empty()).then(|| scan_type(&set.session));

    let deny = acc.deny.unwrap_or(Tri::False);
    let pb_ok = pb.map_or(Tri::True, |a| a.any);
    let sp_ok = sp.map_or(Tri::True, |a| a.any);
    let res_any = res.map_or(Tri::False, |a| a.any);
    let res_direct = res.map_or(Tri::False, |a| a.direct);
    let res_named = res.map_or(Tri::False, |a| a.named);
    let id_path = id.any.and(pb_ok).and(sp_ok);
    let same_account = principal.account.is_some() && principal.account == resource_account;
    // A KMS key policy must allow explicitly; granting the account delegates
    // to IAM, so identity policies then also have to allow.
    let key_policy = res.is_some() && arn.as_ref().is_some_and(|a| a.service() == "kms");
    let allow = match principal.account {
        None => res_any,
        // "All requests are implicitly denied with the exception of the AWS
        // account root user, which has full access" (key policies aside).
        Some(_) if same_account && !key_policy && principal.kind == Kind::Root => Tri::True,
        Some(_) if same_account && key_policy => res_direct
            .or(res_named.and(pb_ok).and(sp_ok))
            .or(res_any.and(id_path)),
        // A grant to the account only delegates to IAM: it adds nothing
        // beyond the identity path.
        Some(_) if same_account => id_path.or(res_direct).or(res_named.and(pb_ok).and(sp_ok)),
        Some(_) => id_path.and(res_any),
    };
    let decision = match (deny, allow) {
        (Tri::True, _) => Decision::ExplicitDeny,
        (Tri::Unknown, _) | (Tri::False, Tri::Unknown) => Decision::Indeterminate,
        (Tri::False, Tri::True) => Decision::Allow,
        (Tri::False, Tri::False) => Decision::ImplicitDeny,
    };

    let policy_of = |kind: PolicyType, pi: usize| -> Option<&Policy> {
        match kind {
            PolicyType::Identity => set.identity.get(pi),
            PolicyType::Session => set.session.get(pi),
            PolicyType::Resource => set.resource.as_ref(),
            PolicyType::PermissionsBoundary => set.boundary.as_ref(),
        }
    };
    let reason = |h: &Hit| -> Option<Reason> {
        let p = policy_of(h.kind, h.policy)?;
        let s = p.statements.get(h.stmt)?;
        let detail = match &h.detail {
            HitDetail::Matched => ReasonDetail::Matched,
            HitDetail::Failed(i) => {
                let e = s.condition.entries.get(*i)?;
                ReasonDetail::ConditionFailed {
                    operator: e.operator.clone(),
                    key: e.key.clone(),
                }
            }
            HitDetail::Unknown(k) => ReasonDetail::DependsOnUnknown { key: k.clone() },
        };
        Some(Reason {
            policy_type: h.kind,
            policy: p.name.clone(),
            sid: s.sid.clone(),
            statement_index: Some(s.index),
            effect: Some(s.effect),
            detail,
        })
    };
    let no_allow = |kind: PolicyType, policy: &str| Reason {
        policy_type: kind,
        policy: policy.to_string(),
        sid: None,
        statement_index: None,
        effect: None,
        detail: ReasonDetail::NoAllow,
    };

    let mut reasons = Vec::new();
    let mut unknown_keys = Vec::new();
    if !explain {
        return Evaluation {
            decision,
            reasons,
            unknown_keys,
        };
    }
    match decision {
        Decision::ExplicitDeny => reasons.extend(acc.deny_hits.iter().filter_map(reason)),
        Decision::Allow => reasons.extend(acc.allow_hits.iter().filter_map(reason)),
        Decision::Indeterminate => {
            reasons.extend(acc.unknown_hits.iter().filter_map(reason));
            for h in &acc.unknown_hits {
                if let HitDetail::Unknown(k) = &h.detail {
                    if !unknown_keys.contains(k) {
                        unknown_keys.push(k.clone());
                    }
                }
            }
        }
        Decision::ImplicitDeny => {
            reasons.extend(acc.near.iter().filter_map(reason));
            // Name each policy type whose missing Allow refused the request.
            let res_name = set.resource.as_ref().map_or("", |p| p.name.as_str());
            let granted = id.any == Tri::True || (same_account && res_named == Tri::True);
            if principal.account.is_some() {
                let res_alone = same_account && !key_policy && res_named == Tri::True;
                if id.any == Tri::False && !res_alone {
                    reasons.push(no_allow(PolicyType::Identity, ""));
                }
                if granted && pb_ok == Tri::False {
                    let n = set.boundary.as_ref().map_or("", |p| p.name.as_str());
                    reasons.push(no_allow(PolicyType::PermissionsBoundary, n));
                }
                if granted && sp_ok == Tri::False {
                    reasons.push(no_allow(PolicyType::Session, ""));
                }
            }
            if res_any == Tri::False && (!same_account || key_policy) {
                reasons.push(no_allow(PolicyType::Resource, res_name));
            }
        }
    }
    Evaluation {
        decision,
        reasons,
        unknown_keys,
    }
}
