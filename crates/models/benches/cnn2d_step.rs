//! `cargo bench -p genrecast-models`: one training step and one inference pass of the 2-D CNN
//! (and the CRNN) at batch 32 of 1x128x128, on burn's CPU backend, median of 5. With
//! `GENRECAST_PEER_PYTHON` set to a Python that has TensorFlow (the peers' venv), the same
//! CNN is timed in Keras in the same run and the ratio printed. Pin to one core to compare
//! per-core speed: `taskset -c 0 env RAYON_NUM_THREADS=1 cargo bench -p genrecast-models`.

use genrecast_models::{time_steps, Architecture, ComputeDevice};

fn main() {
    // `cargo test --benches` runs this too; keep that quick.
    let steps = if std::env::args().any(|a| a == "--bench") { 5 } else { 1 };
    let mut cnn2d = None;
    for (name, arch) in [("cnn2d", Architecture::Cnn2d), ("crnn", Architecture::Crnn)] {
        match time_steps(ComputeDevice::Cpu, arch, 128, 128, 32, steps) {
            Ok(t) => {
                println!("{name}: batch 32 of 1x128x128, training step {:.3} s, inference {:.3} s (median of {steps}, {} rayon threads)", t.train_median(), t.infer_median(), rayon::current_num_threads());
                if arch == Architecture::Cnn2d {
                    cnn2d = Some(t);
                }
            }
            Err(e) => eprintln!("{name}: {e}"),
        }
    }
    let (Some(python), Some(ours)) = (std::env::var_os("GENRECAST_PEER_PYTHON"), cnn2d) else { return };
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tools/peer_keras_cnn2d.py");
    let out = std::process::Command::new(python)
        .arg(script)
        .args(["--batch", "32", "--steps", &steps.to_string()])
        .envs(["OMP_NUM_THREADS", "TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS"].map(|v| (v, "1")))
        .output();
    match out {
        Ok(o) if o.status.success() => {
            let line = String::from_utf8_lossy(&o.stdout).lines().last().unwrap_or_default().to_string();
            let v: serde_json::Value = serde_json::from_str(&line).unwrap_or_default();
            let (train, infer) = (v["train_step_s"].as_f64().unwrap_or(f64::NAN), v["inference_s"].as_f64().unwrap_or(f64::NAN));
            println!("keras ({}, 1 thread): training step {train:.3} s, inference {infer:.3} s", v["version"].as_str().unwrap_or("?"));
            println!("genrecast vs keras: {:.2}x in training, {:.2}x in inference (above 1: genrecast faster)", train / ours.train_median(), infer / ours.infer_median());
        }
        Ok(o) => eprintln!("keras peer failed: {}", String::from_utf8_lossy(&o.stderr).lines().last().unwrap_or_default()),
        Err(e) => eprintln!("keras peer: {e}"),
    }
}
