//! Command-line arguments, as clap structs (raw; validated by each command).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// genrecast: listens to music and says what it is.
#[derive(Parser, Debug)]
#[command(name = "genrecast", version, about, long_about = None)]
pub struct Cli {
    /// Worker threads for batch commands (default: one per core).
    #[arg(long, global = true)]
    pub threads: Option<usize>,
    /// Arithmetic of musicnn's front-end convolutions and the VGG's conv2..conv5 (classify,
    /// tag, index, serve, train and eval on a musicnn or VGG backbone, bench): int8 (8-bit
    /// products summed exactly in i32, on AVX-512 VNNI where the CPU has it, else a portable
    /// kernel; taggrams within 0.03 of the TensorFlow models', about 3x faster for musicnn and
    /// 8x for the VGG) or f32 (the exact path, within 2e-6 of musicnn's).
    /// The librosa features' STFT runs in f32 under both; f64 computes it in double
    /// precision as librosa does (and musicnn as f32).
    #[arg(long, global = true, default_value = "int8", value_parser = ["int8", "f32", "f64"])]
    pub precision: String,
    /// Refuse audio files that are cut short (a broken download) or whose header disagrees
    /// with their length. Without it such a file is decoded as far as it goes, and the
    /// results carry a warning that names the file and how much was lost.
    #[arg(long, global = true)]
    pub strict: bool,
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Say what genre songs are: top genres with probabilities per file (the built-in model,
    /// or any trained one), optionally over time.
    Classify(ClassifyArgs),
    /// Top tags of the pretrained musicnn taggers (MSD: Last.fm tags; MTT: MagnaTagATune).
    Tag(TagArgs),
    /// Print container, codec, sample rate, channels and duration of audio files, decoding
    /// each one fully to check it.
    Info(InfoArgs),
    /// Extract librosa-compatible features (mel, mfcc, chroma, spectral, ...) to .npy/.csv/.json.
    Features(FeaturesArgs),
    /// Benchmarks against the peers (librosa, Essentia) on the same files, in the same run.
    #[command(subcommand)]
    Bench(BenchCommand),
    /// Read datasets in their native layouts (GTZAN, FMA, MagnaTagATune, tagtraum, Marsyas,
    /// folder per label, CSV manifest): summaries, splits, checksums.
    #[command(subcommand)]
    Dataset(DatasetCommand),
    /// The feature cache: size, integrity, clearing.
    #[command(subcommand)]
    Cache(CacheCommand),
    /// Train a neural model (mlp, cnn1d, cnn2d, crnn, lstm, resnet) on a dataset split; writes a model folder.
    Train(Box<TrainArgs>),
    /// Evaluate a trained model on a dataset split: accuracy, balanced accuracy, confusion.
    Eval(EvalArgs),
    /// Compare classic models (kNN, logistic regression, SVMs, random forest, gradient
    /// boosting) on summary features, and optionally neural ones, over the folds of a split:
    /// one table of accuracy, balanced accuracy, macro F1 and training time.
    BenchModels(BenchModelsArgs),
    /// How well embeddings group genres: k-NN accuracy with neighbours from other artists
    /// only, and silhouette scores.
    BenchEmbeddings(BenchEmbeddingsArgs),
    /// Index a music folder into a library database (SQLite): genres, tags and embeddings of
    /// every file; incremental, and resumable after a crash.
    Index(IndexArgs),
    /// The songs of a library nearest a song (in the library or not).
    Similar(SimilarArgs),
    /// A playlist that walks from a song to its nearest unplayed neighbour, song after song.
    Playlist(PlaylistArgs),
    /// An interactive map of a library (t-SNE of the embeddings) as one HTML page.
    Map(MapArgs),
    /// Look into a library: list its tracks, show one, export everything (CSV, JSON).
    #[command(subcommand)]
    Library(LibraryCommand),
    /// Serve the model over HTTP: POST a song to /classify or /embed (see /openapi.json).
    Serve(ServeArgs),
    /// Heatmaps of one song's mel spectrogram, chroma and MFCC over time (PNG or SVG).
    Plot(PlotArgs),
    /// The built-in models (`genrecast models`): their labels and what each was trained on;
    /// `genrecast models export NAME DIR` writes one as a model folder.
    Models(ModelsArgs),
}

/// `genrecast models`: `list` unless a subcommand says otherwise.
#[derive(Args, Debug)]
#[command(args_conflicts_with_subcommands = true)]
pub struct ModelsArgs {
    #[command(subcommand)]
    pub command: Option<ModelsCommand>,
    #[command(flatten)]
    pub list: ModelsListArgs,
}

/// The subcommands of `genrecast models`.
#[derive(Subcommand, Debug)]
pub enum ModelsCommand {
    /// List the built-in models (what `genrecast models` alone does).
    List(ModelsListArgs),
    /// Write a built-in model as a model folder (model.json and model.safetensors, the layout
    /// `genrecast train` writes), for `--model DIR` or to keep beside your own models.
    Export(ModelsExportArgs),
}

/// `genrecast models list`.
#[derive(Args, Debug)]
pub struct ModelsListArgs {
    /// Output format [default: from --out's extension (.json, .txt), else table].
    #[arg(long, value_enum)]
    pub format: Option<ListFormat>,
    /// Write the list to this file (atomically, creating missing folders) instead of stdout.
    #[arg(long, short)]
    pub out: Option<PathBuf>,
}

/// Output format of `genrecast models list`.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ListFormat {
    /// Readable text.
    Table,
    /// One JSON document.
    Json,
}

