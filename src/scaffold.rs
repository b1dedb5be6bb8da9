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

/// Writes the scaffold into `dir`. Refuses, creating nothing, when any of the files exists or a
/// file stands where one of its folders is to be (`DIR/schemas` a file); if a folder or file then
/// cannot be made, what it had made is removed again.
pub fn init(dir: &Path) -> Result<Vec<PathBuf>> {
    let files = files();
    let targets: Vec<PathBuf> = files.iter().map(|(name, _)| dir.join(name)).collect();
    if let Some(existing) = targets.iter().find(|t| t.exists()) {
        return Err(Error::WouldOverwrite {
            path: existing.clone(),
            force: false,
        });
    }
    let file_in_the_way = targets.iter().find_map(|target| {
        target
            .ancestors()
            .skip(1)
            .take_while(|above| !above.as_os_str().is_empty())
            .find(|above| above.exists() && !above.is_dir())
    });
    if let Some(file) = file_in_the_way {
        return Err(Error::Usage {
            message: format!(
                "`{}` is a file, where `catalog init {}` needs a folder",
                file.display(),
                dir.display()
            ),
            help: Some("move that file away, or choose another catalog directory".into()),
        });
    }
    let mut made = Made::default();
    for target in &targets {
        if let Some(parent) = target.parent() {
            made.folders(parent)?;
        }
    }
    for ((_, contents), target) in files.iter().zip(&targets) {
        output::write_one(target, contents, false)?;
        made.files.push(target.clone());
    }
    made.keep();
    Ok(targets)
}

/// The folders and files `init` has made so far, removed again on drop unless kept, so that a
/// failed `init` leaves nothing behind.
#[derive(Default)]
struct Made {
    /// In the order made; each removes its empty folders when dropped, unless kept.
    folders: Vec<output::CreatedFolders>,
    files: Vec<PathBuf>,
}

impl Made {
    /// Creates `folder` and the folders above it that do not exist, outermost first.
    fn folders(&mut self, folder: &Path) -> Result<()> {
        self.folders.push(output::create_folders(folder)?);
        Ok(())
    }

    fn keep(mut self) {
        self.files.clear();
        for folders in self.folders.drain(..) {
            folders.keep();
        }
    }
}

impl Drop for Made {
    fn drop(&mut self) {
        for file in &self.files {
            let _ = std::fs::remove_file(file);
        }
        // The folders made last first: a folder made earlier may hold them.
        while let Some(folders) = self.folders.pop() {
            drop(folders);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a failed `init` had made goes again, innermost first; a folder that was there stays.
    #[test]
    fn made_folders_and_files_are_removed_unless_kept() {
        let temp = tempfile::tempdir().unwrap();
        let dir = temp.path().join("catalog");
        let mut made = Made::default();
        made.folders(&dir.join("personas")).unwrap();
        made.folders(&dir.join("activities")).unwrap();
        let file = dir.join("personas/a.yaml");
        std::fs::write(&file, "a").unwrap();
        made.files.push(file);
        let made_folders: usize = made.folders.iter().map(output::CreatedFolders::len).sum();
        assert_eq!(made_folders, 3);
        drop(made);
        assert!(!dir.exists());
        assert!(temp.path().exists());

        let mut kept = Made::default();
        kept.folders(&dir.join("schemas")).unwrap();
        kept.keep();
        assert!(dir.join("schemas").is_dir());
    }
}
