//! Atomic file writes: a reader (or a later run) sees either the old file or
//! the complete new one, never a half-written file.
//!
//! The bytes go to a temporary file in the target's directory (so the final
//! rename stays on one file system), which is flushed to disk (`fsync`) and
//! then renamed over the target. On Unix the directory is synced as well, so
//! the rename itself survives a crash. A run killed before the rename leaves
//! at most a stray temporary file (named `.<target>.*.tmp`), never a
//! truncated target.
//!
//! Permissions are those of a normally created file: a new file gets mode
//! `0o666` less the process's umask (`0o644` under the usual umask `0o022`),
//! and a file that is replaced keeps its mode.
//!
//! Several files that belong together (e.g. a `.npy` and the JSON that
//! describes it) can be [`stage`]d first and then [`Staged::commit`]ted one
//! after the other: every file's bytes are on disk before the first rename,
//! so a failure while writing leaves all targets as they were, and only a
//! crash between two renames can leave some of them new and some old.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use tempfile::NamedTempFile;

/// A file whose new bytes are on disk in a temporary file next to its
/// target, waiting for [`Staged::commit`] to rename it over the target.
/// Dropping it without committing removes the temporary file and leaves the
/// target as it was.
#[derive(Debug)]
pub struct Staged {
    tmp: NamedTempFile,
    path: PathBuf,
    dir: PathBuf,
}

impl Staged {
    /// The target.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Renames the temporary file over the target (and syncs the directory
    /// where the platform allows it). On error the target is left as it was
    /// and the temporary file is removed.
    pub fn commit(self) -> io::Result<()> {
        // On failure `persist` hands the temporary file back; dropping it
        // removes it.
        self.tmp.persist(&self.path).map_err(|e| e.error)?;
        sync_dir(&self.dir);
        Ok(())
    }
}

/// Writes `bytes` to a temporary file in `path`'s directory and flushes it
/// to disk (`fsync`), ready to be renamed over `path` by
/// [`Staged::commit`]. The target is not touched yet.
///
/// The temporary file gets the mode of a new file (`0o666` less the umask),
/// or the mode of `path` if that is an existing file, so the committed file
/// has the permissions a plain write would give it.
///
/// ```
/// use splinecam::io::atomic;
/// let dir = tempfile::tempdir().unwrap();
/// let (a, b) = (dir.path().join("points.npy"), dir.path().join("points.json"));
/// // Both files are on disk before either target changes.
/// let staged = [atomic::stage(&a, b"npy").unwrap(), atomic::stage(&b, b"{}").unwrap()];
/// assert!(!a.exists());
/// for s in staged {
///     s.commit().unwrap();
/// }
/// assert_eq!(std::fs::read(&b).unwrap(), b"{}");
/// ```
pub fn stage(path: impl AsRef<Path>, bytes: &[u8]) -> io::Result<Staged> {
    stage_with(path, |w| w.write_all(bytes))
}

/// [`stage`], with the bytes written by `write` (buffered), so a large
/// file need not be built in memory first.
///
/// ```
/// use std::io::Write;
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("n.txt");
/// let staged = splinecam::io::atomic::stage_with(&path, |w| {
///     (0..3).try_for_each(|i| writeln!(w, "{i}"))
/// })
/// .unwrap();
/// staged.commit().unwrap();
/// assert_eq!(std::fs::read_to_string(&path).unwrap(), "0\n1\n2\n");
/// ```
pub fn stage_with(
    path: impl AsRef<Path>,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<Staged> {
    let path = path.as_ref();
    let name = path.file_name().ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{} does not name a file", path.display()),
        )
    })?;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut prefix = std::ffi::OsString::from(".");
    prefix.push(name);
    prefix.push(".");
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(".tmp");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // What `File::create` asks for; the kernel applies the umask.
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    let mut tmp = builder.tempfile_in(dir)?;
    #[cfg(unix)]
    {
        // A replaced file keeps its mode.
        if let Ok(meta) = std::fs::metadata(path) {
            if meta.is_file() {
                tmp.as_file().set_permissions(meta.permissions())?;
            }
        }
    }
    {
        let mut w = io::BufWriter::new(tmp.as_file_mut());
        write(&mut w)?;
        w.flush()?;
    }
    tmp.as_file().sync_all()?;
    Ok(Staged {
        tmp,
        path: path.to_path_buf(),
        dir: dir.to_path_buf(),
    })
}

