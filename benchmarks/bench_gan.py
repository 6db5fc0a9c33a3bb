"""Train-step throughput of the pipeline's GAN variants against the keras-io reference train_step.

Run by hand (not in CI):  python benchmarks/bench_gan.py [--batch 16] [--steps 20] [--rounds 3]

Same architecture (paper 000's G and D from pipeline.gan.networks, params.yaml's `gan` section)
for every contender, same
process, rounds interleaved (A B C A B C ...) so a CPU shared with other jobs hits each alike:
- reference: the keras-io `dcgan_overriding_train_step` algorithm (new latent batch for the G
  step, so two generator forwards per step; label noise; Keras defaults, no XLA on CPU);
  BatchNorm layers run in training mode, as the architecture needs.
- ours: `pipeline.gan.networks.DCGAN` (one generator forward per step) in float32 (the paper's
  reference variant), then each `gan.*` option alone (DiffAugment translation+cutout, EMA,
  spectral norm, R1, hinge), the class-conditional GAN (projection D, 7 classes), mixed_bfloat16,
  and with XLA (jit_compile, --jit) for the record.
Figures: images per process-CPU-second (robust to a CPU shared with other jobs) and its ratio to
the reference in the same run; DiffAugment's overhead = 1 - (paper + DiffAugment) / paper.
Then peak memory (max RSS) of one class's training in a child process.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from pipeline.core.params import load  # noqa: E402
from pipeline.gan.conditional import make_cgan  # noqa: E402
from pipeline.gan.config import CGANKeys, GANKeys, GANOptions  # noqa: E402
from pipeline.gan.networks import build_discriminator, build_generator, make_dcgan  # noqa: E402

REPO = os.path.join(os.path.dirname(__file__), "..")


REFERENCE = GANOptions().model_dump(exclude={"conditional"})  # the DCGAN paper's options: all off


def paper_config(**changes) -> GANKeys:
    """params.yaml's `gan` section (paper 000's architecture) at the paper's options, with `changes`."""
    cfg = load(GANKeys, "gan", os.path.join(REPO, "params.yaml"))
    return cfg.model_copy(update={**REFERENCE, "precision": "float32", **changes})


class ReferenceGAN(keras.Model):
    """The keras-io reference algorithm, re-stated: D on concat(fake, real) with noisy labels,
    then G through D on a *new* latent batch."""

    def __init__(self, discriminator, generator, latent_dim):
        super().__init__()
        self.discriminator, self.generator, self.latent_dim = discriminator, generator, latent_dim

    def compile(self, d_optimizer, g_optimizer, loss_fn):
        super().compile()
        self.d_optimizer, self.g_optimizer, self.loss_fn = d_optimizer, g_optimizer, loss_fn

    def train_step(self, real_images):
        batch = tf.shape(real_images)[0]
        z = tf.random.normal((batch, self.latent_dim))
        generated = self.generator(z, training=True)
        combined = tf.concat([generated, real_images], axis=0)
        labels = tf.concat([tf.ones((batch, 1)), tf.zeros((batch, 1))], axis=0)
        labels += 0.05 * tf.random.uniform(tf.shape(labels))
        with tf.GradientTape() as tape:
            d_loss = self.loss_fn(labels, self.discriminator(combined, training=True))
        grads = tape.gradient(d_loss, self.discriminator.trainable_weights)
        self.d_optimizer.apply_gradients(zip(grads, self.discriminator.trainable_weights))
        z = tf.random.normal((batch, self.latent_dim))
        with tf.GradientTape() as tape:
            pred = self.discriminator(self.generator(z, training=True), training=True)
            g_loss = self.loss_fn(tf.zeros((batch, 1)), pred)
        grads = tape.gradient(g_loss, self.generator.trainable_weights)
        self.g_optimizer.apply_gradients(zip(grads, self.generator.trainable_weights))
        return {"d_loss": d_loss, "g_loss": g_loss}


def reference(cfg):
    gan = ReferenceGAN(build_discriminator(cfg), build_generator(cfg), cfg.latent_dim)
    gan.compile(keras.optimizers.Adam(2e-4, beta_1=0.5), keras.optimizers.Adam(2e-4, beta_1=0.5),
                keras.losses.BinaryCrossentropy())
    return gan


def conditional(classes: int = 7, **changes):
    """The class-conditional GAN (train_cgan) over FER-2013's 7 classes, the paper's options + changes."""
    cfg = load(CGANKeys, "gan", os.path.join(REPO, "params.yaml"))
    cfg = cfg.model_copy(update={**REFERENCE, "precision": "float32", **changes})
    return make_cgan(cfg, classes, list(range(classes)))


def images_per_second(gan, data, steps):
    """(wall images/s, images per process-CPU-second): the second is robust to a shared CPU."""
    t, c = time.perf_counter(), time.process_time()
    gan.fit(data, epochs=1, steps_per_epoch=steps, verbose=0)
    spec = data.element_spec[0] if isinstance(data.element_spec, tuple) else data.element_spec
    n = steps * int(spec.shape[0])
    return n / (time.perf_counter() - t), n / (time.process_time() - c)


