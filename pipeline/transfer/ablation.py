"""The ablation (beyond the paper): every variant of transfer.ablation.variants trained on one short
schedule and scored on the held-out triples of evaluate_transfer, beside pix2pix on the same schedule.

Each variant's result is kept as RunCheckpoint state under `<checkpoints>/<variant>/result/`, keyed by
the variant's full config, the data and the judge, so a rerun (another variant added) trains only what
changed; Φs are kept per fingerprint (`<checkpoints>/fusion/`), so variants that differ only in Ω
share one Φ.
"""

import time
from pathlib import Path

import numpy as np

from ..core.checkpoint import RunCheckpoint, data_digest, fingerprint
from .conditions import Conditioning
from .config import VariantKeys, train_keys
from .inference import Transfer
from .pairs import TransferData
from .scoring import Scorer, fusion_stats, sensitivity
from .train_lib import omega_training_condition, train_fusion, train_omega

# pix2pix reads none of the variant keys; its fingerprint uses the paper's
PAPER = VariantKeys(landmark_encoding="polyline", fusion_coord_weight=0.0, displacement=False,
                    warp_input=False, feature_matching_weight=0.0, omega_landmarks="fused")


def _cached(root: Path, key: str, compute) -> dict:
    run = RunCheckpoint(root, key)
    if "result" in run.state():
        return run.state()["result"]
    if root.is_dir():  # results of an older config of this entry
        for other in root.iterdir():
            if other.is_dir() and other.name != key:
                RunCheckpoint(root, other.name).finish()
    result = compute()
    run.save_state({"result": result})
    return result


def run_variant(name: str, cfg, data: TransferData, scorer: Scorer, checkpoints: Path, live_dir: Path,
                salt: str, callbacks=()) -> dict:
    """Train Φ + Ω of one variant (TrainKeys `cfg`) and score it; cached by config, data and judge."""
    def compute():
        start = time.time()
        tr = data.triples("train", cfg.train_pairs, cfg.seed)
        fusion, _, _ = train_fusion(data, cfg, tr, checkpoints / "fusion", Path(live_dir) / name, callbacks,
                                 shared=True)
        condition = omega_training_condition(fusion, data, cfg, tr)
        cond = Conditioning.of(cfg)
        generator, run, losses = train_omega(
            "proposed", data, cfg, condition, tr, checkpoints / name / "proposed", Path(live_dir) / name,
            upstream=(cfg.fusion_epochs,), callbacks=callbacks, dx_channel=cond.dx_channel)
        seconds = time.time() - start
        model = Transfer(fusion, generator, cond)
        src, tgt, truth = scorer.triples.T
        result = {"spec": cfg.variant().model_dump(mode="json"), "train_seconds": round(seconds, 1),
                  "final_losses": losses,
                  "proposed": scorer.score(model.proposed(data, src, tgt)),
                  "oracle_landmarks": scorer.score(model.oracle(data, tgt, truth), identity=False),
                  "sensitivity": sensitivity(model, data, scorer.triples, cfg.seed)["proposed"],
                  "fusion": fusion_stats(model, data, scorer.triples)}
        run.finish()
        return result

    key = fingerprint("ablation", cfg.model_dump(mode="json"), salt)
    return _cached(Path(checkpoints) / name / "result", key, compute)


def run_pix2pix(cfg, data: TransferData, scorer: Scorer, checkpoints: Path, live_dir: Path, salt: str,
                callbacks=()) -> dict:
    def compute():
        start = time.time()
        tr = data.triples("train", cfg.train_pairs, cfg.seed)
        generator, run, _ = train_omega("pix2pix", data, cfg, data.faces[tr[:, 0]], tr,
                                     checkpoints / "pix2pix" / "model", Path(live_dir) / "pix2pix",
                                     callbacks=callbacks, seed_offset=2)
        seconds = time.time() - start
        model = Transfer(None, None, Conditioning.of(cfg), pix2pix=generator)
        src, tgt, _ = scorer.triples.T
        out = model.baseline(data, src, tgt)
        perm = np.random.default_rng(cfg.seed).permutation(len(src))
        moved = float(np.abs(out - model.baseline(data, src[perm], tgt)).mean() / 2)
        run.finish()
        return {"train_seconds": round(seconds, 1), "pix2pix": scorer.score(out),
                "sensitivity": round(moved, 4)}

    key = fingerprint("ablation-pix2pix", cfg.model_dump(mode="json"), salt)
    return _cached(Path(checkpoints) / "pix2pix" / "result", key, compute)


def run_ablation(data: TransferData, common, schedule, scorer: Scorer, checkpoints: Path, live_dir: Path,
                 judge_digest: str, callbacks=()) -> dict:
    """{'variants': name -> result, 'pix2pix': result or None, 'schedule': ...} (ablation.json)."""
    checkpoints = Path(checkpoints)
    salt = fingerprint(judge_digest, data_digest(data.faces, data.points, scorer.triples))
    variants = {}
    for name, variant in schedule.variants.items():
        cfg = train_keys(common, schedule, variant)
        variants[name] = run_variant(name, cfg, data, scorer, checkpoints, live_dir, salt, callbacks)
        r = variants[name]
        print(f"ablation {name}: SSIM {r['proposed']['ssim']:.3f} PSNR {r['proposed']['psnr']:.2f} "
              f"(oracle {r['oracle_landmarks']['ssim']:.3f}), expression {r['proposed'].get('expression')}, "
              f"{r['train_seconds']:.0f} s")
    pix2pix = (run_pix2pix(train_keys(common, schedule, PAPER), data, scorer, checkpoints, live_dir, salt,
                           callbacks) if schedule.pix2pix else None)
    return {"schedule": schedule.model_dump(mode="json", exclude={"variants"}), "variants": variants,
            "pix2pix": pix2pix, "test_triples": len(scorer.triples)}
