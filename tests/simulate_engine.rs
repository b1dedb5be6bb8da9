//! Policy-combination rules (IAM User Guide, "Policy evaluation logic",
//! "Cross-account policy evaluation logic") and the element grammar
//! (Action/NotAction, Resource/NotResource, Principal/NotPrincipal).

use mlrole::simulate::{
    Decision, Effect, Evaluation, Policy, PolicySet, PolicyType, ReasonDetail, Request,
};
use serde_json::{json, Value};

const ACCT: &str = "111122223333";
const OTHER: &str = "444455556666";
const ALICE: &str = "arn:aws:iam::111122223333:user/alice";
const ROLE: &str = "arn:aws:iam::111122223333:role/ml/SageMakerExec";
const SESSION: &str = "arn:aws:sts::111122223333:assumed-role/SageMakerExec/job-1";
const CAROL: &str = "arn:aws:iam::444455556666:user/carol";
const OBJ: &str = "arn:aws:s3:::ml-data/alice/train.csv";

fn pol(kind: PolicyType, name: &str, statements: Value) -> Policy {
    let doc = json!({"Version": "2012-10-17", "Statement": statements});
    Policy::from_value(name, kind, &doc).unwrap_or_else(|e| panic!("{name}: {e}"))
}
fn identity(name: &str, s: Value) -> Policy {
    pol(PolicyType::Identity, name, s)
}
fn allow(action: &str, resource: &str) -> Value {
    json!({"Effect": "Allow", "Action": action, "Resource": resource})
}
fn get(principal: &str) -> Request {
    Request::new(principal, "s3:GetObject", OBJ).with_resource_account(ACCT)
}
/// The decision, checked to be the same with and without explanation.
fn decide(set: &PolicySet, r: &Request) -> Decision {
    let d = set.evaluate(r).decision;
    assert_eq!(set.decide(r), d, "decide() and evaluate() disagree");
    d
}

