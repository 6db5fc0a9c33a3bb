"""Landmark-guided expression transfer: landmark drawing, pairs, networks, losses, stages end to end."""

import json

import numpy as np
import pytest
import yaml

from pipeline.augment_transfer import plan_augmentation
from pipeline.core.dataset import FaceDataset
from pipeline.core.errors import PipelineError
from pipeline.core.landmarks import N_POINTS, PARTS, draw_landmarks, landmark_images
from pipeline.transfer import (FusionGAN, TransferGAN, fusion_network, make_triples, patch_discriminator,
                               split_subjects, ssim_psnr, to_unit, unet_generator)


def mean_face_points() -> np.ndarray:
    """A plausible 68-point layout: jaw arc, brows, nose, eyes and lips in [0, 1]."""
    pts = np.zeros((N_POINTS, 2), np.float32)
    t = np.linspace(np.pi, 0, 17)
    pts[0:17] = np.stack([0.5 + 0.4 * np.cos(t), 0.45 + 0.45 * np.sin(t)], 1)
    pts[17:22] = np.stack([np.linspace(0.2, 0.42, 5), np.full(5, 0.3)], 1)
    pts[22:27] = np.stack([np.linspace(0.58, 0.8, 5), np.full(5, 0.3)], 1)
    pts[27:31] = np.stack([np.full(4, 0.5), np.linspace(0.4, 0.55, 4)], 1)
    pts[31:36] = np.stack([np.linspace(0.42, 0.58, 5), np.full(5, 0.6)], 1)
    for first, cx in ((36, 0.32), (42, 0.68)):
        a = np.linspace(0, 2 * np.pi, 6, endpoint=False)
        pts[first:first + 6] = np.stack([cx + 0.07 * np.cos(a), 0.4 + 0.03 * np.sin(a)], 1)
    a = np.linspace(0, 2 * np.pi, 12, endpoint=False)
    pts[48:60] = np.stack([0.5 + 0.15 * np.cos(a), 0.75 + 0.06 * np.sin(a)], 1)
    a = np.linspace(0, 2 * np.pi, 8, endpoint=False)
    pts[60:68] = np.stack([0.5 + 0.1 * np.cos(a), 0.75 + 0.03 * np.sin(a)], 1)
    return pts


def test_landmark_parts_cover_all_68_points():
    covered = sorted(i for first, last, _ in PARTS.values() for i in range(first, last))
    assert covered == list(range(N_POINTS))


def test_draw_landmarks_draws_lines_through_the_points():
    pts = mean_face_points()
    img = draw_landmarks(pts, 64)
    assert img.shape == (64, 64) and img.dtype == np.float32
    assert set(np.unique(img)) == {-1.0, 1.0}
    for x, y in pts:  # every point lies on a drawn line
        assert img[int(round(y * 63)), int(round(x * 63))] == 1.0
    assert (img == 1).mean() < 0.25  # lines, not filled regions
    assert landmark_images(pts[None].repeat(3, 0), 32).shape == (3, 32, 32)
    with pytest.raises(ValueError):
        draw_landmarks(pts[:5], 64)


def test_dlib_landmarks_on_an_upsampled_48px_face(demo_dataset):
    pytest.importorskip("dlib")
    from pipeline.core.landmarks import detect_landmarks

    points, found = detect_landmarks(demo_dataset.images[:2])
    assert points.shape == (2, N_POINTS, 2) and found.shape == (2,)
    assert np.all((points >= 0) & (points <= 1))
    # the mouth lies below the eyes on an upright face
    assert points[:, 48:68, 1].mean() > points[:, 36:48, 1].mean()


def test_subject_split_is_disjoint_and_triples_respect_it(demo_dataset):
    d = demo_dataset
    split = split_subjects(d.subject, 0.25, seed=0)
    assert set(split) == set(d.subject) and set(split.values()) == {"train", "test"}
    assert split == split_subjects(d.subject, 0.25, seed=0)
    rows = {s: np.flatnonzero([split[x] == s for x in d.subject]) for s in ("train", "test")}
    train_subjects = set(d.subject[rows["train"]])
    for name, n in (("train", 40), ("test", 20)):
        tri = make_triples(d.labels, d.subject, d.sequence, rows[name], n, seed=1)
        assert 0 < len(tri) <= n
        src, tgt, truth = tri.T
        assert set(tri.ravel()) <= set(rows[name].tolist())
        assert np.all(d.subject[tgt] == d.subject[truth])      # truth = target identity ...
        assert np.all(d.labels[src] == d.labels[truth])        # ... showing the source expression
        assert np.all(d.subject[src] != d.subject[truth])      # source is another person
        assert np.all(d.labels[tgt] != d.labels[truth])
        assert np.all(d.sequence[tgt] != d.sequence[truth])
        if name == "test":
            assert not set(d.subject[tri.ravel()]) & train_subjects   # test identities unseen