/// `genrecast models export`.
#[derive(Args, Debug)]
pub struct ModelsExportArgs {
    /// The built-in model (see `genrecast models`).
    pub name: String,
    /// The model folder to write (created with missing parents; written beside it, then
    /// moved into place).
    pub dir: PathBuf,
    /// Replace DIR even if it holds files, as long as it is a model folder (has model.json).
    #[arg(long)]
    pub force: bool,
}

/// Which library and embedding a query reads.
#[derive(Args, Debug, Clone)]
pub struct LibraryQuery {
    /// The library database [default: $XDG_DATA_HOME/genrecast/library.sqlite, else
    /// ~/.local/share/genrecast/library.sqlite].
    #[arg(long, default_value_os_t = default_library(), hide_default_value = true)]
    pub db: PathBuf,
    /// Embedding: model (the model's embedding; default) or summary (90-d timbral summary).
    #[arg(long, default_value = "model")]
    pub embedding: String,
    /// Distance: cosine or euclidean.
    #[arg(long, default_value = "cosine")]
    pub metric: String,
}

/// Where the library lives unless `--db` says: the user's data folder (XDG), so that
/// `genrecast index` and `genrecast similar` run from any folder find the same library.
pub fn default_library() -> PathBuf {
    let data = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")));
    data.map_or_else(|| PathBuf::from("library.sqlite"), |d| d.join("genrecast/library.sqlite"))
}

/// `genrecast index`.
#[derive(Args, Debug)]
pub struct IndexArgs {
    #[command(flatten)]
    pub device: DeviceOption,
    /// Music folders or files.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// The library database, created if missing [default: $XDG_DATA_HOME/genrecast/library.sqlite,
    /// else ~/.local/share/genrecast/library.sqlite].
    #[arg(long, default_value_os_t = default_library(), hide_default_value = true)]
    pub db: PathBuf,
    /// Model for genres and the `model` embedding: a built-in name or a model folder.
    #[arg(long, default_value = genrecast_models::DEFAULT_MODEL)]
    pub model: String,
    /// Take each file's parent folder name as its known label when it is one of the model's
    /// labels (folder-per-genre collections such as GTZAN).
    #[arg(long)]
    pub label_from_folder: bool,
    /// Drop tracks whose files are gone from the indexed folders.
    #[arg(long)]
    pub prune: bool,
    /// Decode a long file from start to end instead of seeking to the windows it is judged
    /// from (as classify --no-seek).
    #[arg(long)]
    pub no_seek: bool,
    /// Hide the progress bar.
    #[arg(long, short)]
    pub quiet: bool,
}

/// `genrecast similar`.
#[derive(Args, Debug)]
pub struct SimilarArgs {
    /// A song: a file in the library, or any audio file (analysed now).
    pub song: PathBuf,
    #[command(flatten)]
    pub query: LibraryQuery,
    /// How many neighbours (as `classify -k/--top-k` is how many genres).
    #[arg(short, long = "top-k", default_value_t = 10)]
    pub k: usize,
    #[command(flatten)]
    pub output: OutputOptions,
    /// Print JSON (the same as --format json; kept for old scripts).
    #[arg(long, hide = true, conflicts_with = "format")]
    pub json: bool,
}

/// `genrecast playlist`.
#[derive(Args, Debug)]
pub struct PlaylistArgs {
    /// The seed songs: files in the library, or any audio files (analysed now). The playlist
    /// starts at the first and walks to its nearest unplayed neighbours, then goes on from
    /// the next seed, and so on; the places are shared evenly between the seeds (-n 10 with 3
    /// seeds: 4, 3, 3). Each seed is listed once, at the start of its part.
    #[arg(required = true)]
    pub songs: Vec<PathBuf>,
    #[command(flatten)]
    pub query: LibraryQuery,
    /// Songs in the playlist, the seeds included.
    #[arg(short, default_value_t = 20)]
    pub n: usize,
    /// Write an .m3u playlist here as well.
    #[arg(long)]
    pub m3u: Option<PathBuf>,
    /// No two consecutive songs by the same artist (by the stored tags; case does not
    /// matter); --no-repeat-artist=N: not within the last N songs. Songs of unknown artist
    /// never clash. When no unplayed song keeps the rule, that seed's part ends early.
    #[arg(long, value_name = "N", num_args = 0..=1, require_equals = true, default_missing_value = "1")]
    pub no_repeat_artist: Option<usize>,
    /// No two consecutive songs from the same album; --no-repeat-album=N: not within the last
    /// N songs (as --no-repeat-artist).
    #[arg(long, value_name = "N", num_args = 0..=1, require_equals = true, default_missing_value = "1")]
    pub no_repeat_album: Option<usize>,
    #[command(flatten)]
    pub output: OutputOptions,
    /// Print JSON (the same as --format json).
    #[arg(long, hide = true, conflicts_with = "format")]
    pub json: bool,
}

