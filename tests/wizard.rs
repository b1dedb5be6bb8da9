//! The wizard: scripted sessions through the `Prompter` trait, `--no-input`, cancellation, the
//! equivalent command reproducing the output byte for byte, and one real session in a
//! pseudo-terminal driving the binary through a whole session.

use std::collections::VecDeque;
use std::path::Path;

use mlrole::catalog::Catalog;
use mlrole::error::{Error, Result};
use mlrole::render::Renderer;
use mlrole::request::{FieldLabels, RoleSpec};
use mlrole::wizard::{self, Check, Destination, NoInput, Preset, Prompter, Question};

const PASS_ROLE: &str = "arn:aws:iam::111122223333:role/service-role/SageMaker-Compute";

#[derive(Debug)]
enum Answer {
    Select(usize),
    Multi(Vec<usize>),
    /// Typed text; `""` accepts the default.
    Text(&'static str),
    Confirm(bool),
    Cancel,
}

/// Answers in order; records every question asked and every rejected text.
struct Scripted {
    answers: VecDeque<Answer>,
    asked: Vec<String>,
    rejected: Vec<String>,
    shown: String,
}

impl Scripted {
    fn new(answers: Vec<Answer>) -> Self {
        Scripted {
            answers: answers.into(),
            asked: Vec::new(),
            rejected: Vec::new(),
            shown: String::new(),
        }
    }

    fn next(&mut self, question: &Question) -> Result<Answer> {
        self.asked.push(question.message.to_string());
        match self.answers.pop_front() {
            Some(Answer::Cancel) => Err(Error::Cancelled),
            Some(answer) => Ok(answer),
            None => panic!(
                "no scripted answer for {:?} (asked so far: {:?})",
                question.message, self.asked
            ),
        }
    }
}

impl Prompter for Scripted {
    fn select(
        &mut self,
        question: &Question,
        options: &[String],
        _default: Option<usize>,
    ) -> Result<usize> {
        match self.next(question)? {
            Answer::Select(i) if i < options.len() => Ok(i),
            other => panic!(
                "{:?}: expected a select answer, got {other:?}",
                question.message
            ),
        }
    }

    fn multi_select(
        &mut self,
        question: &Question,
        _options: &[String],
        defaults: &[usize],
    ) -> Result<Vec<usize>> {
        match self.next(question)? {
            Answer::Multi(chosen) => Ok(chosen),
            Answer::Text("") => Ok(defaults.to_vec()),
            other => panic!(
                "{:?}: expected a multi-select answer, got {other:?}",
                question.message
            ),
        }
    }

    fn text(&mut self, question: &Question, default: Option<&str>, check: Check) -> Result<String> {
        loop {
            let typed = match self.next(question)? {
                Answer::Text(text) => text,
                other => panic!("{:?}: expected text, got {other:?}", question.message),
            };
            let answer = if typed.is_empty() {
                default.unwrap_or("")
            } else {
                typed
            };
            match check(answer) {
                Ok(()) => return Ok(answer.to_string()),
                Err(message) => self.rejected.push(message),
            }
        }
    }

    fn confirm(&mut self, question: &Question, _default: bool) -> Result<bool> {
        match self.next(question)? {
            Answer::Confirm(yes) => Ok(yes),
            other => panic!("{:?}: expected confirm, got {other:?}", question.message),
        }
    }

