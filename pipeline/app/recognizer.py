"""One-call emotion recognition: `EmotionRecognizer().predict(image)` -> one `Face` per face found.

    from pipeline.app.recognizer import EmotionRecognizer
    faces = EmotionRecognizer().predict("photo.jpg")      # or a numpy array, PIL image, bytes
    faces[0].box, faces[0].score, faces[0].probabilities, faces[0].emotion
    batches = EmotionRecognizer().predict([img1, img2])   # a list in, a list of lists out

Faces are found and cut by the crop stage's code (pipeline.data.faces) with the crop params the
model was trained with (carried in its model.json), so a photo's faces look like the training crops;
each face is scored with the test-time views the model was evaluated with. Photos larger than
`detect_side` are searched for faces on a downscaled copy (the boxes are mapped back and the faces
cut from the full-size photo); same-size images are detected in one batch, as the crop stage does.
"""

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from pipeline.core.errors import PipelineError
from pipeline.data.config import CropKeys
from pipeline.data.faces import FaceCropper

from .bundle import crop_for, load_model_and_info
from .images import is_batch, to_gray

VIEWS = ("model", "flip", "centre")  # as the model was scored | centre window + mirror | centre only


@dataclass(frozen=True)
class Face:
    box: tuple[int, int, int, int]  # x1, y1, x2, y2 in the image's pixels
    score: float                     # detector confidence (Haar: 1.0; a whole tight crop: 0.0)
    probabilities: dict              # class -> probability, in the model's class order

    @property
    def emotion(self) -> str:
        return max(self.probabilities, key=self.probabilities.get)

    def to_dict(self) -> dict:
        return {"box": list(self.box), "score": self.score, "emotion": self.emotion,
                "probabilities": dict(self.probabilities)}


class _BatchCropper(FaceCropper):
    """FaceCropper whose `detect` can hand back boxes found for a whole batch, so `faces()` (the crop
    path's choice of boxes and crops) runs unchanged on each image of a batch detection."""

    given = None

    def detect(self, images, progress=None):
        return self.given if self.given is not None else super().detect(images, progress)


