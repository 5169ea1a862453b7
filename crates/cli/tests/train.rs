//! `genrecast train` and `genrecast eval` on the shared GTZAN slice (a small MLP, to stay fast).

use crate::{bin, text};
use genrecast_testutil::shared_dir;

#[test]
fn train_then_eval_with_leakage_checks() {
    let Some(shared) = shared_dir() else { return };
    let gtzan = shared.join("data/gtzan");
    let tmp = tempfile::tempdir().expect("tmp");
    let model = tmp.path().join("mlp");
    let out = bin()
        .args(["train", "--model", "mlp", "--split", "filtered", "--epochs", "12", "-q", "--out"])
        .arg(&model)
        .arg(&gtzan)
        .output()
        .expect("train");
    assert!(out.status.success(), "{}", text(&out.stderr));
    for f in ["model.safetensors", "model.json", "history.csv"] {
        assert!(model.join(f).is_file(), "{f}");
    }
    let card: serde_json::Value = serde_json::from_slice(&std::fs::read(model.join("model.json")).expect("card")).expect("json");
    assert_eq!(card["labels"].as_array().map(Vec::len), Some(10));
    assert_eq!(card["network"]["embedding"], 50);
    assert_eq!(card["trained_on"]["split"], "filtered");
    // The scale a library applies to this model's embeddings: fitted on its training tracks.
    let scale = &card["embedding_scale"];
    assert_eq!(scale["mean"].as_array().map(Vec::len), Some(50), "{scale}");
    assert!(scale["std"].as_array().expect("std").iter().all(|s| s.as_f64().is_some_and(|s| s > 0.0)), "{scale}");
    assert!(scale["fitted_on"].as_str().is_some_and(|s| s.contains("training tracks of gtzan")), "{scale}");
    let history = std::fs::read_to_string(model.join("history.csv")).expect("history");
    assert!(history.lines().count() >= 2 && history.starts_with("epoch,lr,train_loss"));

    // Scoring the model on its own validation side is what train reported; on its training
    // side eval refuses.
    let report = tmp.path().join("report");
    let out = bin().args(["eval", "--split", "filtered", "--side", "valid", "--json", "-q", "--report"]).arg(&report).arg("--model").arg(&model).arg(&gtzan).output().expect("eval");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["tracks"], 120);
    // The model is said to be trained on a dataset by name, not on a path of the machine that
    // trained it.
    assert_eq!(v["trained_on"], "gtzan", "{v}");
    // The report folder: every metric, the worst-confused tracks, and the plots.
    let r: serde_json::Value = serde_json::from_slice(&std::fs::read(report.join("report.json")).expect("report.json")).expect("json");
    assert_eq!(r["report"]["accuracy"], v["accuracy"]);
    assert_eq!(r["report"]["examples"], 120);
    assert_eq!(r["report"]["per_class_ranking"].as_array().map(Vec::len), Some(10));
    let wrong = r["misclassified"].as_array().expect("misclassified");
    let accuracy = v["accuracy"].as_f64().expect("accuracy");
    assert_eq!(wrong.len(), 120 - (accuracy * 120.0).round() as usize);
    assert!(wrong.windows(2).all(|w| w[0]["truth_probability"].as_f64() <= w[1]["truth_probability"].as_f64()));
    let md = std::fs::read_to_string(report.join("report.md")).expect("report.md");
    assert!(md.contains("## Worst-confused tracks") && md.contains("| class | support | precision | recall | F1 | ROC-AUC | AP | PR-AUC |"), "{md}");
    // Every figure as a PNG that decodes and is not blank, and as an SVG.
    for stem in ["confusion", "f1", "pr-curves", "roc-curves", "training"] {
        let (w, h, colours) = crate::library::png_facts(&std::fs::read(report.join(format!("{stem}.png"))).expect(stem));
        assert!(w >= 300 && h >= 250 && colours > 5, "{stem}: {w} x {h}, {colours} colours");
        assert!(std::fs::read_to_string(report.join(format!("{stem}.svg"))).expect("svg").trim_end().ends_with("</svg>"), "{stem}.svg");
        assert!(md.contains(&format!("]({stem}.png)")) && md.contains(&format!("]({stem}.svg)")), "report.md links {stem}");
    }
    // What the terminal said is in the report too: the per-variant scores, and that these
    // tracks chose the model's epoch; the worst-confused rows say which variant they are.
    assert!(md.contains("## Per variant\n") && md.contains("their score is optimistic") && md.contains("| clip | variant | true |"), "{md}");
    assert!(md.contains("ms per track") && md.contains("(trained on gtzan filtered)"), "{md}");
    // report.html: one file holding everything, the figures as data URIs, nothing fetched.
    let html = std::fs::read_to_string(report.join("report.html")).expect("report.html");
    assert_eq!(html.matches("<img src=\"data:image/png;base64,").count(), 5);
    assert!(!html.contains("src=\"http") && !html.contains("<link") && !html.contains("<script") && !html.contains("url("), "external resources");
    assert!(html.contains("<th>variant</th>") && html.contains("their score is optimistic") && html.contains("<h2>Per variant</h2>"));
    assert!(!std::fs::read_dir(&report).expect("report").flatten().any(|e| e.file_name().to_string_lossy().contains("partial")), "no temporary file left");
    // Ten genres: chance is 0.1. A 90-d timbral summary MLP does far better on 2 s crops.
    assert!(v["balanced_accuracy"].as_f64().expect("bacc") > 0.2, "{v}");
    assert!(v["per_variant_accuracy"].as_object().is_some_and(|m| !m.is_empty()));
    let out = bin().args(["eval", "--split", "filtered", "--side", "train", "-q", "--model"]).arg(&model).arg(&gtzan).output().expect("eval");
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("--side train"), "{}", text(&out.stderr));
    // Evaluating on another split that contains training artists is refused.
    let out = bin().args(["eval", "--split", "kfold:3", "-q", "--model"]).arg(&model).arg(&gtzan).output().expect("eval");
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("share a clip or artist with the model's training data"), "{}", text(&out.stderr));

    // A damaged model folder is refused with the file named.
    std::fs::write(model.join("model.json"), b"{\"format\": 1}").expect("write");
    let out = bin().args(["eval", "--split", "filtered", "-q", "--model"]).arg(&model).arg(&gtzan).output().expect("eval");
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("model.json: not a genrecast model card"), "{}", text(&out.stderr));
}

