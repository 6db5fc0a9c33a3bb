"""export_model's work: a small copy of the trained classifier, scored again, with the figures of its card.

The copy has no optimizer state, float32 compute (a model trained in mixed_bfloat16 runs on any CPU)
and, with bundle.weights float16, half-precision weights in a compressed .keras file; Keras loads it
with load_model as any other (the weights become float32 variables again).
"""

import io
import json
import zipfile
from pathlib import Path
from statistics import NormalDist

import numpy as np

from pipeline.core.errors import PipelineError

LOW_PRECISION = ("mixed_bfloat16", "mixed_float16", "bfloat16", "float16")


def float32_config(node):
    """The serialised model with every low-precision dtype policy replaced by float32."""
    if isinstance(node, dict):
        if node.get("class_name") in ("DTypePolicy", "FloatDTypePolicy") and \
                node.get("config", {}).get("name") in LOW_PRECISION:
            return {**node, "config": {**node["config"], "name": "float32"}}
        return {k: float32_config(v) for k, v in node.items()}
    if isinstance(node, list):
        return [float32_config(v) for v in node]
    return node


def slim_model(src: Path, dst: Path, weights: str = "float16") -> None:
    """Write `src` (a trained .keras) to `dst` without optimizer, computing in float32, weights stored
    as `weights` (float16 | float32), the archive deflated."""
    import keras

    model = keras.models.load_model(src, compile=False)
    config = float32_config(keras.saving.serialize_keras_object(model))
    slim = keras.saving.deserialize_keras_object(config)
    slim.set_weights(model.get_weights())
    raw = dst.with_suffix(".raw.keras")
    slim.save(raw)
    with zipfile.ZipFile(raw) as z:
        members = {n: z.read(n) for n in z.namelist()}
    raw.unlink()
    if weights == "float16":
        members["model.weights.h5"] = half_weights(members["model.weights.h5"])
    with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        for name, data in members.items():
            z.writestr(name, data)


def half_weights(h5: bytes) -> bytes:
    """A Keras weights file with every float32 array stored as float16 (groups and attributes kept)."""
    import h5py

    out = io.BytesIO()
    with h5py.File(io.BytesIO(h5), "r") as fin, h5py.File(out, "w") as fout:
        for k, v in fin.attrs.items():
            fout.attrs[k] = v

        def copy(name, obj):
            if isinstance(obj, h5py.Group):
                group = fout.require_group(name)
                for k, v in obj.attrs.items():
                    group.attrs[k] = v
                return
            data = obj[()]
            if isinstance(data, np.ndarray) and data.dtype == np.float32:
                if np.any(np.abs(data) > np.finfo(np.float16).max):
                    raise PipelineError(f"weight {name} exceeds the float16 range: "
                                        f"use bundle.weights float32")
                data = data.astype(np.float16)
            dataset = fout.create_dataset(name, data=data)
            for k, v in obj.attrs.items():
                dataset.attrs[k] = v

        fin.visititems(copy)
    return out.getvalue()


def wilson(k: int, n: int, confidence: float) -> list[float]:
    """Wilson score interval of a proportion k / n."""
    if n == 0:
        return [0.0, 1.0]
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return [float(centre - half), float(centre + half)]


def published_run(folds_dir: Path, protocol: str | None = None) -> Path:
    """The folder of the published run (the protocol's first) in train_classifier's folder; no protocol:
    the manifest's first, the one evaluate_classifier publishes."""
    manifest = json.loads((Path(folds_dir) / "manifest.json").read_text())
    protocol = protocol or next(iter(manifest.get("protocols", {})), None)
    if protocol not in manifest.get("protocols", {}):
        raise PipelineError(f"{folds_dir}: no {protocol} run (the published model's protocol)")
    return Path(folds_dir) / manifest["protocols"][protocol]["runs"][0]


def read_run(folds_dir: Path, protocol: str) -> tuple[dict, dict]:
    """(test rows of the published run: images, labels; its training.json) from train_classifier's folder."""
    run = published_run(folds_dir, protocol)
    with np.load(run / "rows.npz", allow_pickle=False) as z:
        real = ~z["test_synthetic"]
        rows = {"images": z["test_images"][real], "labels": z["test_labels"][real]}
    return rows, json.loads((run / "training.json").read_text())


def weaker_than_bundled(folds_dir: Path, out: Path, keys) -> str | None:
    """Why the committed bundle stays (its validation accuracy is higher), or None.

    The choice is made on validation (PublicTest), never on the test split: a 20-epoch cpu-profile run
    does not replace an 80-epoch bundle that scored higher on PublicTest."""
    bundled = Path(out) / "model.json"
    if keys.replace == "always" or not bundled.is_file():
        return None
    kept = json.loads(bundled.read_text()).get("training", {}).get("best_val_accuracy")
    new = json.loads((published_run(folds_dir) / "training.json").read_text()).get("best_val_accuracy")
    if kept is None or new is None or new >= kept:
        return None
    return (f"its validation accuracy {new:.4f} is below the bundled model's {kept:.4f} "
            f"(bundle.replace: if_better_on_validation)")


