"""Resume: a train_transfer killed in the middle of a phase resumes through RunCheckpoint, repeats no epoch
and ends with the models an uninterrupted run gives."""

import numpy as np
import pytest

from .conftest import fake_landmarks, train_args, write_params


def epochs_log():
    import keras

    class EpochsLog(keras.callbacks.Callback):
        """(phase, epoch) of every epoch that ran; kills the proposed phase after epoch `kill_after`."""

        def __init__(self, kill_after=None):
            super().__init__()
            self.kill_after, self.ran = kill_after, []

        def on_epoch_end(self, epoch, logs=None):
            phase = self.model.generator.name.split("_")[0] if hasattr(self.model, "generator") else "fusion"
            self.ran.append((phase, epoch))
            if phase == "proposed" and epoch == self.kill_after:
                raise KeyboardInterrupt

    return EpochsLog


def weights(base, name):
    import keras

    return keras.models.load_model(base / "models/transfer" / name, compile=False).get_weights()


def test_killed_run_resumes_where_it_stopped_and_matches_an_uninterrupted_run(tmp_path, demo_dataset):
    from pipeline.transfer import train_transfer

    EpochsLog = epochs_log()
    # flip off: the joint flips are drawn by a stateful random op in a parallel map, whose order (and so
    # the result) differs from run to run unless TF op determinism is on; the shuffle order is replayed
    write_params(tmp_path / "params.yaml", fusion_epochs=2, epochs=3, flip=False)
    demo_dataset.save("data/cropped/demo.npz")
    fake_landmarks(demo_dataset, tmp_path / "data/landmarks")
    straight, killed = tmp_path / "straight", tmp_path / "killed"
    for run in (straight, killed):
        (run / "data").mkdir(parents=True)
        (run / "data/cropped").symlink_to(tmp_path / "data/cropped")
        (run / "data/landmarks").symlink_to(tmp_path / "data/landmarks")

    train_transfer.main(train_args(straight))
    first = EpochsLog(kill_after=1)
    with pytest.raises(KeyboardInterrupt):
        train_transfer.main(train_args(killed), callbacks=[first])
    assert first.ran == [("fusion", 0), ("fusion", 1), ("proposed", 0), ("proposed", 1)]
    assert (killed / "checkpoints/transfer/proposed").is_dir() and not (killed / "models/transfer").exists()

    second = EpochsLog()
    train_transfer.main(train_args(killed), callbacks=[second])
    # the finished fusion phase is restored, the proposed one resumes at epoch 3, pix2pix runs in full
    assert second.ran == [("proposed", 2), ("pix2pix", 0), ("pix2pix", 1), ("pix2pix", 2)]
    assert not (killed / "checkpoints/transfer").exists()
    for name in ("fusion.keras", "generator.keras", "pix2pix.keras"):
        for a, b in zip(weights(killed, name), weights(straight, name)):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    logged = {}
    for run in (straight, killed):  # each epoch logged once, numbered by epoch
        lines = (run / "reports/transfer/live/proposed/plots/metrics/train/l1.tsv").read_text().splitlines()
        assert [line.split("\t")[0] for line in lines] == ["step", "0", "1", "2"]
        logged[run] = [float(line.split("\t")[1]) for line in lines[1:]]
    np.testing.assert_allclose(logged[killed], logged[straight], rtol=1e-5)


def test_joint_flip_mirrors_points_and_negates_the_dx_channel():
    import tensorflow as tf

    from pipeline.transfer.encodings import mirror_points
    from pipeline.transfer.train_lib import _flip

    from .conftest import mean_face_points

    pts = mean_face_points() + np.float32([0.03, 0])
    np.testing.assert_allclose(_flip("points", tf.constant(pts)).numpy(), mirror_points(pts), atol=1e-6)
    img = np.random.default_rng(0).uniform(-1, 1, (4, 4, 3)).astype(np.float32)
    out = _flip(1, tf.constant(img)).numpy()
    np.testing.assert_allclose(out[..., 0], img[:, ::-1, 0])
    np.testing.assert_allclose(out[..., 1], -img[:, ::-1, 1])
