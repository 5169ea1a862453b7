//! A music library index: each audio file's genre probabilities, tags and embeddings in one
//! SQLite database, kept up to date incrementally, and what is built on it: nearest
//! neighbours ([`nearest`]), playlists ([`playlist`]) and a map of the collection ([`map`]).
//!
//! Each track is written in its own transaction (WAL journal), so a process killed at any
//! point leaves a database holding every track finished before it, and a rerun does only the
//! rest.
//!
//! # Example
//! ```
//! use genrecast_library::{Library, Metric, TrackRecord};
//! let dir = tempfile::tempdir()?;
//! let mut lib = Library::open(&dir.path().join("library.sqlite"))?;
//! for (name, e) in [("a.mp3", [1.0, 0.0]), ("b.mp3", [0.9, 0.1]), ("c.mp3", [0.0, 1.0])] {
//!     let mut r = TrackRecord::new(dir.path().join(name), 1, 0);
//!     r.embeddings.push(("model".into(), e.to_vec()));
//!     lib.store(&r)?;
//! }
//! let seed = lib.track_by_path(&dir.path().join("a.mp3"))?.unwrap();
//! // No scale: the embeddings as stored (see `Library::scaled_embeddings`).
//! let near = lib.similar(seed.id, "model", None, 1, Metric::Cosine)?;
//! assert_eq!(near[0].0.path, dir.path().join("b.mp3"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod map;

pub use genrecast_eval::Standardizer;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

use rusqlite::{params, Connection, OptionalExtension};

/// What can go wrong with the library.
#[derive(Debug, thiserror::Error)]
pub enum LibraryError {
    /// The database could not be opened, read or written.
    #[error("{path}: {source}")]
    Sqlite {
        /// The database file.
        path: String,
        /// SQLite's error.
        source: rusqlite::Error,
    },
    /// The database is of another genrecast version or not a genrecast library.
    #[error("{path}: {reason}")]
    Format {
        /// The database file.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// A request the data cannot answer (unknown track, no embeddings of a kind).
    #[error("{0}")]
    Query(String),
    /// Writing the map failed.
    #[error("{path}: {reason}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
}

/// Results of this crate.
pub type Result<T> = std::result::Result<T, LibraryError>;

/// Embeddings by track id.
pub type Embeddings = Vec<(i64, Vec<f32>)>;

/// Schema version; a database of a newer version is refused rather than misread, an older
/// one is brought up to date (version 2 added the file tags: album, genre, track, year).
const SCHEMA_VERSION: i64 = 2;

/// The columns version 2 added to `tracks`.
const V2_COLUMNS: &str = "ALTER TABLE tracks ADD COLUMN album TEXT; ALTER TABLE tracks ADD COLUMN genre TEXT; ALTER TABLE tracks ADD COLUMN track_number INTEGER; ALTER TABLE tracks ADD COLUMN year INTEGER;";

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tracks (
    id INTEGER PRIMARY KEY,
    path TEXT NOT NULL UNIQUE,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    duration REAL,
    title TEXT,
    artist TEXT,
    label TEXT,
    error TEXT,
    model TEXT,
    indexed_at INTEGER NOT NULL,
    album TEXT,
    genre TEXT,
    track_number INTEGER,
    year INTEGER
);
CREATE TABLE IF NOT EXISTS predictions (track_id INTEGER NOT NULL REFERENCES tracks(id) ON DELETE CASCADE, label TEXT NOT NULL, probability REAL NOT NULL, PRIMARY KEY (track_id, label));
CREATE TABLE IF NOT EXISTS tags (track_id INTEGER NOT NULL REFERENCES tracks(id) ON DELETE CASCADE, tag TEXT NOT NULL, probability REAL NOT NULL, PRIMARY KEY (track_id, tag));
CREATE TABLE IF NOT EXISTS embeddings (track_id INTEGER NOT NULL REFERENCES tracks(id) ON DELETE CASCADE, kind TEXT NOT NULL, vector BLOB NOT NULL, PRIMARY KEY (track_id, kind));
";

/// Everything indexed about one file.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TrackRecord {
    /// The file (absolute, as indexed).
    pub path: PathBuf,
    /// Its size in bytes when analysed.
    pub size: u64,
    /// Its modification time (ns since the epoch) when analysed.
    pub mtime_ns: i64,
    /// Seconds of audio.
    pub duration: Option<f64>,
    /// Title (from the file's tags, else the file name's stem).
    pub title: Option<String>,
    /// Artist (from the file's tags, else e.g. the parent folder), if known.
    pub artist: Option<String>,
    /// Album, from the file's tags.
    pub album: Option<String>,
    /// The genre the file's tags name (not a prediction).
    pub genre: Option<String>,
    /// Track number, from the file's tags.
    pub track_number: Option<u32>,
    /// Year, from the file's tags.
    pub year: Option<u16>,
    /// A known label (e.g. the genre folder of a labelled collection), if any.
    pub label: Option<String>,
    /// Why the file could not be analysed (then nothing else is set).
    pub error: Option<String>,
    /// The model that made the predictions and embeddings.
    pub model: Option<String>,
    /// Genre probabilities.
    pub predictions: Vec<(String, f32)>,
    /// Tag probabilities.
    pub tags: Vec<(String, f32)>,
    /// Named embeddings (e.g. `model`, `summary`).
    pub embeddings: Vec<(String, Vec<f32>)>,
}

