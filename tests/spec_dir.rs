//! `generate --spec-dir`: one role per spec file, each identical to what `--spec` gives for it.

use std::process::Command;

fn mlrole(args: &[&str], dir: &std::path::Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_mlrole"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run mlrole")
}

/// `generate --spec-dir specs --out-dir out` in `dir`, the run most tests here make.
fn spec_dir_run(dir: &std::path::Path) -> std::process::Output {
    mlrole(
        &[
            "generate",
            "--account",
            "111122223333",
            "--spec-dir",
            "specs",
            "--out-dir",
            "out",
        ],
        dir,
    )
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
    let output = spec_dir_run(dir);
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
        let single = mlrole(
            &[
                "generate",
                "--account",
                "111122223333",
                "--spec",
                &format!("specs/{name}"),
            ],
            dir,
        );
        assert!(single.status.success());
        let bundle = std::fs::read(dir.join("out").join(stem).join("bundle.json")).unwrap();
        assert_eq!(bundle, single.stdout, "{name}");
    }
    // A second run refuses to overwrite, and says so per spec; --force replaces.
    let again = spec_dir_run(dir);
    assert_eq!(again.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&again.stderr).contains("all 3 spec(s) failed"));
    let forced = mlrole(
        &[
            "generate",
            "--account",
            "111122223333",
            "--spec-dir",
            "specs",
            "--out-dir",
            "out",
            "--force",
        ],
        dir,
    );
    assert!(forced.status.success());
    assert_eq!(temporary_files(&dir.join("out")), Vec::<String>::new());
}

/// Files left under a temporary name (`.mlrole-*`) anywhere below `dir`.
fn temporary_files(dir: &std::path::Path) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            found.extend(temporary_files(&path));
        } else if path
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with(".mlrole-"))
        {
            found.push(path.display().to_string());
        }
    }
    found
}

#[test]
fn a_failing_spec_writes_nothing_and_the_others_are_complete() {
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path();
    std::fs::create_dir(dir.join("specs")).unwrap();
    for (name, text) in [
        ("a.yaml", "persona: compute\nbuckets: [ml-data]\n"),
        ("b.yaml", "persona: no-such-persona\nbuckets: [ml-data]\n"),
        ("c.yaml", "persona: compute\nbuckets: [ml-other]\n"),
    ] {
        std::fs::write(dir.join("specs").join(name), text).unwrap();
    }
    // `c` already has one of its files: it fails, and its other files are not written either.
    std::fs::create_dir_all(dir.join("out/c")).unwrap();
    std::fs::write(dir.join("out/c/bundle.json"), "mine").unwrap();
    let output = spec_dir_run(dir);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("b.yaml"), "{stderr}");
    assert!(stderr.contains("c.yaml"), "{stderr}");
    assert!(!dir.join("out/b").exists());
    let names = |folder: &str| -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir.join("out").join(folder))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    };
    assert_eq!(names("c"), ["bundle.json"]);
    assert_eq!(
        std::fs::read_to_string(dir.join("out/c/bundle.json")).unwrap(),
        "mine"
    );
    let single = mlrole(
        &[
            "generate",
            "--account",
            "111122223333",
            "--spec",
            "specs/a.yaml",
            "--out-dir",
            "single",
        ],
        dir,
    );
    assert!(single.status.success());
    assert_eq!(names("a"), {
        let mut all: Vec<String> = std::fs::read_dir(dir.join("single"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        all.sort();
        all
    });
    for name in names("a") {
        assert_eq!(
            std::fs::read(dir.join("out/a").join(&name)).unwrap(),
            std::fs::read(dir.join("single").join(&name)).unwrap(),
            "{name}"
        );
    }
    assert_eq!(temporary_files(&dir.join("out")), Vec::<String>::new());
}

/// With `--force`, each role folder is left holding its new role only: the files of the role
/// that was there before, in the same format, that the new one does not write go (as for
/// `--out-dir`); files of other formats stay beside it.
#[test]
fn force_replaces_each_folders_earlier_role_whole() {
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path();
    std::fs::create_dir(dir.join("specs")).unwrap();
    std::fs::write(
        dir.join("specs/a.yaml"),
        "persona: compute\nbuckets: [ml-data]\n",
    )
    .unwrap();
    std::fs::create_dir_all(dir.join("out/a")).unwrap();
    for name in [
        "permission-policy-1.json",
        "permission-policy-2.json",
        "main.tf",
        "keep.txt",
    ] {
        std::fs::write(dir.join("out/a").join(name), "earlier").unwrap();
    }
    let output = mlrole(
        &[
            "generate",
            "--account",
            "111122223333",
            "--spec-dir",
            "specs",
            "--out-dir",
            "out",
            "--force",
        ],
        dir,
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let mut names: Vec<String> = std::fs::read_dir(dir.join("out/a"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "bundle.json",
            "keep.txt",
            "main.tf",
            "permission-policy.json",
            "trust-policy.json"
        ]
    );
    // `main.tf` is another format's file: a JSON role leaves it.
    assert_eq!(
        std::fs::read_to_string(dir.join("out/a/main.tf")).unwrap(),
        "earlier"
    );
}

// A spec whose file name is not UTF-8 fails by name (its role's folder is named after it); it
// is not left out silently, and the other specs are generated.
#[cfg(unix)]
#[test]
fn a_spec_file_name_that_is_not_utf8_fails_by_name() {
    use std::os::unix::ffi::OsStrExt;
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path();
    let specs = dir.join("specs");
    std::fs::create_dir(&specs).unwrap();
    let spec = "persona: compute\nbuckets: [ml-data]\n";
    std::fs::write(specs.join("good.yaml"), spec).unwrap();
    // A valid name equal to the other's lossy form must not be taken for its twin (review).
    std::fs::write(specs.join("bad\u{FFFD}.yaml"), spec).unwrap();
    let odd = std::ffi::OsStr::from_bytes(b"bad\xff.yaml");
    if std::fs::write(specs.join(odd), spec).is_err() {
        return; // a file system that only takes UTF-8 names cannot hold such a spec
    }
    let output = spec_dir_run(dir);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("is not UTF-8"), "{stderr}");
    assert!(stderr.contains("1 of 3 spec(s) failed"), "{stderr}");
    let mut written: Vec<String> = std::fs::read_dir(dir.join("out"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    written.sort();
    assert_eq!(written, ["bad\u{FFFD}", "good"]);
}
