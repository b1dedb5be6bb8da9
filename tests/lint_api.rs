//! The linter's public API: kinds, bundles, severities, sizes, and that no
//! input makes it panic.

use std::fs;
use std::path::Path;

use mlrole::lint::{self, Code, DocumentKind, Severity};
use serde_json::{json, Value};

fn codes(findings: &[lint::Finding]) -> Vec<&'static str> {
    findings.iter().map(|f| f.code.as_str()).collect()
}

#[test]
fn kind_decides_principal_and_resource_rules() {
    let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
        "Principal":{"Service":"sagemaker.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
    assert!(lint::lint_document(trust, DocumentKind::Trust).is_empty());
    assert_eq!(
        codes(&lint::lint_document(trust, DocumentKind::Identity)),
        ["missing-resource", "unsupported-principal"]
    );
    assert_eq!(
        lint::detect_kind(&serde_json::from_str(trust).unwrap_or_default()),
        DocumentKind::Trust
    );
    assert_eq!(
        DocumentKind::from_name("Boundary"),
        Some(DocumentKind::Boundary)
    );
}

#[test]
fn boundary_allows_star_without_warning() {
    let doc = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sagemaker:*","Resource":"*"}]}"#;
    assert!(lint::lint_document(doc, DocumentKind::Boundary).is_empty());
    assert_eq!(
        codes(&lint::lint_document(doc, DocumentKind::Identity)),
        ["star-resource"]
    );
}

#[test]
fn deny_warnings_promotes_only_warnings() {
    let doc = r#"{"Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:GetObject"],"Resource":"*"}]}"#;
    let mut findings = lint::lint_document(doc, DocumentKind::Identity);
    let mut got = codes(&findings);
    got.sort_unstable();
    assert_eq!(
        got,
        ["missing-version", "redundant-action", "star-resource"]
    );
    assert!(!lint::has_errors(&findings));
    lint::deny_warnings(&mut findings);
    assert!(lint::has_errors(&findings));
    assert!(findings
        .iter()
        .any(|f| f.code == Code::RedundantAction && f.severity == Severity::Suggestion));
    assert!(findings.iter().all(|f| f.severity != Severity::Warning));
}

#[test]
fn bundle_paths_are_prefixed() {
    let bundle = json!({
        "role": {"name": "r"},
        "trust_policy": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::123456789012:group/admins"}, "Action": "sts:AssumeRole"}]},
        "permission_policies": [
            {"name": "ok", "document": {"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": "sagemaker:ListModels", "Resource": "*"}]}},
            {"name": "bad", "document": {"Version": "2012-10-17", "Statement": [
                {"Sid": "Bad", "Effect": "Allow", "Action": "sagemaker:ListModel", "Resource": "*"}]}}
        ]
    });
    let findings = lint::lint_file_contents(&bundle.to_string());
    let paths: Vec<(&str, &str)> = findings
        .iter()
        .map(|f| (f.code.as_str(), f.path.as_str()))
        .collect();
    assert_eq!(
        paths,
        [
            ("group-principal", "trust_policy.Statement[0].Principal.AWS"),
            (
                "unknown-action",
                "permission_policies[1].document.Statement[0].Action"
            ),
        ]
    );
    assert_eq!(findings[1].sid.as_deref(), Some("Bad"));
}

#[test]
fn inline_policies_share_one_quota() {
    let statement = |i: usize| {
        json!({"Sid": format!("S{i}"), "Effect": "Allow", "Action": "sagemaker:DescribeTrainingJob",
               "Resource": format!("arn:aws:sagemaker:us-east-1:123456789012:training-job/a-rather-long-training-job-name-{i:04}")})
    };
    let doc = |from: usize| json!({"Version": "2012-10-17", "Statement": (from..from + 25).map(statement).collect::<Vec<_>>()});
    let entries: Vec<Value> = (0..3)
        .map(|i| json!({"name": format!("p{i}"), "kind": "inline", "document": doc(i * 25)}))
        .collect();
    for e in &entries {
        assert!(lint::size_of_value(&e["document"]) <= lint::MANAGED_POLICY_QUOTA);
    }
    let bundle = json!({"trust_policy": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"Service": "sagemaker.amazonaws.com"}, "Action": "sts:AssumeRole"}]},
        "permission_policies": entries});
    let findings = lint::lint_file_contents(&bundle.to_string());
    assert_eq!(codes(&findings), ["policy-too-large"]);
    assert_eq!(findings[0].path, "permission_policies");
}

