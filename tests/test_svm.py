"""Stages svm_features + svm: discriminator features, subject-independent folds, SVM metrics, FACS rules."""

import json

import numpy as np
import pytest
import yaml

from pipeline import svm, svm_features
from pipeline.data.demo import make_demo_dataset
from pipeline.core.errors import PipelineError
from pipeline.core.facs import EMOTION_AUS, PAPER_AUS, rule_agreement, rule_au_labels


def standin_discriminator(filters=(4, 8, 8, 16), size=64):
    """A tiny discriminator with the feature GAN's layer names (d_conv1..d_conv4)."""
    import keras

    layers = [keras.Input((size, size, 1))]
    for i, f in enumerate(filters):
        layers += [keras.layers.Conv2D(f, 5, strides=2, padding="same", name=f"d_conv{i + 1}"),
                   keras.layers.LeakyReLU(0.2, name=f"d_act{i + 1}")]
    layers += [keras.layers.Flatten(name="d_flat"), keras.layers.Dense(1, name="d_logit")]
    return keras.Sequential(layers, name="discriminator")


@pytest.fixture(scope="module")
def discriminator_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("d") / "discriminator.keras"
    standin_discriminator().save(path)
    return path


def planted(n_groups=12, per_group=6, n_classes=3, dims=20, seed=0):
    """Separable data: class k shifts feature k by +8; rows come in groups (subjects)."""
    rng = np.random.default_rng(seed)
    groups = np.repeat([f"S{i:02d}" for i in range(n_groups)], per_group)
    y = np.tile(np.arange(n_classes), len(groups) // n_classes + 1)[:len(groups)]
    X = rng.normal(size=(len(y), dims)).astype(np.float32)
    X[np.arange(len(y)), y] += 8.0
    return X, y, groups


SMALL = {"folds": 3, "inner_folds": 2, "search_iter": 2, "C_range": [1.0, 10.0], "gamma_scale_range": [0.5, 2.0],
         "large": {"max_train": 1000, "method": "nystroem", "components": 30}, "au": {"C": 0.1}}


# ---- features ----------------------------------------------------------------------------------
def test_feature_shape_follows_the_chosen_layer(discriminator_file):
    images = make_demo_dataset(n_subjects=2, sequences_per_subject=1, seed=3).images  # 6 x 48x48
    feats4 = svm_features.discriminator_features(svm_features.load_feature_extractor(discriminator_file, "d_conv4"),
                                                 images, batch_size=4)
    feats3 = svm_features.discriminator_features(svm_features.load_feature_extractor(discriminator_file, "d_conv3"),
                                                 images, batch_size=4)
    assert feats4.shape == (6, 4 * 4 * 16)  # 64 -> 32 -> 16 -> 8 -> 4; paper size (512 filters) = 8192
    assert feats3.shape == (6, 8 * 8 * 8)
    x = svm_features.to_discriminator_input(images, 64)
    assert x.shape == (6, 64, 64, 1) and x.min() >= -1.0 and x.max() <= 1.0
    with pytest.raises(PipelineError, match="svm.features.layer"):
        svm_features.load_feature_extractor(discriminator_file, "d_conv9")


def test_baseline_features_and_subsample():
    images = make_demo_dataset(n_subjects=2, sequences_per_subject=1, seed=3).images
    assert svm_features.hog_features(images).shape == (6, 900)
    assert svm_features.pixel_features(images).shape == (6, 48 * 48)
    labels = np.array([0] * 80 + [1] * 20)
    rows = svm_features.stratified_rows(labels, 50, seed=0)
    assert len(rows) == 50 and np.sum(labels[rows] == 1) == 10


# ---- folds -------------------------------------------------------------------------------------
def test_no_subject_in_train_and_test_of_any_fold(demo_dataset):
    groups, kind = svm.subject_groups(demo_dataset)
    assert kind == "subject"
    folds = svm.group_folds(demo_dataset.labels, groups, 10, seed=0)
    assert len(folds) == 10
    seen = np.zeros(len(groups), int)
    for train, test in folds:
        assert not set(groups[train]) & set(groups[test])
        seen[test] += 1
    assert np.all(seen == 1)  # every row tested exactly once


def test_rows_without_subjects_keep_identical_images_together(demo_dataset):
    ds = demo_dataset.subset(np.arange(30))
    ds.images[10] = ds.images[0]  # a FER-2013-style duplicate
    ds.subject[:] = ""
    ds.sequence[:] = ""
    groups, kind = svm.subject_groups(ds)
    assert kind == "identical-image" and groups[10] == groups[0] and len(set(groups)) == 29


# ---- SVMs --------------------------------------------------------------------------------------
@pytest.mark.parametrize("method", ["rbf", "nystroem", "pca", "subsample"])
def test_emotion_auc_per_class_is_about_one_on_a_planted_separable_set(method):
    X, y, g = planted()
    cfg = {**SMALL, "large": {**SMALL["large"], "method": method, "max_train": 1000 if method == "rbf" else 40}}
    m = svm.run_emotion(X, y, g, X, y, ["angry", "happy", "sad"], True, cfg, seed=0)
    assert all(v >= 0.98 for v in m["roc_auc"].values()), m["roc_auc"]
    assert m["accuracy"] >= 0.9 and np.array(m["confusion"]).sum() == len(y)
    expected = "rbf" if method == "rbf" else method
    assert all(f["method"].startswith(expected) for f in m["folds"])


def test_au_auc_is_about_one_on_planted_aus():
    X, y, g = planted(n_classes=2)
    Y = np.stack([y, 1 - y, (X[:, 5] > 0).astype(int)], 1)  # two planted AUs and one noise AU
    X[:, 6] += 4 * Y[:, 2]
    m = svm.run_au(X, Y, g, y, X, Y, [1, 2, 4], True, SMALL, seed=0)
    for au in ("AU1", "AU2", "AU4"):
        assert m["per_au"][au]["roc_auc"] >= 0.98 and m["per_au"][au]["pr_auc"] >= 0.95


def test_kernel_map_matches_sklearn_rbf_svc():
    from sklearn.svm import SVC

    X, y, _ = planted()
    ref = SVC(kernel="rbf", gamma=0.02, C=3.0).fit(X, y).decision_function(X)
    km = svm.KernelMap("rbf", 0.02).fit(X)
    ours = SVC(kernel="precomputed", C=3.0).fit(km.transform(X), y).decision_function(km.transform(X))
    assert np.allclose(ref, ours, atol=1e-3)


# ---- FACS rules --------------------------------------------------------------------------------
def test_facs_rule_mapping_sanity():
    classes = ("angry", "happy", "neutral", "surprise")
    Y = rule_au_labels(np.array([1, 2, 3, 0]), classes, PAPER_AUS)
    on = lambda row: {au for au, v in zip(PAPER_AUS, row) if v}  # noqa: E731
    assert on(Y[0]) == {6, 12, 25} and on(Y[1]) == set() and on(Y[2]) == {1, 2, 5, 25, 27}
    assert on(Y[3]) == {4, 5, 7, 17, 23, 24}
    assert all(set(aus) <= set(PAPER_AUS) for aus in EMOTION_AUS.values())
    agree = rule_agreement(Y, Y, PAPER_AUS)
    assert all(a["agreement"] == 1.0 and a["kappa"] == 1.0 for a in agree.values())
    with pytest.raises(PipelineError, match="joy"):
        rule_au_labels(np.array([0]), ("joy",))


# ---- stages end to end -------------------------------------------------------------------------
def test_stages_on_demo_write_tables_and_skip_missing_data(tmp_path, monkeypatch, discriminator_file):
    monkeypatch.chdir(tmp_path)
    make_demo_dataset(n_subjects=9, sequences_per_subject=3, seed=2).save("data/cropped/demo.npz")
    params = {"svm": {**SMALL, "seed": 0,
                      "features": {"discriminators": {"standin": str(discriminator_file)}, "layer": "d_conv4",
                                   "max_rows": 0, "batch_size": 32, "baselines": ["pixels", "hog"]},
                      "experiments": [
                          {"id": "emo", "task": "emotion", "d": "standin", "train": "demo", "test": "demo", "paper": "Exp5"},
                          {"id": "au", "task": "au", "d": "standin", "train": "demo", "test": "demo", "labels": "real",
                           "paper": "Exp1"},
                          {"id": "au-rules", "task": "au", "d": "standin", "train": "demo", "test": "demo",
                           "labels": "rules", "test_labels": "real"},
                          {"id": "ck", "task": "emotion", "d": "standin", "train": "ckplus", "test": "ckplus"}]}}
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params))
    svm_features.main([])
    assert (tmp_path / "data/features/d-standin/demo.npz").is_file()
    svm.main(["--cache", "cache"])
    metrics = json.loads((tmp_path / "reports/svm/metrics.json").read_text())
    svm.main(["--cache", "cache", "--cached-only"])  # a stopped bounded run reports what it finished
    assert json.loads((tmp_path / "reports/svm/metrics.json").read_text()) == metrics
    assert set(metrics["headline"]) == {"emo", "au", "au-rules"}
    assert 0.0 <= metrics["headline"]["emo"]["d_auc"] <= 1.0 and "hog_accuracy" in metrics["headline"]["emo"]
    table = (tmp_path / "reports/tables/svm_paper.md").read_text()
    for part in ("Table II", "Table III", "Table IV", "paper Exp5", "Skipped", "ckplus", "rules vs real"):
        assert part in table
    assert (tmp_path / "reports/svm/plots/roc_emo.png").is_file() and (tmp_path / "reports/svm/plots/roc_au.png").is_file()


def test_missing_features_name_the_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "params.yaml").write_text(yaml.safe_dump({"svm": {"experiments": []}}))
    with pytest.raises(PipelineError, match="data/features/index.json"):
        svm.main([])
    assert not (tmp_path / "reports").exists()