    fn show(&mut self, text: &str) {
        self.shown.push_str(text);
    }
}

fn setup() -> (Catalog, Renderer) {
    (Catalog::load(None).unwrap(), Renderer::new(None).unwrap())
}

/// A persona's role in the test account and region, with one read-write bucket.
fn role(persona: &str) -> RoleSpec {
    RoleSpec {
        persona: Some(persona.into()),
        account: Some("111122223333".into()),
        region: Some("us-east-1".into()),
        buckets: vec!["bucket-rw".into()],
        ..RoleSpec::default()
    }
}

/// Flags that preset `spec` and send the JSON bundle to stdout.
fn json_to_stdout(spec: RoleSpec) -> Preset {
    Preset {
        spec,
        destination: Some(Destination::Stdout),
        format: Some(mlrole::generate::Format::Json),
        ..Preset::default()
    }
}

fn persona_index(catalog: &Catalog, id: &str) -> usize {
    catalog.personas.iter().position(|p| p.id == id).unwrap()
}

fn bundle_of(catalog: &Catalog, renderer: &Renderer, spec: &RoleSpec) -> String {
    let request = spec.resolve(catalog, &FieldLabels::default()).unwrap();
    mlrole::cli::to_pretty(
        &mlrole::generate::generate(catalog, renderer, &request)
            .unwrap()
            .bundle(),
    )
}

/// A whole data-scientist session, with one typo corrected on the way.
fn data_scientist_answers(catalog: &Catalog) -> Vec<Answer> {
    vec![
        Answer::Select(persona_index(catalog, "data-scientist")),
        Answer::Text(""),           // role name: default
        Answer::Text("1111222233"), // account: too short, asked again
        Answer::Text("111122223333"),
        Answer::Text("us-east-1"), // region
        Answer::Text(""),          // activities: the persona's defaults
        Answer::Confirm(true),     // VPC
        Answer::Text("subnet-0aaa1111, subnet-0bbb2222"),
        Answer::Text("sg-0ccc3333"),
        Answer::Confirm(false),     // KMS
        Answer::Text("ml-art-out"), // read-write buckets
        Answer::Text("ml-data-in"), // read-only buckets
        Answer::Text(PASS_ROLE),    // roles to pass
        Answer::Text(""),           // domain id: caller's own
        Answer::Text(""),           // user profile: caller's own
        Answer::Confirm(true),      // generate
        Answer::Select(0),          // format: JSON
        Answer::Select(0),          // stdout
        Answer::Confirm(false),     // no spec file
    ]
}

#[test]
fn a_scripted_session_builds_the_role_and_its_equivalent_command_reproduces_it() {
    let (catalog, renderer) = setup();
    let mut prompter = Scripted::new(data_scientist_answers(&catalog));
    let result = wizard::run(&catalog, &renderer, &mut prompter, Preset::default()).unwrap();
    assert!(prompter.answers.is_empty(), "every answer used");
    assert_eq!(
        prompter.rejected.len(),
        1,
        "the short account id was rejected: {:?}",
        prompter.rejected
    );
    assert!(prompter.rejected[0].contains("12 digits"));
    assert!(
        prompter.shown.contains("6144 characters"),
        "the review shows the size budget:\n{}",
        prompter.shown
    );
    assert_eq!(result.destination, Destination::Stdout);
    assert_eq!(result.spec.persona.as_deref(), Some("data-scientist"));
    assert_eq!(
        result.spec.vpc_subnets,
        vec!["subnet-0aaa1111", "subnet-0bbb2222"]
    );

    let command = wizard::equivalent_command(&result);
    insta::assert_snapshot!(
        "equivalent-command",
        command
            .iter()
            .map(|a| wizard::shell_quote(a))
            .collect::<Vec<_>>()
            .join(" ")
    );
    let from_command = mlrole::cli::run_args(&command).unwrap();
    assert_eq!(
        from_command,
        bundle_of(&catalog, &renderer, &result.spec),
        "the command reproduces the wizard's role byte for byte"
    );
}

/// The spec file is asked for after the role is reviewed but before anything is written: an
/// existing file is refused at the question, so it is never replaced and the role never written
/// with a failing save after it.
#[test]
fn an_existing_spec_file_is_refused_when_asked_for() {
    let (catalog, renderer) = setup();
    let temp = tempfile::tempdir().unwrap();
    let existing = temp.path().join("mine.yaml");
    std::fs::write(&existing, "keep me\n").unwrap();
    let fresh = temp.path().join("role.yaml");
    let leak = |p: &Path| -> &'static str { Box::leak(p.display().to_string().into_boxed_str()) };
    let mut answers = data_scientist_answers(&catalog);
    assert!(matches!(answers.pop(), Some(Answer::Confirm(false))));
    let no_folder = temp.path().join("no/such/folder/role.yaml");
    answers.extend([
        Answer::Confirm(true),
        Answer::Text(leak(&existing)),
        Answer::Text(leak(&no_folder)),
        Answer::Text(leak(&fresh)),
    ]);
    let mut prompter = Scripted::new(answers);
    let result = wizard::run(&catalog, &renderer, &mut prompter, Preset::default()).unwrap();
    assert!(prompter.answers.is_empty(), "every answer used");
    assert!(
        prompter
            .rejected
            .iter()
            .any(|r| r.contains("never replaces a spec file"))
            && prompter
                .rejected
                .iter()
                .any(|r| r.contains("is not a folder")),
        "{:?}",
        prompter.rejected
    );
    assert_eq!(result.save_spec.as_deref(), Some(fresh.as_path()));
    assert_eq!(std::fs::read_to_string(&existing).unwrap(), "keep me\n");
}

#[test]
fn changed_activities_become_activity_and_without_activity_flags() {
    let (catalog, renderer) = setup();
    let index = |id: &str| catalog.activities.iter().position(|a| a.id == id).unwrap();
    let compute = persona_index(&catalog, "compute");
    let answers = vec![
        Answer::Select(compute),
        Answer::Text("Team-Compute"),
        Answer::Text("111122223333"), // account (required)
        Answer::Text(""),
        Answer::Select(0),                              // partition aws
        Answer::Multi(vec![index("s3-bucket-access")]), // drop the default, add another
        Answer::Confirm(false), // KMS for data (the only setting s3-bucket-access reads)
        Answer::Text("bucket-rw"),
        Answer::Text(""),
        Answer::Confirm(true),
        Answer::Select(0),
        Answer::Select(0),
        Answer::Confirm(false),
    ];
    let mut prompter = Scripted::new(answers);
    let result = wizard::run(&catalog, &renderer, &mut prompter, Preset::default()).unwrap();
    assert_eq!(result.spec.activities, vec!["s3-bucket-access"]);
    assert_eq!(
        result.spec.without_activities,
        vec!["access-required-aws-services"]
    );
    assert_eq!(result.spec.role_name.as_deref(), Some("Team-Compute"));
    let command = wizard::equivalent_command(&result);
    assert_eq!(
        mlrole::cli::run_args(&command).unwrap(),
        bundle_of(&catalog, &renderer, &result.spec)
    );
}

/// The network and encryption questions come after the activities and ask only for what they
/// read: the compute role starts no jobs, so it is asked for data keys alone.
#[test]
fn only_the_key_kinds_the_chosen_activities_read_are_asked_for() {
    let (catalog, renderer) = setup();
    let compute = persona_index(&catalog, "compute");
    let answers = vec![
        Answer::Select(compute),
        Answer::Text(""),
        Answer::Text("111122223333"),
        Answer::Text("us-east-1"),
        Answer::Text(""),       // activities: the persona's defaults
        Answer::Confirm(false), // VPC
        Answer::Confirm(true),  // KMS
        Answer::Text("arn:aws:kms:us-east-1:111122223333:key/5678abcd-12ab-34cd-56ef-1234567890ab"),
        Answer::Text("bucket-rw"),
        Answer::Text(""),
        Answer::Text(""),
        Answer::Confirm(true),
        Answer::Select(0),
        Answer::Select(0),
        Answer::Confirm(false),
    ];
    let mut prompter = Scripted::new(answers);
    let result = wizard::run(&catalog, &renderer, &mut prompter, Preset::default()).unwrap();
    assert!(prompter.answers.is_empty(), "every answer used");
    assert!(
        prompter
            .asked
            .iter()
            .any(|q| q == "Require KMS keys for data in S3?")
            && !prompter.asked.iter().any(|q| q.contains("Volume")),
        "{:?}",
        prompter.asked
    );
    assert_eq!(result.spec.data_kms_keys.len(), 1);
    let bundle = bundle_of(&catalog, &renderer, &result.spec);
    assert!(bundle.contains("key/5678abcd"), "the data key is used");
    let command = wizard::equivalent_command(&result);
    assert_eq!(mlrole::cli::run_args(&command).unwrap(), bundle);
}

/// A value given as a flag is not dropped when nothing reads it: the session is refused as
/// `generate` would refuse it.
#[test]
fn flags_nothing_reads_are_refused_not_dropped() {
    let (catalog, renderer) = setup();
    let preset = json_to_stdout(RoleSpec {
        volume_kms_keys: vec![
            "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab".into(),
        ],
        data_kms_keys: vec![
            "arn:aws:kms:us-east-1:111122223333:key/5678abcd-12ab-34cd-56ef-1234567890ab".into(),
        ],
        ..role("compute")
    });
    let mut prompter = NoInput;
    let error = wizard::run(&catalog, &renderer, &mut prompter, preset).unwrap_err();
    assert_eq!(error.exit_code(), 2);
    assert!(error.to_string().contains("`--volume-kms-key`"), "{error}");
}

#[test]
fn flags_prefill_and_skip_their_questions() {
    let (catalog, renderer) = setup();
    let preset = json_to_stdout(role("compute"));
    let answers = vec![
        Answer::Text(""),       // role name
        Answer::Text(""),       // activities: the persona's defaults
        Answer::Confirm(false), // VPC
        Answer::Confirm(false), // KMS
        Answer::Text(""),
        Answer::Confirm(true),
        Answer::Confirm(false),
    ];
    let mut prompter = Scripted::new(answers);
    wizard::run(&catalog, &renderer, &mut prompter, preset).unwrap();
    for skipped in [
        "Persona",
        "AWS account id",
        "Region",
        "S3 buckets the role reads and writes",
        "Where should the role go?",
        "Output format",
    ] {
        assert!(
            !prompter.asked.iter().any(|q| q == skipped),
            "{skipped} was answered by a flag, yet asked: {:?}",
            prompter.asked
        );
    }
    assert!(prompter.asked.iter().any(|q| q == "Role name"));
}

#[test]
fn no_input_takes_defaults_and_names_the_first_missing_flag() {
    let (catalog, renderer) = setup();
    let error = wizard::run(&catalog, &renderer, &mut NoInput, Preset::default()).unwrap_err();
    assert_eq!(error.exit_code(), 2);
    assert!(
        error.to_string().contains("`--persona` or `--activity`"),
        "{error}"
    );

    // The account has no default: IAM does not fill a variable into an ARN's account part.
    let preset = Preset {
        spec: RoleSpec {
            persona: Some("compute".into()),
            buckets: vec!["b-1".into()],
            ..RoleSpec::default()
        },
        ..Preset::default()
    };
    let error = wizard::run(&catalog, &renderer, &mut NoInput, preset).unwrap_err();
    assert!(error.to_string().contains("pass `--account`"), "{error}");

    let preset = Preset {
        spec: RoleSpec {
            persona: Some("data-scientist".into()),
            account: Some("111122223333".into()),
            buckets: vec!["b-1".into()],
            ..RoleSpec::default()
        },
        ..Preset::default()
    };
    let error = wizard::run(&catalog, &renderer, &mut NoInput, preset).unwrap_err();
    assert!(error.to_string().contains("--pass-role"), "{error}");

    let preset = Preset {
        spec: RoleSpec {
            persona: Some("compute".into()),
            account: Some("111122223333".into()),
            buckets: vec!["b-1".into()],
            ..RoleSpec::default()
        },
        ..Preset::default()
    };
    let result = wizard::run(&catalog, &renderer, &mut NoInput, preset).unwrap();
    assert_eq!(result.destination, Destination::Stdout);
}

#[test]
fn no_input_from_the_command_line_and_ci() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_mlrole"))
        .args(["wizard", "--account", "111122223333", "--persona", "mlops"])
        .env("CI", "true")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&output.stderr).contains("pass `--bucket` or `--read-bucket`"));
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_mlrole"))
        .args([
            "wizard",
            "--account",
            "111122223333",
            "--persona",
            "mlops",
            "--bucket",
            "b-1",
        ])
        .env("CI", "true")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("pass `--pass-role`"), "{stderr}");
    assert!(output.stdout.is_empty());
}

