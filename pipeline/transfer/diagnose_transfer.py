"""Stage `diagnose_transfer`: why the landmark conditioning carries no signal, measured on the data alone
(landmark images per encoding, how far points move, drawing alignment, what the pairing allows).

Reads the input faces and landmarks; writes the diagnosis json (the table stage prints it).
"""

import argparse
from pathlib import Path

from ..core.cli import run_stage
from ..core.outputs import write_json
from ..core.params import load
from .config import DiagnoseKeys
from .pairs import TransferData

PARAMS = {"transfer": DiagnoseKeys}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--input", type=Path, required=True, help="folder of <source>.npz faces")
    p.add_argument("--landmarks", type=Path, required=True, help="folder of <source>.npz landmarks")
    p.add_argument("--diagnosis", type=Path, required=True, help="diagnosis json")
    args = p.parse_args(argv)
    cfg = load(DiagnoseKeys, "transfer")
    data = TransferData.of(args.input, args.landmarks, cfg)

    from .diagnostics import diagnose

    test = data.triples("test", cfg.test_pairs, cfg.seed + 1)
    result = diagnose(data, test, cfg.heatmap_sigma)
    write_json(args.diagnosis, {"dataset": data.source, **result})
    posed = result["posed"]
    print(f"diagnose_transfer: copy target SSIM {posed['copy_target']['ssim']:.3f}, target warped to the "
          f"true points {posed['warp_true_points']['ssim']:.3f}, other frame of the truth's sequence "
          f"{posed['other_frame_of_truth_sequence']['ssim']:.3f}")


if __name__ == "__main__":
    run_stage(main)