/// Writes `bytes` to `path` atomically (temporary file in the same
/// directory, `fsync`, rename over the target): [`stage`], then
/// [`Staged::commit`].
///
/// The target's directory must exist. On error the target is left as it was
/// and the temporary file is removed.
///
/// ```
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("out.json");
/// splinecam::io::atomic::write_atomic(&path, b"{}").unwrap();
/// assert_eq!(std::fs::read(&path).unwrap(), b"{}");
/// ```
pub fn write_atomic(path: impl AsRef<Path>, bytes: &[u8]) -> io::Result<()> {
    stage(path, bytes)?.commit()
}

/// Flushes a directory's entries (the rename) to disk where the platform
/// allows it; best effort, as some file systems refuse to sync directories.
fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    {
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn writes_and_replaces_without_leftovers() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.json");
        write_atomic(&path, b"first").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"first");
        write_atomic(&path, b"second, longer").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"second, longer");
        write_atomic(&path, b"").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"");
        assert_eq!(entries(dir.path()), vec!["a.json".to_string()]);
    }

    #[test]
    fn failure_leaves_target_and_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        // The target is a non-empty directory: the rename must fail.
        let target = dir.path().join("busy");
        std::fs::create_dir(&target).unwrap();
        std::fs::write(target.join("keep"), b"x").unwrap();
        assert!(write_atomic(&target, b"data").is_err());
        assert_eq!(entries(dir.path()), vec!["busy".to_string()]);
        assert_eq!(std::fs::read(target.join("keep")).unwrap(), b"x");
        // A missing directory is an error, not a panic.
        assert!(write_atomic(dir.path().join("no/such/dir/f"), b"x").is_err());
        // A path without a file name is refused.
        assert!(write_atomic("/", b"x").is_err());
    }

    #[test]
    fn staged_files_change_nothing_until_committed() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a.npy"), dir.path().join("a.json"));
        std::fs::write(&b, b"old").unwrap();
        let sa = stage(&a, b"new a").unwrap();
        let sb = stage(&b, b"new b").unwrap();
        assert!(!a.exists());
        assert_eq!(std::fs::read(&b).unwrap(), b"old");
        assert_eq!(sa.path(), a.as_path());
        sa.commit().unwrap();
        // Dropped without a commit: the old file stays, no temporary is left.
        drop(sb);
        assert_eq!(std::fs::read(&a).unwrap(), b"new a");
        assert_eq!(std::fs::read(&b).unwrap(), b"old");
        assert_eq!(entries(dir.path()), vec!["a.json", "a.npy"]);
    }

    /// New files get the mode `File::create` gives (0o666 less the umask,
    /// not tempfile's 0o600); replaced files keep theirs.
    #[cfg(unix)]
    #[test]
    fn permissions_are_those_of_a_plain_write() {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o7777;
        let dir = tempfile::tempdir().unwrap();
        let plain = dir.path().join("plain");
        std::fs::File::create(&plain).unwrap();
        let path = dir.path().join("new.json");
        write_atomic(&path, b"x").unwrap();
        assert_eq!(mode(&path), mode(&plain));
        // Under the usual umask 0o022 that is 0o644, readable by others.
        if mode(&plain) == 0o644 {
            assert_eq!(mode(&path), 0o644);
        }
        for m in [0o640, 0o600, 0o755, 0o444] {
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(m)).unwrap();
            write_atomic(&path, b"replaced").unwrap();
            assert_eq!(mode(&path), m, "mode {m:o} not kept");
            assert_eq!(std::fs::read(&path).unwrap(), b"replaced");
        }
    }
}