impl TrackRecord {
    /// A record of `path` at `size` bytes and modification time `mtime_ns`, with nothing
    /// analysed yet.
    pub fn new(path: PathBuf, size: u64, mtime_ns: i64) -> Self {
        Self { path, size, mtime_ns, ..Self::default() }
    }
}

/// Where a file stands against the library.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileStatus {
    /// Not stored.
    New,
    /// Stored, but the file's size or modification time has changed since.
    Changed,
    /// Stored as failed at this size and time (worth retrying: the cause may have been a
    /// vanished disk).
    Failed,
    /// Analysed at this size and time: nothing to do.
    Current,
}

/// A stored track.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Track {
    /// Row id.
    pub id: i64,
    /// File.
    pub path: PathBuf,
    /// Title.
    pub title: Option<String>,
    /// Artist.
    pub artist: Option<String>,
    /// Album.
    pub album: Option<String>,
    /// The genre the file's tags name.
    pub genre: Option<String>,
    /// Track number.
    pub track_number: Option<u32>,
    /// Year.
    pub year: Option<u16>,
    /// Known label.
    pub label: Option<String>,
    /// Seconds of audio.
    pub duration: Option<f64>,
    /// Analysis error, if it failed.
    pub error: Option<String>,
    /// Genre probabilities, highest first.
    pub predictions: Vec<(String, f32)>,
}

impl Track {
    /// The track `record` describes, under row id `id` (e.g. a song analysed now, outside the
    /// library), its genre probabilities highest first.
    ///
    /// # Example
    /// ```
    /// use genrecast_library::{Track, TrackRecord};
    /// let mut r = TrackRecord::new("a.mp3".into(), 1, 0);
    /// r.predictions = vec![("jazz".into(), 0.2), ("metal".into(), 0.8)];
    /// assert_eq!(Track::from_record(-1, &r).predictions[0].0, "metal");
    /// ```
    pub fn from_record(id: i64, record: &TrackRecord) -> Self {
        let mut predictions = record.predictions.clone();
        predictions.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        Self {
            id,
            path: record.path.clone(),
            title: record.title.clone(),
            artist: record.artist.clone(),
            album: record.album.clone(),
            genre: record.genre.clone(),
            track_number: record.track_number,
            year: record.year,
            label: record.label.clone(),
            duration: record.duration,
            error: record.error.clone(),
            predictions,
        }
    }
}

/// One embedding stored for a track: its kind and length.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct EmbeddingInfo {
    /// Kind (`model`, `summary`).
    pub kind: String,
    /// Number of values.
    pub dims: usize,
}

/// Everything stored about one track: the [`Track`], and what was analysed and when.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct TrackDetails {
    /// The track's tags, genres and error.
    #[serde(flatten)]
    pub track: Track,
    /// File size in bytes when analysed.
    pub size: i64,
    /// File modification time (ns since the epoch) when analysed.
    pub mtime_ns: i64,
    /// When it was indexed (s since the epoch).
    pub indexed_at: i64,
    /// The model that analysed it.
    pub model: Option<String>,
    /// The model's tags with their probabilities, highest first.
    pub tags: Vec<(String, f32)>,
    /// The embeddings stored, by kind.
    pub embeddings: Vec<EmbeddingInfo>,
}

/// Distance between embeddings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Metric {
    /// `1 - cos(a, b)`.
    Cosine,
    /// `|a - b|`.
    Euclidean,
}

impl std::str::FromStr for Metric {
    type Err = LibraryError;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "cosine" => Ok(Self::Cosine),
            "euclidean" => Ok(Self::Euclidean),
            other => Err(LibraryError::Query(format!("unknown metric '{other}' (known: cosine, euclidean)"))),
        }
    }
}

impl Metric {
    /// The distance between `a` and `b` (vectors of one length).
    ///
    /// # Example
    /// ```
    /// use genrecast_library::Metric;
    /// assert_eq!(Metric::Euclidean.distance(&[0.0, 3.0], &[4.0, 0.0]), 5.0);
    /// assert!(Metric::Cosine.distance(&[1.0, 0.0], &[2.0, 0.0]).abs() < 1e-6);
    /// ```
    pub fn distance(self, a: &[f32], b: &[f32]) -> f32 {
        let d = match self {
            Self::Euclidean => genrecast_eval::Distance::Euclidean,
            Self::Cosine => genrecast_eval::Distance::Cosine,
        };
        d.between(a, b) as f32
    }
}