/// `--format` and `--out` of the library commands, as classify has them.
#[derive(Args, Debug, Clone)]
pub struct OutputOptions {
    /// Output format [default: from --out's extension (.json, .jsonl, .csv, .txt), else table].
    #[arg(long, value_enum)]
    pub format: Option<ResultFormat>,
    /// Write to this file (atomically, creating missing folders) instead of stdout.
    #[arg(long, short)]
    pub out: Option<PathBuf>,
}

impl OutputOptions {
    /// `--format`, or what `--out`'s extension names, or the table; `json` (the old `--json`
    /// flag) stands for `--format json`.
    ///
    /// # Errors
    /// An `--out` extension that names no format, without `--format`.
    pub fn format(&self, json: bool) -> anyhow::Result<ResultFormat> {
        match (self.format, &self.out) {
            _ if json => Ok(ResultFormat::Json),
            (Some(f), _) => Ok(f),
            (None, Some(out)) => ResultFormat::from_extension(out),
            (None, None) => Ok(ResultFormat::Table),
        }
    }
}

/// `genrecast library ...`.
#[derive(Subcommand, Debug)]
pub enum LibraryCommand {
    /// One line per track, by path: path, title, artist, album, top predicted genre with its
    /// probability (or the error of a track that failed). Filters combine.
    List(LibraryListArgs),
    /// Every stored field of one track: file tags, duration, model, all genre probabilities,
    /// the model's tags, the error if any, the kinds and lengths of its embeddings.
    Show(LibraryShowArgs),
    /// Everything stored per track (as `show`), with list's filters: a table, CSV (one
    /// column per genre), JSON or JSON Lines.
    Export(LibraryExportArgs),
}

/// Which tracks `library list` and `export` take (all given must hold).
#[derive(Args, Debug, Clone)]
pub struct TrackFilter {
    /// Tracks whose predicted top genre, or the genre their file's tags name, is G (whole
    /// name, case does not matter).
    #[arg(long, value_name = "G")]
    pub genre: Option<String>,
    /// Tracks whose artist contains A (case does not matter).
    #[arg(long, value_name = "A")]
    pub artist: Option<String>,
    /// Tracks whose album contains A (case does not matter).
    #[arg(long, value_name = "A")]
    pub album: Option<String>,
    /// Tracks whose full path contains TEXT, or, when it holds * or ?, matches it as a glob
    /// over the whole path (* matches any text, / included: '*/jazz/*.flac').
    #[arg(long, value_name = "TEXT|GLOB")]
    pub path: Option<String>,
    /// Only tracks whose analysis failed (listed with their error).
    #[arg(long)]
    pub failed: bool,
}

/// `genrecast library list`.
#[derive(Args, Debug)]
pub struct LibraryListArgs {
    /// The library database [default: $XDG_DATA_HOME/genrecast/library.sqlite, else
    /// ~/.local/share/genrecast/library.sqlite].
    #[arg(long, default_value_os_t = default_library(), hide_default_value = true)]
    pub db: PathBuf,
    #[command(flatten)]
    pub filter: TrackFilter,
}

/// `genrecast library show`.
#[derive(Args, Debug)]
pub struct LibraryShowArgs {
    /// The track: its file (a path in the library) or its id.
    pub song: PathBuf,
    /// The library database [default: $XDG_DATA_HOME/genrecast/library.sqlite, else
    /// ~/.local/share/genrecast/library.sqlite].
    #[arg(long, default_value_os_t = default_library(), hide_default_value = true)]
    pub db: PathBuf,
    #[command(flatten)]
    pub output: OutputOptions,
}

/// `genrecast library export`.
#[derive(Args, Debug)]
pub struct LibraryExportArgs {
    /// The library database [default: $XDG_DATA_HOME/genrecast/library.sqlite, else
    /// ~/.local/share/genrecast/library.sqlite].
    #[arg(long, default_value_os_t = default_library(), hide_default_value = true)]
    pub db: PathBuf,
    #[command(flatten)]
    pub filter: TrackFilter,
    #[command(flatten)]
    pub output: OutputOptions,
}

/// `genrecast serve`.
#[derive(Args, Debug)]
pub struct ServeArgs {
    #[command(flatten)]
    pub device: DeviceOption,
    /// Address to listen on (port 0: any free port, printed on start).
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub addr: String,
    /// A built-in model or a model folder written by `genrecast train`.
    #[arg(long, short, default_value = "genre-gtzan")]
    pub model: String,
    /// Files under this folder may be analysed by `?path=` (relative to it); without it,
    /// only uploads are taken.
    #[arg(long)]
    pub root: Option<PathBuf>,
    /// Largest upload, in megabytes.
    #[arg(long, default_value_t = 50.0)]
    pub max_upload_mb: f64,
    /// Longest audio, in seconds.
    #[arg(long, default_value_t = 1200.0)]
    pub max_seconds: f64,
    /// Songs analysed at once (default: one per core).
    #[arg(long)]
    pub max_jobs: Option<usize>,
    /// Requests that may wait for a worker; more get 503.
    #[arg(long, default_value_t = 64)]
    pub max_queue: usize,
    /// Time allowed per request, in seconds.
    #[arg(long, default_value_t = 120.0)]
    pub timeout_s: f64,
    /// A library written by `genrecast index` (same model) for POST /similar.
    #[arg(long)]
    pub db: Option<PathBuf>,
    /// Upload megabytes held at once across all connections still sending; more get 503
    /// (default: 4 x --max-upload-mb).
    #[arg(long)]
    pub max_buffered_mb: Option<f64>,
    /// Seconds allowed to receive one upload; a slower one gets 408.
    #[arg(long, default_value_t = 60.0)]
    pub upload_timeout_s: f64,
}

