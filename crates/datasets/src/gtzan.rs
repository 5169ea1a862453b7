//! GTZAN (Tzanetakis & Cook 2002): `<genre>/<genre>.NNNNN.{au,wav,flac}`, possibly under
//! variant folders (`full_22k/blues/blues.00000.flac`), with the split lists MIR people use:
//! Kereliuk/Sturm's artist-filtered `*_filtered.txt`, the `*_stratified.txt` lists, Foleis'
//! 3 artist-filtered folds (with artist ids) and the 10-fold json lists.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use crate::error::{parse_error, Error, Result};
use crate::lists::text_lines;
use crate::split::Fold;
use crate::track::{Dataset, DatasetKind, Track};
use crate::walk::{audio_files, relative};

/// GTZAN's ten genres.
pub const GTZAN_GENRES: [&str; 10] = ["blues", "classical", "country", "disco", "hiphop", "jazz", "metal", "pop", "reggae", "rock"];

/// The split schemes [`gtzan_folds`] knows.
pub const GTZAN_SPLITS: [&str; 4] = ["filtered", "stratified", "folds3", "ipet10"];

/// The clip id (`blues.00012`) in any of the spellings split files use: `blues/blues.00012.wav`,
/// `./blues_00012.wav`, `/DB/GTZAN/genres_original_16k/blues/blues.00012.wav`.
pub fn clip_id(name: &str) -> Option<String> {
    let file = name.rsplit(['/', '\\']).next()?;
    let stem = file.split('.').take(2).collect::<Vec<_>>();
    let (genre, number) = match stem.as_slice() {
        [g, n] if n.len() == 5 && n.bytes().all(|b| b.is_ascii_digit()) => (g.to_string(), n.to_string()),
        [gn, _] | [gn] => {
            let (g, n) = gn.split_once('_')?;
            (g.to_string(), n.to_string())
        }
        _ => return None,
    };
    (GTZAN_GENRES.contains(&genre.as_str()) && number.len() == 5 && number.bytes().all(|b| b.is_ascii_digit()))
        .then(|| format!("{genre}.{number}"))
}

/// Reads a GTZAN tree: every `<genre>/<genre>.NNNNN.<audio>` under `root`. The folder between
/// `root` and the genre folder, if any, is the file's variant. Split lists are looked for in
/// `root/splits`: the filtered lists set each file's `split`, and Foleis' fold files give the
/// artist ids.
///
/// # Errors
/// [`Error::Layout`] when no GTZAN file is found; [`Error::Io`]/[`Error::Parse`] for unreadable
/// or malformed split files.
pub fn load_gtzan(root: &Path) -> Result<Dataset> {
    let mut tracks = Vec::new();
    let mut notes = Vec::new();
    let mut ignored = 0usize;
    for path in audio_files(root)? {
        let genre_dir = path.parent().and_then(|p| p.file_name()).map(|n| n.to_string_lossy().into_owned());
        let Some(clip) = clip_id(&path.to_string_lossy()) else {
            ignored += 1;
            continue;
        };
        let genre = clip.split('.').next().unwrap_or_default().to_string();
        if genre_dir.as_deref() != Some(genre.as_str()) {
            notes.push(format!("{}: file named as {genre} in a folder named {}; labelled by its folder's name is ambiguous, taken as {genre}", relative(&path, root), genre_dir.unwrap_or_default()));
        }
        let rel = relative(&path, root);
        let parts: Vec<&str> = rel.split('/').collect();
        let variant = (parts.len() > 2).then(|| parts[..parts.len() - 2].join("/"));
        tracks.push(Track { path, clip, labels: vec![genre], artist: None, split: None, variant });
    }
    if tracks.is_empty() {
        return Err(Error::Layout { path: root.to_path_buf(), message: "no GTZAN files (<genre>/<genre>.NNNNN.<au|wav|flac>) found".into() });
    }
    if ignored > 0 {
        notes.push(format!("{ignored} audio files not named <genre>.NNNNN were ignored"));
    }
    annotate_from_splits(root, &mut tracks, &mut notes)?;
    Ok(Dataset::new(DatasetKind::Gtzan, root.to_path_buf(), tracks, false, notes))
}

