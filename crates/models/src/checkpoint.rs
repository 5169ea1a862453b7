//! Model directories: `model.safetensors` (weights) and `model.json` (the [`ModelCard`]:
//! network and training settings, labels, input preset, normaliser, what it was trained on,
//! versions). Both are written atomically; loading checks format, versions, shapes and labels.

use std::path::{Path, PathBuf};

use burn::module::Module;
use burn::store::{ModuleSnapshot, SafetensorsStore};
use burn::tensor::Device;

use crate::inputs::{InputSpec, Normalizer};
use crate::network::{GenreNet, NetworkConfig};
use crate::train::{Task, TrainConfig};
use crate::{Error, Result};

/// Version of the model-directory layout.
pub const MODEL_FORMAT: u32 = 1;

/// What a model was trained on (kept to refuse evaluating it on its own training data).
/// Displayed as `KIND DATASET, SPLIT split, N tracks`, the line `classify`, the server and the
/// Python `Model` show beside results.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TrainedOn {
    /// Dataset path as given.
    pub dataset: String,
    /// Its layout.
    pub kind: String,
    /// Split and fold (e.g. `filtered`, `folds3/1`).
    pub split: String,
    /// Training tracks.
    pub tracks: usize,
    /// Clip ids of the training tracks.
    pub clips: Vec<String>,
    /// Artists of the training tracks, where known.
    pub artists: Vec<String>,
    /// Clip ids of the validation tracks that chose the epoch (scores on them are optimistic).
    #[serde(default)]
    pub valid_clips: Vec<String>,
}

impl TrainedOn {
    /// The dataset's own name, not the path it had on the machine that trained the model
    /// (`gtzan`, not `../shared/data/gtzan`): that path means nothing to whoever reads it.
    ///
    /// # Example
    /// ```
    /// let t = genrecast_models::TrainedOn { dataset: "../shared/data/gtzan".into(), kind: "gtzan".into(), ..Default::default() };
    /// assert_eq!(t.dataset_name(), "gtzan");
    /// ```
    pub fn dataset_name(&self) -> String {
        std::path::Path::new(&self.dataset).file_name().map_or_else(|| self.dataset.clone(), |n| n.to_string_lossy().into_owned())
    }
}

impl std::fmt::Display for TrainedOn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = self.dataset_name();
        if name == self.kind {
            write!(f, "{}, {} split, {} tracks", self.kind, self.split, self.tracks)
        } else {
            write!(f, "{} {name}, {} split, {} tracks", self.kind, self.split, self.tracks)
        }
    }
}

/// Everything about a trained model except its weights.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ModelCard {
    /// [`MODEL_FORMAT`].
    pub format: u32,
    /// genrecast version that wrote it.
    pub genrecast_version: String,
    /// burn version that wrote it.
    pub burn_version: String,
    /// The network.
    pub network: NetworkConfig,
    /// Single- or multi-label.
    pub task: Task,
    /// Output names, in output order.
    pub labels: Vec<String>,
    /// What the network reads.
    pub input: InputSpec,
    /// Standardisation fitted on the training data.
    pub normalizer: Normalizer,
    /// How it was trained.
    pub train: TrainConfig,
    /// On what.
    pub trained_on: TrainedOn,
    /// Epoch whose weights were kept.
    pub best_epoch: usize,
    /// Free-form results recorded at training time (validation metrics, timings).
    pub metrics: serde_json::Value,
    /// The lyrics encoder (TF-IDF and word vectors) of a model that reads lyrics.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lyrics: Option<genrecast_datasets::LyricsEncoder>,
    /// Mean and standard deviation of the song embedding over the training tracks, with which
    /// a library scales its `model` embeddings, so that distances do not depend on what else
    /// the library holds. `None` (cards written before it, linear heads whose embedding is
    /// their input, already standardised on the training data): the embedding as it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub embedding_scale: Option<crate::EmbeddingScale>,
    /// The model whose weights this one started from (`genrecast train --init-from`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<ParentModel>,
}