/// `genrecast map`.
#[derive(Args, Debug)]
pub struct MapArgs {
    #[command(flatten)]
    pub query: LibraryQuery,
    /// The HTML page to write.
    #[arg(long, default_value = "map.html")]
    pub out: PathBuf,
    /// Colour by: label (known label, else the top predicted genre) or predicted.
    #[arg(long, visible_alias = "color", default_value = "label")]
    pub colour: String,
    /// t-SNE perplexity (capped at (tracks - 1) / 3).
    #[arg(long, default_value_t = 30.0)]
    pub perplexity: f32,
    /// Seed of the initial layout.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

/// `genrecast plot`.
#[derive(Args, Debug)]
pub struct PlotArgs {
    /// Songs, or folders of them (walked recursively).
    #[arg(required = true)]
    pub songs: Vec<PathBuf>,
    /// What to draw: mel (mel spectrogram in dB), chroma, mfcc. Checked before anything is
    /// drawn.
    #[arg(long, value_delimiter = ',', default_value = "mel,chroma,mfcc", value_parser = ["mel", "chroma", "mfcc"])]
    pub what: Vec<String>,
    /// Output folder (files <stem>-<what>.<format>; songs of the same name in one batch are
    /// told apart by their place in it: <stem>-2-<what>...).
    #[arg(long, default_value = ".")]
    pub out: PathBuf,
    /// png or svg.
    #[arg(long, default_value = "png", value_parser = ["png", "svg"])]
    pub format: String,
    /// Only this many seconds from the start (the whole song by default).
    #[arg(long)]
    pub duration: Option<f64>,
}

/// `genrecast bench-embeddings`.
#[derive(Args, Debug)]
pub struct BenchEmbeddingsArgs {
    #[command(flatten)]
    pub source: DatasetSource,
    #[command(flatten)]
    pub device: DeviceOption,
    #[command(flatten)]
    pub options: genrecast_experiments::BenchEmbeddingsOptions,
    #[command(flatten)]
    pub cache: CacheOptions,
    /// Hide progress bars.
    #[arg(long, short)]
    pub quiet: bool,
}

/// `genrecast bench-models`.
#[derive(Args, Debug)]
pub struct BenchModelsArgs {
    #[command(flatten)]
    pub source: DatasetSource,
    #[command(flatten)]
    pub device: DeviceOption,
    #[command(flatten)]
    pub options: genrecast_experiments::BenchModelsOptions,
    #[command(flatten)]
    pub cache: CacheOptions,
    /// Hide progress bars.
    #[arg(long, short)]
    pub quiet: bool,
}

/// Output format of classify, tag and the library commands.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResultFormat {
    /// Readable table.
    Table,
    /// One JSON document: the model, its labels and settings, and `files`, an array with one
    /// object per file.
    Json,
    /// JSON Lines: one object per file, on its own line, as each file finishes.
    Jsonl,
    /// CSV: one row per file (or per window with --segments), one column per label.
    Csv,
}

impl ResultFormat {
    /// The format `--out`'s extension names: `.json`, `.jsonl` / `.ndjson`, `.csv`, and `.txt`
    /// for the table.
    ///
    /// # Errors
    /// An extension that names none of them.
    pub fn from_extension(path: &std::path::Path) -> anyhow::Result<Self> {
        let ext = path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
        Ok(match ext.as_deref() {
            Some("json") => Self::Json,
            Some("jsonl" | "ndjson") => Self::Jsonl,
            Some("csv") => Self::Csv,
            Some("txt") | None => Self::Table,
            Some(other) => anyhow::bail!("--out {}: cannot tell the format from '.{other}'; give --format table|json|jsonl|csv", path.display()),
        })
    }
}

/// `--device`: where networks run.
#[derive(Args, Debug, Clone)]
pub struct DeviceOption {
    /// Where networks run: cpu (burn's pure-Rust backend) or cuda[:N], the N-th NVIDIA GPU
    /// (`cuda` is `cuda:0`; needs a build with `--features cuda`, see docs/gpu.md). Asking for
    /// a GPU that is not there is an error naming what is missing, never a quiet CPU run.
    #[arg(long, default_value = "cpu", value_name = "cpu|cuda[:N]", value_parser = parse_device)]
    pub device: genrecast_models::ComputeDevice,
}

fn parse_device(s: &str) -> Result<genrecast_models::ComputeDevice, String> {
    s.parse().map_err(|e: genrecast_models::Error| e.to_string())
}

