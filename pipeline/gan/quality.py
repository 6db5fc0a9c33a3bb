"""gan_metrics' figures: per class and pooled, fakes against real training faces (and the
real-vs-real floor) in Inception and domain feature spaces, plus GAN-test / GAN-train.

Inception: the fakes' features against real_stats' cached features of the real training rows
of the scored classes (the whole FER-2013 training split when all seven are scored): pooled FID,
KID and improved precision/recall; per class KID, and FID where the class has at least
`per_class_fid_min` real images. Domain: `samples_per_class` fakes against as many real
training images per class in the small FER CNN's feature space (FID, KID, precision/recall).
"""

import numpy as np

from pipeline.core.dataset import FaceDataset

from .distribution_metrics import fid, inception_score, kid, precision_recall, value
from .domain_classifier import features_and_probs, train_domain_classifier
from .real_faces import evaluation_split, pick
from .samples import generate_images


def collect_sets(ds, classes, generators, n, seed):
    """Per class: fake, real train (reference) and real eval images, each at most n."""
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


def distance_block(feats: dict, classes, cfg, seed) -> dict:
    """FID + KID: fake vs real train, and the floor real eval vs real train; per class + pooled."""
    sub = {"subsets": cfg.kid_subsets, "subset_size": cfg.kid_subset_size}
    out = {}
    for name in list(classes) + ["pooled"]:
        pick_ = (lambda k: np.concatenate([feats[c][k] for c in classes])) if name == "pooled" \
            else (lambda k: feats[name][k])
        fake, train, held = pick_("fake"), pick_("train"), pick_("eval")
        out[name] = {
            "fid": fid(fake, train), "kid": kid(fake, train, seed=seed, **sub),
            "floor_fid": fid(held, train), "floor_kid": kid(held, train, seed=seed, **sub),
        }
    pooled = {k: np.concatenate([feats[c][k] for c in classes]) for k in ("fake", "train", "eval")}
    out["pooled"]["precision_recall"] = precision_recall(pooled["train"], pooled["fake"], cfg.pr_k)
    out["pooled"]["floor_precision_recall"] = precision_recall(pooled["train"], pooled["eval"], cfg.pr_k)
    return out


def inception_block(fake: dict, real: dict, ds_classes, classes, cfg, seed) -> dict:
    """Fakes' Inception features (per class) against real_stats' arrays (`real`)."""
    sub = {"subsets": cfg.kid_subsets, "subset_size": cfg.kid_subset_size}
    labels = [ds_classes.index(c) for c in classes]
    in_train, in_eval = np.isin(real["train_labels"], labels), np.isin(real["eval_labels"], labels)
    train, held = real["train_features"][in_train], real["eval_features"][in_eval]
    every_class = in_train.all()
    stats = (real["train_mu"], real["train_sigma"]) if every_class else None
    fakes = np.concatenate([fake[c] for c in classes])
    pr_real = train[np.sort(np.random.default_rng(seed).choice(len(train), cfg.pr_max_real, replace=False))] \
        if cfg.pr_max_real and len(train) > cfg.pr_max_real else train
    out = {"pooled": {
        "fid": fid(fakes, train, stats), "kid": kid(fakes, train, seed=seed, **sub),
        "floor_fid": fid(held, train, stats), "floor_kid": kid(held, train, seed=seed, **sub),
        "precision_recall": precision_recall(pr_real, fakes, cfg.pr_k),
        "floor_precision_recall": precision_recall(pr_real, held, cfg.pr_k),
        "n_real": int(len(train)),
        "reference": "every real training row featurised by real_stats" if every_class
        else f"the real training rows of {', '.join(classes)}",
    }}
    for name, label in zip(classes, labels):
        train_c = real["train_features"][real["train_labels"] == label]
        held_c = real["eval_features"][real["eval_labels"] == label]
        entry = {"n_real": int(len(train_c)), "kid": kid(fake[name], train_c, seed=seed, **sub),
                 "floor_kid": kid(held_c, train_c, seed=seed, **sub)}
        if len(train_c) >= cfg.per_class_fid_min:
            entry.update(fid=fid(fake[name], train_c), floor_fid=fid(held_c, train_c))
        else:
            entry.update(fid=None, floor_fid=None,
                         fid_note=f"{len(train_c)} real images < per_class_fid_min {cfg.per_class_fid_min}: "
                                  "KID only")
        out[name] = entry
    return out