def shared_class_scores(proba: np.ndarray, labels: np.ndarray, data_classes, model_classes,
                        confidence: float) -> dict:
    """Accuracy on the rows whose class the model also knows: the argmax over all the model's classes
    (a face called one of the others is an error) and over the shared classes only."""
    shared = [c for c in data_classes if c in model_classes]
    keep = np.isin(np.asarray(data_classes)[labels], shared)
    truth = np.array([list(model_classes).index(data_classes[i]) for i in labels[keep]], np.int64)
    proba = proba[keep]
    cols = [list(model_classes).index(c) for c in shared]
    pred_all = proba.argmax(1)
    pred_shared = np.asarray(cols)[proba[:, cols].argmax(1)] if len(proba) else pred_all
    n = int(keep.sum())
    k_all, k_shared = int((pred_all == truth).sum()), int((pred_shared == truth).sum())
    recall = {c: float(np.mean(pred_all[truth == model_classes.index(c)] == model_classes.index(c)))
              for c in shared if (truth == model_classes.index(c)).any()}
    return {"classes": shared, "n": n, "dropped": int((~keep).sum()),
            "accuracy": k_all / max(n, 1), "interval": wilson(k_all, n, confidence),
            "accuracy_shared_argmax": k_shared / max(n, 1),
            "interval_shared_argmax": wilson(k_shared, n, confidence), "recall": recall,
            "predicted": {c: int((pred_all == i).sum()) for i, c in enumerate(model_classes)}}


def not_bundled(metrics: dict, keys) -> str | None:
    """Why this classifier must not replace the bundled model, or None."""
    if "skipped" in metrics:
        return f"the classifier was not trained ({metrics['skipped']})"
    if keys.dataset != "any" and metrics.get("dataset") != keys.dataset:
        return (f"the classifier was trained on {metrics.get('dataset')}, not {keys.dataset} "
                f"(bundle.dataset)")
    return None


def export(model_path: Path, runs_dir: Path, metrics: dict, cross_dir: Path, out: Path, keys, crop) -> dict:
    """Write out/model.keras, model.json and MODEL_CARD.md; return model.json's content."""
    from pipeline.classifier.inference import eval_views, load_classifier, load_model, predict_proba
    from pipeline.core.metrics import classification_metrics
    from pipeline.core.outputs import atomic_path, write_json

    from .model_card import card

    trained, info = load_classifier(model_path)
    if info["image_size"] != crop.size:
        raise PipelineError(f"{model_path}: the model takes {info['image_size']}px faces but crop.size is "
                            f"{crop.size}: export with the params it was trained with")
    protocol = info.get("protocol") or next(k for k, v in metrics.items() if isinstance(v, dict)
                                            and "accuracy" in v)
    rows, training = read_run(runs_dir, protocol)
    classes = list(info["classes"])

    def score(model, images):
        return predict_proba(model, images, 256, flip=bool(info["tta_flip"]), crops=bool(info["tta_crops"]))

    with atomic_path(out, is_dir=True) as tmp:
        tmp.mkdir(parents=True, exist_ok=True)
        tmp.chmod(0o755)  # a temporary folder is private; the bundle is package data anyone reads
        slim_model(Path(model_path), tmp / "model.keras", keys.weights)
        size = (tmp / "model.keras").stat().st_size
        if size > keys.max_mb * 1e6:
            raise PipelineError(f"{out}/model.keras would be {size / 1e6:.1f} MB, over bundle.max_mb "
                                f"({keys.max_mb} MB)")
        model = load_model(tmp / "model.keras")
        proba = score(model, rows["images"])
        test = classification_metrics(rows["labels"], proba, classes)
        hits = int(np.sum(proba.argmax(1) == rows["labels"]))
        n_check = min(keys.check_faces, len(proba))
        ref = score(trained, rows["images"][:n_check])
        evaluated = metrics.get(protocol, {}).get("accuracy")
        bundle = {
            "classes": classes, "image_size": int(info["image_size"]),
            "input_size": int(model.input_shape[1]), "tta_flip": bool(info["tta_flip"]),
            "tta_crops": bool(info["tta_crops"]),
            "views": len(eval_views(crop.size, int(model.input_shape[1]), bool(info["tta_flip"]),
                                    bool(info["tta_crops"]))),
            "dataset": metrics["dataset"], "mode": metrics.get("mode", info.get("mode")),
            "protocol": protocol, "profile": metrics.get("profile", ""),
            "crop": crop.model_dump(mode="json"), "detect_side": keys.detect_side,
            "weights": keys.weights, "size_bytes": size, "parameters": int(model.count_params()),
            "confidence": keys.confidence,
            "privatetest": {**{k: test[k] for k in ("accuracy", "macro_f1", "n", "precision", "recall", "f1",
                                                    "support")},
                            "interval": wilson(hits, len(proba), keys.confidence)},
            "evaluation_accuracy": evaluated["mean"] if isinstance(evaluated, dict) else evaluated,
            "training": {k: training.get(k) for k in ("n_train", "n_val", "n_test", "epochs_run",
                                                       "best_epoch", "best_val_accuracy")},
            "check": {"n": n_check,
                      "argmax_agreement": float(np.mean(ref.argmax(1) == proba[:n_check].argmax(1))),
                      "max_abs_diff": float(np.abs(ref - proba[:n_check]).max()) if n_check else 0.0},
            "cross_dataset": cross_score(model, score, cross_dir, keys, classes, metrics["dataset"]),
        }
        write_json(tmp / "model.json", bundle)
        (tmp / "MODEL_CARD.md").write_text(card(bundle))
    return bundle


def cross_score(model, score, cross_dir: Path, keys, classes: list, trained_on: str) -> dict:
    """Accuracy on all of data/cropped/<bundle.cross_dataset>.npz (faces cut by the crop stage)."""
    from pipeline.core.dataset import FaceDataset

    name = keys.cross_dataset
    path = Path(cross_dir) / f"{name}.npz"
    if name == trained_on:
        return {"skipped": f"{name} is the training dataset"}
    if not path.is_file():
        return {"skipped": f"{path} not found (no {name} among the raw datasets)"}
    ds = FaceDataset.load(path)
    proba = score(model, ds.images)
    return {"source": name, **shared_class_scores(proba, ds.labels, list(ds.classes), classes,
                                                  keys.confidence)}