/// Options shared by classify and tag.
#[derive(Args, Debug)]
pub struct PredictOptions {
    #[command(flatten)]
    pub device: DeviceOption,
    /// Audio files or folders (walked recursively for audio extensions).
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// How many labels to show per file.
    #[arg(long, short = 'k', default_value_t = 3)]
    pub top_k: usize,
    /// Also show the predictions over time, one row per window.
    #[arg(long)]
    pub segments: bool,
    /// How window predictions become one per file: mean, vote or max. `mean` is the mean of
    /// the window probabilities, or, for a model fitted on song means (the default
    /// genre-gtzan), the model's judgement of the mean of the windows' features; `vote` and
    /// `max` read each window's own judgement.
    #[arg(long, default_value = "mean")]
    pub aggregate: String,
    /// Judge a long file from at most this many 3 s windows spread evenly over it (0: every
    /// window). The default, 32 (96 s of audio), kept the top genre of 33 of 34 full songs
    /// judged from every window (mean absolute probability difference 0.004).
    #[arg(long, default_value_t = genrecast_models::DEFAULT_MAX_WINDOWS)]
    pub max_windows: usize,
    /// Decode a long file from start to end instead of seeking to the windows it is judged
    /// from. The result is the same; this is for comparison, and a way round a file whose
    /// seeks misbehave.
    #[arg(long)]
    pub no_seek: bool,
    /// Output format [default: from --out's extension (.json, .jsonl, .csv, .txt), else table].
    /// On stdout, table, jsonl and csv print each file as it finishes (in input order).
    #[arg(long, value_enum)]
    pub format: Option<ResultFormat>,
    /// Write the results to this file (atomically, creating missing folders) instead of
    /// stdout.
    #[arg(long, short)]
    pub out: Option<PathBuf>,
    /// Hide the progress bar.
    #[arg(long, short)]
    pub quiet: bool,
}

impl PredictOptions {
    /// `--format`, or what `--out`'s extension names, or the table.
    ///
    /// # Errors
    /// An `--out` extension that names no format, without `--format`.
    pub fn format(&self) -> anyhow::Result<ResultFormat> {
        match (self.format, &self.out) {
            (Some(f), _) => Ok(f),
            (None, Some(out)) => ResultFormat::from_extension(out),
            (None, None) => Ok(ResultFormat::Table),
        }
    }

    /// `--max-windows` as the models take it.
    pub fn max_windows(&self) -> Option<usize> {
        (self.max_windows > 0).then_some(self.max_windows)
    }
}

/// `genrecast classify`.
#[derive(Args, Debug)]
pub struct ClassifyArgs {
    #[command(flatten)]
    pub common: PredictOptions,
    /// The built-in model (genre-gtzan: ten GTZAN genres from a head on musicnn-msd and
    /// musicnn's MSD VGG, trained on GTZAN's filtered train+valid lists; `genrecast models`
    /// lists the built-in models) or
    /// a model folder written by `genrecast train` or `genrecast models export`.
    #[arg(long, short, default_value = "genre-gtzan")]
    pub model: String,
    /// With a model on a pretrained tagger, also show its top tags.
    #[arg(long)]
    pub tags: bool,
}

/// `genrecast tag`.
#[derive(Args, Debug)]
pub struct TagArgs {
    #[command(flatten)]
    pub common: PredictOptions,
    /// The tagger: musicnn-msd (Million Song Dataset, Last.fm tags) or musicnn-mtt
    /// (MagnaTagATune).
    #[arg(long, short, default_value = "musicnn-msd")]
    pub model: String,
}

/// `genrecast train`. Later occurrences of an option override earlier ones, so that the
/// command line overrides a `--config` file.
#[derive(Args, Debug)]
#[command(args_override_self = true)]
pub struct TrainArgs {
    /// A TOML or JSON file of options (keys are the long option names, e.g. `epochs = 40`);
    /// options on the command line override it.
    #[arg(long, value_name = "FILE")]
    pub config: Option<std::path::PathBuf>,
    #[command(flatten)]
    pub source: DatasetSource,
    #[command(flatten)]
    pub device: DeviceOption,
    #[command(flatten)]
    pub options: genrecast_experiments::TrainOptions,
    #[command(flatten)]
    pub cache: CacheOptions,
    /// Hide progress bars.
    #[arg(long, short)]
    pub quiet: bool,
}

/// `genrecast eval`.
#[derive(Args, Debug)]
pub struct EvalArgs {
    #[command(flatten)]
    pub device: DeviceOption,
    #[command(flatten)]
    pub source: DatasetSource,
    /// A model folder written by `genrecast train`, a built-in model (genre-gtzan), or
    /// zero-shot-gtzan (GTZAN genres read off the MSD tagger's tags, untrained).
    #[arg(long)]
    pub model: PathBuf,
    #[command(flatten)]
    pub options: genrecast_experiments::EvalOptions,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
    /// Write a full report to this folder: report.md and report.json (per-class precision,
    /// recall, F1, ROC-AUC, AP, top-K, the worst-confused tracks), confusion.png/.svg,
    /// f1.png, pr-curves.png and, for a trained model folder, training.png.
    #[arg(long, value_name = "DIR")]
    pub report: Option<PathBuf>,
    /// Write every scored track (every window with --each-window) to this CSV: file, clip,
    /// artist, variant, window, truth, predicted, truth_probability. Two such files of the same tracks
    /// make a paired comparison (`tools/crop_gap.py`: as is against every window alone).
    #[arg(long, value_name = "FILE")]
    pub predictions: Option<PathBuf>,
    #[command(flatten)]
    pub cache: CacheOptions,
    /// Hide progress bars.
    #[arg(long, short)]
    pub quiet: bool,
}

/// `genrecast dataset ...`.
#[derive(Subcommand, Debug)]
pub enum DatasetCommand {
    /// Counts per label and split, durations, formats, unreadable files and duplicate clips.
    Summary(DatasetSummaryArgs),
    /// Show (and optionally write) the folds of a split, checking that no clip or artist
    /// crosses sides.
    Split(DatasetSplitArgs),
    /// Check audio files against a published checksum list (e.g. FMA's fma_small_checksums).
    Verify(DatasetVerifyArgs),
}

