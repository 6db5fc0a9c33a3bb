"""DCGAN models, resumable training, synthesize counts and the distribution metrics."""

import json

import numpy as np
import pytest

from pipeline.core.dataset import FaceDataset
from pipeline.core.distribution_metrics import frechet_distance, fid, inception_score, kid
from pipeline.core.errors import PipelineError

TINY = dict(epochs=2, batch_size=8, latent_dim=16, g_base=16, g_widths=(16, 8, 8), d_widths=(8, 8, 16, 16),
            sample_every=1)


@pytest.fixture(scope="module")
def gan():
    import pipeline.core.gan as gan

    return gan


def tiny(gan, **kw):
    return gan.GANConfig(**{**TINY, **kw})


# ---- models -------------------------------------------------------------------------------

def test_pixelnorm_matches_formula(gan):
    x = np.random.default_rng(0).normal(size=(2, 3, 3, 5)).astype(np.float32) * 4
    y = np.asarray(gan.PixelNorm()(x))
    expected = x / np.sqrt(np.mean(x ** 2, axis=-1, keepdims=True) + 1e-8)
    np.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(np.mean(y ** 2, axis=-1), 1.0, rtol=1e-4)


def test_paper_000_shapes_and_ranges(gan):
    cfg = gan.GANConfig()  # the paper's full architecture
    g, d = gan.build_generator(cfg), gan.build_discriminator(cfg)
    assert g.get_layer("g_dense").output.shape[-1] == 6 * 6 * 512
    assert [g.get_layer(f"g_deconv{i}").filters for i in (1, 2, 3)] == [256, 128, 64]
    assert isinstance(g.get_layer("g_pixelnorm0"), gan.PixelNorm)
    z = np.random.default_rng(0).normal(size=(3, 100)).astype(np.float32) * 5
    img = np.asarray(g(z))
    assert img.shape == (3, 48, 48, 1) and img.min() >= -1 and img.max() <= 1
    assert [d.get_layer(f"d_conv{i}").filters for i in (1, 2, 3, 4)] == [64, 128, 256, 512]
    assert "d_bn1" not in [layer.name for layer in d.layers] and d.get_layer("d_bn2")
    p = np.asarray(d(img))
    assert p.shape == (3, 1) and ((p >= 0) & (p <= 1)).all()


def test_radford_64_discriminator_gives_8192_features(gan):
    cfg = gan.GANConfig(variant="radford", image_size=64)
    g, d = gan.build_generator(cfg), gan.build_discriminator(cfg)
    assert g.output_shape == (None, 64, 64, 1)
    feats = gan.discriminator_feature_model(d)
    assert feats.output_shape == (None, 8192)
    assert abs(float(np.std(np.asarray(d.get_layer("d_conv3").kernel))) - 0.02) < 0.002


def test_bad_config_names_the_key(gan):
    with pytest.raises(PipelineError, match="gan.precision"):
        gan.GANConfig.from_params({"precision": "float16"}, "gan")
    with pytest.raises(PipelineError, match="gan.image_size"):
        gan.GANConfig.from_params({"image_size": 50}, "gan")


# ---- training -----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def images(demo_dataset):
    return demo_dataset.of_split("train").images[:16]


@pytest.fixture(scope="module")
def one_epoch(gan, images, tmp_path_factory):
    """A finished 1-epoch tiny run: its work folder holds the epoch-1 checkpoint."""
    work = tmp_path_factory.mktemp("one_epoch")
    result = gan.train_dcgan(images, tiny(gan, epochs=1), work, "test", verbose=0, run_eagerly=True)
    return result, work


def killed_copy(gan, one_epoch, images, cfg, tmp_path):
    """A copy of the 1-epoch work folder made to look like a run of `cfg` killed after epoch 1."""
    import hashlib
    import shutil

    work = tmp_path / "work"
    shutil.copytree(one_epoch[1], work)
    path = work / "checkpoint" / "state.json"
    state = json.loads(path.read_text())
    data_hash = hashlib.sha1(np.ascontiguousarray(images).tobytes()).hexdigest()[:16]
    path.write_text(json.dumps({**state, "fingerprint": cfg.fingerprint(data_hash)}))
    return work


def test_tiny_training_two_epochs_and_outputs(gan, images, tmp_path):
    result = gan.train_dcgan(images, tiny(gan), tmp_path / "work", "test", verbose=0)  # graph mode, as in stages
    assert [r["epoch"] for r in result.history] == [1, 2]
    assert all(np.isfinite(r["d_loss"]) and np.isfinite(r["g_loss"]) for r in result.history)
    fakes = gan.generate_images(result.gan.generator, 5, seed=0)
    assert fakes.shape == (5, 48, 48) and fakes.dtype == np.uint8
    gan.write_training_reports(result, tmp_path / "reports", "test")
    gan.save_models(result, tmp_path / "models", {"epochs": 2})
    for name in ("loss_history.csv", "loss_curve.png", "samples.png", "samples/epoch_0002.png"):
        assert (tmp_path / "reports" / name).is_file()
    import keras

    g = keras.saving.load_model(tmp_path / "models" / "generator.keras", compile=False)
    z = np.zeros((1, 16), np.float32)
    np.testing.assert_allclose(g.predict_on_batch(z), result.gan.generator.predict_on_batch(z), atol=1e-6)


