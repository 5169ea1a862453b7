//! Word vectors learned from the bags of words themselves, and the lyrics vector of a song:
//! the TF-IDF-weighted average of its words' vectors.
//!
//! Written here rather than taken from a crate because the musiXmatch files hold bags, not
//! text: word2vec/GloVe crates need word order, and pretrained vectors are keyed by surface
//! words, not by the dataset's stems. Co-occurrence within a song is what the bags do give, and
//! PPMI factorised by a truncated eigendecomposition is the count-based method that matches
//! word2vec on similarity tasks (Levy, Goldberg & Dagan, TACL 2015).

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::musixmatch::{LyricsBag, TfIdf};

/// Exponent of the context-distribution smoothing (Levy et al. 2015).
const SMOOTHING: f64 = 0.75;
/// Extra columns of the randomized range finder, and its power iterations (Halko, Martinsson
/// & Tropp 2011): enough for the top eigenvectors of a PPMI matrix to settle.
const OVERSAMPLE: usize = 10;
const POWER_STEPS: usize = 6;

/// One vector of `dims` values per vocabulary word (zeros for words seen in fewer than
/// `min_df` songs).
///
/// Two words co-occur when they are in the same song (each song counts once per pair; a word
/// is not its own context). The PPMI matrix is
/// `max(0, ln(P(i,j) / (Pa(i) Pa(j))))` with `Pa(i) = c(i)^0.75 / sum c^0.75`, the smoothing
/// applied to both sides so that the matrix stays symmetric (Levy et al. smooth the context
/// side only). A randomized range finder with power iterations and a Rayleigh-Ritz step finds
/// its `dims + 10` eigenpairs of largest magnitude; the `dims` largest eigenvalues among them
/// give `W = U max(L, 0)^(1/2)`, Levy et al.'s eigenvalue weighting p = 0.5. Negative
/// eigenvalues are dropped rather than folded in as SVD would: `W W^T` approximates a
/// similarity, and no set of real vectors has a negative self-similarity.
///
/// # Example
/// ```
/// use genrecast_datasets::{LyricsBag, WordVectors};
/// let bag = |counts: Vec<(u32, u32)>| LyricsBag { track_id: "TR".into(), mxm_id: 0, counts };
/// // Words 0 and 1 always sing together, 2 and 3 together, never across.
/// let songs = [bag(vec![(0, 1), (1, 2)]), bag(vec![(0, 3), (1, 1)]), bag(vec![(2, 1), (3, 1)]), bag(vec![(2, 2), (3, 1)])];
/// let wv = WordVectors::fit(songs.iter(), 4, 2, 1, 0);
/// assert!(wv.cosine(0, 1) > 0.99 && wv.cosine(0, 2).abs() < 0.01);
/// ```
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct WordVectors {
    /// Values per word.
    pub dims: usize,
    /// `n_words x dims`, row-major (serialised as base64 of little-endian f32, a quarter of
    /// the size of a JSON number list and exact).
    #[serde(with = "f32_base64")]
    pub vectors: Vec<f32>,
}

