//! genrecast's neural models on burn: an MLP, a 1-D CNN, a 2-D CNN and a CRNN, each with a
//! 50-d embedding, and the training loop that fits them.

mod adadelta;
mod error;
mod network;
mod train;

pub use adadelta::{Adadelta, AdadeltaConfig};
pub use error::{Error, Result};
pub use network::{Architecture, GenreNet, NetworkConfig};
pub use train::{argmax, embeddings, loss, predict, probabilities, train, Augment, EpochRecord, Example, OptimizerKind, Schedule, Task, TrainConfig};

// burn's `RecordState` derive names these at the crate root.
pub(crate) use burn::optim::{RecordState, StateSink, StateSource};
