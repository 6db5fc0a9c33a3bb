"""Scoring faces with a trained classifier: its test views (test-time augmentation) and loading it.

Used by evaluate_classifier and by fer-predict, so a photo is scored as the test split was.
"""

import json
from pathlib import Path

import numpy as np

from ..core.errors import PipelineError
from .inputs import centre_window, make_dataset


def eval_views(image_size: int, input_size: int, flip: bool = False,
               crops: bool = False) -> list[tuple[int, int, bool]]:
    """(dy, dx, mirrored) of each view predict_proba averages: the centre window, with `crops` also the four
    corner windows (when the face is larger than the input), each with its mirror under `flip`."""
    margin = image_size - input_size
    lo, hi = -(margin // 2), margin - margin // 2  # window offsets from the centre to either edge
    offsets = [(0, 0), (lo, lo), (lo, hi), (hi, lo), (hi, hi)] if crops and margin else [(0, 0)]
    return [(dy, dx, mirrored) for mirrored in ((False, True) if flip else (False,)) for dy, dx in offsets]


def predict_proba(model, images: np.ndarray, batch: int = 256, flip: bool = False,
                  crops: bool = False) -> np.ndarray:
    """Class probabilities (N, C) for uint8 images (N, H, W).

    Faces larger than the network input are seen through its centre window; with `crops`, the mean over
    the four corner windows and the centre one (ten-crop with `flip`). With `flip`, the mean over each
    view and its mirror (test-time augmentation: faces are near-symmetric, so the mirror is a second look)."""
    if len(images) == 0:
        return np.zeros((0, model.output_shape[-1]), np.float32)
    images = np.asarray(images, np.uint8)
    size = int(model.input_shape[1])
    if images.shape[1] < size:
        raise PipelineError(f"faces are {images.shape[1]}x{images.shape[2]}, "
                            f"the classifier takes {size}x{size}")
    views = []
    for dy, dx, mirrored in eval_views(images.shape[1], size, flip, crops):
        window = centre_window(images, size, dy, dx)
        views.append(np.ascontiguousarray(window[:, :, ::-1]) if mirrored else window)
    return np.mean([np.asarray(model.predict(make_dataset(v, None, batch), verbose=0), np.float32)
                    for v in views], axis=0)


def load_model(path: Path | str):
    """A saved Keras classifier (no optimizer needed to score)."""
    import keras

    path = Path(path)
    if not path.is_file():
        raise PipelineError(f"{path}: model not found (run dvc repro evaluate_classifier@classical)")
    try:
        return keras.models.load_model(path, compile=False)
    except Exception as exc:  # noqa: BLE001 - any loader failure is one line
        raise PipelineError(f"{path}: cannot load model ({exc})") from None


def load_classifier(model_path: Path | str):
    """The published model and its sidecar model.json (classes, image_size, tta_flip, tta_crops).

    Score with `predict_proba(model, faces, flip=info["tta_flip"], crops=info["tta_crops"])` to see
    faces as the evaluation did (models published before TTA existed: both off)."""
    model_path = Path(model_path)
    info_path = model_path.with_name("model.json")
    if model_path.is_file() and not info_path.is_file():
        raise PipelineError(f"{info_path}: missing (it names the model's classes)")
    model = load_model(model_path)
    try:
        info = json.loads(info_path.read_text())
        info = {**info, "classes": list(map(str, info["classes"])), "image_size": int(info["image_size"])}
    except (ValueError, KeyError, TypeError) as exc:
        raise PipelineError(f"{info_path}: not a model description with classes and image_size "
                            f"({type(exc).__name__}: {exc})") from None
    info.setdefault("tta_flip", False)
    info.setdefault("tta_crops", False)
    return model, info
