//! The feature cache: round trips, damage detection, keys, concurrent writers.

use std::path::Path;

use genrecast_datasets::{CacheKey, CacheLookup, FeatureCache};
use genrecast_features::Array2;

fn features() -> Vec<(String, Array2)> {
    vec![
        ("mfcc".into(), Array2 { rows: 2, cols: 3, data: vec![1.0, -2.5, 3.25, f32::MIN_POSITIVE, 0.0, 7.0] }),
        ("rms".into(), Array2 { rows: 1, cols: 3, data: vec![0.5, 0.25, 0.125] }),
    ]
}

#[test]
fn round_trip_and_keys() {
    let dir = tempfile::tempdir().expect("tmp");
    let cache = FeatureCache::open(dir.path()).expect("open");
    let key = CacheKey::from_content(b"audio bytes", "{\"sr\":22050}");
    assert!(matches!(cache.get(&key).expect("get"), CacheLookup::Miss));
    cache.put(&key, &features(), Path::new("a.wav")).expect("put");
    match cache.get(&key).expect("get") {
        CacheLookup::Hit(got) => assert_eq!(got, features()),
        other => panic!("{other:?}"),
    }
    // Another configuration or other content is another entry.
    assert!(matches!(cache.get(&CacheKey::from_content(b"audio bytes", "{\"sr\":16000}")).expect("get"), CacheLookup::Miss));
    assert!(matches!(cache.get(&CacheKey::from_content(b"audio bytez", "{\"sr\":22050}")).expect("get"), CacheLookup::Miss));
    let stats = cache.stats().expect("stats");
    assert_eq!((stats.entries, stats.temp_files), (1, 0));
    assert_eq!(cache.clear().expect("clear").entries, 1);
    assert_eq!(cache.stats().expect("stats").entries, 0);
}

#[test]
fn damaged_entries_are_detected_and_dropped() {
    let dir = tempfile::tempdir().expect("tmp");
    let cache = FeatureCache::open(dir.path()).expect("open");
    let key = CacheKey::from_content(b"x", "cfg");
    let path = cache.entry_path(&key);
    for damage in ["flip", "truncate", "empty"] {
        cache.put(&key, &features(), Path::new("x.wav")).expect("put");
        let mut bytes = std::fs::read(&path).expect("read");
        match damage {
            "flip" => {
                let last = bytes.len() - 3;
                bytes[last] ^= 0x40;
            }
            "truncate" => bytes.truncate(bytes.len() - 5),
            _ => bytes.clear(),
        }
        std::fs::write(&path, &bytes).expect("write");
        assert!(matches!(cache.get(&key).expect("get"), CacheLookup::Corrupt(_)), "{damage}");
        assert!(!path.exists(), "{damage}: the damaged entry is removed");
    }
    cache.put(&key, &features(), Path::new("x.wav")).expect("put");
    std::fs::write(path.with_file_name("garbage.safetensors"), b"not safetensors").expect("write");
    let (good, bad) = cache.verify().expect("verify");
    assert_eq!((good, bad.len()), (1, 1));
}

#[test]
fn key_of_a_file_is_its_content() {
    let dir = tempfile::tempdir().expect("tmp");
    let (a, b) = (dir.path().join("a.wav"), dir.path().join("b.wav"));
    std::fs::write(&a, b"same").expect("a");
    std::fs::write(&b, b"same").expect("b");
    let ka = CacheKey::for_file(&a, "c").expect("key");
    assert_eq!(ka.hex(), CacheKey::for_file(&b, "c").expect("key").hex(), "renamed or copied files share entries");
    std::fs::write(&b, b"diff").expect("b");
    assert_ne!(ka.hex(), CacheKey::for_file(&b, "c").expect("key").hex());
    assert!(CacheKey::for_file(&dir.path().join("none.wav"), "c").expect_err("missing").to_string().contains("none.wav"));
}

#[test]
fn concurrent_writers_and_readers_see_whole_entries() {
    let dir = tempfile::tempdir().expect("tmp");
    let cache = FeatureCache::open(dir.path()).expect("open");
    let key = CacheKey::from_content(b"shared", "cfg");
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                for _ in 0..50 {
                    cache.put(&key, &features(), Path::new("s.wav")).expect("put");
                    match cache.get(&key).expect("get") {
                        CacheLookup::Hit(got) => assert_eq!(got, features()),
                        other => panic!("a reader saw {other:?}"),
                    }
                }
            });
        }
    });
    assert_eq!(cache.stats().expect("stats").temp_files, 0);
}
