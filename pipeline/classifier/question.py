"""The thesis's question, asked of a strong classifier: does adding GAN images help once the network
already has online classical augmentation?

Each arm of `question.arms` trains the cnn network with classical augmentation (flip, shift,
rotation, zoom) plus what the arm adds to the training split: nothing (`classical`), SMOTE rows up to
the largest class (`smote`), every synthetic row of the synthesize stage (`gan_fill`: up to the
rebalance target), or a seeded half of each class's synthetic rows (`gan_half`). Every arm
is trained with `question.seeds` seeds on the same split (FER-2013 official: val = PublicTest, test =
PrivateTest; CK+: the subjects ingest held out), so arms pair by seed. The table gives each arm's
accuracy, macro-F1 and focus-class recall (mean ± std over seeds) and the change against the
baseline arm with a paired bootstrap interval: the test faces are resampled, the same resample for
every arm and seed, and the change is the mean over seeds of (arm - baseline) on that resample.
"""

import numpy as np

from .config import ARM_MODES, GAN_SHARE, QuestionKeys, QuestionTrainKeys, TrainKeys
from .rows import Rows

METRICS = ("accuracy", "macro_f1", "focus_recall")


def arm_config(arm: str, cnn, q: QuestionTrainKeys) -> TrainKeys:
    """The cnn keys of one arm (cnn: config.ArmCnnKeys): the official/hold-out split only, q.seeds seeds,
    classical augmentation for this arm's mode, q.epochs (0 = cnn.epochs)."""
    return TrainKeys.model_validate(
        {
            **cnn.model_dump(),
            "protocols": ["official"],
            "repeats": q.seeds,
            "classical_in": [ARM_MODES[arm]],
            "epochs": q.epochs or cnn.epochs,
        }
    )


def arm_rows(arm: str, generated: Rows | None, seed: int) -> Rows | None:
    """The generated rows an arm adds: all of them (gan_fill), a seeded half of each class's (gan_half)."""
    share = GAN_SHARE.get(arm, 1.0)
    if share >= 1.0 or generated is None or not len(generated):
        return generated
    rng = np.random.default_rng(seed)
    keep = []
    for c in np.unique(generated.labels):
        idx = np.flatnonzero(generated.labels == c)
        keep.append(rng.choice(idx, int(round(share * len(idx))), replace=False))
    return generated.take(np.sort(np.concatenate(keep)))


def _scores(cm: np.ndarray, focus: int | None) -> np.ndarray:
    """(accuracy, macro-F1, focus-class recall) of confusion matrices cm[..., true, pred]."""
    tp = np.diagonal(cm, axis1=-2, axis2=-1).astype(float)
    support, predicted = cm.sum(-1).astype(float), cm.sum(-2).astype(float)
    present = support > 0  # macro-F1 over the classes with rows in this (resampled) test set
    f1 = np.divide(2 * tp, support + predicted, out=np.zeros_like(tp), where=(support + predicted) > 0)
    macro = np.sum(f1 * present, -1) / np.maximum(present.sum(-1), 1)
    acc = tp.sum(-1) / np.maximum(cm.sum((-2, -1)), 1)
    recall = (
        tp[..., focus] / np.maximum(support[..., focus], 1)
        if focus is not None
        else np.full(acc.shape, np.nan)
    )
    return np.stack([acc, macro, recall], -1)


def confusions(labels: np.ndarray, preds: np.ndarray, n_classes: int, idx: np.ndarray) -> np.ndarray:
    """Confusion matrices (runs x resamples x true x pred) of every run (preds: runs x faces) on every
    resample of the test faces (idx: resamples x faces)."""
    y, cells = labels[idx], n_classes * n_classes
    offsets = (np.arange(len(idx)) * cells)[:, None]
    out = np.empty((len(preds), len(idx), n_classes, n_classes), np.int64)
    for r, p in enumerate(preds):
        flat = y * n_classes + p[idx] + offsets
        out[r] = np.bincount(flat.ravel(), minlength=len(idx) * cells).reshape(len(idx), n_classes, n_classes)
    return out