/// Sets each track's artist (Foleis' fold files) and filtered-list side from `root/splits`.
fn annotate_from_splits(root: &Path, tracks: &mut [Track], notes: &mut Vec<String>) -> Result<()> {
    let splits = root.join("splits");
    if splits.is_dir() {
        let artists = foleis_artists(&splits.join("sturm_filter_3folds_foleiss"))?;
        let mut filtered = HashMap::new();
        for side in ["train", "valid", "test"] {
            let list = splits.join(format!("{side}_filtered.txt"));
            if list.is_file() {
                for clip in read_clip_list(&list)? {
                    filtered.insert(clip, side);
                }
            }
        }
        for t in tracks.iter_mut() {
            t.artist = artists.get(&t.clip).map(|a| format!("gtzan-artist-{a}"));
            t.split = filtered.get(&t.clip).map(|s| s.to_string());
        }
        if artists.is_empty() {
            notes.push("no Foleis fold files: artists unknown, artist-grouped splits fall back to clips".into());
        }
    } else {
        notes.push(format!("no split lists ({}): artists and filtered split unknown", splits.display()));
    }
    Ok(())
}

/// GTZAN as a precomputed feature table (Kaggle's `features_30_sec.csv`: a `filename` column
/// such as `blues.00000.wav`, feature columns, a `label` column), with the artists and split
/// lists of the GTZAN folder `root`, so that every GTZAN split applies to the table's rows.
/// The returned dataset's tracks point at the table; `rows[i]` holds track `i`'s features,
/// whose names are `columns`. Columns named in `drop` are left out (`length` betrays a clip's
/// duration).
///
/// # Errors
/// [`Error::Parse`] naming the line of a malformed row or a non-numeric value.
pub fn load_gtzan_table(root: &Path, table: &Path, drop: &[&str]) -> Result<(Dataset, FeatureTable)> {
    let file = std::fs::File::open(table).map_err(crate::error::io(table))?;
    let mut reader = csv::ReaderBuilder::new().trim(csv::Trim::All).from_reader(file);
    let headers: Vec<String> = reader.headers().map_err(|e| parse_error(table, Some(1), e.to_string()))?.iter().map(str::to_string).collect();
    let id_col = headers.iter().position(|h| h == "filename").ok_or_else(|| parse_error(table, Some(1), "no 'filename' column"))?;
    let label_col = headers.iter().position(|h| h == "label").ok_or_else(|| parse_error(table, Some(1), "no 'label' column"))?;
    let feature_cols: Vec<usize> = (0..headers.len()).filter(|&i| i != id_col && i != label_col && !drop.contains(&headers[i].as_str())).collect();
    let mut tracks = Vec::new();
    let mut rows = Vec::new();
    for (n, record) in reader.records().enumerate() {
        let line = n as u64 + 2;
        let record = record.map_err(|e| parse_error(table, Some(line), e.to_string()))?;
        let name = record.get(id_col).unwrap_or_default();
        let clip = clip_id(name).ok_or_else(|| parse_error(table, Some(line), format!("'{name}' is not a GTZAN file name")))?;
        let values = feature_cols
            .iter()
            .map(|&c| {
                let v = record.get(c).unwrap_or_default();
                v.parse::<f32>().ok().filter(|x| x.is_finite()).ok_or_else(|| parse_error(table, Some(line), format!("column {}: '{v}' is not a finite number", headers[c])))
            })
            .collect::<Result<Vec<f32>>>()?;
        let label = record.get(label_col).unwrap_or_default().to_string();
        tracks.push(Track { path: table.to_path_buf(), clip, labels: vec![label], artist: None, split: None, variant: Some("table".into()) });
        rows.push(values);
    }
    let mut notes = Vec::new();
    annotate_from_splits(root, &mut tracks, &mut notes)?;
    let columns = feature_cols.iter().map(|&c| headers[c].clone()).collect();
    Ok((Dataset::new(DatasetKind::Gtzan, root.to_path_buf(), tracks, false, notes), FeatureTable { columns, rows }))
}

/// Precomputed features, one row per track of the dataset loaded with them.
#[derive(Clone, Debug, PartialEq)]
pub struct FeatureTable {
    /// Feature names, in row order.
    pub columns: Vec<String>,
    /// One row per track.
    pub rows: Vec<Vec<f32>>,
}

/// Clip ids of a GTZAN list file (first field of each line).
fn read_clip_list(path: &Path) -> Result<Vec<String>> {
    text_lines(path)?
        .into_iter()
        .map(|(n, line)| {
            let name = line.split('\t').next().unwrap_or_default().trim();
            clip_id(name).ok_or_else(|| parse_error(path, Some(n), format!("'{name}' is not a GTZAN file name")))
        })
        .collect()
}

