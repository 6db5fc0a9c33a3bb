"""Stage gan_metrics: how good are the per-class DCGANs? FID, KID, domain IS/FID, GAN-train/GAN-test.

For each class with a generator in models/gan/<class>/, draws `samples_per_class` fakes and up to
as many real training and real test images (data/balanced/dataset.npz), then per class and pooled:
- Inception-v3 pool3 FID and unbiased KID (optional `fid` extra; skipped with a message otherwise),
- the same on real train vs real test: the real-vs-real floor, through the same code path,
- domain FID/KID/IS in the feature space of a small FER CNN trained here on the real training
  rows (its 128-d penultimate layer and softmax),
- GAN-test (real-trained CNN on fakes) and GAN-train (CNN trained on fakes, tested on real test).
Writes reports/gan/metrics.json and reports/tables/gan_table1.md (paper 000's Table 1 beside ours).
"""

import argparse
import json
import time
from pathlib import Path

import numpy as np

from pipeline.core.cli import run_stage
from pipeline.core.dataset import FaceDataset
from pipeline.core.distribution_metrics import (FID_MIN_SAMPLES, fid, inception_available,
                                                inception_score, kid)
from pipeline.core.errors import PipelineError
from pipeline.core.outputs import write_json, write_text
from pipeline.core.params import choice, section

BALANCED = Path("data/balanced/dataset.npz")
MODELS = Path("models/gan")
REPORT_DIR = Path("reports/gan")
METRICS = REPORT_DIR / "metrics.json"
TABLE = Path("reports/tables/gan_table1.md")

# Paper 000, Table 1 (as published).
PUBLISHED = [
    {"run": "000 Ex1", "dataset": "FER-2013", "epochs": 100, "batch": 8, "fid": "111", "is": "2", "time": "10 h (TPU v5e-1)"},
    {"run": "000 Ex2", "dataset": "FER-2013", "epochs": 100, "batch": 16, "fid": "88", "is": "3.0", "time": "4 h 7 min (TPU v2-8)"},
    {"run": "000 Ex3", "dataset": "FER-2013", "epochs": 150, "batch": 16, "fid": "107", "is": "1.85", "time": "15 h"},
    {"run": "000 Ex4", "dataset": "CK+", "epochs": 50, "batch": 8, "fid": "50", "is": "1.9", "time": "1 h (TPU v2-8)"},
    {"run": "000 Ex5", "dataset": "CK+", "epochs": 100, "batch": 8, "fid": "0.5", "is": "2.0", "time": "1 h 30 min (TPU v2-8)"},
]


# ---- the domain classifier ----------------------------------------------------------------

