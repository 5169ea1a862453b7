//! The settings of each experiment as plain structs, with the command line's defaults. The
//! binary reads them from its flags (the `clap` feature makes each a flag group); Python and
//! other callers build them with `..Default::default()`.

use std::path::PathBuf;

/// The settings of `train`: the model, its input, the split and fold, and the training.
///
/// ```
/// let opts = genrecast_experiments::TrainOptions { model: "mlp".into(), split: "folds3".into(), epochs: 5, ..Default::default() };
/// assert_eq!(opts.batch_size, 32);
/// ```
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::Args))]
#[serde(default)]
pub struct TrainOptions {
    /// Model: linear, mlp, cnn1d, cnn2d, crnn, lstm or resnet (a short-chunk residual CNN on
    /// log-mel, after Won et al. 2020; `--crop 3.7` gives their 3.7 s chunks).
    #[cfg_attr(feature = "clap", arg(long, default_value = "cnn2d"))]
    pub model: String,
    /// Input: logmel, mfcc, mfcc-chroma, summary, musicnn-msd, musicnn-mtt, vgg-msd, vgg-mtt, msd-segments
    /// (Echo Nest segment series of MSD per-track files) or lyrics (default: msd-segments for
    /// a tagtraum label file; else logmel for cnn2d/crnn/resnet, mfcc-chroma for cnn1d/lstm, summary
    /// for mlp/linear).
    #[cfg_attr(feature = "clap", arg(long, conflicts_with = "backbone"))]
    pub input: Option<String>,
    /// Transfer learning: train a head on this frozen pretrained backbone's embeddings
    /// (musicnn-msd or musicnn-mtt, 200-d, or their VGG baselines vgg-msd or vgg-mtt, 256-d;
    /// one vector per 3 s patch at 16 kHz). NAME:max-pool or NAME:mean-pool reads the pooled
    /// layer below the penultimate one instead (musicnn 753-d, VGG 128-d). Several joined by +
    /// (musicnn-msd+musicnn-mtt) run side by side on the same patches, the head reading their
    /// features joined, at the cost of each.
    #[cfg_attr(feature = "clap", arg(long))]
    pub backbone: Option<String>,
    /// The head on the backbone: linear (logistic regression), mlp, or svm-rbf (a one-vs-rest
    /// RBF SVM with Platt probabilities, its C and gamma chosen by grid search over
    /// --inner-folds artist-grouped folds of the training side; not trained by epochs).
    #[cfg_attr(feature = "clap", arg(long, default_value = "mlp", requires = "backbone"))]
    pub head: String,
    /// What the model reads of a track: `windows` (each window; predictions averaged per
    /// track), `mean` (one row per track, the mean of its windows' inputs, in training,
    /// scoring and classification alike), `mean+windows` (judged as `mean`, fitted on each
    /// track's mean and on each of its windows alone, so that a lone window is no stranger) or
    /// `mean+middle` (judged as `mean`, fitted on each track's mean and its middle window).
    #[cfg_attr(feature = "clap", arg(long, default_value = "windows", value_parser = ["windows", "mean", "mean+windows", "mean+middle"]))]
    pub rows: String,
    /// Artist-grouped inner folds of the training side for the grid search of --model or
    /// --head svm-rbf.
    #[cfg_attr(feature = "clap", arg(long, default_value_t = 3))]
    pub inner_folds: usize,
    /// Draws of those inner folds, each with its own seed; the grid's scores are averaged
    /// over all of them.
    #[cfg_attr(feature = "clap", arg(long, default_value_t = 3))]
    pub inner_repeats: usize,
    /// Start from a trained model's weights: a model folder or a built-in name (see `genrecast
    /// models`). Its network, input and input normalisation are kept (--model, --input,
    /// --backbone, --crop and --embedding do not apply); when the labels differ from its own,
    /// a new output layer is trained. The card records the parent.
    #[cfg_attr(feature = "clap", arg(long, value_name = "MODEL", conflicts_with_all = ["backbone", "input"]))]
    pub init_from: Option<String>,
    /// With --init-from: what keeps the parent's weights. `body`: everything but the output
    /// layer is frozen (batch-norm statistics still adapt); `none`: every weight trains.
    #[cfg_attr(feature = "clap", arg(long, default_value = "none", value_parser = ["body", "none"], requires = "init_from"))]
    pub freeze: String,
    /// Fine-tune the pretrained backbone (musicnn-msd or musicnn-mtt) end to end with a new
    /// softmax head, instead of training a head on its frozen features: batch norms in
    /// training mode from the converted statistics, --lr for the head and --lr-backbone for
    /// the backbone, one random 3 s patch per training track and epoch with gain (--aug-gain,
    /// in dB), pitch shift (--pitch-shift) and --mixup, early stopping (--patience) on the
    /// artist-grouped validation side, tracks scored by the mean of their patches. Writes
    /// backbone.safetensors, history.csv and metrics.json.
    #[cfg_attr(feature = "clap", arg(long, requires = "backbone"))]
    pub fine_tune: bool,
    /// With --fine-tune: keep the converted weights of the blocks up to `front` (front end) or
    /// `mid` (front and mid ends); `none` trains every layer.
    #[cfg_attr(feature = "clap", arg(long, default_value = "none", value_parser = ["none", "front", "mid"], requires = "fine_tune"))]
    pub freeze_until: String,
    /// With --fine-tune: the backbone's learning rate (the head's is --lr).
    #[cfg_attr(feature = "clap", arg(long, default_value_t = 1e-4, requires = "fine_tune"))]
    pub lr_backbone: f64,
    /// With --fine-tune: random pitch shift of up to +-N mel bands per patch.
    #[cfg_attr(feature = "clap", arg(long, default_value_t = 2, requires = "fine_tune"))]
    pub pitch_shift: i32,
    /// Train on the training and validation sides together for exactly --epochs, keeping the
    /// last epoch (no early stopping): for a final model once the settings are chosen. A test
    /// side, if the split has one, is still held out and scored.
    #[cfg_attr(feature = "clap", arg(long))]
    pub final_fit: bool,
    /// Crop length in seconds (every example is a crop of this length at 22,050 Hz).
    #[cfg_attr(feature = "clap", arg(long, default_value_t = 2.0))]
    pub crop: f64,
    /// MSD segment series: segments per series, truncated or zero-padded with a mask.
    #[cfg_attr(feature = "clap", arg(long, default_value_t = genrecast_models::DEFAULT_SEGMENTS))]
    pub steps: usize,
    /// musiXmatch bag-of-words files (train and test halves, comma-separated or repeated):
    /// tracks are joined by MSD track id, and the model reads each song's lyrics vector, alone
    /// (--input lyrics) or beside its other input (multimodal). Tracks without lyrics are
    /// left out.
    #[cfg_attr(feature = "clap", arg(long, value_delimiter = ',', value_name = "FILE"))]
    pub lyrics: Vec<PathBuf>,
    /// Values of the lyrics vector (word vectors learned from co-occurrence in the bags).
    #[cfg_attr(feature = "clap", arg(long, default_value_t = genrecast_models::DEFAULT_LYRICS_DIMS))]
    pub lyrics_dims: usize,
    /// Words in fewer songs than this get no word vector.
    #[cfg_attr(feature = "clap", arg(long, default_value_t = 5))]
    pub lyrics_min_df: usize,
    /// Random crops per training track per epoch.
    #[cfg_attr(feature = "clap", arg(long, default_value_t = 4))]
    pub crops_per_track: usize,
    /// Split: column, filtered, stratified, folds3, ipet10, kfold:K[:artist|clip][:seed].
    #[cfg_attr(feature = "clap", arg(long, default_value = "filtered"))]
    pub split: String,
    /// Which fold of the split (1-based).
    #[cfg_attr(feature = "clap", arg(long, default_value_t = 1))]
    pub fold: usize,
    /// Train every fold (into OUT/fold-K) and report the cross-validated scores.
    #[cfg_attr(feature = "clap", arg(long))]
    pub all_folds: bool,
    /// Fraction of training tracks held out (grouped by artist) for validation when the split
    /// has no validation side.
    #[cfg_attr(feature = "clap", arg(long, default_value_t = 0.2))]
    pub valid_fraction: f64,
    /// Train on this fraction of the training side (0 < F <= 1; whole artists, stratified by
    /// class, drawn with --seed) for a learning curve; the validation and test sides stay as
    /// they are.
    #[cfg_attr(feature = "clap", arg(long, default_value_t = 1.0))]
    pub train_fraction: f64,
    /// Output folder of the model.
    #[cfg_attr(feature = "clap", arg(long, short))]
    pub out: PathBuf,
    /// Passes over the training side (at most: early stopping may end sooner, see --patience).
    #[cfg_attr(feature = "clap", arg(long, default_value_t = 30))]
    pub epochs: usize,
    /// Examples (crops) per optimiser step.
    #[cfg_attr(feature = "clap", arg(long, default_value_t = 32))]
    pub batch_size: usize,
    /// Learning rate at the start (the schedule changes it, see --schedule).
    #[cfg_attr(feature = "clap", arg(long, default_value_t = 1e-3))]
    pub lr: f64,
    /// adam, adamw or adadelta.
    #[cfg_attr(feature = "clap", arg(long, default_value = "adam"))]
    pub optimizer: String,
    /// L2 penalty (weight decay).
    #[cfg_attr(feature = "clap", arg(long, default_value_t = 1e-4))]
    pub weight_decay: f32,
    /// L1 penalty on embedding and output weights.
    #[cfg_attr(feature = "clap", arg(long, default_value_t = 0.0))]
    pub l1: f32,
    /// Dropout probability before the embedding and output layers.
    #[cfg_attr(feature = "clap", arg(long, default_value_t = 0.3))]
    pub dropout: f64,
    /// Embedding size.
    #[cfg_attr(feature = "clap", arg(long, default_value_t = 50))]
    pub embedding: usize,
    /// Early stopping: epochs without a better validation loss (0: off).
    #[cfg_attr(feature = "clap", arg(long, default_value_t = 8))]
    pub patience: usize,
    /// Learning-rate schedule: constant, cosine or plateau.
    #[cfg_attr(feature = "clap", arg(long, default_value = "cosine"))]
    pub schedule: String,
    /// Class balancing of the training side: none, oversample, undersample or weights.
    #[cfg_attr(feature = "clap", arg(long, default_value = "none"))]
    pub balance: String,
    /// Augmentation: random offset of up to +-GAIN in standardised units (dB-like inputs).
    #[cfg_attr(feature = "clap", arg(long, default_value_t = 0.0))]
    pub aug_gain: f32,
    /// Augmentation: time masks per example (width up to 1/8 of the crop).
    #[cfg_attr(feature = "clap", arg(long, default_value_t = 0))]
    pub time_masks: usize,
    /// Augmentation: frequency masks per example (width up to 1/8 of the bands).
    #[cfg_attr(feature = "clap", arg(long, default_value_t = 0))]
    pub freq_masks: usize,
    /// Augmentation: mixup alpha (0: off).
    #[cfg_attr(feature = "clap", arg(long, default_value_t = 0.0))]
    pub mixup: f32,
    /// Seed of the initial weights, the crops, the batches and the augmentation: the same
    /// seed, data and settings train the same model.
    #[cfg_attr(feature = "clap", arg(long, default_value_t = 0))]
    pub seed: u64,
    /// Train even if a clip or artist is on both sides of the split (warns).
    #[cfg_attr(feature = "clap", arg(long))]
    pub allow_leakage: bool,
}

