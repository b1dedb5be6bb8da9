//! `generate --spec-dir`: one role per spec file, each identical to what `--spec` gives for it.

use std::process::Command;

fn mlrole(args: &[&str], dir: &std::path::Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_mlrole"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run mlrole")
}

#[test]
fn spec_dir_writes_one_folder_per_spec_identical_to_spec() {
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path();
    std::fs::create_dir(dir.join("specs")).unwrap();
    let specs = [
        ("compute.yaml", "persona: compute\naccount: \"111122223333\"\nbuckets: [ml-data]\n"),
        (
            "ds.json",
            r#"{"persona": "data-scientist", "buckets": ["ml-data"], "pass_roles": ["arn:aws:iam::111122223333:role/Compute"]}"#,
        ),
        ("mlops.yml", "persona: mlops\nregion: eu-west-1\nbuckets: [ml-art]\npass_roles: [\"arn:aws:iam::111122223333:role/Compute\"]\n"),
        ("notes.txt", "not a spec"),
    ];
    for (name, text) in specs {
        std::fs::write(dir.join("specs").join(name), text).unwrap();
    }
    let output = mlrole(
        &["generate", "--spec-dir", "specs", "--out-dir", "out"],
        dir,
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        "generated 3 role(s) from `specs` into `out`\n"
    );
    let mut folders: Vec<String> = std::fs::read_dir(dir.join("out"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    folders.sort();
    assert_eq!(folders, ["compute", "ds", "mlops"]);
    for (name, _) in &specs[..3] {
        let stem = name.split('.').next().unwrap();
        let single = mlrole(&["generate", "--spec", &format!("specs/{name}")], dir);
        assert!(single.status.success());
        let bundle = std::fs::read(dir.join("out").join(stem).join("bundle.json")).unwrap();
        assert_eq!(bundle, single.stdout, "{name}");
    }
    // A second run refuses to overwrite, and says so per spec; --force replaces.
    let again = mlrole(
        &["generate", "--spec-dir", "specs", "--out-dir", "out"],
        dir,
    );
    assert_eq!(again.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&again.stderr).contains("all 3 spec(s) failed"));
    let forced = mlrole(
        &[
            "generate",
            "--spec-dir",
            "specs",
            "--out-dir",
            "out",
            "--force",
        ],
        dir,
    );
    assert!(forced.status.success());
}