def test_resume_after_kill_continues_at_the_right_epoch(gan, images, one_epoch, tmp_path):
    cfg = tiny(gan, epochs=2)
    work = killed_copy(gan, one_epoch, images, cfg, tmp_path)
    resumed = gan.train_dcgan(images, cfg, work, "test", verbose=0, run_eagerly=True)
    assert resumed.resumed_from == 1
    assert [r["epoch"] for r in resumed.history] == [1, 2]
    assert resumed.history[0] == one_epoch[0].history[0]
    assert int(resumed.gan.d_optimizer.iterations.numpy()) == 2 * (len(images) // 8)
    assert json.loads((work / "checkpoint" / "state.json").read_text())["epoch"] == 2
    # a checkpoint from other params is never resumed
    assert gan.Checkpoint(work / "checkpoint", tiny(gan, seed=5).fingerprint("x")).read_state() is None


def test_checkpoint_restores_weights_and_optimizer_state(gan, one_epoch):
    first, work = one_epoch
    fresh = gan.make_dcgan(tiny(gan, epochs=1))
    fingerprint = json.loads((work / "checkpoint" / "state.json").read_text())["fingerprint"]
    epoch, history = gan.Checkpoint(work / "checkpoint", fingerprint).restore(fresh)
    assert epoch == 1 and len(history) == 1
    for a, b in zip(first.gan.generator.weights, fresh.generator.weights):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    for a, b in zip(first.gan.g_optimizer.variables, fresh.g_optimizer.variables):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


def test_nan_stops_training_and_keeps_last_good_checkpoint(gan, images, one_epoch, tmp_path, monkeypatch):
    cfg = tiny(gan, epochs=3)
    work = killed_copy(gan, one_epoch, images, cfg, tmp_path)
    # poisoned inputs: the loss goes NaN in the first resumed batch
    monkeypatch.setattr(gan, "to_gan_inputs", lambda im, size: np.full((len(im), size, size, 1), np.nan, np.float32))
    with pytest.raises(gan.TrainingDiverged, match=r"non-finite.*epoch 1\) kept"):
        gan.train_dcgan(images, cfg, work, "test", verbose=0, run_eagerly=True)
    assert json.loads((work / "checkpoint" / "state.json").read_text())["epoch"] == 1


# ---- stages -------------------------------------------------------------------------------

def test_unknown_class_is_a_pipeline_error(demo_dataset):
    from pipeline.train_gan import class_training_images

    with pytest.raises(PipelineError, match="unknown class 'contempt'"):
        class_training_images(demo_dataset, "contempt")
    assert len(class_training_images(demo_dataset, "happy")) > 0


def test_synthesize_counts(demo_dataset, gan):
    from pipeline.synthesize import synthesize, synthetic_counts

    counts = demo_dataset.class_counts("train")
    targets = {"targets": {c: max(counts.values()) for c in demo_dataset.classes}, "counts": counts}
    need = synthetic_counts(targets, demo_dataset.classes)
    g = gan.build_generator(tiny(gan))
    synth = synthesize(demo_dataset, need, lambda name: g, seed=0)
    assert synth.class_counts() == need
    assert synth.synthetic.all() and (synth.split == "train").all()
    assert len(set(synth.ids)) == len(synth) and all(i.startswith("synth/") for i in synth.ids)
    assert synth.classes == demo_dataset.classes and synth.images.shape[1:] == (48, 48)
    FaceDataset.concat([demo_dataset, synth])  # joins the real data
    with pytest.raises(PipelineError, match="unknown class"):
        synthetic_counts({"targets": {"joy": 3}, "counts": {}}, demo_dataset.classes)


# ---- distribution metrics -----------------------------------------------------------------

def test_frechet_distance_closed_form_for_two_gaussians():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(4, 4))
    s1 = a @ a.T + np.eye(4)
    s2 = np.diag([1.0, 2.0, 3.0, 4.0])
    mu1, mu2 = np.zeros(4), np.array([1.0, 0, -2, 0])
    from scipy.linalg import sqrtm

    expected = 5.0 + np.trace(s1) + np.trace(s2) - 2 * np.trace(np.real(sqrtm(s1 @ s2)))
    assert frechet_distance(mu1, s1, mu2, s2) == pytest.approx(expected, rel=1e-8)
    # 1-d: (m1 - m2)^2 + (s1 - s2)^2 for standard deviations s1, s2
    assert frechet_distance([0.0], [[4.0]], [3.0], [[1.0]]) == pytest.approx(9 + 1)
    assert frechet_distance(mu1, s1, mu1, s1) == pytest.approx(0, abs=1e-8)