#[test]
fn train_refuses_a_leaking_split() {
    let Some(shared) = shared_dir() else { return };
    let tmp = tempfile::tempdir().expect("tmp");
    // A manifest whose split puts two variants of one clip on both sides.
    let gtzan = shared.join("data/gtzan");
    let csv = tmp.path().join("leaky.csv");
    let mut rows = String::from("path,genre,clip,split\n");
    // disco.00004 is in the slice at 22 kHz and at 16 kHz (labels.csv).
    let a = gtzan.join("full_22k/disco/disco.00004.flac");
    let b = gtzan.join("full_16k/disco/disco.00004.flac");
    let c = gtzan.join("full_22k/jazz/jazz.00000.flac");
    for (p, g, clip, s) in [(&a, "disco", "disco.00004", "train"), (&b, "disco", "disco.00004", "test"), (&c, "jazz", "jazz.00000", "train")] {
        assert!(p.is_file(), "{}", p.display());
        rows.push_str(&format!("{},{g},{clip},{s}\n", p.display()));
    }
    std::fs::write(&csv, rows).expect("csv");
    let out = bin().args(["train", "--model", "mlp", "--split", "column", "--epochs", "1", "-q", "--out"]).arg(tmp.path().join("m")).arg(&csv).output().expect("train");
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("clip:disco.00004"), "{}", text(&out.stderr));

    // The same options from a config file (the split comes from it), then one it does not know.
    let config = tmp.path().join("train.toml");
    std::fs::write(&config, "model = \"mlp\"\nsplit = \"column\"\nepochs = 1\nquiet = true\n").expect("config");
    let out = bin().args(["train", "--config"]).arg(&config).arg("--out").arg(tmp.path().join("m")).arg(&csv).output().expect("train");
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("clip:disco.00004"), "{}", text(&out.stderr));
    std::fs::write(&config, "bogus_option = 3\n").expect("config");
    let out = bin().args(["train", "--config"]).arg(&config).arg("--out").arg(tmp.path().join("m")).arg(&csv).output().expect("train");
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("--bogus-option"), "{}", text(&out.stderr));
}

