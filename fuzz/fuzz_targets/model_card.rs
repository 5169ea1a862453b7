//! Any bytes as a model folder's card (JSON) and weights (safetensors), split at the first
//! 0xFF byte: loading must validate and refuse, never panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (card, weights) = match data.iter().position(|&b| b == 0xFF) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[][..]),
    };
    let device = burn::tensor::Device::flex();
    let _ = genrecast_models::load_bytes(card, weights, "<fuzz>", &device);
});
