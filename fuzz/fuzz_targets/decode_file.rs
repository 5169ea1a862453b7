//! Any bytes as an audio file: the container sniffer, our Sun AU reader, symphonia's WAV /
//! FLAC / MP3 / Ogg / MP4 paths, mixing and resampling. Must return Ok or a clear Err.
#![no_main]
use libfuzzer_sys::fuzz_target;
mod common;

fuzz_target!(|data: &[u8]| {
    // genrecast-audio catches a panic inside a third-party decoder and returns it as an
    // error naming the file (`Error::DecoderPanic`); libfuzzer-sys's hook would abort on it
    // even though it is handled. A silent hook keeps handled panics quiet; one that escapes
    // `load` still aborts (it unwinds into libFuzzer) and is reported as a crash.
    static QUIET: std::sync::Once = std::sync::Once::new();
    QUIET.call_once(|| std::panic::set_hook(Box::new(|_| {})));
    // The first byte picks a target rate, so that the resampler sees odd ratios too.
    let (rate, body) = match data.split_first() {
        Some((&b, rest)) => ([None, Some(8_000), Some(16_000), Some(22_050), Some(44_100)][b as usize % 5], rest),
        None => (None, data),
    };
    let path = common::scratch("audio", body);
    let opts = genrecast_audio::LoadOptions { sample_rate: rate, duration: Some(5.0), ..Default::default() };
    if let Ok(w) = genrecast_audio::load(&path, &opts) {
        assert!(w.samples.iter().all(|v| v.is_finite()), "non-finite samples");
    }
});
