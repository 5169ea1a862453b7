//! A feature cache on disk, keyed by (file content hash, feature configuration, code version).
//!
//! Each entry is one safetensors file (`<dir>/v1/<ab>/<key>.safetensors`) holding the
//! feature arrays of one audio file, with the configuration, code version, source path and a
//! BLAKE3 checksum of the data in its metadata. Entries are written to a temporary file beside
//! their final name, synced, and renamed ([`genrecast_features::write_atomic`]): a reader (in this or another process) sees a whole
//! entry or none, concurrent writers of one key race harmlessly (same content), and a process
//! killed mid-write leaves only a `.tmp` file, swept later. A damaged entry (truncated, bit
//! flips) fails its checksum, is deleted and reported as a miss.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use genrecast_features::Array2;
use safetensors::tensor::{Dtype, TensorView};

use crate::error::{io, parse_error, Result};

/// Layout version of the cache folder; part of every entry's path.
pub const CACHE_FORMAT: u32 = 1;

/// Temporary files older than this are taken to be left by a killed process.
const STALE_TEMP_AGE: Duration = Duration::from_secs(3600);

/// The identity of one cache entry.
///
/// # Example
/// ```
/// use genrecast_datasets::CacheKey;
/// let a = CacheKey::from_content(b"RIFF....", r#"{"sr":22050}"#);
/// let b = CacheKey::from_content(b"RIFF....", r#"{"sr":16000}"#);
/// assert_ne!(a.hex(), b.hex());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CacheKey {
    content: [u8; 32],
    config: String,
}

/// BLAKE3 of a file's bytes, read once in a streaming way.
///
/// # Errors
/// [`crate::Error::Io`] naming the file.
pub fn content_hash(path: &Path) -> Result<[u8; 32]> {
    let mut hasher = blake3::Hasher::new();
    let mut file = std::fs::File::open(path).map_err(io(path))?;
    std::io::copy(&mut file, &mut hasher).map_err(io(path))?;
    Ok(*hasher.finalize().as_bytes())
}

impl CacheKey {
    /// The key of `path`'s content under `config` (any stable description of the feature
    /// configuration, e.g. its JSON), reading the file once.
    ///
    /// # Errors
    /// [`crate::Error::Io`] naming the file.
    pub fn for_file(path: &Path, config: &str) -> Result<Self> {
        Ok(Self { content: content_hash(path)?, config: config.to_string() })
    }

    /// The key of `bytes` under `config`.
    pub fn from_content(bytes: &[u8], config: &str) -> Self {
        Self { content: *blake3::hash(bytes).as_bytes(), config: config.to_string() }
    }

    /// The entry name: BLAKE3 of content hash, configuration and [`genrecast_features::CODE_VERSION`].
    pub fn hex(&self) -> String {
        let mut h = blake3::Hasher::new();
        h.update(&self.content);
        h.update(&(self.config.len() as u64).to_le_bytes());
        h.update(self.config.as_bytes());
        h.update(genrecast_features::CODE_VERSION.as_bytes());
        h.finalize().to_hex().to_string()
    }

    /// The configuration part of the key.
    pub fn config(&self) -> &str {
        &self.config
    }
}

/// What [`FeatureCache::stats`] counts.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct CacheStats {
    /// The cache folder.
    pub dir: PathBuf,
    /// Complete entries.
    pub entries: usize,
    /// Their total size in bytes.
    pub bytes: u64,
    /// Temporary files (writes in progress, or left by a killed process).
    pub temp_files: usize,
}

/// The outcome of a lookup.
#[derive(Debug)]
pub enum CacheLookup {
    /// The features, by name, as stored.
    Hit(Vec<(String, Array2)>),
    /// No entry.
    Miss,
    /// There was an entry but it was damaged; it has been deleted. The reason says how.
    Corrupt(String),
}

/// A feature cache folder. Cheap to clone; share it between threads and processes.
#[derive(Clone, Debug)]
pub struct FeatureCache {
    dir: PathBuf,
}

