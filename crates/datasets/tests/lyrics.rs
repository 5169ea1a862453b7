//! The musiXmatch reader on the real excerpts of the official files in
//! `shared/data/msd/musixmatch` (see its SOURCE.txt), joined with tagtraum genre labels.

use std::path::Path;

use genrecast_datasets::{LyricsBags, TfIdf};
use genrecast_testutil::shared_dir;

#[test]
fn musixmatch_excerpts_read_and_join_tagtraum_labels() {
    let Some(shared) = shared_dir() else { return };
    let dir = shared.join("data/msd/musixmatch");
    let (train, test) = (dir.join("mxm_dataset_train.head114.txt"), dir.join("mxm_dataset_test.head8259.txt"));
    let bags = LyricsBags::read(&[train.as_path(), test.as_path()]).expect("read");
    // SOURCE.txt: 5,000 words; 114 complete train tracks and 8,259 test tracks.
    assert_eq!(bags.words.len(), 5000);
    assert_eq!(&bags.words[..5], ["i", "the", "you", "to", "and"]);
    assert_eq!(bags.tracks.len(), 114 + 8259);
    // The first data line of the train file: TRAAAAV128F421A322,4623710,1:6,2:4,3:2,...
    let first = bags.get("TRAAAAV128F421A322").expect("first track");
    assert_eq!((first.mxm_id, &first.counts[..3]), (4_623_710, &[(0, 6), (1, 4), (2, 2)][..]));
    assert!(bags.tracks.iter().all(|b| b.counts.windows(2).all(|w| w[0].0 < w[1].0)));

    // Join with the tagtraum CD1 genre labels by track id.
    let cls = std::fs::read_to_string(shared.join("data/msd/tagtraum/msd_tagtraum_cd1.cls")).expect("cls");
    let labelled = cls.lines().filter_map(|l| l.split('\t').next()).filter(|id| bags.get(id).is_some()).count();
    println!("{labelled} of {} lyrics tracks have a tagtraum CD1 genre", bags.tracks.len());
    assert!(labelled > 100, "{labelled}");

    // TF-IDF fitted on the train half: unit norm, and a word in every bag weighs least.
    let tfidf = TfIdf::fit(bags.tracks.iter().take(114), bags.words.len());
    let v = tfidf.transform(first);
    assert!((v.iter().map(|(_, w)| w * w).sum::<f64>() - 1.0).abs() < 1e-12);
    assert!(tfidf.idf.iter().all(|&i| i >= 1.0));
}

#[test]
fn malformed_musixmatch_lines_name_file_and_line() {
    let dir = tempfile::tempdir().expect("tmp");
    let write = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).expect("write");
        p
    };
    let cases = [
        ("no_words.txt", "# header\nTRAAAAV128F421A322,1,1:2\n", "line 2: a track before the %-line"),
        ("zero.txt", "%a,b\nTRAAAAV128F421A322,1,0:2\n", "line 2: word index 0 outside 1..=2"),
        ("big.txt", "%a,b\nTRAAAAV128F421A322,1,3:2\n", "line 2: word index 3 outside 1..=2"),
        ("pair.txt", "%a,b\nTRAAAAV128F421A322,1,1-2\n", "line 2: '1-2' is not idx:count"),
        ("id.txt", "%a,b\nTRAAAAV128F421A322\n", "line 2: no musiXmatch track id"),
        ("empty.txt", "", "no %-line of words"),
    ];
    for (name, text, want) in cases {
        let p = write(name, text);
        let err = LyricsBags::read(&[p.as_path()]).expect_err(name).to_string();
        assert!(err.contains(name) && err.contains(want), "{name}: {err}");
    }
    let a = write("a.txt", "%a,b\n");
    let b = write("b.txt", "%a,c\n");
    let err = LyricsBags::read(&[Path::new(&a), Path::new(&b)]).expect_err("mismatch").to_string();
    assert!(err.contains("word list differs"), "{err}");
}

/// Word vectors from co-occurrence in the real bags: the nearest words of a few probes are
/// judged against hand-made lists of related words (German function words, church words,
/// gun words), not against our own earlier output.
#[test]
fn word_vectors_from_the_musixmatch_bags_group_related_words() {
    let Some(shared) = shared_dir() else { return };
    let dir = shared.join("data/msd/musixmatch");
    let bags = LyricsBags::read(&[dir.join("mxm_dataset_test.head8259.txt").as_path()]).expect("read");
    let wv = genrecast_datasets::WordVectors::fit(bags.tracks.iter(), bags.words.len(), 50, 5, 0);
    let id = |w: &str| bags.words.iter().position(|x| x == w).expect(w);
    let nearest = |w: &str| -> Vec<&str> {
        let i = id(w);
        let mut near: Vec<(f64, usize)> = (0..bags.words.len()).filter(|&j| j != i).map(|j| (wv.cosine(i, j), j)).collect();
        near.sort_by(|a, b| b.0.total_cmp(&a.0));
        near[..8].iter().map(|&(_, j)| bags.words[j].as_str()).collect()
    };
    let cases: [(&str, &[&str], usize); 3] = [
        ("und", &["ein", "zu", "ist", "auf", "ich", "nicht", "der", "die", "das", "du", "mich", "mir", "sie", "es", "wir", "dich", "mein", "kein", "sind", "bin", "noch", "nur", "mit", "den", "dem", "im", "von", "was", "wenn", "wie", "dann", "doch"], 6),
        ("god", &["pray", "lord", "soul", "faith", "heaven", "jesu", "prais", "prayer", "bless", "father", "holi", "sin", "angel", "glori"], 3),
        ("gun", &["shot", "bullet", "smoke", "kill", "trigger", "pistol", "shoot", "gat", "glock", "blood", "dead", "murder", "crack"], 3),
    ];
    for (probe, related, at_least) in cases {
        let near = nearest(probe);
        let hits = near.iter().filter(|w| related.contains(w)).count();
        assert!(hits >= at_least, "{probe}: nearest {near:?}, {hits} related (want {at_least})");
    }
    // Words in fewer than 5 songs get no vector.
    let rare = (0..bags.words.len()).find(|&w| bags.tracks.iter().filter(|b| b.counts.iter().any(|c| c.0 as usize == w)).count() < 5);
    if let Some(w) = rare {
        assert!(wv.vector(w).iter().all(|&x| x == 0.0));
    }
}
