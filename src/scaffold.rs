//! `mlrole catalog init DIR`: a starting point for a user catalog — one persona, one activity, and
//! the JSON Schemas their first line points editors at. The files explain themselves in comments,
//! pass `mlrole catalog check DIR` as written, and are never written over existing files.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::output;
use crate::schema;

/// The example persona's file, relative to the catalog directory.
pub const PERSONA_FILE: &str = "personas/team-analyst.yaml";
/// The example activity's file, relative to the catalog directory.
pub const ACTIVITY_FILE: &str = "activities/read-team-model-artifacts.yaml";

const PERSONA: &str = r#"# yaml-language-server: $schema=../schemas/persona.schema.json
#
# A persona: who assumes the role (trust) and which ML activities it starts from. Use it with
#   mlrole --catalog DIR generate --persona team-analyst --read-bucket NAME
# Files in DIR/personas and DIR/activities add to mlrole's built-in catalog, and replace a built-in
# file of the same name. Check them with `mlrole catalog check DIR`; see the schema for every key.

# Kebab-case, and the same as the file name.
id: team-analyst
title: Team Analyst
description: >-
  Studio user role for analysts of the team: runs Studio apps in its own user profile and reads the
  team's model artifacts and job logs.
# The default role name; `--role-name` overrides it.
role_name: SageMaker-TeamAnalyst
trust:
  # Service principals without `.amazonaws.com`. mlrole always adds aws:SourceAccount.
  services: [sagemaker]
  # Optional aws:SourceArn (ArnLike); ${partition}, ${region} and ${account} are filled in.
  source_arn: "arn:${partition}:sagemaker:${region}:${account}:*"
# Built-in activities (`mlrole list activities`) and this catalog's own.
default_activities:
  - run-studio-apps
  - read-team-model-artifacts
max_session_duration: 3600
"#;

const ACTIVITY: &str = r#"# yaml-language-server: $schema=../schemas/activity.schema.json
#
# An ML activity: the IAM statements for one job to be done, with placeholders that mlrole fills
# from the command line. Scalars are always available: ${partition}, ${region}, ${account},
# ${dns_suffix}, ${domain_id}, ${user_profile}. Lists (such as ${read_buckets}, filled by
# --read-bucket) must be declared under `parameters`; a string with a list placeholder is repeated
# once per value, and a statement whose resources expand to nothing is left out. `${ns:key}` (with
# a colon) is an IAM policy variable and is kept as it is.

# Kebab-case, and the same as the file name.
id: read-team-model-artifacts
title: Read Team Model Artifacts
description: >-
  Read the model artifacts the team publishes under models/ in the read-only buckets, and the logs
  of SageMaker training jobs.
parameters:
  # required: `generate` fails with a message naming --read-bucket when none is given.
  read_buckets: required
statements:
  # Every statement has a Sid (letters and digits) and a reason; mlrole prefixes the Sid with the
  # activity's name and keeps the reason in the bundle's provenance.
  - sid: ListArtifacts
    why: "List the models/ prefix of the read-only buckets."
    actions: [s3:ListBucket]
    resources:
      - "arn:${partition}:s3:::${read_buckets}"
    conditions:
      StringLike:
        s3:prefix: ["models/*"]
  - sid: ReadArtifacts
    why: "Read model artifacts under models/."
    actions: [s3:GetObject]
    resources:
      - "arn:${partition}:s3:::${read_buckets}/models/*"
  - sid: TrainingLogs
    why: "Read the logs of training jobs (read only)."
    actions: [logs:GetLogEvents]
    resources:
      - "arn:${partition}:logs:${region}:${account}:log-group:/aws/sagemaker/TrainingJobs:log-stream:*"
"#;

/// The files `init` writes: (path relative to the catalog directory, contents).
pub fn files() -> Vec<(&'static str, &'static str)> {
    vec![
        (PERSONA_FILE, PERSONA),
        (ACTIVITY_FILE, ACTIVITY),
        (schema::PERSONA_FILE, schema::PERSONA),
        (schema::ACTIVITY_FILE, schema::ACTIVITY),
    ]
}

/// Writes the scaffold into `dir`. Refuses, writing nothing, when any of the files exists.
pub fn init(dir: &Path) -> Result<Vec<PathBuf>> {
    let files = files();
    let targets: Vec<PathBuf> = files.iter().map(|(name, _)| dir.join(name)).collect();
    if let Some(existing) = targets.iter().find(|t| t.exists()) {
        return Err(Error::WouldOverwrite {
            path: existing.clone(),
            force: false,
        });
    }
    for target in &targets {
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(|source| Error::Io {
                action: "cannot create folder",
                path: parent.to_path_buf(),
                source,
            })?;
        }
    }
    for ((_, contents), target) in files.iter().zip(&targets) {
        output::write_one(target, contents, false)?;
    }
    Ok(targets)
}
