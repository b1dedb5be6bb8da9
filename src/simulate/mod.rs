//! IAM policy evaluator: decides a request against identity policies, an
//! optional resource-based policy, a permissions boundary and session
//! policies, following the evaluation logic in the IAM User Guide.
//!
//! ```
//! use mlrole::simulate::{Decision, Policy, PolicySet, PolicyType, Request};
//!
//! let id = Policy::parse("train", PolicyType::Identity, r#"{
//!   "Version": "2012-10-17",
//!   "Statement": [{"Effect": "Allow", "Action": "sagemaker:CreateTrainingJob",
//!                  "Resource": "arn:aws:sagemaker:*:111122223333:training-job/*",
//!                  "Condition": {"Bool": {"aws:SecureTransport": "true"}}}]}"#)?;
//! let set = PolicySet::new().with(id);
//! let req = Request::new("arn:aws:sts::111122223333:assumed-role/ml/s", "sagemaker:CreateTrainingJob",
//!                        "arn:aws:sagemaker:us-east-1:111122223333:training-job/j1")
//!     .with("aws:SecureTransport", true);
//! assert_eq!(set.evaluate(&req).decision, Decision::Allow);
//! # Ok::<(), mlrole::simulate::ParseError>(())
//! ```
//!
//! # API
//! - [`Policy::parse`] / [`Policy::from_value`] compile one document for a
//!   [`PolicyType`]; errors are [`ParseError`]s naming the JSON path.
//! - [`PolicySet`] holds identity policies, an optional resource policy, an
//!   optional permissions boundary and session policies;
//!   [`PolicySet::evaluate`] returns an [`Evaluation`] (decision, reasons,
//!   unknown keys) and [`PolicySet::decide`] just the [`Decision`].
//! - [`run_batch`] answers JSON lines (format in the `batch` module docs:
//!   `{"id", "identity_policies", "resource_policy", "permissions_boundary",
//!   "session_policies", "request": {"principal", "action", "resource",
//!   "resource_account", "context", "unknown_keys"}}` →
//!   `{"id", "decision", "reasons"}` or `{"id", "error"}`).
//!
//! # Design
//! Policies are compiled once ([`Policy::parse`]): action patterns are
//! lowercased globs indexed by service prefix, condition values are parsed
//! into numbers/dates/CIDRs/bytes, and resource ARNs are split per segment
//! when a request first reaches their statement (a request for another
//! action never does, and a batch line's policies serve one request).
//! [`PolicySet::decide`] does not allocate unless a matching statement uses
//! a policy variable or is reached for the first time (its resources are
//! compiled then); [`PolicySet::evaluate`] also allocates for the reasons.
//!
//! # Unknown context keys and `indeterminate`
//! A key that is simply absent from the request is treated as IAM treats it
//! (positive operators false, negated operators true, `...IfExists` true,
//! `ForAllValues` true, `ForAnyValue` false, `Null: true` true); that is never
//! indeterminate. A caller who does not know a key's value — e.g. a
//! principal tag that will be set at deploy time — declares it with
//! [`Context::insert_unknown`] (batch: `"unknown_keys": [...]`). The key then
//! stands for "absent or any value", and each condition (or variable) that
//! reads it evaluates to *unknown*; unknowns propagate with Kleene
//! three-valued logic through AND/OR/NOT, statements and policy types. The
//! decision is [`Decision::Indeterminate`] exactly when that logic cannot fix
//! the outcome among `allow`, `explicit-deny` and `implicit-deny`; the
//! answer then names the statements and keys involved. Because a possible
//! explicit Deny changes the outcome from `implicit-deny` to `explicit-deny`,
//! an unknown Deny is indeterminate even when access is refused either way.
//! Kleene logic is sound (a definite answer is never changed by any value of
//! an unknown key) but, for two conditions on the same unknown key that
//! cancel out, it may answer `indeterminate` where enumeration would not.
//!
//! # Choices where IAM documentation is silent or simplified here
//! - Resource patterns without six `:`-segments are matched as one glob.
//! - `NotPrincipal` with `Deny` exempts a requester only when it lists every
//!   identity of the requester's chain: account and user; or account, role
//!   and role session (IAM User Guide, "NotPrincipal with Deny", where a list
//!   lacking the account or role "might" deny; we take the denying reading).
//!   With `Allow` it excludes anyone an entry would match as a `Principal`
//!   (account entries cover the account's principals, a role its sessions).
//!   Both readings refuse access where the docs leave the outcome open.
//! - Same-account resource-policy grants bypass the permissions boundary and
//!   session policies only when they name the requesting user, role-session
//!   or federated-user ARN itself (IAM User Guide, "Policy evaluation logic",
//!   table of resource-based policies and implicit denies), or `*`, or a
//!   `NotPrincipal` that does not exclude it (both cover the requester
//!   itself, and `*` would also admit the same request unsigned); a grant
//!   to the role ARN is limited by boundary and session policy, and a grant
//!   to the account delegates to the identity policies (they must allow).
//! - Keys IAM derives from the request are filled in when the caller did not
//!   set them: `aws:PrincipalAccount`, `aws:PrincipalArn` (users, roles,
//!   federated users, root), `aws:username` (IAM users), `aws:ResourceAccount`.
//!   A role session's `aws:PrincipalArn` is its role's ARN with the role's
//!   path, which the session ARN does not carry: unless the caller sets it,
//!   it is unknown (a decision that depends on it is `indeterminate`).
//! - A requester that IAM never authenticates (a group ARN, an ARN that is not
//!   a principal, a bare name) is refused rather than decided.
//! - A policy variable with no value (absent key, no default) makes the
//!   value containing it fail every comparison, negated ones included, and
//!   keeps a `NotResource` entry from applying ("any attempt to match it
//!   fails and causes the statement to be invalid"). In `Resource` elements
//!   variables are substituted only after the fifth colon, as IAM documents.
//! - A KMS key policy, when supplied, must allow (a grant to the account
//!   delegates to IAM); with none supplied the default key policy is assumed.
//! - SCPs, RCPs and VPC endpoint policies are out of scope.

