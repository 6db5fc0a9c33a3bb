"""The experiment matrix: one entry of `svm.experiments` x (D layers + control feature sets).

Each entry names its protocol (protocols.py: kfold / loso / split on one dataset, cross between
two; emotion across datasets on the classes both share). Every D row is labelled with its kind:
transductive (D saw the test faces, unlabelled), fold-clean or cross-dataset. Entries whose
features are absent (dataset, or a train_feature_gan@<d> run skipped for want of data) are listed
as skipped, so one params matrix serves the demo dataset and the real ones.
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
from .folds import subject_groups
from .paper import EMOTION_ORDER
from .protocols import ProtocolUnavailable, describe, protocol_folds, same_dataset_protocol
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


def experiment_sets(spec, layers: list[str], baselines: list[str]) -> tuple[list[str], list[str]]:
    """(D feature sets, control feature sets) of one entry: every layer of D and of its untrained
    twin, then pixels, HOG and the FER CNN (those listed in svm.features.baselines)."""
    ls = list(spec.layers or layers)
    controls = [f"random.{la}" for la in ls if "random_init" in baselines]
    controls += [b for b in ("pixels", "hog", "cnn") if b in baselines]
    return [f"d-{spec.d}.{la}" for la in ls], controls


def d_kind(card: dict, test: str, protocol: str) -> str:
    """transductive (D saw the test faces, unlabelled), fold-clean (it did not) or cross-dataset."""
    trained_on = card.get("dataset")
    if not trained_on:
        return "unknown"
    if trained_on != test:
        return "cross-dataset"
    if protocol == "split" and "test" not in (card.get("splits") or []):
        return "fold-clean"
    return "transductive"


def run_key(spec, feature_set: str, train: str, test: str) -> tuple:
    """What one run computes: runs with equal keys (controls of two D entries) are done once."""
    labels = getattr(spec, "labels", "auto")
    return spec.task, feature_set, train, test, labels, getattr(spec, "test_labels", None), spec.protocol


def run_experiment(spec, feature_set: str, train: str, test: str, store: FeatureStore, cfg: SvmKeys,
                   seed: int) -> dict:
    problem = same_dataset_protocol(spec.protocol, train, test)
    if problem:
        raise PipelineError(f"params.yaml: svm.experiments {spec.id}: {problem}")
    Xtr, dtr, meta = store.get(feature_set, train)
    Xte, dte, _ = store.get(feature_set, test)
    same = train == test
    gtr, grouping = subject_groups(dtr)
    result = {"feature_set": feature_set, "train": train, "test": test, "grouping": grouping,
              "protocol_name": spec.protocol}
    t0 = time.perf_counter()
    if spec.task == "emotion":
        classes = list(dtr.classes) if same else shared_classes(dtr, dte)
        mtr, ytr = relabel(dtr, classes)
        mte, yte = (mtr, ytr) if same else relabel(dte, classes)
        if len(classes) < 2 or len(ytr) == 0 or len(yte) == 0:
            raise PipelineError(f"svm.experiments {spec.id}: {train} and {test} share fewer than 2 classes")
        rows = np.flatnonzero(mtr)
        folds = protocol_folds(spec.protocol, dtr, ytr, gtr[rows], rows, cfg.folds, seed)
        Xa = Xtr if len(rows) == len(Xtr) else Xtr[rows]  # FER-2013: no 1 GB copy
        m = run_emotion(Xa, ytr, gtr[rows], Xa if same else Xte[mte], yte, classes, folds, cfg, seed)
        result.update(classes=classes, shared_classes_only=not same, **m)
    else:
        codes = [int(c) for c in cfg.au.codes]
        Ytr, rtr, ltr = au_matrix(dtr, codes, spec.labels)
        Yte, rte, lte = au_matrix(dte, codes, spec.test_labels or spec.labels)
        if same:  # one set of rows and folds; train and test labels may still differ (rules -> real)
            rtr = rte = np.intersect1d(rtr, rte)
        folds = protocol_folds(spec.protocol, dtr, dtr.labels[rtr], gtr[rtr], rtr, cfg.folds, seed)
        Xa = Xtr if len(rtr) == len(Xtr) else Xtr[rtr]
        m = run_au(Xa, Ytr[rtr], gtr[rtr], Xa if same else Xte[rte], Yte[rte], codes, folds, cfg, seed)
        result.update(au_codes=codes, train_labels=ltr, test_labels=lte, **m)
    result["protocol"] = describe(spec.protocol, folds, grouping, cfg.folds, gtr)
    result["seconds"] = round(time.perf_counter() - t0, 1)
    result["train_rows"], result["test_rows"] = int(len(dtr)), int(len(dte))
    result["features"] = {k: meta[k] for k in ("model", "layer") if k in meta}
    return result


def run_matrix(cfg: SvmKeys, baselines: list[str], layers: list[str], index: dict, store: FeatureStore,
               cache: ResultCache | None, only: list[str] | None = None,
               cached_only: bool = False) -> tuple[list[dict], list[dict]]:
    """(results, skipped) of every experiment x feature set; finished runs are kept in `cache`."""
    seed = cfg.seed
    experiments = [e for e in cfg.experiments if not only or e.id in set(only)]
    results, skipped, done, unavailable = [], [], {}, {}
    sets_index = index.get("feature_sets", {})
    for spec in experiments:
        d_sets, controls = experiment_sets(spec, layers, baselines)
        card = (sets_index.get(d_sets[0]) or {}).get("trained_on") or {}
        d_info = card.get("dataset") or spec.d_trained_on or spec.d
        train = resolve_dataset(spec.train, d_sets[0], store)
        test = resolve_dataset(spec.test, d_sets[0], store)
        if train is None or test is None:  # no D features: controls alone would mislabel the D column
            missing = spec.train if train is None else spec.test
            why = index.get("skipped_discriminators", {}).get(spec.d)
            skipped.append({"id": spec.id, "feature_set": d_sets[0],
                            "reason": f"D {spec.d} skipped: {why}" if why else
                            f"no features for {missing} in {store.features_dir / d_sets[0]}"})
            continue
        kind = d_kind(card, test, spec.protocol)
        for fs in d_sets + controls:
            if not (store.available(fs, train) and store.available(fs, test)):
                skipped.append({"id": spec.id, "feature_set": fs,
                                "reason": f"no {fs} features for {train}/{test}"})
                continue
            key = run_key(spec, fs, train, test)
            if key[2:] in unavailable:
                continue
            if key not in done and cache is not None:
                cached = cache.load(key, cfg, store)
                if cached is not None:
                    done[key] = cached
            if key not in done and cached_only:
                skipped.append({"id": spec.id, "feature_set": fs, "reason": "not run in this bounded run"})
                continue
            if key not in done:
                print(f"[{spec.id}] {spec.task} {fs}: train {train}, test {test} ({spec.protocol})",
                      flush=True)
                try:
                    done[key] = run_experiment(spec, fs, train, test, store, cfg, seed)
                except ProtocolUnavailable as exc:
                    unavailable[key[2:]] = str(exc)
                    skipped.append({"id": spec.id, "feature_set": "all", "reason": f"{spec.protocol}: {exc}"})
                    continue
                if cache is not None:
                    cache.save(key, cfg, store, done[key])
                print(f"[{spec.id}] {fs}: average AUC {fmt(done[key]['average_auc'])} "
                      f"({done[key]['seconds']} s)", flush=True)
            role = "d" if fs in d_sets else "control"
            results.append({**done[key], "id": spec.id, "task": spec.task, "paper": spec.paper,
                            "d_info": d_info, "d_run": spec.d, "d_kind": kind, "role": role,
                            "layer": (sets_index.get(fs) or {}).get("layer")})
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
    """Per experiment: average AUC (and accuracy / PR-AUC) of each D layer (d = its first layer) and
    each control."""
    out = {}
    for r in public:
        tag = r["feature_set"]
        if r["role"] == "d":
            tag = "d" if r["id"] not in out or "d_auc" not in out[r["id"]] else f"d.{r['layer']}"
        h = out.setdefault(r["id"], {"train": r["train"], "test": r["test"]})
        h[f"{tag}_auc"] = r["average_auc"]
        if r["task"] == "emotion":
            h[f"{tag}_accuracy"] = r["accuracy"]
        else:
            h[f"{tag}_pr_auc"] = r["average_pr_auc"]
            h[f"{tag}_f1_norm"] = r["average_f1_norm"]
    return out
