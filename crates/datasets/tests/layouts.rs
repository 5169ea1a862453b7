//! Every loader on the shared data, checked against the publisher's own `labels.csv`, list
//! lengths, and the official FMA checksums.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use genrecast_datasets::{detect, load_folder, load_manifest, load_marsyas, open, verify_checksums, DatasetKind, ManifestOptions};
use genrecast_testutil::shared_dir;

fn data() -> Option<PathBuf> {
    shared_dir().map(|s| s.join("data"))
}

/// labels.csv rows as column -> value maps.
fn labels_csv(path: &Path) -> Vec<HashMap<String, String>> {
    let mut r = csv::Reader::from_path(path).expect("labels.csv");
    let headers = r.headers().expect("headers").clone();
    r.records().map(|row| headers.iter().zip(row.expect("row").iter()).map(|(h, v)| (h.to_string(), v.to_string())).collect()).collect()
}

#[test]
fn gtzan_matches_the_publishers_labels_csv() {
    let Some(data) = data() else { return };
    let root = data.join("gtzan");
    let ds = open(&root, None).expect("gtzan");
    assert_eq!(ds.kind, DatasetKind::Gtzan);
    let rows = labels_csv(&root.join("labels.csv"));
    assert_eq!(ds.tracks.len(), rows.len(), "every audio file of labels.csv and no other");
    let by_path: HashMap<PathBuf, _> = ds.tracks.iter().map(|t| (t.path.clone(), t)).collect();
    for row in &rows {
        let t = by_path.get(&root.join(&row["path"])).unwrap_or_else(|| panic!("{} not loaded", row["path"]));
        assert_eq!(t.label(), Some(row["genre"].as_str()), "{}", row["path"]);
        assert_eq!(t.clip, row["clip"]);
        assert_eq!(t.variant.as_deref(), Some(row["variant"].as_str()));
        let split = t.split.as_deref().unwrap_or("none");
        assert_eq!(split, row["filtered_split"], "{}", row["path"]);
    }
    assert_eq!(ds.labels.len(), 10);
    // Foleis' group files give an artist to exactly the clips they list (fold 1 lists all).
    let foleis = root.join("splits/sturm_filter_3folds_foleiss");
    let mut grouped = std::collections::HashSet::new();
    for f in ["f1_train_groups.txt", "f1_evaluate_groups.txt"] {
        for line in std::fs::read_to_string(foleis.join(f)).expect("groups").lines() {
            let name = line.split('\t').next().unwrap_or_default();
            grouped.insert(name.trim_start_matches("./").trim_end_matches(".wav").replace('_', "."));
        }
    }
    for t in &ds.tracks {
        assert_eq!(t.artist.is_some(), grouped.contains(&t.clip), "{}", t.clip);
    }
}

#[test]
fn gtzan_as_manifest_folder_and_marsyas_agree() {
    let Some(data) = data() else { return };
    let root = data.join("gtzan");
    let gtzan = open(&root, Some(DatasetKind::Gtzan)).expect("gtzan");
    let opts = ManifestOptions { split_column: Some("filtered_split".into()), ..ManifestOptions::default() };
    let manifest = load_manifest(&root.join("labels.csv"), &opts).expect("manifest");
    assert_eq!(detect(&root.join("labels.csv")), DatasetKind::Manifest);
    let key = |t: &genrecast_datasets::Track| (t.path.clone(), t.clip.clone(), t.labels.clone());
    let mut a: Vec<_> = gtzan.tracks.iter().map(key).collect();
    let mut b: Vec<_> = manifest.tracks.iter().map(key).collect();
    a.sort();
    b.sort();
    assert_eq!(a, b);
    // "none" in the split column is no split.
    assert_eq!(manifest.tracks.iter().filter(|t| t.split.as_deref() == Some("train")).count(), 252);

    let folder = load_folder(&root.join("full_22k")).expect("folder per label");
    assert_eq!(detect(&root.join("full_22k")), DatasetKind::Gtzan, "genre folders at depth 1 are GTZAN");
    let n_full = labels_csv(&root.join("labels.csv")).iter().filter(|r| r["variant"] == "full_22k").count();
    assert_eq!(folder.tracks.len(), n_full);
    for t in &folder.tracks {
        assert_eq!(t.path.parent().and_then(|p| p.file_name()).and_then(|n| n.to_str()), t.label());
    }

    // Marsyas: the collection names 100 blues clips by absolute paths of another machine.
    let mf = root.join("marsyas_mf/bl.mf");
    assert_eq!(detect(&mf), DatasetKind::Marsyas);
    let bl = load_marsyas(&mf, Some(&root.join("full_22k"))).expect("bl.mf");
    assert_eq!(bl.tracks.len(), 100);
    assert_eq!(bl.labels, ["bl"]);
    let present = std::fs::read_dir(root.join("full_22k/blues")).expect("blues").count();
    let resolved = bl.tracks.iter().filter(|t| t.path.is_file()).count();
    // The collection names .wav; the slice has the same clips as .flac.
    assert_eq!(resolved, present);
    assert_eq!(bl.tracks[0].clip, "blues.00000");
}

