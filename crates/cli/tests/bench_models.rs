//! `genrecast bench-models` on GTZAN's Kaggle feature table with Foleis' folds: the kNN row
//! must reproduce scikit-learn's accuracy on the same rows and folds (0.448, from
//! crates/classic/tests/reference/sklearn_folds3.json), through the whole command.

use crate::{bin, text};
use genrecast_testutil::shared_dir;

#[test]
fn bench_models_table_rows_match_sklearn() {
    let Some(shared) = shared_dir() else { return };
    let gtzan = shared.join("data/gtzan");
    let tmp = tempfile::tempdir().expect("tmp");
    let out = bin()
        .args(["bench-models", "--split", "folds3", "--features", "table", "--models", "knn,logistic,vote,stack", "-q", "--out"])
        .arg(tmp.path())
        .arg(&gtzan)
        .output()
        .expect("bench-models");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("| model | features | accuracy | balanced accuracy | macro F1 |"), "{stdout}");
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(tmp.path().join("bench-models.json")).expect("json")).expect("json");
    let rows = v["rows"].as_array().expect("rows");
    assert_eq!(rows.len(), 4);
    // The soft-voting mix fits its three members, each with its family's defaults here.
    assert_eq!(rows[2]["model"], "vote");
    assert_eq!(rows[2]["chosen"][0], "logistic:l2=1 + svm:kernel=rbf,c=1 + knn:k=5", "{}", rows[2]);
    // The stacked mix: the same members, mixed by a logistic regression on their out-of-fold
    // probabilities. Were those misaligned with the rows (a member's probabilities given to
    // another track), the mix would learn noise and score near chance (0.1).
    assert_eq!(rows[3]["chosen"][0], "logistic:l2=1 + svm:kernel=rbf,c=1 + knn:k=5 + stacked by logistic:l2=1", "{}", rows[3]);
    let per_fold = |row: &serde_json::Value| -> Vec<f64> { row["balanced_accuracy"].as_array().expect("bacc").iter().map(|v| v.as_f64().expect("bacc")).collect() };
    for (k, (stack, knn)) in per_fold(&rows[3]).into_iter().zip(per_fold(&rows[0])).enumerate() {
        assert!(stack > 0.3 && stack > knn - 0.15, "fold {}: stack {stack}, knn {knn}", k + 1);
    }
    let reference: serde_json::Value = serde_json::from_str(include_str!("../../classic/tests/reference/sklearn_folds3.json")).expect("reference");
    for (k, fold) in reference["folds"].as_array().expect("folds").iter().enumerate() {
        let ours = rows[0]["accuracy"][k].as_f64().expect("accuracy");
        let theirs = fold["models"]["knn"]["accuracy"].as_f64().expect("sklearn");
        assert!((ours - theirs).abs() < 1e-9, "fold {}: ours {ours}, sklearn {theirs}", k + 1);
        assert_eq!(rows[0]["tracks"][k], fold["test"]);
    }
    assert!(std::fs::read_to_string(tmp.path().join("bench-models.md")).expect("md").contains("| knn | table |"));
    assert!(std::fs::read(tmp.path().join("bench-models.png")).expect("png").starts_with(b"\x89PNG"));
    // A neural row goes through `train` on the same folds (the MLP: seconds).
    let out = bin()
        .args(["bench-models", "--split", "folds3", "--features", "", "--models", "", "--neural", "mlp", "--epochs", "3", "-q", "--out"])
        .arg(tmp.path())
        .arg(&gtzan)
        .output()
        .expect("bench-models");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(tmp.path().join("bench-models.json")).expect("json")).expect("json");
    assert_eq!(v["rows"][0]["model"], "mlp");
    assert_eq!(v["rows"][0]["balanced_accuracy"].as_array().map(Vec::len), Some(3));
    assert!(tmp.path().join("neural/mlp/fold-3/model.json").is_file());
    // An unknown family is refused before any work, naming the known ones.
    let out = bin().args(["bench-models", "--features", "table", "--models", "perceptron"]).arg(&gtzan).output().expect("bench-models");
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("known: knn, logistic"), "{}", text(&out.stderr));
}

/// A file that cannot be analysed is left out of every row, reported once at the end of the
/// report, and the exit code says so; the rows are still made from the others.
#[test]
fn bench_models_reports_files_it_left_out() {
    let Some(shared) = shared_dir() else { return };
    let tmp = tempfile::tempdir().expect("tmp");
    let broken = tmp.path().join("broken.flac");
    std::fs::write(&broken, b"fLaC but nothing else").expect("write");
    let mut csv = String::from("path,genre\n");
    for genre in ["blues", "classical", "metal"] {
        for k in 0..4 {
            csv.push_str(&format!("{},{genre}\n", shared.join(format!("data/gtzan/full_22k/{genre}/{genre}.0000{k}.flac")).display()));
        }
    }
    csv.push_str(&format!("{},metal\n", broken.display()));
    let manifest = tmp.path().join("m.csv");
    std::fs::write(&manifest, csv).expect("manifest");
    let out = bin().args(["bench-models", "--split", "kfold:2", "--features", "ssd,summary", "--models", "knn", "-q", "--out"]).arg(tmp.path().join("out")).arg(&manifest).output().expect("bench-models");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let md = std::fs::read_to_string(tmp.path().join("out/bench-models.md")).expect("md");
    assert!(md.contains("| knn | ssd |") && md.contains("| knn | summary |"), "{md}");
    assert!(md.contains("1 files could not be analysed"), "{md}");
    assert_eq!(md.matches("broken.flac").count(), 1, "named once, not per set: {md}");
}