/// Serde adapter: a `Vec<f32>` as base64 of its little-endian bytes.
mod f32_base64 {
    use base64::Engine;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &[f32], s: S) -> Result<S::Ok, S::Error> {
        let bytes: Vec<u8> = v.iter().flat_map(|x| x.to_le_bytes()).collect();
        s.serialize_str(&base64::engine::general_purpose::STANDARD.encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<f32>, D::Error> {
        let text = String::deserialize(d)?;
        let bytes = base64::engine::general_purpose::STANDARD.decode(text).map_err(serde::de::Error::custom)?;
        if bytes.len() % 4 != 0 {
            return Err(serde::de::Error::custom(format!("{} bytes are not whole f32 values", bytes.len())));
        }
        Ok(bytes.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect())
    }
}

impl WordVectors {
    /// Learns vectors of `dims` values for `n_words` words from the co-occurrences in `bags`,
    /// keeping words that occur in at least `min_df` of them; `seed` draws the random start.
    pub fn fit<'a>(bags: impl IntoIterator<Item = &'a LyricsBag>, n_words: usize, dims: usize, min_df: usize, seed: u64) -> Self {
        let ppmi = ppmi(bags, n_words, min_df);
        let n = ppmi.kept.len();
        let mut vectors = vec![0f32; n_words * dims];
        let k = dims.min(n);
        if k > 0 {
            let (values, basis) = top_eigenpairs(&ppmi.matrix, n, k, seed);
            for (row, &word) in ppmi.kept.iter().enumerate() {
                for j in 0..k {
                    vectors[word * dims + j] = (basis[row * k + j] * values[j].max(0.0).sqrt()) as f32;
                }
            }
        }
        Self { dims, vectors }
    }

    /// The vector of `word` (empty when out of range).
    pub fn vector(&self, word: usize) -> &[f32] {
        self.vectors.get(word * self.dims..(word + 1) * self.dims).unwrap_or(&[])
    }

    /// Cosine similarity of two words (0 when either has no vector).
    pub fn cosine(&self, a: usize, b: usize) -> f64 {
        let (x, y) = (self.vector(a), self.vector(b));
        let dot: f64 = x.iter().zip(y).map(|(p, q)| f64::from(*p) * f64::from(*q)).sum();
        let norm = |v: &[f32]| v.iter().map(|p| f64::from(*p).powi(2)).sum::<f64>().sqrt();
        let d = norm(x) * norm(y);
        if d == 0.0 { 0.0 } else { dot / d }
    }
}

/// A PPMI matrix over the words kept (dense, symmetric, `kept.len()` square).
struct Ppmi {
    kept: Vec<usize>,
    matrix: Vec<f64>,
}

fn ppmi<'a>(bags: impl IntoIterator<Item = &'a LyricsBag>, n_words: usize, min_df: usize) -> Ppmi {
    let bags: Vec<&LyricsBag> = bags.into_iter().collect();
    let mut df = vec![0usize; n_words];
    for bag in &bags {
        for &(w, _) in &bag.counts {
            if let Some(d) = df.get_mut(w as usize) {
                *d += 1;
            }
        }
    }
    let kept: Vec<usize> = (0..n_words).filter(|&w| df[w] >= min_df.max(1)).collect();
    let mut slot = vec![usize::MAX; n_words];
    kept.iter().enumerate().for_each(|(i, &w)| slot[w] = i);
    let n = kept.len();
    let mut counts = vec![0f64; n * n];
    let mut words = Vec::new();
    for bag in &bags {
        words.clear();
        words.extend(bag.counts.iter().filter_map(|&(w, _)| slot.get(w as usize).copied().filter(|&s| s != usize::MAX)));
        for (a, &i) in words.iter().enumerate() {
            for &j in &words[a + 1..] {
                counts[i * n + j] += 1.0;
                counts[j * n + i] += 1.0;
            }
        }
    }
    let marginal: Vec<f64> = (0..n).map(|i| counts[i * n..(i + 1) * n].iter().sum()).collect();
    let total: f64 = marginal.iter().sum();
    let smoothed: Vec<f64> = marginal.iter().map(|c| c.powf(SMOOTHING)).collect();
    let smoothed_total: f64 = smoothed.iter().sum();
    // The counts become the PPMI in place: the matrix is dense and words x words large.
    let mut matrix = counts;
    for i in 0..n {
        for j in 0..n {
            let c = &mut matrix[i * n + j];
            if *c > 0.0 {
                *c = (*c / total / (smoothed[i] / smoothed_total * smoothed[j] / smoothed_total)).ln().max(0.0);
            }
        }
    }
    Ppmi { kept, matrix }
}

