"""The embedded demo dataset: drawn cartoon faces, made by code, so a fresh clone runs offline.

It mimics what the real datasets carry: FER-2013 class names and usage splits, a rare class
(disgust), subjects with several sequences of 3 frames each (like CK+), and FACS AU labels that
follow the expression. It is only a smoke-test dataset: figures on it say nothing about faces.
"""

import cv2
import numpy as np

from pipeline.core.dataset import FaceDataset
from pipeline.core.emotions import FER2013_CLASSES

AU_CODES = (1, 2, 4, 5, 6, 7, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 20, 21, 23, 24, 25, 26, 27, 28)

# Which AUs each drawn expression shows (after the FACS prototypes of the SVM paper's Table VI).
EXPRESSION_AUS = {
    "angry": (4, 7, 23, 24),
    "contempt": (14,),
    "disgust": (9, 10, 17),
    "fear": (1, 2, 4, 5, 20, 25),
    "happy": (6, 12, 25),
    "neutral": (),
    "sad": (1, 4, 15, 17),
    "surprise": (1, 2, 5, 25, 27),
}

# Relative class frequencies, FER-2013-like (disgust rare).
DEFAULT_WEIGHTS = {"angry": 1.0, "disgust": 0.25, "fear": 1.0, "happy": 1.6, "sad": 1.2,
                   "surprise": 0.8, "neutral": 1.2, "contempt": 0.3}


def draw_face(expression: str, intensity: float, identity: dict, size: int, rng) -> np.ndarray:
    """Draw one grayscale face (uint8, size x size) showing `expression` at `intensity` in [0, 1]."""
    s = 4  # draw at 4x and shrink, for anti-aliasing
    n = size * s
    img = np.full((n, n), identity["background"], np.float32)
    cx, cy = n // 2, int(n * 0.52)
    face_w, face_h = int(n * identity["width"]), int(n * 0.46)
    cv2.ellipse(img, (cx, cy), (face_w, face_h), 0, 0, 360, identity["skin"], -1)
    ink = identity["ink"]
    k = intensity
    eye_dx, eye_y = int(n * identity["eye_gap"]), int(cy - n * 0.10)
    eye_open = {"surprise": 1.8, "fear": 1.6, "angry": 0.6, "disgust": 0.6, "happy": 0.7}.get(expression, 1.0)
    eye_h = max(1, int(n * 0.035 * (1 + (eye_open - 1) * k)))
    brow_y = eye_y - int(n * 0.09)
    lift = {"surprise": 0.06, "fear": 0.05, "sad": 0.02, "angry": -0.03,
            "disgust": -0.02}.get(expression, 0.0)
    tilt = {"angry": 0.05, "sad": -0.04, "fear": -0.03, "disgust": 0.02}.get(expression, 0.0)
    for side in (-1, 1):
        ex = cx + side * eye_dx
        cv2.ellipse(img, (ex, eye_y), (int(n * 0.06), eye_h), 0, 0, 360, ink, -1)
        by = brow_y - int(n * lift * k)
        inner = (ex - side * int(n * 0.07), by + int(n * tilt * k))
        outer = (ex + side * int(n * 0.08), by - int(n * tilt * k))
        cv2.line(img, inner, outer, ink, max(2, s))
    if expression == "disgust":  # nose wrinkle
        for dy in (0, int(n * 0.025)):
            cv2.line(img, (cx - int(n * 0.04), int(cy + dy)), (cx + int(n * 0.04), int(cy + dy)), ink,
                     max(1, s // 2))
    mouth_y, mouth_w = int(cy + n * 0.2), int(n * identity["mouth"])
    curve = {"happy": 0.08, "sad": -0.06, "angry": -0.02, "disgust": -0.03,
             "fear": -0.02}.get(expression, 0.0)
    opening = {"surprise": 0.09, "fear": 0.05, "happy": 0.03}.get(expression, 0.0)
    if opening * k > 0.01:
        cv2.ellipse(img, (cx, mouth_y), (int(mouth_w * (0.6 if expression == "surprise" else 1.0)),
                                          int(n * opening * k)), 0, 0, 360, ink, -1)
    xs = np.linspace(-mouth_w, mouth_w, 24)
    ys = mouth_y - curve * k * n * (xs / max(mouth_w, 1)) ** 2
    if expression == "contempt":
        ys = ys - 0.05 * k * n * np.clip(xs / max(mouth_w, 1), 0, None) ** 2
    pts = np.stack([cx + xs, ys], axis=1).astype(np.int32)
    cv2.polylines(img, [pts], False, ink, max(2, s))
    img = cv2.resize(img, (size, size), interpolation=cv2.INTER_AREA)
    img += rng.normal(0, identity["noise"], img.shape)
    return np.clip(img, 0, 255).astype(np.uint8)


def make_demo_dataset(n_subjects: int = 24, sequences_per_subject: int = 4, frames: int = 3,
                      size: int = 48, classes=FER2013_CLASSES, seed: int = 0,
                      split_fractions=(0.7, 0.15, 0.15)) -> FaceDataset:
    """Subjects x sequences x frames of drawn faces; splits are subject-independent."""
    rng = np.random.default_rng(seed)
    weights = np.array([DEFAULT_WEIGHTS.get(c, 1.0) for c in classes])
    weights /= weights.sum()
    subjects = [f"D{i:03d}" for i in range(n_subjects)]
    order = rng.permutation(n_subjects)
    n_train = int(round(split_fractions[0] * n_subjects))
    n_val = int(round(split_fractions[1] * n_subjects))
    subject_split = {}
    for rank, i in enumerate(order):
        subject_split[subjects[i]] = ("train" if rank < n_train else
                                      "val" if rank < n_train + n_val else "test")
    usage_name = {"train": "Training", "val": "PublicTest", "test": "PrivateTest"}
    rows = {k: [] for k in ("images", "labels", "ids", "split", "usage", "subject", "sequence", "au")}
    for subj in subjects:
        identity = {
            "background": rng.uniform(20, 90), "skin": rng.uniform(150, 230), "ink": rng.uniform(10, 60),
            "width": rng.uniform(0.30, 0.40), "eye_gap": rng.uniform(0.12, 0.16),
            "mouth": rng.uniform(0.09, 0.14), "noise": rng.uniform(2, 8),
        }
        for q in range(sequences_per_subject):
            label = int(rng.choice(len(classes), p=weights))
            expression = classes[label]
            seq = f"{subj}_{q + 1:03d}"
            for f in range(frames):
                intensity = 0.55 + 0.45 * (f + 1) / frames
                rows["images"].append(draw_face(expression, intensity, identity, size, rng))
                rows["labels"].append(label)
                rows["ids"].append(f"demo/{seq}_{f + 1:08d}.png")
                rows["split"].append(subject_split[subj])
                rows["usage"].append(usage_name[subject_split[subj]])
                rows["subject"].append(subj)
                rows["sequence"].append(seq)
                rows["au"].append([int(code in EXPRESSION_AUS.get(expression, ())) for code in AU_CODES])
    return FaceDataset(
        images=np.stack(rows["images"]), labels=rows["labels"], classes=tuple(classes),
        split=rows["split"], ids=rows["ids"], source="demo", usage=rows["usage"],
        subject=rows["subject"], sequence=rows["sequence"], au=np.array(rows["au"], np.uint8),
        au_codes=np.array(AU_CODES),
    )
