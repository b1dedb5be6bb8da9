//! Writing results: atomically (a temporary file in the same folder, then a rename), and never over
//! an existing file unless the user said `--force`. All targets are checked before any is written,
//! so a refused run leaves the folder exactly as it was. A folder holds one result: with `--force`,
//! the files of an earlier one that the new one does not write are removed once it is in place.
//!
//! A file's contents reach the disk before its name appears, so a crash never leaves a short or
//! empty result. One role flushes each file as it writes it. A batch of roles (`--spec-dir`)
//! writes every file first and then flushes each filesystem once ([`FlushGroup`]), since
//! thousands of separate flushes cost more than the rest of the run; it does so only on
//! filesystems whose whole-filesystem flush is known to cover every file's data, and flushes
//! files one by one elsewhere (FUSE, network shares, other systems than Linux).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use crate::error::{Error, Result};

/// When a staged file's contents are made durable.
#[derive(Clone, Copy, Debug)]
pub enum Durability<'g> {
    /// Flushed as it is written.
    EachFile,
    /// Left to one flush of its filesystem by the group, before [`FlushGroup::commit`] puts it in
    /// place (or flushed as it is written, where the group cannot do that).
    Batch(&'g FlushGroup),
}

/// Files written under temporary names in one folder, not yet in place. [`Staged::commit`]
/// (or [`FlushGroup::commit`]) renames them to their targets; dropping this instead deletes
/// them, and the folder too if this created it and nothing else is in it.
#[derive(Debug)]
pub struct Staged {
    dir: PathBuf,
    /// Each temporary file, its target, and whether the target existed before (`--force`).
    files: Vec<(tempfile::TempPath, PathBuf, bool)>,
    /// Tells the names of the files the command writes into such a folder; with `--force`,
    /// those in the folder that this role does not write (an earlier result's) are removed
    /// once every new file is in place, so the folder never mixes two results.
    ours: fn(&str) -> bool,
    force: bool,
    /// The folder and those of its ancestors this run created: removed again (when empty) if
    /// the role is not placed.
    created: CreatedFolders,
    /// The filesystem whose group flush these files wait for (`None`: already flushed), and
    /// the group's flush count when the last of them was written.
    awaiting_flush: Option<(u64, u64)>,
}

/// Writes `files` (name, contents) into `dir`, creating it if needed. `ours` tells the names of
/// the files the command writes into such a folder (for any result, not only this one): with
/// `force`, the ones in `dir` that `files` does not hold are removed once `files` are in place;
/// without, any of them in `dir` is refused.
pub fn write_all(
    dir: &Path,
    files: &[(String, String)],
    force: bool,
    ours: fn(&str) -> bool,
) -> Result<Vec<PathBuf>> {
    stage_all(dir, files, force, ours, Durability::EachFile)?.commit()
}

/// Checks the targets and writes every file of `files` into `dir` under a temporary name; `ours`
/// as for [`write_all`].
pub fn stage_all(
    dir: &Path,
    files: &[(String, String)],
    force: bool,
    ours: fn(&str) -> bool,
    durability: Durability<'_>,
) -> Result<Staged> {
    let targets: Vec<PathBuf> = files.iter().map(|(name, _)| dir.join(name)).collect();
    let names: Vec<&str> = files.iter().map(|(name, _)| name.as_str()).collect();
    let earlier = earlier_files(dir, &names, ours)?;
    if !force {
        // A file of an earlier result that this one would not replace is refused too: written
        // beside it, the new result would be mixed with part of the old one.
        if let Some(existing) = targets
            .iter()
            .find(|t| std::fs::symlink_metadata(t).is_ok())
            .or(earlier.first())
        {
            return Err(Error::WouldOverwrite {
                path: existing.clone(),
                force: true,
            });
        }
    }
    if let Some(folder) = targets.iter().find(|t| t.is_dir()) {
        return Err(Error::Usage {
            message: format!(
                "`{}` is a folder, where a file is to be written",
                folder.display()
            ),
            help: Some("move or remove that folder, or choose another output folder".into()),
        });
    }
    if dir.exists() && !dir.is_dir() {
        return Err(Error::Usage {
            message: format!("`{}` exists and is not a folder", dir.display()),
            help: Some("choose another output folder".into()),
        });
    }
    let created = create_folders(dir)?;
    let mut staged = Staged {
        dir: dir.to_path_buf(),
        files: Vec::with_capacity(files.len()),
        ours,
        force,
        created,
        awaiting_flush: None,
    };
    // The group opens its handle on the filesystem before any file is written, so that its
    // flush also reports a failure to write back data written from now on.
    let (group, device) = match durability {
        Durability::EachFile => (None, None),
        Durability::Batch(group) => (Some(group), group.enlist(dir)?),
    };
    for ((_, contents), target) in files.iter().zip(targets) {
        let temp = stage(dir, &target, contents, device.is_none())?.into_temp_path();
        let existed = force && target.exists();
        staged.files.push((temp, target, existed));
    }
    if let (Some(group), Some(device)) = (group, device) {
        staged.awaiting_flush = Some((device, group.flushes_started()));
    }
    Ok(staged)
}