/// `m (n x n) * q (n x c)`, row-major.
fn multiply(m: &[f64], n: usize, q: &[f64], c: usize) -> Vec<f64> {
    let mut out = vec![0f64; n * c];
    for i in 0..n {
        let row = &m[i * n..(i + 1) * n];
        let dst = &mut out[i * c..(i + 1) * c];
        for (l, &a) in row.iter().enumerate() {
            if a != 0.0 {
                let src = &q[l * c..(l + 1) * c];
                dst.iter_mut().zip(src).for_each(|(d, s)| *d += a * s);
            }
        }
    }
    out
}

/// Orthonormalises the columns of `q` (n x c) in place by modified Gram-Schmidt, twice for
/// accuracy; a column that vanishes is left at zero.
fn orthonormalise(q: &mut [f64], n: usize, c: usize) {
    for _ in 0..2 {
        for j in 0..c {
            for p in 0..j {
                let dot: f64 = (0..n).map(|i| q[i * c + j] * q[i * c + p]).sum();
                (0..n).for_each(|i| q[i * c + j] -= dot * q[i * c + p]);
            }
            let norm = (0..n).map(|i| q[i * c + j].powi(2)).sum::<f64>().sqrt();
            let scale = if norm > 1e-300 { 1.0 / norm } else { 0.0 };
            (0..n).for_each(|i| q[i * c + j] *= scale);
        }
    }
}

/// The `k` largest eigenpairs of the symmetric `m` (n x n) among its `k + OVERSAMPLE` of
/// largest magnitude: values (largest first), and the vectors as an `n x k` row-major basis.
fn top_eigenpairs(m: &[f64], n: usize, k: usize, seed: u64) -> (Vec<f64>, Vec<f64>) {
    let c = (k + OVERSAMPLE).min(n);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut q: Vec<f64> = (0..n * c).map(|_| rng.random_range(-1.0..1.0)).collect();
    orthonormalise(&mut q, n, c);
    for _ in 0..POWER_STEPS {
        q = multiply(m, n, &q, c);
        orthonormalise(&mut q, n, c);
    }
    // Rayleigh-Ritz: the small matrix Q^T M Q holds the eigenvalues.
    let mq = multiply(m, n, &q, c);
    let mut small = vec![0f64; c * c];
    for a in 0..c {
        for b in 0..c {
            small[a * c + b] = (0..n).map(|i| q[i * c + a] * mq[i * c + b]).sum();
        }
    }
    let (values, vectors) = jacobi_eigen(small, c);
    let mut order: Vec<usize> = (0..c).collect();
    order.sort_by(|&a, &b| values[b].total_cmp(&values[a]));
    let mut basis = vec![0f64; n * k];
    for (j, &o) in order.iter().take(k).enumerate() {
        // Fix each vector's sign (largest entry positive) so that a fit is reproducible.
        let col: Vec<f64> = (0..n).map(|i| (0..c).map(|a| q[i * c + a] * vectors[a * c + o]).sum()).collect();
        let peak = col.iter().copied().fold(0.0f64, |m, v| if v.abs() > m.abs() { v } else { m });
        let sign = if peak < 0.0 { -1.0 } else { 1.0 };
        (0..n).for_each(|i| basis[i * k + j] = sign * col[i]);
    }
    (order.iter().take(k).map(|&o| values[o]).collect(), basis)
}