/// How to open a dataset (shared by every command that reads one): the library's options.
pub use genrecast_experiments::DatasetSource;

/// `genrecast dataset summary`.
#[derive(Args, Debug)]
pub struct DatasetSummaryArgs {
    #[command(flatten)]
    pub source: DatasetSource,
    /// Do not open the audio files (no durations, formats or unreadable files).
    #[arg(long)]
    pub no_probe: bool,
    /// Print one JSON document instead of text.
    #[arg(long)]
    pub json: bool,
    /// Hide the progress bar.
    #[arg(long, short)]
    pub quiet: bool,
}

/// `genrecast dataset split`.
#[derive(Args, Debug)]
pub struct DatasetSplitArgs {
    #[command(flatten)]
    pub source: DatasetSource,
    /// The split: column, filtered, stratified, folds3, ipet10 (GTZAN), or
    /// kfold:K[:artist|clip][:SEED].
    #[arg(long, default_value = "column")]
    pub split: String,
    /// What may not cross sides: artist (and clip) or clip.
    #[arg(long, default_value = "artist")]
    pub group_by: String,
    /// Report leakage as a warning instead of refusing.
    #[arg(long)]
    pub allow_leakage: bool,
    /// Write each fold's sides as lists of paths: DIR/<fold>/{train,valid,test}.txt.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// `genrecast dataset verify`.
#[derive(Args, Debug)]
pub struct DatasetVerifyArgs {
    /// Folder of audio files.
    pub audio_root: PathBuf,
    /// `sha1sum`-style list (`<sha1>  <relative path>`). Default: the `*_checksums` file beside
    /// the folder (FMA ships `fma_small_checksums` next to `fma_small/`).
    #[arg(long)]
    pub checksums: Option<PathBuf>,
}

/// `genrecast cache ...`.
#[derive(Subcommand, Debug)]
pub enum CacheCommand {
    /// Entries, size and leftover temporary files.
    Stats(CacheArgs),
    /// Read every entry and check its checksum, deleting damaged ones.
    Verify(CacheArgs),
    /// Delete every entry.
    Clear(CacheArgs),
}

/// The cache folder.
#[derive(Args, Debug)]
pub struct CacheArgs {
    /// Cache folder (default: $GENRECAST_CACHE, else $XDG_CACHE_HOME/genrecast, else
    /// ~/.cache/genrecast).
    #[arg(long, env = "GENRECAST_CACHE")]
    pub cache_dir: Option<PathBuf>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// `genrecast bench ...`.
#[derive(Subcommand, Debug)]
pub enum BenchCommand {
    /// Decode+resample and feature extraction, genrecast vs librosa vs Essentia, one core each.
    Features(BenchFeaturesArgs),
    /// One training step and one inference pass of a network on random input (to compare
    /// backends and kernel changes).
    Model(BenchModelArgs),
    /// `genrecast classify` against musicnn (TensorFlow) on the same files, as whole
    /// processes with the same threads: wall time per audio minute, peak RSS, and agreement
    /// with the exact path (f32, every window).
    Classify(BenchClassifyArgs),
    /// A load test of `genrecast serve` on loopback: throughput, p50/p99 latency, errors and
    /// the server's memory at several numbers of concurrent clients.
    Serve(BenchServeArgs),
    /// Peak memory against song length: `classify`, `features --summary --no-frames` and
    /// `index` run on each file as whole processes, with their peak RSS and wall time.
    Memory(BenchMemoryArgs),
}

/// `genrecast bench memory`.
#[derive(Args, Debug)]
pub struct BenchMemoryArgs {
    /// The files, e.g. a 30 s clip, a 10-minute song and a 2-hour recording.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// The commands to measure: classify, tag, features (`--summary --no-frames`), index.
    #[arg(long, value_delimiter = ',', default_value = "classify,features,index", value_parser = ["classify", "tag", "features", "index"])]
    pub commands: Vec<String>,
    /// Threads of each run (`--threads`). Default: one per core.
    #[arg(long)]
    pub threads: Option<usize>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// `genrecast bench serve`.
#[derive(Args, Debug)]
pub struct BenchServeArgs {
    /// The song every client uploads to /classify.
    pub song: PathBuf,
    /// Concurrent clients, one level after the other.
    #[arg(long, value_delimiter = ',', default_value = "1,8,64")]
    pub clients: Vec<usize>,
    /// Seconds per level.
    #[arg(long, default_value_t = 30.0)]
    pub seconds: f64,
    /// Options passed to `genrecast serve` (e.g. "--max-jobs 2").
    #[arg(long, default_value = "")]
    pub serve_args: String,
    /// Also print the server's RSS every this many seconds of each level (0: off), to see
    /// whether memory grows over a long run.
    #[arg(long, default_value_t = 0.0)]
    pub rss_every: f64,
}

/// `genrecast bench classify`.
#[derive(Args, Debug)]
pub struct BenchClassifyArgs {
    #[command(flatten)]
    pub peer: BenchFeaturesArgs,
    /// The model to time (a built-in name or a model folder on a musicnn backbone).
    #[arg(long, default_value = "genre-gtzan")]
    pub model: String,
    /// Threads for each system (genrecast's workers; TensorFlow's intra-op pool and the
    /// BLAS/OpenMP pools of the peer). Default: one per core.
    #[arg(long)]
    pub threads: Option<usize>,
    /// `--max-windows` of the timed genrecast run.
    #[arg(long, default_value_t = genrecast_models::DEFAULT_MAX_WINDOWS)]
    pub max_windows: usize,
    /// Skip the exact genrecast run (f32, every window) that the agreement is measured against.
    #[arg(long)]
    pub no_exact: bool,
    /// Keep both genrecast outputs (fast.json, exact.json) in this folder.
    #[arg(long)]
    pub keep: Option<PathBuf>,
}

/// `genrecast bench model`.
#[derive(Args, Debug)]
pub struct BenchModelArgs {
    #[command(flatten)]
    pub device: DeviceOption,
    /// mlp, cnn1d, cnn2d, crnn, lstm or resnet (a training step and an inference pass on random
    /// input), or musicnn-msd / musicnn-mtt (inference on --batch patches: patches/s).
    #[arg(long, default_value = "cnn2d")]
    pub model: String,
    /// Examples per timed training step and inference batch.
    #[arg(long, default_value_t = 32)]
    pub batch: usize,
    /// Input features (rows) per example.
    #[arg(long, default_value_t = 128)]
    pub features: usize,
    /// Input frames per example.
    #[arg(long, default_value_t = 128)]
    pub frames: usize,
    /// Timed repetitions (after one warm-up).
    #[arg(long, default_value_t = 3)]
    pub steps: usize,
    /// Python with TensorFlow (the peers' venv): also time the same CNN in Keras, one
    /// thread, in the same run (cnn2d only).
    #[arg(long)]
    pub python: Option<String>,
    /// Instead, time a trained model (a folder or built-in name) classifying this audio file
    /// end to end (decode, features, every window, aggregation): median of --steps runs.
    #[arg(long, value_name = "FILE", requires = "trained")]
    pub clip: Option<PathBuf>,
    /// The trained model for --clip.
    #[arg(long, value_name = "MODEL")]
    pub trained: Option<String>,
    /// Print one JSON object: every timed step, the device, and for a network's training
    /// steps the loss of each step (same seeded inputs and weights on every device).
    #[arg(long)]
    pub json: bool,
}

/// `genrecast bench features`.
#[derive(Args, Debug)]
pub struct BenchFeaturesArgs {
    /// Folder of audio files (walked recursively).
    pub dir: PathBuf,
    /// Use at most this many files.
    #[arg(long)]
    pub limit: Option<usize>,
    /// Python interpreter with librosa 0.11 / Essentia installed (see shared/peers/README.md).
    #[arg(long, env = "GENRECAST_PEER_PYTHON", default_value = "python3")]
    pub python: String,
    /// Folder holding the peer scripts.
    #[arg(long, default_value = "../shared/peers")]
    pub peers_dir: PathBuf,
    /// Time genrecast only.
    #[arg(long)]
    pub no_peers: bool,
}

/// `genrecast info`.
#[derive(Args, Debug)]
pub struct InfoArgs {
    /// Audio files or folders (walked recursively for audio extensions).
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Print one JSON document instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Output formats of `genrecast features`.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum FeatureFormat {
    /// NumPy `.npy`, float32, librosa's shapes (features x frames).
    Npy,
    /// CSV with a header row: one row per frame, the frame's time in seconds first
    /// (`librosa.frames_to_time`), then one column per feature dimension.
    Csv,
    /// JSON, `{"shape": [...], "data": [[...], ...]}`.
    Json,
}

/// `genrecast features`.
#[derive(Args, Debug)]
pub struct FeaturesArgs {
    /// Audio files or folders (walked recursively for audio extensions).
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Features to compute, comma-separated. Known: mel, mel_db, mfcc, chroma (from the STFT),
    /// chroma_cqt, centroid, bandwidth, rolloff, contrast, flatness, zcr, rms, onset, tempo,
    /// tonnetz (of chroma_cqt, as librosa's), musicnn_logmel;
    /// the rp_extract descriptors rp, rh, ssd, tssd, trh, mvd (one vector per file, at
    /// 22,050 Hz); timbral (Marsyas-style timbral texture, 38 values per file); or "all".
    #[arg(long, value_delimiter = ',', default_value = "mel_db,mfcc,chroma,centroid,bandwidth,rolloff,contrast,flatness,zcr,rms,tempo")]
    pub set: Vec<String>,
    /// Output folder: DIR/<file stem>/<feature>.<ext> and params.json; a file found in a
    /// folder keeps its path below that folder (DIR/<sub/folders>/<file stem>/...).
    #[arg(long, short)]
    pub out: PathBuf,
    /// Output format of the per-frame arrays.
    #[arg(long, value_enum, default_value_t = FeatureFormat::Npy)]
    pub format: FeatureFormat,
    /// Also (or, with --no-frames, only) write summary.csv: one row per file with the mean,
    /// std, skew, kurtosis, median, min and max of every feature dimension over time.
    #[arg(long)]
    pub summary: bool,
    /// Do not write per-frame arrays (use with --summary).
    #[arg(long)]
    pub no_frames: bool,
    /// Sample rate to analyse at, in Hz (librosa `sr`) [default: 22050].
    #[arg(long)]
    pub sr: Option<u32>,
    /// FFT length in samples (librosa `n_fft`; also the frame length of zcr and rms) [default: 2048].
    #[arg(long)]
    pub n_fft: Option<usize>,
    /// Hop between frames in samples (librosa `hop_length`) [default: 512].
    #[arg(long)]
    pub hop_length: Option<usize>,
    /// Number of mel bands (librosa `n_mels`) [default: 128].
    #[arg(long)]
    pub n_mels: Option<usize>,
    /// Lowest frequency of the mel filterbank in Hz (librosa `fmin`) [default: 0].
    #[arg(long)]
    pub fmin: Option<f64>,
    /// Highest frequency of the mel filterbank in Hz, at most sr / 2 (librosa `fmax`) [default: sr / 2].
    #[arg(long)]
    pub fmax: Option<f64>,
    /// Number of MFCCs.
    #[arg(long, default_value_t = 20)]
    pub n_mfcc: usize,
    /// Start this many seconds into each file.
    #[arg(long, default_value_t = 0.0)]
    pub offset: f64,
    /// Analyse at most this many seconds of each file.
    #[arg(long)]
    pub duration: Option<f64>,
    /// Hide the progress bar.
    #[arg(long, short)]
    pub quiet: bool,
    #[command(flatten)]
    pub cache: CacheOptions,
}

/// Where computed features are kept.
#[derive(Args, Debug, Clone)]
pub struct CacheOptions {
    /// Feature cache folder (default: $GENRECAST_CACHE, else $XDG_CACHE_HOME/genrecast, else
    /// ~/.cache/genrecast). Features of a file already computed with the same settings and
    /// code version are read from it instead of being computed again.
    #[arg(long, env = "GENRECAST_CACHE")]
    pub cache_dir: Option<PathBuf>,
    /// Neither read nor write the feature cache.
    #[arg(long, env = "GENRECAST_NO_CACHE", value_parser = clap::builder::BoolishValueParser::new())]
    pub no_cache: bool,
}

impl CacheOptions {
    /// The cache these options name, or `None` with `--no-cache`.
    pub fn open(&self) -> anyhow::Result<Option<genrecast_datasets::FeatureCache>> {
        use anyhow::Context as _;
        if self.no_cache {
            return Ok(None);
        }
        let dir = self.cache_dir.clone().unwrap_or_else(genrecast_datasets::FeatureCache::default_dir);
        Ok(Some(genrecast_datasets::FeatureCache::open(&dir).with_context(|| format!("feature cache {}", dir.display()))?))
    }
}

#[cfg(test)]
mod tests {
    /// Every flag and argument of every command says what it does in `--help` (five `train`
    /// flags said only their default).
    #[test]
    fn every_option_has_a_description() {
        fn walk(cmd: &clap::Command, path: &str, missing: &mut Vec<String>) {
            for arg in cmd.get_arguments() {
                let id = arg.get_id().as_str();
                if id != "help" && id != "version" && arg.get_help().is_none() && arg.get_long_help().is_none() {
                    missing.push(format!("{path} {id}"));
                }
            }
            for sub in cmd.get_subcommands() {
                walk(sub, &format!("{path} {}", sub.get_name()), missing);
            }
        }
        let mut missing = Vec::new();
        walk(&<super::Cli as clap::CommandFactory>::command(), "genrecast", &mut missing);
        assert!(missing.is_empty(), "no description: {missing:?}");
    }