def test_triples_fail_clearly_without_expression_pairs():
    with pytest.raises(PipelineError, match="two sequences"):
        make_triples(np.zeros(4, int), np.array(["a", "a", "b", "b"]), np.array(["1", "2", "3", "4"]),
                     np.arange(4), 4, seed=0)


def test_networks_shapes_and_eq1_fusion():
    g = unet_generator(32, 2, base_filters=4)
    out = g(np.zeros((2, 32, 32, 2), np.float32))
    assert out.shape == (2, 32, 32, 1) and float(np.abs(out).max()) <= 1.0
    assert g.layers[-1].__class__.__name__ == "Conv2DTranspose"
    d = patch_discriminator(32, 2, base_filters=4)
    assert d(np.zeros((2, 32, 32, 2), np.float32)).shape[1:3] == (16, 16)  # a patch map, not a scalar
    assert any(layer.__class__.__name__ == "SpectralNormalization" for layer in d.layers)
    f = fusion_network(32, base_filters=4)
    l_s = np.random.default_rng(0).uniform(-1, 1, (2, 32, 32, 1)).astype(np.float32)
    l_t = -np.ones_like(l_s)
    j_gen = f([l_s, l_t]).numpy()
    deviation = f.get_layer("deviation").output
    assert j_gen.shape == (2, 32, 32, 1)
    assert deviation is not None and np.all(np.abs(j_gen - l_t) <= 2.0 + 1e-5)  # J_gen = L_t + bounded deviation
    with pytest.raises(PipelineError):
        unet_generator(48, 2)


def test_gan_losses_are_finite_and_weighted():
    rng = np.random.default_rng(0)
    a, b, c = (rng.uniform(-1, 1, (8, 16, 16, 1)).astype(np.float32) for _ in range(3))
    import keras

    fusion = FusionGAN(fusion_network(16, 4), patch_discriminator(16, 1, 4), weights=(0.1, 10, 100))
    fusion.compile(keras.optimizers.Adam(2e-4, 0.5), keras.optimizers.Adam(1e-4, 0.5))
    logs = fusion.train_step((a, b, c))
    assert set(logs) == {"d_loss", "g_adv", "cycle", "l1"}
    assert all(np.isfinite(float(v)) for v in logs.values())
    gan = TransferGAN(unet_generator(16, 2, 4), patch_discriminator(16, 2, 4), weights=(1, 100))
    gan.compile(keras.optimizers.Adam(2e-4, 0.5), keras.optimizers.Adam(1e-4, 0.5))
    logs = gan.train_step((a, b, c))
    assert set(logs) == {"d_loss", "g_gan", "l1"} and np.isfinite(float(logs["l1"]))
    assert gan((a, b)).shape == (8, 16, 16, 1)


def test_ssim_psnr_of_identical_and_different_images():
    x = to_unit(np.random.default_rng(0).integers(0, 255, (2, 48, 48), dtype=np.uint8), 32)
    assert x.shape == (2, 32, 32, 1) and x.min() >= -1 and x.max() <= 1
    ssim, psnr = ssim_psnr(x, x)
    assert np.allclose(ssim, 1.0) and np.all(psnr > 60)
    ssim2, psnr2 = ssim_psnr(x, -x)
    assert np.all(ssim2 < 0.5) and np.all(psnr2 < psnr)