impl Default for TrainOptions {
    fn default() -> Self {
        Self {
            model: "cnn2d".into(),
            input: None,
            backbone: None,
            head: "mlp".into(),
            rows: "windows".into(),
            inner_folds: 3,
            inner_repeats: 3,
            init_from: None,
            freeze: "none".into(),
            fine_tune: false,
            freeze_until: "none".into(),
            lr_backbone: 1e-4,
            pitch_shift: 2,
            final_fit: false,
            crop: 2.0,
            steps: genrecast_models::DEFAULT_SEGMENTS,
            lyrics: Vec::new(),
            lyrics_dims: genrecast_models::DEFAULT_LYRICS_DIMS,
            lyrics_min_df: 5,
            crops_per_track: 4,
            split: "filtered".into(),
            fold: 1,
            all_folds: false,
            valid_fraction: 0.2,
            train_fraction: 1.0,
            out: PathBuf::new(),
            epochs: 30,
            batch_size: 32,
            lr: 1e-3,
            optimizer: "adam".into(),
            weight_decay: 1e-4,
            l1: 0.0,
            dropout: 0.3,
            embedding: 50,
            patience: 8,
            schedule: "cosine".into(),
            balance: "none".into(),
            aug_gain: 0.0,
            time_masks: 0,
            freq_masks: 0,
            mixup: 0.0,
            seed: 0,
            allow_leakage: false,
        }
    }
}

