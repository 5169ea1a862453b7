"""scikit-learn's figures for the classic models on GTZAN's Kaggle feature table, Foleis folds.

    /tmp/peers/venv/bin/python tools/make_classic_reference.py ../shared/data/gtzan crates/classic/tests/reference/sklearn_folds3.json

Per fold: train on f{k}_train.txt, test on f{k}_evaluate.txt (the clips the table has),
standardised on the training side, default hyper-parameters of each family. Also the kNN
(k=5) probabilities of fold 1's test clips, which genrecast must reproduce exactly.
"""
import csv
import json
import re
import sys
import time

import numpy as np
import sklearn
from sklearn.ensemble import GradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, balanced_accuracy_score
from sklearn.neighbors import KNeighborsClassifier
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC


def clip(name):
    m = re.search(r"([a-z]+)[._](\d{5})", name)
    return f"{m.group(1)}.{m.group(2)}"


def main(root, out):
    rows = list(csv.DictReader(open(f"{root}/kaggle_features/features_30_sec.csv")))
    cols = [c for c in rows[0] if c not in ("filename", "label", "length")]
    X = {clip(r["filename"]): np.array([float(r[c]) for c in cols]) for r in rows}
    y = {clip(r["filename"]): r["label"] for r in rows}
    labels = sorted(set(y.values()))
    models = {
        "knn": lambda: KNeighborsClassifier(5),
        "logistic": lambda: LogisticRegression(max_iter=2000),
        "svm-linear": lambda: SVC(kernel="linear"),
        "svm-poly": lambda: SVC(kernel="poly", degree=3),
        "svm-rbf": lambda: SVC(kernel="rbf"),
        "forest": lambda: RandomForestClassifier(100, random_state=0),
        "boosting": lambda: GradientBoostingClassifier(n_estimators=100, max_depth=3, learning_rate=0.1, subsample=0.8, random_state=0),
    }
    doc = {"generator": f"tools/make_classic_reference.py, scikit-learn {sklearn.__version__}", "columns": cols, "folds": []}
    d = f"{root}/splits/sturm_filter_3folds_foleiss"
    for k in (1, 2, 3):
        side = {}
        for f in ("train", "evaluate"):
            side[f] = [c for c in (clip(l.split("\t")[0]) for l in open(f"{d}/f{k}_{f}.txt") if l.strip()) if c in X]
        scaler = StandardScaler().fit(np.array([X[c] for c in side["train"]]))
        xtr = scaler.transform(np.array([X[c] for c in side["train"]]))
        xte = scaler.transform(np.array([X[c] for c in side["evaluate"]]))
        ytr = [y[c] for c in side["train"]]
        yte = [y[c] for c in side["evaluate"]]
        fold = {"fold": k, "train": len(ytr), "test": len(yte), "models": {}}
        for name, make in models.items():
            t = time.time()
            m = make().fit(xtr, ytr)
            pred = m.predict(xte)
            fold["models"][name] = {"accuracy": accuracy_score(yte, pred), "balanced_accuracy": balanced_accuracy_score(yte, pred), "seconds": time.time() - t}
            if name == "knn" and k == 1:
                fold["knn_proba"] = {"clips": side["evaluate"], "labels": list(m.classes_), "proba": m.predict_proba(xte).tolist()}
        doc["folds"].append(fold)
    json.dump(doc, open(out, "w"), indent=1)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
