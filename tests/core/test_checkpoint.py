"""The one resume mechanism: a killed fit() resumes weights and every optimizer's state exactly."""

import numpy as np
import pytest

from pipeline.core.checkpoint import RunCheckpoint, data_digest, fingerprint


def test_fingerprint_changes_with_config_and_data():
    a = np.zeros(4, np.uint8)
    b = a.copy()
    b[0] = 1
    assert fingerprint({"x": 1}, data_digest(a)) == fingerprint({"x": 1}, data_digest(a.copy()))
    assert fingerprint({"x": 1}, data_digest(a)) != fingerprint({"x": 2}, data_digest(a))
    assert fingerprint({"x": 1}, data_digest(a)) != fingerprint({"x": 1}, data_digest(b))


def _two_optimizer_model():
    import keras
    import tensorflow as tf

    class TwoParts(keras.Model):
        """A GAN-shaped model: two sub-networks, each with its own Adam."""

        def __init__(self):
            super().__init__()
            self.first = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
            self.second = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
            self.built = True

        def compile(self):
            super().compile(optimizer="sgd")
            self.opt_first, self.opt_second = keras.optimizers.Adam(1e-2), keras.optimizers.Adam(1e-2)

        def build_optimizers(self):
            self.opt_first.build(self.first.trainable_variables)
            self.opt_second.build(self.second.trainable_variables)

        def train_step(self, x):
            with tf.GradientTape(persistent=True) as tape:
                loss = tf.reduce_mean(self.second(self.first(x)) ** 2)
            for opt, net in ((self.opt_first, self.first), (self.opt_second, self.second)):
                variables = net.trainable_variables
                opt.apply_gradients(zip(tape.gradient(loss, variables), variables))
            return {"loss": loss}

    keras.utils.set_random_seed(0)
    model = TwoParts()
    model.compile()
    return model


def test_killed_fit_resumes_to_the_uninterrupted_result(tmp_path):
    import keras

    x = np.random.RandomState(0).rand(64, 4).astype("float32")

    class Kill(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                raise KeyboardInterrupt

    run = RunCheckpoint(tmp_path / "ckpt", "run1")
    model = _two_optimizer_model()
    with pytest.raises(KeyboardInterrupt):
        model.fit(x, epochs=4, batch_size=16, shuffle=False, verbose=0, callbacks=[run.callback(), Kill()])
    assert run.resuming
    resumed = _two_optimizer_model()
    history = resumed.fit(x, epochs=4, batch_size=16, shuffle=False, verbose=0, callbacks=[run.callback()])
    straight = _two_optimizer_model()
    reference = straight.fit(x, epochs=4, batch_size=16, shuffle=False, verbose=0)
    assert len(history.history["loss"]) == 2                      # only epochs 3 and 4 ran again
    np.testing.assert_allclose(history.history["loss"], reference.history["loss"][2:], rtol=1e-6)
    assert int(resumed.opt_first.iterations) == int(straight.opt_first.iterations) == 16
    run.finish()
    assert not (tmp_path / "ckpt").exists()


def test_other_fingerprints_are_dropped(tmp_path):
    (tmp_path / "ckpt" / "stale").mkdir(parents=True)
    RunCheckpoint(tmp_path / "ckpt", "fresh").callback()
    assert sorted(p.name for p in (tmp_path / "ckpt").iterdir()) == ["fresh"]