/// The settings of `eval`: which split, fold and side, and how a track is judged.
///
/// ```
/// let opts = genrecast_experiments::EvalOptions { split: "folds3".into(), fold: 2, ..Default::default() };
/// assert_eq!(opts.aggregate, "mean");
/// ```
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::Args))]
#[serde(default)]
pub struct EvalOptions {
    /// musiXmatch bag-of-words files, for a model that reads lyrics.
    #[cfg_attr(feature = "clap", arg(long, value_delimiter = ',', value_name = "FILE"))]
    pub lyrics: Vec<PathBuf>,
    /// Split to evaluate on.
    #[cfg_attr(feature = "clap", arg(long, default_value = "filtered"))]
    pub split: String,
    /// Fold (1-based).
    #[cfg_attr(feature = "clap", arg(long, default_value_t = 1))]
    pub fold: usize,
    /// Side: test or valid (default: test, or valid when the fold has no test side).
    #[cfg_attr(feature = "clap", arg(long))]
    pub side: Option<String>,
    /// Evaluate even on clips or artists the model was trained on (warns).
    #[cfg_attr(feature = "clap", arg(long))]
    pub allow_leakage: bool,
    /// Judge each track from only its N middle windows (a musicnn model's 3 s patches, else
    /// its crops). 1 is the uniform-crop protocol of a collection whose clip lengths betray
    /// their labels (the GTZAN slice): every track is judged from one 3 s stretch, whatever
    /// its length; the per-variant table then shows what length alone was worth.
    #[cfg_attr(feature = "clap", arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..)))]
    pub middle_windows: Option<u32>,
    /// Judge every window (a musicnn model's 3 s patch, else a crop) on its own, as a track of
    /// its own: the uniform-crop protocol over all of a track's crops rather than one. Every
    /// figure then counts windows, so a 30 s clip weighs ten times a 3 s excerpt.
    #[cfg_attr(feature = "clap", arg(long, conflicts_with = "middle_windows"))]
    pub each_window: bool,
    /// How a track's windows become its score, as `classify --aggregate` does: `mean` (the
    /// mean of the window probabilities; for a model fitted on song means, the model on the
    /// mean of the windows' inputs), `vote` (each window's top class, counted) or `max` (per
    /// class the largest window probability, renormalised).
    #[cfg_attr(feature = "clap", arg(long, default_value = "mean", value_parser = ["mean", "vote", "max"]))]
    pub aggregate: String,
    /// For a model on a pretrained backbone: start a 3 s patch every N frames of 16 ms
    /// (default: the model's own, disjoint patches of 187 frames; 93 is half-overlapping, as
    /// musicnn's extractor with `input_overlap`, and twice the work).
    #[cfg_attr(feature = "clap", arg(long, value_name = "FRAMES", value_parser = clap::value_parser!(u32).range(1..=187)))]
    pub patch_hop: Option<u32>,
}

