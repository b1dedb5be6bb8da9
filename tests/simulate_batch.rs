//! Batch mode (JSON lines in, JSON lines out) and robustness on bad input.

use mlrole::simulate::{run_batch, BatchStats, Policy, PolicySet, PolicyType, Request};
use serde_json::{json, Value};

fn run(input: &[u8]) -> (BatchStats, Vec<Value>) {
    let mut out = Vec::new();
    let stats = run_batch(input, &mut out).unwrap_or_else(|e| panic!("batch failed: {e}"));
    let text = String::from_utf8(out).unwrap_or_else(|e| panic!("output is not UTF-8: {e}"));
    let lines = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("output line {l:?}: {e}")))
        .collect();
    (stats, lines)
}

fn case(id: &str, action: &str) -> String {
    json!({
        "id": id,
        "identity_policies": [
            {"Version": "2012-10-17", "Statement": [{"Sid": "Read", "Effect": "Allow", "Action": "s3:Get*", "Resource": "arn:aws:s3:::ml-data/*"}]},
            {"name": "guard", "policy": {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "*"}]}}
        ],
        "request": {"principal": "arn:aws:iam::111122223333:user/alice", "action": action,
                    "resource": "arn:aws:s3:::ml-data/x", "context": {"aws:SecureTransport": true, "aws:TagKeys": ["a", "b"]}}
    })
    .to_string()
}

#[test]
fn batch_answers_every_line_and_survives_malformed_ones() {
    let mut input = String::new();
    input.push_str(&case("ok-allow", "s3:GetObject"));
    input.push('\n');
    input.push_str("{this is not json\n");
    input.push('\n'); // blank lines are skipped
    input.push_str(" \t\r\n"); // so are lines of JSON whitespace
    input.push_str("\u{a0}\n"); // a no-break space is not JSON whitespace: an error answer
    input.push_str(&case("ok-deny", "s3:DeleteObject"));
    input.push('\n');
    // A policy error names the JSON path.
    input.push_str(
        &json!({"id": "bad-policy", "identity_policies": [{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Condition": {"StringEquals": {"k": {"nested": 1}}}}]}],
                "request": {"principal": "p", "action": "s3:GetObject", "resource": "*"}})
        .to_string(),
    );
    input.push('\n');
    input.push_str(
        &json!({"id": 7, "request": {"action": "s3:GetObject", "resource": "*"}}).to_string(),
    );
    input.push('\n');
    input.push_str(&case("ok-implicit", "s3:PutObject"));
    // Last line without a trailing newline, plus a line of invalid UTF-8.
    input.push('\n');
    let mut bytes = input.into_bytes();
    bytes.extend_from_slice(b"\xff\xfe\n");
    bytes.extend_from_slice(case("last", "s3:GetObject").as_bytes());

    let (stats, lines) = run(&bytes);
    assert_eq!(lines.len(), 9);
    assert_eq!(
        stats,
        BatchStats {
            cases: 9,
            errors: 5,
            allow: 2,
            explicit_deny: 1,
            implicit_deny: 1,
            indeterminate: 0
        }
    );
    assert_eq!(lines[0]["id"], "ok-allow");
    assert_eq!(lines[0]["decision"], "allow");
    assert_eq!(lines[0]["reasons"][0]["sid"], "Read");
    assert_eq!(lines[0]["reasons"][0]["policy"], "identity_policies[0]");
    assert_eq!(lines[1]["id"], Value::Null);
    assert!(lines[1]["error"]
        .as_str()
        .is_some_and(|e| e.starts_with("invalid JSON")));
    assert!(lines[2]["error"]
        .as_str()
        .is_some_and(|e| e.starts_with("invalid JSON")));
    assert_eq!(lines[3]["decision"], "explicit-deny");
    assert_eq!(lines[3]["reasons"][0]["policy"], "guard");
    assert_eq!(lines[4]["id"], "bad-policy");
    let err = lines[4]["error"].as_str().unwrap_or_default();
    assert!(
        err.contains("identity_policies[0]: Statement[0].Condition.StringEquals.k"),
        "{err}"
    );
    assert_eq!(lines[5]["id"], 7);
    assert!(lines[5]["error"]
        .as_str()
        .is_some_and(|e| e.contains("request.principal")));
    assert_eq!(lines[6]["decision"], "implicit-deny");
    assert!(lines[7]["error"].is_string());
    assert_eq!(lines[8]["id"], "last");
    assert_eq!(lines[8]["decision"], "allow");
}

#[test]
fn batch_reports_indeterminate_with_keys() {
    let line = json!({
        "id": "u",
        "identity_policies": [{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
            "Condition": {"StringEquals": {"aws:PrincipalTag/team": "ml"}}}]}],
        "resource_policy": null,
        "permissions_boundary": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]},
        "session_policies": ["{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"s3:*\",\"Resource\":\"*\"}]}"],
        "request": {"principal": "arn:aws:sts::111122223333:assumed-role/R/s", "action": "s3:GetObject", "resource": "arn:aws:s3:::b/k",
                    "resource_account": "111122223333", "unknown_keys": ["aws:PrincipalTag/team"]}
    });
    let (stats, lines) = run(format!("{line}\n").as_bytes());
    assert_eq!(stats.indeterminate, 1);
    assert_eq!(lines[0]["decision"], "indeterminate");
    assert_eq!(lines[0]["unknown_keys"], json!(["aws:principaltag/team"]));
    assert_eq!(lines[0]["reasons"][0]["detail"], "depends-on-unknown");
}