/// The `k` rows of `candidates` nearest `query` (ties: lower id first), excluding `exclude`.
pub fn nearest(query: &[f32], candidates: &[(i64, Vec<f32>)], k: usize, metric: Metric, exclude: &[i64]) -> Vec<(i64, f32)> {
    let mut d: Vec<(i64, f32)> = candidates.iter().filter(|(id, v)| !exclude.contains(id) && v.len() == query.len()).map(|(id, v)| (*id, metric.distance(query, v))).collect();
    d.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
    d.truncate(k);
    d
}

/// A playlist of `n` tracks starting at `seed`: each next track is the one nearest the
/// current among those not yet played (bliss-rs's "song to song" order), with the distance
/// of each step.
pub fn playlist(seed: i64, candidates: &[(i64, Vec<f32>)], n: usize, metric: Metric) -> Vec<(i64, f32)> {
    let Some(start) = candidates.iter().find(|(id, _)| *id == seed) else { return Vec::new() };
    playlist_through(std::slice::from_ref(start), candidates, n, metric, &[])
}

/// A spacing rule of a playlist: no track shares its group (artist, album) with any of the
/// `within` tracks before it. Tracks without a group (unknown artist) never clash.
#[derive(Clone, Debug, Default)]
pub struct Spacing {
    /// Each track's group, by id (compared as given: normalise before, e.g. lowercase).
    pub group: HashMap<i64, String>,
    /// How many tracks back a group may not repeat (1: no two consecutive tracks).
    pub within: usize,
}

/// A playlist of `n` tracks through `seeds` in turn: the first seed, then the nearest
/// unplayed neighbour of the current track, song after song, until the next seed's share of
/// the places is reached; then the next seed, and so on. The places are shared out evenly,
/// earlier seeds taking the remainder (10 places, 3 seeds: 4, 3, 3), and a seed whose walk
/// ran dry leaves its places to the next. Each entry carries the distance from the entry
/// before it (0 for the first).
///
/// Seeds need not be among `candidates` (a song outside the library); seeds are listed once
/// each, and neither they nor any candidate of identical embedding (a copy of a seed) are
/// listed as neighbours. Every `spacing` rule holds between the walked tracks (the seeds
/// themselves, chosen by the caller, are always listed); when no unplayed track keeps the
/// rules, the seed's walk stops early.
///
/// # Example
/// ```
/// use genrecast_library::{playlist_through, Metric};
/// let line: Vec<(i64, Vec<f32>)> = (1..=6).map(|i| (i, vec![i as f32])).collect();
/// let list = playlist_through(&[line[0].clone(), line[5].clone()], &line, 4, Metric::Euclidean, &[]);
/// assert_eq!(list.iter().map(|e| e.0).collect::<Vec<_>>(), [1, 2, 6, 5]);
/// ```
pub fn playlist_through(seeds: &[(i64, Vec<f32>)], candidates: &[(i64, Vec<f32>)], n: usize, metric: Metric, spacing: &[Spacing]) -> Vec<(i64, f32)> {
    let mut used: Vec<i64> = seeds.iter().map(|s| s.0).collect();
    used.extend(candidates.iter().filter(|(_, v)| seeds.iter().any(|s| s.1 == *v)).map(|(id, _)| *id));
    let by_id: HashMap<i64, &Vec<f32>> = candidates.iter().map(|(id, v)| (*id, v)).collect();
    let mut out: Vec<(i64, f32)> = Vec::new();
    let mut previous: Option<&Vec<f32>> = None;
    let mut seeds_left: Vec<&(i64, Vec<f32>)> = Vec::new();
    for s in seeds {
        if !seeds_left.iter().any(|t| t.0 == s.0) {
            seeds_left.push(s);
        }
    }
    let seed_count = seeds_left.len();
    for (i, (seed, start)) in seeds_left.into_iter().enumerate() {
        if out.len() >= n {
            break;
        }
        let share = (n - out.len()).div_ceil(seed_count - i);
        out.push((*seed, previous.map_or(0.0, |p| metric.distance(p, start))));
        let mut current = start;
        for _ in 1..share {
            let clashing = candidates.iter().filter(|(id, _)| !used.contains(id) && spacing.iter().any(|rule| clashes(rule, *id, &out))).map(|(id, _)| *id);
            let exclude: Vec<i64> = used.iter().copied().chain(clashing).collect();
            let Some(&(next, d)) = nearest(current, candidates, 1, metric, &exclude).first() else { break };
            out.push((next, d));
            used.push(next);
            current = by_id[&next];
        }
        previous = Some(current);
    }
    out
}

