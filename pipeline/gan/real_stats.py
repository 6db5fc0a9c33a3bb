"""Stage real_stats: Inception-v3 features of the real faces, computed once for every gan_metrics run.

Featurises the real training rows of --balanced (the FID/KID/precision-recall reference: the
whole training split in the real profile, `gan_metrics.real_max_images` caps it) and its held-out
rows (the real-vs-real floor), and writes them with the training split's mean and covariance to
--out (a DVC-cached output: gan_metrics reruns on new generators without recomputing them).
Features are kept under --checkpoints in pieces as they are computed, so a killed run resumes;
the pieces are removed once --out is written.
Without the optional `fid` extra (or with gan_metrics.fid off) --out says why and holds no
features; gan_metrics then reports Inception figures as null with that note.
"""

import argparse

from pipeline.core.cli import run_stage
from pipeline.gan.config import RealStatsKeys

PARAMS = {"gan_metrics": RealStatsKeys}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--balanced", required=True, help="balanced dataset (.npz)")
    parser.add_argument("--out", required=True, help="real Inception statistics (.npz)")
    parser.add_argument("--checkpoints", required=True, help="root of the resumable feature pieces")
    args = parser.parse_args(argv)

    import shutil
    import time

    import numpy as np

    from pipeline.core.checkpoint import RunCheckpoint, data_digest, fingerprint
    from pipeline.core.dataset import FaceDataset
    from pipeline.core.params import load
    from pipeline.gan.distribution_metrics import gaussian_stats
    from pipeline.gan.inception import InceptionFeatures, inception_available
    from pipeline.gan.real_faces import (
        capped_rows,
        dataset_digest,
        evaluation_split,
        resumable_features,
        save_real_stats,
    )

    cfg = load(RealStatsKeys, "gan_metrics")
    ds = FaceDataset.load(args.balanced)
    train_mask, eval_mask, eval_desc = evaluation_split(ds)
    train = capped_rows(train_mask, cfg.real_max_images, cfg.seed)
    held = capped_rows(eval_mask, cfg.real_max_images, cfg.seed + 1)
    info = {"stage": "real_stats", "dataset": ds.source, "dataset_digest": dataset_digest(ds),
            "classes": list(ds.classes), "eval_rows": eval_desc, "n_train": int(len(train)),
            "n_train_split": int(train_mask.sum()), "n_eval": int(len(held))}
    available, why = inception_available()
    if cfg.fid == "off" or not available:
        info.update(available=False, note="Inception FID/KID off (gan_metrics.fid=off)" if cfg.fid == "off"
                    else why)
        save_real_stats(args.out, info)
        print(f"real_stats: no features ({info['note']}) -> {args.out}")
        return
    t0 = time.time()
    run = RunCheckpoint(args.checkpoints, fingerprint(cfg.model_dump(mode="json"),
                                                      data_digest(ds.images[train], ds.images[held])))
    for other in (run.root.iterdir() if run.root.is_dir() else []):
        if other.is_dir() and other.name != run.fingerprint:
            shutil.rmtree(other, ignore_errors=True)  # pieces of another selection
    done = len(list(run.dir.glob("*.npy"))) if run.dir.is_dir() else 0
    extractor = InceptionFeatures(batch=cfg.fid_batch)
    print(f"real_stats: Inception features of {len(train)} real training and {len(held)} {eval_desc} faces"
          + (f" (resuming: {done} pieces done in {run.dir})" if done else ""))
    train_f = resumable_features(extractor, ds.images[train], run.dir, "train", "inception real train")
    eval_f = resumable_features(extractor, ds.images[held], run.dir, "eval", "inception real eval")
    mu, sigma = gaussian_stats(train_f)
    info.update(available=True, note=why, seconds=round(time.time() - t0, 1))
    save_real_stats(args.out, info, {
        "train_features": train_f.astype(np.float32), "train_labels": ds.labels[train].astype(np.int64),
        "eval_features": eval_f.astype(np.float32), "eval_labels": ds.labels[held].astype(np.int64),
        "train_mu": mu, "train_sigma": sigma})
    run.finish()
    print(f"real_stats: done in {info['seconds']:.0f} s -> {args.out}")


if __name__ == "__main__":
    run_stage(main)
