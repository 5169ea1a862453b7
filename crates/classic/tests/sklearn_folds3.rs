//! The classic models on GTZAN's Kaggle feature table (`../shared/data/gtzan`), Foleis'
//! artist-filtered folds, against scikit-learn 1.9.1 on the same rows and folds
//! (`tests/reference/sklearn_folds3.json`, made by `tools/make_classic_reference.py`).
//!
//! kNN is deterministic and must match sklearn's probabilities exactly. The other learners use
//! different solvers (linfa's SMO and L-BFGS, our boosting, linfa's per-tree feature subsets),
//! so their mean accuracy over the three folds must land within 0.06 of sklearn's: about one
//! standard error of a fold's accuracy on ~220 test clips (sqrt(0.45 * 0.55 / 220) = 0.034)
//! times sqrt(3) for the three folds' spread, rounded up.

use genrecast_classic::{ClassicModel, Family};
use genrecast_datasets::{gtzan_folds, load_gtzan_table};
use serde_json::Value;

fn reference() -> Value {
    serde_json::from_str(include_str!("reference/sklearn_folds3.json")).expect("reference JSON")
}

struct FoldData {
    train_x: Vec<Vec<f32>>,
    train_y: Vec<usize>,
    test_x: Vec<Vec<f32>>,
    test_y: Vec<usize>,
    test_clips: Vec<String>,
}

fn folds() -> Option<(Vec<String>, Vec<FoldData>)> {
    let root = genrecast_testutil::shared_dir()?.join("data/gtzan");
    let (ds, table) = load_gtzan_table(&root, &root.join("kaggle_features/features_30_sec.csv"), &["length"]).expect("table");
    let labels = ds.labels.clone();
    let class = |i: usize| labels.iter().position(|l| Some(l.as_str()) == ds.tracks[i].label()).expect("label");
    let folds = gtzan_folds(&ds, &root.join("splits"), "folds3").expect("folds3");
    let data = folds
        .iter()
        .map(|f| FoldData {
            train_x: f.train.iter().map(|&i| table.rows[i].clone()).collect(),
            train_y: f.train.iter().map(|&i| class(i)).collect(),
            test_x: f.test.iter().map(|&i| table.rows[i].clone()).collect(),
            test_y: f.test.iter().map(|&i| class(i)).collect(),
            test_clips: f.test.iter().map(|&i| ds.tracks[i].clip.clone()).collect(),
        })
        .collect();
    Some((labels, data))
}

fn accuracy(truth: &[usize], probs: &[Vec<f32>]) -> f64 {
    let pairs = truth.iter().zip(probs).map(|(&t, p)| (t, p.iter().enumerate().fold(0, |b, (i, &v)| if v > p[b] { i } else { b })));
    genrecast_eval::ConfusionMatrix::new(10, pairs).accuracy()
}

#[test]
fn table_and_folds_match_the_reference() {
    let Some((labels, data)) = folds() else { return eprintln!("skipped: no ../shared") };
    let r = reference();
    assert_eq!(labels.len(), 10);
    for (d, f) in data.iter().zip(r["folds"].as_array().expect("folds")) {
        assert_eq!(d.train_x.len() as u64, f["train"].as_u64().expect("train"));
        assert_eq!(d.test_x.len() as u64, f["test"].as_u64().expect("test"));
        assert_eq!(d.train_x[0].len(), r["columns"].as_array().expect("columns").len());
    }
}

#[test]
fn knn_matches_sklearn_probabilities_exactly() {
    let Some((labels, data)) = folds() else { return eprintln!("skipped: no ../shared") };
    let r = &reference()["folds"][0]["knn_proba"];
    let d = &data[0];
    let fitted = "knn:k=5".parse::<ClassicModel>().expect("model").fit(&d.train_x, &d.train_y, labels.len(), 0).expect("fit");
    let ours = fitted.predict_proba(&d.test_x);
    let clips: Vec<&str> = r["clips"].as_array().expect("clips").iter().map(|c| c.as_str().expect("clip")).collect();
    let ref_labels: Vec<&str> = r["labels"].as_array().expect("labels").iter().map(|c| c.as_str().expect("label")).collect();
    assert_eq!(ref_labels, labels);
    let mut mismatched = Vec::new();
    for (clip, row) in clips.iter().zip(r["proba"].as_array().expect("proba")) {
        let i = d.test_clips.iter().position(|c| c == clip).expect("clip in our fold");
        let theirs: Vec<f32> = row.as_array().expect("row").iter().map(|v| v.as_f64().expect("p") as f32).collect();
        if ours[i] != theirs {
            mismatched.push(format!("{clip}: ours {:?}, sklearn {theirs:?}", ours[i]));
        }
    }
    assert!(mismatched.is_empty(), "{} of {} rows differ:\n{}", mismatched.len(), clips.len(), mismatched.join("\n"));
}

#[test]
fn every_family_is_within_reach_of_sklearn() {
    let Some((labels, data)) = folds() else { return eprintln!("skipped: no ../shared") };
    let r = reference();
    let mut report = Vec::new();
    for family in Family::ALL {
        let model = family.default_model();
        let mut ours = 0.0;
        let mut theirs = 0.0;
        for (k, d) in data.iter().enumerate() {
            let fitted = model.fit(&d.train_x, &d.train_y, labels.len(), 1).expect("fit");
            ours += accuracy(&d.test_y, &fitted.predict_proba(&d.test_x)) / 3.0;
            theirs += r["folds"][k]["models"][family.name()]["accuracy"].as_f64().expect("accuracy") / 3.0;
        }
        report.push(format!("{:<10} ours {ours:.3} sklearn {theirs:.3}", family.name()));
        eprintln!("{}", report.last().expect("line"));
        assert!((ours - theirs).abs() <= 0.06, "{}", report.join("\n"));
    }
}

/// The laid-open RBF SVM (support vectors, weights, offsets, Platt coefficients) gives
/// linfa's own probabilities on real rows it was not fitted on: nothing was lost in the
/// extraction (the shared support set, the sign of the weights, the order of the vectors).
#[test]
fn rbf_svm_parts_give_linfas_probabilities() {
    let Some((labels, data)) = folds() else { return eprintln!("skipped: no ../shared") };
    let d = &data[0];
    let fitted = "svm-rbf:c=10".parse::<ClassicModel>().expect("model").fit(&d.train_x, &d.train_y, labels.len(), 1).expect("fit");
    let parts = fitted.rbf_svm_parts().expect("an RBF SVM lays its parts open");
    assert!(parts.support.len() <= d.train_x.len() && parts.support.len() > labels.len());
    let linfa = fitted.predict_proba(&d.test_x);
    let mut worst = 0f64;
    for (row, p) in d.test_x.iter().zip(&linfa) {
        let ours = parts.predict_proba(row);
        worst = ours.iter().zip(p).fold(worst, |w, (a, &b)| w.max((a - f64::from(b)).abs()));
    }
    assert!(worst < 1e-6, "largest probability difference {worst:e}");
    // Any other model has no such parts.
    let logistic = Family::Logistic.default_model().fit(&d.train_x, &d.train_y, labels.len(), 1).expect("fit");
    assert!(logistic.rbf_svm_parts().is_none());
}
