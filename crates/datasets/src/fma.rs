//! The Free Music Archive (Defferrard et al. 2017): mp3s in `NNN/NNNNNN.mp3` (under
//! `fma_small/`, `fma_medium/`, ...) joined by track id with metadata: the official
//! `fma_metadata/tracks.csv` (three header rows), a labels CSV (`path,track_id,genre_top,artist,
//! ...,set`) or a flat tracks CSV (`Song ID, ..., Genre, Artist ID, ..., Set`). The official
//! training/validation/test split becomes each track's `split`.

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::error::{io, parse_error, Error, Result};
use crate::split::Side;
use crate::track::{Dataset, DatasetKind, Track};
use crate::walk::{audio_files, relative};

/// What the metadata says about one track id.
#[derive(Clone, Debug, Default)]
struct Meta {
    genre: Option<String>,
    artist: Option<String>,
    split: Option<String>,
}

/// Audio folders of an FMA root, in preference order.
const AUDIO_DIRS: [&str; 4] = ["fma_small", "fma_medium", "fma_large", "fma_full"];

/// Whether `dir` looks like an FMA root or audio folder.
pub(crate) fn looks_like_fma(dir: &Path) -> bool {
    AUDIO_DIRS.iter().any(|d| dir.join(d).is_dir())
        || dir.join("fma_metadata").is_dir()
        || dir.join("000").is_dir() && std::fs::read_dir(dir.join("000")).is_ok_and(|mut r| {
            r.any(|e| e.is_ok_and(|e| track_id(&e.path()).is_some()))
        })
}

/// The track id of `NNN/NNNNNN.mp3`.
fn track_id(path: &Path) -> Option<u64> {
    let stem = path.file_stem()?.to_str()?;
    (stem.len() == 6 && stem.bytes().all(|b| b.is_ascii_digit())).then(|| stem.parse().ok()).flatten()
}

/// Reads an FMA tree at `root` (the folder holding `fma_small/` and the metadata, or an audio
/// folder itself, with the metadata beside it).
///
/// # Errors
/// [`Error::Layout`] when there is no audio or no metadata; parse errors of the CSVs.
pub fn load_fma(root: &Path) -> Result<Dataset> {
    let audio_root: PathBuf = AUDIO_DIRS.iter().map(|d| root.join(d)).find(|p| p.is_dir()).unwrap_or_else(|| root.to_path_buf());
    let meta_dir = if audio_root == root { root.parent().unwrap_or(root).to_path_buf() } else { root.to_path_buf() };
    let candidates = [
        root.join("fma_metadata/tracks.csv"),
        meta_dir.join("fma_metadata/tracks.csv"),
        root.join("tracks.csv"),
        root.join("labels.csv"),
        meta_dir.join("labels.csv"),
        root.join("fma_small_tracks.csv"),
        meta_dir.join("fma_small_tracks.csv"),
    ];
    let meta_path = candidates.iter().find(|p| p.is_file()).ok_or_else(|| Error::Layout {
        path: root.to_path_buf(),
        message: "no FMA metadata (fma_metadata/tracks.csv, labels.csv or fma_small_tracks.csv)".into(),
    })?;
    let meta = read_metadata(meta_path)?;
    let mut notes = vec![format!("metadata from {}", meta_path.display())];
    let (mut tracks, mut unlabelled, mut unknown) = (Vec::new(), 0usize, 0usize);
    let files = audio_files(&audio_root)?;
    for path in &files {
        let Some(id) = track_id(path) else { continue };
        let Some(m) = meta.get(&id) else {
            unknown += 1;
            continue;
        };
        let Some(genre) = m.genre.clone() else {
            unlabelled += 1;
            continue;
        };
        tracks.push(Track {
            path: path.clone(),
            clip: id.to_string(),
            labels: vec![genre],
            artist: m.artist.clone(),
            split: m.split.clone(),
            variant: path.parent().and_then(|p| p.parent()).map(|p| relative(p, root)).filter(|v| !v.is_empty()),
        });
    }
    if tracks.is_empty() {
        return Err(Error::Layout { path: audio_root, message: format!("no NNN/NNNNNN.mp3 file with a genre in {}", meta_path.display()) });
    }
    if unknown > 0 {
        notes.push(format!("{unknown} audio files have no metadata row and were left out"));
    }
    if unlabelled > 0 {
        notes.push(format!("{unlabelled} audio files have no top genre and were left out"));
    }
    if meta.len() > tracks.len() + unlabelled {
        notes.push(format!("{} metadata rows have no audio file here", meta.len() - tracks.len() - unlabelled));
    }
    Ok(Dataset::new(DatasetKind::Fma, root.to_path_buf(), tracks, false, notes))
}