    /// The library's defaults are the flags' defaults: Python and the binary train alike.
    #[test]
    fn library_defaults_are_the_flags_defaults() {
        use clap::Parser;
        let json = |v: &dyn erased::Json| v.value();
        let cli = super::Cli::parse_from(["genrecast", "train", "data", "--out", "m"]);
        let super::Command::Train(t) = cli.command else { panic!("not train") };
        let expected = genrecast_experiments::TrainOptions { out: "m".into(), ..Default::default() };
        assert_eq!(json(&t.options), json(&expected));
        let cli = super::Cli::parse_from(["genrecast", "eval", "data", "--model", "m"]);
        let super::Command::Eval(e) = cli.command else { panic!("not eval") };
        assert_eq!(json(&e.options), json(&genrecast_experiments::EvalOptions::default()));
        assert_eq!(json(&e.source), json(&genrecast_experiments::DatasetSource::new("data")));
        let cli = super::Cli::parse_from(["genrecast", "bench-models", "data"]);
        let super::Command::BenchModels(b) = cli.command else { panic!("not bench-models") };
        assert_eq!(json(&b.options), json(&genrecast_experiments::BenchModelsOptions::default()));
        let cli = super::Cli::parse_from(["genrecast", "bench-embeddings", "data"]);
        let super::Command::BenchEmbeddings(b) = cli.command else { panic!("not bench-embeddings") };
        assert_eq!(json(&b.options), json(&genrecast_experiments::BenchEmbeddingsOptions::default()));
    }

    /// Options as JSON, to compare structs that are not `PartialEq`.
    mod erased {
        pub trait Json {
            fn value(&self) -> serde_json::Value;
        }
        impl<T: serde::Serialize> Json for T {
            fn value(&self) -> serde_json::Value {
                serde_json::to_value(self).unwrap_or_default()
            }
        }
    }
}