/// Artist id of each clip from Foleis' `f*_{train,evaluate}_groups.txt` (`./blues_00012.wav<TAB>1`).
fn foleis_artists(dir: &Path) -> Result<HashMap<String, String>> {
    let mut artists: HashMap<String, String> = HashMap::new();
    if !dir.is_dir() {
        return Ok(artists);
    }
    for fold in 1..=3 {
        for side in ["train", "evaluate"] {
            let path = dir.join(format!("f{fold}_{side}_groups.txt"));
            if !path.is_file() {
                continue;
            }
            for (n, line) in text_lines(&path)? {
                let (name, group) = line.split_once('\t').ok_or_else(|| parse_error(&path, Some(n), "expected <file><TAB><artist id>"))?;
                let clip = clip_id(name.trim()).ok_or_else(|| parse_error(&path, Some(n), format!("'{name}' is not a GTZAN file name")))?;
                let group = group.trim().to_string();
                if let Some(old) = artists.insert(clip.clone(), group.clone()) {
                    if old != group {
                        return Err(parse_error(&path, Some(n), format!("{clip} has artist {group} here but {old} in another fold file")));
                    }
                }
            }
        }
    }
    Ok(artists)
}

/// The folds of a named GTZAN split scheme, over the tracks of `dataset` (every file of a clip
/// goes where the clip is listed). `splits_dir` holds the lists (GTZAN's `splits/` folder).
///
/// - `filtered`, `stratified`: one fold from `{train,valid,test}_<name>.txt`;
/// - `folds3`: Foleis' three artist-filtered folds (train / test);
/// - `ipet10`: the ten `gtzan_{train,eval}_data_K.json` folds.
///
/// # Errors
/// [`Error::InvalidParameter`] for an unknown name; I/O and parse errors of the lists.
pub fn gtzan_folds(dataset: &Dataset, splits_dir: &Path, name: &str) -> Result<Vec<Fold>> {
    let by_clip = clip_index(dataset);
    let mut folds = Vec::new();
    match name {
        "filtered" | "stratified" => {
            let mut fold = Fold::named(name);
            for side in ["train", "valid", "test"] {
                let list = splits_dir.join(format!("{side}_{name}.txt"));
                if !list.is_file() {
                    if side == "test" {
                        continue;
                    }
                    return Err(Error::Layout { path: list, message: "split list missing".into() });
                }
                let clips = read_clip_list(&list)?;
                fold.assign(side, &clips, &by_clip);
            }
            folds.push(fold);
        }
        "folds3" => {
            let dir = splits_dir.join("sturm_filter_3folds_foleiss");
            for k in 1..=3 {
                let mut fold = Fold::named(&format!("folds3/{k}"));
                for (file, side) in [("train", "train"), ("evaluate", "test")] {
                    let clips = read_clip_list(&dir.join(format!("f{k}_{file}.txt")))?;
                    fold.assign(side, &clips, &by_clip);
                }
                folds.push(fold);
            }
        }
        "ipet10" => {
            let dir = splits_dir.join("ipet_10fold");
            for k in 1..=10 {
                let mut fold = Fold::named(&format!("ipet10/{k}"));
                for (file, side) in [("train", "train"), ("eval", "test")] {
                    let clips = read_ipet_json(&dir.join(format!("gtzan_{file}_data_{k}.json")))?;
                    fold.assign(side, &clips, &by_clip);
                }
                folds.push(fold);
            }
        }
        other => {
            return Err(Error::InvalidParameter(format!("unknown GTZAN split '{other}' (known: {})", GTZAN_SPLITS.join(", "))));
        }
    }
    Ok(folds)
}

fn read_ipet_json(path: &Path) -> Result<Vec<String>> {
    #[derive(serde::Deserialize)]
    struct Item {
        wav: String,
    }
    #[derive(serde::Deserialize)]
    struct List {
        data: Vec<Item>,
    }
    let bytes = std::fs::read(path).map_err(crate::error::io(path))?;
    let list: List = serde_json::from_slice(&bytes).map_err(|e| parse_error(path, Some(e.line() as u64), e.to_string()))?;
    list.data
        .into_iter()
        .map(|i| clip_id(&i.wav).ok_or_else(|| parse_error(path, None, format!("'{}' is not a GTZAN file name", i.wav))))
        .collect()
}

/// Track indices of every clip.
pub(crate) fn clip_index(dataset: &Dataset) -> BTreeMap<String, Vec<usize>> {
    let mut map: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, t) in dataset.tracks.iter().enumerate() {
        map.entry(t.clip.clone()).or_default().push(i);
    }
    map
}

/// The default place of GTZAN's split lists.
pub fn default_splits_dir(root: &Path) -> PathBuf {
    root.join("splits")
}

#[cfg(test)]
mod tests {
    use super::clip_id;

    #[test]
    fn clip_ids_in_every_spelling() {
        for name in ["blues/blues.00012.wav", "./blues_00012.wav", "/DB/GTZAN/genres_original_16k/blues/blues.00012.wav", "blues.00012.au"] {
            assert_eq!(clip_id(name).as_deref(), Some("blues.00012"), "{name}");
        }
        assert_eq!(clip_id("polka.00001.wav"), None);
        assert_eq!(clip_id("blues.12.wav"), None);
    }
}