impl FeatureCache {
    /// Opens (creating) the cache in `dir` and removes temporary files that a killed process
    /// left more than an hour ago.
    ///
    /// # Errors
    /// [`crate::Error::Io`] when the folder cannot be created.
    pub fn open(dir: &Path) -> Result<Self> {
        let cache = Self { dir: dir.to_path_buf() };
        std::fs::create_dir_all(cache.root()).map_err(io(cache.root()))?;
        cache.sweep(Some(STALE_TEMP_AGE))?;
        Ok(cache)
    }

    /// `$GENRECAST_CACHE`, else `$XDG_CACHE_HOME/genrecast`, else `~/.cache/genrecast`.
    pub fn default_dir() -> PathBuf {
        if let Some(d) = std::env::var_os("GENRECAST_CACHE").filter(|d| !d.is_empty()) {
            return PathBuf::from(d);
        }
        if let Some(d) = std::env::var_os("XDG_CACHE_HOME").filter(|d| !d.is_empty()) {
            return PathBuf::from(d).join("genrecast");
        }
        std::env::var_os("HOME").map_or_else(|| PathBuf::from(".genrecast-cache"), |h| PathBuf::from(h).join(".cache/genrecast"))
    }

    /// The cache folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn root(&self) -> PathBuf {
        self.dir.join(format!("v{CACHE_FORMAT}"))
    }

    /// Where the entry of `key` lives.
    pub fn entry_path(&self, key: &CacheKey) -> PathBuf {
        let hex = key.hex();
        self.root().join(&hex[..2]).join(format!("{hex}.safetensors"))
    }

    /// Looks `key` up.
    ///
    /// # Errors
    /// [`crate::Error::Io`] for a read failure other than "not found".
    pub fn get(&self, key: &CacheKey) -> Result<CacheLookup> {
        let path = self.entry_path(key);
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(CacheLookup::Miss),
            Err(e) => return Err(io(&path)(e)),
        };
        match decode_entry(&path, &bytes, Some(key.config())) {
            Ok(features) => Ok(CacheLookup::Hit(features)),
            Err(e) => {
                let _ = std::fs::remove_file(&path);
                Ok(CacheLookup::Corrupt(e.to_string()))
            }
        }
    }

    /// The features of `key`: the cached ones when the entry is whole and `usable` accepts
    /// them, else those of `compute`, which are then stored. The cache never fails a
    /// computation: a damaged or unreadable entry, or one that cannot be written, costs only
    /// time and is described in `warnings`.
    ///
    /// # Errors
    /// Only `compute`'s.
    ///
    /// # Example
    /// ```
    /// use genrecast_datasets::{CacheKey, FeatureCache};
    /// use genrecast_features::Array2;
    /// let dir = tempfile::tempdir()?;
    /// let cache = FeatureCache::open(dir.path())?;
    /// let key = CacheKey::from_content(b"audio", "cfg");
    /// let rms = || Ok::<_, std::io::Error>(vec![("rms".to_string(), Array2 { rows: 1, cols: 1, data: vec![0.5] })]);
    /// let mut warnings = Vec::new();
    /// let first = cache.get_or_compute(&key, "a.wav".as_ref(), |_| true, rms, &mut warnings)?;
    /// let cached = || -> std::io::Result<Vec<(String, Array2)>> { unreachable!("served from the cache") };
