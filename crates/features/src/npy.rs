//! Writing arrays as NumPy `.npy` files, atomically.

use std::io::Write;
use std::path::Path;

use npyz::WriterBuilder as _;

use crate::array::Array2;
use crate::error::{Error, Result};

/// Writes `a` to `path` as a little-endian float32 `.npy` of shape `[rows, cols]`. The file
/// appears whole or not at all (written beside it, then renamed).
///
/// # Errors
/// [`Error::Io`] naming the file.
pub fn write_npy(path: &Path, a: &Array2) -> Result<()> {
    write_atomic(path, |w| {
        let mut writer = npyz::WriteOptions::new()
            .default_dtype()
            .shape(&[a.rows as u64, a.cols as u64])
            .writer(w)
            .begin_nd()?;
        writer.extend(a.data.iter().copied())?;
        writer.finish()
    })
}

/// Runs `write` on a temporary file beside `path`, syncs it, and renames it over `path`, so
/// that a killed process never leaves a half-written file under the final name. The temporary
/// name (`.<name>.<pid>-<n>.tmp`) is unique per call, so threads and processes writing the same
/// path race harmlessly: the last rename wins and every reader sees a whole file.
///
/// # Errors
/// [`Error::Io`] naming the file.
pub fn write_atomic(path: &Path, write: impl FnOnce(&mut std::io::BufWriter<std::fs::File>) -> std::io::Result<()>) -> Result<()> {
    let io = |source| Error::Io { path: path.display().to_string(), source };
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let tmp = dir.join(format!(".{name}.{}-{n}.tmp", std::process::id()));
    let result = (|| {
        let file = std::fs::File::create(&tmp)?;
        let mut w = std::io::BufWriter::new(file);
        write(&mut w)?;
        w.flush()?;
        w.get_ref().sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(io)
}

/// Removes the temporary files that [`write_atomic`] left in `dir` and every folder below it
/// when its process was killed: those whose writer process no longer exists. Outputs mirror
/// their inputs' folders, so orphans can sit at any depth; links are not followed, so the
/// sweep stays inside `dir`. On systems without `/proc`, nothing is removed. Returns how many
/// were removed.
pub fn remove_stale_temp_files(dir: &Path) -> usize {
    let mut removed = 0;
    let mut pending = vec![dir.to_path_buf()];
    while let Some(d) = pending.pop() {
        removed += remove_orphans(&d, |_| true);
        if let Ok(entries) = std::fs::read_dir(&d) {
            // `file_type` does not follow links.
            pending.extend(entries.flatten().filter(|e| e.file_type().is_ok_and(|t| t.is_dir())).map(|e| e.path()));
        }
    }
    removed
}

/// As [`remove_stale_temp_files`] for the temporary files of one output, `path`, only
/// (nothing else in its folder is touched). Returns how many were removed.
pub fn remove_stale_temp_files_of(path: &Path) -> usize {
    let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else { return 0 };
    let dir = if dir.as_os_str().is_empty() { Path::new(".") } else { dir };
    let name = name.to_string_lossy();
    remove_orphans(dir, |target| target == name)
}

/// Removes the files of `dir` named as [`write_atomic`] names its temporary files
/// (`.TARGET.PID-N.tmp`) whose TARGET passes `wanted` and whose writer PID no longer runs.
fn remove_orphans(dir: &Path, wanted: impl Fn(&str) -> bool) -> usize {
    if !Path::new("/proc/self").exists() {
        return 0;
    }
    let Ok(entries) = std::fs::read_dir(dir) else { return 0 };
    let mut removed = 0;
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some((target, pid)) = name
            .strip_prefix('.')
            .and_then(|n| n.strip_suffix(".tmp"))
            .and_then(|n| n.rsplit_once('.'))
            .and_then(|(target, tag)| Some((target, tag.split_once('-')?.0.parse::<u32>().ok()?)))
        else {
            continue;
        };
        if wanted(target) && !Path::new("/proc").join(pid.to_string()).exists() && std::fs::remove_file(e.path()).is_ok() {
            removed += 1;
        }
    }
    removed
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Only the orphaned temporary files of the named output go: not another output's, not
    /// those of a writer that still runs (this process).
    #[test]
    fn stale_temp_files_of_one_output() {
        let dir = tempfile::tempdir().expect("valid test input");
        let me = std::process::id();
        // No Linux PID reaches 999,999,999 (pid_max is at most 2^22).
        for name in [".a.json.999999999-0.tmp".to_string(), ".b.json.999999999-0.tmp".to_string(), format!(".a.json.{me}-1.tmp"), "a.json".to_string()] {
            std::fs::write(dir.path().join(name), b"x").expect("valid test input");
        }
        let removed = remove_stale_temp_files_of(&dir.path().join("a.json"));
        let mut left: Vec<String> = std::fs::read_dir(dir.path()).expect("valid test input").flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect();
        left.sort();
        if Path::new("/proc/self").exists() {
            assert_eq!(removed, 1);
            assert_eq!(left, [format!(".a.json.{me}-1.tmp"), ".b.json.999999999-0.tmp".to_string(), "a.json".to_string()]);
        }
        assert_eq!(remove_stale_temp_files(dir.path()), usize::from(Path::new("/proc/self").exists()));
    }

    /// Orphans at any depth go (outputs mirror nested input folders); a link out of the
    /// folder is not followed.
    #[cfg(unix)]
    #[test]
    fn stale_temp_files_at_any_depth_and_not_through_links() {
        if !Path::new("/proc/self").exists() {
            return;
        }
        let (dir, outside) = (tempfile::tempdir().expect("tmp"), tempfile::tempdir().expect("tmp"));
        let deep = dir.path().join("genre/album/track");
        std::fs::create_dir_all(&deep).expect("mkdir");
        let orphan = ".mel.npy.999999999-3.tmp";
        for d in [dir.path(), deep.as_path(), outside.path()] {
            std::fs::write(d.join(orphan), b"x").expect("write");
        }
        std::os::unix::fs::symlink(outside.path(), dir.path().join("link")).expect("symlink");
        assert_eq!(remove_stale_temp_files(dir.path()), 2);
        assert!(!deep.join(orphan).exists());
        assert!(outside.path().join(orphan).exists(), "the sweep stays inside its folder");
    }
}
