"""Stage `evaluate_transfer`: SSIM / PSNR of transferred vs real target faces on held-out subjects
(Table 3 of the transfer paper beside the published figures) and a source x target grid.

Reads the input faces, landmarks, <models>/ and the training card; writes the metrics json, the grids of
the proposed model and of pix2pix, and the markdown table.
"""

import argparse
import json
from pathlib import Path

import numpy as np

from ..core.cli import run_stage
from ..core.errors import PipelineError
from ..core.outputs import write_json, write_text
from ..core.params import load
from .config import EvaluateKeys
from .pairs import TransferData

PARAMS = {"transfer": EvaluateKeys}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__)
    for flag, what in (("--input", "folder of <source>.npz faces"), ("--landmarks", "folder of landmarks"),
                       ("--models", "folder of the trained models"), ("--training", "training card json"),
                       ("--metrics", "metrics json"), ("--grid-proposed", "grid png of the proposed model"),
                       ("--grid-pix2pix", "grid png of pix2pix"), ("--table", "markdown table")):
        p.add_argument(flag, type=Path, required=True, help=what)
    args = p.parse_args(argv)
    cfg = load(EvaluateKeys, "transfer")
    data = TransferData.of(args.input, args.landmarks, cfg)
    if not args.training.is_file():
        raise PipelineError(f"{args.training}: training card not found (run train_transfer first)")
    training = json.loads(args.training.read_text())

    from .grids import grid_rows, write_grid
    from .inference import FUSION, GENERATOR, PIX2PIX, load_model, transfer
    from .paper_table import table_markdown
    from .quality import score

    test = data.triples("test", cfg.test_pairs, cfg.seed + 1)
    src, tgt, truth = test[:, 0], test[:, 1], test[:, 2]
    fusion, generator, pix2pix = (load_model(args.models, n) for n in (FUSION, GENERATOR, PIX2PIX))
    outputs = {
        "proposed": transfer(fusion, generator, data.marks[src], data.marks[tgt], data.faces[tgt]),
        "pix2pix": pix2pix.predict(np.concatenate([data.faces[tgt], data.faces[src]], -1),
                                   batch_size=64, verbose=0),
        "oracle_landmarks": generator.predict(np.concatenate([data.faces[tgt], data.marks[truth]], -1),
                                              batch_size=64, verbose=0),
        "copy_target": data.faces[tgt],
    }
    results = score(outputs, data.faces[truth])
    write_text(args.table, table_markdown(results, data, len(test), training))
    sources, targets = grid_rows(data, cfg.grid, cfg.seed)
    write_grid(args.grid_proposed, data, fusion, generator, sources, targets, True)
    write_grid(args.grid_pix2pix, data, None, pix2pix, sources, targets, False)
    size = data.faces.shape[1]
    write_json(args.metrics, {
        "headline": {"dataset": data.source, "size": size,
                     **{f"{m}_{k}": results[m][k] for m in ("proposed", "pix2pix")
                        for k in ("ssim", "psnr")}},
        "dataset": data.source, "input": str(data.path),
        "protocol": "Fan et al. 2023 Table 3: SSIM/PSNR of transferred vs real target face on "
                    f"subject-disjoint test triples, {size}px, see {args.table}",
        "test_triples": len(test), "results": results,
        "grid": {"sources": data.data.ids[sources].tolist(), "targets": data.data.ids[targets].tolist()},
    })
    for key, r in results.items():
        print(f"{key:>17}: SSIM {r['ssim']:.3f}  PSNR {r['psnr']:.2f} dB")


if __name__ == "__main__":
    run_stage(main)