/// Where a model trained with `--init-from` started.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ParentModel {
    /// The parent's name: a built-in model's, or its folder's (not the path to it).
    pub name: String,
    /// What the parent was trained on, in words.
    pub trained_on: String,
    /// Whether the parent's output layer was kept (same labels), or a new one trained.
    pub head_kept: bool,
    /// What was frozen: `body` (only the head trained) or `none`.
    pub frozen: String,
    /// BLAKE3 of the parent's weights (its `model.safetensors`, or a built-in model's
    /// embedded bytes), in hex: two parents in folders of the same name stay apart.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub weights_blake3: String,
}

/// The BLAKE3 of a model's weights, in hex: its folder's `model.safetensors`, or a built-in
/// model's embedded bytes. A child's card records it of its parent ([`ParentModel`]).
///
/// # Example
/// ```
/// let digest = genrecast_models::weights_digest("genre-gtzan")?;
/// assert_eq!(digest.len(), 64);
/// # Ok::<(), genrecast_models::Error>(())
/// ```
///
/// # Errors
/// [`Error::Config`] for a name that is neither a built-in model nor a model folder;
/// [`Error::Io`] naming the weights file when it cannot be read.
pub fn weights_digest(name_or_dir: &str) -> Result<String> {
    let hash = match crate::classifier::find_model(name_or_dir)? {
        crate::classifier::ModelSource::Builtin(m) => blake3::hash(m.bytes().1),
        crate::classifier::ModelSource::Dir(dir) => {
            let path = dir.join("model.safetensors");
            let mut hasher = blake3::Hasher::new();
            let mut file = std::fs::File::open(&path).map_err(io(&path))?;
            std::io::copy(&mut file, &mut hasher).map_err(io(&path))?;
            hasher.finalize()
        }
    };
    Ok(hash.to_hex().to_string())
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Io { path: path.to_path_buf(), source }
}

pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    genrecast_features::write_atomic(path, |w| std::io::Write::write_all(w, bytes)).map_err(|e| Error::Checkpoint { path: path.to_path_buf(), message: e.to_string() })
}

/// Writes `net` and `card` to `dir` (created if needed).
///
/// # Errors
/// [`Error::Io`] / [`Error::Checkpoint`] naming the file.
pub fn save(dir: &Path, net: &GenreNet, card: &ModelCard) -> Result<()> {
    let mut store = SafetensorsStore::from_bytes(None).metadata("genrecast.format", MODEL_FORMAT.to_string());
    net.save_into(&mut store).map_err(|e| Error::Checkpoint { path: dir.to_path_buf(), message: format!("serialising weights: {e}") })?;
    let bytes = store.get_bytes().map_err(|e| Error::Checkpoint { path: dir.to_path_buf(), message: e.to_string() })?;
    save_files(dir, &bytes, card)
}

/// Writes serialised weights and `card` to `dir` (created if needed): the two files of a
/// model folder.
pub(crate) fn save_files(dir: &Path, weights: &[u8], card: &ModelCard) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    write_atomic(&dir.join("model.safetensors"), weights)?;
    let json = serde_json::to_vec_pretty(card).map_err(|e| Error::Checkpoint { path: dir.to_path_buf(), message: e.to_string() })?;
    write_atomic(&dir.join("model.json"), &json)
}

/// The largest model card read (the biggest real one, with a lyrics encoder, is about 2 MB).
const MAX_CARD_BYTES: u64 = 64 << 20;

/// The file's bytes, refused past `limit` (a card linked to /dev/zero, a huge file) without
/// reading more than `limit + 1` bytes.
fn read_capped(path: &Path, limit: u64) -> std::result::Result<Vec<u8>, String> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(|e| format!("cannot read the model card: {e}"))?;
    let mut bytes = Vec::new();
    file.take(limit + 1).read_to_end(&mut bytes).map_err(|e| format!("cannot read the model card: {e}"))?;
    if bytes.len() as u64 > limit {
        return Err(format!("the model card is larger than {} MB: not a genrecast card", limit >> 20));
    }
    Ok(bytes)
}