/// With `--no-default-activities` nothing is ticked and every chosen activity is kept (the ticked
/// defaults used to vanish, since the flag removed them again).
#[test]
fn no_default_activities_keeps_what_is_chosen() {
    let (catalog, renderer) = setup();
    let index = |id: &str| catalog.activities.iter().position(|a| a.id == id).unwrap();
    let preset = json_to_stdout(RoleSpec {
        no_default_activities: Some(true),
        ..role("compute")
    });
    let answers = vec![
        Answer::Text(""), // role name
        Answer::Multi(vec![index("s3-bucket-access")]),
        Answer::Confirm(false), // KMS for data
        Answer::Confirm(true),
        Answer::Confirm(false),
    ];
    let mut prompter = Scripted::new(answers);
    let result = wizard::run(&catalog, &renderer, &mut prompter, preset).unwrap();
    assert!(
        prompter.answers.is_empty(),
        "every answer used: {:?}",
        prompter.asked
    );
    assert_eq!(result.spec.activities, vec!["s3-bucket-access"]);
    assert!(result.spec.without_activities.is_empty());
    let bundle = bundle_of(&catalog, &renderer, &result.spec);
    assert!(bundle.contains("arn:aws:s3:::bucket-rw"), "{bundle}");
}

/// The spec file may not be the role's own output file, however its path is written, nor lie in
/// the role's output folder: both would fail only after the role was written.
#[test]
fn the_spec_file_is_not_the_roles_output() {
    let temp = tempfile::tempdir().unwrap();
    let out_file = temp.path().join("r.json");
    let out_dir = temp.path().join("od");
    std::fs::create_dir(&out_dir).unwrap();
    let (catalog, renderer) = setup();
    let leak = |p: &Path| -> &'static str { Box::leak(p.display().to_string().into_boxed_str()) };
    let same_file = temp.path().join(".").join("r.json");
    let in_folder = out_dir.join("bundle.json");
    let fresh = temp.path().join("role.yaml");
    // A folder named through one that does not exist yet and `..` is still that folder.
    let roundabout = temp.path().join("new").join("..").join("od");
    for (destination, wrong) in [
        (Destination::File(out_file.clone()), same_file),
        (Destination::Dir(out_dir.clone()), in_folder.clone()),
        (Destination::Dir(roundabout), out_dir.join("s.yaml")),
    ] {
        let preset = Preset {
            destination: Some(destination),
            ..json_to_stdout(role("compute"))
        };
        let answers = vec![
            Answer::Text(""),       // role name
            Answer::Text(""),       // activities: the persona's defaults
            Answer::Confirm(false), // VPC
            Answer::Confirm(false), // KMS
            Answer::Text(""),       // ECR repositories
            Answer::Confirm(true),
            Answer::Confirm(true),
            Answer::Text(leak(&wrong)),
            Answer::Text(leak(&fresh)),
        ];
        let mut prompter = Scripted::new(answers);
        let result = wizard::run(&catalog, &renderer, &mut prompter, preset).unwrap();
        assert!(
            prompter.answers.is_empty(),
            "every answer used: {:?}",
            prompter.asked
        );
        assert!(
            prompter
                .rejected
                .iter()
                .any(|r| r.contains("where the role goes")),
            "{wrong:?}: {:?}",
            prompter.rejected
        );
        assert_eq!(result.save_spec.as_deref(), Some(fresh.as_path()));
    }
}