impl Staged {
    /// Renames every file into place. If one cannot be (another program created its target in
    /// the meantime, or a disk error), the files it had placed that did not exist before are
    /// removed again, so the folder holds all of the new role or none of it; only with
    /// `--force` can files it had already replaced stay replaced, and the error says so.
    ///
    /// Files still waiting for their group's flush are flushed one by one first: use
    /// [`FlushGroup::commit`] for those.
    pub fn commit(mut self) -> Result<Vec<PathBuf>> {
        if self.awaiting_flush.take().is_some() {
            for (temp, _, _) in &self.files {
                let flushed = std::fs::File::open(temp).and_then(|file| file.sync_all());
                flushed.map_err(|source| Error::Io {
                    action: "cannot write into",
                    path: self.dir.clone(),
                    source,
                })?;
            }
        }
        // Another run may write a role into this folder at the same time. Under the lock, the
        // folder is looked at again, and this role placed and the earlier one removed whole.
        let _lock = lock_folder(&self.dir)?;
        let names: Vec<&str> = self
            .files
            .iter()
            .filter_map(|(_, target, _)| target.file_name()?.to_str())
            .collect();
        let earlier = earlier_files(&self.dir, &names, self.ours)?;
        if let (false, Some(existing)) = (self.force, earlier.first()) {
            return Err(Error::WouldOverwrite {
                path: existing.clone(),
                force: true,
            });
        }
        // With `--force`, every file of the earlier role goes aside before anything is placed:
        // those this role does not write and those it replaces. A file that cannot be moved
        // (immutable, another user's in a sticky folder) stops the run with the folder unchanged;
        // a failure while placing puts the earlier role back whole; a crash from here on leaves
        // part of one role, never files of both.
        let mut leaving = earlier;
        if self.force {
            leaving.extend(
                self.files
                    .iter()
                    .map(|(_, target, _)| target)
                    .filter(|target| std::fs::symlink_metadata(target).is_ok_and(|m| !m.is_dir()))
                    .cloned(),
            );
        }
        let aside = set_aside(&self.dir, &leaving)?;
        let files = std::mem::take(&mut self.files);
        let mut placed: Vec<(PathBuf, bool)> = Vec::with_capacity(files.len());
        let mut rest = files.into_iter();
        for (temp, target, _) in rest.by_ref() {
            // Normally nothing is there any more; a program that ignores the lock may differ.
            let existed = std::fs::symlink_metadata(&target).is_ok();
            if let Err(error) = persist(temp, &target, self.force) {
                // The other temporary files go before the folder is looked at (`Drop`).
                drop(rest);
                let error = take_back(&placed, error);
                return Err(with_unreturned(error, put_back(&self.dir, aside)));
            }
            placed.push((target, existed));
        }
        // The role is in place: the folders stay.
        std::mem::take(&mut self.created).keep();
        // The new names are made durable before the earlier files are deleted (when `aside` is
        // dropped; a hidden `.mlrole-*` file that stays is never taken for a result).
        if !aside.is_empty() {
            sync_folder(&self.dir).map_err(|source| Error::Io {
                action: "cannot write into",
                path: self.dir.clone(),
                source,
            })?;
        }
        drop(aside);
        Ok(placed.into_iter().map(|(target, _)| target).collect())
    }
}

/// A file moved aside: its hidden name (deleted when dropped) and the name it had.
type Aside = (tempfile::TempPath, PathBuf);

/// Moves `paths` to hidden temporary names in `dir`, then makes the moves durable. If one cannot
/// be moved, those already moved are put back and nothing is changed.
fn set_aside(dir: &Path, paths: &[PathBuf]) -> Result<Vec<Aside>> {
    let mut moved: Vec<Aside> = Vec::with_capacity(paths.len());
    for path in paths {
        let result = tempfile::Builder::new()
            .prefix(".mlrole-old-")
            .tempfile_in(dir)
            .and_then(|temp| {
                let temp = temp.into_temp_path();
                std::fs::rename(path, &temp).map(|()| temp)
            });
        match result {
            Ok(temp) => moved.push((temp, path.clone())),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound && !path.exists() => {}
            Err(source) => {
                let error = Error::Io {
                    action: "nothing was changed: cannot move aside the earlier role's file",
                    path: path.clone(),
                    source,
                };
                return Err(with_unreturned(error, put_back(dir, moved)));
            }
        }
    }
    if !moved.is_empty() {
        if let Err(source) = sync_folder(dir) {
            let error = Error::Io {
                action: "nothing was changed: cannot write into",
                path: dir.to_path_buf(),
                source,
            };
            return Err(with_unreturned(error, put_back(dir, moved)));
        }
    }
    Ok(moved)
}

/// Returns files moved aside by [`set_aside`] to their names. One that cannot be returned is
/// kept under its hidden name, never deleted: the pairs (hidden, original) are returned.
fn put_back(dir: &Path, moved: Vec<Aside>) -> Vec<(PathBuf, PathBuf)> {
    let mut unreturned = Vec::new();
    for (temp, original) in moved.into_iter().rev() {
        if let Err(failed) = temp.persist(&original) {
            if let Ok(hidden) = failed.path.keep() {
                unreturned.push((hidden, original));
            }
        }
    }
    let _ = sync_folder(dir);
    unreturned
}

/// `error`, and where the earlier files that could not be returned are now.
fn with_unreturned(error: Error, unreturned: Vec<(PathBuf, PathBuf)>) -> Error {
    let Some((hidden, original)) = unreturned.first() else {
        return error;
    };
    let also = unreturned.len() - 1;
    Error::Io {
        action: crate::error::PARTLY_WRITTEN,
        path: original.parent().map(Path::to_path_buf).unwrap_or_default(),
        source: std::io::Error::other(format!(
            "{error}; the earlier `{}` could not be put back and is at `{}`{}: rename it back",
            original.display(),
            hidden.display(),
            if also > 0 {
                format!(" ({also} more like it)")
            } else {
                String::new()
            }
        )),
    }
}

