//! One test per condition-operator rule. Each builds a single Allow statement
//! with one condition and checks whether it allows a request with the given
//! context. Comments name the IAM User Guide rule being checked.

use mlrole::simulate::{Decision, Policy, PolicySet, PolicyType, Request};
use serde_json::{json, Value};

const USER: &str = "arn:aws:iam::111122223333:user/alice";

fn set_with(cond: Value) -> PolicySet {
    let doc = json!({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", "Condition": cond}]});
    let p = Policy::from_value("p", PolicyType::Identity, &doc);
    PolicySet::new().with(p.unwrap_or_else(|e| panic!("policy: {e}")))
}

fn req() -> Request {
    Request::new(USER, "s3:GetObject", "arn:aws:s3:::b/k")
}

/// Does the condition hold for a request built by `f`?
fn holds(cond: Value, f: impl FnOnce(Request) -> Request) -> bool {
    let ev = set_with(cond).evaluate(&f(req()));
    match ev.decision {
        Decision::Allow => true,
        Decision::ImplicitDeny => false,
        other => panic!("unexpected {other:?}"),
    }
}

// --- String operators ("String condition operators") ---

#[test]
fn string_equals_is_case_sensitive_exact() {
    let c = json!({"StringEquals": {"aws:PrincipalTag/team": "ml"}});
    assert!(holds(c.clone(), |r| r.with("aws:PrincipalTag/team", "ml")));
    assert!(!holds(c.clone(), |r| r.with("aws:PrincipalTag/team", "ML")));
    assert!(!holds(c, |r| r.with("aws:PrincipalTag/team", "m*")));
}

#[test]
fn string_equals_does_not_expand_wildcards() {
    let c = json!({"StringEquals": {"k": "m*"}});
    assert!(!holds(c.clone(), |r| r.with("k", "ml")));
    assert!(holds(c, |r| r.with("k", "m*")));
}

#[test]
fn string_not_equals() {
    let c = json!({"StringNotEquals": {"k": "ml"}});
    assert!(holds(c.clone(), |r| r.with("k", "data")));
    assert!(!holds(c, |r| r.with("k", "ml")));
}

#[test]
fn string_equals_ignore_case() {
    let c = json!({"StringEqualsIgnoreCase": {"k": "ML"}});
    assert!(holds(c.clone(), |r| r.with("k", "ml")));
    assert!(!holds(c, |r| r.with("k", "mlx")));
    let c = json!({"StringNotEqualsIgnoreCase": {"k": "ML"}});
    assert!(!holds(c.clone(), |r| r.with("k", "Ml")));
    assert!(holds(c, |r| r.with("k", "data")));
}

#[test]
fn string_like_wildcards() {
    let c = json!({"StringLike": {"s3:prefix": "home/*/docs/?"}});
    assert!(holds(c.clone(), |r| r.with("s3:prefix", "home/alice/x/docs/1")));
    assert!(!holds(c.clone(), |r| r.with("s3:prefix", "home/alice/docs/12")));
    // StringLike is case-sensitive.
    assert!(!holds(c, |r| r.with("s3:prefix", "HOME/alice/docs/1")));
    let c = json!({"StringNotLike": {"k": ["a*", "b*"]}});
    assert!(holds(c.clone(), |r| r.with("k", "cat")));
    assert!(!holds(c, |r| r.with("k", "bat")));
}

// --- Numeric ("Numeric condition operators") ---

#[test]
fn numeric_operators() {
    let age = |op: &str, v: &str, ctx: &str| {
        holds(json!({op: {"aws:MultiFactorAuthAge": v}}), |r| {
            r.with("aws:MultiFactorAuthAge", ctx)
        })
    };
    assert!(age("NumericEquals", "300", "300"));
    assert!(age("NumericEquals", "300", "300.0"));
    assert!(!age("NumericEquals", "300", "301"));
    assert!(age("NumericNotEquals", "300", "301"));
    assert!(!age("NumericNotEquals", "300", "300"));
    assert!(age("NumericLessThan", "300", "299"));
    assert!(!age("NumericLessThan", "300", "300"));
    assert!(age("NumericLessThanEquals", "300", "300"));
    assert!(age("NumericGreaterThan", "300", "301"));
    assert!(!age("NumericGreaterThan", "300", "300"));
    assert!(age("NumericGreaterThanEquals", "300", "300"));
    assert!(!age("NumericGreaterThanEquals", "300", "299.5"));
    // A request value that is not a number never matches.
    assert!(!age("NumericLessThan", "300", "abc"));
}

// --- Date ("Date condition operators": ISO 8601 or epoch seconds) ---

#[test]
fn date_operators() {
    let t = |op: &str, v: &str, ctx: &str| {
        holds(json!({op: {"aws:CurrentTime": v}}), |r| {
            r.with("aws:CurrentTime", ctx)
        })
    };
    assert!(t("DateEquals", "2025-01-01T00:00:00Z", "2025-01-01"));
    assert!(t("DateEquals", "1735689600", "2025-01-01T00:00:00Z"));
    assert!(t(
        "DateNotEquals",
        "2025-01-01T00:00:00Z",
        "2025-01-02T00:00:00Z"
    ));
    assert!(t(
        "DateLessThan",
        "2025-01-01T00:00:00Z",
        "2024-12-31T23:59:59Z"
    ));
    assert!(!t(
        "DateLessThan",
        "2025-01-01T00:00:00Z",
        "2025-01-01T00:00:00Z"
    ));
    assert!(t(
        "DateLessThanEquals",
        "2025-01-01T00:00:00Z",
        "2025-01-01T00:00:00Z"
    ));
    assert!(t(
        "DateGreaterThan",
        "2025-01-01T00:00:00Z",
        "2025-01-01T01:00:00+00:30"
    ));
    assert!(t(
        "DateGreaterThanEquals",
        "2025-01-01",
        "2025-01-01T00:00:00Z"
    ));
    assert!(!t("DateGreaterThan", "2025-01-01", "not a date"));
}

// --- Bool ("Boolean condition operators") ---

#[test]
fn bool_operator() {
    let c = json!({"Bool": {"aws:SecureTransport": "true"}});
    assert!(holds(c.clone(), |r| r.with("aws:SecureTransport", true)));
    assert!(holds(c.clone(), |r| r.with("aws:SecureTransport", "TRUE")));
    assert!(!holds(c.clone(), |r| r.with("aws:SecureTransport", false)));
    assert!(!holds(c, |r| r));
    let c = json!({"Bool": {"aws:SecureTransport": false}});
    assert!(holds(c, |r| r.with("aws:SecureTransport", "false")));
}

// --- Binary ("Binary condition operators": base-64 values) ---

#[test]
fn binary_equals() {
    let c = json!({"BinaryEquals": {"k": "QmluYXJ5VmFsdWU="}});
    assert!(holds(c.clone(), |r| r.with("k", "QmluYXJ5VmFsdWU=")));
    assert!(holds(c.clone(), |r| {
        let mut r = r;
        r.context.insert(
            "k",
            mlrole::simulate::ContextValue::Binary(b"BinaryValue".to_vec()),
        );
        r
    }));
    assert!(!holds(c, |r| r.with("k", "T3RoZXI=")));
}

// --- IP address ("IP address condition operators": CIDR, v4 and v6) ---

#[test]
fn ip_address_operators() {
    let ip = |op: &str, v: Value, ctx: &str| {
        holds(json!({op: {"aws:SourceIp": v}}), |r| {
            r.with("aws:SourceIp", ctx)
        })
    };
    assert!(ip("IpAddress", json!("203.0.113.0/24"), "203.0.113.9"));
    assert!(!ip("IpAddress", json!("203.0.113.0/24"), "203.0.114.9"));
    assert!(ip(
        "IpAddress",
        json!("2001:DB8:1234:5678::/64"),
        "2001:db8:1234:5678::9"
    ));
    assert!(!ip(
        "IpAddress",
        json!("2001:DB8:1234:5678::/64"),
        "203.0.113.9"
    ));
    assert!(ip("IpAddress", json!("0.0.0.0/0"), "10.1.2.3"));
    assert!(ip("IpAddress", json!("10.0.0.5"), "10.0.0.5"));
    // NotIpAddress with several ranges: NOR.
    assert!(ip(
        "NotIpAddress",
        json!(["10.0.0.0/8", "192.168.0.0/16"]),
        "172.16.0.1"
    ));
    assert!(!ip(
        "NotIpAddress",
        json!(["10.0.0.0/8", "192.168.0.0/16"]),
        "192.168.1.1"
    ));
    assert!(ip("NotIpAddress", json!("10.0.0.5"), "2001:db8::1"));
}

// --- ARN ("Amazon Resource Name (ARN) condition operators") ---

#[test]
fn arn_operators_per_segment() {
    let a = |op: &str, v: &str, ctx: &str| {
        holds(json!({op: {"aws:SourceArn": v}}), |r| {
            r.with("aws:SourceArn", ctx)
        })
    };
    let job = "arn:aws:sagemaker:us-east-1:111122223333:training-job/j1";
    assert!(a("ArnEquals", job, job));
    assert!(a(
        "ArnLike",
        "arn:aws:sagemaker:*:111122223333:training-job/*",
        job
    ));
    assert!(a(
        "ArnEquals",
        "arn:aws:sagemaker:*:111122223333:training-job/*",
        job
    ));
    assert!(!a("ArnLike", "arn:aws:sagemaker:*:999999999999:*", job));
    // Case-sensitive.
    assert!(!a(
        "ArnLike",
        "arn:aws:sagemaker:*:111122223333:Training-job/*",
        job
    ));
    assert!(a("ArnNotLike", "arn:aws:s3:::*", job));
    assert!(!a("ArnNotEquals", job, job));
    // A request value that is not an ARN matches no ARN pattern.
    assert!(!a("ArnLike", "*", "not-an-arn"));
}

// --- Null ("Condition operator to check existence of condition keys") ---

#[test]
fn null_operator() {
    let c = json!({"Null": {"aws:TokenIssueTime": "true"}});
    assert!(holds(c.clone(), |r| r));
    assert!(!holds(c, |r| r.with("aws:TokenIssueTime", "2025-01-01T00:00:00Z")));
    let c = json!({"Null": {"aws:TokenIssueTime": false}});
    assert!(holds(c.clone(), |r| r
        .with("aws:TokenIssueTime", "2025-01-01T00:00:00Z")));
    assert!(!holds(c.clone(), |r| r));
    // An empty multi-valued key has no value: Null false does not hold.
    assert!(!holds(json!({"Null": {"aws:TagKeys": "false"}}), |r| r
        .with_many("aws:TagKeys", Vec::<String>::new())));
}

// --- Missing keys ("If the key ... is not present ..., the condition is false";
//     negated operators are true) ---

#[test]
fn missing_key_positive_false_negated_true() {
    assert!(!holds(json!({"StringEquals": {"k": "v"}}), |r| r));
    assert!(holds(json!({"StringNotEquals": {"k": "v"}}), |r| r));
    assert!(holds(
        json!({"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}}),
        |r| r
    ));
    assert!(!holds(json!({"NumericLessThan": {"k": "5"}}), |r| r));
}

// --- ...IfExists ("...IfExists condition operators") ---

#[test]
fn if_exists() {
    let c = json!({"StringEqualsIfExists": {"ec2:InstanceType": ["t3.micro"]}});
    assert!(holds(c.clone(), |r| r));
    assert!(holds(c.clone(), |r| r.with("ec2:InstanceType", "t3.micro")));
    assert!(!holds(c, |r| r.with("ec2:InstanceType", "p4d.24xlarge")));
    let c = json!({"BoolIfExists": {"aws:MultiFactorAuthPresent": "true"}});
    assert!(holds(c.clone(), |r| r));
    assert!(!holds(c, |r| r.with("aws:MultiFactorAuthPresent", false)));
}

// --- Set operators ("Set operators for multivalued context keys") ---

#[test]
fn for_all_values_empty_set_is_true() {
    let c = json!({"ForAllValues:StringEquals": {"aws:TagKeys": ["team", "project"]}});
    assert!(holds(c.clone(), |r| r));
    assert!(holds(c.clone(), |r| r
        .with_many("aws:TagKeys", Vec::<String>::new())));
    assert!(holds(c.clone(), |r| r.with_many("aws:TagKeys", ["team"])));
    assert!(holds(c.clone(), |r| r
        .with_many("aws:TagKeys", ["team", "project"])));
    assert!(!holds(c, |r| r.with_many("aws:TagKeys", ["team", "cost"])));
}

#[test]
fn for_any_value_empty_set_is_false() {
    let c = json!({"ForAnyValue:StringEquals": {"aws:TagKeys": ["team", "project"]}});
    assert!(!holds(c.clone(), |r| r));
    assert!(!holds(c.clone(), |r| r
        .with_many("aws:TagKeys", Vec::<String>::new())));
    assert!(holds(c.clone(), |r| r.with_many("aws:TagKeys", ["cost", "team"])));
    assert!(!holds(c, |r| r.with_many("aws:TagKeys", ["cost"])));
    // IfExists does not rescue ForAnyValue on an absent key.
    assert!(!holds(
        json!({"ForAnyValue:StringEqualsIfExists": {"aws:TagKeys": "team"}}),
        |r| r
    ));
}

#[test]
fn negated_set_operators() {
    // "Deny if any tag key is outside the allowed list" pattern.
    let c = json!({"ForAnyValue:StringNotEquals": {"aws:TagKeys": ["team", "project"]}});
    assert!(holds(c.clone(), |r| r.with_many("aws:TagKeys", ["team", "cost"])));
    assert!(!holds(c, |r| r.with_many("aws:TagKeys", ["team", "project"])));
    let c = json!({"ForAllValues:StringNotLike": {"aws:TagKeys": "key1*"}});
    assert!(holds(c.clone(), |r| r.with_many("aws:TagKeys", ["key2:audit"])));
    assert!(!holds(c.clone(), |r| r
        .with_many("aws:TagKeys", ["key1:hr", "key2"])));
    assert!(holds(c, |r| r));
}

#[test]
fn multi_valued_key_without_qualifier_matches_any_value() {
    let c = json!({"StringEquals": {"aws:CalledVia": "athena.amazonaws.com"}});
    assert!(holds(c.clone(), |r| r.with_many(
        "aws:CalledVia",
        ["glue.amazonaws.com", "athena.amazonaws.com"]
    )));
    assert!(!holds(c, |r| r.with_many("aws:CalledVia", ["glue.amazonaws.com"])));
    let c = json!({"StringNotEquals": {"aws:CalledVia": "athena.amazonaws.com"}});
    assert!(!holds(c, |r| r.with_many(
        "aws:CalledVia",
        ["glue.amazonaws.com", "athena.amazonaws.com"]
    )));
}

// --- Several keys / operators / values ("Evaluation logic for multiple
//     context keys or values": AND across keys and operators, OR across
//     values, NOR for negated operators) ---

#[test]
fn and_or_nor() {
    let c = json!({
        "StringEquals": {"aws:PrincipalTag/team": ["ml", "data"], "aws:PrincipalTag/env": "prod"},
        "Bool": {"aws:SecureTransport": "true"}
    });
    let base = |r: Request| {
        r.with("aws:PrincipalTag/team", "data")
            .with("aws:PrincipalTag/env", "prod")
            .with("aws:SecureTransport", true)
    };
    assert!(holds(c.clone(), base));
    assert!(!holds(c.clone(), |r| base(r).with("aws:PrincipalTag/env", "dev")));
    assert!(!holds(c, |r| base(r).with("aws:SecureTransport", false)));
    let nor = json!({"StringNotEquals": {"k": ["a", "b"]}});
    assert!(holds(nor.clone(), |r| r.with("k", "c")));
    assert!(!holds(nor.clone(), |r| r.with("k", "a")));
    assert!(!holds(nor, |r| r.with("k", "b")));
}

#[test]
fn condition_key_names_are_case_insensitive() {
    let c = json!({"StringEquals": {"AWS:PrincipalTag/Team": "ml"}});
    assert!(holds(c, |r| r.with("aws:principaltag/team", "ml")));
}

// --- Variables in condition values ("Where you can use policy variables":
//     string and ARN operators) ---

#[test]
fn variables_in_condition_values() {
    let c = json!({"StringLike": {"s3:prefix": "home/${aws:username}/*"}});
    assert!(holds(c.clone(), |r| r.with("s3:prefix", "home/alice/x")));
    assert!(!holds(c, |r| r.with("s3:prefix", "home/bob/x")));
    let c =
        json!({"StringEquals": {"aws:PrincipalTag/owner": "${aws:PrincipalTag/team, 'nobody'}"}});
    assert!(holds(c.clone(), |r| r.with("aws:PrincipalTag/owner", "nobody")));
    assert!(holds(c, |r| r
        .with("aws:PrincipalTag/owner", "ml")
        .with("aws:PrincipalTag/team", "ml")));
    let c = json!({"ArnLike": {"aws:SourceArn": "arn:aws:sagemaker:*:${aws:PrincipalAccount}:*"}});
    assert!(holds(c.clone(), |r| r.with(
        "aws:SourceArn",
        "arn:aws:sagemaker:us-east-1:111122223333:model/m"
    )));
    assert!(!holds(c, |r| r.with(
        "aws:SourceArn",
        "arn:aws:sagemaker:us-east-1:999999999999:model/m"
    )));
}

#[test]
fn variable_without_value_never_matches_even_negated() {
    // "Principal key values": a key that is not present makes "any attempt to
    // match it" fail and the statement invalid.
    let r = |r: Request| r.with("k", "x");
    let role = "arn:aws:sts::111122223333:assumed-role/R/s";
    for cond in [
        json!({"StringEquals": {"k": "${aws:username}"}}),
        json!({"StringNotEquals": {"k": "${aws:username}"}}),
    ] {
        let set = set_with(cond);
        let req = r(Request::new(role, "s3:GetObject", "arn:aws:s3:::b/k"));
        assert_eq!(set.evaluate(&req).decision, Decision::ImplicitDeny);
    }
}

#[test]
fn special_character_variables() {
    let c = json!({"StringLike": {"k": "a${*}b${?}"}});
    assert!(holds(c.clone(), |r| r.with("k", "a*b?")));
    assert!(!holds(c, |r| r.with("k", "axxbx")));
}

#[test]
fn variables_ignored_in_old_policy_version() {
    let doc = json!({"Version": "2008-10-17", "Statement": [{
        "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
        "Condition": {"StringEquals": {"k": "${aws:username}"}}}]});
    let p = Policy::from_value("p", PolicyType::Identity, &doc).unwrap_or_else(|e| panic!("{e}"));
    let set = PolicySet::new().with(p);
    assert_eq!(
        set.evaluate(&req().with("k", "alice")).decision,
        Decision::ImplicitDeny
    );
    assert_eq!(
        set.evaluate(&req().with("k", "${aws:username}")).decision,
        Decision::Allow
    );
}

#[test]
fn failed_condition_is_reported() {
    let ev = set_with(json!({"NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}}))
        .evaluate(&req().with("aws:MultiFactorAuthAge", "7200"));
    assert_eq!(ev.decision, Decision::ImplicitDeny);
    let failed = ev.reasons.iter().find_map(|r| match &r.detail {
        mlrole::simulate::ReasonDetail::ConditionFailed { operator, key } => {
            Some((operator.clone(), key.clone()))
        }
        _ => None,
    });
    assert_eq!(
        failed,
        Some((
            "NumericLessThan".to_string(),
            "aws:MultiFactorAuthAge".to_string()
        ))
    );
}

// Review of 2026-11-29: a request value the operator cannot read as its type satisfied every
// negated operator (NotIpAddress on `garbage` was true), so a malformed value passed an Allow.
// It now fails the comparison whatever the polarity, as iam-simulate decides.
#[test]
fn unreadable_request_values_fail_negated_operators_too() {
    for (cond, key, value) in [
        (
            json!({"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}}),
            "aws:SourceIp",
            "garbage",
        ),
        (
            json!({"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}),
            "aws:SourceIp",
            "garbage",
        ),
        (
            json!({"DateNotEquals": {"aws:CurrentTime": "2025-01-01T00:00:00Z"}}),
            "aws:CurrentTime",
            "soon",
        ),
        (
            json!({"NumericNotEquals": {"s3:max-keys": "10"}}),
            "s3:max-keys",
            "abc",
        ),
        (
            json!({"NumericLessThan": {"s3:max-keys": "10"}}),
            "s3:max-keys",
            "abc",
        ),
        (
            json!({"ArnNotLike": {"aws:SourceArn": "arn:aws:sagemaker:*:*:*"}}),
            "aws:SourceArn",
            "not-an-arn",
        ),
    ] {
        assert!(
            !holds(cond.clone(), |r| r.with(key, value)),
            "{cond} with {key}={value}"
        );
    }
    // A readable value still decides as before.
    let c = json!({"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}});
    assert!(holds(c.clone(), |r| r.with("aws:SourceIp", "192.168.1.1")));
    assert!(!holds(c, |r| r.with("aws:SourceIp", "10.1.2.3")));
}

// Review of 2026-11-29: ARN operators compare six components; a condition value with fewer
// (`arn:aws:sagemaker:*`) matched every SageMaker ARN as one glob.
#[test]
fn arn_condition_values_need_six_components() {
    let arn = "arn:aws:sagemaker:us-east-1:111122223333:training-job/x";
    let like = |pattern: &str| json!({"ArnLike": {"aws:SourceArn": pattern}});
    assert!(!holds(like("arn:aws:sagemaker:*"), |r| r
        .with("aws:SourceArn", arn)));
    assert!(holds(like("arn:aws:sagemaker:*:*:*"), |r| r
        .with("aws:SourceArn", arn)));
    let not_like = json!({"ArnNotLike": {"aws:SourceArn": "arn:aws:sagemaker:*"}});
    assert!(holds(not_like, |r| r.with("aws:SourceArn", arn)));
    // A variable may stand for several components: matched once filled in (a review found
    // `ArnEquals aws:SourceArn ${aws:PrincipalArn}` matching nothing after the change above).
    let whole = json!({"ArnEquals": {"aws:SourceArn": "${aws:PrincipalArn}"}});
    let role = "arn:aws:iam::111122223333:role/R";
    assert!(holds(whole.clone(), |r| r
        .with("aws:SourceArn", role)
        .with("aws:PrincipalArn", role)));
    assert!(!holds(whole, |r| r
        .with("aws:SourceArn", arn)
        .with("aws:PrincipalArn", role)));
}

// Review of 2026-11-29: lint refused `ForAnyValue:Null`, simulate evaluated it.
#[test]
fn null_takes_no_set_qualifier() {
    for op in [
        "ForAnyValue:Null",
        "ForAllValues:Null",
        "NullIfExists",
        "stringequals",
    ] {
        let doc = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Action": "s3:GetObject", "Resource": "*", "Condition": {op: {"aws:TagKeys": "true"}}}]});
        assert!(
            Policy::from_value("p", PolicyType::Identity, &doc).is_err(),
            "{op}"
        );
    }
}
