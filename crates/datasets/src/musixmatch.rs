//! The musiXmatch dataset: bag-of-words lyrics of Million Song Dataset tracks
//! (`mxm_dataset_train.txt`, `mxm_dataset_test.txt`; T. Bertin-Mahieux 2011), and TF-IDF
//! weighting of the bags.
//!
//! Format (UTF-8): `#` lines are comments; one `%` line lists the 5,000 stemmed words, most
//! frequent first; every other line is `track_id,mxm_track_id,idx:cnt,idx:cnt,...` with
//! `idx` 1-based into the word list. The lyrics themselves are not in the files.

use std::collections::HashMap;
use std::path::Path;

use crate::error::{io, parse_error, Result};

/// One track's bag of words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LyricsBag {
    /// Million Song Dataset track id (`TR...`).
    pub track_id: String,
    /// musiXmatch track id.
    pub mxm_id: u64,
    /// `(word index, count)`, 0-based into [`LyricsBags::words`], ascending.
    pub counts: Vec<(u32, u32)>,
}

/// The bags of one or more musiXmatch files, by track.
#[derive(Clone, Debug, Default)]
pub struct LyricsBags {
    /// The vocabulary (stemmed words), in the files' order.
    pub words: Vec<String>,
    /// The tracks, in file order.
    pub tracks: Vec<LyricsBag>,
    index: HashMap<String, usize>,
}

impl LyricsBags {
    /// Reads one or more musiXmatch files (e.g. the train and test halves), which must share
    /// their word list. A track listed twice keeps its first bag.
    ///
    /// # Errors
    /// [`crate::Error::Io`] for a file that cannot be read; [`crate::Error::Parse`] naming the file
    /// and line for a malformed line, a missing or different word list, or a word index
    /// outside it.
    pub fn read(paths: &[&Path]) -> Result<Self> {
        let mut bags = Self::default();
        for &path in paths {
            let text = std::fs::read_to_string(path).map_err(io(path))?;
            // Whether this file has given its word list yet.
            let mut listed = false;
            for (n, line) in text.lines().enumerate() {
                let line_no = Some(n as u64 + 1);
                let line = line.trim_end_matches('\r');
                if line.is_empty() || line.starts_with('#') {
                    continue;
                }
                if let Some(list) = line.strip_prefix('%') {
                    let list: Vec<String> = list.split(',').map(str::to_owned).collect();
                    if !bags.words.is_empty() && bags.words != list {
                        return Err(parse_error(path, line_no, "its word list differs from the first file's"));
                    }
                    bags.words = list;
                    listed = true;
                    continue;
                }
                if !listed {
                    return Err(parse_error(path, line_no, "a track before the %-line of words"));
                }
                let vocabulary = &bags.words;
                let mut fields = line.split(',');
                let track_id = fields.next().unwrap_or_default().to_owned();
                let mxm_id = fields.next().and_then(|f| f.parse().ok()).ok_or_else(|| parse_error(path, line_no, "no musiXmatch track id after the track id"))?;
                let mut counts = Vec::new();
                for field in fields {
                    let parsed = field.split_once(':').and_then(|(i, c)| Some((i.parse::<u32>().ok()?, c.parse::<u32>().ok()?)));
                    let Some((idx, count)) = parsed else {
                        return Err(parse_error(path, line_no, format!("'{field}' is not idx:count")));
                    };
                    if idx == 0 || idx as usize > vocabulary.len() {
                        return Err(parse_error(path, line_no, format!("word index {idx} outside 1..={}", vocabulary.len())));
                    }
                    counts.push((idx - 1, count));
                }
                if !track_id.starts_with("TR") {
                    return Err(parse_error(path, line_no, format!("'{track_id}' is not an MSD track id")));
                }
                if !bags.index.contains_key(&track_id) {
                    bags.index.insert(track_id.clone(), bags.tracks.len());
                    bags.tracks.push(LyricsBag { track_id, mxm_id, counts });
                }
            }
            if !listed {
                return Err(parse_error(path, None, "no %-line of words: not a musiXmatch bag-of-words file"));
            }
        }
        Ok(bags)
    }

    /// The bag of `track_id`, if it has lyrics.
    pub fn get(&self, track_id: &str) -> Option<&LyricsBag> {
        self.index.get(track_id).map(|&i| &self.tracks[i])
    }
}

/// TF-IDF weights as scikit-learn's `TfidfTransformer()` computes them: raw counts times
/// `idf = ln((1 + n) / (1 + df)) + 1` (smoothed), each bag then scaled to unit L2 norm.
///
/// # Example
/// ```
/// use genrecast_datasets::{LyricsBag, TfIdf};
/// let bag = |counts: Vec<(u32, u32)>| LyricsBag { track_id: "TR1".into(), mxm_id: 1, counts };
/// let docs = [bag(vec![(0, 3), (1, 1)]), bag(vec![(0, 1)])];
/// let tfidf = TfIdf::fit(docs.iter(), 2);
/// // Word 0 is in both documents: idf = ln(3/3) + 1 = 1; word 1 in one: ln(3/2) + 1.
/// assert!((tfidf.idf[1] - (1.5f64.ln() + 1.0)).abs() < 1e-12);
/// let v = tfidf.transform(&docs[1]);
/// assert_eq!(v, vec![(0, 1.0)]);
/// ```
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TfIdf {
    /// Inverse document frequency of each word.
    pub idf: Vec<f64>,
}

impl TfIdf {
    /// Fits the document frequencies on `bags` (the training side only) over `n_words` words.
    pub fn fit<'a>(bags: impl IntoIterator<Item = &'a LyricsBag>, n_words: usize) -> Self {
        let mut df = vec![0u64; n_words];
        let mut n = 0u64;
        for bag in bags {
            n += 1;
            for &(w, _) in &bag.counts {
                if let Some(d) = df.get_mut(w as usize) {
                    *d += 1;
                }
            }
        }
        Self { idf: df.into_iter().map(|d| ((1 + n) as f64 / (1 + d) as f64).ln() + 1.0).collect() }
    }

    /// The bag's unit-norm TF-IDF weights, sparse `(word, weight)`; empty for an empty bag.
    pub fn transform(&self, bag: &LyricsBag) -> Vec<(u32, f64)> {
        let raw: Vec<(u32, f64)> = bag.counts.iter().filter_map(|&(w, c)| Some((w, f64::from(c) * self.idf.get(w as usize)?))).collect();
        let norm = raw.iter().map(|(_, v)| v * v).sum::<f64>().sqrt();
        if norm == 0.0 {
            return Vec::new();
        }
        raw.into_iter().map(|(w, v)| (w, v / norm)).collect()
    }
}