#[test]
fn fma_tracks_labels_and_official_checksums() {
    let Some(data) = data() else { return };
    let root = data.join("fma");
    assert_eq!(detect(&root), DatasetKind::Fma);
    let ds = open(&root, None).expect("fma");
    let rows = labels_csv(&root.join("labels.csv"));
    assert_eq!(ds.tracks.len(), rows.len());
    let by_id: BTreeMap<&str, _> = ds.tracks.iter().map(|t| (t.clip.as_str(), t)).collect();
    for row in &rows {
        let t = by_id[row["track_id"].as_str()];
        assert_eq!(t.label(), Some(row["genre_top"].as_str()));
        assert_eq!(t.path, root.join(&row["path"]));
        let want = match row["yuzper_set"].as_str() {
            "training" => "train",
            "validation" => "valid",
            other => other,
        };
        assert_eq!(t.split.as_deref(), Some(want));
    }
    // The official SHA-1 of all 8,000 fma_small files.
    let report = verify_checksums(&root.join("fma_small_checksums"), &root.join("fma_small")).expect("checksums");
    assert_eq!(report.ok, rows.len(), "{report:?}");
    assert!(report.mismatched.is_empty() && report.unlisted.is_empty());
    assert_eq!(report.absent, 8000 - rows.len());

    // The flat tracks CSV (7,904 rows) joins to the same audio.
    let dir = tempfile::tempdir().expect("tmp");
    std::os::unix::fs::symlink(root.join("fma_small"), dir.path().join("fma_small")).expect("link");
    std::fs::copy(root.join("fma_small_tracks.csv"), dir.path().join("fma_small_tracks.csv")).expect("copy");
    let flat = open(dir.path(), Some(DatasetKind::Fma)).expect("flat csv");
    assert_eq!(flat.tracks.len(), rows.len());
    assert!(flat.notes.iter().any(|n| n.contains(&format!("{} metadata rows have no audio", 7904 - rows.len()))), "{:?}", flat.notes);
}

#[test]
fn fma_official_tracks_csv_three_header_rows() {
    // The layout of fma_metadata/tracks.csv (Defferrard et al.), cut to the columns we read.
    let dir = tempfile::tempdir().expect("tmp");
    let audio = dir.path().join("fma_small/000");
    std::fs::create_dir_all(&audio).expect("dirs");
    for id in ["000002", "000005", "000010"] {
        std::fs::write(audio.join(format!("{id}.mp3")), b"").expect("file");
    }
    std::fs::create_dir_all(dir.path().join("fma_metadata")).expect("dir");
    std::fs::write(
        dir.path().join("fma_metadata/tracks.csv"),
        ",artist,set,set,track,track\n,id,split,subset,genre_top,title\ntrack_id,,,,,\n\
         2,1,training,small,Hip-Hop,Food\n5,1,validation,small,Hip-Hop,This World\n10,6,test,small,,Freeway\n",
    )
    .expect("csv");
    let ds = open(dir.path(), None).expect("official tracks.csv");
    let got: Vec<_> = ds.tracks.iter().map(|t| (t.clip.as_str(), t.label(), t.artist.as_deref(), t.split.as_deref())).collect();
    assert_eq!(got, [("2", Some("Hip-Hop"), Some("1"), Some("train")), ("5", Some("Hip-Hop"), Some("1"), Some("valid"))]);
    assert!(ds.notes.iter().any(|n| n.contains("1 audio files have no top genre")), "{:?}", ds.notes);
}

