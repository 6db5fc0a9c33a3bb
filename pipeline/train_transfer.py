"""Stage `train_transfer`: train the fusion module Φ, then the transfer U-Net Ω and the pix2pix baseline.

Reads data/cropped/<source>.npz and data/landmarks/<source>.npz; writes models/transfer/
(fusion.keras, generator.keras, pix2pix.keras, split.json) and reports/transfer/training.json.
Each phase checkpoints every epoch under models/transfer/checkpoints/<run key>/, so a killed run
resumes where it stopped (the key changes with the params and the data, so a changed run starts fresh).
"""

import argparse
import hashlib
import json
import shutil
from pathlib import Path

import keras
import numpy as np

from .core.cli import run_stage
from .core.dataset import FaceDataset
from .core.errors import PipelineError
from .core.landmarks import landmark_images
from .core.outputs import atomic_path, write_json
from .core.params import section
from .landmarks import LANDMARK_DIR, load_input, load_landmarks
from .transfer import (FusionGAN, TransferGAN, adam_pair, fusion_network, make_triples, paired_dataset,
                       patch_discriminator, split_subjects, to_unit, unet_generator)

MODEL_DIR = Path("models/transfer")
REPORT_DIR = Path("reports/transfer")
DEFAULTS = {
    "source": "auto", "input": "cropped", "size": 32, "base_filters": 8, "fusion_filters": 8, "fusion_epochs": 1, "epochs": 1,
    "train_pairs": 64, "test_pairs": 32, "test_fraction": 0.2, "batch_size": 8, "g_lr": 2e-4, "d_lr": 1e-4,
    "beta_1": 0.5, "beta_2": 0.999, "fusion_weights": [0.1, 10, 100], "transfer_weights": [1, 100],
    "flip": True, "seed": 0, "grid": 5,
}


def transfer_params() -> dict:
    params = {**DEFAULTS, **(section("transfer") or {})}
    for key in ("size", "base_filters", "fusion_filters", "fusion_epochs", "epochs", "train_pairs", "test_pairs",
                "batch_size", "grid"):
        if not isinstance(params[key], int) or params[key] < (0 if key.endswith("epochs") else 1):
            raise PipelineError(f"params.yaml: transfer.{key}={params[key]!r} must be a positive integer")
    if not 0 < float(params["test_fraction"]) < 1:
        raise PipelineError(f"params.yaml: transfer.test_fraction={params['test_fraction']!r} must be in (0, 1)")
    if len(params["fusion_weights"]) != 3 or len(params["transfer_weights"]) != 2:
        raise PipelineError("params.yaml: transfer.fusion_weights needs 3 numbers (adv, cycle, L1), "
                            "transfer.transfer_weights 2 (cGAN, L1)")
    return params


def dataset_or_own_split(data: FaceDataset, test_fraction: float, seed: int) -> dict:
    """subject -> 'train' | 'test'. When ingest held subjects out (val/test rows), those are the test
    subjects, so the generator never sees the subjects a classifier is scored on; else an own 8:2 split."""
    if np.any(data.split != "train"):
        held = set(data.subject[data.split != "train"].tolist())
        return {s: ("test" if s in held else "train") for s in sorted(set(data.subject.tolist()))}
    return split_subjects(data.subject, test_fraction, seed)


class TransferData:
    """The transfer dataset at working resolution: faces, landmark images, subject split."""

    def __init__(self, params: dict):
        self.source, self.path, self.data = load_input(params)
        if not self.data.has_subjects or not np.all(self.data.sequence != ""):
            raise PipelineError(f"{self.path}: transfer needs subject and sequence ids on every row")
        self.points = load_landmarks(LANDMARK_DIR / f"{self.source}.npz", self.data)
        size = int(params["size"])
        self.faces = to_unit(self.data.images, size)
        self.marks = landmark_images(self.points, size)[..., None]
        self.subject_split = dataset_or_own_split(self.data, float(params["test_fraction"]), int(params["seed"]))
        self.rows = {s: np.flatnonzero([self.subject_split[x] == s for x in self.data.subject]) for s in ("train", "test")}

    def triples(self, split: str, n: int, seed: int) -> np.ndarray:
        d = self.data
        return make_triples(d.labels, d.subject, d.sequence, self.rows[split], n, seed)


# Params that do not change what a training epoch does: a run killed and restarted with another
# epoch count (or evaluation setting) resumes from its last epoch instead of starting again.
NOT_IN_RUN_KEY = ("epochs", "fusion_epochs", "test_pairs", "grid", "augment_per_subject")