def test_fid_from_samples_equals_the_closed_form_on_their_statistics():
    from pipeline.core.distribution_metrics import frechet_distance_of_samples, gaussian_stats

    rng = np.random.default_rng(3)
    a, b = rng.normal(size=(200, 6)), rng.normal(size=(150, 6)) @ np.diag([1, 2, 1, 1, 0.5, 1]) + 0.3
    assert frechet_distance_of_samples(a, b) == pytest.approx(
        frechet_distance(*gaussian_stats(a), *gaussian_stats(b)), rel=1e-8)
    small = rng.normal(size=(20, 64))  # fewer samples than dimensions: singular covariances
    assert frechet_distance_of_samples(small, small) == pytest.approx(0, abs=1e-8)


def test_fid_and_kid_near_zero_for_identical_sets_and_flag_small_sets():
    x = np.random.default_rng(1).normal(size=(300, 8))
    f = fid(x, x)
    assert f["value"] == pytest.approx(0, abs=1e-6) and f["n_a"] == 300 and not f["comparable"]
    assert "not comparable" in f["note"]
    shifted = kid(x, x + 0.5, subsets=20, subset_size=100)["value"]
    # identical sets: ~0 next to a half-sigma shift (subsets drawn from one set overlap, which
    # biases the unbiased estimator slightly negative); independent draws of one law: ~0.
    assert abs(kid(x, x, subsets=20, subset_size=100)["value"]) < 0.1 * shifted
    y = np.random.default_rng(2).normal(size=(300, 8))
    assert abs(kid(x, y, subsets=20, subset_size=100)["value"]) < 0.03 < shifted


def test_inception_score_bounds():
    assert inception_score(np.eye(4)[np.arange(40) % 4], splits=1)["value"] == pytest.approx(4, rel=1e-6)
    assert inception_score(np.full((40, 4), 0.25), splits=2)["value"] == pytest.approx(1)


def test_generator_trained_on_another_dataset_is_refused(gan, tmp_path):
    (tmp_path / "training.json").write_text(json.dumps({"dataset": "demo"}))
    assert gan.check_trained_on(tmp_path, "demo")["dataset"] == "demo"
    with pytest.raises(PipelineError, match="trained on 'demo' but the balanced dataset is 'fer2013'"):
        gan.check_trained_on(tmp_path, "fer2013")


def test_table1_sets_every_run_beside_the_published_rows(tmp_path, monkeypatch):
    from pipeline import gan_metrics

    def run(dataset, fid):
        card = {"epochs": 100, "batch_size": 8, "train_seconds_total": 3600.0}
        dist = {"fid": {"value": fid, "n_a": 100, "n_b": 100, "comparable": False},
                "floor_fid": {"value": 1.0, "n_a": 90, "n_b": 100, "comparable": False}}
        domain_is = {"value": 1.5, "n": 100, "max_possible": 7}
        return {"stage": "gan_metrics", "dataset": dataset, "profile": f"{dataset}-profile", "eval_rows": "split 'test'",
                "hardware": "2 CPU cores", "training": {"happy": card, "sad": card}, "inception": {"pooled": dist},
                "domain": {"pooled": dist},
                "classifier": {"pooled": {"domain_is": domain_is, "floor_domain_is": domain_is, "n_fake": 100,
                                          "gan_test_accuracy": 0.5, "gan_train_accuracy": 0.4, "gan_train_n_test": 50},
                               "real_baseline": {"accuracy": 0.6}}}

    monkeypatch.chdir(tmp_path)
    (tmp_path / "reports/gan/ckplus").mkdir(parents=True)
    (tmp_path / "reports/gan/ckplus/metrics.json").write_text(json.dumps(run("ckplus", 77.0)))
    (tmp_path / "reports/gan/happy").mkdir()  # a class folder: no metrics.json, not a run
    extra = gan_metrics.extra_runs("fer2013")
    assert [m["dataset"] for m in extra] == ["ckplus"] and gan_metrics.extra_runs("ckplus") == []
    table = gan_metrics.table1(run("fer2013", 300.0), extra)
    assert "| 000 Ex5 (published) | CK+ | 100 | 8 | 0.5 |" in table
    assert "fer2013-profile | fer2013 (2 per-class GANs) | 100 | 8 | Inception 300.0 (n=100 vs 100, not comparable)" in table
    assert "ckplus-profile | ckplus (2 per-class GANs)" in table and "2.00 h total" in table
    assert table.count("| real-vs-real floor |") == 2
