//! Splits on the shared GTZAN slice: the published lists, artist-grouped k-fold, leakage checks.

use std::collections::{BTreeSet, HashMap};

use genrecast_datasets::{balance, check_leakage, folds, holdout, open, Balancing, Dataset, DatasetKind, Error, Fold, GroupBy};
use genrecast_testutil::shared_dir;

fn gtzan() -> Option<Dataset> {
    shared_dir().map(|s| open(&s.join("data/gtzan"), Some(DatasetKind::Gtzan)).expect("gtzan"))
}

fn clips(ds: &Dataset, idx: &[usize]) -> BTreeSet<String> {
    idx.iter().map(|&i| ds.tracks[i].clip.clone()).collect()
}

fn list_clips(name: &str) -> BTreeSet<String> {
    let path = shared_dir().expect("shared").join("data/gtzan/splits").join(name);
    std::fs::read_to_string(path).expect("list").lines().filter(|l| !l.is_empty()).map(|l| {
        let file = l.split('\t').next().unwrap_or_default().rsplit('/').next().unwrap_or_default();
        file.trim_end_matches(".wav").replace('_', ".")
    }).collect()
}

#[test]
fn filtered_lists_put_every_file_of_a_clip_on_its_side() {
    let Some(ds) = gtzan() else { return };
    let fold = &folds(&ds, "filtered").expect("filtered")[0];
    let present: BTreeSet<String> = ds.tracks.iter().map(|t| t.clip.clone()).collect();
    for (side, list) in [(&fold.train, "train_filtered.txt"), (&fold.valid, "valid_filtered.txt")] {
        let want: BTreeSet<String> = list_clips(list).intersection(&present).cloned().collect();
        assert_eq!(clips(&ds, side), want, "{list}");
        // All files (variants) of those clips.
        assert_eq!(side.len(), ds.tracks.iter().filter(|t| want.contains(&t.clip)).count());
    }
    assert!(fold.test.is_empty(), "the test list is held back from the slice");
    assert_eq!(fold.missing, list_clips("test_filtered.txt").len() + list_clips("train_filtered.txt").len() + list_clips("valid_filtered.txt").len() - clips(&ds, &fold.train).len() - clips(&ds, &fold.valid).len());
    check_leakage(&ds, fold, GroupBy::Artist).expect("the filtered lists are artist-filtered");
    // The same split from the per-file column.
    let column = &folds(&ds, "column").expect("column")[0];
    assert_eq!((&column.train, &column.valid), (&fold.train, &fold.valid));
}

#[test]
fn foleis_three_folds_are_artist_disjoint() {
    let Some(ds) = gtzan() else { return };
    let f = folds(&ds, "folds3").expect("folds3");
    assert_eq!(f.len(), 3);
    let mut tested = BTreeSet::new();
    for fold in &f {
        check_leakage(&ds, fold, GroupBy::Artist).expect("artist-filtered");
        assert!(!fold.train.is_empty() && !fold.test.is_empty());
        tested.extend(fold.test.iter().copied());
    }
    // Each clip of the lists is tested in exactly one fold.
    let total: usize = f.iter().map(|x| x.test.len()).sum();
    assert_eq!(total, tested.len());
    let ipet = folds(&ds, "ipet10").expect("ipet10");
    assert_eq!(ipet.len(), 10);
    check_leakage(&ds, &ipet[0], GroupBy::Clip).expect("ipet folds are clip-disjoint");
}