def build_domain_classifier(n_classes: int, size: int):
    """A small FER CNN: 3 conv blocks, global pooling, a 128-d `features` layer, softmax."""
    import keras
    from keras import layers

    x_in = keras.Input((size, size, 1))
    x = x_in
    for width in (32, 64, 128):
        x = layers.Conv2D(width, 3, padding="same", activation="relu")(x)
        x = layers.BatchNormalization(momentum=0.9)(x)  # short trainings: moving stats must settle
        x = layers.MaxPooling2D()(x)
    x = layers.GlobalAveragePooling2D()(x)
    feats = layers.Dense(128, activation="relu", name="features")(x)
    out = layers.Dense(n_classes, activation="softmax", name="probs")(layers.Dropout(0.3)(feats))
    model = keras.Model(x_in, out, name="domain_classifier")
    model.compile(keras.optimizers.Adam(1e-3), "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def train_domain_classifier(images, labels, n_classes, epochs, seed, what):
    import keras

    keras.utils.set_random_seed(seed)
    model = build_domain_classifier(n_classes, images.shape[1])
    print(f"gan_metrics: training the {what} classifier on {len(images)} images, {epochs} epochs")
    model.fit(images[..., None].astype(np.float32) / 255.0, labels, batch_size=64, epochs=epochs,
              shuffle=True, verbose=2)
    return model


def features_and_probs(model, images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    import keras

    both = getattr(model, "features_and_probs", None)  # one model per classifier: no retracing
    if both is None:
        both = model.features_and_probs = keras.Model(model.input, [model.get_layer("features").output,
                                                                    model.output])
    if len(images) == 0:  # e.g. a class with no test rows (Keras predict fails on empty input)
        return (np.zeros((0, both.outputs[0].shape[-1]), np.float32),
                np.zeros((0, both.outputs[1].shape[-1]), np.float32))
    feats, probs = both.predict(images[..., None].astype(np.float32) / 255.0, batch_size=256, verbose=0)
    return feats, probs


# ---- sets ---------------------------------------------------------------------------------

def pick(images: np.ndarray, n: int, rng) -> np.ndarray:
    if len(images) <= n:
        return images
    return images[np.sort(rng.choice(len(images), n, replace=False))]


def evaluation_split(ds: FaceDataset) -> tuple[np.ndarray, np.ndarray, str]:
    """(train mask, eval mask, description): real test rows, else val, else 20% of train subjects."""
    real = ~ds.synthetic
    train = real & (ds.split == "train")
    for split in ("test", "val"):
        held = real & (ds.split == split)
        if held.any():
            usage = sorted(set(ds.usage[held]) - {""})
            return train, held, f"split '{split}'" + (f" ({', '.join(usage)})" if usage else "")
    rng = np.random.default_rng(0)
    groups = ds.subject if ds.has_subjects else ds.ids
    names = np.unique(groups[train])
    held_names = rng.choice(names, max(1, len(names) // 5), replace=False)
    held = train & np.isin(groups, held_names)
    return train & ~held, held, "20% of training subjects held out here (dataset has no val/test rows)"


def collect_sets(ds, classes, generators, n, seed):
    """Per class: fake, real train (reference) and real eval images, each at most n."""
    from pipeline.core.gan import generate_images

    train_mask, eval_mask, eval_desc = evaluation_split(ds)
    rng = np.random.default_rng(seed)
    sets = {}
    for name in classes:
        label = ds.classes.index(name)
        sets[name] = {
            "fake": generate_images(generators[name], n, seed=seed * 1000 + label + 1),
            "train": pick(ds.images[train_mask & (ds.labels == label)], n, rng),
            "eval": pick(ds.images[eval_mask & (ds.labels == label)], n, rng),
        }
    return sets, train_mask, eval_mask, eval_desc


# ---- metrics ------------------------------------------------------------------------------

def distance_block(feats: dict, classes, params, seed) -> dict:
    """FID + KID: fake vs real train, and the floor real eval vs real train; per class + pooled."""
    sub = {"subsets": int(params.get("kid_subsets", 50)), "subset_size": int(params.get("kid_subset_size", 1000))}
    out = {}
    for name in list(classes) + ["pooled"]:
        pick_ = (lambda k: np.concatenate([feats[c][k] for c in classes])) if name == "pooled" \
            else (lambda k: feats[name][k])
        fake, train, held = pick_("fake"), pick_("train"), pick_("eval")
        out[name] = {
            "fid": fid(fake, train), "kid": kid(fake, train, seed=seed, **sub),
            "floor_fid": fid(held, train), "floor_kid": kid(held, train, seed=seed, **sub),
        }
    return out


def classifier_block(real_model, ds, classes, sets, train_mask, eval_mask, params, seed) -> dict:
    """Domain IS, GAN-test and GAN-train accuracies (sample counts included)."""
    all_classes = ds.classes
    out = {}
    eval_x = ds.images[eval_mask]
    eval_y = ds.labels[eval_mask]
    _, p_real = features_and_probs(real_model, eval_x)
    out["real_baseline"] = {"accuracy": float(np.mean(p_real.argmax(1) == eval_y)) if len(eval_y) else None,
                            "n_test": int(len(eval_y)), "note": "real-trained CNN on real eval rows"}
    fakes = np.concatenate([sets[c]["fake"] for c in classes])
    fake_y = np.concatenate([[all_classes.index(c)] * len(sets[c]["fake"]) for c in classes]).astype(np.int64)
    _, p_fake = features_and_probs(real_model, fakes)
    per_class = {}
    for name in classes:
        m = fake_y == all_classes.index(name)
        per_class[name] = {"gan_test_accuracy": float(np.mean(p_fake[m].argmax(1) == fake_y[m])),
                           "domain_is": inception_score(p_fake[m]), "n_fake": int(m.sum())}
    out["per_class"] = per_class
    out["pooled"] = {"gan_test_accuracy": float(np.mean(p_fake.argmax(1) == fake_y)), "n_fake": int(len(fake_y)),
                     "domain_is": inception_score(p_fake),
                     "floor_domain_is": inception_score(
                         features_and_probs(real_model, np.concatenate([sets[c]["eval"] for c in classes]))[1])}
    # GAN-train: learn only from fakes, test on the real eval rows of the same classes.
    in_classes = np.isin(eval_y, [all_classes.index(c) for c in classes])
    fake_model = train_domain_classifier(fakes, fake_y, len(all_classes), int(params.get("classifier_epochs", 3)),
                                         seed + 1, "GAN-train (synthetic-only)")
    _, p = features_and_probs(fake_model, eval_x[in_classes])
    y = eval_y[in_classes]
    out["pooled"]["gan_train_accuracy"] = float(np.mean(p.argmax(1) == y)) if len(y) else None
    out["pooled"]["gan_train_n_test"] = int(len(y))
    for name in classes:
        m = y == all_classes.index(name)
        per_class[name]["gan_train_recall"] = float(np.mean(p[m].argmax(1) == y[m])) if m.any() else None
        per_class[name]["gan_train_n_test"] = int(m.sum())
    return out


def value(block, key="value"):
    return None if block is None else block.get(key)


def fmt(x, digits=2):
    return "n/a" if x is None else f"{x:.{digits}f}"


def run_rows(metrics: dict) -> tuple[list[str], str]:
    """One run's Table 1 rows (pipeline + real-vs-real floor) and its sentence of other figures."""
    cards = metrics["training"]
    epochs = sorted({c["epochs"] for c in cards.values()})
    batches = sorted({c["batch_size"] for c in cards.values()})
    hours = sum(c.get("train_seconds_total", 0.0) for c in cards.values()) / 3600
    pooled_inc = metrics.get("inception", {}).get("pooled") if metrics.get("inception") else None
    dom = metrics["domain"]["pooled"]
    dom_is = metrics["classifier"]["pooled"]["domain_is"]
    n_fake = metrics["classifier"]["pooled"]["n_fake"]
    if pooled_inc:
        f = pooled_inc["fid"]
        fid_cell = f"{fmt(f['value'], 1)} (n={f['n_a']} vs {f['n_b']}{'' if f['comparable'] else ', not comparable'})"
        floor = pooled_inc["floor_fid"]
        floor_cell = (f"{fmt(floor['value'], 1)} (n={floor['n_a']} vs {floor['n_b']}"
                      f"{'' if floor.get('comparable', True) else ', not comparable'})")
    else:
        fid_cell = floor_cell = "skipped (see inception_note in metrics.json)"
    profile = f", {metrics['profile']}" if metrics.get("profile") else ""
    rows = [
        f"| this pipeline{profile} | {metrics['dataset']} ({len(cards)} per-class GANs) | "
        f"{'/'.join(map(str, epochs))} | {'/'.join(map(str, batches))} | Inception {fid_cell} | "
        f"domain IS {fmt(value(dom_is))} of {dom_is['max_possible']} (n={dom_is['n']}) | "
        f"{hours:.2f} h total, {metrics['hardware']} |",
        f"| real-vs-real floor | {metrics['dataset']} train vs {metrics['eval_rows']} | - | - | "
        f"Inception {floor_cell} | domain IS {fmt(value(metrics['classifier']['pooled']['floor_domain_is']))} | - |",
    ]
    sentence = (
        f"{metrics['dataset']}: domain FID ({metrics['dataset']}-CNN 128-d features, pooled, n={dom['fid']['n_a']} "
        f"fakes) {fmt(value(dom['fid']), 2)}, floor {fmt(value(dom['floor_fid']), 2)}; "
        f"GAN-test accuracy {fmt(metrics['classifier']['pooled']['gan_test_accuracy'], 3)} (n={n_fake}), "
        f"GAN-train accuracy {fmt(metrics['classifier']['pooled']['gan_train_accuracy'], 3)} "
        f"(n={metrics['classifier']['pooled']['gan_train_n_test']} real), "
        f"real-trained baseline {fmt(metrics['classifier']['real_baseline']['accuracy'], 3)}.")
    return rows, sentence


def table1(metrics: dict, extra_runs: list[dict] = ()) -> str:
    """Paper 000's Table 1, this run's rows, and rows of extra runs kept under reports/gan/<tag>/."""
    lines = [
        f"# GAN quality: paper 000 Table 1 beside this pipeline ({', '.join([metrics['dataset']] + [m['dataset'] for m in extra_runs])})",
        "",
        "| run | dataset | epochs | batch | FID | IS | train time |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for row in PUBLISHED:
        lines.append(f"| {row['run']} (published) | {row['dataset']} | {row['epochs']} | {row['batch']} | "
                     f"{row['fid']} | {row['is']} | {row['time']} |")
    sentences = []
    for run in (metrics, *extra_runs):
        rows, sentence = run_rows(run)
        lines += rows
        sentences.append(sentence)
    lines += [
        "",
        *(f"- {x}" for x in sentences),
        "",
        "**Comparability.** The published FIDs come with no sample count, reference set or extractor "
        "details; ours is the standard TF Inception-v3 pool3 FID of class-balanced fakes against real "
        f"training images, and only figures on >= {FID_MIN_SAMPLES} images per side can be set beside "
        "published FIDs at all (small sets inflate FID by tens of points; the real-vs-real floor "
        "shows how far from 0 a perfect generator would land with these sample counts). A CK+ FID of "
        "0.5 is below the floor that any few-hundred-image set reaches, so it cannot be matched by "
        "this protocol. Our IS is a *domain* IS from a CNN trained on the same dataset's classes (max = "
        "number of classes), not the ImageNet Inception Score of the paper: compare it only across runs "
        "of this pipeline. Epochs, batch sizes and train time are per class here (one GAN per class) on "
        "2 CPU cores.",
    ]
    return "\n".join(lines) + "\n"


def extra_runs(exclude_dataset: str) -> list[dict]:
    """Committed runs on other datasets (reports/gan/<tag>/metrics.json, e.g. a CK+ run made outside DVC)."""
    runs = []
    for path in sorted(REPORT_DIR.glob("*/metrics.json")):
        m = json.loads(path.read_text())
        if m.get("stage") == "gan_metrics" and m.get("dataset") != exclude_dataset:
            runs.append(m)
    return runs


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.parse_args(argv)
    params = section("gan_metrics")
    fid_mode = params.get("fid", "auto")
    fid_mode = {False: "off", True: "auto"}.get(fid_mode, fid_mode)  # YAML reads a bare off as false
    fid_mode = choice(fid_mode, ("auto", "off"), "gan_metrics.fid")
    n = int(params.get("samples_per_class", 64))
    seed = int(params.get("seed", 0))
    if n < 2:
        raise PipelineError(f"params.yaml: gan_metrics.samples_per_class={n} must be at least 2")
    t0 = time.time()
    ds = FaceDataset.load(BALANCED)
    classes = [c for c in ds.classes if (MODELS / c / "generator.keras").is_file()]
    if not classes:
        raise PipelineError(f"{MODELS}: no trained generators (run train_gan first)")

    import keras

    from pipeline.core.gan import check_trained_on  # also registers PixelNorm for loading

    cards = {c: check_trained_on(MODELS / c, ds.source) for c in classes}
    generators = {c: keras.saving.load_model(MODELS / c / "generator.keras", compile=False) for c in classes}
    sets, train_mask, eval_mask, eval_desc = collect_sets(ds, classes, generators, n, seed)
    print(f"gan_metrics: {len(classes)} classes, {n} fakes per class; reference = real train rows, "
          f"eval = {eval_desc}")

    metrics = {
        "stage": "gan_metrics", "dataset": ds.source, "profile": str(params.get("profile", "demo")),
        "eval_rows": eval_desc, "hardware": "2 CPU cores",
        "protocol": (f"per class: {n} fakes vs <= {n} real training images (reference); floor: <= {n} real "
                     f"eval images vs the same reference; pooled = union over classes (class-balanced)"),
        "classes": classes, "samples_per_class": n, "training": cards,
    }
    available, why = inception_available()
    if fid_mode == "off":
        metrics["inception"] = None
        metrics["inception_note"] = "Inception FID/KID off (gan_metrics.fid=off)"
    elif not available:
        metrics["inception"] = None
        metrics["inception_note"] = why
        print(f"gan_metrics: {why}")
    else:
        from pipeline.core.distribution_metrics import InceptionFeatures

        extractor = InceptionFeatures(batch=int(params.get("fid_batch", 32)))
        k_inc = int(params.get("inception_samples_per_class", 0)) or n  # Inception is slow on CPU
        feats = {c: {k: extractor(v[:k_inc], progress=f"inception {c}/{k}") for k, v in sets[c].items()}
                 for c in classes}
        metrics["inception"] = distance_block(feats, classes, params, seed)
        metrics["inception_note"] = f"{why}; {min(k_inc, n)} samples per class and set"

    real_model = train_domain_classifier(
        *_capped(ds.images[train_mask], ds.labels[train_mask], int(params.get("classifier_max_train", 20000)), seed),
        len(ds.classes), int(params.get("classifier_epochs", 3)), seed, "domain (real-trained FER CNN)")
    dfeats = {c: {k: features_and_probs(real_model, v)[0] for k, v in sets[c].items()} for c in classes}
    metrics["domain"] = distance_block(dfeats, classes, params, seed)
    metrics["domain_note"] = ("domain features: 128-d penultimate layer of a small CNN trained in this stage "
                              "on the real training rows (not the discriminator)")
    metrics["classifier"] = classifier_block(real_model, ds, classes, sets, train_mask, eval_mask, params, seed)
    metrics["seconds"] = round(time.time() - t0, 1)
    inc = metrics["inception"]["pooled"] if metrics["inception"] else None
    metrics["headline"] = {
        "dataset": ds.source,
        "fid_inception_pooled": value(inc["fid"]) if inc else None,
        "fid_inception_floor": value(inc["floor_fid"]) if inc else None,
        "kid_inception_pooled": value(inc["kid"]) if inc else None,
        "fid_domain_pooled": value(metrics["domain"]["pooled"]["fid"]),
        "domain_is_pooled": value(metrics["classifier"]["pooled"]["domain_is"]),
        "gan_test_accuracy": metrics["classifier"]["pooled"]["gan_test_accuracy"],
        "gan_train_accuracy": metrics["classifier"]["pooled"]["gan_train_accuracy"],
        "n_fake_pooled": metrics["classifier"]["pooled"]["n_fake"],
    }
    write_json(METRICS, metrics)
    write_text(TABLE, table1(metrics, extra_runs(metrics["dataset"])))
    print(f"gan_metrics: done in {metrics['seconds']:.0f} s -> {METRICS}, {TABLE}")


def _capped(images, labels, cap, seed):
    if cap and len(images) > cap:
        idx = np.sort(np.random.default_rng(seed).choice(len(images), cap, replace=False))
        return images[idx], labels[idx]
    return images, labels


if __name__ == "__main__":
    run_stage(main)
