"""Stage `evaluate_transfer`: the trained models on held-out subjects: SSIM / PSNR of transferred vs real
target faces (Table 3 of the transfer paper), expression and identity scores, how much Ω listens to its
landmarks, what Φ does; and source x target grids.

Reads the input faces, landmarks, <models>/ (Φ, Ω, pix2pix, conditioning card), the expression judge and
the training card; writes the metrics json and the grids of the proposed model and of pix2pix.
reports/tables/transfer.md is written by stage transfer_table from this json.
"""

import argparse
import json
from pathlib import Path

from ..core.cli import run_stage
from ..core.errors import PipelineError
from ..core.outputs import write_json
from ..core.params import load
from .config import EvaluateKeys
from .pairs import TransferData

PARAMS = {"transfer": EvaluateKeys}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__)
    for flag, what in (("--input", "folder of <source>.npz faces"), ("--landmarks", "folder of landmarks"),
                       ("--models", "folder of the trained models"), ("--judge", "folder of the judge model"),
                       ("--training", "training card json"), ("--metrics", "metrics json"),
                       ("--grid-proposed", "grid png of the proposed model"),
                       ("--grid-pix2pix", "grid png of pix2pix")):
        p.add_argument(flag, type=Path, required=True, help=what)
    args = p.parse_args(argv)
    cfg = load(EvaluateKeys, "transfer")
    data = TransferData.of(args.input, args.landmarks, cfg)
    if not args.training.is_file():
        raise PipelineError(f"{args.training}: training card not found (run train_transfer first)")
    training = json.loads(args.training.read_text())

    from .grids import grid_rows, write_grid
    from .inference import Transfer
    from .judge import load_judge
    from .scoring import Scorer, fusion_stats, sensitivity
    from .warp import warp_faces

    test = data.triples("test", cfg.test_pairs, cfg.seed + 1)
    src, tgt, truth = test.T
    model = Transfer.load(args.models)
    scorer = Scorer(data, test, load_judge(args.judge))
    outputs = {"proposed": model.proposed(data, src, tgt), "pix2pix": model.baseline(data, src, tgt),
               "oracle_landmarks": model.oracle(data, tgt, truth), **scorer.references()}
    _, fused_points = model.cond.fuse(model.fusion, data, src, tgt)
    if fused_points is not None:
        outputs["warp_fused_points"] = warp_faces(data.faces[tgt], data.points[tgt], fused_points)
    results = scorer.score_all(outputs)
    results["truth_real"] = scorer.score(data.faces[truth], pixels=False)
    sources, targets = grid_rows(data, cfg.grid, cfg.seed)
    write_grid(args.grid_proposed, data, model, sources, targets, True)
    write_grid(args.grid_pix2pix, data, model, sources, targets, False)
    size = data.faces.shape[1]
    write_json(args.metrics, {
        "headline": {"dataset": data.source, "size": size,
                     **{f"{m}_{k}": results[m][k] for m in ("proposed", "pix2pix")
                        for k in ("ssim", "psnr")}},
        "dataset": data.source, "input": str(data.path), "image_size": data.data.image_size,
        "protocol": "Fan et al. 2023 Table 3: SSIM/PSNR of transferred vs real target face on "
                    f"subject-disjoint test triples, {size}px; expression = judge's label is the source "
                    "expression; identity = dlib ResNet descriptor distances to the target subject's photos",
        "test_triples": len(test), "test_subjects": data.count("test"), "train_subjects": data.count("train"),
        "results": results, "sensitivity": sensitivity(model, data, test, cfg.seed),
        "fusion": fusion_stats(model, data, test), "conditioning": model.cond.__dict__,
        "training": {k: training.get(k) for k in ("train_triples", "params")},
        "grid": {"sources": data.data.ids[sources].tolist(), "targets": data.data.ids[targets].tolist()},
    })
    for key, r in results.items():
        pix = f"SSIM {r['ssim']:.3f}  PSNR {r['psnr']:.2f} dB  " if "ssim" in r else ""
        print(f"{key:>17}: {pix}expression {r['expression']:.3f}  identity kept {r['identity']['kept']:.3f}")


if __name__ == "__main__":
    run_stage(main)