class EmotionRecognizer:
    """Faces and their emotion probabilities in images.

    model: a model.keras (with model.json beside it); default the model bundled in the package.
    detector: None = the crop section's detector chain (MTCNN, then Haar) | "mtcnn" | "haar".
    views: "model" = the test-time views the model was scored with (ten-crop for the bundled one) |
        "flip" = the centre window and its mirror | "centre" = the centre window only (fastest).
    detect_side: photos with a longer side above this are searched on a downscaled copy (default:
        model.json's detect_side, else 640; 0 = never).
    photo_pad: reflect border (fraction of the side) added before detection to images larger than a
        tight crop (crop.tight_max_side); default the crop section's pad. The border lets the detectors
        see a face cut by the image edge; 0 searches 2-3x fewer pixels.
    fast: the defaults become views "centre", detect_side 256 (the size ingest brings raw images to)
        and photo_pad 0: several times faster, a little less accurate (benchmarks/README.md).
    crop: crop params (pipeline.data.config.CropKeys) instead of those the model carries.
    """

    def __init__(self, model: Path | str | None = None, *, detector: str | None = None,
                 views: str | None = None, detect_side: int | None = None, photo_pad: float | None = None,
                 fast: bool = False, crop: CropKeys | None = None, batch: int = 64):
        views = views or ("centre" if fast else "model")
        if views not in VIEWS:
            raise PipelineError(f"views must be one of {', '.join(VIEWS)} (got {views!r})")
        if detector not in (None, "mtcnn", "haar"):
            raise PipelineError(f"detector must be mtcnn or haar (got {detector!r})")
        self.model, self.info = load_model_and_info(model)
        self.model_path = model
        self.classes = list(self.info["classes"])
        crop = crop_for(self.info, model, crop)
        if int(self.info["image_size"]) != crop.size:
            raise PipelineError(f"{model or 'the bundled model'}: the model takes "
                                f"{self.info['image_size']}px faces but crop.size is {crop.size} (use the "
                                f"params it was trained with: --params FILE)")
        if detector is not None:
            crop = crop.model_copy(update={"detectors": [detector]})
        self.crop = crop
        self.cropper = _BatchCropper(crop)  # tight crops: the crop section as it is
        photo_pad = (0.0 if fast else crop.pad) if photo_pad is None else float(photo_pad)
        self.photo_cropper = self.cropper if photo_pad == crop.pad else \
            _BatchCropper(crop.model_copy(update={"pad": photo_pad}))
        if detect_side is None:
            detect_side = 256 if fast else self.info.get("detect_side", 640)
        self.detect_side = int(detect_side)
        self.batch = int(batch)
        self.input_size = int(self.model.input_shape[1])
        self.view_list = self._views(views)

    def _views(self, views: str) -> list[tuple[int, int, bool]]:
        from pipeline.classifier.inference import eval_views

        flip, crops = {"model": (bool(self.info["tta_flip"]), bool(self.info["tta_crops"])),
                       "flip": (True, False), "centre": (False, False)}[views]
        return eval_views(self.crop.size, self.input_size, flip, crops)

    # ---- the one-call API
    def predict(self, images, color: str = "bgr"):
        """Faces of one image (a list of Face) or of a batch (a list of such lists).

        `color`: channel order of colour numpy arrays (OpenCV's BGR by default; "rgb" for arrays from
        PIL, imageio, matplotlib). Paths, bytes and PIL images need no hint."""
        batch = is_batch(images)
        grays = [to_gray(im, color) for im in (images if batch else [images])]
        found = self.detect(grays)
        probs = self.probabilities(np.concatenate([c for _, c in found]))
        out, start = [], 0
        for boxes, crops in found:
            out.append(self.faces_of(boxes, probs[start:start + len(crops)]))
            start += len(crops)
        return out if batch else out[0]

    def faces_of(self, boxes, probs) -> list[Face]:
        return [Face(tuple(int(round(v)) for v in box[:4]), float(box[4]),
                     {c: float(p) for c, p in zip(self.classes, row)}) for box, row in zip(boxes, probs)]

    # ---- the two halves: faces, then probabilities
    def detect(self, grays: list[np.ndarray]) -> list[tuple[list[tuple], np.ndarray]]:
        """(boxes x1, y1, x2, y2, score; crops (K, size, size)) of each grey image, in order."""
        small, scales = zip(*[self._for_detection(g) for g in grays]) if grays else ((), ())
        results = [None] * len(grays)
        groups = {}
        for i, s in enumerate(small):
            groups.setdefault(s.shape, []).append(i)
        for idx in groups.values():
            tight = max(small[idx[0]].shape) <= self.crop.tight_max_side
            cropper = self.cropper if tight else self.photo_cropper
            for start in range(0, len(idx), self.crop.mtcnn.batch_size):
                part = idx[start:start + self.crop.mtcnn.batch_size]
                outcome, boxes = FaceCropper.detect(cropper, np.stack([small[i] for i in part]))
                for j, i in enumerate(part):
                    cropper.given = (outcome[j:j + 1], [boxes[j]])
                    try:
                        found, crops = cropper.faces(small[i])
                    finally:
                        cropper.given = None
                    if scales[i] != 1.0:  # boxes back to the photo; faces cut from it at full size
                        found = [(*(np.asarray(b[:4]) / scales[i]), b[4]) for b in found]
                        crops = np.stack([cropper.cut(grays[i], b) for b in found]) if found else crops
                    results[i] = (found, crops)
        return results

    def _for_detection(self, gray: np.ndarray) -> tuple[np.ndarray, float]:
        side = max(gray.shape)
        if not self.detect_side or side <= self.detect_side:
            return gray, 1.0
        scale = self.detect_side / side
        size = (max(1, round(gray.shape[1] * scale)), max(1, round(gray.shape[0] * scale)))
        return cv2.resize(gray, size, interpolation=cv2.INTER_AREA), scale

    def probabilities(self, crops: np.ndarray) -> np.ndarray:
        """(N, C) class probabilities of (N, size, size) uint8 faces: the mean over the views, as
        pipeline.classifier.inference.predict_proba computes it (one forward pass for all views)."""
        from pipeline.classifier.inputs import centre_window

        crops = np.asarray(crops, np.uint8)
        if not len(crops):
            return np.zeros((0, len(self.classes)), np.float32)
        views = []
        for dy, dx, mirrored in self.view_list:
            window = centre_window(crops, self.input_size, dy, dx)
            views.append(window[:, :, ::-1] if mirrored else window)
        x = (np.concatenate(views).astype(np.float32) / 255.0)[..., None]
        step = max(1, self.batch) * len(views)
        out = np.concatenate([np.asarray(self.model.predict_on_batch(x[i:i + step]), np.float32)
                              for i in range(0, len(x), step)])
        return out.reshape(len(views), len(crops), -1).mean(axis=0)
