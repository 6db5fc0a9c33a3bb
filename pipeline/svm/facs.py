"""FACS domain knowledge: which Action Units each basic emotion shows (SVM paper, Table VI).

Used to relabel datasets that carry emotions but no AU codes (RaFD, FER-2013) for the AU
SVMs, and to check how far such rule labels agree with real CK+ FACS codes.
"""

import numpy as np

from ..core.errors import PipelineError

# The 14 AUs the SVM paper detects (Table IV).
PAPER_AUS = (1, 2, 4, 5, 6, 7, 9, 12, 15, 17, 23, 24, 25, 27)

# Table VI of the SVM paper, after the FACS rules it cites; neutral shows no AU. The paper
# gives no rule for contempt beyond AU12 (one-sided in reality, which FACS cannot code).
EMOTION_AUS = {
    "happy": (6, 12, 25),
    "sad": (1, 4, 15, 17),
    "fear": (1, 2, 5, 15, 25),
    "surprise": (1, 2, 5, 25, 27),
    "angry": (4, 5, 7, 17, 23, 24),
    "disgust": (9, 15, 17, 25),
    "contempt": (12,),
    "neutral": (),
}


def rule_au_labels(labels: np.ndarray, classes, au_codes=PAPER_AUS) -> np.ndarray:
    """Binary (N, len(au_codes)) AU presence implied by each row's emotion under Table VI."""
    unknown = [c for c in classes if c not in EMOTION_AUS]
    if unknown:
        raise PipelineError(f"FACS rules: no AU rule for class(es) {', '.join(unknown)}")
    table = np.array([[int(au in EMOTION_AUS[c]) for au in au_codes] for c in classes], np.uint8)
    return table[np.asarray(labels, dtype=np.int64)].reshape(len(labels), len(au_codes))


def rule_agreement(real: np.ndarray, rule: np.ndarray, au_codes) -> dict:
    """Per-AU agreement, Cohen's kappa, precision and recall of rule labels against real codes."""
    from sklearn.metrics import cohen_kappa_score

    out = {}
    for j, au in enumerate(au_codes):
        r, p = real[:, j].astype(int), rule[:, j].astype(int)
        both = int(np.sum((r == 1) & (p == 1)))
        constant = len(np.unique(np.concatenate([r, p]))) < 2
        out[f"AU{au}"] = {
            "agreement": float(np.mean(r == p)),
            "kappa": 1.0 if constant else float(cohen_kappa_score(r, p)),
            "rule_precision": both / max(int(p.sum()), 1),
            "rule_recall": both / max(int(r.sum()), 1),
            "real_rate": float(r.mean()),
            "rule_rate": float(p.mean()),
        }
    return out
