"""The experiment matrix: one entry of `svm.experiments` x (discriminator + baseline feature sets).

Y == Z runs subject-independent k-fold cross-validation; Y != Z trains on all of Y and tests on
all of Z (emotion: on the classes both share). Entries whose features are absent (dataset, or a
discriminator not listed in svm.features.discriminators) are listed as skipped, so one params
matrix serves the demo dataset and the real ones.
"""

import time

import numpy as np

from ..core.dataset import FaceDataset
from ..core.errors import PipelineError
from .action_units import au_matrix, has_real_aus, run_au
from .config import SvmKeys
from .emotion import run_emotion
from .facs import PAPER_AUS, rule_agreement, rule_au_labels
from .features import FeatureStore
from .folds import n_group_folds, subject_groups
from .paper import EMOTION_ORDER
from .result_cache import ResultCache
from .tables import fmt


def resolve_dataset(spec_value: str, feature_set: str, store: FeatureStore) -> str | None:
    """'rafd|fer2013' -> the first alternative whose features exist (None if none does)."""
    for name in str(spec_value).split("|"):
        if store.available(feature_set, name.strip()):
            return name.strip()
    return None


def shared_classes(train: FaceDataset, test: FaceDataset) -> list[str]:
    common = set(train.classes) & set(test.classes)
    return [c for c in EMOTION_ORDER if c in common] + sorted(common - set(EMOTION_ORDER))