impl Default for EvalOptions {
    fn default() -> Self {
        Self { lyrics: Vec::new(), split: "filtered".into(), fold: 1, side: None, allow_leakage: false, middle_windows: None, each_window: false, aggregate: "mean".into(), patch_hop: None }
    }
}

/// The settings of `bench-models`: the split, the feature sets, the models and their fitting.
///
/// ```
/// let opts = genrecast_experiments::BenchModelsOptions { features: vec!["summary".into()], models: vec!["knn".into()], ..Default::default() };
/// assert_eq!(opts.split, "folds3");
/// ```
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::Args))]
#[serde(default)]
pub struct BenchModelsOptions {
    /// The split whose folds are scored (every fold's test side; the validation side, if any,
    /// joins training).
    #[cfg_attr(feature = "clap", arg(long, default_value = "folds3"))]
    pub split: String,
    /// Feature sets: summary (our 90-d timbral summary of 2 s crops), musicnn-msd,
    /// musicnn-mtt (200-d pretrained embeddings of 3 s patches), vgg-msd, vgg-mtt (256-d, the
    /// VGG baselines of the musicnn package), several backbones joined by + (side by side per
    /// patch, e.g. musicnn-msd+vgg-msd), table (a precomputed table, see --table), and
    /// descriptors of 5.9 s segments: rp_extract's ssd, rh, rp, mvd, the Marsyas-style
    /// timbral texture vector (timbral), or several joined by + (e.g. ssd+rh).
    #[cfg_attr(feature = "clap", arg(long, value_delimiter = ',', default_value = "summary,table"))]
    pub features: Vec<String>,
    /// The precomputed table for `table` (default: DATA/kaggle_features/features_30_sec.csv,
    /// whose `length` column is dropped).
    #[cfg_attr(feature = "clap", arg(long))]
    pub table: Option<PathBuf>,
    /// How a test track's crop predictions become one (classic rows): mean of the
    /// probabilities, vote (the share of crops that pick each label) or max.
    #[cfg_attr(feature = "clap", arg(long, default_value = "mean", value_parser = ["mean", "vote", "max"]))]
    pub aggregate: String,
    /// What one row of a classic model is: `crops` (one per crop, every crop of a test track
    /// scored, then --aggregate), or one per track: `mean` (the mean of its crops' features)
    /// or `mean-std` (their mean and standard deviation side by side).
    #[cfg_attr(feature = "clap", arg(long, default_value = "crops", value_parser = ["crops", "mean", "mean-std"]))]
    pub rows: String,
    /// Classic model families: knn, logistic, svm-linear, svm-poly, svm-rbf, forest, boosting,
    /// vote (a soft-voting mix of logistic, svm-rbf and knn: the mean of their
    /// probabilities, each member's settings chosen as in its own row) or stack (the same
    /// members, mixed by a logistic regression fitted on their out-of-fold probabilities over
    /// the artist-grouped inner folds).
    #[cfg_attr(feature = "clap", arg(long, value_delimiter = ',', default_value = "knn,logistic,svm-linear,svm-poly,svm-rbf,forest,boosting"))]
    pub models: Vec<String>,
    /// Choose each family's hyper-parameters by grid search over artist-grouped inner folds of
    /// the training side (the seeds' ranges); without it, defaults are used.
    #[cfg_attr(feature = "clap", arg(long))]
    pub grid: bool,
    /// Inner folds of the grid search.
    #[cfg_attr(feature = "clap", arg(long, default_value_t = 3))]
    pub inner_folds: usize,
    /// Draws of the inner folds, each with its own seed; the grid's scores are averaged over
    /// all of them (one draw of a few artist-grouped folds is a noisy judge).
    #[cfg_attr(feature = "clap", arg(long, default_value_t = 3))]
    pub inner_repeats: usize,
    /// Neural models to train on the same folds and add to the table: mlp, cnn1d, cnn2d, crnn, lstm, resnet,
    /// or a head on a backbone: linear-B / mlp-B for B in musicnn-msd (or msd), musicnn-mtt,
    /// vgg-msd, vgg-mtt.
    #[cfg_attr(feature = "clap", arg(long, value_delimiter = ','))]
    pub neural: Vec<String>,
    /// Epochs of the neural models.
    #[cfg_attr(feature = "clap", arg(long, default_value_t = 10))]
    pub epochs: usize,
    /// At most this many crops per training track (evenly spaced), so that long clips do not
    /// outweigh short excerpts; every crop of a test track is scored and averaged.
    #[cfg_attr(feature = "clap", arg(long, default_value_t = 8))]
    pub max_crops: usize,
    /// Seed of every random draw.
    #[cfg_attr(feature = "clap", arg(long, default_value_t = 1))]
    pub seed: u64,
    /// Folder for the report (bench-models.md, bench-models.json) and neural model folders.
    #[cfg_attr(feature = "clap", arg(long, default_value = "bench-models"))]
    pub out: PathBuf,
}