/// Reads a model directory onto `device`, checking the card and that every weight is there
/// with the shape the card's network has.
///
/// # Errors
/// [`Error::Checkpoint`] naming the file and the mismatch.
pub fn load(dir: &Path, device: &Device) -> Result<(GenreNet, ModelCard)> {
    let files = ModelFiles::of_dir(dir)?;
    load_parts(&files.card, &files.card_path, files.store, &files.weights, device)
}

/// As [`load`], from the two files' contents (a model compiled into the binary); `name`
/// stands for the directory in errors.
///
/// # Errors
/// As [`load`].
pub fn load_bytes(card: &[u8], weights: &[u8], name: &str, device: &Device) -> Result<(GenreNet, ModelCard)> {
    let files = ModelFiles::of_bytes(card, weights, name);
    load_parts(&files.card, &files.card_path, files.store, &files.weights, device)
}

/// A model's two files as read, before they are checked, with the paths errors name.
struct ModelFiles {
    card: Vec<u8>,
    card_path: PathBuf,
    /// `None`: the weights file is missing.
    store: Option<SafetensorsStore>,
    weights: PathBuf,
}

impl ModelFiles {
    fn of_dir(dir: &Path) -> Result<Self> {
        let card_path = dir.join("model.json");
        let card = read_card(&card_path)?;
        let weights = dir.join("model.safetensors");
        let store = weights.is_file().then(|| SafetensorsStore::from_file(&weights));
        Ok(Self { card, card_path, store, weights })
    }

    fn of_bytes(card: &[u8], weights: &[u8], name: &str) -> Self {
        let dir = PathBuf::from(name);
        Self { card: card.to_vec(), card_path: dir.join("model.json"), store: Some(SafetensorsStore::from_bytes(Some(weights.to_vec()))), weights: dir.join("model.safetensors") }
    }
}

/// The bytes of the card at `path`, refused past [`MAX_CARD_BYTES`].
pub(crate) fn read_card(path: &Path) -> Result<Vec<u8>> {
    read_capped(path, MAX_CARD_BYTES).map_err(|message| Error::Checkpoint { path: path.to_path_buf(), message })
}

/// Checks the card, then fits the weights (`None`: the weights file is missing).
fn load_parts(card_bytes: &[u8], card_path: &Path, store: Option<SafetensorsStore>, weights: &Path, device: &Device) -> Result<(GenreNet, ModelCard)> {
    let (net, card) = load_parts_trainable(card_bytes, card_path, store, weights, device)?;
    let net = net.valid();
    refuse_non_finite(&net, weights)?;
    Ok((net, card))
}

/// A NaN weight makes every prediction NaN: refused, naming the weights file.
fn refuse_non_finite(net: &GenreNet, weights: &Path) -> Result<()> {
    if net_is_finite(net) {
        Ok(())
    } else {
        Err(Error::Checkpoint { path: weights.to_path_buf(), message: "weights hold NaN or infinite values".into() })
    }
}

/// A built-in model (by name) or a model directory, loaded onto `device` as a network that
/// can go on training (on an autodiff device its weights track gradients): the start of
/// `genrecast train --init-from`.
///
/// # Errors
/// As [`load`]; [`Error::Config`] for a name that is neither a built-in model nor a folder.
pub fn load_trainable(name_or_dir: &str, device: &Device) -> Result<(GenreNet, ModelCard)> {
    let files = match crate::classifier::find_model(name_or_dir)? {
        crate::classifier::ModelSource::Builtin(m) => {
            let (card, weights) = m.bytes();
            ModelFiles::of_bytes(card, weights, &format!("<built-in {}>", m.name))
        }
        crate::classifier::ModelSource::Dir(dir) => ModelFiles::of_dir(dir)?,
    };
    let (net, card) = load_parts_trainable(&files.card, &files.card_path, files.store, &files.weights, device)?;
    refuse_non_finite(&net.clone().valid(), &files.weights)?;
    Ok((net, card))
}