/// Eigenvalues and eigenvectors (columns of a `c x c` row-major matrix) of a small symmetric
/// matrix, by cyclic Jacobi rotations.
fn jacobi_eigen(mut a: Vec<f64>, c: usize) -> (Vec<f64>, Vec<f64>) {
    let mut v = vec![0f64; c * c];
    (0..c).for_each(|i| v[i * c + i] = 1.0);
    for _sweep in 0..100 {
        let off: f64 = (0..c).flat_map(|i| (0..c).filter(move |&j| j != i).map(move |j| (i, j))).map(|(i, j)| a[i * c + j].powi(2)).sum();
        let scale: f64 = (0..c).map(|i| a[i * c + i].powi(2)).sum::<f64>().max(1e-300);
        if off <= 1e-28 * scale {
            break;
        }
        for p in 0..c {
            for q in p + 1..c {
                let apq = a[p * c + q];
                if apq.abs() < 1e-300 {
                    continue;
                }
                let theta = (a[q * c + q] - a[p * c + p]) / (2.0 * apq);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let t = if theta == 0.0 { 1.0 } else { t };
                let (cos, sin) = (1.0 / (t * t + 1.0).sqrt(), t / (t * t + 1.0).sqrt());
                for r in 0..c {
                    let (arp, arq) = (a[r * c + p], a[r * c + q]);
                    a[r * c + p] = cos * arp - sin * arq;
                    a[r * c + q] = sin * arp + cos * arq;
                }
                for r in 0..c {
                    let (apr, aqr) = (a[p * c + r], a[q * c + r]);
                    a[p * c + r] = cos * apr - sin * aqr;
                    a[q * c + r] = sin * apr + cos * aqr;
                }
                for r in 0..c {
                    let (vrp, vrq) = (v[r * c + p], v[r * c + q]);
                    v[r * c + p] = cos * vrp - sin * vrq;
                    v[r * c + q] = sin * vrp + cos * vrq;
                }
            }
        }
    }
    ((0..c).map(|i| a[i * c + i]).collect(), v)
}

/// A song's lyrics as one vector: TF-IDF weights and word vectors, both fitted on training
/// songs (and any unlabelled ones), never on held-out songs.
///
/// The vector is the TF-IDF-weighted average of the song's word vectors, scaled to a norm of
/// `sqrt(dims)` so that its values are of order one, like standardised audio features.
///
/// # Example
/// ```
/// use genrecast_datasets::{LyricsBag, LyricsEncoder};
/// let bag = |counts: Vec<(u32, u32)>| LyricsBag { track_id: "TR".into(), mxm_id: 0, counts };
/// let songs = [bag(vec![(0, 1), (1, 2)]), bag(vec![(0, 3), (1, 1)]), bag(vec![(2, 1), (3, 1)])];
/// let enc = LyricsEncoder::fit(songs.iter(), 4, 2, 1, 0);
/// let v = enc.encode(&songs[0]).expect("words with vectors");
/// assert!((v.iter().map(|x| x * x).sum::<f32>() - 2.0).abs() < 1e-4);
/// assert!(enc.encode(&bag(vec![])).is_none());
/// ```
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LyricsEncoder {
    /// Word weights.
    pub tfidf: TfIdf,
    /// Word vectors.
    pub vectors: WordVectors,
}

