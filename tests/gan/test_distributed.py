"""train_dcgan under a tf.distribute strategy: a killed run resumes through the same backup, and a run
under MirroredStrategy (one CPU replica here) ends where a run without a strategy ends.

Several replicas and several workers: tests/scale/test_multi_worker.py (worker processes)."""

import numpy as np
import pytest

from tests.gan.test_train_lib import kill_after_first_epoch


def train(images, cfg, work, **kw):
    from pipeline.gan.train_lib import train_dcgan

    return train_dcgan(images, cfg, work / "checkpoints", work / "live", "test", verbose=0, run_eagerly=True,
                       **kw)


def test_a_run_killed_under_mirrored_resumes_to_the_single_device_result(images, tiny, tmp_path):
    cfg = tiny(epochs=3)
    with pytest.raises(KeyboardInterrupt):
        train(images, cfg, tmp_path / "killed", strategy="mirrored", callbacks=[kill_after_first_epoch()])
    resumed = train(images, cfg, tmp_path / "killed", strategy="mirrored")
    reference = train(images, cfg, tmp_path / "straight")  # strategy none
    assert resumed.resumed_from == 1 and reference.resumed_from == 0
    assert resumed.gan.d_optimizer.iterations.numpy() == reference.gan.d_optimizer.iterations.numpy() == 6
    assert resumed.final == pytest.approx(reference.final, rel=1e-5)
    for a, b in zip(resumed.gan.generator.weights + resumed.gan.discriminator.weights,
                    reference.gan.generator.weights + reference.gan.discriminator.weights):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-5, atol=1e-6)