/// let again = cache.get_or_compute(&key, "a.wav".as_ref(), |_| true, cached, &mut warnings)?;
    /// assert_eq!(first, again);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn get_or_compute<E>(
        &self,
        key: &CacheKey,
        source: &Path,
        usable: impl FnOnce(&[(String, Array2)]) -> bool,
        compute: impl FnOnce() -> std::result::Result<Vec<(String, Array2)>, E>,
        warnings: &mut Vec<String>,
    ) -> std::result::Result<Vec<(String, Array2)>, E> {
        match self.get(key) {
            Ok(CacheLookup::Hit(arrays)) if usable(&arrays) => return Ok(arrays),
            Ok(CacheLookup::Hit(_) | CacheLookup::Miss) => {}
            Ok(CacheLookup::Corrupt(why)) => warnings.push(format!("{}: cache entry dropped ({why}); recomputing", source.display())),
            Err(e) => warnings.push(format!("{}: cache entry unreadable ({e}); recomputing", source.display())),
        }
        let arrays = compute()?;
        if let Err(e) = self.put(key, &arrays, source) {
            warnings.push(format!("{}: not cached: {e}", source.display()));
        }
        Ok(arrays)
    }

    /// Stores `features` under `key`, atomically. `source` is recorded for `stats` and debugging.
    ///
    /// # Errors
    /// [`crate::Error::Io`] naming the entry.
    pub fn put(&self, key: &CacheKey, features: &[(String, Array2)], source: &Path) -> Result<()> {
        let path = self.entry_path(key);
        let dir = path.parent().unwrap_or(&self.dir).to_path_buf();
        std::fs::create_dir_all(&dir).map_err(io(&dir))?;
        let bytes = encode_entry(key, features, source).map_err(|m| parse_error(&path, None, m))?;
        genrecast_features::write_atomic(&path, |w| w.write_all(&bytes)).map_err(|e| match e {
            genrecast_features::Error::Io { source, .. } => io(&path)(source),
            other => parse_error(&path, None, other.to_string()),
        })
    }

    /// Counts entries, bytes and temporary files.
    ///
    /// # Errors
    /// [`crate::Error::Io`] for an unreadable folder.
    pub fn stats(&self) -> Result<CacheStats> {
        let mut stats = CacheStats { dir: self.dir.clone(), ..CacheStats::default() };
        self.for_each_file(|path, meta| {
            if is_temp(path) {
                stats.temp_files += 1;
            } else if path.extension().is_some_and(|e| e == "safetensors") {
                stats.entries += 1;
                stats.bytes += meta.len();
            }
        })?;
        Ok(stats)
    }

    /// Reads every entry and checks it; damaged ones are deleted. Returns (good, damaged paths).
    ///
    /// # Errors
    /// [`crate::Error::Io`] for an unreadable folder.
    pub fn verify(&self) -> Result<(usize, Vec<(PathBuf, String)>)> {
        let mut paths = Vec::new();
        self.for_each_file(|path, _| {
            if !is_temp(path) && path.extension().is_some_and(|e| e == "safetensors") {
                paths.push(path.to_path_buf());
            }
        })?;
        let mut good = 0;
        let mut bad = Vec::new();
        for path in paths {
            let result = std::fs::read(&path).map_err(io(&path)).and_then(|b| decode_entry(&path, &b, None).map(|_| ()));
            match result {
                Ok(()) => good += 1,
                Err(e) => {
                    let _ = std::fs::remove_file(&path);
                    bad.push((path, e.to_string()));
                }
            }
        }
        Ok((good, bad))
    }

    /// Deletes every entry and temporary file; returns what was there.
    ///
    /// # Errors
    /// [`crate::Error::Io`] for a file that cannot be removed.
    pub fn clear(&self) -> Result<CacheStats> {
        let stats = self.stats()?;
        let root = self.root();
        if root.exists() {
            std::fs::remove_dir_all(&root).map_err(io(&root))?;
        }
        Ok(stats)
    }

    /// Removes temporary files older than `min_age` (all of them for `None`).
    fn sweep(&self, min_age: Option<Duration>) -> Result<usize> {
        let mut stale = Vec::new();
        let now = SystemTime::now();
        self.for_each_file(|path, meta| {
            let old_enough = min_age.is_none_or(|age| meta.modified().ok().and_then(|m| now.duration_since(m).ok()).is_some_and(|d| d >= age));
            if is_temp(path) && old_enough {
                stale.push(path.to_path_buf());
            }
        })?;
        for p in &stale {
            let _ = std::fs::remove_file(p);
        }
        Ok(stale.len())
    }

    fn for_each_file(&self, mut f: impl FnMut(&Path, &std::fs::Metadata)) -> Result<()> {
        let root = self.root();
        let Ok(shards) = std::fs::read_dir(&root) else { return Ok(()) };
        for shard in shards {
            let shard = shard.map_err(io(&root))?.path();
            let Ok(entries) = std::fs::read_dir(&shard) else { continue };
            for e in entries {
                let e = e.map_err(io(&shard))?;
                // A file may vanish between listing and stat (another process clearing): skip it.
                if let Ok(meta) = e.metadata() {
                    f(&e.path(), &meta);
                }
            }
        }
        Ok(())
    }
}

