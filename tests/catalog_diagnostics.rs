//! One broken catalog per kind of problem: loading fails, names the file and line, and the
//! rendered message is a reviewed snapshot.

use std::path::Path;

fn report_for(case: &Path) -> (i32, String) {
    let dir = case.to_str().expect("utf-8 path");
    let args = ["mlrole", "--catalog", dir, "list", "activities"];
    match mlrole::cli::run_args(args) {
        Ok(out) => panic!("{dir}: a broken catalog loaded:\n{out}"),
        Err((code, report)) => (code, report.replace(&format!("{}/", dir), "CATALOG/")),
    }
}

#[test]
fn every_broken_catalog_is_reported_with_file_and_line() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/broken-catalogs");
    let mut cases: Vec<_> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    cases.sort();
    assert!(cases.len() >= 15, "one case per kind of problem");
    for case in cases {
        let name = case.file_name().unwrap().to_string_lossy().to_string();
        let (code, report) = report_for(&case);
        assert_eq!(code, 1, "{name}: catalog problems exit with 1");
        assert!(
            report.contains("CATALOG/"),
            "{name}: the report names the file:\n{report}"
        );
        insta::assert_snapshot!(format!("catalog-{name}"), report);
    }
}

#[test]
fn all_problems_of_a_file_are_reported_at_once() {
    let root =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/broken-catalogs/many-problems");
    let (_, report) = report_for(&root);
    let problems = report.matches("  --> ").count();
    assert!(problems >= 4, "expected every problem, got:\n{report}");
}

#[test]
fn json_error_format_carries_the_diagnostics() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/broken-catalogs/unknown-activity");
    let args = [
        "mlrole",
        "--error-format",
        "json",
        "--catalog",
        root.to_str().unwrap(),
        "list",
        "personas",
    ];
    let (code, report) = mlrole::cli::run_args(args).expect_err("broken catalog");
    assert_eq!(code, 1);
    let value: serde_json::Value = serde_json::from_str(&report).expect("JSON report");
    let diagnostic = &value["error"]["diagnostics"][0];
    assert_eq!(diagnostic["line"], 8);
    assert_eq!(diagnostic["help"], "did you mean `manage-ml-jobs`?");
}