fn read_metadata(path: &Path) -> Result<HashMap<u64, Meta>> {
    let mut text = String::new();
    std::fs::File::open(path).and_then(|mut f| f.read_to_string(&mut text)).map_err(io(path))?;
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text.as_bytes());
    let rows: Vec<csv::StringRecord> =
        reader.records().collect::<std::result::Result<_, _>>().map_err(|e| parse_error(path, e.position().map(|p| p.line()), e.to_string()))?;
    let first = rows.first().ok_or_else(|| parse_error(path, Some(1), "empty file"))?;
    // The official tracks.csv: row 0 = top-level names, row 1 = sub-names, row 2 = "track_id".
    let official = rows.len() >= 3 && rows[2].get(0) == Some("track_id");
    let (names, body): (Vec<String>, &[csv::StringRecord]) = if official {
        let mut top = String::new();
        let names = rows[0]
            .iter()
            .zip(rows[1].iter())
            .map(|(t, s)| {
                if !t.is_empty() {
                    top = t.to_string();
                }
                format!("{top}.{s}")
            })
            .collect();
        (names, &rows[3..])
    } else {
        (first.iter().map(|s| s.trim().to_string()).collect(), &rows[1..])
    };
    let col = |options: &[&str]| options.iter().find_map(|o| names.iter().position(|n| n.eq_ignore_ascii_case(o)));
    let id_col = if official { Some(0) } else { col(&["track_id", "Song ID", "id"]) }
        .ok_or_else(|| parse_error(path, Some(1), "no track id column (track_id / Song ID)"))?;
    let genre_col = col(&["track.genre_top", "genre_top", "Genre", "genre"]).ok_or_else(|| parse_error(path, Some(1), "no genre column (genre_top / Genre)"))?;
    let artist_col = col(&["artist.id", "artist", "Artist ID", "artist_id", "Artist Name"]);
    let split_col = col(&["set.split", "set", "Set", "split"]).or_else(|| names.iter().position(|n| n.ends_with("_set")));
    let header_rows = if official { 3 } else { 1 };
    let mut out = HashMap::new();
    for (n, row) in body.iter().enumerate() {
        let line = Some((n + header_rows + 1) as u64);
        let Some(id) = row.get(id_col).map(str::trim).filter(|s| !s.is_empty()) else { continue };
        let id: u64 = id.parse().map_err(|_| parse_error(path, line, format!("track id '{id}' is not a number")))?;
        let field = |c: Option<usize>| c.and_then(|c| row.get(c)).map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
        let split = field(split_col).map(|s| Side::parse(&s).map(|x| x.name().to_string()).unwrap_or(s));
        out.insert(id, Meta { genre: field(Some(genre_col)), artist: field(artist_col), split });
    }
    Ok(out)
}

/// The outcome of [`verify_checksums`].
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct ChecksumReport {
    /// Files whose SHA-1 matches the list.
    pub ok: usize,
    /// Files whose SHA-1 differs (relative path, expected, found).
    pub mismatched: Vec<(String, String, String)>,
    /// Listed files that are not present.
    pub absent: usize,
    /// Files present but not listed.
    pub unlisted: Vec<String>,
}

/// Checks the audio files under `audio_root` against a `sha1sum`-style list (`<sha1>  <path>`,
/// as FMA's `fma_small_checksums`), reading each present file once.
///
/// # Errors
/// I/O and parse errors of the list; unreadable audio files.
pub fn verify_checksums(list: &Path, audio_root: &Path) -> Result<ChecksumReport> {
    use sha1::Digest as _;
    let mut expected: HashMap<String, String> = HashMap::new();
    for (n, line) in crate::lists::text_lines(list)? {
        let (sum, file) = line.split_once(char::is_whitespace).ok_or_else(|| parse_error(list, Some(n), "expected '<sha1>  <path>'"))?;
        expected.insert(file.trim().trim_start_matches('*').to_string(), sum.to_ascii_lowercase());
    }
    let mut report = ChecksumReport::default();
    let mut seen = 0usize;
    for path in audio_files(audio_root)? {
        let rel = relative(&path, audio_root);
        let Some(want) = expected.get(&rel) else {
            report.unlisted.push(rel);
            continue;
        };
        seen += 1;
        let bytes = std::fs::read(&path).map_err(io(&path))?;
        let got: String = sha1::Sha1::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect();
        if &got == want {
            report.ok += 1;
        } else {
            report.mismatched.push((rel, want.clone(), got));
        }
    }
    report.absent = expected.len() - seen;
    Ok(report)
}
