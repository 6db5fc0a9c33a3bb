"""Stage `crop`: find the face in every canonical image and cut it out as a square crop.size image.

The face path (detector chain, padding, margin, passthrough of tight crops) is pipeline.data.faces,
shared with fer-predict. An image no detector finds a face in and that cannot pass through is
rejected (dropped and counted). Every outcome is counted per class in REPORT_DIR/outcomes.json.

    python -m pipeline.data.crop CANONICAL_DIR CROPPED_DIR REPORT_DIR
"""

import argparse
import time
from pathlib import Path

from pipeline.core.cli import run_stage
from pipeline.core.dataset import FaceDataset
from pipeline.core.errors import PipelineError
from pipeline.core.outputs import stage_outputs, write_json
from pipeline.core.params import load
from pipeline.data.config import CropKeys
from pipeline.data.faces import FaceCropper, outcome_report

PARAMS = {"crop": CropKeys}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("canonical_dir", type=Path, help="the ingest stage's <source>.npz")
    parser.add_argument("cropped_dir", type=Path, help="where the cropped <source>.npz are written")
    parser.add_argument("report_dir", type=Path, help="where outcomes.json is written")
    args = parser.parse_args(argv)
    cropper = FaceCropper(load(CropKeys, "crop"))
    inputs = sorted(args.canonical_dir.glob("*.npz"))
    if not inputs:
        raise PipelineError(f"{args.canonical_dir}: no canonical datasets (run the ingest stage first)")
    results, report = {}, {"size": cropper.size, "detectors": cropper.detectors,
                           "passthrough": cropper.passthrough, "datasets": {}}
    for path in inputs:
        ds = FaceDataset.load(path)
        if not len(ds):
            raise PipelineError(f"{path}: dataset has no rows")
        t0 = time.perf_counter()
        results[ds.source], outcome = cropper.crop_dataset(ds, str(path))
        report["datasets"][ds.source] = outcome_report(ds, outcome, time.perf_counter() - t0)
        totals = report["datasets"][ds.source]["totals"]
        print(f"crop: {ds.source}: {totals} ({time.perf_counter() - t0:.1f}s)", flush=True)
    with stage_outputs(args.cropped_dir, args.report_dir) as (cropped_dir, report_dir):
        for source, ds in results.items():
            ds.save(cropped_dir / f"{source}.npz")
        write_json(report_dir / "outcomes.json", report)


if __name__ == "__main__":
    run_stage(main)
