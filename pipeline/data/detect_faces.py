"""Stage `detect_faces`: find the face in every canonical image; write where crop is to cut it.

The detector chain, padding, margin and passthrough are pipeline.data.faces (shared with fer-predict).
The result per image is an outcome (mtcnn, haar, passthrough, rejected) and a square window (left,
top, side) in FACES_DIR/<source>.npz, a small file tracked in git (pipeline.data.face_windows says
why). A source in which no detector finds any face fails the stage.

    python -m pipeline.data.detect_faces CANONICAL_DIR FACES_DIR
"""

import argparse
import time
from pathlib import Path

from pipeline.core.cli import run_stage
from pipeline.core.outputs import stage_outputs
from pipeline.core.params import load
from pipeline.data import face_windows
from pipeline.data.config import CropKeys
from pipeline.data.faces import OUTCOMES, FaceCropper

PARAMS = {"crop": CropKeys}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("canonical_dir", type=Path, help="the ingest stage's <source>.npz")
    parser.add_argument("faces_dir", type=Path, help="where the face windows <source>.npz are written")
    args = parser.parse_args(argv)
    cropper = FaceCropper(load(CropKeys, "crop"))
    found = {}
    for path, ds in face_windows.canonical_datasets(args.canonical_dir):
        t0 = time.perf_counter()
        outcome, windows = cropper.windows(ds, str(path))
        seconds = time.perf_counter() - t0
        found[ds.source] = ds, outcome, windows, seconds
        counts = {o: int((outcome == o).sum()) for o in OUTCOMES}
        print(f"detect_faces: {ds.source}: {counts} ({seconds:.1f}s)", flush=True)
    with stage_outputs(args.faces_dir) as (faces_dir,):
        for source, (ds, outcome, windows, seconds) in found.items():
            face_windows.save(faces_dir / f"{source}.npz", ds, outcome, windows, seconds)


if __name__ == "__main__":
    run_stage(main)