#[test]
fn size_of_ignores_whitespace_outside_strings() {
    let pretty = "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": []\n}\n";
    assert_eq!(
        lint::size_of(pretty),
        r#"{"Version":"2012-10-17","Statement":[]}"#.len()
    );
}

#[test]
fn human_rendering_names_code_file_path_and_help() {
    let doc = r#"{"Version":"2012-10-17","Statement":[{"Sid":"A","Effect":"Allow","Action":"sagemakr:ListModels","Resource":"*"}]}"#;
    let out = lint::render_human(&lint::lint_document(doc, DocumentKind::Identity), "p.json");
    assert!(out.starts_with("error[unknown-service]: "), "{out}");
    assert!(
        out.contains(" --> p.json: Statement[0].Action (Sid \"A\")"),
        "{out}"
    );
    assert!(
        out.contains("help: did you mean `sagemaker:ListModels`?"),
        "{out}"
    );
    assert!(
        out.ends_with("p.json: 1 error, 0 warnings, 0 suggestions\n"),
        "{out}"
    );
}

/// Every way to break a node of a document.
fn replacements() -> Vec<Value> {
    vec![
        Value::Null,
        json!(1.5),
        json!(-7),
        json!(true),
        json!(""),
        json!("*"),
        json!("${"),
        json!("arn:::::"),
        json!("arn:aws:s3:::${aws:username}/*"),
        json!(":"),
        json!("é✓\u{0}"),
        json!([]),
        json!([null, 1, {}]),
        json!({}),
        json!({"": {"": ""}}),
    ]
}

fn mutate_all(doc: &Value, visit: &mut dyn FnMut(Value)) {
    fn paths(v: &Value, prefix: Vec<String>, out: &mut Vec<Vec<String>>) {
        out.push(prefix.clone());
        match v {
            Value::Object(m) => {
                for (k, c) in m {
                    let mut p = prefix.clone();
                    p.push(k.clone());
                    paths(c, p, out);
                }
            }
            Value::Array(a) => {
                for (i, c) in a.iter().enumerate() {
                    let mut p = prefix.clone();
                    p.push(i.to_string());
                    paths(c, p, out);
                }
            }
            _ => {}
        }
    }
    let mut all = Vec::new();
    paths(doc, Vec::new(), &mut all);
    for path in all {
        for r in replacements() {
            let mut copy = doc.clone();
            let mut node = &mut copy;
            for seg in &path {
                node = match node {
                    Value::Object(m) => m.get_mut(seg).unwrap_or_else(|| unreachable!()),
                    Value::Array(a) => seg
                        .parse::<usize>()
                        .ok()
                        .and_then(|i| a.get_mut(i))
                        .unwrap_or_else(|| unreachable!()),
                    _ => unreachable!(),
                };
            }
            *node = r;
            visit(copy);
        }
    }
}

#[test]
fn never_panics_on_mutated_policies() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/lint/good");
    let mut runs = 0;
    for name in [
        "bundle.json",
        "bucket-policy.json",
        "github-oidc-trust.json",
    ] {
        let text = fs::read_to_string(dir.join(name)).unwrap_or_default();
        let doc: Value = serde_json::from_str(&text).unwrap_or_default();
        mutate_all(&doc, &mut |v| {
            let text = v.to_string();
            let _ = lint::lint_file_contents(&text);
            let _ = lint::lint_document(&text, DocumentKind::Identity);
            let _ = lint::summary(&text);
            runs += 1;
        });
    }
    assert!(runs > 1000, "only {runs} mutations");
}

