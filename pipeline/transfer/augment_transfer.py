"""Stage `augment_transfer` (beyond the paper): new identity x expression combinations for training.

For every training subject of the transfer split, the trained model puts on their face up to
`transfer.augment_per_subject` expressions that subject never shows, each taken from another training
subject. Writes --out (canonical format, synthetic=True, split='train', ids '<target id>|<source id>'
prefixed 'transfer/', subject = the target identity, extra source_subject / source_id) and the report
json. Held-out transfer test subjects are never used. A classifier that evaluates on subject folds must
drop rows whose `subject` or `extra['source_subject']` is in its test fold (and the generator itself saw
every transfer-training subject).
"""

import argparse
from pathlib import Path

import numpy as np

from ..core.cli import run_stage
from ..core.outputs import write_json
from ..core.params import load
from .augment import plan_augmentation, transferred_dataset
from .config import AugmentKeys
from .pairs import TransferData

PARAMS = {"transfer": AugmentKeys}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--input", type=Path, required=True, help="folder of <source>.npz faces")
    p.add_argument("--landmarks", type=Path, required=True, help="folder of <source>.npz landmarks")
    p.add_argument("--models", type=Path, required=True, help="folder of the trained models")
    p.add_argument("--out", type=Path, required=True, help="dataset npz of transferred faces")
    p.add_argument("--report", type=Path, required=True, help="report json")
    args = p.parse_args(argv)
    cfg = load(AugmentKeys, "transfer")
    data = TransferData.of(args.input, args.landmarks, cfg)
    d = data.data
    plan = plan_augmentation(d.labels, d.subject, data.rows["train"], cfg.augment_per_subject, cfg.seed)
    tgt = np.array([t for t, _ in plan], np.int64)
    src = np.array([s for _, s in plan], np.int64)
    outputs = None
    if plan:
        from .inference import Transfer

        outputs = Transfer.load(args.models, with_pix2pix=False).proposed(data, src, tgt)
    synthetic = transferred_dataset(d, plan, outputs)
    synthetic.save(args.out)
    n_subjects = len(set(d.subject[tgt].tolist()))
    write_json(args.report, {
        "dataset": d.source, "protocol": "transfer generator: each training subject x up to "
        f"{cfg.augment_per_subject} expressions it lacks (donor: another training subject)",
        "rows": len(plan), "subjects": n_subjects, "counts": synthetic.class_counts(),
    })
    print(f"augment_transfer: {len(plan)} transferred faces for {n_subjects} subjects -> {args.out}")


if __name__ == "__main__":
    run_stage(main)
