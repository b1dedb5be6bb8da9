//! The real binary: exit codes, messages that name the flag or file, atomic no-clobber output,
//! spec files, and the snapshots of what users read (`--help`, `list`, `show`).

mod common;

use common::mlrole;

use std::path::Path;
use std::process::Output;

const PASS_ROLE: &str = "arn:aws:iam::111122223333:role/service-role/SageMaker-Compute";

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Every file in `dir` with its contents, to compare before and after a failed run.
fn snapshot_dir(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .map(|e| e.unwrap().path())
                .map(|p| (p.display().to_string(), std::fs::read(&p).unwrap()))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

/// clap checks a subcommand's definition only when it builds it, and subcommands are deferred
/// until run: this builds and checks all of them.
#[test]
fn every_subcommand_definition_is_consistent() {
    use clap::CommandFactory;
    mlrole::cli::Cli::command().debug_assert();
}

#[test]
fn usage_errors_exit_2_and_name_the_flag() {
    let cases: &[(&[&str], &str)] = &[
        (&["generate"], "no ML activity is selected"),
        (
            &[
                "generate",
                "--account",
                "111122223333",
                "--persona",
                "data-scientst",
                "--pass-role",
                PASS_ROLE,
            ],
            "did you mean `data-scientist`?",
        ),
        (
            &[
                "generate",
                "--account",
                "111122223333",
                "--activity",
                "s3-bucket-access",
                "--bucket",
                "My_Bucket",
            ],
            "`--bucket`",
        ),
        (
            &[
                "generate",
                "--account",
                "111122223333",
                "--persona",
                "data-scientist",
                "--bucket",
                "my-ml-data",
            ],
            "--pass-role",
        ),
        (
            &[
                "generate",
                "--persona",
                "compute",
                "--bucket",
                "b-1",
                "--account",
                "12345",
            ],
            "12 digits",
        ),
        (
            &[
                "generate",
                "--account",
                "111122223333",
                "--persona",
                "compute",
                "--bucket",
                "b-1",
                "--vpc-subnet",
                "subnet-0aaa1111",
            ],
            "--vpc-security-group",
        ),
        (
            &[
                "generate",
                "--account",
                "111122223333",
                "--persona",
                "compute",
                "--bucket",
                "b-1",
                "--volume-kms-key",
                "1234abcd-12ab-34cd-56ef-1234567890ab",
                "--data-kms-key",
                "alias/x",
            ],
            "a key id is not a key ARN",
        ),
        (
            &[
                "generate",
                "--account",
                "111122223333",
                "--persona",
                "compute",
                "--bucket",
                "b-1",
                "--role-name",
                &"x".repeat(65),
            ],
            "1 to 64 characters",
        ),
        (
            &[
                "generate",
                "--account",
                "111122223333",
                "--persona",
                "compute",
                "--bucket",
                "b-1",
                "--region",
                "cn-north-1",
                "--partition",
                "aws",
            ],
            "--partition aws-cn",
        ),
        (
            &[
                "generate",
                "--account",
                "111122223333",
                "--persona",
                "compute",
                "--bucket",
                "b-1",
                "--athena-workgroup",
                "primary",
            ],
            "no selected activity uses it",
        ),
        (
            &[
                "generate",
                "--account",
                "111122223333",
                "--activity",
                "manage-ml-jobs",
                "--pass-role",
                "arn:aws:iam::111122223333:user/alice",
            ],
            "not an IAM role ARN",
        ),
        (
            &["generate", "--account", "111122223333", "--bogus-flag"],
            "unexpected argument",
        ),
    ];
    for (args, expected) in cases {
        let output = mlrole(args);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{args:?}: {}",
            stderr(&output)
        );
        assert!(
            stderr(&output).contains(expected),
            "{args:?}: expected `{expected}` in:\n{}",
            stderr(&output)
        );
        assert!(stdout(&output).is_empty(), "{args:?}: nothing on stdout");
    }
}