/// The files in `dir` of a name `ours` accepts that are not among `names` (none when `dir` does
/// not exist yet). Folders are left alone: the command never writes one.
fn earlier_files(dir: &Path, names: &[&str], ours: fn(&str) -> bool) -> Result<Vec<PathBuf>> {
    if !dir.is_dir() {
        return Ok(Vec::new());
    }
    let io = |source| Error::Io {
        action: "cannot read the output folder",
        path: dir.to_path_buf(),
        source,
    };
    let mut earlier = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let entry = entry.map_err(io)?;
        let name = entry.file_name();
        let Some(name) = name.to_str().filter(|name| ours(name)) else {
            continue;
        };
        let is_folder = entry.file_type().map_err(io)?.is_dir();
        if !is_folder && !names.contains(&name) {
            earlier.push(entry.path());
        }
    }
    earlier.sort();
    Ok(earlier)
}

/// Holds an exclusive lock on `dir` until dropped, so that two runs writing a role into the
/// same folder take turns. An advisory `flock`: other mlrole runs respect it, other programs
/// do not need to.
#[cfg(any(target_os = "linux", target_os = "android"))]
fn lock_folder(dir: &Path) -> Result<std::fs::File> {
    let io = |source| Error::Io {
        action: "cannot lock the output folder",
        path: dir.to_path_buf(),
        source,
    };
    let folder = std::fs::File::open(dir).map_err(io)?;
    rustix::fs::flock(&folder, rustix::fs::FlockOperation::LockExclusive)
        .map_err(|errno| io(errno.into()))?;
    Ok(folder)
}

/// Elsewhere runs are not serialised (see README, "Outputs").
#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn lock_folder(_dir: &Path) -> Result<()> {
    Ok(())
}

/// Makes the renames and removals in `dir` so far durable.
#[cfg(unix)]
fn sync_folder(dir: &Path) -> std::io::Result<()> {
    std::fs::File::open(dir)?.sync_all()
}

/// Elsewhere a folder cannot be opened to be flushed; its entries reach the disk with the files.
#[cfg(not(unix))]
fn sync_folder(_dir: &Path) -> std::io::Result<()> {
    Ok(())
}

/// Whether `dir` holds a file of a name `ours` accepts (false when it cannot be read).
pub fn holds(dir: &Path, ours: fn(&str) -> bool) -> bool {
    named(dir, ours).next().is_some()
}

/// The entries of `dir` of a name `ours` accepts; none when `dir` cannot be listed (no folder
/// yet, or not a folder: writing into it then fails with its own error).
fn named(dir: &Path, ours: fn(&str) -> bool) -> impl Iterator<Item = PathBuf> {
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(move |entry| entry.file_name().to_str().is_some_and(ours))
        .map(|entry| entry.path())
}

/// Removes the files a failed commit had placed that did not exist before, and says in the
/// error what could not be taken back.
fn take_back(placed: &[(PathBuf, bool)], error: Error) -> Error {
    let mut left = placed
        .iter()
        .filter(|(target, existed)| *existed || std::fs::remove_file(target).is_err())
        .map(|(target, _)| target);
    let Some(first) = left.next() else {
        return error;
    };
    let also = left.count();
    let source = std::io::Error::other(format!(
        "{error}; `{}`{} had already been written and stay{}",
        first.display(),
        if also > 0 {
            format!(" and {also} other file(s)")
        } else {
            String::new()
        },
        if also > 0 { "" } else { "s" }
    ));
    Error::Io {
        action: crate::error::PARTLY_WRITTEN,
        path: first.parent().map(Path::to_path_buf).unwrap_or_default(),
        source,
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        // Temporary files first (each deletes itself), then the folders (`CreatedFolders`).
        self.files.clear();
    }
}

/// Folders a run created, deepest last. Dropped, it removes those that are empty, deepest
/// first (`remove_dir` refuses a folder that holds anything), so a failed run leaves no folder
/// behind; [`CreatedFolders::keep`] keeps them.
#[derive(Debug, Default)]
#[must_use]
pub struct CreatedFolders(Vec<PathBuf>);

impl CreatedFolders {
    pub fn keep(mut self) {
        self.0.clear();
    }

    /// How many folders were made.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Drop for CreatedFolders {
    fn drop(&mut self) {
        for folder in self.0.iter().rev() {
            let _ = std::fs::remove_dir(folder);
        }
    }
}

/// Creates `dir` and whichever of its ancestors are missing, one by one, so that exactly those
/// can be removed again: `--out-dir new/../roles` must not leave `new` behind when it fails.
/// A folder another process creates meanwhile is used, not counted.
pub fn create_folders(dir: &Path) -> Result<CreatedFolders> {
    let mut missing = Vec::new();
    let mut at = Some(dir);
    while let Some(path) = at {
        if path.as_os_str().is_empty() || std::fs::symlink_metadata(path).is_ok() {
            break;
        }
        missing.push(path);
        at = path.parent();
    }
    let mut created = CreatedFolders::default();
    for path in missing.into_iter().rev() {
        match std::fs::create_dir(path) {
            Ok(()) => created.0.push(path.to_path_buf()),
            Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists && path.is_dir() => {}
            Err(source) => {
                return Err(Error::Io {
                    action: "cannot create folder",
                    path: dir.to_path_buf(),
                    source,
                })
            }
        }
    }
    Ok(created)
}

/// Filesystems written by a batch, each flushed once before any of the batch's files is put in
/// place, instead of one flush per file.
#[derive(Debug, Default)]
pub struct FlushGroup {
    filesystems: Mutex<Vec<Filesystem>>,
    /// Flushes begun so far: a file is covered by a flush that began after it was written.
    flushes: AtomicU64,
}