#[test]
fn condition_failure_is_named_in_batch_output() {
    let line = json!({
        "id": 1,
        "identity_policies": [{"Version": "2012-10-17", "Statement": [{"Sid": "Tls", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
            "Condition": {"Bool": {"aws:SecureTransport": "true"}}}]}],
        "request": {"principal": "arn:aws:iam::111122223333:user/a", "action": "s3:GetObject", "resource": "arn:aws:s3:::b/k",
                    "context": {"aws:SecureTransport": "false"}}
    });
    let (_, lines) = run(format!("{line}\n").as_bytes());
    assert_eq!(lines[0]["decision"], "implicit-deny");
    let r = &lines[0]["reasons"][0];
    assert_eq!(r["detail"], "condition-failed");
    assert_eq!(r["operator"], "Bool");
    assert_eq!(r["key"], "aws:SecureTransport");
    assert_eq!(r["sid"], "Tls");
}

/// Deterministic xorshift for the robustness test.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[(self.next() % xs.len() as u64) as usize]
    }
}

/// No input may panic the parser or the evaluator: mutate a valid policy
/// (delete, duplicate and replace characters) and evaluate whatever parses.
#[test]
fn no_panics_on_mutated_policies() {
    let seed = r#"{"Version":"2012-10-17","Statement":[{"Sid":"A","Effect":"Allow","Action":["s3:Get*","sagemaker:*"],"NotResource":"arn:aws:s3:::x/${aws:username, 'a''b'}/*","Condition":{"ForAllValues:StringLike":{"aws:TagKeys":["a*","${aws:PrincipalTag/t}"]},"IpAddress":{"aws:SourceIp":["10.0.0.0/8","::/0"]},"DateLessThan":{"aws:CurrentTime":"2030-01-01"},"NumericGreaterThanEquals":{"n":"1.5"},"BinaryEquals":{"b":"QQ=="},"ArnLike":{"aws:SourceArn":"arn:aws:*:*:${aws:PrincipalAccount}:*"},"Null":{"k":"true"}}},{"Effect":"Deny","NotAction":"s3:*","Resource":"*"}]}"#;
    let bits = [
        "", "*", "?", "${", "}", "'", ":", "\"", "[", "]", "{", ",", "é", "${*}", "\\u0000", "/0",
        "::",
    ];
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut parsed = 0;
    for _ in 0..3000 {
        let mut s: Vec<char> = seed.chars().collect();
        for _ in 0..(1 + rng.next() % 4) {
            let i = (rng.next() % s.len() as u64) as usize;
            match rng.next() % 3 {
                0 => {
                    s.remove(i);
                }
                1 => {
                    let c = s[i];
                    s.insert(i, c);
                }
                _ => {
                    let b: Vec<char> = rng.pick(&bits).chars().collect();
                    s.splice(i..=i, b);
                }
            }
        }
        let text: String = s.into_iter().collect();
        for kind in [PolicyType::Identity, PolicyType::Resource] {
            if let Ok(p) = Policy::parse("m", kind, &text) {
                parsed += 1;
                let set = PolicySet::new().with(p);
                for principal in [
                    "arn:aws:iam::1:user/alice",
                    "*",
                    "arn:aws:sts::1:assumed-role/r/s",
                    "",
                ] {
                    let req = Request::new(principal, "s3:GetObject", "arn:aws:s3:::x/alice/y")
                        .with_many("aws:TagKeys", ["ab", "é"])
                        .with("aws:SourceIp", "10.1.1.1")
                        .with_unknown("aws:PrincipalTag/t");
                    assert_eq!(set.decide(&req), set.evaluate(&req).decision);
                }
            }
        }
        let _ = mlrole::simulate::evaluate_line(&text);
    }
    assert!(
        parsed > 100,
        "mutations too destructive to exercise the evaluator ({parsed})"
    );
}

