"""Resumable DCGAN training: a killed run resumes to the uninterrupted result; divergence keeps
the last good backup; per-epoch losses and sample grids go to dvclive."""

import json
import shutil

import numpy as np
import pytest


def kill_after_first_epoch():
    import keras

    class Kill(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 0:
                raise KeyboardInterrupt

    return Kill()


def logged(live, name):
    """(step, value) rows of one dvclive metric."""
    lines = (live / "plots" / "metrics" / "train" / f"{name}.tsv").read_text().splitlines()[1:]
    return [(int(step), float(v)) for step, v in (line.split("\t") for line in lines)]


def train(images, cfg, work, **kw):
    from pipeline.gan.train_lib import train_dcgan

    return train_dcgan(images, cfg, work / "checkpoints", work / "live", "test", verbose=0, run_eagerly=True,
                       **kw)


@pytest.fixture(scope="module")
def killed(images, tiny, tmp_path_factory):
    """A 3-epoch run killed after its first epoch (its work folder)."""
    work = tmp_path_factory.mktemp("killed")
    with pytest.raises(KeyboardInterrupt):
        train(images, tiny(epochs=3), work, callbacks=[kill_after_first_epoch()])
    return work


@pytest.fixture(scope="module")
def straight(images, tiny, tmp_path_factory):
    work = tmp_path_factory.mktemp("straight")
    return train(images, tiny(epochs=3), work), work


def copy_of(work, tmp_path):
    shutil.copytree(work, tmp_path / "work")
    return tmp_path / "work"


def test_killed_run_resumes_to_the_uninterrupted_result(killed, straight, images, tiny, tmp_path):
    work = copy_of(killed, tmp_path)
    resumed = train(images, tiny(epochs=3), work)
    reference, ref_work = straight
    assert resumed.resumed_from == 1 and reference.resumed_from == 0
    steps = len(images) // 8
    assert int(resumed.gan.d_optimizer.iterations) == int(reference.gan.d_optimizer.iterations) == 3 * steps
    assert resumed.final == pytest.approx(reference.final, rel=1e-6)
    for a, b in zip(resumed.gan.generator.weights + resumed.gan.discriminator.weights,
                    reference.gan.generator.weights + reference.gan.discriminator.weights):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-5, atol=1e-6)
    # the log holds every epoch once (none repeated), with the uninterrupted run's losses
    for name in ("d_loss", "g_loss", "d_real", "d_fake"):
        rows, ref_rows = logged(work / "live", name), logged(ref_work / "live", name)
        assert [s for s, _ in rows] == [s for s, _ in ref_rows] == [0, 1, 2]
        assert [v for _, v in rows] == pytest.approx([v for _, v in ref_rows], rel=1e-6)
    grids = sorted(p.name for p in (work / "live" / "plots" / "images" / "samples").iterdir())
    assert grids == ["epoch_0001.png", "epoch_0002.png", "epoch_0003.png"]
    seconds = (work / "live" / "plots" / "metrics" / "seconds.tsv").read_text().splitlines()[1:]
    seconds = [float(line.split("\t")[1]) for line in seconds]
    assert len(seconds) == 3 and seconds == sorted(seconds)  # cumulative over both processes
    assert seconds[-1] == resumed.seconds_total
    resumed.checkpoint.finish()
    assert not (work / "checkpoints").exists()


def test_a_backup_of_other_params_is_never_resumed(killed, images, tiny, tmp_path):
    work = copy_of(killed, tmp_path)
    (stale,) = (work / "checkpoints").iterdir()
    result = train(images, tiny(epochs=1, seed=5), work)
    assert result.resumed_from == 0 and not stale.exists()
    assert [s for s, _ in logged(work / "live", "g_loss")] == [0]  # a fresh run starts a fresh log


def test_nan_stops_training_and_keeps_the_last_good_backup(killed, images, tiny, tmp_path, monkeypatch):
    from pipeline.gan import train_lib

    work = copy_of(killed, tmp_path)
    # poisoned inputs (same pixels, so the same run): the loss goes NaN in the first resumed batch
    monkeypatch.setattr(train_lib, "to_gan_inputs",
                        lambda im, size: np.full((len(im), size, size, 1), np.nan, np.float32))
    with pytest.raises(train_lib.TrainingDiverged, match=r"epoch 2 \(non-finite.*epoch 1\) kept"):
        train(images, tiny(epochs=3), work)
    (meta,) = (work / "checkpoints").glob("*/training_metadata.json")
    assert json.loads(meta.read_text())["epoch"] == 1
    assert [s for s, _ in logged(work / "live", "g_loss")] == [0]  # the diverged epoch is not logged