def classifier_block(real_model, ds, classes, sets, train_mask, eval_mask, cfg, seed) -> dict:
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
    real_eval = np.concatenate([sets[c]["eval"] for c in classes])
    out["pooled"] = {"gan_test_accuracy": float(np.mean(p_fake.argmax(1) == fake_y)),
                     "n_fake": int(len(fake_y)), "domain_is": inception_score(p_fake),
                     "floor_domain_is": inception_score(features_and_probs(real_model, real_eval)[1])}
    # GAN-train: learn only from fakes, test on the real eval rows of the same classes.
    in_classes = np.isin(eval_y, [all_classes.index(c) for c in classes])
    fake_model = train_domain_classifier(fakes, fake_y, len(all_classes), cfg.classifier_epochs,
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


def headline(metrics: dict) -> dict:
    """The figures `report` gathers into reports/metrics.json."""
    inc = metrics["inception"]["pooled"] if metrics["inception"] else None
    pr = inc["precision_recall"] if inc else {}
    return {
        "dataset": metrics["dataset"],
        "generator": metrics["generator"],
        "fid_inception_pooled": value(inc["fid"]) if inc else None,
        "fid_inception_floor": value(inc["floor_fid"]) if inc else None,
        "kid_inception_pooled": value(inc["kid"]) if inc else None,
        "precision_inception": pr.get("precision"),
        "recall_inception": pr.get("recall"),
        "fid_domain_pooled": value(metrics["domain"]["pooled"]["fid"]),
        "domain_is_pooled": value(metrics["classifier"]["pooled"]["domain_is"]),
        "gan_test_accuracy": metrics["classifier"]["pooled"]["gan_test_accuracy"],
        "gan_train_accuracy": metrics["classifier"]["pooled"]["gan_train_accuracy"],
        "real_baseline_accuracy": metrics["classifier"]["real_baseline"]["accuracy"],
        "n_fake_pooled": metrics["classifier"]["pooled"]["n_fake"],
    }


def inception_figures(sets: dict, classes, ds, real, cfg, seed) -> tuple[dict | None, str]:
    """(inception block or None, note): None with the reason when the figures cannot be made."""
    from .inception import InceptionFeatures, inception_available

    if cfg.fid == "off":
        return None, "Inception FID/KID off (gan_metrics.fid=off)"
    info, arrays = real
    if not info.get("available"):
        return None, f"no real Inception statistics: {info.get('note')}"
    available, why = inception_available()
    if not available:
        return None, why
    extractor = InceptionFeatures(batch=cfg.fid_batch)
    k_inc = cfg.inception_samples_per_class or cfg.samples_per_class  # Inception is slow on CPU
    fake = {c: extractor(sets[c]["fake"][:k_inc], progress=f"inception {c}/fake") for c in classes}
    block = inception_block(fake, arrays, ds.classes, classes, cfg, seed)
    return block, (f"{why}; {min(k_inc, cfg.samples_per_class)} fakes per class against real_stats' "
                   f"{info['n_train']} real training and {info['n_eval']} held-out faces")


def evaluate(ds: FaceDataset, classes: list, generators: dict, cards: dict, cfg, real,
             generator_kind: str = "per_class") -> dict:
    """Every figure of gan_metrics for the generators of `classes` (cfg: config.GANMetricsKeys;
    real: real_faces.load_real_stats' (info, arrays))."""
    import time

    from .domain_classifier import capped

    t0 = time.time()
    n, seed = cfg.samples_per_class, cfg.seed
    sets, train_mask, eval_mask, eval_desc = collect_sets(ds, classes, generators, n, seed)
    print(f"gan_metrics: {len(classes)} classes, {n} fakes per class ({generator_kind}); reference = real "
          f"train rows, eval = {eval_desc}")
    metrics = {
        "stage": "gan_metrics", "dataset": ds.source, "profile": cfg.profile, "generator": generator_kind,
        "eval_rows": eval_desc, "hardware": "2 CPU cores",
        "protocol": (f"per class: {n} fakes; Inception: against real_stats' cached real training faces "
                     f"(pooled: every training row of the scored classes); domain: against <= {n} real "
                     f"training images per class; floor: real eval images vs the same reference; pooled = "
                     f"union over classes (class-balanced fakes)"),
        "classes": classes, "samples_per_class": n, "training": cards,
    }
    metrics["inception"], metrics["inception_note"] = inception_figures(sets, classes, ds, real, cfg, seed)
    if metrics["inception"] is None:
        print(f"gan_metrics: {metrics['inception_note']}")

    real_model = train_domain_classifier(
        *capped(ds.images[train_mask], ds.labels[train_mask], cfg.classifier_max_train, seed),
        len(ds.classes), cfg.classifier_epochs, seed, "domain (real-trained FER CNN)")
    dfeats = {c: {k: features_and_probs(real_model, v)[0] for k, v in sets[c].items()} for c in classes}
    metrics["domain"] = distance_block(dfeats, classes, cfg, seed)
    metrics["domain_note"] = ("domain features: 128-d penultimate layer of a small CNN trained in this stage "
                              "on the real training rows (not the discriminator)")
    metrics["classifier"] = classifier_block(real_model, ds, classes, sets, train_mask, eval_mask, cfg, seed)
    metrics["seconds"] = round(time.time() - t0, 1)
    metrics["headline"] = headline(metrics)
    return metrics
