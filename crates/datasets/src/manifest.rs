//! A CSV manifest: one row per file, a `path` column (relative to the CSV), a label column and,
//! optionally, group (clip, artist) and split columns.

use std::path::{Path, PathBuf};

use crate::error::{io, parse_error, Result};
use crate::split::Side;
use crate::track::{Dataset, DatasetKind, Track};

/// Which columns of a manifest mean what.
#[derive(Clone, Debug, PartialEq)]
pub struct ManifestOptions {
    /// The column of file paths (relative to the CSV's folder, or absolute). Default `path`.
    pub path_column: String,
    /// The label column. Default `genre`.
    pub label_column: String,
    /// Split a label cell on this character into several labels (tagging), e.g. `|`.
    pub label_separator: Option<char>,
    /// The recording id column; default: the first of `clip`, `track_id`, `id` present, else
    /// the path.
    pub clip_column: Option<String>,
    /// The artist column; default `artist` if present.
    pub artist_column: Option<String>,
    /// The split column; default: `split`, `set` or a column ending in `_split`/`_set`.
    pub split_column: Option<String>,
    /// Read the label column as numbers (play counts, years, ...) and cut them into this many
    /// classes of equal size, `q01` (lowest) to `q10` for deciles: `pandas.qcut` with ties
    /// merged (see [`genrecast_eval::quantile_edges`]).
    pub label_quantiles: Option<usize>,
}

impl Default for ManifestOptions {
    fn default() -> Self {
        Self { path_column: "path".into(), label_column: "genre".into(), label_separator: None, clip_column: None, artist_column: None, split_column: None, label_quantiles: None }
    }
}

