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
/// that a killed process never leaves a half-written file under the final name.
///
/// # Errors
/// [`Error::Io`] naming the file.
pub fn write_atomic(path: &Path, write: impl FnOnce(&mut std::io::BufWriter<std::fs::File>) -> std::io::Result<()>) -> Result<()> {
    let io = |source| Error::Io { path: path.display().to_string(), source };
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
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