impl LyricsEncoder {
    /// Fits TF-IDF and word vectors of `dims` values on `bags` over `n_words` words (words in
    /// fewer than `min_df` songs get no vector).
    pub fn fit<'a>(bags: impl IntoIterator<Item = &'a LyricsBag> + Clone, n_words: usize, dims: usize, min_df: usize, seed: u64) -> Self {
        Self { tfidf: TfIdf::fit(bags.clone(), n_words), vectors: WordVectors::fit(bags, n_words, dims, min_df, seed) }
    }

    /// Values per song vector.
    pub fn dims(&self) -> usize {
        self.vectors.dims
    }

    /// The song vector of `bag`; `None` when none of its words has a vector.
    pub fn encode(&self, bag: &LyricsBag) -> Option<Vec<f32>> {
        let d = self.dims();
        let mut sum = vec![0f64; d];
        let mut weight = 0.0;
        for (w, t) in self.tfidf.transform(bag) {
            let v = self.vectors.vector(w as usize);
            if v.iter().any(|x| *x != 0.0) {
                sum.iter_mut().zip(v).for_each(|(s, x)| *s += t * f64::from(*x));
                weight += t;
            }
        }
        let norm = sum.iter().map(|x| x * x).sum::<f64>().sqrt();
        if weight == 0.0 || norm == 0.0 {
            return None;
        }
        // The average's direction; the division by the weight cancels in the scaling.
        let scale = (d as f64).sqrt() / norm;
        Some(sum.into_iter().map(|x| (x * scale) as f32).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bag(counts: &[(u32, u32)]) -> LyricsBag {
        LyricsBag { track_id: "TR".into(), mxm_id: 0, counts: counts.to_vec() }
    }

    #[test]
    fn ppmi_matches_a_hand_computed_corpus() {
        // Songs {0,1}, {0,1}, {0,2}: pair counts c01 = 2, c02 = 1 (both directions).
        let songs = [bag(&[(0, 1), (1, 1)]), bag(&[(0, 1), (1, 1)]), bag(&[(0, 1), (2, 1)])];
        let p = ppmi(songs.iter(), 3, 1);
        // Marginals: word 0: 3, word 1: 2, word 2: 1; total 6.
        let s = [3f64.powf(0.75), 2f64.powf(0.75), 1.0];
        let st: f64 = s.iter().sum();
        let want01 = ((2.0 / 6.0) / (s[0] / st * s[1] / st)).ln().max(0.0);
        let want02 = ((1.0 / 6.0) / (s[0] / st * s[2] / st)).ln().max(0.0);
        assert!((p.matrix[1] - want01).abs() < 1e-12 && (p.matrix[3] - want01).abs() < 1e-12, "{:?}", p.matrix);
        assert!((p.matrix[2] - want02).abs() < 1e-12);
        assert_eq!((p.matrix[0], p.matrix[4], p.matrix[5]), (0.0, 0.0, 0.0));
        // min_df 2 drops word 2, the only one in a single song.
        assert_eq!(ppmi(songs.iter(), 3, 2).kept, vec![0, 1]);
    }

    #[test]
    fn eigenpairs_satisfy_the_definition() {
        // A symmetric matrix with known eigenvalues: Q diag(5, -3, 1, 0.5) Q^T.
        let n = 4;
        let q = [[0.5, 0.5, 0.5, 0.5], [0.5, -0.5, 0.5, -0.5], [0.5, 0.5, -0.5, -0.5], [0.5, -0.5, -0.5, 0.5]];
        let l = [5.0, -3.0, 1.0, 0.5];
        let mut m = vec![0f64; n * n];
        for i in 0..n {
            for j in 0..n {
                m[i * n + j] = (0..n).map(|e| q[e][i] * l[e] * q[e][j]).sum();
            }
        }
        let (values, basis) = top_eigenpairs(&m, n, 2, 7);
        // The largest two, not the largest in magnitude (-3).
        assert!((values[0] - 5.0).abs() < 1e-9 && (values[1] - 1.0).abs() < 1e-9, "{values:?}");
        for j in 0..2 {
            let v: Vec<f64> = (0..n).map(|i| basis[i * 2 + j]).collect();
            let mv = multiply(&m, n, &v, 1);
            assert!(mv.iter().zip(&v).all(|(a, b)| (a - values[j] * b).abs() < 1e-9));
        }
    }

    #[test]
    fn vectors_serialise_exactly_and_compactly() {
        let wv = WordVectors { dims: 2, vectors: vec![1.5, -0.0, f32::MIN_POSITIVE, 3.25e-7] };
        let json = serde_json::to_string(&wv).expect("json");
        assert_eq!(serde_json::from_str::<WordVectors>(&json).expect("back"), wv);
        assert!(json.contains("\"vectors\":\""), "{json}");
        let bad = json.replace(&json[json.find("vectors\":\"").expect("field") + 10..json.len() - 2], "AAAA");
        assert!(serde_json::from_str::<WordVectors>(&bad).is_err(), "3 bytes are no f32: {bad}");
    }
}