/// Whether track `id` would repeat a group of `rule` among the last `rule.within` entries.
fn clashes(rule: &Spacing, id: i64, before: &[(i64, f32)]) -> bool {
    let Some(group) = rule.group.get(&id) else { return false };
    before.iter().rev().take(rule.within).any(|(other, _)| rule.group.get(other) == Some(group))
}

fn to_blob(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

fn from_blob(b: &[u8]) -> Vec<f32> {
    b.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect()
}

/// An open library database.
pub struct Library {
    conn: Connection,
    path: PathBuf,
}

impl Library {
    /// Opens (creating if needed) the library at `path`.
    ///
    /// # Errors
    /// [`LibraryError::Sqlite`] if it cannot be opened; [`LibraryError::Format`] for a
    /// database that is not a genrecast library of this schema version.
    pub fn open(path: &Path) -> Result<Self> {
        let err = |source| LibraryError::Sqlite { path: path.display().to_string(), source };
        let conn = Connection::open(path).map_err(err)?;
        // WAL: a crash leaves the last committed state; readers never see half a track.
        conn.pragma_update(None, "journal_mode", "WAL").map_err(err)?;
        conn.pragma_update(None, "foreign_keys", "ON").map_err(err)?;
        conn.busy_timeout(std::time::Duration::from_secs(10)).map_err(err)?;
        let is_sqlite_with_other_tables = {
            let mut st = conn.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").map_err(err)?;
            let names: Vec<String> = st.query_map([], |r| r.get(0)).map_err(err)?.collect::<std::result::Result<_, _>>().map_err(err)?;
            !names.is_empty() && !names.iter().any(|n| n == "meta")
        };
        if is_sqlite_with_other_tables {
            return Err(LibraryError::Format { path: path.display().to_string(), reason: "an SQLite database, but not a genrecast library".into() });
        }
        conn.execute_batch(SCHEMA).map_err(err)?;
        let version: Option<String> = conn.query_row("SELECT value FROM meta WHERE key = 'schema'", [], |r| r.get(0)).optional().map_err(err)?;
        match version {
            None => {
                conn.execute("INSERT INTO meta (key, value) VALUES ('schema', ?1)", params![SCHEMA_VERSION.to_string()]).map_err(err)?;
            }
            Some(v) if v == SCHEMA_VERSION.to_string() => {}
            Some(v) if v == "1" => {
                // Version 1 stored no file tags: every track is marked changed, so that the
                // next `index` analyses it once more and stores its tags.
                let tx = conn.unchecked_transaction().map_err(err)?;
                tx.execute_batch(V2_COLUMNS).map_err(err)?;
                tx.execute("UPDATE tracks SET size = -1", []).map_err(err)?;
                tx.execute("UPDATE meta SET value = ?1 WHERE key = 'schema'", params![SCHEMA_VERSION.to_string()]).map_err(err)?;
                tx.commit().map_err(err)?;
            }
            Some(v) => return Err(LibraryError::Format { path: path.display().to_string(), reason: format!("schema version {v}; this genrecast reads version {SCHEMA_VERSION}") }),
        }
        Ok(Self { conn, path: path.to_path_buf() })
    }

    fn err(&self) -> impl Fn(rusqlite::Error) -> LibraryError + '_ {
        move |source| LibraryError::Sqlite { path: self.path.display().to_string(), source }
    }

    /// What is stored for `path` at this size and modification time.
    pub fn status(&self, path: &Path, size: u64, mtime_ns: i64) -> Result<FileStatus> {
        let row: Option<(i64, i64, Option<String>)> = self
            .conn
            .query_row("SELECT size, mtime_ns, error FROM tracks WHERE path = ?1", params![path.to_string_lossy()], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .optional()
            .map_err(self.err())?;
        Ok(match row {
            None => FileStatus::New,
            Some((s, m, _)) if (s, m) != (size as i64, mtime_ns) => FileStatus::Changed,
            Some((_, _, Some(_))) => FileStatus::Failed,
            Some((_, _, None)) => FileStatus::Current,
        })
    }

    /// As [`status`](Self::status), and a stored track that `model` did not analyse, or whose
    /// `model` embedding is not `model_dims` wide, is [`FileStatus::Changed`]: an `index` run
    /// with another model, or after a built-in model of the same name changed (the default
    /// `genre-gtzan` went from 200-d to 400-d embeddings), analyses it again instead of
    /// leaving the library with two models' results.
    ///
    /// # Example
    /// ```
    /// use genrecast_library::{FileStatus, Library, TrackRecord};
    /// let dir = tempfile::tempdir()?;
    /// let mut lib = Library::open(&dir.path().join("lib.sqlite"))?;
    /// let mut r = TrackRecord::new("/music/a.flac".into(), 100, 7);
    /// r.model = Some("genre-gtzan".into());
    /// r.embeddings.push(("model".into(), vec![0.5; 200]));
    /// lib.store(&r)?;
    /// let path = std::path::Path::new("/music/a.flac");
    /// assert_eq!(lib.status_for(path, 100, 7, "genre-gtzan", 200)?, FileStatus::Current);
    /// assert_eq!(lib.status_for(path, 100, 7, "genre-gtzan", 400)?, FileStatus::Changed);
    /// assert_eq!(lib.status_for(path, 100, 7, "my-model", 200)?, FileStatus::Changed);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn status_for(&self, path: &Path, size: u64, mtime_ns: i64, model: &str, model_dims: usize) -> Result<FileStatus> {
        let status = self.status(path, size, mtime_ns)?;
        if status != FileStatus::Current {
            return Ok(status);
        }
        let (stored_model, bytes): (Option<String>, Option<i64>) = self
            .conn
            .query_row(
                "SELECT t.model, length(e.vector) FROM tracks t LEFT JOIN embeddings e ON e.track_id = t.id AND e.kind = 'model' WHERE t.path = ?1",
                params![path.to_string_lossy()],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .map_err(self.err())?;
        let same = stored_model.as_deref() == Some(model) && bytes == Some((4 * model_dims) as i64);
        Ok(if same { FileStatus::Current } else { FileStatus::Changed })
    }

    /// Stores `record`, replacing what was stored for its path, in one transaction.
    pub fn store(&mut self, record: &TrackRecord) -> Result<i64> {
        let path = self.path.display().to_string();
        let err = |source| LibraryError::Sqlite { path: path.clone(), source };
        let tx = self.conn.transaction().map_err(err)?;
        tx.execute("DELETE FROM tracks WHERE path = ?1", params![record.path.to_string_lossy()]).map_err(err)?;
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64);
        tx.execute(
            "INSERT INTO tracks (path, size, mtime_ns, duration, title, artist, label, error, model, indexed_at, album, genre, track_number, year) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
            params![record.path.to_string_lossy(), record.size as i64, record.mtime_ns, record.duration, record.title, record.artist, record.label, record.error, record.model, now, record.album, record.genre, record.track_number, record.year],
        )
        .map_err(err)?;
        let id = tx.last_insert_rowid();
        for (label, p) in &record.predictions {
            tx.execute("INSERT INTO predictions (track_id, label, probability) VALUES (?1, ?2, ?3)", params![id, label, f64::from(*p)]).map_err(err)?;
        }
        for (tag, p) in &record.tags {
            tx.execute("INSERT INTO tags (track_id, tag, probability) VALUES (?1, ?2, ?3)", params![id, tag, f64::from(*p)]).map_err(err)?;
        }
        for (kind, v) in &record.embeddings {
            tx.execute("INSERT INTO embeddings (track_id, kind, vector) VALUES (?1, ?2, ?3)", params![id, kind, to_blob(v)]).map_err(err)?;
        }
        tx.commit().map_err(err)?;
        Ok(id)
    }

    /// Removes tracks whose files are not in `present` (deleted or moved); returns how many.
    pub fn prune(&mut self, present: &std::collections::HashSet<PathBuf>) -> Result<usize> {
        let stored: Vec<(i64, String)> = {
            let mut st = self.conn.prepare("SELECT id, path FROM tracks").map_err(self.err())?;
            let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).map_err(self.err())?.collect::<std::result::Result<Vec<_>, _>>().map_err(self.err())?;
            rows
        };
        let gone: Vec<i64> = stored.into_iter().filter(|(_, p)| !present.contains(Path::new(p))).map(|(id, _)| id).collect();
        for id in &gone {
            self.conn.execute("DELETE FROM tracks WHERE id = ?1", params![id]).map_err(self.err())?;
        }
        Ok(gone.len())
    }

    fn predictions_of(&self, id: i64) -> Result<Vec<(String, f32)>> {
        let mut st = self.conn.prepare_cached("SELECT label, probability FROM predictions WHERE track_id = ?1 ORDER BY probability DESC, label").map_err(self.err())?;
        let rows = st.query_map(params![id], |r| Ok((r.get::<_, String>(0)?, r.get::<_, f64>(1)? as f32))).map_err(self.err())?;
        rows.collect::<std::result::Result<_, _>>().map_err(self.err())
    }

    fn select_tracks(&self, filter: &str, param: Option<&dyn rusqlite::ToSql>) -> Result<Vec<Track>> {
        let sql = format!("SELECT id, path, title, artist, label, duration, error, album, genre, track_number, year FROM tracks {filter} ORDER BY path");
        let mut st = self.conn.prepare(&sql).map_err(self.err())?;
        let map = |r: &rusqlite::Row| {
            Ok(Track {
                id: r.get(0)?,
                path: PathBuf::from(r.get::<_, String>(1)?),
                title: r.get(2)?,
                artist: r.get(3)?,
                label: r.get(4)?,
                duration: r.get(5)?,
                error: r.get(6)?,
                album: r.get(7)?,
                genre: r.get(8)?,
                track_number: r.get(9)?,
                year: r.get(10)?,
                predictions: Vec::new(),
            })
        };
        let rows: Vec<Track> = match param {
            Some(p) => st.query_map([p], map),
            None => st.query_map([], map),
        }
        .map_err(self.err())?
        .collect::<std::result::Result<_, _>>()
        .map_err(self.err())?;
        rows.into_iter()
            .map(|mut t| {
                t.predictions = self.predictions_of(t.id)?;
                Ok(t)
            })
            .collect()
    }

    /// Every track, failed ones included, by path.
    pub fn tracks(&self) -> Result<Vec<Track>> {
        self.select_tracks("", None)
    }

    /// How many tracks are stored, failed ones included.
    pub fn track_count(&self) -> Result<usize> {
        self.conn.query_row("SELECT count(*) FROM tracks", [], |r| r.get::<_, i64>(0)).map(|n| n as usize).map_err(self.err())
    }

    /// The track stored for `path`, if any.
    pub fn track_by_path(&self, path: &Path) -> Result<Option<Track>> {
        let p = path.to_string_lossy().into_owned();
        Ok(self.select_tracks("WHERE path = ?1", Some(&p))?.into_iter().next())
    }

    /// The track with row id `id`.
    pub fn track(&self, id: i64) -> Result<Track> {
        self.select_tracks("WHERE id = ?1", Some(&id))?.into_iter().next().ok_or_else(|| LibraryError::Query(format!("no track with id {id}")))
    }

    /// Everything stored about track `id`: its tags, genres, the model's tags, the kinds and
    /// lengths of its embeddings, and when it was analysed.
    ///
    /// # Errors
    /// [`LibraryError::Query`] if there is no such track.
    ///
    /// # Example
    /// ```
    /// use genrecast_library::{Library, TrackRecord};
    /// let dir = tempfile::tempdir()?;
    /// let mut lib = Library::open(&dir.path().join("library.sqlite"))?;
    /// let mut r = TrackRecord::new(dir.path().join("a.mp3"), 1, 0);
    /// r.embeddings.push(("summary".into(), vec![0.0; 90]));
    /// let id = lib.store(&r)?;
    /// assert_eq!(lib.details(id)?.embeddings[0].dims, 90);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn details(&self, id: i64) -> Result<TrackDetails> {
        let track = self.track(id)?;
        let (size, mtime_ns, indexed_at, model) = self
            .conn
            .query_row("SELECT size, mtime_ns, indexed_at, model FROM tracks WHERE id = ?1", params![id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .map_err(self.err())?;
        let mut st = self.conn.prepare_cached("SELECT tag, probability FROM tags WHERE track_id = ?1 ORDER BY probability DESC, tag").map_err(self.err())?;
        let tags = st.query_map(params![id], |r| Ok((r.get::<_, String>(0)?, r.get::<_, f64>(1)? as f32))).map_err(self.err())?.collect::<std::result::Result<_, _>>().map_err(self.err())?;
        let mut st = self.conn.prepare_cached("SELECT kind, length(vector) / 4 FROM embeddings WHERE track_id = ?1 ORDER BY kind").map_err(self.err())?;
        let embeddings = st.query_map(params![id], |r| Ok(EmbeddingInfo { kind: r.get(0)?, dims: r.get::<_, i64>(1)? as usize })).map_err(self.err())?.collect::<std::result::Result<_, _>>().map_err(self.err())?;
        Ok(TrackDetails { track, size, mtime_ns, indexed_at, model, tags, embeddings })
    }

    /// The model the library's tracks were analysed with (the most recent one).
    pub fn model(&self) -> Result<Option<String>> {
        self.conn.query_row("SELECT model FROM tracks WHERE model IS NOT NULL ORDER BY indexed_at DESC LIMIT 1", [], |r| r.get(0)).optional().map_err(self.err())
    }

    /// Embeddings of one kind, by track id, scaled by `scale` (`None`: as stored).
    ///
    /// The scale comes from outside the library (the model's card for `model` embeddings, a
    /// fixed one for `summary`), never from the library's own tracks: then the distance
    /// between two songs is the same in every library that holds them. Tracks whose embedding
    /// has another length than the first's (analysed with another model) are left out.
    ///
    /// # Errors
    /// [`LibraryError::Query`] when the scale's length is not the embeddings'.
    ///
    /// # Example
    /// ```
    /// use genrecast_library::{Library, Standardizer, TrackRecord};
    /// let dir = tempfile::tempdir()?;
    /// let mut lib = Library::open(&dir.path().join("library.sqlite"))?;
    /// let mut r = TrackRecord::new(dir.path().join("a.mp3"), 1, 0);
    /// r.embeddings.push(("summary".into(), vec![3.0, 30.0]));
    /// lib.store(&r)?;
    /// let scale = Standardizer { mean: vec![1.0, 10.0], std: vec![2.0, 10.0] };
    /// assert_eq!(lib.scaled_embeddings("summary", Some(&scale))?[0].1, [1.0, 2.0]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn scaled_embeddings(&self, kind: &str, scale: Option<&Standardizer>) -> Result<Embeddings> {
        let mut all = self.embeddings(kind)?;
        let d = all.first().map_or(0, |e| e.1.len());
        all.retain(|e| e.1.len() == d);
        if let Some(scale) = scale.filter(|_| d > 0) {
            if scale.mean.len() != d {
                return Err(LibraryError::Query(format!("the library's '{kind}' embeddings have {d} dimensions, their scale {} (analysed with another model? re-index with this one)", scale.mean.len())));
            }
            for (_, v) in &mut all {
                scale.transform_in_place(v);
            }
        }
        Ok(all)
    }

    /// Embeddings of one kind, by track id, as stored.
    pub fn embeddings(&self, kind: &str) -> Result<Vec<(i64, Vec<f32>)>> {
        let mut st = self.conn.prepare("SELECT track_id, vector FROM embeddings WHERE kind = ?1 ORDER BY track_id").map_err(self.err())?;
        let rows = st.query_map(params![kind], |r| Ok((r.get::<_, i64>(0)?, from_blob(&r.get::<_, Vec<u8>>(1)?)))).map_err(self.err())?;
        rows.collect::<std::result::Result<_, _>>().map_err(self.err())
    }

    /// The `k` tracks nearest track `id` in embedding `kind`, never the track itself nor
    /// another file of identical embedding (a copy of the same audio).
    ///
    /// # Errors
    /// [`LibraryError::Query`] if the track has no embedding of that kind.
    pub fn similar(&self, id: i64, kind: &str, scale: Option<&Standardizer>, k: usize, metric: Metric) -> Result<Vec<(Track, f32)>> {
        let all = self.scaled_embeddings(kind, scale)?;
        let query = all.iter().find(|(i, _)| *i == id).map(|(_, v)| v.clone()).ok_or_else(|| LibraryError::Query(format!("track {id} has no '{kind}' embedding (was it analysed?)")))?;
        let copies: Vec<i64> = all.iter().filter(|(_, v)| *v == query).map(|(i, _)| *i).collect();
        nearest(&query, &all, k, metric, &copies).into_iter().map(|(i, d)| Ok((self.track(i)?, d))).collect()
    }

    /// The `k` tracks nearest an embedding `query` as analysed (e.g. of a file outside the
    /// library; it is scaled by `scale` as the library's are), leaving out `exclude` and any
    /// track whose embedding is the query's own (the same song).
    pub fn similar_to(&self, query: &[f32], kind: &str, scale: Option<&Standardizer>, k: usize, metric: Metric, exclude: &[i64]) -> Result<Vec<(Track, f32)>> {
        let all = self.scaled_embeddings(kind, scale)?;
        let mut q = query.to_vec();
        if let Some(d) = all.first().map(|e| e.1.len()).filter(|&d| d != q.len()) {
            return Err(LibraryError::Query(format!("a {}-d '{kind}' query against {d}-d library embeddings (another model?)", q.len())));
        }
        if let Some(scale) = scale {
            scale.transform_in_place(&mut q);
        }
        // The query song itself, if the library holds it (under another path, or uploaded):
        // never its own neighbour, as in `similar`.
        let mut exclude = exclude.to_vec();
        exclude.extend(all.iter().filter(|(_, v)| *v == q).map(|(i, _)| *i));
        nearest(&q, &all, k, metric, &exclude).into_iter().map(|(i, d)| Ok((self.track(i)?, d))).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn points(xs: &[f32]) -> Vec<(i64, Vec<f32>)> {
        xs.iter().enumerate().map(|(i, x)| (i as i64 + 1, vec![*x])).collect()
    }

    fn ids(list: &[(i64, f32)]) -> Vec<i64> {
        list.iter().map(|e| e.0).collect()
    }

    /// Two seeds on a line of points at 0, 1, 2, 10, 11, 12: 5 places are shared 3 and 2;
    /// each walk goes to the nearest unplayed point, the second seed's entry carries the jump
    /// from the last track (2 to 12: 10), and neither seed is listed twice.
    #[test]
    fn a_playlist_walks_through_each_seed_in_turn() {
        let line = points(&[0.0, 1.0, 2.0, 10.0, 11.0, 12.0]);
        let list = playlist_through(&[line[0].clone(), line[5].clone()], &line, 5, Metric::Euclidean, &[]);
        assert_eq!(ids(&list), [1, 2, 3, 6, 5]);
        assert_eq!(list.iter().map(|e| e.1).collect::<Vec<_>>(), [0.0, 1.0, 1.0, 10.0, 1.0]);
        // The same seed twice is one seed; a seed outside the candidates (id -1 at 10.4) is
        // listed, and the walk goes on from it: 10 (0.4 away), then 11.
        let list = playlist_through(&[(-1, vec![10.4]), (-1, vec![10.4])], &line, 3, Metric::Euclidean, &[]);
        assert_eq!(ids(&list), [-1, 4, 5]);
        // A candidate identical to a seed is a copy of it: never its neighbour.
        let list = playlist_through(&[(-1, vec![1.0])], &line, 3, Metric::Euclidean, &[]);
        assert_eq!(ids(&list), [-1, 1, 3]);
        // A seed whose walk runs dry leaves its places to the next.
        let two = points(&[0.0, 5.0]);
        assert_eq!(ids(&playlist_through(&[two[0].clone()], &two, 9, Metric::Euclidean, &[])), [1, 2]);
    }

    /// Artists a, a, b, b, c along a line: with no repeat of the last track's artist the walk
    /// from 1 skips 2 (a, like 1) for 3; within 2, a track may not repeat either of the two
    /// before it.
    #[test]
    fn spacing_keeps_artists_apart() {
        let line = points(&[0.0, 1.0, 2.0, 3.0, 4.0]);
        let artist: HashMap<i64, String> = [(1, "a"), (2, "a"), (3, "b"), (4, "b"), (5, "c")].into_iter().map(|(i, a)| (i, a.to_string())).collect();
        let free = playlist_through(&line[..1], &line, 5, Metric::Euclidean, &[]);
        assert_eq!(ids(&free), [1, 2, 3, 4, 5]);
        let rule = |within| [Spacing { group: artist.clone(), within }];
        // 1(a) 3(b) 2(a) 4(b) 5(c): no two neighbours share an artist.
        assert_eq!(ids(&playlist_through(&line[..1], &line, 5, Metric::Euclidean, &rule(1))), [1, 3, 2, 4, 5]);
        // Within 2: after 1(a) 3(b), both 2(a) and 4(b) clash, so 5(c); then 2(a), then 4(b).
        assert_eq!(ids(&playlist_through(&line[..1], &line, 5, Metric::Euclidean, &rule(2))), [1, 3, 5, 2, 4]);
        // Tracks of unknown artist never clash; when none keeps the rule the walk stops.
        let lone: HashMap<i64, String> = (1..=5).map(|i| (i, "same".to_string())).collect();
        assert_eq!(ids(&playlist_through(&line[..1], &line, 5, Metric::Euclidean, &[Spacing { group: lone, within: 1 }])), [1]);
        let unknown = Spacing { group: HashMap::new(), within: 3 };
        assert_eq!(ids(&playlist_through(&line[..1], &line, 5, Metric::Euclidean, &[unknown])), [1, 2, 3, 4, 5]);
    }

    /// A library of schema version 1 (no file tags) opens: the tag columns are added, its
    /// tracks are kept and marked changed so that the next `index` stores their tags; a
    /// library of a version from the future is refused.
    #[test]
    fn version_1_libraries_are_brought_up_to_date() {
        let dir = tempfile::tempdir().expect("tmp");
        let db = dir.path().join("v1.sqlite");
        {
            let conn = Connection::open(&db).expect("sqlite");
            let v1 = SCHEMA.replace(",\n    album TEXT,\n    genre TEXT,\n    track_number INTEGER,\n    year INTEGER\n", "\n");
            assert!(!v1.contains("album"), "the version 1 table");
            conn.execute_batch(&v1).expect("v1 schema");
            conn.execute("INSERT INTO meta (key, value) VALUES ('schema', '1')", []).expect("meta");
            conn.execute("INSERT INTO tracks (path, size, mtime_ns, title, indexed_at) VALUES ('/music/a.flac', 100, 7, 'a', 0)", []).expect("row");
        }
        let lib = Library::open(&db).expect("a version 1 library opens");
        let tracks = lib.tracks().expect("tracks");
        assert_eq!(tracks.len(), 1);
        assert_eq!((tracks[0].title.as_deref(), tracks[0].album.as_deref()), (Some("a"), None));
        assert_eq!(lib.status(Path::new("/music/a.flac"), 100, 7).expect("status"), FileStatus::Changed);
        drop(lib);
        Connection::open(&db).expect("sqlite").execute("UPDATE meta SET value = '3' WHERE key = 'schema'", []).expect("future");
        assert!(matches!(Library::open(&db), Err(LibraryError::Format { .. })));
    }
}
