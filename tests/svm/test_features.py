"""Feature files: stratified subsample, save/load round trip, rows checked against the cropped set."""

import numpy as np
import pytest

from pipeline.core.errors import PipelineError
from pipeline.svm.features import FeatureStore, load_features, load_index, save_features, stratified_rows


def test_stratified_subsample():
    labels = np.array([0] * 80 + [1] * 20)
    rows = stratified_rows(labels, 50, seed=0)
    assert len(rows) == 50 and np.sum(labels[rows] == 1) == 10
    assert np.array_equal(stratified_rows(labels, 0, seed=0), np.arange(100))


def test_round_trip_and_store(demo_dataset, tmp_path):
    demo_dataset.save(tmp_path / "cropped" / "demo.npz")
    rows = np.arange(0, len(demo_dataset), 2)
    X = np.random.default_rng(0).normal(size=(len(rows), 5)).astype(np.float32)
    meta = {"feature_set": "pixels"}
    save_features(tmp_path / "features" / "pixels" / "demo.npz", X, demo_dataset, rows, meta)
    feats, got_rows, ids, got_meta = load_features(tmp_path / "features" / "pixels" / "demo.npz")
    assert np.allclose(feats, X, atol=1e-2) and np.array_equal(got_rows, rows) and got_meta == meta
    store = FeatureStore(tmp_path / "features", tmp_path / "cropped")
    assert store.available("pixels", "demo") and not store.available("hog", "demo")
    Xs, ds, _ = store.get("pixels", "demo")
    assert len(ds) == len(rows) and np.array_equal(ds.ids, demo_dataset.ids[rows])


def test_rows_of_another_dataset_are_refused(demo_dataset, tmp_path):
    demo_dataset.save(tmp_path / "cropped" / "demo.npz")
    other = demo_dataset.subset(np.arange(10, 20))
    save_features(tmp_path / "features" / "hog" / "demo.npz", np.zeros((10, 3)), other, np.arange(10), {})
    with pytest.raises(PipelineError, match="rows do not match"):
        FeatureStore(tmp_path / "features", tmp_path / "cropped").get("hog", "demo")


def test_missing_files_name_the_file(tmp_path):
    with pytest.raises(PipelineError, match="feature file not found"):
        load_features(tmp_path / "x.npz")
    with pytest.raises(PipelineError, match="index.json: not found"):
        load_index(tmp_path)