#[test]
fn tagging_trains_and_evaluates_with_ranking_metrics() {
    let Some(shared) = shared_dir() else { return };
    let gtzan = shared.join("data/gtzan");
    let tmp = tempfile::tempdir().expect("tmp");
    // Two tags per file from the slice's own labels: its genre, and "excerpt" for the 2-3 s
    // excerpts. 120 files of four genres, grouped by artist for the split.
    let labels = std::fs::read_to_string(gtzan.join("labels.csv")).expect("labels.csv");
    let mut manifest = String::from("path,clip,tags\n");
    for line in labels.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        if ["classical", "metal", "pop", "reggae"].contains(&f[1]) && manifest.lines().count() <= 120 {
            let tags = if f[3] == "excerpts_22k" { format!("{}|excerpt", f[1]) } else { f[1].to_string() };
            manifest.push_str(&format!("{},{},{tags}\n", gtzan.join(f[0]).display(), f[2]));
        }
    }
    let csv = tmp.path().join("tags.csv");
    std::fs::write(&csv, manifest).expect("manifest");
    let model = tmp.path().join("tagger");
    let out = bin()
        .args(["train", "--model", "mlp", "--label-column", "tags", "--label-separator", "|", "--split", "kfold:3:clip", "--epochs", "15", "-q", "--out"])
        .arg(&model)
        .arg(&csv)
        .output()
        .expect("train");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let card: serde_json::Value = serde_json::from_slice(&std::fs::read(model.join("model.json")).expect("card")).expect("json");
    assert_eq!(card["task"], "multi-label", "{card}");
    assert_eq!(card["labels"].as_array().map(Vec::len), Some(5));
    let out = bin()
        .args(["eval", "--label-column", "tags", "--label-separator", "|", "--split", "kfold:3:clip", "--json", "-q", "--model"])
        .arg(&model)
        .arg(&csv)
        .output()
        .expect("eval");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    // Ranking metrics, not a confusion matrix. Chance ROC-AUC is 0.5; genre and excerpt tags
    // are easy for a timbral summary.
    let auc = v["tagging"]["roc_auc_macro"].as_f64().expect("auc");
    assert!(auc > 0.7, "{v}");
    assert_eq!(v["tagging"]["per_tag"].as_array().map(Vec::len), Some(5));
}

