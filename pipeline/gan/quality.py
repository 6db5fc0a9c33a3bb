"""gan_metrics' figures: per class and pooled, fakes against real training faces (and the
real-vs-real floor) in Inception and domain feature spaces, plus GAN-test / GAN-train."""

import numpy as np

from pipeline.core.dataset import FaceDataset

from .distribution_metrics import fid, inception_score, kid, value
from .domain_classifier import features_and_probs, train_domain_classifier
from .samples import generate_images


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
    return {
        "dataset": metrics["dataset"],
        "fid_inception_pooled": value(inc["fid"]) if inc else None,
        "fid_inception_floor": value(inc["floor_fid"]) if inc else None,
        "kid_inception_pooled": value(inc["kid"]) if inc else None,
        "fid_domain_pooled": value(metrics["domain"]["pooled"]["fid"]),
        "domain_is_pooled": value(metrics["classifier"]["pooled"]["domain_is"]),
        "gan_test_accuracy": metrics["classifier"]["pooled"]["gan_test_accuracy"],
        "gan_train_accuracy": metrics["classifier"]["pooled"]["gan_train_accuracy"],
        "n_fake_pooled": metrics["classifier"]["pooled"]["n_fake"],
    }


def evaluate(ds: FaceDataset, classes: list, generators: dict, cards: dict, cfg) -> dict:
    """Every figure of gan_metrics for the generators of `classes` (cfg: config.GANMetricsKeys)."""
    import time

    from .distribution_metrics import inception_available
    from .domain_classifier import capped

    t0 = time.time()
    n, seed = cfg.samples_per_class, cfg.seed
    sets, train_mask, eval_mask, eval_desc = collect_sets(ds, classes, generators, n, seed)
    print(f"gan_metrics: {len(classes)} classes, {n} fakes per class; reference = real train rows, "
          f"eval = {eval_desc}")
    metrics = {
        "stage": "gan_metrics", "dataset": ds.source, "profile": cfg.profile,
        "eval_rows": eval_desc, "hardware": "2 CPU cores",
        "protocol": (f"per class: {n} fakes vs <= {n} real training images (reference); floor: <= {n} real "
                     f"eval images vs the same reference; pooled = union over classes (class-balanced)"),
        "classes": classes, "samples_per_class": n, "training": cards,
    }
    available, why = inception_available()
    if cfg.fid == "off":
        metrics["inception"] = None
        metrics["inception_note"] = "Inception FID/KID off (gan_metrics.fid=off)"
    elif not available:
        metrics["inception"] = None
        metrics["inception_note"] = why
        print(f"gan_metrics: {why}")
    else:
        from .distribution_metrics import InceptionFeatures

        extractor = InceptionFeatures(batch=cfg.fid_batch)
        k_inc = cfg.inception_samples_per_class or n  # Inception is slow on CPU
        feats = {c: {k: extractor(v[:k_inc], progress=f"inception {c}/{k}") for k, v in sets[c].items()}
                 for c in classes}
        metrics["inception"] = distance_block(feats, classes, cfg, seed)
        metrics["inception_note"] = f"{why}; {min(k_inc, n)} samples per class and set"

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