#[test]
fn magnatagatune_lists_and_labels() {
    let Some(data) = data() else { return };
    let root = data.join("mtat");
    assert_eq!(detect(&root), DatasetKind::Mtat);
    let ds = open(&root, None).expect("mtat");
    assert!(ds.multi_label);
    assert_eq!(ds.labels.len(), 50);
    assert_eq!(ds.labels[..3], ["guitar", "classical", "slow"]);
    let count = |side: &str| ds.tracks.iter().filter(|t| t.split.as_deref() == Some(side)).count();
    // Lengths of Lee et al.'s label matrices (1529 x 50, 4332 x 50).
    assert_eq!(count("valid"), 1529);
    assert_eq!(count("test"), 4332);
    // "more than 1 tag" per kept clip, as their README says: every labelled row has a tag.
    for t in ds.tracks.iter().filter(|t| t.split.as_deref() != Some("train")) {
        assert!(!t.labels.is_empty(), "{}", t.path.display());
    }
    assert_eq!(ds.label_matrix()[ds.tracks.iter().position(|t| t.split.as_deref() == Some("valid")).expect("valid")].len(), 50);

    // Segments of one song never cross Lee et al.'s sides (valid/test: train has no labels here
    // but is listed).
    let fold = &genrecast_datasets::folds(&ds, "column").expect("column")[0];
    genrecast_datasets::check_leakage(&ds, fold, genrecast_datasets::GroupBy::Clip).expect("songs stay on one side");

    // Won et al.'s copy: same lengths, same clips.
    let won = open(&root.join("sota_split_minzwon_copy"), None).expect("won");
    assert_eq!(won.tracks.iter().filter(|t| t.split.as_deref() == Some("valid")).count(), 1529);
    assert_eq!(won.tracks.iter().filter(|t| t.split.as_deref() == Some("test")).count(), 4332);
    // Both name the same 50 tags, but spelled differently ("no vocals" / "noVocals") and in a
    // different order ("metal" and "female voice" swap places): each label matrix must be read
    // with its own list.
    let norm = |tags: &[String]| tags.iter().map(|t| t.replace(' ', "").to_lowercase()).collect::<std::collections::BTreeSet<_>>();
    assert_eq!(norm(&won.labels), norm(&ds.labels));
    assert_ne!(won.labels.iter().position(|t| t == "metal"), ds.labels.iter().position(|t| t == "metal"));
}

#[test]
fn tagtraum_cls() {
    let Some(data) = data() else { return };
    let cls = data.join("msd/tagtraum/msd_tagtraum_cd1.cls");
    assert_eq!(detect(&cls), DatasetKind::Tagtraum);
    let ds = open(&cls, None).expect("cls");
    assert_eq!(ds.tracks.len(), 133_676, "tagtraum CD1 labels 133,676 tracks");
    assert_eq!(ds.tracks[0].clip, "TRAAAAK128F9318786");
    assert_eq!(ds.tracks[0].labels, ["Pop_Rock"]);
    assert!(ds.tracks.iter().any(|t| t.labels.len() == 2), "CD1 carries minority genres");
    let h5: Vec<_> = ds.tracks.iter().filter(|t| t.path.is_file()).map(|t| t.clip.clone()).collect();
    assert!(h5.contains(&"TRAAABD128F429CF47".to_string()), "found {h5:?}");
    // Lee et al.'s test list (a pickle of 37,817 CD2C ids) beside it: 18,701 of them are CD1
    // tracks (counted with `join` on the two id lists, outside genrecast).
    let test: Vec<&str> = ds.tracks.iter().filter(|t| t.split.as_deref() == Some("test")).map(|t| t.clip.as_str()).collect();
    assert_eq!(test.len(), 18_701);
    assert!(test.contains(&"TRAAAAW128F429D538"));
    assert_eq!(ds.tracks[0].split.as_deref(), Some("train"));
    let folds = genrecast_datasets::folds(&ds, "column").expect("column split");
    assert_eq!((folds[0].test.len(), folds[0].train.len()), (18_701, 133_676 - 18_701));
}

#[test]
fn bad_metadata_names_file_and_line() {
    let dir = tempfile::tempdir().expect("tmp");
    let cls = dir.path().join("x.cls");
    std::fs::write(&cls, "# c\nTRAAAAK128F9318786\tRock\nnot-an-id\tPop\n").expect("write");
    let err = open(&cls, None).expect_err("bad id").to_string();
    assert!(err.contains("x.cls line 3") && err.contains("not-an-id"), "{err}");
    let csv = dir.path().join("m.csv");
    std::fs::write(&csv, "file,genre\na.wav,rock\n").expect("write");
    let err = open(&csv, None).expect_err("no path column").to_string();
    assert!(err.contains("m.csv") && err.contains("no column 'path'"), "{err}");
    let err = open(&dir.path().join("missing"), None).expect_err("missing").to_string();
    assert!(err.contains("missing"), "{err}");
}