impl Default for BenchModelsOptions {
    fn default() -> Self {
        Self {
            split: "folds3".into(),
            features: vec!["summary".into(), "table".into()],
            table: None,
            aggregate: "mean".into(),
            rows: "crops".into(),
            models: ["knn", "logistic", "svm-linear", "svm-poly", "svm-rbf", "forest", "boosting"].map(String::from).to_vec(),
            grid: false,
            inner_folds: 3,
            inner_repeats: 3,
            neural: Vec::new(),
            epochs: 10,
            max_crops: 8,
            seed: 1,
            out: "bench-models".into(),
        }
    }
}

/// The settings of `bench-embeddings`: which embeddings, and the neighbours that vote.
///
/// ```
/// let opts = genrecast_experiments::BenchEmbeddingsOptions::default();
/// assert_eq!(opts.k, 5);
/// ```
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::Args))]
#[serde(default)]
pub struct BenchEmbeddingsOptions {
    /// Embeddings: summary, a backbone (musicnn-msd, musicnn-mtt, vgg-msd, vgg-mtt), or a trained model folder (its song
    /// embedding, on the tracks outside its training data only).
    #[cfg_attr(feature = "clap", arg(long, value_delimiter = ',', default_value = "summary,musicnn-msd,musicnn-mtt"))]
    pub embeddings: Vec<String>,
    /// Neighbours that vote.
    #[cfg_attr(feature = "clap", arg(short, default_value_t = 5))]
    pub k: usize,
    /// Folder for bench-embeddings.md and .json.
    #[cfg_attr(feature = "clap", arg(long, default_value = "bench-embeddings"))]
    pub out: PathBuf,
}

impl Default for BenchEmbeddingsOptions {
    fn default() -> Self {
        Self { embeddings: ["summary", "musicnn-msd", "musicnn-mtt"].map(String::from).to_vec(), k: 5, out: "bench-embeddings".into() }
    }
}
