"""Stage `augment_transfer` (beyond the paper): new identity x expression combinations for training.

For every training subject of the transfer split, the trained model puts on their face up to
`transfer.augment_per_subject` expressions that subject never shows, each taken from another training
subject. Writes data/transfer/dataset.npz (canonical format, synthetic=True, split='train', ids
'transfer/<target id>|<source id>', subject = the target identity, extra source_subject / source_id)
and reports/transfer/augment.json. Held-out transfer test subjects are never used. A classifier that
evaluates on subject folds must drop rows whose `subject` or `extra['source_subject']` is in its
test fold (and the generator itself saw every transfer-training subject).
"""

import argparse
from pathlib import Path

import cv2
import numpy as np

from .core.cli import run_stage
from .core.dataset import FaceDataset
from .core.outputs import write_json
from .evaluate_transfer import load_model, transfer
from .train_transfer import REPORT_DIR, TransferData, transfer_params

OUT = Path("data/transfer/dataset.npz")


def plan_augmentation(labels, subjects, rows, per_subject: int, seed: int) -> list[tuple[int, int]]:
    """(target row, source row) pairs: each subject gets up to `per_subject` expressions it lacks,
    each shown by a source row of another subject among `rows`."""
    labels, subjects = np.asarray(labels), np.asarray(subjects)
    rng = np.random.default_rng(seed)
    plan = []
    for subj in sorted(set(subjects[rows].tolist())):
        own = rows[subjects[rows] == subj]
        missing = sorted(set(labels[rows].tolist()) - set(labels[own].tolist()))
        for label in rng.permutation(missing)[:per_subject]:
            donors = rows[(labels[rows] == label) & (subjects[rows] != subj)]
            if len(donors):
                plan.append((int(rng.choice(own)), int(rng.choice(donors))))
    return plan


def main(argv=None):
    argparse.ArgumentParser(description=__doc__).parse_args(argv)
    params = transfer_params()
    data = TransferData(params)
    per_subject = int(params.get("augment_per_subject", 2))
    plan = plan_augmentation(data.data.labels, data.data.subject, data.rows["train"], per_subject, int(params["seed"]))
    d = data.data
    n = len(plan)
    tgt = np.array([p[0] for p in plan], np.int64)
    src = np.array([p[1] for p in plan], np.int64)
    if n:
        out = transfer(load_model("fusion.keras"), load_model("generator.keras"), data.marks[src], data.marks[tgt],
                       data.faces[tgt])
        gray = np.clip((out[..., 0] + 1) * 127.5, 0, 255).astype(np.uint8)
        size = d.image_size
        images = np.stack([cv2.resize(im, (size, size), interpolation=cv2.INTER_AREA) for im in gray])
    else:
        images = np.zeros((0, d.image_size, d.image_size), np.uint8)
    synthetic = FaceDataset(
        images=images, labels=d.labels[src], classes=d.classes, split=np.full(n, "train"),
        ids=[f"transfer/{d.ids[t]}|{d.ids[s]}" for t, s in plan], source=d.source, usage=np.full(n, "transfer"),
        subject=d.subject[tgt], sequence=np.full(n, ""), au=np.zeros((n, len(d.au_codes)), np.uint8),
        au_codes=d.au_codes, au_known=np.zeros(n, bool), synthetic=np.ones(n, bool),
        extra={"source_subject": d.subject[src], "source_id": d.ids[src], "target_id": d.ids[tgt]},
    )
    synthetic.save(OUT)
    write_json(REPORT_DIR / "augment.json", {
        "dataset": d.source, "protocol": "transfer generator: each training subject x up to "
        f"{per_subject} expressions it lacks (donor: another training subject)",
        "rows": n, "subjects": len(set(d.subject[tgt].tolist())), "counts": synthetic.class_counts(),
    })
    print(f"augment_transfer: {n} transferred faces for {len(set(d.subject[tgt].tolist()))} subjects -> {OUT}")


if __name__ == "__main__":
    run_stage(main)
