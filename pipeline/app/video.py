"""Video input: every Nth frame of a file OpenCV's VideoCapture opens, with its index and time."""

from pathlib import Path

import cv2
import numpy as np


class Video:
    """An opened video: `fps`, `frames` (the container's count, 0 when unknown), `sampled(every)`."""

    def __init__(self, path: Path):
        self.path = path
        self.cap = cv2.VideoCapture(str(path))
        self.ok = bool(self.cap.isOpened())
        fps = float(self.cap.get(cv2.CAP_PROP_FPS) or 0) if self.ok else 0.0
        self.fps = fps if 0 < fps < 1000 else 25.0  # a container without a rate: assume 25
        self.frames = max(0, int(self.cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)) if self.ok else 0

    def sampled(self, every: int):
        """(frame index, time in s, BGR frame) of frames 0, every, 2 * every, ...; the frames between
        are skipped with grab() (not converted)."""
        index = 0
        while self.ok:
            if index % every:
                if not self.cap.grab():
                    return
            else:
                ok, frame = self.cap.read()
                if not ok or frame is None:
                    return
                yield index, index / self.fps, np.ascontiguousarray(frame)
            index += 1

    def close(self) -> None:
        self.cap.release()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def readable(path: Path) -> bool:
    """True when OpenCV opens the file as a video and decodes its first frame."""
    with Video(path) as v:
        return v.ok and next(v.sampled(1), None) is not None