// The parallel, cached batch runner writes exactly what answering each line
// on its own gives, in input order, across many chunks and repeated roles.
#[test]
fn parallel_batch_matches_line_by_line() {
    let mut input = String::new();
    for i in 0..3000 {
        let action = ["s3:GetObject", "s3:DeleteObject", "s3:PutObject"][i % 3];
        match i % 7 {
            0 => input.push_str("{broken\n"),
            1 => input.push_str("[1, 2]\n"),
            // Same key twice: the reference semantics (last value wins).
            2 => input.push_str(&format!(
                "{{\"id\": {i}, \"id\": \"dup\", {}\n",
                &case("x", action)[1..]
            )),
            _ => {
                input.push_str(&case(&format!("c{i}"), action));
                input.push('\n');
            }
        }
    }
    let expected: String = input
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| format!("{}\n", mlrole::simulate::evaluate_line(l)))
        .collect();
    for threads in [1, 2, 4] {
        let mut out = Vec::new();
        let stats = mlrole::simulate::run_batch_threads(input.as_bytes(), &mut out, threads)
            .unwrap_or_else(|e| panic!("batch failed: {e}"));
        assert_eq!(String::from_utf8_lossy(&out), expected, "threads={threads}");
        assert_eq!(stats.cases, 3000);
    }
}