// "An explicit deny in any policy overrides any allows."
#[test]
fn explicit_deny_wins_across_policies() {
    let set = PolicySet::new()
        .with(identity("allow-all", json!([allow("s3:*", "*")])))
        .with(identity("deny-logs", json!([{"Sid": "NoLogs", "Effect": "Deny", "Action": "s3:*", "Resource": "arn:aws:s3:::*log*"}])));
    assert_eq!(decide(&set, &get(ALICE)), Decision::Allow);
    let ev = set.evaluate(
        &Request::new(ALICE, "s3:GetObject", "arn:aws:s3:::ml-logs/x").with_resource_account(ACCT),
    );
    assert_eq!(ev.decision, Decision::ExplicitDeny);
    assert_eq!(ev.reasons.len(), 1);
    assert_eq!(ev.reasons[0].policy, "deny-logs");
    assert_eq!(ev.reasons[0].sid.as_deref(), Some("NoLogs"));
    assert_eq!(ev.reasons[0].effect, Some(Effect::Deny));
    // A Deny in the resource policy wins over identity allows too.
    let set = set.with(pol(
        PolicyType::Resource,
        "bucket",
        json!([{"Effect": "Deny", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::ml-data/*"}]),
    ));
    let ev = set.evaluate(&get(ALICE));
    assert_eq!(ev.decision, Decision::ExplicitDeny);
    assert_eq!(ev.reasons[0].policy_type, PolicyType::Resource);
    assert_eq!(ev.reasons[0].statement_index, Some(0));
}

// "... with the exception of the AWS account root user, which has full access."
#[test]
fn account_root_has_full_access_in_its_account() {
    let root = "arn:aws:iam::111122223333:root";
    assert_eq!(decide(&PolicySet::new(), &get(root)), Decision::Allow);
    let deny = PolicySet::new().with(pol(
        PolicyType::Resource,
        "bucket",
        json!([{"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*"}]),
    ));
    assert_eq!(decide(&deny, &get(root)), Decision::ExplicitDeny);
    let other_root = "arn:aws:iam::444455556666:root";
    assert_eq!(
        decide(&PolicySet::new(), &get(other_root)),
        Decision::ImplicitDeny
    );
}

// "By default, all requests are implicitly denied."
#[test]
fn nothing_applies_is_implicit_deny() {
    let set = PolicySet::new().with(identity("p", json!([allow("s3:PutObject", "*")])));
    let ev = set.evaluate(&get(ALICE));
    assert_eq!(ev.decision, Decision::ImplicitDeny);
    assert!(ev.reasons.iter().any(|r| r.detail == ReasonDetail::NoAllow));
    assert_eq!(
        decide(&PolicySet::new(), &get(ALICE)),
        Decision::ImplicitDeny
    );
}

// Actions are case-insensitive; wildcards in the action name.
#[test]
fn action_matching() {
    let set = PolicySet::new().with(identity("p", json!([allow("S3:get*", "*")])));
    assert_eq!(decide(&set, &get(ALICE)), Decision::Allow);
    assert_eq!(
        decide(&set, &Request::new(ALICE, "S3:GETOBJECT", OBJ)),
        Decision::Allow
    );
    assert_eq!(
        decide(&set, &Request::new(ALICE, "s3:PutObject", OBJ)),
        Decision::ImplicitDeny
    );
    let set = PolicySet::new().with(identity("p", json!([allow("sagemaker:*TrainingJob", "*")])));
    assert_eq!(
        decide(
            &set,
            &Request::new(ALICE, "sagemaker:CreateTrainingJob", "*")
        ),
        Decision::Allow
    );
    assert_eq!(
        decide(
            &set,
            &Request::new(ALICE, "sagemaker:CreateTrainingJobs", "*")
        ),
        Decision::ImplicitDeny
    );
}

// NotAction: "matches everything except the listed actions".
#[test]
fn not_action() {
    let set = PolicySet::new()
        .with(identity("allow", json!([allow("*", "*")])))
        .with(identity(
            "deny",
            json!([{"Effect": "Deny", "NotAction": ["s3:Get*", "s3:List*"], "Resource": "*"}]),
        ));
    assert_eq!(decide(&set, &get(ALICE)), Decision::Allow);
    assert_eq!(
        decide(&set, &Request::new(ALICE, "s3:DeleteObject", OBJ)),
        Decision::ExplicitDeny
    );
}

// Resource ARNs: per-segment, case-sensitive; NotResource.
#[test]
fn resource_and_not_resource() {
    let set = PolicySet::new().with(identity(
        "p",
        json!([allow("s3:GetObject", "arn:aws:s3:::ml-data/*")]),
    ));
    assert_eq!(decide(&set, &get(ALICE)), Decision::Allow);
    assert_eq!(
        decide(
            &set,
            &Request::new(ALICE, "s3:GetObject", "arn:aws:s3:::ML-Data/x")
        ),
        Decision::ImplicitDeny
    );
    let set = PolicySet::new().with(identity(
        "p",
        json!([{"Effect": "Allow", "Action": "s3:GetObject", "NotResource": ["arn:aws:s3:::secret/*", "arn:aws:s3:::secret"]}]),
    ));
    assert_eq!(decide(&set, &get(ALICE)), Decision::Allow);
    assert_eq!(
        decide(
            &set,
            &Request::new(ALICE, "s3:GetObject", "arn:aws:s3:::secret/x")
        ),
        Decision::ImplicitDeny
    );
    let set = PolicySet::new().with(identity(
        "p",
        json!([allow(
            "sagemaker:CreateTrainingJob",
            "arn:aws:sagemaker:*:111122223333:training-job/*"
        )]),
    ));
    let job =
        |region: &str, acct: &str| format!("arn:aws:sagemaker:{region}:{acct}:training-job/j1");
    assert_eq!(
        decide(
            &set,
            &Request::new(
                ALICE,
                "sagemaker:CreateTrainingJob",
                &job("eu-west-1", ACCT)
            )
        ),
        Decision::Allow
    );
    assert_eq!(
        decide(
            &set,
            &Request::new(
                ALICE,
                "sagemaker:CreateTrainingJob",
                &job("eu-west-1", OTHER)
            )
        ),
        Decision::ImplicitDeny
    );
}

// "Evaluating identity-based policies with permissions boundaries": the
// intersection.
#[test]
fn permissions_boundary_limits_identity_allows() {
    let set = PolicySet::new()
        .with(identity("p", json!([allow("s3:*", "*")])))
        .with(pol(
            PolicyType::PermissionsBoundary,
            "boundary",
            json!([allow("s3:GetObject", "*")]),
        ));
    assert_eq!(decide(&set, &get(ALICE)), Decision::Allow);
    let ev = set.evaluate(&Request::new(ALICE, "s3:PutObject", OBJ));
    assert_eq!(ev.decision, Decision::ImplicitDeny);
    assert!(ev
        .reasons
        .iter()
        .any(|r| r.policy_type == PolicyType::PermissionsBoundary
            && r.detail == ReasonDetail::NoAllow));
    // The boundary alone grants nothing.
    let set = PolicySet::new().with(pol(
        PolicyType::PermissionsBoundary,
        "boundary",
        json!([allow("s3:*", "*")]),
    ));
    assert_eq!(decide(&set, &get(ALICE)), Decision::ImplicitDeny);
}

// Session policies: "the resulting session's permissions are the
// intersection of the role's identity-based policy and the session policies".
#[test]
fn session_policy_limits_role_session() {
    let set = PolicySet::new()
        .with(identity("role", json!([allow("s3:*", "*")])))
        .with(pol(
            PolicyType::Session,
            "session",
            json!([allow("s3:GetObject", "arn:aws:s3:::ml-data/*")]),
        ));
    assert_eq!(decide(&set, &get(SESSION)), Decision::Allow);
    let ev = set.evaluate(&Request::new(SESSION, "s3:PutObject", OBJ));
    assert_eq!(ev.decision, Decision::ImplicitDeny);
    assert!(ev
        .reasons
        .iter()
        .any(|r| r.policy_type == PolicyType::Session));
    // A Deny in a session policy is an explicit deny.
    let set = set.with(pol(
        PolicyType::Session,
        "deny",
        json!([{"Effect": "Deny", "Action": "s3:GetObject", "Resource": "*"}]),
    ));
    assert_eq!(decide(&set, &get(SESSION)), Decision::ExplicitDeny);
}

// Same account: identity OR resource policy.
#[test]
fn same_account_resource_policy_alone_suffices_when_it_names_the_principal() {
    let bucket = |principal: Value| {
        pol(
            PolicyType::Resource,
            "bucket",
            json!([{"Effect": "Allow", "Principal": principal, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::ml-data/*"}]),
        )
    };
    let named = PolicySet::new().with(bucket(json!({"AWS": ALICE})));
    assert_eq!(decide(&named, &get(ALICE)), Decision::Allow);
    assert_eq!(
        decide(&named, &get("arn:aws:iam::111122223333:user/bob")),
        Decision::ImplicitDeny
    );
    // A grant to the account delegates to IAM: identity policies must allow.
    for acct in [
        json!({"AWS": ACCT}),
        json!({"AWS": "arn:aws:iam::111122223333:root"}),
    ] {
        let set = PolicySet::new().with(bucket(acct));
        assert_eq!(decide(&set, &get(ALICE)), Decision::ImplicitDeny);
        let set = set.with(identity("p", json!([allow("s3:GetObject", "*")])));
        assert_eq!(decide(&set, &get(ALICE)), Decision::Allow);
    }
    // Identity alone also suffices within the account.
    let set = PolicySet::new()
        .with(identity("p", json!([allow("s3:GetObject", "*")])))
        .with(bucket(json!({"AWS": CAROL})));
    assert_eq!(decide(&set, &get(ALICE)), Decision::Allow);
}

// "Resource-based policies and implicit denies in other policy types":
// granting the role session ARN or the user ARN directly is not limited by
// boundary/session policy; granting the role ARN is.
#[test]
fn direct_grants_bypass_boundary_role_grants_do_not() {
    let boundary = pol(
        PolicyType::PermissionsBoundary,
        "boundary",
        json!([allow("sagemaker:*", "*")]),
    );
    let bucket = |p: &str| {
        pol(
            PolicyType::Resource,
            "bucket",
            json!([{"Effect": "Allow", "Principal": {"AWS": p}, "Action": "s3:GetObject", "Resource": "*"}]),
        )
    };
    let set = PolicySet::new()
        .with(boundary.clone())
        .with(bucket(SESSION));
    assert_eq!(decide(&set, &get(SESSION)), Decision::Allow);
    let set = PolicySet::new().with(boundary.clone()).with(bucket(ROLE));
    assert_eq!(decide(&set, &get(SESSION)), Decision::ImplicitDeny);
    let ev = set.evaluate(&get(SESSION));
    assert!(ev
        .reasons
        .iter()
        .any(|r| r.policy_type == PolicyType::PermissionsBoundary
            && r.detail == ReasonDetail::NoAllow));
    assert!(
        !ev.reasons
            .iter()
            .any(|r| r.policy_type == PolicyType::Identity),
        "{:?}",
        ev.reasons
    );
    let set = PolicySet::new().with(bucket(ROLE));
    assert_eq!(
        decide(&set, &get(SESSION)),
        Decision::Allow,
        "role ARN names its sessions"
    );
    let set = PolicySet::new().with(boundary).with(bucket(ALICE));
    assert_eq!(decide(&set, &get(ALICE)), Decision::Allow);
    // Session policy: same rule.
    let session = pol(
        PolicyType::Session,
        "session",
        json!([allow("sagemaker:*", "*")]),
    );
    let set = PolicySet::new().with(session.clone()).with(bucket(SESSION));
    assert_eq!(decide(&set, &get(SESSION)), Decision::Allow);
    let set = PolicySet::new().with(session).with(bucket(ROLE));
    assert_eq!(decide(&set, &get(SESSION)), Decision::ImplicitDeny);
}

// "Cross-account policy evaluation logic": both sides must allow.
#[test]
fn cross_account_needs_identity_and_resource_policy() {
    let id = identity(
        "carol",
        json!([allow("s3:GetObject", "arn:aws:s3:::ml-data/*")]),
    );
    let bucket = pol(
        PolicyType::Resource,
        "bucket",
        json!([{"Effect": "Allow", "Principal": {"AWS": OTHER}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::ml-data/*"}]),
    );
    let both = PolicySet::new().with(id.clone()).with(bucket.clone());
    assert_eq!(decide(&both, &get(CAROL)), Decision::Allow);
    let ev = PolicySet::new().with(id).evaluate(&get(CAROL));
    assert_eq!(ev.decision, Decision::ImplicitDeny);
    assert!(ev
        .reasons
        .iter()
        .any(|r| r.policy_type == PolicyType::Resource && r.detail == ReasonDetail::NoAllow));
    let ev = PolicySet::new().with(bucket).evaluate(&get(CAROL));
    assert_eq!(ev.decision, Decision::ImplicitDeny);
    assert!(ev
        .reasons
        .iter()
        .any(|r| r.policy_type == PolicyType::Identity && r.detail == ReasonDetail::NoAllow));
    // The resource account can come from the ARN itself.
    let set = PolicySet::new().with(identity("p", json!([allow("sagemaker:*", "*")])));
    let foreign = Request::new(
        ALICE,
        "sagemaker:DescribeModel",
        "arn:aws:sagemaker:us-east-1:444455556666:model/m",
    );
    assert_eq!(decide(&set, &foreign), Decision::ImplicitDeny);
}

#[test]
fn principal_forms() {
    let with_principal = |p: Value| {
        PolicySet::new().with(pol(
            PolicyType::Resource,
            "r",
            json!([{"Effect": "Allow", "Principal": p, "Action": "s3:GetObject", "Resource": "*"}]),
        ))
    };
    assert_eq!(
        decide(&with_principal(json!("*")), &get(ALICE)),
        Decision::Allow
    );
    assert_eq!(
        decide(&with_principal(json!({"AWS": "*"})), &get(ALICE)),
        Decision::Allow
    );
    assert_eq!(
        decide(&with_principal(json!("*")), &get("*")),
        Decision::Allow,
        "anonymous"
    );
    let svc = with_principal(json!({"Service": "sagemaker.amazonaws.com"}));
    assert_eq!(
        decide(&svc, &get("sagemaker.amazonaws.com")),
        Decision::Allow
    );
    assert_eq!(
        decide(&svc, &get("ec2.amazonaws.com")),
        Decision::ImplicitDeny
    );
    let fed = with_principal(json!({"Federated": "cognito-identity.amazonaws.com"}));
    assert_eq!(
        decide(&fed, &get("cognito-identity.amazonaws.com")),
        Decision::Allow
    );
    let canon = with_principal(
        json!({"CanonicalUser": "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"}),
    );
    assert_eq!(
        decide(
            &canon,
            &get("79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be")
        ),
        Decision::Allow
    );
    // A service principal gets nothing from identity policies.
    let set = PolicySet::new().with(identity("p", json!([allow("s3:*", "*")])));
    assert_eq!(
        decide(&set, &get("sagemaker.amazonaws.com")),
        Decision::ImplicitDeny
    );
}

// "NotPrincipal with Deny": all principals except the one named are denied;
// the list must name the user and its account (or session, role and account).
#[test]
fn not_principal_chain() {
    let deny_except = |names: Value| {
        PolicySet::new()
            .with(identity("p", json!([allow("s3:*", "*")])))
            .with(pol(
                PolicyType::Resource,
                "bucket",
                json!([{"Effect": "Deny", "NotPrincipal": {"AWS": names}, "Action": "s3:*", "Resource": "*"}]),
            ))
    };
    let bob = "arn:aws:iam::111122223333:user/bob";
    let set = deny_except(json!([ALICE, "arn:aws:iam::111122223333:root"]));
    assert_eq!(decide(&set, &get(ALICE)), Decision::Allow);
    assert_eq!(
        decide(&set, &get(bob)),
        Decision::ExplicitDeny,
        "the account entry does not exempt bob"
    );
    assert_eq!(decide(&set, &get(SESSION)), Decision::ExplicitDeny);
    // Without the account ARN even alice is denied.
    assert_eq!(
        decide(&deny_except(json!([ALICE])), &get(ALICE)),
        Decision::ExplicitDeny
    );
    // A session needs session, role and account.
    let all3 = deny_except(json!([SESSION, ROLE, ACCT]));
    assert_eq!(decide(&all3, &get(SESSION)), Decision::Allow);
    assert_eq!(
        decide(&deny_except(json!([ROLE, ACCT])), &get(SESSION)),
        Decision::ExplicitDeny
    );
    assert_eq!(
        decide(&deny_except(json!([SESSION, ACCT])), &get(SESSION)),
        Decision::ExplicitDeny
    );
    // A service principal is exempt when listed.
    let set = PolicySet::new().with(pol(
        PolicyType::Resource,
        "bucket",
        json!([{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"},
               {"Effect": "Deny", "NotPrincipal": {"Service": "sagemaker.amazonaws.com"}, "Action": "s3:*", "Resource": "*"}]),
    ));
    assert_eq!(
        decide(&set, &get("sagemaker.amazonaws.com")),
        Decision::Allow
    );
    assert_eq!(
        decide(&set, &get("ec2.amazonaws.com")),
        Decision::ExplicitDeny
    );
    // With Allow, a named principal (or its account) is simply excluded.
    let allow_except = |names: Value| {
        PolicySet::new().with(pol(
            PolicyType::Resource,
            "bucket",
            json!([{"Effect": "Allow", "NotPrincipal": {"AWS": names}, "Action": "s3:GetObject", "Resource": "*"}]),
        ))
    };
    assert_eq!(
        decide(&allow_except(json!([ALICE])), &get(ALICE)),
        Decision::ImplicitDeny
    );
    assert_eq!(
        decide(&allow_except(json!([ALICE])), &get(bob)),
        Decision::Allow
    );
    assert_eq!(
        decide(&allow_except(json!([ROLE])), &get(SESSION)),
        Decision::ImplicitDeny
    );
    assert_eq!(
        decide(&allow_except(json!([ACCT])), &get(bob)),
        Decision::ImplicitDeny
    );
}

// NotPrincipal: the statement applies to every principal not fully listed.
#[test]
fn not_principal() {
    let set = PolicySet::new()
        .with(identity("p", json!([allow("s3:*", "*")])))
        .with(pol(
            PolicyType::Resource,
            "bucket",
            json!([{"Effect": "Deny", "NotPrincipal": {"AWS": [ALICE, ROLE, SESSION, ACCT]}, "Action": "s3:*", "Resource": "*"}]),
        ));
    assert_eq!(decide(&set, &get(ALICE)), Decision::Allow);
    assert_eq!(decide(&set, &get(SESSION)), Decision::Allow);
    assert_eq!(
        decide(&set, &get("arn:aws:iam::111122223333:user/bob")),
        Decision::ExplicitDeny
    );
}

// KMS: "KMS key policies ... must explicitly allow access for principals".
#[test]
fn kms_key_policy_must_allow() {
    let key = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    let req = Request::new(SESSION, "kms:Decrypt", key);
    let id = identity("p", json!([allow("kms:Decrypt", "*")]));
    let key_policy = |p: Value| {
        pol(
            PolicyType::Resource,
            "key",
            json!([{"Effect": "Allow", "Principal": p, "Action": "kms:*", "Resource": "*"}]),
        )
    };
    // No key policy given: the default key policy (delegate to IAM) is assumed.
    assert_eq!(
        decide(&PolicySet::new().with(id.clone()), &req),
        Decision::Allow
    );
    // Key policy that neither names the principal nor enables IAM policies.
    let other = key_policy(json!({"AWS": "arn:aws:iam::111122223333:user/admin"}));
    assert_eq!(
        decide(&PolicySet::new().with(id.clone()).with(other), &req),
        Decision::ImplicitDeny
    );
    // Key policy enabling IAM policies (account root): identity decides.
    let root = key_policy(json!({"AWS": "arn:aws:iam::111122223333:root"}));
    assert_eq!(
        decide(&PolicySet::new().with(id).with(root.clone()), &req),
        Decision::Allow
    );
    assert_eq!(
        decide(&PolicySet::new().with(root), &req),
        Decision::ImplicitDeny
    );
    // Key policy naming the role: enough on its own.
    assert_eq!(
        decide(
            &PolicySet::new().with(key_policy(json!({"AWS": ROLE}))),
            &req
        ),
        Decision::Allow
    );
}

// Policy variables with defaults in Resource.
#[test]
fn resource_variables_with_defaults() {
    let set = PolicySet::new().with(identity(
        "home",
        json!([
            allow("s3:GetObject", "arn:aws:s3:::ml-data/${aws:username}/*"),
            allow(
                "s3:PutObject",
                "arn:aws:s3:::ml-data/${aws:PrincipalTag/team, 'shared'}/*"
            )
        ]),
    ));
    assert_eq!(
        decide(&set, &get(ALICE)),
        Decision::Allow,
        "aws:username derived from the user ARN"
    );
    assert_eq!(
        decide(&set, &get("arn:aws:iam::111122223333:user/bob")),
        Decision::ImplicitDeny
    );
    assert_eq!(
        decide(&set, &get(SESSION)),
        Decision::ImplicitDeny,
        "no aws:username for role sessions"
    );
    let put = |p: &str, obj: &str| Request::new(p, "s3:PutObject", obj);
    assert_eq!(
        decide(&set, &put(SESSION, "arn:aws:s3:::ml-data/shared/x")),
        Decision::Allow
    );
    assert_eq!(
        decide(
            &set,
            &put(SESSION, "arn:aws:s3:::ml-data/ml/x").with("aws:PrincipalTag/team", "ml")
        ),
        Decision::Allow
    );
    assert_eq!(
        decide(
            &set,
            &put(SESSION, "arn:aws:s3:::ml-data/shared/x").with("aws:PrincipalTag/team", "ml")
        ),
        Decision::ImplicitDeny
    );
    // Service variables such as ${sagemaker:DomainId}.
    let set = PolicySet::new().with(identity(
        "studio",
        json!([allow(
            "sagemaker:DescribeUserProfile",
            "arn:aws:sagemaker:*:111122223333:user-profile/${sagemaker:DomainId}/*"
        )]),
    ));
    let r = Request::new(
        SESSION,
        "sagemaker:DescribeUserProfile",
        "arn:aws:sagemaker:us-east-1:111122223333:user-profile/d-abc/alice",
    );
    assert_eq!(
        decide(&set, &r.clone().with("sagemaker:DomainId", "d-abc")),
        Decision::Allow
    );
    assert_eq!(
        decide(&set, &r.clone().with("sagemaker:DomainId", "d-xyz")),
        Decision::ImplicitDeny
    );
    assert_eq!(decide(&set, &r), Decision::ImplicitDeny);
}

fn unknown_key(ev: &Evaluation) -> Vec<String> {
    ev.unknown_keys.clone()
}

// Unknown context keys → indeterminate only when the decision depends on them.
#[test]
fn indeterminate_only_when_the_decision_depends_on_unknown_keys() {
    let set = PolicySet::new().with(identity(
        "p",
        json!([{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
                "Condition": {"StringEquals": {"aws:PrincipalTag/team": "ml"}}}]),
    ));
    let ev = set.evaluate(&get(SESSION).with_unknown("aws:PrincipalTag/team"));
    assert_eq!(ev.decision, Decision::Indeterminate);
    assert_eq!(unknown_key(&ev), vec!["aws:principaltag/team".to_string()]);
    assert!(
        matches!(&ev.reasons[0].detail, ReasonDetail::DependsOnUnknown { key } if key == "aws:principaltag/team")
    );
    // Unknown key on an action the policy does not cover: no dependence.
    let ev = set.evaluate(
        &Request::new(SESSION, "s3:PutObject", OBJ).with_unknown("aws:PrincipalTag/team"),
    );
    assert_eq!(ev.decision, Decision::ImplicitDeny);
    // Another statement allows anyway: no dependence.
    let set2 = set
        .clone()
        .with(identity("all", json!([allow("s3:GetObject", "*")])));
    assert_eq!(
        decide(&set2, &get(SESSION).with_unknown("aws:PrincipalTag/team")),
        Decision::Allow
    );
    // A definite explicit deny elsewhere decides regardless.
    let set3 = set.clone().with(identity(
        "deny",
        json!([{"Effect": "Deny", "Action": "s3:*", "Resource": "*"}]),
    ));
    assert_eq!(
        decide(&set3, &get(SESSION).with_unknown("aws:PrincipalTag/team")),
        Decision::ExplicitDeny
    );
    // A Deny that might apply makes an allow indeterminate...
    let set4 = PolicySet::new()
        .with(identity("all", json!([allow("s3:*", "*")])))
        .with(identity("deny", json!([{"Effect": "Deny", "Action": "s3:*", "Resource": "*", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}])));
    assert_eq!(
        decide(&set4, &get(ALICE).with_unknown("aws:SecureTransport")),
        Decision::Indeterminate
    );
    assert_eq!(
        decide(&set4, &get(ALICE).with("aws:SecureTransport", true)),
        Decision::Allow
    );
    // ...while a Deny on an absent (not unknown) key simply does not apply.
    assert_eq!(decide(&set4, &get(ALICE)), Decision::Allow);
    // Unknown variable inside a Resource.
    let set5 = PolicySet::new().with(identity(
        "home",
        json!([allow(
            "s3:GetObject",
            "arn:aws:s3:::ml-data/${aws:PrincipalTag/team}/*"
        )]),
    ));
    let ev = set5.evaluate(&get(SESSION).with_unknown("aws:PrincipalTag/team"));
    assert_eq!(ev.decision, Decision::Indeterminate);
}

#[test]
fn reasons_name_sid_or_index() {
    let set = PolicySet::new().with(identity("p", json!([allow("s3:PutObject", "*"), {"Sid": "Read", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}])));
    let ev = set.evaluate(&get(ALICE));
    assert_eq!(ev.decision, Decision::Allow);
    assert_eq!(ev.reasons.len(), 1);
    assert_eq!(ev.reasons[0].sid.as_deref(), Some("Read"));
    assert_eq!(ev.reasons[0].statement_index, Some(1));
    let ev = PolicySet::new()
        .with(identity("q", json!([allow("s3:GetObject", "*")])))
        .evaluate(&get(ALICE));
    assert_eq!(ev.reasons[0].sid, None);
    assert_eq!(ev.reasons[0].statement_index, Some(0));
    assert_eq!(ev.reasons[0].policy, "q");
}

// Review of 2026-11-29: a role session's `aws:PrincipalArn` is its role's ARN, path included,
// which the session ARN does not show. Treating it as absent gave a confident explicit-deny
// where AWS allows; it is unknown unless the caller sets it.
#[test]
fn role_session_principal_arn_is_unknown_unless_given() {
    let set = PolicySet::new()
        .with(identity("all", json!([allow("s3:*", "*")])))
        .with(identity(
            "guard",
            json!([{"Sid": "OnlyExec", "Effect": "Deny", "Action": "s3:*", "Resource": "*",
                    "Condition": {"ArnNotLike": {"aws:PrincipalArn": ROLE}}}]),
        ));
    let ev = set.evaluate(&get(SESSION));
    assert_eq!(ev.decision, Decision::Indeterminate);
    assert_eq!(unknown_key(&ev), vec!["aws:principalarn".to_string()]);
    assert_eq!(decide(&set, &get(SESSION)), Decision::Indeterminate);
    // Given, it decides: the session's own role, or another one.
    assert_eq!(
        decide(&set, &get(SESSION).with("aws:PrincipalArn", ROLE)),
        Decision::Allow
    );
    let other = "arn:aws:iam::111122223333:role/Other";
    assert_eq!(
        decide(&set, &get(SESSION).with("aws:PrincipalArn", other)),
        Decision::ExplicitDeny
    );
    // The role ARN itself, users and federated users carry it in their own ARN.
    assert_eq!(decide(&set, &get(ROLE)), Decision::Allow);
    assert_eq!(decide(&set, &get(ALICE)), Decision::ExplicitDeny);
    let federated = "arn:aws:sts::111122223333:federated-user/bob";
    let by_name = PolicySet::new().with(identity(
        "fed",
        json!([{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
                "Condition": {"StringEquals": {"aws:PrincipalArn": federated}}}]),
    ));
    assert_eq!(decide(&by_name, &get(federated)), Decision::Allow);
    // A policy that does not read the key is not affected.
    let plain = PolicySet::new().with(identity("all", json!([allow("s3:*", "*")])));
    assert_eq!(decide(&plain, &get(SESSION)), Decision::Allow);
}

#[test]
fn requesters_iam_never_authenticates_are_refused() {
    use mlrole::simulate::requester_problem;
    for ok in [
        ALICE,
        ROLE,
        SESSION,
        CAROL,
        "arn:aws:iam::111122223333:root",
        "arn:aws:sts::111122223333:federated-user/bob",
        "sagemaker.amazonaws.com",
        "*",
    ] {
        assert_eq!(requester_problem(ok), None, "{ok}");
    }
    let group = requester_problem("arn:aws:iam::111122223333:group/Admins").unwrap_or_default();
    assert!(group.contains("IAM group"), "{group}");
    for bad in [
        "alice",
        "arn:aws:s3:::ml-data",
        "arn:aws:iam::111122223333:policy/p",
        "",
        "Sagemaker.Amazonaws.com",
    ] {
        let problem = requester_problem(bad).unwrap_or_default();
        assert!(
            problem.contains("expected the ARN of a user"),
            "{bad}: {problem}"
        );
    }
}