/// A closed stdout (`| head -1`) or a full disk (`> /dev/full`) costs no model: it is saved
/// before the summary is printed, and the failed write is an error, not a panic (exit 101 with
/// no model before). `eval` that has nothing to score says why instead of "accuracy 0.000".
#[test]
fn output_failures_cost_no_model_and_empty_evals_are_errors() {
    let Some(shared) = shared_dir() else { return };
    let tmp = tempfile::tempdir().expect("tmp");
    let full = shared.join("data/gtzan/full_22k");
    let manifest = |name: &str, rows: &[(&str, &str, &str)]| {
        let csv = tmp.path().join(name);
        let mut text = String::from("path,genre,clip,split\n");
        for (clip, genre, split) in rows {
            let genre_dir = clip.split('.').next().expect("genre");
            text.push_str(&format!("{},{genre},{clip},{split}\n", full.join(genre_dir).join(format!("{clip}.flac")).display()));
        }
        std::fs::write(&csv, text).expect("csv");
        csv
    };
    let csv = manifest("small.csv", &[("jazz.00000", "jazz", "train"), ("jazz.00001", "jazz", "train"), ("metal.00000", "metal", "train"), ("metal.00001", "metal", "train"), ("jazz.00002", "jazz", "test"), ("metal.00002", "metal", "test")]);
    let train = |model: &std::path::Path| {
        let mut cmd = bin();
        cmd.args(["train", "--model", "mlp", "--split", "column", "--epochs", "1", "-q", "--out"]).arg(model).arg(&csv);
        cmd
    };

    let model = tmp.path().join("to_dev_full");
    let dev_full = std::fs::OpenOptions::new().write(true).open("/dev/full").expect("/dev/full");
    let out = train(&model).stdout(dev_full).output().expect("train");
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("writing to standard output") && stderr.contains("No space left on device") && !stderr.contains("panicked"), "{stderr}");
    assert!(model.join("model.json").is_file() && model.join("model.safetensors").is_file(), "the model is saved first\n{stderr}");

    let model = tmp.path().join("to_closed_pipe");
    let mut child = train(&model).stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped()).spawn().expect("train");
    drop(child.stdout.take());
    let out = child.wait_with_output().expect("wait");
    let stderr = text(&out.stderr);
    assert!(out.status.success() && !stderr.contains("panicked"), "a closed pipe ends quietly: {:?}\n{stderr}", out.status);
    assert!(model.join("model.json").is_file() && model.join("model.safetensors").is_file(), "{stderr}");

    // Nothing to score: a split without a held-out side, and labels the model does not know.
    let eval = |csv: &std::path::Path| bin().args(["eval", "--split", "column", "-q", "--model"]).arg(&model).arg(csv).output().expect("eval");
    let out = eval(&manifest("no_test.csv", &[("jazz.00003", "jazz", "train"), ("metal.00003", "metal", "train")]));
    assert!(out.status.code() == Some(2) && text(&out.stderr).contains("no track to score"), "{:?} {}", out.status, text(&out.stderr));
    let out = eval(&manifest("polka.csv", &[("jazz.00004", "polka", "train"), ("jazz.00003", "polka", "test"), ("metal.00003", "polka", "test")]));
    assert!(out.status.code() == Some(2) && text(&out.stderr).contains("none of the 2 tracks to score carries a label the model knows"), "{:?} {}", out.status, text(&out.stderr));
}

/// A folder-per-genre collection in `dir` of the first `per_genre` full 30 s clips of the
/// slice's classical and metal.
fn two_genres(gtzan: &std::path::Path, dir: &std::path::Path, per_genre: usize) -> std::path::PathBuf {
    for genre in ["classical", "metal"] {
        let mut files: Vec<_> = std::fs::read_dir(gtzan.join("full_22k").join(genre)).expect("dir").flatten().map(|e| e.path()).collect();
        files.sort();
        std::fs::create_dir_all(dir.join(genre)).expect("mkdir");
        for f in files.iter().take(per_genre) {
            std::fs::copy(f, dir.join(genre).join(f.file_name().expect("name"))).expect("copy");
        }
    }
    dir.to_path_buf()
}

/// The tensors of a model folder's weights, by name.
fn tensors(model: &std::path::Path) -> std::collections::BTreeMap<String, (Vec<usize>, Vec<u8>)> {
    tensors_in(&model.join("model.safetensors"))
}

/// The tensors of a safetensors file, by name.
fn tensors_in(file: &std::path::Path) -> std::collections::BTreeMap<String, (Vec<usize>, Vec<u8>)> {
    let bytes = std::fs::read(file).expect("weights");
    let st = safetensors::SafeTensors::deserialize(&bytes).expect("safetensors");
    st.tensors().into_iter().map(|(name, t)| (name, (t.shape().to_vec(), t.data().to_vec()))).collect()
}

