"""Tiny training jobs run by one worker process (tests/scale, benchmarks/bench_distribute.py).

    python tests/scale/jobs.py gan|classifier|both STRATEGY WORKDIR

Makes the demo data and a tiny params.yaml in WORKDIR (distribute.strategy = STRATEGY), then runs the
stage entry points in-process there (train_gan@happy, train_classifier@none on the official protocol,
or both one after the other) and writes WORKDIR/job.json: {strategy, replicas, seconds: {stage: wall
time}}. Under multi_worker, TF_CONFIG (set by the caller) says which worker this process is; with
LOGICAL_CPUS=n the CPU is split into n logical devices (so `mirrored` has n replicas without GPUs);
JOB_EPOCHS=n trains n epochs (default 3).
"""

import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import yaml  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

# tiny networks; global batches that split evenly over 2 workers and divide the training rows
# the GAN with data-efficient options on, under tf.distribute: the hinge loss (pipeline.gan.losses.reduce,
# scaled by the global batch), DiffAugment's draws (for the global batch) and G's weight average. (The
# default BCE is Keras' own loss, scaled like the classifier's; d_reg r1 is not exact: docs/scale.md.)
GAN = dict(epochs=3, batch_size=8, latent_dim=16, g_base=16, g_widths=[16, 8, 8], d_widths=[8, 8, 16, 16],
           sample_every=3, max_images=0, diffaugment=["translation", "cutout", "brightness", "contrast"],
           ema=0.9, d_reg="none", loss="hinge")
CNN = {"profile": "test", "dataset": "data/balanced/dataset.npz", "modes": ["none"],
       "protocols": ["official"], "evaluation": "auto", "folds": 3, "repeats": 1, "classical_in": [],
       "smote_k": 5, "flip": False,
       "shift": 0.0, "rotation": 0.0, "zoom": 0.0, "erasing": 0.0, "crop": 0, "label_smoothing": 0.0,
       "widths": [4], "convs_per_block": 1, "dense": 8, "dropout": 0.0, "bn_momentum": 0.9, "epochs": 3,
       "batch": 24, "lr": 0.01, "patience": 5, "seed": 0, "precision": "float32", "tta_flip": False,
       "tta_crops": False}
CLASS = "happy"


def gan_outputs(work: Path) -> dict:
    return {"models": work / f"models/gan/{CLASS}", "live": work / f"reports/gan/{CLASS}/live"}


def classifier_outputs(work: Path) -> dict:
    return {"models": work / "models/cnn/folds/none", "live": work / "reports/cnn/none/live/official"}


def prepare(strategy: str, work: Path) -> None:
    from pipeline.core.profiles import compose
    from pipeline.data.demo import make_demo_dataset

    params = compose("demo")
    params["distribute"] = {"strategy": strategy}
    epochs = int(os.environ.get("JOB_EPOCHS", 3))  # benchmarks/bench_distribute.py: more steps
    params["gan"].update(GAN, epochs=epochs, sample_every=epochs)
    params["cnn"] = {**CNN, "epochs": epochs, "patience": epochs + 1}  # every epoch runs (no early stop)
    (work / "params.yaml").write_text(yaml.safe_dump(params))
    make_demo_dataset(n_subjects=12, sequences_per_subject=3, seed=1).save(work / "data/balanced/dataset.npz")


def run(job: str) -> None:
    if job == "gan":
        from pipeline.gan import train_gan

        train_gan.main([CLASS, "--dataset", "data/balanced/dataset.npz", "--models", f"models/gan/{CLASS}",
                        "--card", f"reports/gan/{CLASS}/training.json",
                        "--samples", f"reports/gan/{CLASS}/samples.png",
                        "--live", f"reports/gan/{CLASS}/live", "--checkpoints", f"checkpoints/gan/{CLASS}"])
    elif job == "classifier":
        from pipeline.classifier import train_classifier

        train_classifier.main(["none", "--dataset", "data/balanced/dataset.npz",
                               "--models", "models/cnn/folds/none", "--live", "reports/cnn/none/live",
                               "--checkpoints", "checkpoints/cnn/none", "--verbose", "0"])


def main(argv) -> None:
    job, strategy, work = argv[0], argv[1], Path(argv[2])
    if job not in ("gan", "classifier", "both"):
        raise SystemExit(f"unknown job {job!r}")
    if os.environ.get("LOGICAL_CPUS"):  # before any other TF call
        import tensorflow as tf

        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration()] * int(os.environ["LOGICAL_CPUS"]))
    work.mkdir(parents=True, exist_ok=True)
    os.chdir(work)
    prepare(strategy, work)
    seconds = {}
    for stage in (("gan", "classifier") if job == "both" else (job,)):
        t0 = time.time()
        run(stage)
        seconds[stage] = round(time.time() - t0, 2)
    from pipeline.core.distribute import make_strategy

    replicas = make_strategy(strategy).num_replicas_in_sync
    (work / "job.json").write_text(json.dumps({"job": job, "strategy": strategy, "replicas": replicas,
                                               "seconds": seconds}))


if __name__ == "__main__":
    main(sys.argv[1:])
