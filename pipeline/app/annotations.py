"""fer-predict's outputs besides the CSV: annotated copies (boxes + top emotion), named so none overwrites
another, staged in a temporary folder and moved into place only when every input went through."""

import contextlib
import os
import shutil
import tempfile
from pathlib import Path

import cv2
import numpy as np

from pipeline.core.errors import PipelineError

GREEN = (0, 220, 0)


def draw(bgr: np.ndarray, faces) -> np.ndarray:
    """A copy of a BGR image with each face's box and top emotion (faces: recognizer.Face)."""
    out = bgr.copy()
    thick = max(1, int(round(min(out.shape[:2]) / 300)))
    for face in faces:
        x1, y1, x2, y2 = face.box
        p = face.probabilities[face.emotion]
        cv2.rectangle(out, (x1, y1), (x2, y2), GREEN, thick)
        cv2.putText(out, f"{face.emotion} {p:.2f}", (x1, max(12, y1 - 4)), cv2.FONT_HERSHEY_SIMPLEX,
                    0.4 * thick + 0.2, GREEN, thick)
    return out


def annotated_names(paths: list[Path], suffix: str = ".jpg") -> dict[Path, Path]:
    """Annotated copy of each input: `sub/grace.jpg` -> `sub/grace_jpg.jpg`, `grace.png` -> `grace_png.jpg`
    (videos: `clip.mp4` -> `clip_mp4.mp4` with suffix .mp4).

    The source suffix stays in the name, so same-stem inputs never share a copy; two names equal
    but for case (a clash on case-insensitive disks) get `-2`, `-3`, ... appended.
    """
    names, taken = {}, set()
    for rel in paths:
        stem = f"{rel.stem}_{rel.suffix[1:]}"
        name, k = rel.with_name(f"{stem}{suffix}"), 1
        while str(name).casefold() in taken:
            k += 1
            name = rel.with_name(f"{stem}-{k}{suffix}")
        taken.add(str(name).casefold())
        names[rel] = name
    return names


def write_jpeg(path: Path, bgr: np.ndarray) -> None:
    ok, data = cv2.imencode(".jpg", bgr)
    if not ok:
        raise PipelineError(f"{path}: could not encode the annotated image")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.tobytes())


class VideoWriter:
    """Annotated video (mp4v) written frame by frame; opened on the first frame (its size)."""

    def __init__(self, path: Path, fps: float):
        self.path, self.fps, self.writer = path, fps, None

    def write(self, bgr: np.ndarray) -> None:
        if self.writer is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            h, w = bgr.shape[:2]
            self.writer = cv2.VideoWriter(str(self.path), cv2.VideoWriter_fourcc(*"mp4v"), self.fps, (w, h))
            if not self.writer.isOpened():
                raise PipelineError(f"{self.path}: OpenCV cannot write an mp4v video here")
        self.writer.write(bgr)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.release()


@contextlib.contextmanager
def staging(annotate_dir: Path | None):
    """A temporary folder next to `annotate_dir` (None without one), removed at the end."""
    if annotate_dir is None:
        yield None
        return
    annotate_dir.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{annotate_dir.name}.", suffix=".tmp", dir=annotate_dir.parent))
    try:
        yield tmp
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def move_staged(staged: Path, annotate_dir: Path) -> None:
    """Move the staged copies into `annotate_dir`, joining whatever else it holds."""
    for src in sorted(q for q in staged.rglob("*") if q.is_file()):
        target = annotate_dir / src.relative_to(staged)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(src, target)