/// `train --init-from`: training starts from the parent's weights. At learning rate 0 the
/// child predicts exactly as its parent; on another label set it gets a new output layer, and
/// with `--freeze body` every other weight stays the parent's, byte for byte. The card names
/// the parent by name, not by path.
#[test]
fn training_starts_from_a_parent_model() {
    let Some(shared) = shared_dir() else { return };
    let gtzan = shared.join("data/gtzan");
    let tmp = tempfile::tempdir().expect("tmp");
    let train = |extra: &[&str], dataset: &std::path::Path, out: &std::path::Path| {
        let out = bin().args(["train", "-q", "--epochs", "3"]).args(extra).arg("--out").arg(out).arg(dataset).output().expect("train");
        assert!(out.status.success(), "{}", text(&out.stderr));
    };
    let parent = tmp.path().join("parent");
    train(&["--model", "mlp", "--split", "filtered"], &gtzan, &parent);
    let parent_arg = parent.to_str().expect("utf-8");

    let still = tmp.path().join("still");
    train(&["--init-from", parent_arg, "--lr", "0", "--split", "filtered"], &gtzan, &still);
    let card = |m: &std::path::Path| -> serde_json::Value { serde_json::from_slice(&std::fs::read(m.join("model.json")).expect("card")).expect("json") };
    let (p, c) = (card(&parent), card(&still));
    assert_eq!(c["parent"]["name"], "parent", "{}", c["parent"]);
    // The name is the folder's; the weights' digest tells two parents of one name apart.
    let digest = blake3::hash(&std::fs::read(parent.join("model.safetensors")).expect("weights")).to_hex().to_string();
    assert_eq!(c["parent"]["weights_blake3"], digest.as_str(), "{}", c["parent"]);
    assert_eq!((c["parent"]["head_kept"].as_bool(), c["parent"]["frozen"].as_str()), (Some(true), Some("none")));
    assert!(c["parent"]["trained_on"].as_str().is_some_and(|t| t.contains("gtzan")));
    assert_eq!(c["network"], p["network"]);
    assert_eq!(c["normalizer"], p["normalizer"], "the parent's input normalisation is kept");
    let song = crate::example_song();
    let classify = |m: &std::path::Path| {
        let out = bin().args(["classify", "--format", "json", "-q", "--model"]).arg(m).arg(&song).output().expect("classify");
        assert!(out.status.success(), "{}", text(&out.stderr));
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        v["files"][0]["probabilities"].clone()
    };
    assert_eq!(classify(&still), classify(&parent));

    // Two genres of the slice in a folder-per-genre layout: another label set.
    let two = two_genres(&gtzan, &tmp.path().join("two"), 6);
    let frozen = tmp.path().join("frozen");
    train(&["--init-from", parent_arg, "--freeze", "body", "--kind", "folder", "--split", "kfold:3", "--lr", "0.01"], &two, &frozen);
    let f = card(&frozen);
    assert_eq!(f["labels"], serde_json::json!(["classical", "metal"]));
    assert_eq!((f["parent"]["head_kept"].as_bool(), f["parent"]["frozen"].as_str()), (Some(false), Some("body")));
    let (before, after) = (tensors(&parent), tensors(&frozen));
    assert_eq!(before.keys().collect::<Vec<_>>(), after.keys().collect::<Vec<_>>());
    let mut body = 0;
    for (name, (shape, data)) in &after {
        if name.starts_with("head.") {
            assert!(shape.contains(&2), "{name}: {shape:?}, two outputs");
            assert_ne!((shape, data), (&before[name].0, &before[name].1), "{name}: a new output layer");
        } else {
            body += 1;
            assert_eq!((shape, data), (&before[name].0, &before[name].1), "{name}: a frozen weight moved");
        }
    }
    assert!(body > 0, "the mlp has a body");
}