#[test]
fn never_panics_on_odd_text() {
    let inputs = [
        "",
        "null",
        "[]",
        "{}",
        "\"Statement\"",
        "{\"Statement\": {\"Effect\": \"Allow\"}}",
        "{\"permission_policies\": 3}",
        "{\"permission_policies\": [1, {\"document\": 2}], \"trust_policy\": [], \"permissions_boundary\": \"x\"}",
        "{\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"*:*\",\"Resource\":\"arn:aws:*\",\"Condition\":{\"ForAnyValue:\":{\"\":[]}}}]}",
        "{\"Statement\":[{\"Effect\":\"Allow\",\"NotAction\":\"?:?\",\"NotResource\":\"arn:${\"}]}",
        &"[".repeat(10_000),
    ];
    for text in inputs {
        let _ = lint::lint_file_contents(text);
        let _ = lint::lint_document(text, DocumentKind::Resource);
        let _ = lint::summary(text);
        let _ = lint::size_of(text);
    }
}

#[test]
fn byte_order_mark_is_ignored() {
    let doc = "\u{feff}{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"sagemaker:ListModels\",\"Resource\":\"*\"}]}";
    assert!(lint::lint_file_contents(doc).is_empty());
    assert!(lint::lint_document(doc, DocumentKind::Identity).is_empty());
    assert_eq!(lint::summary(doc).total_granted, 1);
}

#[test]
fn lint_bundle_matches_lint_file_contents() {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/lint/bad/unsupported-principal.json");
    let text = fs::read_to_string(path).unwrap_or_default();
    let value: Value = serde_json::from_str(&text).unwrap_or_default();
    assert_eq!(lint::lint_bundle(&value), lint::lint_file_contents(&text));
    assert_eq!(codes(&lint::lint_bundle(&value)), ["unsupported-principal"]);
}

