//! The timbral texture vector and the rp_extract descriptors of a file computed as it
//! decodes (`extract_file`) equal those of the whole decode (`extract`), bit for bit, on
//! real music.

use genrecast_descriptors::timbral::TimbralExtractor;
use genrecast_testutil::shared_dir;

/// Timbral: small blocks, so that many seams are crossed.
#[test]
fn streamed_timbral_vector_equals_the_whole_files() {
    let Some(shared) = shared_dir() else { return };
    let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let files = [shared.join("data/gtzan/full_22k/jazz/jazz.00000.flac"), repo.join("examples/muldjord-chaos-god-excerpt.ogg")];
    let fx = TimbralExtractor::new(22_050).expect("extractor");
    let opts = genrecast_audio::LoadOptions { sample_rate: Some(22_050), ..Default::default() };
    for file in &files {
        let y = genrecast_audio::load(file, &opts).expect("decode").samples;
        let whole = fx.extract(&y).expect("whole");
        // Blocks of 1 frame: every frame's flux reads the previous block's spectrum.
        for block_frames in [1, 100, 1024] {
            let (streamed, _) = fx.extract_file_in_blocks(file, &genrecast_audio::LoadOptions::default(), block_frames).expect("streamed");
            assert_eq!(streamed, whole, "{} in blocks of {block_frames}", file.display());
        }
    }
}

/// The rp_extract descriptors of a file computed as it decodes
/// ([`RpExtractor::extract_file`]) equal [`RpExtractor::extract`] of the whole decode, bit
/// for bit: on a 30 s clip (every segment inside the file) and on the example song.
#[test]
fn streamed_rp_descriptors_equal_the_whole_files() {
    use genrecast_descriptors::rp::RpExtractor;
    let Some(shared) = shared_dir() else { return };
    let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let files = [shared.join("data/gtzan/full_22k/reggae/reggae.00000.flac"), repo.join("examples/muldjord-chaos-god-excerpt.ogg")];
    let fx = RpExtractor::new(22_050).expect("extractor");
    let opts = genrecast_audio::LoadOptions { sample_rate: Some(22_050), ..Default::default() };
    for file in &files {
        let y = genrecast_audio::load(file, &opts).expect("decode").samples;
        let whole = fx.extract(&y).expect("whole");
        let (streamed, _) = fx.extract_file(file, &genrecast_audio::LoadOptions::default()).expect("streamed");
        assert_eq!(streamed, whole, "{}", file.display());
    }
}