def test_stages_end_to_end_on_demo(tmp_path, monkeypatch, demo_dataset):
    pytest.importorskip("dlib")
    from pipeline import augment_transfer, evaluate_transfer, landmarks, train_transfer

    monkeypatch.chdir(tmp_path)
    demo_dataset.save("data/cropped/demo.npz")
    params = {"transfer": {"source": "auto", "size": 16, "base_filters": 4, "fusion_filters": 4,
                           "fusion_epochs": 1, "epochs": 1, "train_pairs": 16, "test_pairs": 8, "grid": 3}}
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params))
    with pytest.raises(PipelineError, match="landmarks"):
        train_transfer.main([])  # landmarks not made yet: one clear error
    landmarks.main([])
    with np.load("data/landmarks/demo.npz") as z:
        assert z["points"].shape == (len(demo_dataset), 68, 2)
    train_transfer.main([])
    for name in ("fusion.keras", "generator.keras", "pix2pix.keras", "split.json"):
        assert (tmp_path / "models/transfer" / name).is_file()
    assert not (tmp_path / "models/transfer/checkpoints").exists()
    evaluate_transfer.main([])
    metrics = json.loads((tmp_path / "reports/transfer/metrics.json").read_text())
    assert metrics["dataset"] == "demo" and metrics["test_triples"] == 8
    assert set(metrics["results"]) == {"proposed", "pix2pix", "oracle_landmarks", "copy_target"}
    assert 0 < metrics["headline"]["proposed_psnr"] < 100
    table = (tmp_path / "reports/tables/transfer.md").read_text()
    assert "pix2pix" in table and "demo" in table
    assert (tmp_path / "reports/transfer/grid_proposed.png").stat().st_size > 0
    augment_transfer.main([])
    aug = FaceDataset.load("data/transfer/dataset.npz")
    split = json.loads((tmp_path / "models/transfer/split.json").read_text())["subjects"]
    assert len(aug) > 0 and aug.synthetic.all() and set(aug.split) == {"train"}
    assert len(set(aug.ids)) == len(aug) and aug.image_size == demo_dataset.image_size
    assert {split[s] for s in aug.subject} | {split[s] for s in aug.extra["source_subject"]} == {"train"}
    assert np.all(aug.subject != aug.extra["source_subject"])
    # the cropped faces change after the landmarks were taken: stale landmarks are refused
    demo_dataset.with_images(255 - demo_dataset.images).save("data/cropped/demo.npz")
    with pytest.raises(PipelineError, match="rerun the landmarks"):
        train_transfer.main([])


def test_augmentation_plan_gives_subjects_expressions_they_lack(demo_dataset):
    d = demo_dataset
    rows = np.arange(len(d))
    plan = plan_augmentation(d.labels, d.subject, rows, per_subject=2, seed=0)
    assert plan
    for t, s in plan:
        assert d.subject[t] != d.subject[s]
        assert d.labels[s] not in set(d.labels[d.subject == d.subject[t]].tolist())
    per_target = {}
    for t, _ in plan:
        per_target[d.subject[t]] = per_target.get(d.subject[t], 0) + 1
    assert max(per_target.values()) <= 2


def test_transfer_input_choice_and_shape_checks(tmp_path, monkeypatch, demo_dataset):
    from pipeline.landmarks import load_input

    monkeypatch.chdir(tmp_path)
    demo_dataset.save("data/canonical/demo.npz")
    source, path, data = load_input({"source": "auto", "input": "canonical"})
    assert source == "demo" and str(path) == "data/canonical/demo.npz" and len(data) == len(demo_dataset)
    with pytest.raises(PipelineError, match="data/cropped"):
        load_input({"source": "auto", "input": "cropped"})  # nothing cropped yet
    with pytest.raises(PipelineError, match="transfer.input"):
        load_input({"source": "demo", "input": "raw"})
    demo_dataset.with_images(demo_dataset.images[:, :, :40]).save("data/canonical/demo.npz")
    with pytest.raises(PipelineError, match="square"):
        load_input({"source": "demo", "input": "canonical"})


def test_killed_phase_resumes_from_its_last_epoch(tmp_path):
    import keras

    from pipeline.train_transfer import DEFAULTS, fit_phase

    class KillAfterFirstEpoch(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            raise KeyboardInterrupt

    rng = np.random.default_rng(0)
    arrays = tuple(rng.uniform(-1, 1, (8, 16, 16, 1)).astype(np.float32) for _ in range(3))

    def model():
        gan = TransferGAN(unet_generator(16, 2, 4), patch_discriminator(16, 2, 4))
        gan.compile(keras.optimizers.Adam(2e-4, 0.5), keras.optimizers.Adam(1e-4, 0.5))
        return gan

    with pytest.raises(KeyboardInterrupt):
        fit_phase("proposed", model(), arrays, DEFAULTS, 3, tmp_path, callbacks=[KillAfterFirstEpoch()])
    assert (tmp_path / "proposed").is_dir() and not list(tmp_path.glob("*.done.weights.h5"))
    history = fit_phase("proposed", model(), arrays, DEFAULTS, 3, tmp_path)
    assert len(history["l1"]) == 2  # epochs 2 and 3 only: epoch 1 was restored, not rerun
    assert (tmp_path / "proposed.e3.done.weights.h5").is_file()
    again = fit_phase("proposed", model(), arrays, DEFAULTS, 3, tmp_path)  # finished: reloaded
    assert again == history