#[derive(Debug)]
struct Filesystem {
    device: u64,
    /// An open folder on it, when its files wait for one flush (`None`: flushed one by one).
    handle: Option<std::fs::File>,
    /// The value of `flushes` when the last successful flush of it began.
    flushed_from: Option<u64>,
    /// Why its last flush failed.
    failure: Option<(std::io::ErrorKind, String)>,
}

impl FlushGroup {
    /// Notes the filesystem of `dir` before files are written into it. `Some(device)` when
    /// those files may wait for [`FlushGroup::flush`]; `None` when they must be flushed one by
    /// one (a filesystem the group does not batch, or no Linux).
    fn enlist(&self, dir: &Path) -> Result<Option<u64>> {
        let Some(device) = device_of(dir)? else {
            return Ok(None);
        };
        let mut filesystems = self.lock();
        if let Some(known) = filesystems.iter().find(|f| f.device == device) {
            return Ok(known.handle.is_some().then_some(device));
        }
        // The first folder on this filesystem: open the handle its flush will use (under the
        // lock, so two roles starting together do not both open one).
        let handle = batch_handle(dir)?;
        let batched = handle.is_some();
        filesystems.push(Filesystem {
            device,
            handle,
            flushed_from: None,
            failure: None,
        });
        Ok(batched.then_some(device))
    }

