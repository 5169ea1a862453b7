//! Fits the fixed scale of the library's `summary` embedding: the per-dimension mean and
//! standard deviation of the summary vector over a corpus of files, written as the JSON that
//! `genrecast_models::summary_scale` compiles in.
//!
//! ```text
//! cargo run --release -p genrecast-models --example fit_summary_scale -- OUT.json "CORPUS IN WORDS" < file-list
//! ```
//! `tools/fit_summary_scale.sh` runs it on the files the default model was trained on.

use std::io::BufRead;

use genrecast_features::{FeatureConfig, FeatureExtractor};
use genrecast_models::{summary_vector_file, EmbeddingScale};
use rayon::prelude::*;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(out), Some(corpus)) = (args.next(), args.next()) else {
        return Err("usage: fit_summary_scale OUT.json \"CORPUS IN WORDS\" < file-list".into());
    };
    let files: Vec<String> = std::io::stdin().lock().lines().collect::<Result<Vec<_>, _>>()?.into_iter().filter(|l| !l.trim().is_empty()).collect();
    let fx = FeatureExtractor::new(FeatureConfig::default())?;
    let rows: Vec<Vec<f32>> = files
        .par_iter()
        .map(|f| summary_vector_file(f.as_ref(), &fx).map(|(v, _)| v).map_err(|e| format!("{f}: {e}")))
        .collect::<Result<_, _>>()?;
    let scale = EmbeddingScale::fit(&rows, &format!("{corpus} ({} files)", rows.len()));
    scale.validate("the fitted scale")?;
    std::fs::write(&out, serde_json::to_string_pretty(&scale)? + "\n")?;
    eprintln!("{} dimensions fitted on {} files, written to {out}", scale.len(), rows.len());
    Ok(())
}
