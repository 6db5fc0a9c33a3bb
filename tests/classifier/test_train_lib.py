"""A killed classifier run resumes through RunCheckpoint: epochs not repeated, same result, best-val kept."""

from types import SimpleNamespace

import numpy as np
import pytest

from pipeline.classifier import train_lib
from pipeline.classifier.inputs import make_dataset
from pipeline.classifier.networks import build_classifier, compile_classifier
from pipeline.core.checkpoint import RunCheckpoint

# no dropout and unshuffled batches: the only randomness a backup does not hold (SeedGenerator states,
# tf.data's reshuffle position), so a resumed run can equal the uninterrupted one exactly
CFG = SimpleNamespace(widths=[4], convs_per_block=1, dense=4, dropout=0.0, bn_momentum=0.9, seed=0, lr=0.01,
                      epochs=4, label_smoothing=0.0)


def fit(tmp_path, name, callbacks=()):
    import keras

    rng = np.random.default_rng(0)
    x, y = rng.integers(0, 255, (48, 16, 16), dtype=np.uint8), rng.integers(0, 3, 48)

    def build():
        keras.utils.set_random_seed(0)
        return compile_classifier(build_classifier(3, 16, CFG), CFG, 3)

    run = RunCheckpoint(tmp_path / name, "fp")
    data = make_dataset(x, y, 16)
    best, state = train_lib.fit_run(build, data, data, CFG.epochs, 10, run, tmp_path / f"live_{name}",
                                    verbose=0, callbacks=callbacks)
    return run, keras.models.load_model(best), state


def test_killed_run_resumes_to_the_uninterrupted_result(tmp_path, capsys):
    import keras

    class Kill(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                raise KeyboardInterrupt  # after the backup of epoch 2 was written

    with pytest.raises(KeyboardInterrupt):
        fit(tmp_path, "killed", [Kill()])
    assert RunCheckpoint(tmp_path / "killed", "fp").resuming
    assert RunCheckpoint(tmp_path / "killed", "fp").state()["epoch"] == 2

    class Count(keras.callbacks.Callback):
        epochs = []

        def on_epoch_begin(self, epoch, logs=None):
            self.epochs.append(epoch)

    run, resumed, state = fit(tmp_path, "killed", [Count()])
    assert "resuming" in capsys.readouterr().out
    assert Count.epochs == [2, 3]  # epochs 3 and 4 only: nothing repeated
    _, straight, reference = fit(tmp_path, "straight")
    assert state == reference and state["done"] and state["epoch"] == 4
    for a, b in zip(resumed.get_weights(), straight.get_weights()):  # the best-val model, both ways
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    logged = (tmp_path / "live_killed/plots/metrics/train/loss.tsv").read_text().splitlines()
    assert logged == (tmp_path / "live_straight/plots/metrics/train/loss.tsv").read_text().splitlines()
    assert len(logged) == 1 + 4  # header + one row per epoch, appended after the resume
    # a finished run is not trained again; finish() drops its backup
    Count.epochs.clear()
    fit(tmp_path, "killed", [Count()])
    assert Count.epochs == []
    run.finish()
    assert not (tmp_path / "killed").exists()
