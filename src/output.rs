//! Writing results: atomically (a temporary file in the same folder, then a rename), and never over
//! an existing file unless the user said `--force`. All targets are checked before any is written,
//! so a refused run leaves the folder exactly as it was.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Writes `files` (name, contents) into `dir`, creating it if needed.
pub fn write_all(dir: &Path, files: &[(String, String)], force: bool) -> Result<Vec<PathBuf>> {
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
    let mut staged = Vec::new();
    for ((_, contents), target) in files.iter().zip(&targets) {
        staged.push((stage(dir, contents)?, target));
    }
    for (temp, target) in staged {
        persist(temp, target, force)?;
    }
    Ok(targets)
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
    let temp = stage(dir, contents)?;
    persist(temp, path, force)
}

fn stage(dir: &Path, contents: &str) -> Result<tempfile::NamedTempFile> {
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
    temp.as_file().sync_all().map_err(io)?;
    Ok(temp)
}

fn persist(temp: tempfile::NamedTempFile, target: &Path, force: bool) -> Result<()> {
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