def compare(labels: np.ndarray, preds: dict, classes: list, q: QuestionKeys) -> dict:
    """Per arm: mean ± std over seeds of each metric; per non-baseline arm: the change against the baseline
    (mean over seeds, paired by seed) with its paired bootstrap interval. preds[arm]: seeds x faces."""
    k = len(classes)
    focus = classes.index(q.focus_class) if q.focus_class in classes else None
    n = len(labels)
    seeds = min(len(p) for p in preds.values())
    rng = np.random.default_rng(0)
    boot = rng.integers(0, n, size=(q.bootstrap, n))
    whole = np.arange(n)[None]
    point = {
        a: _scores(confusions(labels, np.asarray(p)[:seeds], k, whole)[:, 0], focus) for a, p in preds.items()
    }
    lo_q, hi_q = (1 - q.confidence) / 2, 1 - (1 - q.confidence) / 2
    resampled = {
        a: _scores(confusions(labels, np.asarray(p)[:seeds], k, boot), focus)  # seeds x B x 3
        for a, p in preds.items()
    }
    out = {
        "n_test": int(n),
        "seeds": int(seeds),
        "baseline": q.baseline,
        "bootstrap": q.bootstrap,
        "confidence": q.confidence,
        "focus_class": q.focus_class if focus is not None else None,
        "arms": {},
    }
    names = METRICS if focus is not None else METRICS[:2]  # no focus class in this dataset: no recall column
    for arm, s in point.items():
        entry = {
            m: {
                "mean": float(np.mean(s[:, i])),
                "std": float(np.std(s[:, i], ddof=1)) if seeds > 1 else 0.0,
                "seeds": [float(v) for v in s[:, i]],
            }
            for i, m in enumerate(names)
        }
        if arm != q.baseline and q.baseline in point:
            diff = (resampled[arm] - resampled[q.baseline]).mean(0)  # B x 3: mean over seeds, paired
            delta = (s - point[q.baseline]).mean(0)
            entry["change"] = {
                m: {
                    "delta": float(delta[i]),
                    "interval": [
                        float(np.nanquantile(diff[:, i], lo_q)),
                        float(np.nanquantile(diff[:, i], hi_q)),
                    ],
                }
                for i, m in enumerate(names)
            }
        out["arms"][arm] = entry
    return out


def verdict(change: dict) -> str:
    """One plain sentence on a change and its interval."""
    lo, hi = change["interval"]
    if lo > 0:
        return "better (interval above 0)"
    if hi < 0:
        return "worse (interval below 0)"
    return "no detectable change (interval contains 0)"


ARM_TITLES = {
    "classical": "classical augmentation",
    "smote": "classical + SMOTE",
    "gan_fill": "classical + GAN (fill to the rebalance target)",
    "gan_half": "classical + GAN (half of the fill)",
}


def reference_lines(ref: dict | None, baseline: str) -> list[str]:
    """How far the baseline arm is from the best single model (the question wants one within 3 points)."""
    if not ref:
        return []
    within = "within" if ref["gap_points"] <= 3.0 else "NOT within"
    return [
        f"- Strength: the {baseline} arm scores {100 * ref['baseline_accuracy']:.2f}% against "
        f"{100 * ref['accuracy']:.2f}% for the best single model ({ref['source']}, profile {ref['profile']}, "
        f"{ref['epochs']} epochs) on the same test faces: {ref['gap_points']:.1f} points, {within} the "
        "3 points the question asks for."
    ]


def table(results: dict, dataset: str, protocol: str, training: str) -> str:
    """reports/tables/question_<dataset>.md."""
    r = results
    focus = r["focus_class"] or "focus-class"
    lines = [
        f"# Does GAN oversampling help a strong classifier? ({dataset})",
        "",
        f"- Split: {protocol}. Test faces: {r['n_test']}; {r['seeds']} seeds per arm, arms paired by seed.",
        f"- Every arm: the cnn network with online classical augmentation; {training}.",
        f"- Change = mean over seeds of (arm - {r['baseline']}); {r['confidence']:.0%} interval: paired "
        f"bootstrap over the test faces ({r['bootstrap']} resamples, the same for every arm and seed).",
        "- Selection: epochs and the kept checkpoint are chosen on validation, never on the test split.",
        *reference_lines(r.get("reference"), r["baseline"]),
        "",
        f"| arm | accuracy | macro-F1 | {focus} recall | change in accuracy | change in macro-F1 "
        f"| change in {focus} recall | verdict (macro-F1) |",
        "|---|---|---|---|---|---|---|---|",
    ]

    def cell(e, m):
        if m not in e:
            return "n/a"
        return (
            f"{e[m]['mean']:.3f} ± {e[m]['std']:.3f}"
            if m == "macro_f1"
            else f"{100 * e[m]['mean']:.2f} ± {100 * e[m]['std']:.2f}"
        )

    def change(ch, m):
        if m not in ch:
            return "n/a"
        lo, hi = ch[m]["interval"]
        return f"{100 * ch[m]['delta']:+.2f} [{100 * lo:+.2f}, {100 * hi:+.2f}]"

    for arm, e in r["arms"].items():
        title = ARM_TITLES.get(arm, arm)
        cells = [cell(e, m) for m in METRICS]
        if "change" in e:
            ch = e["change"]
            cells += [change(ch, m) for m in METRICS]
            cells.append(verdict(ch["macro_f1"]))
        else:
            cells += ["(baseline)", "", "", ""]
        lines.append(f"| {title} | " + " | ".join(cells) + " |")
    lines += ["", "Accuracy, recall and their changes in points; macro-F1 changes in points of F1 x 100.", ""]
    return "\n".join(lines)