#[test]
fn generated_kfold_keeps_artists_and_clips_together_and_stratifies() {
    let Some(ds) = gtzan() else { return };
    // Only tracks with an artist, so grouping is by artist throughout.
    let mut ds = ds;
    ds.retain(|t| t.artist.is_some());
    for seed in [0, 1, 2] {
        let f = folds(&ds, &format!("kfold:3:artist:{seed}")).expect("kfold");
        let mut seen = vec![0usize; ds.tracks.len()];
        for fold in &f {
            check_leakage(&ds, fold, GroupBy::Artist).expect("no artist crosses");
            for &i in &fold.test {
                seen[i] += 1;
            }
        }
        assert!(seen.iter().all(|&n| n == 1), "every track tested exactly once");
        // Stratified: each genre's share of each test fold is near a third. Artists are
        // large groups here (up to 30 files), so allow the largest artist's size as slack.
        let classes = ds.class_of_tracks();
        let mut per_artist: HashMap<&str, usize> = HashMap::new();
        for t in &ds.tracks {
            *per_artist.entry(t.artist.as_deref().unwrap_or_default()).or_default() += 1;
        }
        let slack = *per_artist.values().max().unwrap_or(&0) as f64;
        for c in 0..ds.labels.len() {
            let total = classes.iter().filter(|&&k| k == Some(c)).count() as f64;
            for fold in &f {
                let n = fold.test.iter().filter(|&&i| classes[i] == Some(c)).count() as f64;
                assert!((n - total / 3.0).abs() <= slack, "class {c}: {n} of {total} in {}", fold.name);
            }
        }
    }
    let again = folds(&ds, "kfold:3:artist:1").expect("kfold");
    assert_eq!(again, folds(&ds, "kfold:3:artist:1").expect("kfold"), "seeded: the same folds every run");
    let all: Vec<usize> = (0..ds.tracks.len()).collect();
    let (kept, held) = holdout(&ds, &all, 0.2, GroupBy::Artist, 0).expect("holdout");
    assert_eq!(kept.len() + held.len(), all.len());
    check_leakage(&ds, &Fold { name: "h".into(), train: kept, valid: held, ..Fold::default() }, GroupBy::Artist).expect("holdout by artist");
}

#[test]
fn leakage_is_refused_with_the_groups_named() {
    let Some(ds) = gtzan() else { return };
    // Put two variants of one clip on opposite sides.
    let clip = ds.tracks.iter().map(|t| &t.clip).find(|c| ds.tracks.iter().filter(|t| &t.clip == *c).count() > 1).expect("a clip with variants");
    let idx: Vec<usize> = ds.tracks.iter().enumerate().filter(|(_, t)| &t.clip == clip).map(|(i, _)| i).collect();
    let fold = Fold { name: "bad".into(), train: vec![idx[0]], test: vec![idx[1]], ..Fold::default() };
    match check_leakage(&ds, &fold, GroupBy::Clip) {
        Err(Error::Leakage(report)) => {
            assert_eq!(report.groups.len(), 1);
            assert!(report.to_string().contains(&format!("clip:{clip} in train+test")), "{report}");
        }
        other => panic!("expected leakage, got {other:?}"),
    }
    // An artist-level leak that a clip-level check cannot see.
    let artist = ds.tracks.iter().filter_map(|t| t.artist.clone()).find(|a| {
        ds.tracks.iter().filter(|t| t.artist.as_ref() == Some(a)).map(|t| &t.clip).collect::<BTreeSet<_>>().len() > 1
    }).expect("an artist with two clips");
    let mine: Vec<usize> = ds.tracks.iter().enumerate().filter(|(_, t)| t.artist.as_ref() == Some(&artist)).map(|(i, _)| i).collect();
    let other = mine.iter().copied().find(|&i| ds.tracks[i].clip != ds.tracks[mine[0]].clip).expect("second clip");
    let same_clip: Vec<usize> = mine.iter().copied().filter(|&i| ds.tracks[i].clip == ds.tracks[mine[0]].clip).collect();
    let fold = Fold { name: "artist".into(), train: same_clip, test: vec![other], ..Fold::default() };
    check_leakage(&ds, &fold, GroupBy::Clip).expect("clips are disjoint");
    assert!(matches!(check_leakage(&ds, &fold, GroupBy::Artist), Err(Error::Leakage(_))));
}

#[test]
fn balancing_on_the_training_side() {
    let Some(ds) = gtzan() else { return };
    let fold = &folds(&ds, "filtered").expect("filtered")[0];
    let classes = ds.class_of_tracks();
    let count = |idx: &[usize]| {
        let mut n = vec![0usize; ds.labels.len()];
        for &i in idx {
            n[classes[i].expect("labelled")] += 1;
        }
        n.into_iter().filter(|&c| c > 0).collect::<Vec<_>>()
    };
    let before = count(&fold.train);
    let over = balance(&classes, &fold.train, Balancing::Oversample, 3);
    let under = balance(&classes, &fold.train, Balancing::Undersample, 3);
    let max = *before.iter().max().expect("classes");
    let min = *before.iter().min().expect("classes");
    assert!(count(&over).iter().all(|&c| c == max), "{:?}", count(&over));
    assert!(count(&under).iter().all(|&c| c == min));
    let train: BTreeSet<usize> = fold.train.iter().copied().collect();
    assert!(over.iter().chain(&under).all(|i| train.contains(i)), "only training tracks are resampled");
}