fn is_temp(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "tmp")
}

const META_CONFIG: &str = "genrecast.config";
const META_CODE: &str = "genrecast.code_version";
const META_SOURCE: &str = "genrecast.source";
const META_CHECKSUM: &str = "genrecast.blake3";

fn checksum<'a>(parts: impl IntoIterator<Item = (&'a str, &'a [u8])>) -> String {
    let mut h = blake3::Hasher::new();
    for (name, data) in parts {
        h.update(&(name.len() as u64).to_le_bytes());
        h.update(name.as_bytes());
        h.update(&(data.len() as u64).to_le_bytes());
        h.update(data);
    }
    h.finalize().to_hex().to_string()
}

fn encode_entry(key: &CacheKey, features: &[(String, Array2)], source: &Path) -> std::result::Result<Vec<u8>, String> {
    let mut sorted: Vec<(&str, Vec<u8>, [usize; 2])> =
        features.iter().map(|(n, a)| (n.as_str(), a.data.iter().flat_map(|v| v.to_le_bytes()).collect(), [a.rows, a.cols])).collect();
    sorted.sort_by(|a, b| a.0.cmp(b.0));
    let sum = checksum(sorted.iter().map(|(n, d, _)| (*n, d.as_slice())));
    let views = sorted
        .iter()
        .map(|(n, d, shape)| TensorView::new(Dtype::F32, shape.to_vec(), d).map(|v| (n.to_string(), v)).map_err(|e| e.to_string()))
        .collect::<std::result::Result<Vec<_>, String>>()?;
    let meta: HashMap<String, String> = [
        (META_CONFIG.to_string(), key.config.clone()),
        (META_CODE.to_string(), genrecast_features::CODE_VERSION.to_string()),
        (META_SOURCE.to_string(), source.display().to_string()),
        (META_CHECKSUM.to_string(), sum),
    ]
    .into();
    safetensors::serialize(views, &Some(meta)).map_err(|e| e.to_string())
}

fn decode_entry(path: &Path, bytes: &[u8], config: Option<&str>) -> Result<Vec<(String, Array2)>> {
    let bad = |m: String| parse_error(path, None, format!("damaged cache entry: {m}"));
    let (_, metadata) = safetensors::SafeTensors::read_metadata(bytes).map_err(|e| bad(e.to_string()))?;
    let meta = metadata.metadata().clone().unwrap_or_default();
    if let Some(config) = config {
        if meta.get(META_CONFIG).map(String::as_str) != Some(config) {
            return Err(bad("configuration differs from its key (hash collision or tampering)".into()));
        }
    }
    let tensors = safetensors::SafeTensors::deserialize(bytes).map_err(|e| bad(e.to_string()))?;
    let mut named: Vec<(String, TensorView<'_>)> = tensors.tensors();
    named.sort_by(|a, b| a.0.cmp(&b.0));
    let sum = checksum(named.iter().map(|(n, v)| (n.as_str(), v.data())));
    if meta.get(META_CHECKSUM) != Some(&sum) {
        return Err(bad("checksum mismatch".into()));
    }
    named
        .into_iter()
        .map(|(name, view)| {
            let shape = view.shape();
            if view.dtype() != Dtype::F32 || shape.len() != 2 {
                return Err(bad(format!("{name}: expected a 2-D f32 array")));
            }
            let data = view.data().chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect();
            Ok((name, Array2 { rows: shape[0], cols: shape[1], data }))
        })
        .collect()
}
