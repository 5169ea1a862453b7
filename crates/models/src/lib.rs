//! genrecast's neural models on burn: an MLP, a 1-D CNN, a 2-D CNN and a CRNN, each with a
//! 50-d embedding, and the training loop that fits them.

mod adadelta;
mod checkpoint;
mod classifier;
mod device;
mod embedding_scale;
mod error;
mod finetune;
mod inputs;
pub mod int8;
mod int8_conv;
pub mod musicnn;
mod network;
mod step_timing;
mod streamed;
mod train;
pub mod vgg;
pub mod zero_shot;

pub use adadelta::{Adadelta, AdadeltaConfig};
pub use checkpoint::{load, load_bytes, load_trainable, save, weights_digest, ModelCard, ParentModel, TrainedOn, MODEL_FORMAT};
pub use classifier::{aggregate_windows, model_card, retired_model, spread, Aggregation, BuiltinModel, Classifier, Prediction, Tagger, WindowPrediction, BUILTIN_MODELS, DEFAULT_MAX_WINDOWS, DEFAULT_MODEL};
pub use device::ComputeDevice;
pub use embedding_scale::{summary_scale, EmbeddingScale};
pub use error::{Error, Result};
pub use inputs::{append_lyrics, backbone_embeddings, crop, fitting_rows, join_patches, msd_segment_matrix, random_crops, summary_vector, target, track_matrices, track_means, window_starts, windows, InputPreset, InputSpec, Normalizer, TrackRows, DEFAULT_LYRICS_DIMS, DEFAULT_SEGMENTS};
pub use int8::Kernel;
pub use finetune::{fine_tune, FineTuneConfig, FineTuneEpoch, FineTunedMusicnn, FreezeUntil, LabelledInput};
pub use musicnn::{Backbone, BackboneLayer, Musicnn, MusicnnOutput, Precision};
pub use network::{Architecture, GenreNet, NetworkConfig};
pub use step_timing::{time_musicnn, time_steps, StepTimes};
pub use streamed::{seek_default, set_seek_default, streams, summary_vector_file, STREAM_ABOVE_SECONDS, STREAM_UNKNOWN_ABOVE_BYTES};
pub use zero_shot::ZeroShot;
pub use train::{argmax, embeddings, track_embedding_scale, loss, predict, probabilities, train, Augment, EpochRecord, Example, OptimizerKind, Schedule, Task, TrainConfig, Trained};

// burn's `RecordState` derive names these at the crate root.
pub(crate) use burn::optim::{RecordState, StateSink, StateSource};

/// burn seeds its CPU backend's random numbers globally: runs that seed it and then draw
/// (weight init, dropout masks) hold this lock so that concurrent runs in one process cannot
/// interleave their draws and break reproducibility.
pub(crate) fn backend_rng_lock() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}
