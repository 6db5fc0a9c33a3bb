"""Stage `crop`: cut the face out of every canonical image as a square crop.size image.

With --faces (as dvc.yaml runs it), each image is cut at the window the detect_faces stage found, so
the crops are the same on every machine; without it the detectors run here first (one step, for runs
by hand and tests). An image no detector finds a face in and that cannot pass through is rejected
(dropped and counted). Every outcome is counted per class in REPORT_DIR/outcomes.json.

    python -m pipeline.data.crop CANONICAL_DIR CROPPED_DIR REPORT_DIR [--faces FACES_DIR]
"""

import argparse
import time
from pathlib import Path

from pipeline.core.cli import run_stage
from pipeline.core.outputs import stage_outputs, write_json
from pipeline.core.params import load
from pipeline.data import face_windows
from pipeline.data.config import CropKeys
from pipeline.data.faces import FaceCropper, outcome_report

PARAMS = {"crop": CropKeys}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("canonical_dir", type=Path, help="the ingest stage's <source>.npz")
    parser.add_argument("cropped_dir", type=Path, help="where the cropped <source>.npz are written")
    parser.add_argument("report_dir", type=Path, help="where outcomes.json is written")
    parser.add_argument("--faces", type=Path, help="the detect_faces stage's windows (default: detect here)")
    args = parser.parse_args(argv)
    cropper = FaceCropper(load(CropKeys, "crop"))
    results, report = {}, {"size": cropper.size, "detectors": cropper.detectors,
                           "passthrough": cropper.passthrough, "datasets": {}}
    for path, ds in face_windows.canonical_datasets(args.canonical_dir):
        t0 = time.perf_counter()
        if args.faces:
            outcome, windows, seconds = face_windows.load(args.faces / f"{ds.source}.npz", ds)
        else:
            outcome, windows = cropper.windows(ds, str(path))
            seconds = time.perf_counter() - t0
        results[ds.source] = cropper.apply_windows(ds, outcome, windows, str(path))
        report["datasets"][ds.source] = outcome_report(ds, outcome, seconds)
        totals = report["datasets"][ds.source]["totals"]
        print(f"crop: {ds.source}: {totals} ({time.perf_counter() - t0:.1f}s)", flush=True)
    with stage_outputs(args.cropped_dir, args.report_dir) as (cropped_dir, report_dir):
        for source, ds in results.items():
            ds.save(cropped_dir / f"{source}.npz")
        write_json(report_dir / "outcomes.json", report)


if __name__ == "__main__":
    run_stage(main)