def relabel(ds: FaceDataset, classes: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """(row mask of ds in `classes`, labels re-indexed into `classes`)."""
    names = np.asarray(ds.classes)[ds.labels]
    mask = np.isin(names, classes)
    lookup = {c: i for i, c in enumerate(classes)}
    return mask, np.array([lookup[n] for n in names[mask]], np.int64)


def run_key(spec, feature_set: str, train: str, test: str) -> tuple:
    """What one run computes: runs with equal keys (baselines of two D entries) are done once."""
    labels = getattr(spec, "labels", "auto")
    return spec.task, feature_set, train, test, labels, getattr(spec, "test_labels", None)


def run_experiment(spec, feature_set: str, train: str, test: str, store: FeatureStore, cfg: SvmKeys,
                   seed: int) -> dict:
    Xtr, dtr, meta = store.get(feature_set, train)
    Xte, dte, _ = store.get(feature_set, test)
    same = train == test
    gtr, grouping = subject_groups(dtr)
    result = {"feature_set": feature_set, "train": train, "test": test, "grouping": grouping,
              "protocol": (f"{n_group_folds(cfg.folds, gtr)}-fold StratifiedGroupKFold by {grouping}" if same
                           else "train on all rows of train set, test on all rows of test set")}
    t0 = time.perf_counter()
    if spec.task == "emotion":
        classes = list(dtr.classes) if same else shared_classes(dtr, dte)
        mtr, ytr = relabel(dtr, classes)
        mte, yte = (mtr, ytr) if same else relabel(dte, classes)
        if len(classes) < 2 or len(ytr) == 0 or len(yte) == 0:
            raise PipelineError(f"svm.experiments {spec.id}: {train} and {test} share fewer than 2 classes")
        m = run_emotion(Xtr[mtr], ytr, gtr[mtr], Xte[mte], yte, classes, same, cfg, seed)
        result.update(classes=classes, shared_classes_only=not same, **m)
    else:
        codes = [int(c) for c in cfg.au.codes]
        Ytr, rtr, ltr = au_matrix(dtr, codes, spec.labels)
        Yte, rte, lte = au_matrix(dte, codes, spec.test_labels or spec.labels)
        if same:  # one set of rows and folds; train and test labels may still differ (rules -> real)
            rtr = rte = np.intersect1d(rtr, rte)
        m = run_au(Xtr[rtr], Ytr[rtr], gtr[rtr], dtr.labels[rtr], Xte[rte], Yte[rte], codes, same, cfg, seed)
        result.update(au_codes=codes, train_labels=ltr, test_labels=lte, **m)
    result["seconds"] = round(time.perf_counter() - t0, 1)
    result["train_rows"], result["test_rows"] = int(len(dtr)), int(len(dte))
    result["features"] = {k: meta[k] for k in ("model", "layer") if k in meta}
    return result


def run_matrix(cfg: SvmKeys, baselines: list[str], index: dict, store: FeatureStore,
               cache: ResultCache | None, only: list[str] | None = None,
               cached_only: bool = False) -> tuple[list[dict], list[dict]]:
    """(results, skipped) of every experiment x feature set; finished runs are kept in `cache`."""
    seed = cfg.seed
    experiments = [e for e in cfg.experiments if not only or e.id in set(only)]
    results, skipped, done = [], [], {}
    for spec in experiments:
        d_set = f"d-{spec.d}"
        d_meta = index.get("feature_sets", {}).get(d_set)
        d_info = ((d_meta or {}).get("trained_on") or {}).get("dataset") or spec.d_trained_on or spec.d
        train, test = resolve_dataset(spec.train, d_set, store), resolve_dataset(spec.test, d_set, store)
        if train is None or test is None:  # no D features: baselines alone would mislabel the D column
            missing = spec.train if train is None else spec.test
            skipped.append({"id": spec.id, "feature_set": d_set,
                            "reason": f"no features for {missing} in {store.features_dir / d_set}"})
            continue
        for fs in [d_set] + baselines:
            if not (store.available(fs, train) and store.available(fs, test)):
                skipped.append({"id": spec.id, "feature_set": fs,
                                "reason": f"no {fs} features for {train}/{test}"})
                continue
            key = run_key(spec, fs, train, test)
            if key not in done and cache is not None:
                cached = cache.load(key, cfg, store)
                if cached is not None:
                    done[key] = cached
            if key not in done and cached_only:
                skipped.append({"id": spec.id, "feature_set": fs, "reason": "not run in this bounded run"})
                continue
            if key not in done:
                print(f"[{spec.id}] {spec.task} {fs}: train {train}, test {test}", flush=True)
                done[key] = run_experiment(spec, fs, train, test, store, cfg, seed)
                if cache is not None:
                    cache.save(key, cfg, store, done[key])
                print(f"[{spec.id}] {fs}: average AUC {fmt(done[key]['average_auc'])} "
                      f"({done[key]['seconds']} s)", flush=True)
            results.append({**done[key], "id": spec.id, "task": spec.task, "paper": spec.paper,
                            "d_info": d_info})
    if not results:
        raise PipelineError("params.yaml: svm.experiments ran nothing (no features for any listed dataset)")
    return results, skipped


def facs_agreement(results: list[dict], store: FeatureStore) -> dict:
    """Per source with real codes of every paper AU: how far the Table VI rules agree with them."""
    agreement = {}
    for source in sorted({r["train"] for r in results} | {r["test"] for r in results}):
        ds = store.dataset(source)
        if has_real_aus(ds, PAPER_AUS):
            real, rows, _ = au_matrix(ds, PAPER_AUS, "real")
            rules = rule_au_labels(ds.labels[rows], ds.classes)
            agreement[source] = rule_agreement(real[rows], rules, PAPER_AUS)
    return agreement


def headline(public: list[dict]) -> dict:
    """Per experiment: average AUC (and accuracy / PR-AUC) of the D features and each baseline."""
    out = {}
    for r in public:
        tag = "d" if r["feature_set"].startswith("d-") else r["feature_set"]
        h = out.setdefault(r["id"], {"train": r["train"], "test": r["test"]})
        h[f"{tag}_auc"] = r["average_auc"]
        if r["task"] == "emotion":
            h[f"{tag}_accuracy"] = r["accuracy"]
        else:
            h[f"{tag}_pr_auc"] = r["average_pr_auc"]
    return out
