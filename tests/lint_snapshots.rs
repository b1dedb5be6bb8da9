//! Snapshots of the linter's output: human rendering for every bad policy,
//! JSON for a few, and the access-level summary table.

use std::fs;
use std::path::Path;

use mlrole::lint;

/// Keeps snapshots beside the fixtures, in tests/lint/snapshots.
fn in_lint_dir(f: impl FnOnce()) {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("lint/snapshots");
    settings.bind(f);
}

fn relative(path: &Path) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    path.strip_prefix(root)
        .unwrap_or(path)
        .display()
        .to_string()
}

#[test]
fn human_output_for_bad_policies() {
    in_lint_dir(|| {
        insta::glob!("lint/bad/*.json", |path| {
            let text = fs::read_to_string(path).unwrap_or_default();
            let findings = lint::lint_file_contents(&text);
            insta::assert_snapshot!(lint::render_human(&findings, &relative(path)));
        });
    });
}

#[test]
fn json_output() {
    in_lint_dir(|| {
        for name in [
            "unknown-action.json",
            "resource-type-mismatch--2.json",
            "forallvalues-without-null.json",
            "missing-principal.json",
        ] {
            let path = Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/lint/bad")
                .join(name);
            let text = fs::read_to_string(&path).unwrap_or_default();
            let findings = lint::lint_file_contents(&text);
            insta::assert_json_snapshot!(format!("json-{name}"), findings);
        }
    });
}

#[test]
fn summary_table_and_json() {
    in_lint_dir(|| {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/lint/bench/sagemaker-30-statements.json");
        let text = fs::read_to_string(path).unwrap_or_default();
        let summary = lint::summary(&text);
        insta::assert_snapshot!("summary-table", lint::render_summary(&summary));
        let bundle = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/lint/good/bundle.json");
        let summary = lint::summary(&fs::read_to_string(bundle).unwrap_or_default());
        insta::assert_json_snapshot!("summary-bundle", summary);
    });
}

#[test]
fn human_output_for_a_clean_file_and_a_bundle() {
    in_lint_dir(|| {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/lint/good/bundle.json");
        let text = fs::read_to_string(&path).unwrap_or_default();
        insta::assert_snapshot!(
            "clean-bundle",
            lint::render_human(&lint::lint_file_contents(&text), "bundle.json")
        );
    });
}