/// `wizard --spec FILE` reads the spec as `generate` does: its values are used, not dropped.
#[test]
fn the_wizard_reads_its_spec_file() {
    let temp = tempfile::tempdir().unwrap();
    let spec = temp.path().join("w1.yaml");
    std::fs::write(
        &spec,
        "persona: compute\nread_buckets: [bbb-1]\n\
         data_kms_keys: [\"arn:aws:kms:us-east-1:111122223333:key/5678abcd-12ab-34cd-56ef-1234567890ab\"]\n",
    )
    .unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_mlrole"))
        .args([
            "wizard",
            "--no-input",
            "--account",
            "111122223333",
            "--region",
            "us-east-1",
        ])
        .arg("--spec")
        .arg(&spec)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(String::from_utf8_lossy(&output.stdout).contains("key/5678abcd"));
    assert!(
        stderr.contains("--data-kms-key"),
        "the equivalent command carries it: {stderr}"
    );
}

/// One half of a pair given as a flag: the wizard asks for the other half instead of failing
/// after every question.
#[test]
fn the_missing_half_of_a_pair_is_asked_for() {
    let (catalog, renderer) = setup();
    let preset = json_to_stdout(RoleSpec {
        read_buckets: vec!["bucket-ro".into()],
        pass_roles: vec![PASS_ROLE.into()],
        vpc_subnets: vec!["subnet-0aaa1111".into()],
        volume_kms_keys: vec![
            "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab".into(),
        ],
        ..role("data-scientist")
    });
    let answers = vec![
        Answer::Text(""), // role name
        Answer::Text(""), // activities: the persona's defaults
        Answer::Text("sg-0ccc3333"),
        Answer::Text("arn:aws:kms:us-east-1:111122223333:key/5678abcd-12ab-34cd-56ef-1234567890ab"),
        Answer::Text(""), // domain id
        Answer::Text(""), // user profile
        Answer::Confirm(true),
        Answer::Confirm(false),
    ];
    let mut prompter = Scripted::new(answers);
    let result = wizard::run(&catalog, &renderer, &mut prompter, preset).unwrap();
    assert!(
        prompter.answers.is_empty(),
        "every answer used: {:?}",
        prompter.asked
    );
    assert!(prompter.asked.iter().any(|q| q == "Security group ids"));
    assert!(prompter.asked.iter().any(|q| q == "Data KMS key ARNs"));
    assert_eq!(result.spec.vpc_security_groups, vec!["sg-0ccc3333"]);
    assert_eq!(result.spec.data_kms_keys.len(), 1);
}

