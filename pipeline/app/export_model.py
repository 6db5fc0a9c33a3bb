"""Stage `export_model`: the trained classifier becomes the package's bundled model (pipeline/app/bundled).

Usage: python -m pipeline.app.export_model --model models/cnn/fer2013/classical/model.keras
           --runs models/cnn/folds/fer2013/classical --metrics reports/cnn/fer2013/classical/metrics.json
           --cross data/cropped --out pipeline/app/bundled [--params FILE]
Writes a small copy of the published model (no optimizer, float32 compute, bundle.weights storage),
scores it again on the run's PrivateTest rows and on bundle.cross_dataset (data/cropped/<name>.npz)
through the same views, and writes model.json (what prediction needs, crop section included) and
MODEL_CARD.md beside it. A model not trained on bundle.dataset (the demo pipeline of a fresh clone),
or one whose validation (PublicTest) accuracy is below the bundled model's (bundle.replace), leaves the
committed bundle as it is.
"""

import argparse
import json
from pathlib import Path

from pipeline.core.cli import run_stage
from pipeline.core.params import load
from pipeline.data.config import CropKeys

from . import export_lib
from .config import BundleKeys

PARAMS = {"bundle": BundleKeys, "crop": CropKeys}


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m pipeline.app.export_model",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--model", type=Path, required=True, help="published model.keras (+ its model.json)")
    parser.add_argument("--runs", type=Path, required=True, help="train_classifier's folder (test rows)")
    parser.add_argument("--metrics", type=Path, required=True, help="evaluate_classifier's metrics.json")
    parser.add_argument("--cross", type=Path, required=True, help="folder of cropped datasets (data/cropped)")
    parser.add_argument("--out", type=Path, required=True, help="bundle folder to write")
    args = parser.parse_args(argv)
    keys, crop = load(BundleKeys, "bundle"), load(CropKeys, "crop")
    metrics = json.loads(args.metrics.read_text())
    reason = (export_lib.not_bundled(metrics, keys)
              or export_lib.weaker_than_bundled(args.runs, args.out, keys))
    if reason:
        args.out.mkdir(parents=True, exist_ok=True)
        print(f"export_model: {reason}: {args.out} is kept as it is")
        return None
    info = export_lib.export(args.model, args.runs, metrics, args.cross, args.out, keys, crop)
    t = info["privatetest"]
    print(f"export_model: {args.out}/model.keras {info['size_bytes'] / 1e6:.2f} MB ({info['weights']}); "
          f"PrivateTest {t['accuracy']:.4f} [{t['interval'][0]:.4f}, {t['interval'][1]:.4f}]"
          + (f"; {info['cross_dataset']['source']} {info['cross_dataset']['accuracy']:.4f}"
             if "accuracy" in info.get("cross_dataset", {}) else ""))
    return info


if __name__ == "__main__":
    run_stage(main)