    fn flushes_started(&self) -> u64 {
        self.flushes.load(Ordering::SeqCst)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Filesystem>> {
        self.filesystems
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Flushes every batched filesystem once. A failure is kept for [`FlushGroup::commit`],
    /// which then refuses to place that filesystem's files.
    pub fn flush(&self) {
        let mut filesystems = self.lock();
        for filesystem in filesystems.iter_mut() {
            let Some(handle) = &filesystem.handle else {
                continue;
            };
            let began = self.flushes.fetch_add(1, Ordering::SeqCst);
            // A failure stays: a later flush on the same handle does not report the same
            // lost write again.
            match flush_filesystem(handle) {
                Ok(()) if filesystem.failure.is_none() => filesystem.flushed_from = Some(began),
                Ok(()) => {}
                Err(error) => filesystem.failure = Some((error.kind(), error.to_string())),
            }
        }
    }

    /// Puts a role in place once a flush of its filesystem covered it (otherwise as
    /// [`Staged::commit`], which flushes its files itself). If that flush failed, the role's
    /// files are deleted and the error is the role's.
    pub fn commit(&self, mut staged: Staged) -> Result<Vec<PathBuf>> {
        if let Some((device, written_at)) = staged.awaiting_flush {
            let filesystems = self.lock();
            let filesystem = filesystems.iter().find(|f| f.device == device);
            if let Some((kind, message)) = filesystem.and_then(|f| f.failure.clone()) {
                return Err(Error::Io {
                    action: "cannot flush to disk the files written in",
                    path: staged.dir.clone(),
                    source: std::io::Error::new(kind, message),
                });
            }
            let covered = filesystem
                .and_then(|f| f.flushed_from)
                .is_some_and(|began| written_at <= began);
            if covered {
                staged.awaiting_flush = None;
            }
        }
        staged.commit()
    }
}

/// Filesystems on which Linux's `syncfs` writes back and commits every file's data, as `fsync`
/// of each would, and reports a failure to (ext2/3/4, XFS, btrfs, F2FS, tmpfs). On others (FUSE,
/// SMB, overlayfs, whose `syncfs` does not report the upper filesystem's write errors, and the
/// rest) files are flushed one by one.
#[cfg(any(target_os = "linux", target_os = "android"))]
const BATCHED_FILESYSTEMS: [u64; 5] = [
    0xEF53,      // ext2, ext3, ext4
    0x5846_5342, // XFS
    0x9123_683E, // btrfs
    0xF2F5_2010, // F2FS
    0x0102_1994, // tmpfs
];

/// `syncfs` reports write-back errors since Linux 5.8, and the filesystem's own errors since
/// 5.17; on older kernels it may return success over lost data, so files are flushed one by one.
#[cfg(any(target_os = "linux", target_os = "android"))]
fn kernel_reports_syncfs_errors() -> bool {
    static REPORTS: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *REPORTS.get_or_init(|| {
        let uname = rustix::system::uname();
        kernel_at_least(&uname.release().to_string_lossy(), (5, 17))
    })
}

/// Whether a kernel release such as `6.1.0-18-amd64` is at least `major.minor`; `false` when it
/// cannot be read.
#[cfg(any(target_os = "linux", target_os = "android", test))]
fn kernel_at_least(release: &str, (major, minor): (u32, u32)) -> bool {
    let mut numbers = release
        .split(|c: char| !c.is_ascii_digit())
        .map(|n| n.parse::<u32>().ok());
    match (numbers.next().flatten(), numbers.next().flatten()) {
        (Some(found_major), Some(found_minor)) => (found_major, found_minor) >= (major, minor),
        _ => false,
    }
}

/// The device of `dir`'s filesystem; `None` where no filesystem is flushed at once.
#[cfg(any(target_os = "linux", target_os = "android"))]
fn device_of(dir: &Path) -> Result<Option<u64>> {
    use std::os::unix::fs::MetadataExt;
    let metadata = std::fs::metadata(dir).map_err(|source| Error::Io {
        action: "cannot open the output folder",
        path: dir.to_path_buf(),
        source,
    })?;
    Ok(Some(metadata.dev()))
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn device_of(_dir: &Path) -> Result<Option<u64>> {
    Ok(None)
}

/// An open handle on `dir` when its filesystem is one the group flushes at once, opened once
/// per filesystem; `None` when its files are flushed one by one.
#[cfg(any(target_os = "linux", target_os = "android"))]
fn batch_handle(dir: &Path) -> Result<Option<std::fs::File>> {
    let io = |source| Error::Io {
        action: "cannot open the output folder",
        path: dir.to_path_buf(),
        source,
    };
    let handle = std::fs::File::open(dir).map_err(io)?;
    let kind = rustix::fs::fstatfs(&handle).map_err(|errno| io(errno.into()))?;
    // `f_type` is signed on some targets; the magic numbers are 32-bit.
    #[allow(clippy::unnecessary_cast)]
    let magic = (kind.f_type as u64) & 0xFFFF_FFFF;
    let batched = BATCHED_FILESYSTEMS.contains(&magic) && kernel_reports_syncfs_errors();
    Ok(batched.then_some(handle))
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn batch_handle(_dir: &Path) -> Result<Option<std::fs::File>> {
    Ok(None)
}

#[cfg(any(target_os = "linux", target_os = "android"))]
fn flush_filesystem(handle: &std::fs::File) -> std::io::Result<()> {
    rustix::fs::syncfs(handle).map_err(std::io::Error::from)
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn flush_filesystem(_handle: &std::fs::File) -> std::io::Result<()> {
    Ok(())
}

/// Refuses an output file path (`flag`, `path`) that cannot be written as a file: a folder, or a
/// path under a file. Checked before anything else, so that `-o DIR` is not first refused as a
/// file to overwrite and then, with `--force`, fails as "Is a directory".
pub fn check_file_path(flag: &str, path: &Path) -> Result<()> {
    let named_as_folder = path.as_os_str().to_str().is_some_and(|p| p.ends_with('/'));
    if path.is_dir() || named_as_folder {
        return Err(Error::Usage {
            message: format!(
                "`{flag} {}` is a folder; `{flag}` expects a file",
                path.display()
            ),
            help: Some(format!("give `{flag}` the path of a file to write")),
        });
    }
    // A device, FIFO or socket (`-o /dev/stdout`): writing by rename would replace it with a
    // regular file, which `--force` must not do to something that is not mlrole's output.
    if std::fs::metadata(path).is_ok_and(|m| !m.is_file()) {
        return Err(Error::Usage {
            message: format!(
                "`{flag} {}` is not a regular file (a device, pipe or socket); mlrole writes files by renaming a new one into place, which would replace it",
                path.display()
            ),
            help: Some(format!(
                "leave out `{flag}` to write to standard output, or give the path of a regular file"
            )),
        });
    }
    check_not_under_a_file(flag, path)
}

/// Refuses an output folder path (`flag`, `dir`) that cannot be a folder: an existing file, or a
/// path under a file.
pub fn check_folder_path(flag: &str, dir: &Path) -> Result<()> {
    // `afile/` does not "exist" (ENOTDIR); the file it names does.
    let trimmed = dir
        .as_os_str()
        .to_str()
        .map(|p| p.trim_end_matches('/'))
        .filter(|p| !p.is_empty())
        .map_or(dir, Path::new);
    if trimmed.exists() && !trimmed.is_dir() {
        return Err(Error::Usage {
            message: format!(
                "`{flag} {}` exists and is not a folder; `{flag}` expects a folder",
                dir.display()
            ),
            help: Some(format!(
                "give `{flag}` a folder, or a path where one can be made"
            )),
        });
    }
    check_not_under_a_file(flag, dir)
}

/// The nearest existing folder above `path` must be a folder: a file there (`-o afile/x.json`)
/// is a wrong path given on the command line, not a failure to write.
fn check_not_under_a_file(flag: &str, path: &Path) -> Result<()> {
    for above in path.ancestors().skip(1) {
        if above.as_os_str().is_empty() {
            break;
        }
        match std::fs::metadata(above) {
            Ok(found) if found.is_dir() => break,
            Ok(_) => {
                return Err(Error::Usage {
                    message: format!(
                        "`{flag} {}`: `{}` is a file, not a folder",
                        path.display(),
                        above.display()
                    ),
                    help: Some(format!("give `{flag}` a path inside a folder")),
                })
            }
            Err(_) => {}
        }
    }
    Ok(())
}

/// A file a command reads, with the flag that named it, so that no output is written over it.
#[derive(Clone, Copy, Debug)]
pub struct Input<'a> {
    pub flag: &'a str,
    pub path: &'a Path,
}

/// Refuses an output file (`flag`, `path`) that is one of the command's `inputs`. `--force` is
/// for replacing earlier results: `generate --spec spec.yaml -o spec.yaml --force` would otherwise
/// replace the spec with the role made from it, and the spec would be lost.
pub fn refuse_input_as_output(flag: &str, path: &Path, inputs: &[Input<'_>]) -> Result<()> {
    match inputs.iter().find(|input| same_file(path, input.path)) {
        Some(input) => Err(input_as_output(flag, path, input)),
        None => Ok(()),
    }
}

/// Refuses an output folder (`flag`, `dir`) in which a file the command writes or, with
/// `--force`, removes (a name `ours` accepts) is one of its `inputs`: `generate --spec
/// out/bundle.json --out-dir out --force` would lose its spec the same way.
pub fn refuse_input_in_folder(
    flag: &str,
    dir: &Path,
    ours: fn(&str) -> bool,
    inputs: &[Input<'_>],
) -> Result<()> {
    if inputs.is_empty() {
        return Ok(());
    }
    for target in named(dir, ours) {
        if let Some(input) = inputs.iter().find(|input| same_file(&target, input.path)) {
            return Err(input_as_output(flag, dir, input));
        }
    }
    Ok(())
}

fn input_as_output(flag: &str, path: &Path, input: &Input<'_>) -> Error {
    Error::Usage {
        message: format!(
            "`{flag} {}` would write over `{} {}`, which this command reads",
            path.display(),
            input.flag,
            input.path.display()
        ),
        help: Some(format!(
            "choose another path for `{flag}`; `--force` never replaces a command's input"
        )),
    }
}

/// Whether `a` and `b` are the same file: the same path once resolved (`./x` and `x`, a symlink
/// and its target), or on Unix one file under two names (a hard link).
pub fn same_file(a: &Path, b: &Path) -> bool {
    if resolved(a) == resolved(b) {
        return true;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if let (Ok(a), Ok(b)) = (std::fs::metadata(a), std::fs::metadata(b)) {
            return a.dev() == b.dev() && a.ino() == b.ino();
        }
    }
    false
}

/// `path` made absolute as the file system will see it when it is created: `.` and `..` taken
/// out, and the part that exists resolved through its symlinks (all of it, when it exists).
pub fn resolved(path: &Path) -> PathBuf {
    use std::path::Component;
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut lexical = PathBuf::new();
    for component in absolute.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                lexical.pop();
            }
            other => lexical.push(other),
        }
    }
    for existing in lexical.ancestors() {
        if let (Ok(real), Ok(rest)) = (existing.canonicalize(), lexical.strip_prefix(existing)) {
            return real.join(rest);
        }
    }
    lexical
}

/// Writes one file atomically.
pub fn write_one(path: &Path, contents: &str, force: bool) -> Result<()> {
    if path.is_dir() {
        return Err(Error::Usage {
            message: format!(
                "`{}` is a folder, where a file is to be written",
                path.display()
            ),
            help: Some("choose the path of a file".into()),
        });
    }
    // A dangling symlink is a file there too (`exists` follows it and says no).
    if !force && std::fs::symlink_metadata(path).is_ok() {
        return Err(Error::WouldOverwrite {
            path: path.to_path_buf(),
            force: true,
        });
    }
    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let temp = stage(dir, path, contents, true)?.into_temp_path();
    persist(temp, path, force)
}

/// Writes `contents` under a temporary name in `dir`, to become `target`, with the mode `target`
/// is to have once renamed (see [`create_mode`]).
fn stage(
    dir: &Path,
    target: &Path,
    contents: &str,
    flush_now: bool,
) -> Result<tempfile::NamedTempFile> {
    let io = |source| Error::Io {
        action: "cannot write into",
        path: dir.to_path_buf(),
        source: without_temp_path(source),
    };
    let mut builder = tempfile::Builder::new();
    builder.prefix(".mlrole-");
    let replaced = create_mode(&mut builder, target);
    let mut temp = builder.tempfile_in(dir).map_err(io)?;
    if let Some(permissions) = replaced {
        temp.as_file().set_permissions(permissions).map_err(io)?;
    }
    temp.write_all(contents.as_bytes()).map_err(io)?;
    if flush_now {
        temp.as_file().sync_all().map_err(io)?;
    }
    Ok(temp)
}

/// A result is an ordinary file: a new one gets the mode any program's new file gets (0666 less
/// the umask), not the owner-only 0600 of a temporary file, and a file replaced with `--force`
/// keeps its mode (its permission bits: never set-user-id and the like). Sets the first on
/// `builder` (the kernel applies the umask as it creates the file) and returns the second, to be
/// set on the file once created.
#[cfg(unix)]
fn create_mode(builder: &mut tempfile::Builder, target: &Path) -> Option<std::fs::Permissions> {
    use std::os::unix::fs::PermissionsExt;
    match std::fs::metadata(target) {
        Ok(existing) if existing.is_file() => Some(std::fs::Permissions::from_mode(
            existing.permissions().mode() & 0o777,
        )),
        _ => {
            builder.permissions(std::fs::Permissions::from_mode(0o666));
            None
        }
    }
}

/// Elsewhere files get the folder's default access: there is no mode to carry over.
#[cfg(not(unix))]
fn create_mode(_builder: &mut tempfile::Builder, _target: &Path) -> Option<std::fs::Permissions> {
    None
}

fn persist(temp: tempfile::TempPath, target: &Path, force: bool) -> Result<()> {
    let result = if force {
        temp.persist(target)
    } else {
        temp.persist_noclobber(target)
    };
    result.map(|_| ()).map_err(|error| {
        if error.error.kind() == std::io::ErrorKind::AlreadyExists {
            Error::WouldOverwrite {
                path: target.to_path_buf(),
                force: true,
            }
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

    /// A command that writes no other files than the ones it is given.
    fn none(_: &str) -> bool {
        false
    }

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

    /// Every file of `dir` with its text, sorted by name.
    fn contents(dir: &Path) -> Vec<(String, String)> {
        let mut found: Vec<(String, String)> = std::fs::read_dir(dir)
            .unwrap()
            .map(|entry| {
                let path = entry.unwrap().path();
                let name = path.file_name().unwrap().to_string_lossy().into_owned();
                (name, std::fs::read_to_string(&path).unwrap())
            })
            .collect();
        found.sort();
        found
    }

    #[test]
    fn staged_files_appear_only_on_commit_and_vanish_when_dropped() {
        let temp = tempfile::tempdir().unwrap();
        let dir = temp.path().join("role");
        let group = FlushGroup::default();
        let files_ab = files(&["a.json", "b.json"]);
        let staged = stage_all(&dir, &files_ab, false, none, Durability::Batch(&group)).unwrap();
        let before = listing(&dir);
        assert_eq!(before.len(), 2);
        assert!(
            before.iter().all(|n| n.starts_with(".mlrole-")),
            "{before:?}"
        );
        group.flush();
        assert_eq!(group.commit(staged).unwrap().len(), 2);
        assert_eq!(listing(&dir), ["a.json", "b.json"]);
        assert_eq!(
            std::fs::read_to_string(dir.join("b.json")).unwrap(),
            "contents of b.json"
        );

        // Dropped without a commit: the files go, and the folder this created goes too.
        let other = temp.path().join("other");
        drop(
            stage_all(
                &other,
                &files(&["c.json"]),
                false,
                none,
                Durability::Batch(&group),
            )
            .unwrap(),
        );
        assert!(!other.exists());
        // A folder that was there before stays, with what it held.
        let kept = temp.path().join("kept");
        std::fs::create_dir(&kept).unwrap();
        std::fs::write(kept.join("mine.txt"), "mine").unwrap();
        drop(
            stage_all(
                &kept,
                &files(&["c.json"]),
                false,
                none,
                Durability::EachFile,
            )
            .unwrap(),
        );
        assert_eq!(listing(&kept), ["mine.txt"]);
    }

    /// Files written after a flush began are not taken as flushed by it: their commit flushes
    /// them itself, and they are placed all the same.
    #[test]
    fn a_flush_covers_only_files_written_before_it() {
        let temp = tempfile::tempdir().unwrap();
        let group = FlushGroup::default();
        let early = stage_all(
            &temp.path().join("early"),
            &files(&["a.json"]),
            false,
            none,
            Durability::Batch(&group),
        )
        .unwrap();
        group.flush();
        let late = stage_all(
            &temp.path().join("late"),
            &files(&["b.json"]),
            false,
            none,
            Durability::Batch(&group),
        )
        .unwrap();
        if let (Some((_, early_at)), Some((device, late_at))) =
            (early.awaiting_flush, late.awaiting_flush)
        {
            let filesystems = group.lock();
            let flushed_from = filesystems
                .iter()
                .find(|f| f.device == device)
                .and_then(|f| f.flushed_from);
            assert!(flushed_from.is_some_and(|began| early_at <= began && late_at > began));
        }
        assert_eq!(group.commit(early).unwrap().len(), 1);
        assert_eq!(group.commit(late).unwrap().len(), 1);
        assert_eq!(listing(&temp.path().join("late")), ["b.json"]);
    }

    #[test]
    fn a_commit_that_cannot_finish_takes_back_what_it_placed() {
        let temp = tempfile::tempdir().unwrap();
        let dir = temp.path();
        let staged = stage_all(
            dir,
            &files(&["a.json", "b.json", "c.json"]),
            false,
            none,
            Durability::EachFile,
        )
        .unwrap();
        // Another program creates `b.json` between staging and commit.
        std::fs::write(dir.join("b.json"), "theirs").unwrap();
        let error = staged.commit().unwrap_err();
        assert!(
            matches!(&error, Error::WouldOverwrite { path, .. } if path.ends_with("b.json")),
            "{error:?}"
        );
        assert_eq!(listing(dir), ["b.json"]);
        assert_eq!(
            std::fs::read_to_string(dir.join("b.json")).unwrap(),
            "theirs"
        );
    }

    #[test]
    fn a_kernel_release_is_compared_by_major_and_minor() {
        for (release, expected) in [
            ("6.18.44-fc-v857", true),
            ("5.17.0", true),
            ("5.17", true),
            ("10.0.1", true),
            ("5.16.20-generic", false),
            ("4.19.0-26-amd64", false),
            ("", false),
            ("linux", false),
        ] {
            assert_eq!(kernel_at_least(release, (5, 17)), expected, "{release}");
        }
    }

    /// With `--force`, a commit that fails takes back the files that are new and says which
    /// replaced ones stay; a folder where a file is to go is refused before anything is written.
    /// `p-*.json` and `a.json` are the files this test's "command" writes.
    fn role_files(name: &str) -> bool {
        name == "a.json" || (name.starts_with("p-") && name.ends_with(".json"))
    }

    // Two runs writing roles of different shapes into one folder at once (`--force`): the
    // folder ends with one role whole, never one role's files beside the other's.
    #[cfg(any(target_os = "linux", target_os = "android"))]
    #[test]
    fn concurrent_forced_runs_into_one_folder_leave_one_whole_role() {
        let temp = tempfile::tempdir().unwrap();
        let dir = temp.path().join("role");
        let three: Vec<(String, String)> = ["a.json", "p-1.json", "p-2.json"]
            .iter()
            .map(|name| (name.to_string(), "three".to_string()))
            .collect();
        let two: Vec<(String, String)> = ["a.json", "p-1.json"]
            .iter()
            .map(|name| (name.to_string(), "two".to_string()))
            .collect();
        for _ in 0..200 {
            std::thread::scope(|scope| {
                for files in [&three, &two] {
                    let dir = &dir;
                    scope.spawn(move || write_all(dir, files, true, role_files).unwrap());
                }
            });
            let found = contents(&dir);
            assert!(found == three || found == two, "{found:?}");
        }
    }

    // An earlier file that cannot be moved (here immutable) stops a forced write with the
    // folder exactly as it was: no new file beside the old role, no earlier file gone. Needs
    // `chattr` and the right to use it (root on ext4, tmpfs); elsewhere it has nothing to test.
    #[cfg(target_os = "linux")]
    #[test]
    fn an_earlier_file_that_cannot_be_moved_leaves_the_folder_unchanged() {
        let temp = tempfile::tempdir().unwrap();
        let dir = temp.path();
        let old: Vec<(String, String)> = ["a.json", "p-1.json", "p-2.json", "p-3.json"]
            .iter()
            .map(|name| (name.to_string(), "old".to_string()))
            .collect();
        write_all(dir, &old, false, role_files).unwrap();
        let chattr = |flag: &str| {
            std::process::Command::new("chattr")
                .args([flag, "p-3.json"])
                .current_dir(dir)
                .status()
                .is_ok_and(|status| status.success())
        };
        if !chattr("+i") {
            return;
        }
        // The immutable file is one the new role does not write, then one it replaces (found
        // by review: replaced files were overwritten with no way back).
        for (immutable, new_names) in [
            ("p-3.json", &["a.json", "p-1.json"][..]),
            (
                "p-3.json",
                &["a.json", "p-1.json", "p-2.json", "p-3.json"][..],
            ),
        ] {
            let new: Vec<(String, String)> = new_names
                .iter()
                .map(|name| (name.to_string(), "new".to_string()))
                .collect();
            let error = write_all(dir, &new, true, role_files).unwrap_err();
            assert!(error.to_string().contains(immutable), "{error}");
            assert!(error.to_string().contains("nothing was changed"), "{error}");
            assert_eq!(contents(dir), old);
        }
        chattr("-i");
    }

    // A file moved aside that cannot be returned (something now stands at its name) is kept
    // under its hidden name and named in the error, never deleted (found by review).
    #[test]
    fn a_file_that_cannot_be_put_back_is_kept_and_named() {
        let temp = tempfile::tempdir().unwrap();
        let dir = temp.path();
        let earlier = dir.join("p-1.json");
        std::fs::write(&earlier, "old").unwrap();
        let moved = set_aside(dir, std::slice::from_ref(&earlier)).unwrap();
        std::fs::create_dir(&earlier).unwrap();
        std::fs::write(earlier.join("x"), "x").unwrap();
        let unreturned = put_back(dir, moved);
        assert_eq!(unreturned.len(), 1);
        let (hidden, original) = &unreturned[0];
        assert_eq!(original, &earlier);
        assert_eq!(std::fs::read_to_string(hidden).unwrap(), "old");
        let error = with_unreturned(
            Error::Usage {
                message: "m".into(),
                help: None,
            },
            unreturned,
        );
        assert!(
            error.to_string().contains("could not be put back"),
            "{error}"
        );
    }

    #[test]
    fn created_folders_are_removed_unless_kept_and_existing_ones_never() {
        let temp = tempfile::tempdir().unwrap();
        let root = temp.path();
        std::fs::create_dir(root.join("there")).unwrap();
        let deep = root.join("new/../there/a/b");
        let created = create_folders(&deep).unwrap();
        assert!(root.join("new").is_dir() && root.join("there/a/b").is_dir());
        drop(created);
        assert!(!root.join("new").exists() && !root.join("there/a").exists());
        assert!(root.join("there").is_dir());

        create_folders(&deep).unwrap().keep();
        assert!(root.join("new").is_dir() && root.join("there/a/b").is_dir());

        // A folder that is not empty when dropped stays (another run wrote into it).
        let other = create_folders(&root.join("x/y")).unwrap();
        std::fs::write(root.join("x/keep.txt"), "mine").unwrap();
        drop(other);
        assert!(root.join("x/keep.txt").is_file() && !root.join("x/y").exists());
    }

    #[test]
    fn a_folder_that_cannot_be_created_leaves_none_of_its_new_ancestors() {
        let temp = tempfile::tempdir().unwrap();
        let root = temp.path();
        std::fs::write(root.join("taken"), "a file").unwrap();
        let error = create_folders(&root.join("new/../taken/role")).unwrap_err();
        assert!(
            error.to_string().contains("cannot create folder"),
            "{error}"
        );
        assert!(!root.join("new").exists());
    }

    #[test]
    fn a_failed_forced_commit_puts_the_earlier_files_back() {
        let temp = tempfile::tempdir().unwrap();
        let dir = temp.path();
        std::fs::create_dir(dir.join("c.json")).unwrap();
        let error = stage_all(
            dir,
            &files(&["a.json", "c.json"]),
            true,
            none,
            Durability::EachFile,
        )
        .unwrap_err();
        assert!(error.to_string().contains("is a folder"), "{error}");
        std::fs::remove_dir(dir.join("c.json")).unwrap();
        assert_eq!(listing(dir), Vec::<String>::new());

        std::fs::write(dir.join("a.json"), "old").unwrap();
        let staged = stage_all(
            dir,
            &files(&["a.json", "b.json", "n.json"]),
            true,
            none,
            Durability::EachFile,
        )
        .unwrap();
        // Another program puts a non-empty folder where `n.json` is to go.
        std::fs::create_dir(dir.join("n.json")).unwrap();
        std::fs::write(dir.join("n.json").join("x"), "x").unwrap();
        let error = staged.commit().unwrap_err();
        let text = error.to_string();
        assert!(text.contains("n.json"), "{text}");
        // `b.json` was new and is gone again; `a.json` had been moved aside before it was
        // replaced, and is back: the folder holds the earlier files only.
        assert_eq!(listing(dir), ["a.json", "n.json"]);
        assert_eq!(std::fs::read_to_string(dir.join("a.json")).unwrap(), "old");
    }

    #[test]
    fn existing_targets_are_refused_before_anything_is_written() {
        let temp = tempfile::tempdir().unwrap();
        let dir = temp.path();
        std::fs::write(dir.join("b.json"), "theirs").unwrap();
        let error = write_all(dir, &files(&["a.json", "b.json"]), false, none).unwrap_err();
        assert!(
            matches!(&error, Error::WouldOverwrite { path, .. } if path.ends_with("b.json")),
            "{error:?}"
        );
        assert_eq!(listing(dir), ["b.json"]);
        assert_eq!(
            write_all(dir, &files(&["a.json", "b.json"]), true, none)
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