mod arn;
mod batch;
mod condition;
mod context;
mod direct;
mod engine;
mod error;
mod json;
mod policy;
mod types;
mod variables;
mod wildcard;

/// Whether `text` matches the glob `pattern` (`*` any run, `?` one character), matched as text
/// without compiling it; case-sensitive.
pub(crate) fn glob_matches_text(pattern: &str, text: &str) -> bool {
    let pattern = pattern.as_bytes();
    wildcard::matches_text(wildcard::Shape::of(pattern), pattern, text.as_bytes())
}

pub use batch::{evaluate_line, run_batch, run_batch_threads, BatchStats};
pub use context::{Context, ContextValue, Request};
pub use engine::{requester_problem, Decision, Evaluation, PolicySet, Reason, ReasonDetail};
pub use error::{BatchError, ParseError};
pub use policy::{Effect, Policy, PolicyType};

/// Entry points to the internal matchers for the fuzz targets (`fuzz/`) and property tests. Not a
/// stable API.
#[doc(hidden)]
pub mod fuzzing {
    use super::arn::{ArnParts, ArnPattern};
    use super::variables::{VarLookup, VarSource};
    use super::wildcard::Glob;

    /// `aws:username` is `alice`, `aws:unknownkey` is declared unknown, every other key is absent.
    struct Vars;
    impl VarSource for Vars {
        fn lookup_var(&self, key: &str) -> VarLookup<'_> {
            match key {
                "aws:username" => VarLookup::Value("alice"),
                "aws:unknownkey" => VarLookup::Unknown,
                _ => VarLookup::Missing,
            }
        }
    }

    /// Splits `arn` into its six segments, if it is an ARN.
    pub fn arn_segments(arn: &str) -> Option<[&str; 6]> {
        ArnParts::parse(arn).map(|parts| parts.segs)
    }

    /// Whether the `Resource` pattern matches `arn` (`Some(true/false)`), or depends on an
    /// unknown or missing variable (`None`).
    pub fn arn_matches(pattern: &str, arn: &str, resource_element: bool) -> Option<bool> {
        let compiled = if resource_element {
            ArnPattern::new_resource(pattern, true)
        } else {
            ArnPattern::new(pattern, true)
        };
        match compiled.matches(arn, ArnParts::parse(arn).as_ref(), &Vars) {
            super::variables::Resolved::Value(matched) => Some(matched),
            _ => None,
        }
    }

    /// Whether `text` matches the glob `pattern` (`*` and `?`).
    pub fn glob_matches(pattern: &str, text: &str) -> bool {
        Glob::new(pattern).matches(text)
    }
}
