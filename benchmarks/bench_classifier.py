"""Training throughput of the CNN classifier for candidate network widths (sizing a <= 2 h FER profile).

Run by hand (not in CI), from the repository root:
    python benchmarks/bench_classifier.py [--widths 32,64,128 32,64,128,256 ...] [--precision mixed_bfloat16]
        [--crop 40]
For each width list it builds the classifier exactly as stage `train_classifier` does (two convs per
block, dense 256, online classical augmentation inside tf.data, batch 128), trains 3 epochs on
5,120 random 48x48 images and prints the third epoch's images per second and the parameter count.
FER-2013's Training split (28,005 rows after the crop audit) then takes 28,005 / (img/s) seconds per
epoch, plus a few seconds for validation and the checkpoint. On a shared CPU note the load average.
"""

import argparse
import os
import sys
import time
from types import SimpleNamespace

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from pipeline.classifier.inputs import classical_augmentation, input_size, make_dataset  # noqa: E402
from pipeline.classifier.networks import build_classifier, compile_classifier, set_precision  # noqa: E402

# the fixed part of the benchmarked profile (the rest is from the command line)
PROFILE = dict(convs_per_block=2, dense=256, dropout=0.4, bn_momentum=0.9, epochs=3, lr=2e-3,
               label_smoothing=0.0, seed=0, flip=True, shift=0.1, rotation=10.0, zoom=0.1, erasing=0.0)


def images_per_second(widths: list, precision: str, crop: int = 0, batch: int = 128,
                      steps: int = 40) -> tuple[float, int]:
    import keras

    cfg = SimpleNamespace(**PROFILE, widths=widths, batch=batch, precision=precision, crop=crop)
    set_precision(precision)
    rng = np.random.default_rng(0)
    x = rng.integers(0, 255, (batch * steps, 48, 48), dtype=np.uint8)
    size = input_size(crop, 48)
    ds = make_dataset(x, rng.integers(0, 7, len(x)), batch, shuffle=True, augment=classical_augmentation(cfg),
                      crop=size, random_crop=True)
    model = compile_classifier(build_classifier(7, size, cfg), cfg, steps)

    class EpochTimer(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            self.seconds = time.perf_counter() - self.start

    timer = EpochTimer()
    model.fit(ds, epochs=3, verbose=0, callbacks=[timer])  # epochs 1-2 warm up (tracing, oneDNN kernels)
    return len(x) / timer.seconds, model.count_params()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--widths", nargs="+",
                    default=["32,64,128", "32,64,128,256", "48,96,192,384", "64,128,256"])
    ap.add_argument("--precision", default="mixed_bfloat16")
    ap.add_argument("--crop", type=int, default=0,
                    help="random crop window side (cnn.crop); 0 = whole 48x48 face")
    args = ap.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f}")
    for text in args.widths:
        widths = [int(w) for w in text.split(",")]
        rate, n_params = images_per_second(widths, args.precision, args.crop)
        print(f"widths {widths} x2 conv, {args.precision}, input {args.crop or 48}: {rate:.0f} img/s, "
              f"{n_params / 1e6:.2f} M params, FER-2013 epoch ~{28005 / rate:.0f} s", flush=True)


if __name__ == "__main__":
    main()
