"""Wall time of all CK+ folds of the SVM paper's emotion and AU SVMs (issue 5 budget: <= 10 min, 2 cores).

Run by hand (not in CI), from the repository root, after stage svm_features:
    python benchmarks/bench_svm.py [--feature-set d-feature_gan] [--source ckplus] [--params PATH]
                                   [--features data/features] [--cropped data/cropped]
Times, on the cached features, exactly what stage `svm` runs for one CK+ experiment: the emotion
RBF SVM (nested randomized C/gamma search in every one of the outer subject folds) and the 14
per-AU linear SVMs (same folds), with the params.yaml `svm` settings. Also times libsvm's own
RBF kernel on one training fold, against the precomputed-Gram pipeline the stage uses.
Prints one json line with wall and CPU seconds; on a shared CPU note the load average.
"""

import argparse
import json
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from pipeline.core.params import load, use_params_file  # noqa: E402
from pipeline.svm.action_units import au_matrix, run_au  # noqa: E402
from pipeline.svm.config import SvmKeys  # noqa: E402
from pipeline.svm.emotion import run_emotion  # noqa: E402
from pipeline.svm.features import FeatureStore  # noqa: E402
from pipeline.svm.folds import group_folds, subject_groups  # noqa: E402
from pipeline.svm.kernels import KernelMap  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--feature-set", default="d-feature_gan")
    ap.add_argument("--source", default="ckplus")
    ap.add_argument("--params", default=None)
    ap.add_argument("--features", default="data/features")
    ap.add_argument("--cropped", default="data/cropped")
    args = ap.parse_args()
    use_params_file(args.params)
    cfg = load(SvmKeys, "svm")
    seed = cfg.seed
    from threadpoolctl import threadpool_limits

    threadpool_limits(cfg.blas_threads)
    X, ds, _ = FeatureStore(args.features, args.cropped).get(args.feature_set, args.source)
    groups, grouping = subject_groups(ds)
    out = {"feature_set": args.feature_set, "source": args.source,
           "rows": int(len(X)), "dims": int(X.shape[1]),
           "grouping": grouping, "folds": cfg.folds, "search_iter": cfg.search_iter,
           "inner_folds": cfg.inner_folds, "blas_threads": cfg.blas_threads,
           "cpus": os.cpu_count(), "load_avg_before": os.getloadavg()}

    t0, c0 = time.perf_counter(), time.process_time()
    emo = run_emotion(X, ds.labels, groups, X, ds.labels, list(ds.classes), True, cfg, seed)
    out["emotion_seconds"] = round(time.perf_counter() - t0, 1)
    out["emotion_cpu_seconds"] = round(time.process_time() - c0, 1)  # this process only (n_jobs=1)
    out["emotion_average_auc"], out["emotion_accuracy"] = emo["average_auc"], emo["accuracy"]

    codes = [int(c) for c in cfg.au.codes]
    Y, rows, labels = au_matrix(ds, codes, "auto")
    t0, c0 = time.perf_counter(), time.process_time()
    au = run_au(X[rows], Y[rows], groups[rows], ds.labels[rows], X[rows], Y[rows], codes, True, cfg, seed)
    out["au_seconds"] = round(time.perf_counter() - t0, 1)
    out["au_cpu_seconds"] = round(time.process_time() - c0, 1)
    out["au_labels"], out["au_average_auc"] = labels, au["average_auc"]
    out["total_seconds"] = round(out["emotion_seconds"] + out["au_seconds"], 1)

    # One fit of the same RBF SVM, libsvm kernel vs precomputed Gram (same C and gamma).
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC

    train, test = group_folds(ds.labels, groups, cfg.folds, seed)[0]
    gamma = 1.0 / X.shape[1]
    t0 = time.perf_counter()
    ref = make_pipeline(StandardScaler(), SVC(kernel="rbf", gamma=gamma, C=10.0))
    ref.fit(X[train], ds.labels[train])
    ref_scores = ref.decision_function(X[test])
    out["one_fit_libsvm_rbf_seconds"] = round(time.perf_counter() - t0, 2)
    t0 = time.perf_counter()
    ours = make_pipeline(StandardScaler(), KernelMap("rbf", gamma), SVC(kernel="precomputed", C=10.0))
    ours_scores = ours.fit(X[train], ds.labels[train]).decision_function(X[test])
    out["one_fit_precomputed_gram_seconds"] = round(time.perf_counter() - t0, 2)
    out["max_abs_decision_difference"] = float(np.max(np.abs(ref_scores - ours_scores)))
    out["load_avg_after"] = os.getloadavg()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