/// `train --fine-tune`: musicnn trains with a new genre head, and `--freeze-until mid` keeps
/// the front and mid ends exactly as shipped (weights and batch-norm statistics, compared
/// with the converted musicnn-msd file), while the back end and the head move.
#[test]
fn fine_tuning_keeps_frozen_blocks_as_shipped() {
    let Some(shared) = shared_dir() else { return };
    let gtzan = shared.join("data/gtzan");
    let tmp = tempfile::tempdir().expect("tmp");
    let two = two_genres(&gtzan, &tmp.path().join("two"), 4);
    let out_dir = tmp.path().join("ft");
    let out = bin()
        .args(["--threads", "2", "train", "-q", "--kind", "folder", "--split", "kfold:2", "--backbone", "musicnn-msd", "--fine-tune", "--freeze-until", "mid", "--epochs", "1", "--batch-size", "4", "--lr", "0.01", "--out"])
        .arg(&out_dir)
        .arg(&two)
        .output()
        .expect("train");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let m: serde_json::Value = serde_json::from_slice(&std::fs::read(out_dir.join("metrics.json")).expect("metrics")).expect("json");
    assert_eq!(m["fine_tune"]["freeze_until"], "mid", "{m}");
    assert_eq!(m["held_out"]["tracks"], 4, "{m}");
    assert!(m["trained_on"].as_str().is_some_and(|t| t.contains("fine-tuned on") && t.contains("Million Song Dataset")), "{m}");
    let shipped = tensors_in(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../models/pretrained/musicnn-msd.safetensors"));
    let tuned = tensors_in(&out_dir.join("backbone.safetensors"));
    let (mut kept, mut moved) = (0, 0);
    for (name, (shape, data)) in &tuned {
        match name.as_str() {
            n if n.starts_with("frontend.") || n.starts_with("midend.") => {
                assert_eq!((shape, data), (&shipped[n].0, &shipped[n].1), "{n}: a frozen block moved");
                kept += 1;
            }
            "backend.output.weight" => assert_eq!(shape, &vec![200, 2]),
            n if n == "backend.dense.weight" || n == "backend.pool.bn.gamma" => {
                assert_eq!(shape, &shipped[n].0);
                assert_ne!(data, &shipped[n].1, "{n}: the back end trains");
                moved += 1;
            }
            _ => {}
        }
    }
    assert_eq!((kept, moved), (4 + 5 * 6 + 3 * 6, 2), "{:?}", tuned.keys().collect::<Vec<_>>());
}

/// `train --train-fraction`: a learning curve's smaller training sides are whole artists of
/// the full one, about the fraction asked for, and the held-out side does not change.
#[test]
fn a_fraction_of_the_training_side_is_whole_artists_of_it() {
    let Some(shared) = shared_dir() else { return };
    let gtzan = shared.join("data/gtzan");
    let tmp = tempfile::tempdir().expect("tmp");
    let train = |fraction: &str| -> serde_json::Value {
        let out_dir = tmp.path().join(fraction);
        let out = bin()
            .args(["train", "-q", "--model", "mlp", "--split", "folds3", "--fold", "1", "--epochs", "1", "--train-fraction", fraction, "--out"])
            .arg(&out_dir)
            .arg(&gtzan)
            .output()
            .expect("train");
        assert!(out.status.success(), "{}", text(&out.stderr));
        serde_json::from_slice(&std::fs::read(out_dir.join("model.json")).expect("card")).expect("json")
    };
    let (all, quarter) = (train("1"), train("0.25"));
    let n = |c: &serde_json::Value| c["trained_on"]["tracks"].as_u64().expect("tracks") as f64;
    let share = n(&quarter) / n(&all);
    assert!((0.15..=0.35).contains(&share), "{} of {} tracks", n(&quarter), n(&all));
    let set = |c: &serde_json::Value, k: &str| -> std::collections::BTreeSet<String> { c["trained_on"][k].as_array().expect(k).iter().map(|v| v.as_str().expect("str").to_owned()).collect() };
    assert!(set(&quarter, "artists").is_subset(&set(&all, "artists")) && set(&quarter, "clips").is_subset(&set(&all, "clips")));
    assert_eq!(quarter["metrics"]["tracks"], all["metrics"]["tracks"], "the same held-out side");
    let out = bin().args(["train", "-q", "--model", "mlp", "--train-fraction", "0", "--out"]).arg(tmp.path().join("none")).arg(&gtzan).output().expect("train");
    assert!(out.status.code() == Some(2) && text(&out.stderr).contains("--train-fraction 0"), "{}", text(&out.stderr));
}

#[test]
fn a_head_fitted_on_means_and_lone_windows_is_judged_window_by_window() {
    let Some(shared) = shared_dir() else { return };
    let tmp = tempfile::tempdir().expect("tmp");
    let data = two_genres(&shared.join("data/gtzan"), &tmp.path().join("data"), 6);
    let model = tmp.path().join("svm");
    let out = bin()
        .args(["train", "-q", "--backbone", "musicnn-msd", "--head", "svm-rbf", "--rows", "mean+windows", "--split", "kfold:3:clip", "--inner-repeats", "1", "--out"])
        .arg(&model)
        .arg(&data)
        .output()
        .expect("train");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let card: serde_json::Value = serde_json::from_slice(&std::fs::read(model.join("model.json")).expect("card")).expect("json");
    assert_eq!(card["input"]["rows"], "mean+windows");
    // GTZAN's 30 s clips hold ten of musicnn's disjoint 3 s patches (187 frames of 16 ms,
    // 2.99 s): each training clip gives its mean and its ten windows, eleven rows.
    let trained = card["trained_on"]["tracks"].as_u64().expect("tracks");
    assert_eq!(card["metrics"]["svm"]["rows"].as_u64(), Some(trained * 11), "{}", card["metrics"]["svm"]);
    // C and gamma are chosen on the rows tracks are judged by: one mean per clip.
    assert_eq!(card["metrics"]["svm"]["grid_rows"].as_u64(), Some(trained), "{}", card["metrics"]["svm"]);
    let eval = |extra: &[&str]| -> serde_json::Value {
        let out = bin().args(["eval", "--split", "kfold:3:clip", "--json", "-q", "--model"]).arg(&model).args(extra).arg(&data).output().expect("eval");
        assert!(out.status.success(), "{}", text(&out.stderr));
        serde_json::from_slice(&out.stdout).expect("json")
    };
    let (tracks, windows) = (eval(&[]), eval(&["--each-window"]));
    assert_eq!(windows["tracks"].as_u64(), tracks["tracks"].as_u64().map(|n| n * 10), "{windows}");
    assert_eq!(windows["each_window"], true);
    let out = bin().args(["eval", "--split", "kfold:3:clip", "-q", "--each-window", "--model"]).arg(&model).arg(&data).output().expect("eval");
    assert!(text(&out.stdout).contains(&format!("{} windows, each judged alone", windows["tracks"])), "{}", text(&out.stdout));
    let out = bin().args(["eval", "--split", "kfold:3:clip", "-q", "--each-window", "--aggregate", "vote", "--model"]).arg(&model).arg(&data).output().expect("eval");
    assert!(out.status.code() == Some(2) && text(&out.stderr).contains("--aggregate vote"), "{}", text(&out.stderr));
    // Classical against metal, from eight training clips: above chance from the mean and from
    // 3 s alike.
    for v in [&tracks, &windows] {
        assert!(v["balanced_accuracy"].as_f64().expect("bacc") > 0.5, "{v}");
    }
    let out = bin().args(["eval", "--split", "kfold:3:clip", "-q", "--each-window", "--middle-windows", "1", "--model"]).arg(&model).arg(&data).output().expect("eval");
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    // Oversampling repeats tracks; one mean row per track would merge the copies away.
    let out = bin().args(["train", "-q", "--backbone", "musicnn-msd", "--head", "svm-rbf", "--rows", "mean", "--balance", "oversample", "--out"]).arg(tmp.path().join("over")).arg(&data).output().expect("train");
    assert!(out.status.code() == Some(2) && text(&out.stderr).contains("--balance oversample"), "{}", text(&out.stderr));
    assert!(!tmp.path().join("over").exists());
}

#[test]
fn a_head_fitted_on_means_and_middle_windows_writes_paired_predictions() {
    let Some(shared) = shared_dir() else { return };
    let tmp = tempfile::tempdir().expect("tmp");
    let data = two_genres(&shared.join("data/gtzan"), &tmp.path().join("data"), 6);
    let model = tmp.path().join("svm");
    let out = bin()
        .args(["train", "-q", "--backbone", "musicnn-msd", "--head", "svm-rbf", "--rows", "mean+middle", "--split", "kfold:3:clip", "--inner-repeats", "1", "--out"])
        .arg(&model)
        .arg(&data)
        .output()
        .expect("train");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let card: serde_json::Value = serde_json::from_slice(&std::fs::read(model.join("model.json")).expect("card")).expect("json");
    assert_eq!(card["input"]["rows"], "mean+middle");
    // Each 30 s training clip gives its mean and its middle window; the grid scores the means.
    let trained = card["trained_on"]["tracks"].as_u64().expect("tracks");
    assert_eq!(card["metrics"]["svm"]["rows"].as_u64(), Some(trained * 2), "{}", card["metrics"]["svm"]);
    assert_eq!(card["metrics"]["svm"]["grid_rows"].as_u64(), Some(trained), "{}", card["metrics"]["svm"]);
    let eval = |extra: &[&str], csv: &str| -> (serde_json::Value, Vec<csv::StringRecord>) {
        let path = tmp.path().join(csv);
        let out = bin().args(["eval", "--split", "kfold:3:clip", "--json", "-q", "--predictions"]).arg(&path).arg("--model").arg(&model).args(extra).arg(&data).output().expect("eval");
        assert!(out.status.success(), "{}", text(&out.stderr));
        let mut reader = csv::Reader::from_path(&path).expect("predictions csv");
        assert_eq!(reader.headers().expect("header").iter().collect::<Vec<_>>(), ["file", "clip", "artist", "variant", "window", "truth", "predicted", "truth_probability"]);
        (serde_json::from_slice(&out.stdout).expect("json"), reader.records().map(|r| r.expect("row")).collect())
    };
    // Random crops have no middle one; a model from --init-from reads tracks as its parent does.
    let out = bin().args(["train", "-q", "--model", "mlp", "--rows", "mean+middle", "--out"]).arg(tmp.path().join("crops")).arg(&data).output().expect("train");
    assert!(out.status.code() == Some(2) && text(&out.stderr).contains("--rows mean+middle needs a pretrained backbone"), "{}", text(&out.stderr));
    let out = bin().args(["train", "-q", "--rows", "mean", "--init-from"]).arg(&model).arg("--out").arg(tmp.path().join("child")).arg(&data).output().expect("train");
    assert!(out.status.code() == Some(2) && text(&out.stderr).contains("leave --rows out"), "{}", text(&out.stderr));
    for (extra, csv) in [(&[][..], "whole.csv"), (&["--each-window"][..], "windows.csv")] {
        let (figures, rows) = eval(extra, csv);
        // One row per judged track (or window), and its right answers are the JSON's accuracy.
        assert_eq!(rows.len() as u64, figures["tracks"].as_u64().expect("tracks"));
        let right = rows.iter().filter(|r| r[5] == r[6]).count() as f64;
        assert!((right / rows.len() as f64 - figures["accuracy"].as_f64().expect("acc")).abs() < 1e-12, "{figures}");
        let files: std::collections::BTreeSet<&str> = rows.iter().map(|r| &r[0]).collect();
        if extra.is_empty() {
            assert!(rows.iter().all(|r| r[4].is_empty()) && files.len() == rows.len());
        } else {
            // Ten 3 s windows per 30 s clip, numbered 0..9 in time order.
            assert_eq!(rows.len(), files.len() * 10);
            for f in files {
                let at: Vec<&str> = rows.iter().filter(|r| &r[0] == f).map(|r| &r[4]).collect();
                assert_eq!(at, ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"], "{f}");
            }
        }
    }
}
