//! Every metric against scikit-learn 1.9.1 on the same arrays
//! (`tests/reference/metrics.json`, made by `tools/make_metric_reference.py`).

use genrecast_eval::*;
use serde_json::Value;

fn cases() -> Vec<Value> {
    let text = include_str!("reference/metrics.json");
    let doc: Value = serde_json::from_str(text).expect("reference JSON");
    doc["cases"].as_array().expect("cases").clone()
}

fn num(v: &Value) -> f64 {
    v.as_f64().expect("number")
}

fn close(what: &str, ours: f64, theirs: f64) {
    assert!((ours - theirs).abs() <= 1e-9, "{what}: ours {ours}, scikit-learn {theirs}");
}

fn scores(case: &Value) -> Vec<Vec<f32>> {
    case["scores"].as_array().expect("scores").iter().map(|r| r.as_array().expect("row").iter().map(|v| num(v) as f32).collect()).collect()
}

fn first_argmax(row: &[f32]) -> usize {
    row.iter().enumerate().fold(0, |b, (i, &v)| if v > row[b] { i } else { b })
}

#[test]
fn single_label_metrics_match_sklearn() {
    let mut checked = 0;
    for case in cases().iter().filter(|c| c["kind"] == "single") {
        let n = case["n_classes"].as_u64().expect("n") as usize;
        let truth: Vec<usize> = case["truth"].as_array().expect("truth").iter().map(|v| v.as_u64().expect("class") as usize).collect();
        let s = scores(case);
        let labels: Vec<String> = (0..n).map(|c| format!("c{c}")).collect();
        let report = SingleLabelReport::new(&labels, &truth, &s);
        close("accuracy", report.accuracy, num(&case["accuracy"]));
        close("balanced accuracy", report.balanced_accuracy, num(&case["balanced_accuracy"]));
        let cm = ConfusionMatrix::new(n, truth.iter().zip(&s).map(|(&t, r)| (t, first_argmax(r))));
        assert_eq!(cm, report.confusion);
        for (c, fig) in report.classes.classes.iter().enumerate() {
            for (name, ours) in [("precision", fig.precision), ("recall", fig.recall), ("f1", fig.f1)] {
                close(&format!("class {c} {name}"), ours, num(&case["per_class"][name][c]));
            }
            assert_eq!(fig.support as u64, case["per_class"]["support"][c].as_u64().expect("support"));
        }
        let a = &report.classes.averages;
        for (avg, fig) in [("macro", a.macro_avg), ("micro", a.micro_avg), ("weighted", a.weighted_avg)] {
            for (name, ours) in [("precision", fig.precision), ("recall", fig.recall), ("f1", fig.f1)] {
                close(&format!("{avg} {name}"), ours, num(&case["averages"][avg][name]));
            }
        }
        close("macro F1 via the confusion matrix", cm.macro_f1(), num(&case["averages"]["macro"]["f1"]));
        for k in 1..=3 {
            close(&format!("top-{k}"), top_k_accuracy(&truth, &s, k), num(&case["top_k"][k.to_string()]));
        }
        close("ovr AUC macro", one_vs_rest_auc(&truth, &s, Average::Macro).expect("auc"), num(&case["roc_auc_ovr_macro"]));
        close("ovr AUC weighted", one_vs_rest_auc(&truth, &s, Average::Weighted).expect("auc"), num(&case["roc_auc_ovr_weighted"]));
        for (c, r) in report.per_class_ranking.iter().enumerate() {
            close(&format!("class {c} ROC-AUC"), r.roc_auc.expect("auc"), num(&case["roc_auc_per_class"][c]));
            close(&format!("class {c} AP"), r.average_precision.expect("ap"), num(&case["average_precision_per_class"][c]));
            close(&format!("class {c} PR-AUC"), r.pr_auc.expect("pr"), num(&case["pr_auc_per_class"][c]));
        }
        checked += 1;
    }
    assert_eq!(checked, 3);
}

#[test]
fn multi_label_metrics_match_sklearn() {
    let case = cases().into_iter().find(|c| c["kind"] == "multi").expect("a multi-label case");
    let truth: Vec<Vec<bool>> = case["truth"].as_array().expect("truth").iter().map(|r| r.as_array().expect("row").iter().map(|v| v.as_u64() == Some(1)).collect()).collect();
    let s = scores(&case);
    let labels: Vec<String> = (0..truth[0].len()).map(|c| format!("t{c}")).collect();
    let r = MultiLabelReport::new(&labels, &truth, &s);
    close("AUC macro", r.roc_auc_macro.expect("auc"), num(&case["roc_auc_macro"]));
    close("AUC micro", r.roc_auc_micro.expect("auc"), num(&case["roc_auc_micro"]));
    close("AP macro", r.average_precision_macro.expect("ap"), num(&case["average_precision_macro"]));
    close("AP micro", r.average_precision_micro.expect("ap"), num(&case["average_precision_micro"]));
}

#[test]
fn undefined_figures_are_none_not_nan() {
    assert_eq!(roc_auc(&[true, true], &[0.2, 0.9]), None);
    assert_eq!(average_precision(&[false, false], &[0.2, 0.9]), None);
    assert_eq!(roc_auc(&[], &[]), None);
    // All scores tied: one threshold, AUC one half (sklearn gives 0.5).
    assert_eq!(roc_auc(&[true, false, true, false], &[0.5; 4]), Some(0.5));
}

#[test]
fn embedding_quality_matches_sklearn() {
    let case = cases().into_iter().find(|c| c["kind"] == "embedding").expect("an embedding case");
    let x: Vec<Vec<f32>> = case["x"].as_array().expect("x").iter().map(|r| r.as_array().expect("row").iter().map(|v| num(v) as f32).collect()).collect();
    let ints = |key: &str| -> Vec<usize> { case[key].as_array().expect(key).iter().map(|v| v.as_u64().expect("int") as usize).collect() };
    let (y, groups) = (ints("truth"), ints("groups"));
    // sklearn computed these in float32 from the same float32 points.
    let s = silhouette(&x, &y, Distance::Euclidean).expect("silhouette");
    assert!((s - num(&case["silhouette_euclidean"])).abs() < 1e-5, "ours {s}, sklearn {}", case["silhouette_euclidean"]);
    let s = silhouette(&x, &y, Distance::Cosine).expect("silhouette");
    assert!((s - num(&case["silhouette_cosine"])).abs() < 1e-5, "ours {s}, sklearn {}", case["silhouette_cosine"]);
    let pred = knn_leave_group_out(&x, &y, &groups, 5);
    let acc = pred.iter().zip(&y).filter(|(p, t)| p == t).count() as f64 / y.len() as f64;
    close("5-NN leave-group-out accuracy", acc, num(&case["knn5_leave_group_out_accuracy"]));
}