def peak_memory(batch: int, n_images: int, epochs: int) -> dict:
    """Max RSS of a child process training one class (paper architecture) on random images."""
    code = f"""
import os, sys, numpy as np
os.environ['TF_CPP_MIN_LOG_LEVEL'] = '2'
sys.path.insert(0, {os.path.join(os.path.dirname(__file__), '..')!r})
from pipeline.core.params import load
from pipeline.gan.config import GANKeys
from pipeline.gan.train_lib import train_dcgan
import tempfile
cfg = load(GANKeys, 'gan', {os.path.join(os.path.dirname(__file__), '..', 'params.yaml')!r})
cfg = cfg.model_copy(update=dict(epochs={epochs}, batch_size={batch}, max_images=0))
x = np.random.default_rng(0).integers(0, 256, ({n_images}, 48, 48), dtype=np.uint8)
with tempfile.TemporaryDirectory() as d:
    train_dcgan(x, cfg, d + '/checkpoints', d + '/live', 'bench', verbose=0)
"""
    t = time.time()
    subprocess.run([sys.executable, "-c", code], check=True)
    rss_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {"max_rss_mib": round(rss_kb / 1024, 1), "images": n_images, "epochs": epochs, "batch": batch,
            "seconds": round(time.time() - t, 1)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--jit", action="store_true", help="also time XLA (slow to compile on CPU)")
    ap.add_argument("--bf16", action="store_true", help="also time mixed_bfloat16")
    ap.add_argument("--memory-images", type=int, default=2000, help="0 = skip the memory run")
    args = ap.parse_args()

    x = np.random.default_rng(0).uniform(-1, 1, (args.batch * args.steps, 48, 48, 1)).astype(np.float32)
    y = (np.arange(len(x)) % 7).astype(np.int32)
    data = tf.data.Dataset.from_tensor_slices(x).batch(args.batch, drop_remainder=True).repeat().prefetch(2)
    labelled = (tf.data.Dataset.from_tensor_slices((x, y)).batch(args.batch, drop_remainder=True)
                .repeat().prefetch(2))
    contenders = {
        "reference (keras-io train_step, float32)": reference(paper_config()),
        "ours float32 (paper variant)": make_dcgan(paper_config()),
        "+ DiffAugment translation,cutout": make_dcgan(paper_config(diffaugment=("translation", "cutout"))),
        "+ EMA 0.999": make_dcgan(paper_config(ema=0.999)),
        "+ spectral norm": make_dcgan(paper_config(d_reg="spectral")),
        "+ R1 (gamma 10)": make_dcgan(paper_config(d_reg="r1")),
        "+ hinge loss": make_dcgan(paper_config(loss="hinge")),
        "conditional (7 classes, projection D)": conditional(),
        "conditional + EMA 0.999 (the cpu profile's GAN)": conditional(ema=0.999),
    }
    if args.bf16:
        contenders["ours mixed_bfloat16"] = make_dcgan(paper_config(precision="mixed_bfloat16"))
    if args.jit:
        contenders["ours float32 + XLA"] = make_dcgan(paper_config(jit_compile=True))
    feeds = {k: labelled if k.startswith("conditional") else data for k in contenders}
    for name, gan in contenders.items():  # warm-up: tracing and first-call costs
        images_per_second(gan, feeds[name], 2)
    results = {k: [] for k in contenders}
    cpu = {k: [] for k in contenders}
    for r in range(args.rounds):
        for name, gan in contenders.items():
            wall, per_cpu_s = images_per_second(gan, feeds[name], args.steps)
            results[name].append(wall)
            cpu[name].append(per_cpu_s)
        print(f"round {r + 1}: " + ", ".join(f"{k}: {results[k][-1]:.1f} img/s ({cpu[k][-1]:.1f} img/CPU-s)"
                                             for k in contenders), flush=True)
    ref_name = "reference (keras-io train_step, float32)"
    ref, ref_cpu = np.median(results[ref_name]), np.median(cpu[ref_name])
    summary = {k: {"median_img_s": round(float(np.median(v)), 1), "runs": [round(x, 1) for x in v],
                   "ratio_vs_reference": round(float(np.median(v) / ref), 2),
                   "median_img_per_cpu_s": round(float(np.median(cpu[k])), 2),
                   "cpu_ratio_vs_reference": round(float(np.median(cpu[k]) / ref_cpu), 2)}
               for k, v in results.items()}
    paper = summary["ours float32 (paper variant)"]["median_img_per_cpu_s"]
    augmented = summary["+ DiffAugment translation,cutout"]["median_img_per_cpu_s"]
    out = {"batch": args.batch, "steps_per_run": args.steps, "rounds": args.rounds,
           "cpu_cores": os.cpu_count(), "load_average_at_end": os.getloadavg(), "throughput": summary,
           "diffaugment_overhead_cpu": round(1 - augmented / paper, 3)}
    if args.memory_images:
        out["peak_memory_one_class"] = peak_memory(args.batch, args.memory_images, 1)
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