#[test]
fn error_messages_are_reviewed() {
    let output = mlrole(&[
        "generate",
        "--account",
        "111122223333",
        "--persona",
        "data-scientist",
        "--bucket",
        "my-ml-data",
    ]);
    insta::assert_snapshot!("error-missing-pass-role", stderr(&output));
    let output = mlrole(&[
        "generate",
        "--account",
        "111122223333",
        "--persona",
        "compute",
        "--bucket",
        "arn:aws:s3:::my-ml-data",
    ]);
    insta::assert_snapshot!("error-bucket-arn", stderr(&output));
    let output = mlrole(&[
        "--error-format",
        "json",
        "generate",
        "--account",
        "111122223333",
        "--persona",
        "compute",
        "--bucket",
        "b-1",
        "--data-kms-key",
        "alias/ml",
    ]);
    insta::assert_snapshot!("error-json", stderr(&output));
}

/// Arguments clap refuses are reported in the format asked for, wherever `--error-format` sits
/// (the format cannot be read from arguments that did not parse).
#[test]
fn usage_errors_follow_the_error_format() {
    for args in [
        &[
            "--error-format",
            "json",
            "generate",
            "--account",
            "111122223333",
            "--bogus",
        ][..],
        &[
            "generate",
            "--account",
            "111122223333",
            "--bogus",
            "--error-format=json",
        ],
        &["--error-format", "json", "bucket-policy"],
        &["--error-format", "json", "list", "bogus"],
        &["--error-format", "json", "catalog"],
    ] {
        let output = mlrole(args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let report: serde_json::Value = serde_json::from_str(&stderr(&output))
            .unwrap_or_else(|e| panic!("{args:?}: not JSON ({e}): {}", stderr(&output)));
        let error = &report["error"];
        assert_eq!(error["exit_code"], 2, "{args:?}");
        assert!(
            error["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{args:?}: {report}"
        );
    }
    let output = mlrole(&["--error-format", "json", "bucket-policy"]);
    insta::assert_snapshot!("error-json-usage", stderr(&output));
    let output = mlrole(&["--error-format", "json", "catalog"]);
    let report: serde_json::Value = serde_json::from_str(&stderr(&output)).unwrap_or_default();
    assert_eq!(
        report["error"]["message"],
        "`mlrole catalog` requires a subcommand"
    );
    // The human format stays clap's own, and `--help` is still help, not an error.
    let output = mlrole(&["generate", "--account", "111122223333", "--bogus"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).starts_with("error: unexpected argument '--bogus' found"));
    let output = mlrole(&["--error-format", "json", "generate", "--help"]);
    assert_eq!(output.status.code(), Some(0));
    assert!(stdout(&output).starts_with("Generate a role"));
    // A `json` after `--` is not the option's value.
    let output = mlrole(&["simulate", "--bogus", "--", "--error-format", "json"]);
    assert!(
        stderr(&output).starts_with("error: "),
        "{}",
        stderr(&output)
    );
}

#[test]
fn out_dir_is_written_whole_and_never_overwritten_without_force() {
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path().join("role");
    let dir_arg = dir.to_str().unwrap();
    let args = [
        "generate",
        "--account",
        "111122223333",
        "--persona",
        "data-scientist",
        "--bucket",
        "my-ml-data",
        "--pass-role",
        PASS_ROLE,
        "--out-dir",
        dir_arg,
    ];
    let output = mlrole(&args);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert!(
        names.contains(&"trust-policy.json".to_string())
            && names.contains(&"bundle.json".to_string()),
        "{names:?}"
    );
    assert!(
        names.iter().any(|n| n.starts_with("permission-policy")),
        "{names:?}"
    );
    assert!(
        !names.iter().any(|n| n.starts_with(".mlrole-")),
        "no temporary file left: {names:?}"
    );
    for name in &names {
        let text = std::fs::read_to_string(dir.join(name)).unwrap();
        serde_json::from_str::<serde_json::Value>(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
    }

    // A second run, even one that would write different content, changes nothing.
    let before = snapshot_dir(&dir);
    let mut different = args.to_vec();
    different.extend(["--role-name", "Other"]);
    let output = mlrole(&different);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("refusing to overwrite") && stderr(&output).contains("--force"),
        "{}",
        stderr(&output)
    );
    assert_eq!(snapshot_dir(&dir), before, "nothing changed");

    // A failing run (bad value) creates nothing.
    let fresh = temp.path().join("fresh");
    let output = mlrole(&[
        "generate",
        "--account",
        "111122223333",
        "--persona",
        "compute",
        "--bucket",
        "BAD",
        "--out-dir",
        fresh.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(!fresh.exists(), "no folder for a failed run");

    different.push("--force");
    let output = mlrole(&different);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_ne!(snapshot_dir(&dir), before, "--force replaced the files");
}

#[test]
fn output_file_is_atomic_and_no_clobber() {
    let temp = tempfile::tempdir().unwrap();
    let path = temp.path().join("role.json");
    std::fs::write(&path, "keep me").unwrap();
    let output = mlrole(&[
        "generate",
        "--account",
        "111122223333",
        "--persona",
        "compute",
        "--bucket",
        "b-1",
        "-o",
        path.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "keep me");
    let output = mlrole(&[
        "generate",
        "--account",
        "111122223333",
        "--persona",
        "compute",
        "--bucket",
        "b-1",
        "-o",
        path.to_str().unwrap(),
        "--force",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(std::fs::read_to_string(&path)
        .unwrap()
        .contains("\"trust_policy\""));
}

#[test]
fn spec_file_equals_flags_and_flags_win() {
    let temp = tempfile::tempdir().unwrap();
    let spec = temp.path().join("role.yaml");
    std::fs::write(
        &spec,
        format!("persona: data-scientist\naccount: \"111122223333\"\nregion: us-east-1\nbuckets: [my-ml-data]\npass_roles:\n  - {PASS_ROLE}\ntags:\n  team: ml\n"),
    )
    .unwrap();
    let from_flags = mlrole(&[
        "generate",
        "--persona",
        "data-scientist",
        "--account",
        "111122223333",
        "--region",
        "us-east-1",
        "--bucket",
        "my-ml-data",
        "--pass-role",
        PASS_ROLE,
        "--tag",
        "team=ml",
    ]);
    let from_spec = mlrole(&[
        "generate",
        "--account",
        "111122223333",
        "--spec",
        spec.to_str().unwrap(),
    ]);
    assert_eq!(from_spec.status.code(), Some(0), "{}", stderr(&from_spec));
    assert_eq!(
        stdout(&from_flags),
        stdout(&from_spec),
        "a spec file and the same flags give the same bytes"
    );

    let overridden = mlrole(&[
        "generate",
        "--account",
        "111122223333",
        "--spec",
        spec.to_str().unwrap(),
        "--region",
        "eu-west-1",
    ]);
    assert!(
        stdout(&overridden).contains("arn:aws:sagemaker:eu-west-1:"),
        "the flag wins over the spec"
    );

    let json_spec = temp.path().join("role.json");
    std::fs::write(
        &json_spec,
        "{\"persona\": \"compute\", \"buckets\": [\"b-1\"], \"bukets\": []}",
    )
    .unwrap();
    let output = mlrole(&[
        "generate",
        "--account",
        "111122223333",
        "--spec",
        json_spec.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(1));
    let message = stderr(&output);
    assert!(
        message.contains("role.json:1") && message.contains("unknown field `bukets`"),
        "{message}"
    );

    let bad_value = temp.path().join("bad.yaml");
    std::fs::write(&bad_value, "persona: compute\nbuckets: [Bad_Bucket]\n").unwrap();
    let output = mlrole(&[
        "generate",
        "--account",
        "111122223333",
        "--spec",
        bad_value.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("`buckets` in"),
        "names the spec field: {}",
        stderr(&output)
    );
}

#[test]
fn help_list_and_show_are_reviewed() {
    insta::assert_snapshot!("help-generate", stdout(&mlrole(&["generate", "--help"])));
    insta::assert_snapshot!("list-personas", stdout(&mlrole(&["list", "personas"])));
    insta::assert_snapshot!("list-activities", stdout(&mlrole(&["list", "activities"])));
    insta::assert_snapshot!(
        "show-persona-data-scientist",
        stdout(&mlrole(&["show", "persona", "data-scientist"]))
    );
    insta::assert_snapshot!(
        "show-activity-manage-ml-jobs",
        stdout(&mlrole(&["show", "activity", "manage-ml-jobs"]))
    );
    let output = mlrole(&["show", "activity", "manage-ml-job"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("did you mean `manage-ml-jobs`?"));
}

#[test]
fn user_catalog_and_templates_override_the_built_ins() {
    let temp = tempfile::tempdir().unwrap();
    let activities = temp.path().join("catalog/activities");
    std::fs::create_dir_all(&activities).unwrap();
    std::fs::write(
        activities.join("read-reports.yaml"),
        "id: read-reports\ntitle: Read reports\ndescription: Read the reports bucket.\nparameters:\n  all_buckets: required\nstatements:\n  - sid: Read\n    why: Read reports.\n    actions: [s3:GetObject]\n    resources: [\"arn:${partition}:s3:::${all_buckets}/reports/*\"]\n",
    )
    .unwrap();
    let templates = temp.path().join("templates");
    std::fs::create_dir_all(&templates).unwrap();
    std::fs::write(
        templates.join("permission-policy.json.tera"),
        "{\"Version\": \"2012-10-17\", \"Id\": {{ policy_name | json_encode() }}, \"Statement\": [{% for s in statements %}{\"Sid\": {{ s.sid | json_encode() }}, \"Effect\": \"Allow\", \"Action\": {{ s.actions | json_encode() }}, \"Resource\": {{ s.resources | json_encode() }}}{% if not loop.last %},{% endif %}{% endfor %}]}",
    )
    .unwrap();
    let catalog = temp.path().join("catalog");
    let output = mlrole(&[
        "--catalog",
        catalog.to_str().unwrap(),
        "--templates",
        templates.to_str().unwrap(),
        "generate",
        "--account",
        "111122223333",
        "--activity",
        "read-reports",
        "--read-bucket",
        "reports-bucket",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(
        text.contains("arn:aws:s3:::reports-bucket/reports/*"),
        "{text}"
    );
    assert!(
        text.contains("\"Id\": \"SageMaker-Custom-permissions\""),
        "the user's template was used"
    );

    std::fs::write(
        templates.join("permission-policy.json.tera"),
        "{\"Version\": \"2012-10-17\", \"Statement\": [}",
    )
    .unwrap();
    let output = mlrole(&[
        "--catalog",
        catalog.to_str().unwrap(),
        "--templates",
        templates.to_str().unwrap(),
        "generate",
        "--account",
        "111122223333",
        "--activity",
        "read-reports",
        "--read-bucket",
        "reports-bucket",
    ]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("rendered invalid JSON"),
        "{}",
        stderr(&output)
    );
    std::fs::write(templates.join("permission-policy.json.tera"), "{% for %}").unwrap();
    let output = mlrole(&[
        "--templates",
        templates.to_str().unwrap(),
        "generate",
        "--account",
        "111122223333",
        "--persona",
        "compute",
        "--bucket",
        "b-1",
    ]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("template `permission-policy.json.tera`"),
        "{}",
        stderr(&output)
    );
}

/// stdin has no size to check up front: it is read up to one byte past the cap, then refused.
#[test]
fn lint_refuses_stdin_over_the_size_cap() {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_mlrole"))
        .args(["lint", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("mlrole starts");
    let mut stdin = child.stdin.take().expect("piped stdin");
    // mlrole may stop reading at the cap; a broken pipe after that is expected.
    let _ = stdin.write_all(&vec![b' '; 3 * 1024 * 1024]);
    drop(stdin);
    let output = child.wait_with_output().expect("mlrole finishes");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("-: the file is more than 1048576 bytes"),
        "{stderr}"
    );
}

/// An output that is the command's own input is refused, even with `--force`, however the two
/// paths are spelled: `./x` and `x`, a symlink, a hard link. The spec stays as it was.
#[cfg(unix)]
#[test]
fn an_output_is_never_the_commands_own_input() {
    let temp = tempfile::tempdir().unwrap();
    let dir = &temp.path().join("work");
    std::fs::create_dir(dir).unwrap();
    std::fs::create_dir(temp.path().join("sub")).unwrap();
    let spec = dir.join("spec.yaml");
    let text = "persona: compute\nbuckets: [ml-data]\n";
    std::fs::write(&spec, text).unwrap();
    std::os::unix::fs::symlink(&spec, dir.join("link.yaml")).unwrap();
    std::fs::hard_link(&spec, dir.join("hard.yaml")).unwrap();
    let spec_arg = spec.to_str().unwrap();
    let dotted = format!("{}/sub/../work/spec.yaml", temp.path().display());
    let link = dir.join("link.yaml").display().to_string();
    let hard = dir.join("hard.yaml").display().to_string();
    let before = snapshot_dir(dir);
    for command in ["generate", "boundary"] {
        for output_path in [spec_arg, &dotted, &link, &hard] {
            let output = mlrole(&[command, "--spec", spec_arg, "-o", output_path, "--force"]);
            assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
            assert!(
                stderr(&output).contains(&format!(
                    "`--output {output_path}` would write over `--spec {spec_arg}`"
                )),
                "{}",
                stderr(&output)
            );
            assert_eq!(snapshot_dir(dir), before, "{command} -o {output_path}");
        }
    }
    // A role folder where a file of the role would be a symlink to the spec.
    let out = temp.path().join("out");
    std::fs::create_dir(&out).unwrap();
    std::os::unix::fs::symlink(&spec, out.join("permission-policy-3.json")).unwrap();
    let output = mlrole(&[
        "generate",
        "--account",
        "111122223333",
        "--spec",
        spec_arg,
        "--out-dir",
        out.to_str().unwrap(),
        "--force",
    ]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(stderr(&output).contains("would write over `--spec"));
    assert_eq!(std::fs::read_to_string(&spec).unwrap(), text);
    assert_eq!(
        std::fs::read_dir(&out).unwrap().count(),
        1,
        "nothing written into the folder"
    );
}

/// The sorted names of the files in `dir`.
fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// `--force` over a folder of an earlier role leaves none of that role's files behind (a
/// `permission-policy-2.json` beside the new `permission-policy.json` would still be attached by
/// `permission-policy*.json`), and keeps every file whose name mlrole never writes. Without
/// `--force`, a file of an earlier role is refused even when the new role would not replace it.
#[test]
fn force_leaves_no_file_of_the_earlier_role() {
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path().join("role");
    let dir_arg = dir.to_str().unwrap();
    let earlier = [
        "generate",
        "--account",
        "111122223333",
        "--persona",
        "data-scientist",
        "--bucket",
        "ml-data",
        "--pass-role",
        PASS_ROLE,
        "--max-policies",
        "2",
        "--out-dir",
        dir_arg,
    ];
    let output = mlrole(&earlier);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(
        names(&dir),
        [
            "bundle.json",
            "permission-policy-1.json",
            "permission-policy-2.json",
            "trust-policy.json"
        ]
    );
    // Files mlrole does not name, and a folder of a role file's name, are not its to remove.
    std::fs::write(dir.join("notes.md"), "mine").unwrap();
    std::fs::write(dir.join("permission-policy-02.json"), "mine").unwrap();
    std::fs::create_dir(dir.join("permission-policy-3.json")).unwrap();

    // Without --force: refused, though the new role writes no `permission-policy-1.json`.
    std::fs::remove_file(dir.join("trust-policy.json")).unwrap();
    std::fs::remove_file(dir.join("bundle.json")).unwrap();
    let before = snapshot_dir(&dir.join("permission-policy-3.json"));
    let compute = [
        "generate",
        "--account",
        "111122223333",
        "--persona",
        "compute",
        "--bucket",
        "ml-data",
        "--out-dir",
        dir_arg,
    ];
    let listed = names(&dir);
    let output = mlrole(&compute);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("permission-policy-1.json") && stderr(&output).contains("--force"),
        "{}",
        stderr(&output)
    );
    assert_eq!(names(&dir), listed, "nothing changed");

    let mut forced = compute.to_vec();
    forced.push("--force");
    let output = mlrole(&forced);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(
        names(&dir),
        [
            "bundle.json",
            "notes.md",
            "permission-policy-02.json",
            "permission-policy-3.json",
            "permission-policy.json",
            "trust-policy.json"
        ]
    );
    assert_eq!(snapshot_dir(&dir.join("permission-policy-3.json")), before);
    assert_eq!(
        std::fs::read_to_string(dir.join("notes.md")).unwrap(),
        "mine"
    );

    // Another format's files sit beside the JSON ones: a Terraform run writes `main.tf` and
    // takes nothing away; a JSON run then leaves `main.tf`.
    let json = forced.clone();
    forced.extend(["--format", "terraform"]);
    let output = mlrole(&forced);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let both = [
        "bundle.json",
        "main.tf",
        "notes.md",
        "permission-policy-02.json",
        "permission-policy-3.json",
        "permission-policy.json",
        "trust-policy.json",
    ];
    assert_eq!(names(&dir), both);
    let output = mlrole(&json);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(names(&dir), both);
}

/// The mode of a file written by `mlrole`, run under `umask` (through `sh`, which sets it).
#[cfg(unix)]
fn run_with_umask(umask: &str, args: &[&str]) -> Output {
    std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("umask {umask} && exec \"$0\" \"$@\""))
        .arg(env!("CARGO_BIN_EXE_mlrole"))
        .args(args)
        .output()
        .expect("run mlrole through sh")
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

/// A new file gets the mode a normal create gives (0666 less the umask), not a temporary file's
/// 0600; a file replaced with `--force` keeps its own mode, whatever the umask.
#[cfg(unix)]
#[test]
fn written_files_get_the_mode_of_a_normal_create_and_replaced_ones_keep_theirs() {
    use std::os::unix::fs::PermissionsExt;
    let temp = tempfile::tempdir().unwrap();
    let role = [
        "generate",
        "--account",
        "111122223333",
        "--persona",
        "compute",
        "--bucket",
        "ml-data",
    ];
    for (umask, expected) in [("022", 0o644), ("027", 0o640)] {
        let file = temp.path().join(format!("role-{umask}.json"));
        let dir = temp.path().join(format!("role-{umask}"));
        for target in [
            ["-o", file.to_str().unwrap()],
            ["--out-dir", dir.to_str().unwrap()],
        ] {
            let output = run_with_umask(umask, &[&role[..], &target[..]].concat());
            assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
        }
        assert_eq!(mode(&file), expected, "-o under umask {umask}");
        for name in names(&dir) {
            assert_eq!(
                mode(&dir.join(&name)),
                expected,
                "{name} under umask {umask}"
            );
        }
        // Replaced: the earlier file's mode stays, under a umask that would give another.
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o604)).unwrap();
        let bundle = dir.join("bundle.json");
        std::fs::set_permissions(&bundle, std::fs::Permissions::from_mode(0o664)).unwrap();
        for target in [
            ["-o", file.to_str().unwrap()],
            ["--out-dir", dir.to_str().unwrap()],
        ] {
            let args = [
                &role[..],
                &target[..],
                &["--role-name", "Other", "--force"][..],
            ]
            .concat();
            let output = run_with_umask("077", &args);
            assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
        }
        assert!(std::fs::read_to_string(&file).unwrap().contains("Other"));
        assert_eq!(mode(&file), 0o604);
        assert_eq!(mode(&bundle), 0o664);
        assert_eq!(mode(&dir.join("trust-policy.json")), expected);
    }
}
