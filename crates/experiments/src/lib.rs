//! genrecast's experiment layer: what `genrecast train`, `eval`, `bench-models` and
//! `bench-embeddings` do, as plain functions that the binary, the server and the Python wheel
//! share.
//!
//! - [`DatasetSource`] opens a dataset; [`prepare_dataset`] readies it for a model's input.
//! - [`train`] trains one fold or every fold of a split ([`train_fold`] one), each scored per
//!   track on its held-out side ([`score_tracks`]).
//! - [`evaluate`] scores a trained model on one side of a fold: an [`EvalReport`].
//! - [`bench_models`] and [`bench_embeddings`] give the benchmark tables' rows.
//!
//! Settings are plain structs ([`TrainOptions`], [`EvalOptions`], [`BenchModelsOptions`],
//! [`BenchEmbeddingsOptions`]) whose defaults are the command line's. The device, the feature
//! cache and where news goes come in a [`Runtime`]; nothing here prints or picks a device.
//!
//! ```no_run
//! use genrecast_experiments::{evaluate, train, DatasetSource, EvalOptions, Runtime, Stderr, TrainOptions};
//! let data = DatasetSource::new("../shared/data/gtzan");
//! let rt = Runtime { device: "cpu".parse()?, cache: None, progress: &Stderr };
//! let opts = TrainOptions { model: "mlp".into(), split: "folds3".into(), epochs: 5, out: "models/mlp".into(), ..Default::default() };
//! let trained = train(&data, &opts, &rt, &mut |_| std::ops::ControlFlow::Continue(()))?;
//! let eval = evaluate("models/mlp".as_ref(), &data, &EvalOptions { split: "folds3".into(), ..Default::default() }, &rt)?;
//! assert_eq!(eval.to_json()["accuracy"].as_f64(), Some(trained.folds[0].accuracy));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod bench_embeddings;
mod bench_models;
mod error;
mod eval;
mod feature_sets;
mod finetune;
mod inputs;
pub mod lyrics;
mod options;
mod prepare;
mod progress;
mod score;
mod source;
mod train;

pub use bench_embeddings::{bench_embeddings, EmbeddingRow};
pub use bench_models::{inner_cv, bench_models, BenchModels, Row};
pub use error::{chain as error_chain, Error, Result};
pub use eval::{evaluate, EvalReport, Figures, TrackPrediction};
pub use feature_sets::{feature_set, group_ids, FeatureSet};
pub use inputs::{matrices, middle_windows, model_inputs, with_lyrics, LyricsVectors};
pub use options::{BenchEmbeddingsOptions, BenchModelsOptions, EvalOptions, TrainOptions};
pub use prepare::{backbones_and_layer, default_input, prepare_dataset};
pub use progress::{Counter, Progress, Silent, Stderr};
pub use score::{aggregate_tracks, confusion, judged_from, score_tracks, tagging_report, TrackScores};
pub use source::DatasetSource;
pub use train::{train, train_fold, FoldResult, TrainReport};

/// Where an experiment runs: the device its networks run on, the feature cache it reads and
/// fills (`None`: none), and where its news goes.
///
/// ```
/// use genrecast_experiments::{Runtime, Silent};
/// let rt = Runtime { device: genrecast_models::ComputeDevice::Cpu, cache: None, progress: &Silent };
/// assert!(!rt.device.is_gpu());
/// ```
#[derive(Clone, Copy)]
pub struct Runtime<'a> {
    /// Where networks train and run (a GPU that is not there is an error, never a CPU run).
    pub device: genrecast_models::ComputeDevice,
    /// The feature cache, if any.
    pub cache: Option<&'a genrecast_datasets::FeatureCache>,
    /// Where news and counts go.
    pub progress: &'a dyn Progress,
}
