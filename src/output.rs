//! Writing results: atomically (a temporary file in the same folder, then a rename), and never over
//! an existing file unless the user said `--force`. All targets are checked before any is written,
//! so a refused run leaves the folder exactly as it was.
//!
//! A file's contents reach the disk before its name appears, so a crash never leaves a short or
//! empty result. One role flushes each file as it writes it; a batch of roles (`--spec-dir`)
//! writes every file first and flushes each filesystem once ([`flush`]), since thousands of
//! separate flushes cost seconds on a journaling filesystem.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// When a staged file's contents are made durable.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Durability {
    /// Flushed as it is written.
    EachFile,
    /// Left to one [`flush`] of the whole batch before any file is put in place. Where the
    /// platform cannot flush a filesystem at once, files are flushed as they are written.
    Batch,
}

/// Files written under temporary names in one folder, not yet in place: dropping this deletes
/// them, [`Staged::commit`] renames them to their targets.
#[derive(Debug)]
pub struct Staged {
    dir: PathBuf,
    files: Vec<(tempfile::TempPath, PathBuf)>,
    force: bool,
}

/// Writes `files` (name, contents) into `dir`, creating it if needed.
pub fn write_all(dir: &Path, files: &[(String, String)], force: bool) -> Result<Vec<PathBuf>> {
    stage_all(dir, files, force, Durability::EachFile)?.commit()
}

/// Checks the targets and writes every file of `files` into `dir` under a temporary name.
pub fn stage_all(
    dir: &Path,
    files: &[(String, String)],
    force: bool,
    durability: Durability,
) -> Result<Staged> {
    let targets: Vec<PathBuf> = files.iter().map(|(name, _)| dir.join(name)).collect();
    if !force {
        if let Some(existing) = targets.iter().find(|t| t.exists()) {
            return Err(Error::WouldOverwrite(existing.clone()));
        }
    }
    if dir.exists() && !dir.is_dir() {
        return Err(Error::Usage {
            message: format!("`{}` exists and is not a folder", dir.display()),
            help: Some("choose another output folder".into()),
        });
    }
    std::fs::create_dir_all(dir).map_err(|source| Error::Io {
        action: "cannot create folder",
        path: dir.to_path_buf(),
        source,
    })?;
    let flush_now = durability == Durability::EachFile || !CAN_FLUSH_FILESYSTEM;
    let mut staged = Staged {
        dir: dir.to_path_buf(),
        files: Vec::with_capacity(files.len()),
        force,
    };
    for ((_, contents), target) in files.iter().zip(targets) {
        let temp = stage(dir, contents, flush_now)?.into_temp_path();
        staged.files.push((temp, target));
    }
    Ok(staged)
}

impl Staged {
    /// Renames every file into place. If one cannot be (another program created its target in
    /// the meantime), the files already put in place are removed again, so the folder holds all
    /// of the result or none of it; with `--force`, files already replaced stay replaced.
    pub fn commit(self) -> Result<Vec<PathBuf>> {
        let mut placed: Vec<PathBuf> = Vec::with_capacity(self.files.len());
        for (temp, target) in self.files {
            if let Err(error) = persist(temp, &target, self.force) {
                if !self.force {
                    for done in &placed {
                        // Best effort: the error below is what the user must see.
                        let _ = std::fs::remove_file(done);
                    }
                }
                return Err(error);
            }
            placed.push(target);
        }
        Ok(placed)
    }
}

/// Whether [`flush`] can make a whole filesystem durable in one call (Linux's `syncfs`).
const CAN_FLUSH_FILESYSTEM: bool = cfg!(any(target_os = "linux", target_os = "android"));

/// Makes the contents of every batch-staged file durable: one flush per filesystem they are on.
pub fn flush<'a>(batch: impl IntoIterator<Item = &'a Staged>) -> Result<()> {
    if !CAN_FLUSH_FILESYSTEM {
        return Ok(()); // staged files were flushed one by one
    }
    let mut flushed = std::collections::BTreeSet::new();
    for staged in batch {
        if staged.files.is_empty() {
            continue;
        }
        flush_filesystem_of(&staged.dir, &mut flushed)?;
    }
    Ok(())
}