/// `generate` lints a role's documents without building a bundle: the findings, their paths
/// included, must be the bundle linter's.
#[test]
fn lint_role_documents_matches_lint_bundle() {
    let trust = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"Service": "sagemaker.amazonaws.com"}, "Action": "sts:AssumeRole"}]});
    let wide = json!({"Version": "2012-10-17", "Statement": [{"Sid": "Wide", "Effect": "Allow",
        "Action": "s3:DeleteObject", "Resource": "*"}]});
    let broken = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Action": "s3:GetObjekt", "Resource": "arn:aws:s3:::b/${aws:nosuchkey}/*"}]});
    let bundle = json!({
        "trust_policy": wide,
        "permission_policies": [
            {"name": "a", "document": broken},
            {"name": "b", "document": trust},
            {"name": "c", "document": wide},
        ],
    });
    let findings = lint::lint_role_documents(&wide, &[&broken, &trust, &wide]);
    assert_eq!(findings, lint::lint_bundle(&bundle));
    let paths: Vec<&str> = findings.iter().map(|f| f.path.as_str()).collect();
    for document in [
        "trust_policy",
        "permission_policies[0].document",
        "permission_policies[1].document",
        "permission_policies[2].document",
    ] {
        assert!(
            paths.iter().any(|p| p.starts_with(document)),
            "{document}: {paths:?}"
        );
    }
}

/// A repeated statement names the first statement it repeats, whatever the order of its
/// elements and of its condition's members, and whatever the statements in between.
#[test]
fn repeated_statements_name_the_first_they_repeat() {
    let a = json!({"Sid": "A", "Effect": "Allow", "Action": "s3:GetObject",
        "Resource": "arn:aws:s3:::ml-data/*", "Condition": {"StringEquals": {"aws:PrincipalTag/team": "ml", "aws:ResourceTag/team": "ml"}}});
    let a_reordered = json!({"Condition": {"StringEquals": {"aws:ResourceTag/team": "ml", "aws:PrincipalTag/team": "ml"}},
        "Resource": "arn:aws:s3:::ml-data/*", "Action": "s3:GetObject", "Effect": "Allow", "Sid": "A2"});
    let b =
        json!({"Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::ml-data/*"});
    let c =
        json!({"Effect": "Deny", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::ml-data/*"});
    let doc = json!({"Version": "2012-10-17", "Statement": [a, b, a_reordered, c, b, a]});
    let repeats: Vec<(Option<usize>, String)> = lint::lint_value(&doc, DocumentKind::Identity)
        .into_iter()
        .filter(|f| f.code == Code::RedundantStatement)
        .map(|f| (f.statement, f.message))
        .collect();
    assert_eq!(
        repeats,
        [
            (Some(2), "this statement repeats statement 0".to_string()),
            (Some(4), "this statement repeats statement 1".to_string()),
            (Some(5), "this statement repeats statement 0".to_string()),
        ]
    );
}

/// A statement with thousands of resources (well under the 1 MiB input cap) still gets every
/// repeat and every covered resource reported, each naming the first entry that explains it.
#[test]
fn redundant_resources_are_found_in_a_long_list() {
    let mut resources: Vec<String> = (0..6000)
        .map(|i| format!("arn:aws:s3:::bucket-{i}/*"))
        .collect();
    resources.push("arn:aws:s3:::bucket-17/*".into()); // [6000] repeats [17]
    resources.push("arn:aws:s3:::bucket-42/train.csv".into()); // [6001] covered by [42]
    resources.push("arn:aws:s3:::bucket-59*".into()); // [6002] covers [59], [590..599], [5900..]
    let doc = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Action": "s3:GetObject", "Resource": resources}]});
    let redundant: Vec<(String, String)> = lint::lint_value(&doc, DocumentKind::Identity)
        .into_iter()
        .filter(|f| f.code == Code::RedundantResource)
        .map(|f| (f.path, f.message))
        .collect();
    assert!(redundant.contains(&(
        "Statement[0].Resource[6000]".to_string(),
        "`arn:aws:s3:::bucket-17/*` is listed twice (see Statement[0].Resource[17])".to_string()
    )));
    assert!(redundant.contains(&(
        "Statement[0].Resource[6001]".to_string(),
        "`arn:aws:s3:::bucket-42/train.csv` is already matched by `arn:aws:s3:::bucket-42/*` in this statement".to_string()
    )));
    assert!(redundant.contains(&(
        "Statement[0].Resource[59]".to_string(),
        "`arn:aws:s3:::bucket-59/*` is already matched by `arn:aws:s3:::bucket-59*` in this statement".to_string()
    )));
    // bucket-59, bucket-590..599, bucket-5900..5999: 1 + 10 + 100.
    let covered_by_wildcard = redundant
        .iter()
        .filter(|(_, m)| m.ends_with("by `arn:aws:s3:::bucket-59*` in this statement"))
        .count();
    assert_eq!(covered_by_wildcard, 111);
    assert_eq!(redundant.len(), 113);
}

/// With thousands of ARNs in one statement, the ARN that fits no action and the action that fits
/// no ARN are still the ones reported.
#[test]
fn resource_and_action_mismatches_are_found_among_thousands_of_arns() {
    let mut resources: Vec<String> = (0..3000)
        .map(|i| format!("arn:aws:sagemaker:us-east-1:111122223333:training-job/job-{i}"))
        .collect();
    resources.insert(1234, "arn:aws:s3:::ml-data/*".into());
    let doc = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Action": ["sagemaker:DescribeTrainingJob", "sagemaker:CreateModel"], "Resource": resources}]});
    let findings: Vec<(Code, String)> = lint::lint_value(&doc, DocumentKind::Identity)
        .into_iter()
        .filter(|f| f.code != Code::PolicyTooLarge)
        .map(|f| (f.code, f.path))
        .collect();
    assert_eq!(
        findings,
        [
            (
                Code::ResourceTypeMismatch,
                "Statement[0].Resource[1234]".to_string()
            ),
            (
                Code::ActionWithoutResource,
                "Statement[0].Action[1]".to_string()
            ),
        ]
    );
}

/// Codes are part of the CLI's interface: renaming one must be deliberate.
#[test]
fn code_catalogue_is_stable() {
    let table: String = Code::ALL
        .iter()
        .map(|c| {
            format!(
                "{:<36} {:<10} {}{}\n",
                c.as_str(),
                c.severity().as_str(),
                c.doc(),
                c.access_analyzer_check()
                    .map(|aa| format!(" [Access Analyzer: {aa}]"))
                    .unwrap_or_default()
            )
        })
        .collect();
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("lint/snapshots");
    settings.bind(|| insta::assert_snapshot!("code-catalogue", table));
}

/// Fills a documented ARN format with sample values.
fn sample_arn(pattern: &str) -> String {
    let mut sample = String::new();
    let mut rest = pattern;
    while let Some(start) = rest.find("${") {
        sample.push_str(&rest[..start]);
        let Some(end) = rest[start..].find('}') else {
            break;
        };
        sample.push_str(match &rest[start + 2..start + end] {
            "Partition" => "aws",
            "Region" => "us-east-1",
            "Account" => "123456789012",
            _ => "name1",
        });
        rest = &rest[start + end + 1..];
    }
    sample.push_str(rest);
    sample
}

/// Every documented ARN format, filled with sample values, must match its own resource type;
/// this exercises the overlap check on all ~2,300 formats of every service.
#[test]
fn every_arn_format_matches_a_sample_of_itself() {
    let r = mlrole::reference::get();
    let mut failures = Vec::new();
    for prefix in r.service_prefixes() {
        let Some(service) = r.service(prefix) else {
            failures.push(format!("no service {prefix}"));
            continue;
        };
        for rt in service.resource_types() {
            for pattern in &rt.arn_patterns {
                let sample = sample_arn(pattern);
                if !r.arn_matches_resource_type(&sample, rt) {
                    failures.push(format!("{prefix}/{}: {sample} vs {pattern}", rt.name));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} formats fail, e.g. {:?}",
        failures.len(),
        &failures[..failures.len().min(10)]
    );
}

/// Each action of the services mlrole uses, with a sample ARN of each of its
/// resource types, lints without resource findings.
#[test]
fn every_action_accepts_samples_of_its_resource_types() {
    let r = mlrole::reference::get();
    let mut failures = Vec::new();
    for prefix in [
        "sagemaker",
        "s3",
        "ec2",
        "iam",
        "logs",
        "kms",
        "ecr",
        "cloudwatch",
        "sts",
        "glue",
    ] {
        let Some(service) = r.service(prefix) else {
            failures.push(format!("no service {prefix}"));
            continue;
        };
        for action in service.actions() {
            let resources: Vec<String> = action
                .resource_types
                .iter()
                .filter_map(|rt| service.resource_type(rt.name))
                .flat_map(|t| t.arn_patterns.iter().map(|p| sample_arn(p)))
                .collect();
            if resources.is_empty() {
                continue;
            }
            let doc = json!({"Version": "2012-10-17", "Statement": [
                {"Effect": "Deny", "Action": action.full_name(), "Resource": resources}]});
            let findings = lint::lint_value(&doc, DocumentKind::Identity);
            let bad: Vec<&str> = findings
                .iter()
                .map(|f| f.code.as_str())
                .filter(|c| *c != "redundant-resource")
                .collect();
            if !bad.is_empty() {
                failures.push(format!("{}: {bad:?}", action.full_name()));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} actions fail, e.g. {:?}",
        failures.len(),
        &failures[..failures.len().min(10)]
    );
}

/// Past 1,000 findings a document's findings are summed up in one, whose severity is the worst
/// among those left out: a flood of suggestions stays a suggestion, and never hides an error.
#[test]
fn findings_past_the_cap_are_summed_up_with_their_worst_severity() {
    let statement =
        json!({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::ml-data/*"});
    let doc = json!({"Version": "2012-10-17", "Statement": vec![statement; 1200]});
    let findings = lint::lint_value(&doc, DocumentKind::Identity);
    assert_eq!(findings.len(), 1001, "1,000 findings and the summary");
    let summary = findings.last().expect("summary");
    assert_eq!(summary.code, Code::TooManyFindings);
    // Every statement after the first repeats it: 1,199 suggestions, 199 of them left out.
    assert!(findings[..1000]
        .iter()
        .all(|f| f.code == Code::RedundantStatement));
    assert!(
        summary.message.starts_with("199 more"),
        "{}",
        summary.message
    );
    assert_eq!(summary.severity, Severity::Suggestion);

    // Errors past the cap make the summary an error, so the exit status stays 3.
    let unknown: Vec<Value> = (0..1100)
        .map(|i| json!({"Effect": "Allow", "Action": format!("s3:NoSuchAction{i}"), "Resource": "*"}))
        .collect();
    let doc = json!({"Version": "2012-10-17", "Statement": unknown});
    let findings = lint::lint_value(&doc, DocumentKind::Identity);
    let summary = findings.last().expect("summary");
    assert_eq!(summary.code, Code::TooManyFindings);
    assert_eq!(summary.severity, Severity::Error);
    assert!(lint::has_errors(&findings));
}