/// Reads a CSV manifest.
///
/// # Errors
/// A parse error naming the column when a named column is missing, or the line of a bad row.
///
/// # Example
/// ```
/// use genrecast_datasets::{load_manifest, ManifestOptions};
/// let dir = tempfile::tempdir()?;
/// let csv = dir.path().join("m.csv");
/// std::fs::write(&csv, "path,style,artist\na.wav,jazz,x\nb.wav,rock,y\n")?;
/// let opts = ManifestOptions { label_column: "style".into(), ..Default::default() };
/// let ds = load_manifest(&csv, &opts)?;
/// assert_eq!(ds.labels, ["jazz", "rock"]);
/// assert_eq!(ds.tracks[0].artist.as_deref(), Some("x"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn load_manifest(csv_path: &Path, opts: &ManifestOptions) -> Result<Dataset> {
    let dir = csv_path.parent().unwrap_or(Path::new("."));
    let file = std::fs::File::open(csv_path).map_err(io(csv_path))?;
    let mut reader = csv::ReaderBuilder::new().flexible(false).trim(csv::Trim::All).from_reader(file);
    let headers: Vec<String> = reader.headers().map_err(|e| parse_error(csv_path, Some(1), e.to_string()))?.iter().map(str::to_string).collect();
    let find = |name: &str| headers.iter().position(|h| h == name);
    let required = |name: &str| find(name).ok_or_else(|| parse_error(csv_path, Some(1), format!("no column '{name}' (columns: {})", headers.join(", "))));
    let optional = |given: &Option<String>, defaults: &[&str]| -> Result<Option<usize>> {
        match given {
            Some(name) => required(name).map(Some),
            None => Ok(defaults.iter().find_map(|d| find(d))),
        }
    };
    let path_col = required(&opts.path_column)?;
    let label_col = required(&opts.label_column)?;
    let clip_col = optional(&opts.clip_column, &["clip", "track_id", "id"])?;
    let artist_col = optional(&opts.artist_column, &["artist", "artist_id"])?;
    let split_col = match &opts.split_column {
        Some(name) => Some(required(name)?),
        None => ["split", "set"].iter().find_map(|d| find(d)).or_else(|| headers.iter().position(|h| h.ends_with("_split") || h.ends_with("_set"))),
    };
    if opts.label_quantiles == Some(0) || (opts.label_quantiles.is_some() && opts.label_separator.is_some()) {
        return Err(parse_error(csv_path, None, "quantile classes need a single numeric label per row and at least one class"));
    }
    let mut tracks = Vec::new();
    let mut numbers = Vec::new();
    let mut unlabelled = 0usize;
    for (n, row) in reader.records().enumerate() {
        let line = n as u64 + 2;
        let row = row.map_err(|e| parse_error(csv_path, Some(line), e.to_string()))?;
        let cell = |c: usize| row.get(c).unwrap_or_default();
        let rel = cell(path_col);
        if rel.is_empty() {
            return Err(parse_error(csv_path, Some(line), "empty path"));
        }
        let label = cell(label_col);
        let labels: Vec<String> = match opts.label_separator {
            Some(sep) => label.split(sep).map(str::trim).filter(|l| !l.is_empty()).map(str::to_string).collect(),
            None if label.is_empty() => vec![],
            None => vec![label.to_string()],
        };
        if labels.is_empty() && opts.label_separator.is_none() {
            unlabelled += 1;
            continue;
        }
        if opts.label_quantiles.is_some() {
            match label.parse::<f64>() {
                Ok(v) if v.is_finite() => numbers.push(v),
                _ => return Err(parse_error(csv_path, Some(line), format!("'{label}' in '{}' is not a number (quantile classes)", opts.label_column))),
            }
        }
        let path = if Path::new(rel).is_absolute() { PathBuf::from(rel) } else { dir.join(rel) };
        let opt = |c: Option<usize>| c.map(cell).filter(|s| !s.is_empty()).map(str::to_string);
        let split = opt(split_col).map(|s| Side::parse(&s).map_or(s, |x| x.name().to_string()));
        tracks.push(Track { path, clip: opt(clip_col).unwrap_or_else(|| rel.to_string()), labels, artist: opt(artist_col), split, variant: opt(find("variant")) });
    }
    let mut notes = Vec::new();
    if unlabelled > 0 {
        notes.push(format!("{unlabelled} rows with an empty '{}' were left out", opts.label_column));
    }
    if let Some(n) = opts.label_quantiles {
        let edges = genrecast_eval::quantile_edges(&numbers, n);
        let classes = edges.len().saturating_sub(1).max(1);
        for (track, &v) in tracks.iter_mut().zip(&numbers) {
            let class = genrecast_eval::quantile_class(&edges, v).unwrap_or(0);
            track.labels = vec![format!("q{:02}", class + 1)];
        }
        let shown: Vec<String> = edges.iter().map(|e| format!("{e}")).collect();
        let merged = if classes < n { format!(" ({n} asked; ties merged the rest)") } else { String::new() };
        notes.push(format!("'{}' cut into {classes} quantile classes{merged}, q01 lowest, at edges {}", opts.label_column, shown.join(", ")));
    }
    Ok(Dataset::new(DatasetKind::Manifest, csv_path.to_path_buf(), tracks, opts.label_separator.is_some(), notes))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A numeric column cut into quartiles: the classes `pandas.qcut(plays, 4, labels=False)`
    /// gives (1, 0, 2, 0, 3, 1, 2, 1, 3, 0, 3, run by hand), one up, as q01..q04.
    #[test]
    fn play_counts_become_quantile_classes() {
        let dir = tempfile::tempdir().expect("tmp");
        let csv = dir.path().join("m.csv");
        let plays = ["3.5", "1", "7.25", "2", "9", "4", "6", "5.5", "8", "0.5", "10"];
        let mut text = String::from("path,plays\n");
        for (i, p) in plays.iter().enumerate() {
            text.push_str(&format!("s{i}.mp3,{p}\n"));
        }
        text.push_str("unplayed.mp3,\n");
        std::fs::write(&csv, text).expect("write");
        let opts = ManifestOptions { label_column: "plays".into(), label_quantiles: Some(4), ..Default::default() };
        let ds = load_manifest(&csv, &opts).expect("manifest");
        let got: Vec<&str> = ds.tracks.iter().map(|t| t.labels[0].as_str()).collect();
        assert_eq!(got, ["q02", "q01", "q03", "q01", "q04", "q02", "q03", "q02", "q04", "q01", "q04"]);
        assert_eq!(ds.labels, ["q01", "q02", "q03", "q04"]);
        assert!(ds.notes.iter().any(|n| n.contains("4 quantile classes")), "{:?}", ds.notes);
        std::fs::write(&csv, "path,plays\na.mp3,many\n").expect("write");
        let err = load_manifest(&csv, &opts).expect_err("not a number").to_string();
        assert!(err.contains("line 2") && err.contains("'many'"), "{err}");
    }
}