#[test]
fn cancelling_writes_nothing_and_exits_130() {
    let (catalog, renderer) = setup();
    let temp = tempfile::tempdir().unwrap();
    let flags_dir = temp.path().join("out");
    let mut prompter = Scripted::new(vec![Answer::Select(0), Answer::Cancel]);
    let preset = Preset {
        destination: Some(Destination::Dir(flags_dir.clone())),
        ..Preset::default()
    };
    let error = wizard::run(&catalog, &renderer, &mut prompter, preset).unwrap_err();
    assert!(matches!(error, Error::Cancelled));
    assert_eq!(error.exit_code(), 130);
    assert!(!flags_dir.exists());
}

fn wait_for_file(path: &Path) -> String {
    for _ in 0..100 {
        if let Ok(text) = std::fs::read_to_string(path) {
            return text;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    panic!("{} was never written", path.display());
}

/// A person at a real (pseudo-)terminal: persona → activities → buckets → review → file written.
#[cfg(unix)]
#[test]
fn a_whole_session_in_a_pseudo_terminal() {
    use expectrl::Session;
    const DOWN: &str = "\x1b[B";
    const ENTER: &str = "\r";

    let temp = tempfile::tempdir().unwrap();
    let out = temp.path().join("role");
    let spec_file = temp.path().join("role.yaml");
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_mlrole"));
    command
        .arg("wizard")
        .env_remove("CI")
        .env("AWS_REGION", "us-east-1")
        .env("TERM", "xterm")
        .current_dir(temp.path());
    let mut session = Session::spawn(command).expect("spawn in a pty");
    session.set_expect_timeout(Some(std::time::Duration::from_secs(20)));
    let mut step = |wait_for: &str, keys: &[&str]| {
        session
            .expect(wait_for)
            .unwrap_or_else(|e| panic!("waiting for {wait_for:?}: {e}"));
        for key in keys {
            session.send(key).unwrap();
            std::thread::sleep(std::time::Duration::from_millis(60));
        }
    };
    // Typing filters the list down to the persona.
    step("Persona", &["Data Scientist", ENTER]);
    step("Role name", &[ENTER]);
    step("AWS account id", &["111122223333", ENTER]);
    step("Region", &[ENTER]); // default from AWS_REGION
    step("ML activities", &[ENTER]); // the persona's defaults
    step("VPC", &[ENTER]);
    step("KMS", &[ENTER]);
    step("reads and writes", &["ml-art-out", ENTER]);
    step("only reads", &["ml-data-in", ENTER]);
    step("pass to SageMaker", &[PASS_ROLE, ENTER]);
    step("domain id", &[ENTER]);
    step("user profile", &[ENTER]);
    step("Generate this role?", &[ENTER]);
    step("Output format", &[ENTER]);
    step("Where should the role go?", &[DOWN, ENTER]);
    step("Folder", &[out.to_str().unwrap(), ENTER]);
    step("spec file", &["y", ENTER]);
    step("Spec file", &[spec_file.to_str().unwrap(), ENTER]);
    session
        .expect("The same role without questions")
        .expect("the equivalent command is printed");
    session.expect(expectrl::Eof).ok();

    let written = wait_for_file(&out.join("bundle.json"));
    let bundle: serde_json::Value = serde_json::from_str(&written).unwrap();
    assert_eq!(bundle["role"]["name"], "SageMaker-DataScientist");
    assert_eq!(bundle["role"]["region"], "us-east-1");
    assert!(written.contains("arn:aws:s3:::ml-data-in/*") && written.contains(PASS_ROLE));
    assert!(out.join("trust-policy.json").exists());

    // The saved spec reproduces the same bundle.
    let saved = wait_for_file(&spec_file);
    let from_spec = mlrole::cli::run_args([
        "mlrole",
        "generate",
        "--account",
        "111122223333",
        "--spec",
        spec_file.to_str().unwrap(),
    ])
    .unwrap();
    assert_eq!(from_spec, written, "saved spec:\n{saved}");
}

/// Esc at the first question: exit status 130, nothing on stdout, no file.
#[cfg(unix)]
#[test]
fn escape_in_a_pseudo_terminal_cancels_with_130() {
    use expectrl::Session;
    let temp = tempfile::tempdir().unwrap();
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_mlrole"));
    command
        .args(["generate", "--account", "111122223333", "--out-dir", "role"])
        .env_remove("CI")
        .env("TERM", "xterm")
        .current_dir(temp.path());
    let mut session = Session::spawn(command).expect("spawn in a pty");
    session.set_expect_timeout(Some(std::time::Duration::from_secs(20)));
    session
        .expect("Persona")
        .expect("`generate` without a persona at a terminal starts the wizard");
    session.send("\x1b").unwrap();
    session
        .expect("cancelled")
        .expect("cancellation is reported");
    let status = session.get_process_mut().wait().expect("the process ends");
    assert!(
        matches!(status, expectrl::WaitStatus::Exited(_, 130)),
        "{status:?}"
    );
    assert!(!temp.path().join("role").exists());
}

/// Every spec field survives the round trip spec → equivalent command → flags → spec. The struct
/// literal has no `..Default::default()` on purpose: a new field fails to compile here until the
/// command line covers it.
#[test]
fn the_equivalent_command_carries_every_spec_field() {
    let s = |v: &str| Some(v.to_string());
    let l = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    let spec = RoleSpec {
        persona: s("data-scientist"),
        activities: l(&["query-athena-workgroups"]),
        without_activities: l(&["manage-experiments"]),
        no_default_activities: Some(true),
        role_name: s("Team-DS"),
        path: s("/teams/"),
        description: s("Data scientists of team A"),
        tags: [("team".to_string(), "a b".to_string())]
            .into_iter()
            .collect(),
        max_session_duration: Some(7200),
        max_policies: Some(12),
        account: s("111122223333"),
        region: s("us-east-1"),
        partition: s("aws"),
        buckets: l(&["b-rw"]),
        read_buckets: l(&["b-ro"]),
        ecr_repos: l(&["team/image"]),
        pass_roles: l(&[PASS_ROLE]),
        domain_id: s("d-abcdef123456"),
        user_profile: s("alice"),
        athena_workgroups: l(&["primary"]),
        glue_databases: l(&["features"]),
        vpc_subnets: l(&["subnet-0aaa1111"]),
        vpc_security_groups: l(&["sg-0ccc3333"]),
        volume_kms_keys: l(&[
            "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        ]),
        data_kms_keys: l(&[
            "arn:aws:kms:us-east-1:111122223333:key/5678abcd-12ab-34cd-56ef-1234567890ab",
        ]),
        kendra_indexes: l(&["12345678-1234-1234-1234-123456789012"]),
        emr_serverless_roles: l(&["arn:aws:iam::111122223333:role/emr"]),
        bedrock_roles: l(&["arn:aws:iam::111122223333:role/bedrock"]),
        forecast_roles: l(&["arn:aws:iam::111122223333:role/forecast"]),
        trust_principals: l(&["arn:aws:iam::444455556666:role/ci-deployer"]),
        require_mfa: Some(true),
        external_id: s("ml-platform-2026"),
    };
    let result = wizard::WizardResult {
        spec: spec.clone(),
        format: mlrole::generate::Format::Terraform,
        inline: true,
        destination: Destination::Stdout,
        force: false,
        save_spec: None,
    };
    let command = wizard::equivalent_command(&result);
    use clap::Parser;
    let cli =
        mlrole::cli::Cli::try_parse_from(&command).unwrap_or_else(|e| panic!("{command:?}: {e}"));
    let mlrole::cli::Command::Generate(args) = cli.command else {
        panic!("not generate")
    };
    assert_eq!(args.to_spec(), spec);
    assert_eq!(args.format, Some(mlrole::generate::Format::Terraform));
    assert!(args.inline);
}
