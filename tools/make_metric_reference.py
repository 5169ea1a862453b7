"""Reference values for genrecast-eval's metrics, computed by scikit-learn.

Run with the peers' venv (scikit-learn comes with librosa):
    /tmp/peers/venv/bin/python tools/make_metric_reference.py crates/eval/tests/reference/metrics.json
The inputs are drawn from a seeded generator and written beside the outputs, so the Rust
tests feed exactly these arrays to our code. Scores are rounded to 2 decimals to force ties.
"""
import json
import sys

import numpy as np
import sklearn
from sklearn import metrics as m


def single_label_case(rng, n, k, noise):
    y = rng.integers(0, k, n)
    logits = rng.normal(0, noise, (n, k))
    logits[np.arange(n), y] += 1.0
    p = np.exp(logits)
    p /= p.sum(1, keepdims=True)
    p = np.round(p, 2)
    p /= p.sum(1, keepdims=True)  # sklearn's ovr AUC wants rows summing to 1
    p = p.astype(np.float32)  # genrecast scores are f32: compute on exactly those values
    pred = p.argmax(1)
    labels = list(range(k))
    prf = {}
    for avg in ["macro", "micro", "weighted"]:
        pr, rc, f1, _ = m.precision_recall_fscore_support(y, pred, average=avg, zero_division=0)
        prf[avg] = {"precision": pr, "recall": rc, "f1": f1}
    pr, rc, f1, sup = m.precision_recall_fscore_support(y, pred, labels=labels, average=None, zero_division=0)
    return {
        "kind": "single",
        "n_classes": k,
        "truth": y.tolist(),
        "scores": p.tolist(),
        "accuracy": m.accuracy_score(y, pred),
        "balanced_accuracy": m.balanced_accuracy_score(y, pred),
        "per_class": {"precision": pr.tolist(), "recall": rc.tolist(), "f1": f1.tolist(), "support": sup.tolist()},
        "averages": prf,
        "top_k": {str(kk): m.top_k_accuracy_score(y, p, k=kk, labels=labels) for kk in [1, 2, 3]},
        "roc_auc_ovr_macro": m.roc_auc_score(y, p, multi_class="ovr", average="macro", labels=labels),
        "roc_auc_ovr_weighted": m.roc_auc_score(y, p, multi_class="ovr", average="weighted", labels=labels),
        "average_precision_per_class": [m.average_precision_score(y == c, p[:, c]) for c in labels],
        "pr_auc_per_class": [m.auc(*m.precision_recall_curve(y == c, p[:, c])[1::-1]) for c in labels],
        "roc_auc_per_class": [m.roc_auc_score(y == c, p[:, c]) for c in labels],
    }


def multi_label_case(rng, n, k):
    Y = (rng.random((n, k)) < 0.3).astype(int)
    Y[:, 0] = 1 - Y[:, 1]  # every column has both classes
    Y[0, :] = 1
    Y[1, :] = 0
    S = np.round(np.clip(Y * 0.3 + rng.random((n, k)) * 0.7, 0, 1), 2).astype(np.float32)
    return {
        "kind": "multi",
        "n_classes": k,
        "truth": Y.tolist(),
        "scores": S.tolist(),
        "roc_auc_macro": m.roc_auc_score(Y, S, average="macro"),
        "roc_auc_micro": m.roc_auc_score(Y, S, average="micro"),
        "average_precision_macro": m.average_precision_score(Y, S, average="macro"),
        "average_precision_micro": m.average_precision_score(Y, S, average="micro"),
    }


def embedding_case(rng, n, d, k):
    y = rng.integers(0, k, n)
    centres = rng.normal(0, 1.5, (k, d))
    X = (centres[y] + rng.normal(0, 1, (n, d))).astype(np.float32)
    groups = rng.integers(0, n // 4, n)
    # Leave-one-group-out 5-NN (Euclidean, uniform vote; sklearn breaks vote ties by the
    # lowest class index) with the KNeighborsClassifier of scikit-learn.
    from sklearn.neighbors import KNeighborsClassifier
    pred = np.empty(n, dtype=int)
    for i in range(n):
        other = groups != groups[i]
        knn = KNeighborsClassifier(5, algorithm="brute").fit(X[other], y[other])
        pred[i] = knn.predict(X[i:i + 1])[0]
    return {
        "kind": "embedding",
        "n_classes": k,
        "x": X.tolist(),
        "truth": y.tolist(),
        "groups": groups.tolist(),
        "silhouette_euclidean": m.silhouette_score(X, y, metric="euclidean"),
        "silhouette_cosine": m.silhouette_score(X, y, metric="cosine"),
        "knn5_leave_group_out_accuracy": m.accuracy_score(y, pred),
    }


def main(out):
    rng = np.random.default_rng(20261121)
    cases = [single_label_case(rng, 60, 4, 1.0), single_label_case(rng, 200, 10, 0.8), single_label_case(rng, 15, 3, 2.0), multi_label_case(rng, 80, 6), embedding_case(rng, 90, 5, 4)]
    doc = {"generator": f"tools/make_metric_reference.py, scikit-learn {sklearn.__version__}", "cases": cases}
    with open(out, "w") as f:
        json.dump(doc, f, default=lambda v: v.item() if hasattr(v, "item") else float(v))


if __name__ == "__main__":
    main(sys.argv[1])
