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
    let tmp = temp_path(path);
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

/// The temporary name of one write of `path`: `.<name>.<pid>-<n>.tmp` beside it, unique per
/// call, which [`remove_stale_temp_files`] recognises.
fn temp_path(path: &Path) -> std::path::PathBuf {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    dir.join(format!(".{name}.{}-{n}.tmp", std::process::id()))
}

/// Bytes of the header [`NpyColumnWriter`] writes: fixed, so that it can be rewritten in
/// place once the column count is known (room for two 20-digit dimensions).
const COLUMN_HEADER_BYTES: usize = 128;

/// A float32 `.npy` of shape `[rows, cols]` written one column at a time, so that a long
/// song's frames go to disk as they are computed instead of being gathered first. The file
/// is in Fortran (column-major) order, which `numpy.load` reads as the same `[rows, cols]`
/// array as [`write_npy`]'s; the column count is filled in by [`finish`](Self::finish).
/// Like [`write_atomic`], the file appears whole under its name or not at all: the columns go
/// to a temporary file beside it, renamed at the end, and removed if the writer is dropped
/// unfinished.
///
/// ```
/// use genrecast_features::NpyColumnWriter;
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("mel.npy");
/// let mut w = NpyColumnWriter::create(&path, 2)?;
/// w.push(&[1.0, 2.0])?;
/// w.push(&[3.0, 4.0])?;
/// assert_eq!(w.finish()?, 2);
/// let bytes = std::fs::read(&path)?;
/// assert!(bytes.starts_with(b"\x93NUMPY"));
/// assert_eq!(bytes.len(), 128 + 4 * 4);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct NpyColumnWriter {
    path: std::path::PathBuf,
    tmp: std::path::PathBuf,
    file: Option<std::io::BufWriter<std::fs::File>>,
    rows: usize,
    cols: usize,
}

impl NpyColumnWriter {
    /// Starts `path` for columns of `rows` values.
    ///
    /// # Errors
    /// [`Error::Io`] naming the file.
    pub fn create(path: &Path, rows: usize) -> Result<Self> {
        let tmp = temp_path(path);
        let io = |source| Error::Io { path: path.display().to_string(), source };
        let mut file = std::io::BufWriter::new(std::fs::File::create(&tmp).map_err(io)?);
        let header = column_header(rows, 0);
        let written = file.write_all(&header);
        let writer = Self { path: path.to_path_buf(), tmp, file: Some(file), rows, cols: 0 };
        written.map_err(io)?;
        Ok(writer)
    }

    /// Appends one column of `rows` values.
    ///
    /// # Errors
    /// [`Error::Io`] naming the file; a column of another length.
    pub fn push(&mut self, column: &[f32]) -> Result<()> {
        let io = |source| Error::Io { path: self.path.display().to_string(), source };
        if column.len() != self.rows {
            return Err(io(std::io::Error::new(std::io::ErrorKind::InvalidInput, format!("a column of {} values, not {}", column.len(), self.rows))));
        }
        let Some(file) = self.file.as_mut() else { return Ok(()) };
        let bytes: Vec<u8> = column.iter().flat_map(|v| v.to_le_bytes()).collect();
        file.write_all(&bytes).map_err(io)?;
        self.cols += 1;
        Ok(())
    }

    /// Writes the final header, syncs the file and renames it to its name. Returns the
    /// number of columns.
    ///
    /// # Errors
    /// [`Error::Io`] naming the file (which is then removed).
    pub fn finish(mut self) -> Result<usize> {
        use std::io::{Seek, SeekFrom};
        let io = |source| Error::Io { path: self.path.display().to_string(), source };
        let Some(mut file) = self.file.take() else { return Ok(self.cols) };
        let result = (|| {
            file.flush()?;
            let mut file = file.into_inner().map_err(std::io::IntoInnerError::into_error)?;
            file.seek(SeekFrom::Start(0))?;
            file.write_all(&column_header(self.rows, self.cols))?;
            file.sync_all()?;
            std::fs::rename(&self.tmp, &self.path)
        })();
        if result.is_err() {
            let _ = std::fs::remove_file(&self.tmp);
        }
        result.map_err(io)?;
        Ok(self.cols)
    }
}

impl Drop for NpyColumnWriter {
    fn drop(&mut self) {
        // Unfinished (an error on the way): no half-written file is left behind.
        if self.file.take().is_some() {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

/// The `.npy` 1.0 header of a Fortran-order float32 `[rows, cols]`, padded with spaces to
/// [`COLUMN_HEADER_BYTES`] (a multiple of 64, as the format asks).
fn column_header(rows: usize, cols: usize) -> Vec<u8> {
    let dict = format!("{{'descr': '<f4', 'fortran_order': True, 'shape': ({rows}, {cols}), }}");
    let mut h = b"\x93NUMPY\x01\x00".to_vec();
    let len = COLUMN_HEADER_BYTES - 10;
    h.extend((len as u16).to_le_bytes());
    h.extend(dict.bytes());
    h.resize(COLUMN_HEADER_BYTES - 1, b' ');
    h.push(b'\n');
    h
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

    /// Columns written one by one read back, with npyz (an independent reader), as the same
    /// array [`write_npy`] writes; an unfinished writer leaves nothing behind.
    #[test]
    fn columns_read_back_as_the_whole_array() {
        let dir = tempfile::tempdir().expect("valid test input");
        let a = Array2 { rows: 3, cols: 4, data: (0..12).map(|v| v as f32 * 0.5 - 1.0).collect() };
        let whole = dir.path().join("whole.npy");
        write_npy(&whole, &a).expect("write");
        let cols = dir.path().join("cols.npy");
        let mut w = NpyColumnWriter::create(&cols, 3).expect("create");
        for c in 0..4 {
            w.push(&(0..3).map(|r| a.data[r * 4 + c]).collect::<Vec<_>>()).expect("push");
        }
        assert!(w.push(&[1.0]).is_err(), "a short column is refused");
        assert_eq!(w.finish().expect("finish"), 4);
        let read = |p: &Path| {
            let bytes = std::fs::read(p).expect("read");
            let npy = npyz::NpyFile::new(&bytes[..]).expect("npy");
            let (shape, order) = (npy.shape().to_vec(), npy.order());
            (shape, order, npy.into_vec::<f32>().expect("f32"))
        };
        let (shape, order, data) = read(&cols);
        assert_eq!((shape, order), (vec![3, 4], npyz::Order::Fortran));
        let (wshape, _, wdata) = read(&whole);
        assert_eq!(wshape, vec![3, 4]);
        // Fortran order: element (r, c) at c * rows + r.
        for r in 0..3 {
            for c in 0..4 {
                assert_eq!(data[c * 3 + r], wdata[r * 4 + c]);
            }
        }
        let dropped = dir.path().join("dropped.npy");
        let mut w = NpyColumnWriter::create(&dropped, 2).expect("create");
        w.push(&[1.0, 2.0]).expect("push");
        drop(w);
        let left: Vec<_> = std::fs::read_dir(dir.path()).expect("dir").flatten().map(|e| e.file_name()).collect();
        assert_eq!(left.len(), 2, "only the two finished files: {left:?}");
    }

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