def test_discriminator_collapse_stops_after_patience_epochs():
    from pipeline.gan.train_lib import DivergenceGuard, _Diverged

    guard = DivergenceGuard(patience=2)
    collapsed = {"d_loss": 1e-4, "g_loss": 20.0}
    guard.on_epoch_end(0, collapsed)
    guard.on_epoch_end(1, {"d_loss": 0.5, "g_loss": 1.0})  # recovered: the count restarts
    guard.on_epoch_end(2, collapsed)
    with pytest.raises(_Diverged, match="discriminator collapse"):
        guard.on_epoch_end(3, collapsed)


def test_tiny_training_in_graph_mode_logs_every_epoch(images, tiny, tmp_path):
    from pipeline.gan.train_lib import train_dcgan

    result = train_dcgan(images, tiny(), tmp_path / "checkpoints", tmp_path / "live", "test", verbose=0)
    rows = logged(tmp_path / "live", "d_loss")
    assert [s for s, _ in rows] == [0, 1] and all(np.isfinite(v) for _, v in rows)
    assert set(result.final) == {"d_loss", "g_loss", "d_real", "d_fake"}
    assert result.final["d_loss"] == pytest.approx(rows[-1][1])
    assert (tmp_path / "live" / "plots" / "images" / "samples" / "epoch_0002.png").is_file()
    assert result.epochs_done == 2 and result.images == len(images) and result.batch_size == 8


def test_max_images_caps_the_training_set(images, tiny):
    from pipeline.gan.train_lib import capped_images

    assert len(capped_images(images, tiny(max_images=5))) == 5
    assert len(capped_images(images, tiny(max_images=0))) == len(images)


ALL_OPTIONS = dict(diffaugment=("translation", "cutout"), ema=0.9, d_reg="r1", loss="hinge")


def test_killed_run_with_every_option_resumes_to_the_uninterrupted_result(images, tiny, tmp_path):
    """DiffAugment's draws, R1, hinge and G's weight average (its state too) survive a resume."""
    cfg = tiny(epochs=2, **ALL_OPTIONS)
    with pytest.raises(KeyboardInterrupt):
        train(images, cfg, tmp_path / "killed", callbacks=[kill_after_first_epoch()])
    resumed = train(images, cfg, tmp_path / "killed")
    reference = train(images, cfg, tmp_path / "straight")
    assert resumed.resumed_from == 1 and reference.resumed_from == 0
    assert resumed.final == pytest.approx(reference.final, rel=1e-5)
    assert resumed.gan.sampler is resumed.gan.generator_ema
    for a, b in zip(resumed.gan.generator_ema.weights, reference.gan.generator_ema.weights):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-5, atol=1e-6)
    d_r1 = logged(tmp_path / "killed" / "live", "d_r1")
    assert [s for s, _ in d_r1] == [0, 1] and all(v >= 0 for _, v in d_r1)


@pytest.mark.parametrize("option", [dict(d_reg="spectral"), dict(loss="hinge", d_reg="spectral"),
                                    dict(diffaugment=("brightness", "contrast"))])
def test_each_option_trains_to_finite_losses(images, tiny, tmp_path, option):
    result = train(images, tiny(epochs=1, **option), tmp_path)
    assert set(result.final) == {"d_loss", "g_loss", "d_real", "d_fake"}
    assert all(np.isfinite(v) for v in result.final.values())
    assert 0 <= result.final["d_real"] <= 1 and 0 <= result.final["d_fake"] <= 1


def test_the_weight_average_trails_the_generator(images, tiny, tmp_path):
    result = train(images, tiny(epochs=1, ema=0.5), tmp_path)
    gan = result.gan
    assert gan.sampler is gan.generator_ema and not gan.generator_ema.trainable
    moved = [np.abs(np.asarray(a) - np.asarray(b)).max() for a, b in zip(gan.generator_ema.weights,
                                                                          gan.generator.weights)]
    assert max(moved) > 0  # an average of past weights, not a copy


def test_precision_auto_times_both_policies_records_them_and_resumes_the_choice(images, tiny, tmp_path):
    from pipeline.gan.train_lib import train_dcgan

    cfg = tiny(epochs=1, precision="auto")
    result = train_dcgan(images, cfg, tmp_path / "checkpoints", tmp_path / "live", "test", verbose=0)
    rec = result.precision
    assert rec["requested"] == "auto" and rec["chosen"] in ("float32", "mixed_bfloat16")
    assert set(rec["seconds_per_step"]) == {"float32", "mixed_bfloat16"}
    assert rec["chosen"] in {layer.dtype_policy.name for layer in result.gan.generator.layers}
    kept = json.loads((tmp_path / "checkpoints/precision.json").read_text())
    assert kept["chosen"] == rec["chosen"]  # a rerun (resume) reads it instead of timing again
    plain = train_dcgan(images, tiny(epochs=1), tmp_path / "c2", tmp_path / "l2", "test", verbose=0)
    assert plain.precision == {"requested": "float32", "chosen": "float32"}