fn load_parts_trainable(card_bytes: &[u8], card_path: &Path, store: Option<SafetensorsStore>, weights: &Path, device: &Device) -> Result<(GenreNet, ModelCard)> {
    let bad = |path: &Path, message: String| Error::Checkpoint { path: path.to_path_buf(), message };
    let card: ModelCard = serde_json::from_slice(card_bytes).map_err(|e| bad(card_path, format!("not a genrecast model card: {e}")))?;
    if card.format != MODEL_FORMAT {
        return Err(bad(card_path, format!("model format {} (this genrecast reads {MODEL_FORMAT})", card.format)));
    }
    if card.labels.len() != card.network.n_outputs {
        return Err(bad(card_path, format!("{} labels for {} outputs", card.labels.len(), card.network.n_outputs)));
    }
    let (f, t) = card.input.feature_shape();
    if (card.network.n_features, card.network.n_frames, card.network.lyrics) != (f, t, card.input.appended_lyrics()) || card.normalizer.mean.len() != f || card.normalizer.std.len() != f {
        return Err(bad(card_path, format!("input {:?} gives {f}x{t} examples; the network reads {}x{} and the normaliser has {} rows", card.input.preset, card.network.n_features, card.network.n_frames, card.normalizer.mean.len())));
    }
    if !(1_000..=384_000).contains(&card.input.sample_rate) {
        return Err(bad(card_path, format!("sample rate {} Hz (a model reads 1,000 to 384,000 Hz)", card.input.sample_rate)));
    }
    let n = &card.normalizer;
    if !n.mean.iter().all(|v| v.is_finite()) || !n.std.iter().all(|v| v.is_finite() && *v > 0.0) {
        return Err(bad(card_path, "the normaliser has a non-finite mean or a standard deviation that is not positive: its outputs would be NaN".into()));
    }
    let encoder_dims = card.lyrics.as_ref().map_or(0, genrecast_datasets::LyricsEncoder::dims);
    if encoder_dims != card.input.lyrics_dims {
        return Err(bad(card_path, format!("the input reads {} lyrics values, the card's lyrics encoder gives {encoder_dims}", card.input.lyrics_dims)));
    }
    if let Some(scale) = &card.embedding_scale {
        scale.validate(&card_path.display().to_string())?;
        if scale.len() != card.network.embedding {
            return Err(bad(card_path, format!("the embedding scale has {} dimensions, the network's embedding {}", scale.len(), card.network.embedding)));
        }
    }
    let mut net = card.network.init(device).map_err(|e| bad(card_path, e.to_string()))?;
    let store = store.ok_or_else(|| bad(weights, "missing".into()))?;
    let mut store = store.validate(true).allow_partial(false);
    let result = net.load_from(&mut store).map_err(|e| bad(weights, format!("weights do not fit the network: {e}")))?;
    if !result.errors.is_empty() || !result.missing.is_empty() || !result.unused.is_empty() {
        return Err(bad(weights, format!("weights do not fit the network: {} errors, {} missing, {} unused", result.errors.len(), result.missing.len(), result.unused.len())));
    }
    Ok((net, card))
}

/// Whether every weight of `net` is finite: a NaN weight makes every prediction NaN.
fn net_is_finite(net: &GenreNet) -> bool {
    use burn::module::{Module, ModuleVisitor, Param};
    struct Finite(bool);
    impl ModuleVisitor for Finite {
        fn visit_float<const D: usize>(&mut self, param: &Param<burn::tensor::Tensor<D>>) {
            if self.0 {
                self.0 = param.val().into_data().convert::<f32>().iter::<f32>().all(f32::is_finite);
            }
        }
    }
    let mut v = Finite(true);
    net.visit(&mut v);
    v.0
}
