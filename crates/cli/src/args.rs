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
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Print container, codec, sample rate, channels and duration of audio files, decoding
    /// each one fully to check it.
    Info(InfoArgs),
    /// Extract librosa-compatible features (mel, mfcc, chroma, spectral, ...) to .npy/.csv/.json.
    Features(FeaturesArgs),
    /// Benchmarks against the peers (librosa, Essentia) on the same files, in the same run.
    #[command(subcommand)]
    Bench(BenchCommand),
}

/// `genrecast bench ...`.
#[derive(Subcommand, Debug)]
pub enum BenchCommand {
    /// Decode+resample and feature extraction, genrecast vs librosa vs Essentia, one core each.
    Features(BenchFeaturesArgs),
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
    /// CSV, one row per feature dimension, one column per frame.
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
    /// Features to compute, comma-separated. Known: mel, mel_db, mfcc, chroma, centroid,
    /// bandwidth, rolloff, contrast, flatness, zcr, rms, onset, tempo, musicnn_logmel; or "all".
    #[arg(long, value_delimiter = ',', default_value = "mel_db,mfcc,chroma,centroid,bandwidth,rolloff,contrast,flatness,zcr,rms,tempo")]
    pub set: Vec<String>,
    /// Output folder: DIR/<file stem>/<feature>.<ext>.
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
    /// Sample rate to analyse at.
    #[arg(long, default_value_t = 22_050)]
    pub sr: u32,
    /// Number of MFCCs.
    #[arg(long, default_value_t = 20)]
    pub n_mfcc: usize,
    /// Number of mel bands.
    #[arg(long, default_value_t = 128)]
    pub n_mels: usize,
    /// Start this many seconds into each file.
    #[arg(long, default_value_t = 0.0)]
    pub offset: f64,
    /// Analyse at most this many seconds of each file.
    #[arg(long)]
    pub duration: Option<f64>,
    /// Hide the progress bar.
    #[arg(long, short)]
    pub quiet: bool,
}