def run_key(params: dict, data: TransferData) -> str:
    kept = {k: v for k, v in params.items() if k not in NOT_IN_RUN_KEY}
    h = hashlib.sha256(json.dumps(kept, sort_keys=True, default=str).encode())
    h.update(data.data.ids.tobytes())
    h.update(data.points.tobytes())
    h.update(json.dumps(data.subject_split, sort_keys=True).encode())
    return h.hexdigest()[:12]


def fit_phase(name: str, model: keras.Model, arrays: tuple, params: dict, epochs: int, ckpt_dir: Path,
              callbacks=()) -> dict:
    """fit() one module with per-epoch backups; a finished phase is reloaded, not retrained."""
    done = ckpt_dir / f"{name}.e{epochs}.done.weights.h5"  # finished phase, for that epoch count
    model([a[:2] for a in (arrays[:-1] if isinstance(model, FusionGAN) else arrays[:2])])  # build before restoring
    if done.is_file():
        model.load_weights(done)
        print(f"{name}: finished earlier in this run, weights reloaded from {done}")
        return json.loads((ckpt_dir / f"{name}.e{epochs}.history.json").read_text())
    ds = paired_dataset(arrays, int(params["batch_size"]), bool(params["flip"]), int(params["seed"]))
    backup = keras.callbacks.BackupAndRestore(str(ckpt_dir / name))
    print(f"{name}: {len(arrays[0])} examples, {epochs} epoch(s)")
    history = model.fit(ds, epochs=epochs, callbacks=[backup, *callbacks], shuffle=False, verbose=2).history if epochs else {}
    history = {k: [round(float(v), 5) for v in vals] for k, vals in history.items()}
    model.save_weights(done)
    (ckpt_dir / f"{name}.e{epochs}.history.json").write_text(json.dumps(history))
    return history


def main(argv=None):
    argparse.ArgumentParser(description=__doc__).parse_args(argv)
    params = transfer_params()
    keras.utils.set_random_seed(int(params["seed"]))
    data = TransferData(params)
    size, seed = int(params["size"]), int(params["seed"])
    tr = data.triples("train", int(params["train_pairs"]), seed)
    src, tgt, truth = tr[:, 0], tr[:, 1], tr[:, 2]
    ckpt_dir = MODEL_DIR / "checkpoints" / run_key(params, data)
    ckpt_dir.mkdir(parents=True, exist_ok=True)

    fusion = FusionGAN(fusion_network(size, int(params["fusion_filters"])),
                       patch_discriminator(size, 1, int(params["fusion_filters"]), name="landmark_d"),
                       weights=params["fusion_weights"])
    fusion.compile(*adam_pair(params))
    hist_fusion = fit_phase("fusion", fusion, (data.marks[src], data.marks[tgt], data.marks[truth]),
                            params, int(params["fusion_epochs"]), ckpt_dir)
    fused = fusion.fusion.predict([data.marks[src], data.marks[tgt]], batch_size=64, verbose=0)

    histories = {"fusion": hist_fusion}
    generators = {}
    for name, condition in (("proposed", fused), ("pix2pix", data.faces[src])):
        gan = TransferGAN(unet_generator(size, 2, int(params["base_filters"]), name=f"{name}_unet"),
                          patch_discriminator(size, 2, int(params["base_filters"]), name=f"{name}_d"),
                          weights=params["transfer_weights"])
        gan.compile(*adam_pair(params))
        histories[name] = fit_phase(name, gan, (condition, data.faces[tgt], data.faces[truth]),
                                    params, int(params["epochs"]), ckpt_dir)
        generators[name] = gan.generator

    with atomic_path(MODEL_DIR / "fusion.keras") as tmp:
        fusion.fusion.save(tmp)
    with atomic_path(MODEL_DIR / "generator.keras") as tmp:
        generators["proposed"].save(tmp)
    with atomic_path(MODEL_DIR / "pix2pix.keras") as tmp:
        generators["pix2pix"].save(tmp)
    write_json(MODEL_DIR / "split.json", {"dataset": data.source, "subjects": data.subject_split})
    write_json(REPORT_DIR / "training.json", {
        "dataset": data.source, "input": str(data.path), "size": size, "train_subjects": sum(v == "train" for v in data.subject_split.values()),
        "test_subjects": sum(v == "test" for v in data.subject_split.values()), "train_triples": len(tr),
        "params": params, "history": histories,
    })
    shutil.rmtree(MODEL_DIR / "checkpoints", ignore_errors=True)
    print(f"train_transfer: {data.source} at {size}px, {len(tr)} training triples; models in {MODEL_DIR}")


if __name__ == "__main__":
    run_stage(main)
