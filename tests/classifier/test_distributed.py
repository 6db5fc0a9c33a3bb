"""A classifier run under a tf.distribute strategy (MirroredStrategy, one CPU replica here) resumes through
RunCheckpoint like one without, and ends with the same best-val model.

Several replicas and several workers: tests/scale/test_multi_worker.py (worker processes)."""

from types import SimpleNamespace

import numpy as np
import pytest

from pipeline.classifier import train_lib
from pipeline.classifier.inputs import make_dataset
from pipeline.classifier.networks import build_classifier, compile_classifier
from pipeline.core.checkpoint import RunCheckpoint
from pipeline.core.distribute import make_strategy, shard

CFG = SimpleNamespace(widths=[4], convs_per_block=1, dense=4, dropout=0.0, bn_momentum=0.9, seed=0, lr=0.01,
                      epochs=3, label_smoothing=0.0)


def fit(tmp_path, name, strategy, callbacks=()):
    import keras

    rng = np.random.default_rng(0)
    x, y = rng.integers(0, 255, (48, 16, 16), dtype=np.uint8), rng.integers(0, 3, 48)

    def build():
        keras.utils.set_random_seed(0)
        with make_strategy(strategy).scope():
            return compile_classifier(build_classifier(3, 16, CFG), CFG, 3)

    run = RunCheckpoint(tmp_path / name, "fp")
    data = shard(make_dataset(x, y, 16))  # unshuffled: a resumed classifier run does not replay the order
    best, state = train_lib.fit_run(build, data, data, CFG.epochs, 10, run, tmp_path / f"live_{name}",
                                    verbose=0, callbacks=callbacks)
    return keras.models.load_model(best), state


def test_a_run_killed_under_mirrored_resumes_to_the_single_device_result(tmp_path):
    import keras

    class Kill(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 0:
                raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        fit(tmp_path, "killed", "mirrored", [Kill()])
    resumed, state = fit(tmp_path, "killed", "mirrored")
    straight, reference = fit(tmp_path, "straight", "none")
    assert state["epoch"] == reference["epoch"] == 3
    assert state["best_val_accuracy"] == pytest.approx(reference["best_val_accuracy"])
    for a, b in zip(resumed.get_weights(), straight.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    logged = (tmp_path / "live_killed/plots/metrics/train/loss.tsv").read_text().splitlines()
    reference_log = (tmp_path / "live_straight/plots/metrics/train/loss.tsv").read_text().splitlines()
    assert len(logged) == len(reference_log) == 1 + 3
    assert [float(r.split("\t")[1]) for r in logged[1:]] == pytest.approx(
        [float(r.split("\t")[1]) for r in reference_log[1:]], rel=1e-5)