#[cfg(any(target_os = "linux", target_os = "android"))]
fn flush_filesystem_of(dir: &Path, flushed: &mut std::collections::BTreeSet<u64>) -> Result<()> {
    use std::os::unix::fs::MetadataExt;
    let io = |source| Error::Io {
        action: "cannot flush to disk the files written in",
        path: dir.to_path_buf(),
        source,
    };
    let folder = std::fs::File::open(dir).map_err(io)?;
    let device = folder.metadata().map_err(io)?.dev();
    if flushed.insert(device) {
        rustix::fs::syncfs(&folder).map_err(|errno| io(errno.into()))?;
    }
    Ok(())
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn flush_filesystem_of(_dir: &Path, _flushed: &mut std::collections::BTreeSet<u64>) -> Result<()> {
    Ok(())
}

/// Writes one file atomically.
pub fn write_one(path: &Path, contents: &str, force: bool) -> Result<()> {
    if !force && path.exists() {
        return Err(Error::WouldOverwrite(path.to_path_buf()));
    }
    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let temp = stage(dir, contents, true)?.into_temp_path();
    persist(temp, path, force)
}

fn stage(dir: &Path, contents: &str, flush_now: bool) -> Result<tempfile::NamedTempFile> {
    let io = |source| Error::Io {
        action: "cannot write into",
        path: dir.to_path_buf(),
        source: without_temp_path(source),
    };
    let mut temp = tempfile::Builder::new()
        .prefix(".mlrole-")
        .tempfile_in(dir)
        .map_err(io)?;
    temp.write_all(contents.as_bytes()).map_err(io)?;
    if flush_now {
        temp.as_file().sync_all().map_err(io)?;
    }
    Ok(temp)
}

fn persist(temp: tempfile::TempPath, target: &Path, force: bool) -> Result<()> {
    let result = if force {
        temp.persist(target)
    } else {
        temp.persist_noclobber(target)
    };
    result.map(|_| ()).map_err(|error| {
        if error.error.kind() == std::io::ErrorKind::AlreadyExists {
            Error::WouldOverwrite(target.to_path_buf())
        } else {
            Error::Io {
                action: "cannot write",
                path: target.to_path_buf(),
                source: error.error,
            }
        }
    })
}

/// tempfile's errors name the random temporary file (`.mlrole-a1B2c3`), which means nothing to
/// the user and changes on every run: keep only the operating system's error.
fn without_temp_path(error: std::io::Error) -> std::io::Error {
    if error.raw_os_error().is_some() {
        return error;
    }
    // tempfile's message is "<os error> at path <temporary file>".
    let text = error.to_string();
    match text.split_once(" at path ") {
        Some((message, _)) => std::io::Error::new(error.kind(), message.to_string()),
        None => error,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(names: &[&str]) -> Vec<(String, String)> {
        names
            .iter()
            .map(|n| (n.to_string(), format!("contents of {n}")))
            .collect()
    }

    fn listing(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .map(|entries| {
                entries
                    .filter_map(|e| e.ok())
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        names
    }

    #[test]
    fn staged_files_appear_only_on_commit_and_vanish_when_dropped() {
        let temp = tempfile::tempdir().unwrap();
        let dir = temp.path().join("role");
        let staged = stage_all(
            &dir,
            &files(&["a.json", "b.json"]),
            false,
            Durability::Batch,
        );
        let staged = staged.unwrap();
        let before = listing(&dir);
        assert_eq!(before.len(), 2);
        assert!(
            before.iter().all(|n| n.starts_with(".mlrole-")),
            "{before:?}"
        );
        flush([&staged]).unwrap();
        assert_eq!(staged.commit().unwrap().len(), 2);
        assert_eq!(listing(&dir), ["a.json", "b.json"]);
        assert_eq!(
            std::fs::read_to_string(dir.join("b.json")).unwrap(),
            "contents of b.json"
        );

        let other = temp.path().join("other");
        drop(stage_all(&other, &files(&["c.json"]), false, Durability::Batch).unwrap());
        assert_eq!(listing(&other), Vec::<String>::new());
    }

    #[test]
    fn a_commit_that_cannot_finish_takes_back_what_it_placed() {
        let temp = tempfile::tempdir().unwrap();
        let dir = temp.path();
        let staged = stage_all(
            dir,
            &files(&["a.json", "b.json", "c.json"]),
            false,
            Durability::EachFile,
        )
        .unwrap();
        // Another program creates `b.json` between staging and commit.
        std::fs::write(dir.join("b.json"), "theirs").unwrap();
        let error = staged.commit().unwrap_err();
        assert!(
            matches!(&error, Error::WouldOverwrite(p) if p.ends_with("b.json")),
            "{error:?}"
        );
        assert_eq!(listing(dir), ["b.json"]);
        assert_eq!(
            std::fs::read_to_string(dir.join("b.json")).unwrap(),
            "theirs"
        );
    }

    #[test]
    fn existing_targets_are_refused_before_anything_is_written() {
        let temp = tempfile::tempdir().unwrap();
        let dir = temp.path();
        std::fs::write(dir.join("b.json"), "theirs").unwrap();
        let error = write_all(dir, &files(&["a.json", "b.json"]), false).unwrap_err();
        assert!(
            matches!(&error, Error::WouldOverwrite(p) if p.ends_with("b.json")),
            "{error:?}"
        );
        assert_eq!(listing(dir), ["b.json"]);
        assert_eq!(
            write_all(dir, &files(&["a.json", "b.json"]), true)
                .unwrap()
                .len(),
            2
        );
        assert_eq!(
            std::fs::read_to_string(dir.join("b.json")).unwrap(),
            "contents of b.json"
        );
    }
}
