//! The MSD per-track reader on the six real files in `shared/data/msd/h5`, against what h5py
//! reads from them (the listing in that folder's SOURCE.txt).

use genrecast_datasets::read_msd_track;
use genrecast_testutil::shared_dir;

/// File, artist, title, duration, year, segments, beats, tempo, key, mode, time signature.
type Listing = (&'static str, &'static str, &'static str, f64, i64, usize, usize, f64, i64, i64, i64);

#[test]
fn msd_files_read_as_h5py_reads_them() {
    let Some(shared) = shared_dir() else { return };
    let want: [Listing; 6] = [
        ("TRAAABD128F429CF47", "The Box Tops", "Soul Deep", 148.04, 1969, 550, 296, 121.3, 6, 0, 4),
        ("TRAAADZ128F9348C2E", "Sonora Santanera", "Amor De Cabaret", 177.48, 0, 562, 291, 100.1, 8, 1, 1),
        ("TRAAAEF128F4273421", "Adam Ant", "Something Girls", 233.40, 1982, 821, 462, 119.3, 0, 1, 4),
        ("TRAAAFD128F92F423A", "Gob", "Face the Ashes", 209.61, 2007, 673, 444, 129.7, 2, 1, 4),
        ("TRAAAFP128F931B4E3", "F.L.Y. (Fast Life Yungstaz)", "Bands", 246.54, 0, 1059, 582, 142.0, 3, 1, 4),
        ("TRAXLZU12903D05F94", "Rick Astley", "Never Gonna Give You Up", 211.70, 1987, 935, 397, 113.4, 1, 1, 4),
    ];
    for (id, artist, title, duration, year, segments, beats, tempo, key, mode, ts) in want {
        let t = read_msd_track(&shared.join(format!("data/msd/h5/{id}.h5"))).unwrap_or_else(|e| panic!("{id}: {e}"));
        assert_eq!((t.track_id.as_str(), t.artist.as_str(), t.title.as_str()), (id, artist, title));
        assert_eq!((t.year, t.segments_timbre.len(), t.beats, t.key, t.mode, t.time_signature), (year, segments, beats, key, mode, ts), "{id}");
        assert!((t.duration - duration).abs() < 0.005 && (t.tempo - tempo).abs() < 0.05, "{id}: {} s, {} BPM", t.duration, t.tempo);
        // Segments start in time order within the track; pitch vectors are scaled to max 1.
        assert!(t.segments_start.windows(2).all(|w| w[0] <= w[1]) && *t.segments_start.last().expect("segments") <= t.duration);
        assert!(t.segments_pitches.iter().all(|p| p.iter().all(|&v| (0.0..=1.0).contains(&v))));
        let s = t.segment_series(300);
        assert_eq!((s.values.len(), s.mask.iter().filter(|&&m| m).count()), (300, 300.min(segments)));
        assert_eq!(s.values[0][0], t.segments_timbre[0][0] as f32);
        let long = t.segment_series(2000);
        assert!(!long.mask[1999] && long.values[1999] == [0.0; 24]);
    }
}

#[test]
fn a_file_that_is_not_msd_hdf5_is_named_in_the_error() {
    let dir = tempfile::tempdir().expect("tmp");
    let p = dir.path().join("TRNOTREAL.h5");
    std::fs::write(&p, b"not hdf5 at all").expect("write");
    let err = read_msd_track(&p).expect_err("garbage").to_string();
    assert!(err.contains("TRNOTREAL.h5") && err.contains("not a readable HDF5 file"), "{err}");
}
