"""Scoring the trained runs: test-time augmentation, metrics per protocol, confusion matrices, and
the published model (what fer-predict loads, with how it was scored)."""

import csv
import json
import shutil
from pathlib import Path

import numpy as np

from ..core.errors import PipelineError
from ..core.metrics import classification_metrics, confusion_figure, confusion_rows, mean_std
from ..core.outputs import atomic_path, save_figure, write_json
from .config import EvalKeys
from .inference import eval_views, load_model, predict_proba


def read_manifest(models_dir: Path) -> dict:
    path = Path(models_dir) / "manifest.json"
    if not path.is_file():
        raise PipelineError(f"{path}: missing (run train_classifier for this mode first)")
    return json.loads(path.read_text())


def load_rows(folder: Path) -> dict:
    with np.load(folder / "rows.npz", allow_pickle=False) as z:
        return {k: z[k] for k in z.files}


def score_run(folder: Path, name: str, batch: int, keys: EvalKeys,
              classes) -> tuple[dict, np.ndarray, np.ndarray]:
    """One run's metrics on its test rows, and (labels, predictions) for the confusion matrix."""
    rows = load_rows(folder)
    leak = np.concatenate([rows["val_ids"][rows["val_synthetic"]], rows["test_ids"][rows["test_synthetic"]]])
    if name == "official" and len(leak):
        raise PipelineError(f"{folder}: synthetic rows in val/test ({leak[0]}); refusing to score")
    labels, synthetic = rows["test_labels"], rows["test_synthetic"]
    proba = predict_proba(load_model(folder / "model.keras"), rows["test_images"], batch * 4,
                          flip=keys.tta_flip, crops=keys.tta_crops)
    pred = proba.argmax(1) if len(proba) else np.zeros(0, np.int64)
    m = classification_metrics(labels, proba, classes)
    real = ~synthetic
    m["test_synthetic_fraction"] = float(synthetic.mean()) if len(labels) else 0.0
    if name != "official":  # where the leak shows: accuracy on real vs on synthetic test images
        m["accuracy_real_test_rows"] = float(np.mean(pred[real] == labels[real])) if real.any() else None
        m["accuracy_synthetic_test_rows"] = (float(np.mean(pred[~real] == labels[~real]))
                                             if (~real).any() else None)
    training = json.loads((folder / "training.json").read_text())
    m["epochs_run"], m["best_epoch"] = training["epochs_run"], training["best_epoch"]
    return m, labels, pred


def score_protocol(models_dir: Path, name: str, manifest: dict, keys: EvalKeys, confusion_dir: Path) -> dict:
    """The metrics block of one protocol (mean and std over folds or seeds), plus its confusion files."""
    proto, classes, train = manifest["protocols"][name], manifest["classes"], manifest["train_params"]
    per_run, y_true, y_pred, summaries = [], [], [], []
    for sub in proto["runs"]:
        m, labels, pred = score_run(Path(models_dir) / sub, name, train["batch"], keys, classes)
        per_run.append(m)
        y_true.append(labels)
        y_pred.append(pred)
        summaries.append(json.loads((Path(models_dir) / sub / "training.json").read_text()))
    y_true, y_pred = np.concatenate(y_true), np.concatenate(y_pred)
    if len(per_run) == 1:
        metrics = per_run[0]
    else:
        metrics = mean_std([{k: v for k, v in m.items() if k != "support"} for m in per_run])
        metrics["fold_accuracy"] = [m["accuracy"] for m in per_run]
    result = {
        "protocol": name,
        "evaluation": proto["evaluation"],
        "leaks_synthetic_into_test": name != "official",
        "folds": proto["folds"],
        "seeds": proto["seeds"],
        **{key: int(np.mean([s[key] for s in summaries]))
           for key in ("n_train", "n_train_added", "n_val", "n_test")},
        "online_classical_augmentation": manifest["online_classical_augmentation"],
        "precision": manifest.get("precision", {"requested": train.get("precision"),
                                                "chosen": train.get("precision")}),
        "input_crop": int(train["crop"]),
        "test_views": len(eval_views(manifest["image_size"], manifest["input_size"], keys.tta_flip,
                                     keys.tta_crops)),
        **metrics,
    }
    with atomic_path(Path(confusion_dir) / f"{name}.csv") as tmp, open(tmp, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=["actual", "predicted"])
        writer.writeheader()
        writer.writerows(confusion_rows(y_true, y_pred, classes))
    leaky = " (LEAKY)" if name != "official" else ""
    title = f"{manifest['dataset']} / mode {manifest['mode']} / {name}{leaky}"
    save_figure(confusion_figure(y_true, y_pred, classes, title), Path(confusion_dir) / f"{name}.png",
                dpi=110)
    return result


def headline(metrics: dict) -> dict:
    """The few numbers per protocol that become `dvc exp show` columns."""
    def value(v):
        return v["mean"] if isinstance(v, dict) and "mean" in v else v

    out = {}
    for proto, m in metrics.items():
        if not isinstance(m, dict) or "accuracy" not in m:
            continue
        out[proto] = {"accuracy": value(m["accuracy"]), "macro_f1": value(m["macro_f1"]),
                      "f1": {c: value(v) for c, v in m["f1"].items()}}
    return out


def evaluate(models_dir: Path, keys: EvalKeys, confusion_dir: Path) -> dict:
    """metrics.json's content for one mode: every trained protocol scored, or why the mode was skipped."""
    manifest = read_manifest(models_dir)
    metrics = {"dataset": manifest["dataset"], "mode": manifest["mode"], "profile": keys.profile,
               "classes": manifest["classes"]}
    with atomic_path(confusion_dir, is_dir=True) as tmp:  # no file of an earlier run stays behind
        if "skipped" in manifest:
            print(f"evaluate_classifier {manifest['mode']}: skipped: {manifest['skipped']}")
            return {**metrics, "skipped": manifest["skipped"]}
        for name in manifest["protocols"]:
            result = score_protocol(models_dir, name, manifest, keys, tmp)
            metrics[name] = result
            print(f"[{manifest['mode']}/{name}] accuracy {_fmt(result['accuracy'])}  "
                  f"macro-F1 {_fmt(result['macro_f1'])}")
    metrics["headline"] = {"dataset": manifest["dataset"], **headline(metrics)}
    return metrics


def publish(models_dir: Path, keys: EvalKeys, publish_dir: Path) -> None:
    """The first protocol's (first run's) model, with model.json: classes, size and the TTA it was
    scored with."""
    manifest = read_manifest(models_dir)
    with atomic_path(publish_dir, is_dir=True) as tmp:
        tmp.mkdir(parents=True, exist_ok=True)
        if "skipped" in manifest:
            info = {"mode": manifest["mode"], "skipped": manifest["skipped"]}
        else:
            protocol = next(iter(manifest["protocols"]))
            shutil.copyfile(Path(models_dir) / manifest["protocols"][protocol]["runs"][0] / "model.keras",
                            tmp / "model.keras")
            info = {"classes": manifest["classes"], "image_size": manifest["image_size"],
                    "dataset": manifest["dataset"], "mode": manifest["mode"], "protocol": protocol,
                    "tta_flip": keys.tta_flip, "tta_crops": keys.tta_crops}
        write_json(tmp / "model.json", info)


def used_params(models_dir: Path, keys: EvalKeys) -> dict:
    """The params behind a report: the training keys the models were made with and the scoring keys."""
    return {**read_manifest(models_dir).get("train_params", {}), **keys.model_dump(mode="json")}


def _fmt(v):
    return f"{v['mean']:.4f} +- {v['std']:.4f}" if isinstance(v, dict) else f"{v:.4f}"