// A batch whose lines each bring new policies is compiled without the set
// cache after a run of misses; the answers must still be exactly the
// line-by-line ones, also when repeated policies come back and when lines
// in between are broken or unusual (policies as JSON strings, resource
// policies, boundaries, duplicate keys, requests that are arrays or lack a
// field).
#[test]
fn batch_of_new_policies_matches_line_by_line() {
    let mut input = String::new();
    let request = |action: &str, bucket: &str| {
        json!({"principal": "arn:aws:iam::111122223333:user/alice", "action": action,
               "resource": format!("arn:aws:s3:::{bucket}/x"), "resource_account": "111122223333",
               "context": {"aws:username": "alice", "aws:SourceIp": "10.0.0.1"}})
    };
    for i in 0..900 {
        let bucket = format!("b{}", i % 5);
        let action = ["s3:GetObject", "s3:DeleteObject", "S3:putobject"][i % 3];
        let line = match i % 11 {
            0 => "{broken".to_string(),
            1 => format!("{{\"id\": {i}, \"id\": \"dup\", \"request\": {}}}", request(action, &bucket)),
            // Lines 300-599 repeat one set: the cache must notice it again.
            _ if (300..600).contains(&i) => json!({"id": i,
                "identity_policies": [{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::b1/*"}}],
                "request": request(action, &bucket)}).to_string(),
            2 => json!({"id": i,
                "identity_policies": [json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*Object", "Resource": format!("arn:aws:s3:::{bucket}/*")}]}).to_string()],
                "permissions_boundary": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "NotAction": format!("s3:Delete*{i}"), "Resource": "*"}]},
                "request": request(action, &bucket)}).to_string(),
            3 => json!({"id": i,
                "resource_policy": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:user/alice"}, "Action": "s3:GetObject", "Resource": format!("arn:aws:s3:::{bucket}/*")}]},
                "identity_policies": null,
                "request": request(action, &bucket)}).to_string(),
            4 => json!({"id": i,
                "identity_policies": [{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", "Condition": {"StringEquals": {"k": {"nested": i}}}}]}],
                "request": request(action, &bucket)}).to_string(),
            // A request given as an array, or without its resource: errors.
            5 => json!({"id": i,
                "identity_policies": [{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": format!("arn:aws:s3:::{bucket}/{i}")}]}],
                "request": ["arn:aws:iam::111122223333:user/alice", action, "arn:aws:s3:::b1/x"]}).to_string(),
            6 => json!({"id": i,
                "identity_policies": [{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": format!("arn:aws:s3:::{bucket}/{i}")}]}],
                "request": {"principal": "arn:aws:iam::111122223333:user/alice", "action": action}}).to_string(),
            _ => json!({"id": format!("c{i}"),
                "identity_policies": [
                    {"name": format!("p{i}"), "policy": {"Version": "2012-10-17", "Statement": [
                        {"Sid": format!("S{i}"), "Effect": "Allow", "Action": ["s3:Get*", "s3:Put*"], "Resource": format!("arn:aws:s3:::{bucket}/${{aws:username}}*")},
                        {"Effect": "Deny", "Action": "s3:*", "Resource": "*", "Condition": {"NotIpAddress": {"aws:SourceIp": format!("10.0.{}.0/24", i % 3)}}}]}}],
                "session_policies": [{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "*", "Resource": format!("arn:aws:s3:::b{}*", i % 4)}}],
                "request": request(action, &bucket)}).to_string(),
        };
        input.push_str(&line);
        input.push('\n');
    }
    let expected: String = input
        .lines()
        .map(|l| format!("{}\n", mlrole::simulate::evaluate_line(l)))
        .collect();
    let answers: Vec<Value> = expected
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}")))
        .collect();
    let decided = |d: &str| answers.iter().filter(|a| a["decision"] == d).count();
    assert!(
        decided("allow") > 100 && decided("explicit-deny") > 100 && decided("implicit-deny") > 100,
        "the corpus must exercise every decision: {} / {} / {}",
        decided("allow"),
        decided("explicit-deny"),
        decided("implicit-deny")
    );
    for threads in [1, 2] {
        let mut out = Vec::new();
        mlrole::simulate::run_batch_threads(input.as_bytes(), &mut out, threads)
            .unwrap_or_else(|e| panic!("batch failed: {e}"));
        assert_eq!(String::from_utf8_lossy(&out), expected, "threads={threads}");
    }
}

// serde_json refuses JSON nested 128 deep, and so does the line-by-line
// reference, which reads a whole line at once. The batch runner must judge
// such lines the same way whichever path takes them (the first line of a set,
// a line of a repeated set, a line after a run of new sets), and also when the
// depth hides in a field the format does not name.
#[test]
fn deeply_nested_lines_are_judged_as_line_by_line() {
    let request = json!({"principal": "arn:aws:iam::111122223333:user/a", "action": "s3:GetObject",
                         "resource": "arn:aws:s3:::b1/x"});
    let policy = |bucket: &str| {
        json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject",
               "Resource": format!("arn:aws:s3:::{bucket}/*")}]})
    };
    let nested = |depth: usize| format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    // A policy given with a name, and an extra member the reader ignores,
    // nested so that the whole line is `depth` levels deep.
    let deep = |id: &str, depth: usize| {
        format!(
            r#"{{"id":"{id}","identity_policies":[{{"policy":{},"junk":{}}}],"request":{request}}}"#,
            policy("b1"),
            nested(depth - 3)
        )
    };
    let mut lines = Vec::new();
    for depth in [126, 127, 128, 129, 200] {
        lines.push(deep(&format!("first-{depth}"), depth));
        for _ in 0..3 {
            lines.push(deep(&format!("repeated-{depth}"), depth));
        }
        for i in 0..20 {
            lines.push(json!({"id": i, "identity_policies": [policy(&format!("b{i}"))], "request": request}).to_string());
        }
        lines.push(deep(&format!("after-new-sets-{depth}"), depth));
        lines.push(format!(
            r#"{{"id":"unknown-top-{depth}","x":{},"identity_policies":[{}],"request":{request}}}"#,
            nested(depth - 1),
            policy("b1")
        ));
        lines.push(format!(
            r#"{{"id":"unknown-request-{depth}","identity_policies":[{}],"request":{{"x":{},"principal":"arn:aws:iam::111122223333:user/a","action":"s3:GetObject","resource":"arn:aws:s3:::b1/x"}}}}"#,
            policy("b1"),
            nested(depth - 2)
        ));
    }
    let input = lines.join("\n");
    let expected: Vec<Value> = lines
        .iter()
        .map(|l| mlrole::simulate::evaluate_line(l))
        .collect();
    let refused = expected.iter().filter(|v| v.get("error").is_some()).count();
    let allowed = expected.iter().filter(|v| v["decision"] == "allow").count();
    assert!(
        refused >= 15 && allowed >= 15,
        "{refused} refused, {allowed} allowed"
    );
    for threads in [1, 2] {
        let mut out = Vec::new();
        mlrole::simulate::run_batch_threads(input.as_bytes(), &mut out, threads)
            .unwrap_or_else(|e| panic!("batch failed: {e}"));
        let got: Vec<Value> = String::from_utf8_lossy(&out)
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}")))
            .collect();
        for (i, (g, e)) in got.iter().zip(&expected).enumerate() {
            assert_eq!(
                g,
                e,
                "threads={threads}, line {i}: {}",
                &lines[i][..60.min(lines[i].len())]
            );
        }
        assert_eq!(got.len(), expected.len());
    }
}

// Review of 2026-11-29: a group ARN (never authenticated by IAM) or a bare name was decided as if
// it were an anonymous caller; each line now gets an error naming `request.principal`.
#[test]
fn batch_refuses_requesters_iam_never_authenticates() {
    let with = |principal: &str| {
        let mut line: Value = serde_json::from_str(&case("p", "s3:GetObject")).unwrap_or_default();
        line["request"]["principal"] = json!(principal);
        line.to_string()
    };
    let input = [
        with("arn:aws:iam::111122223333:group/Admins"),
        with("alice"),
        with("arn:aws:iam::111122223333:user/alice"),
    ]
    .join("\n");
    let (stats, lines) = run(input.as_bytes());
    assert_eq!(stats.errors, 2);
    let group = lines[0]["error"].as_str().unwrap_or_default();
    assert!(
        group.starts_with("request.principal: ") && group.contains("IAM group"),
        "{group}"
    );
    let bare = lines[1]["error"].as_str().unwrap_or_default();
    assert!(bare.contains("`alice` is not a principal"), "{bare}");
    assert_eq!(lines[2]["decision"], "allow");
}

// A key given twice anywhere in a line (a policy inline or as a JSON string, the request, its
// context) is an error answer naming where, never an answer about one of the two values; the
// batch runner and the line-by-line reference agree, also right after the same set was cached.
#[test]
fn keys_given_twice_are_error_answers_on_every_path() {
    let request = r#"{"principal": "arn:aws:iam::111122223333:user/alice", "action": "s3:GetObject", "resource": "arn:aws:s3:::b1/x"}"#;
    let valid = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b1/*"}]}"#;
    let widened = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b1/*", "Resource": "*"}]}"#;
    let mut input = String::new();
    for i in 0..40 {
        input.push_str(&format!(
            "{{\"id\": {i}, \"identity_policies\": [{valid}], \"request\": {request}}}\n"
        ));
    }
    let bad = [
        format!(
            "{{\"id\": \"inline\", \"identity_policies\": [{widened}], \"request\": {request}}}"
        ),
        format!(
            "{{\"id\": \"string\", \"identity_policies\": [{}], \"request\": {request}}}",
            Value::from(widened)
        ),
        format!(
            "{{\"id\": \"context\", \"identity_policies\": [{valid}], \"request\": {}}}",
            request.replace(
                '}',
                r#", "context": {"aws:SourceIp": "10.0.0.1", "aws:SourceIp": "10.9.9.9"}}"#
            )
        ),
        // Found by review: the fast path read `id` as a `Value`, keeping `{"a": 2}`.
        format!("{{\"id\": {{\"a\": 1, \"a\": 2}}, \"identity_policies\": [{valid}], \"request\": {request}}}"),
    ];
    for line in &bad {
        input.push_str(line);
        input.push('\n');
    }
    let expected: String = input
        .lines()
        .map(|l| format!("{}\n", mlrole::simulate::evaluate_line(l)))
        .collect();
    for threads in [1, 2] {
        let mut out = Vec::new();
        mlrole::simulate::run_batch_threads(input.as_bytes(), &mut out, threads)
            .unwrap_or_else(|e| panic!("batch failed: {e}"));
        assert_eq!(String::from_utf8_lossy(&out), expected, "threads={threads}");
    }
    let answers: Vec<Value> = expected
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}")))
        .collect();
    assert!(answers[..40].iter().all(|a| a["decision"] == "allow"));
    let errors: Vec<&str> = answers[40..]
        .iter()
        .map(|a| a["error"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(
        errors[0],
        "identity_policies[0].Statement[0]: `Resource` is given twice in this object; give it once"
    );
    assert_eq!(
        errors[1],
        "identity_policies[0].Statement[0]: `Resource` is given twice in this object; give it once"
    );
    assert_eq!(
        errors[2],
        "request.context: `aws:SourceIp` is given twice in this object; give it once"
    );
    assert_eq!(
        errors[3],
        "id: `a` is given twice in this object; give it once"
    );
}
