"""export_model: the trained classifier becomes a small bundled copy (no optimizer, float16 weights,
float32 compute) that scores as the trained one, with model.json (crop section inside) and its card."""

import io
import json
import shutil
import zipfile
from types import SimpleNamespace

import h5py
import numpy as np
import pytest
import yaml

from pipeline.app import export_lib, export_model
from pipeline.app.recognizer import EmotionRecognizer
from pipeline.classifier.inference import load_classifier, load_model, predict_proba
from pipeline.classifier.networks import build_classifier, set_precision
from pipeline.core.dataset import FaceDataset
from pipeline.core.emotions import CKPLUS_CLASSES, FER2013_CLASSES
from pipeline.core.errors import PipelineError

ARGS = ["--model", "models/cnn/classical/model.keras", "--runs", "models/cnn/folds/classical",
        "--metrics", "reports/cnn/classical/metrics.json", "--cross", "data/cropped", "--out", "bundled"]


@pytest.fixture
def trained(tmp_path, demo_params):
    """What evaluate_classifier leaves: a bf16 model trained one step (optimizer state saved), its test rows,
    metrics.json; plus a cropped CK+ set and params.yaml."""
    shutil.copy(demo_params, tmp_path / "params.yaml")
    rng = np.random.default_rng(0)
    set_precision("mixed_bfloat16")
    try:
        cfg = SimpleNamespace(widths=[4], convs_per_block=1, dense=8, dropout=0.3, bn_momentum=0.9, seed=0)
        model = build_classifier(7, 40, cfg)
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        model.fit(rng.random((8, 40, 40, 1)), rng.integers(0, 7, 8), epochs=1, verbose=0)
    finally:
        set_precision("float32")
    run = tmp_path / "models/cnn/folds/classical/official"
    run.mkdir(parents=True)
    model.save(run / "model.keras")
    images, labels = rng.integers(0, 256, (40, 48, 48), dtype=np.uint8), rng.integers(0, 7, 40)
    np.savez(run / "rows.npz", test_images=images, test_labels=labels, test_synthetic=np.zeros(40, bool))
    (run / "training.json").write_text(json.dumps({"n_train": 100, "n_val": 20, "n_test": 40, "epochs_run": 1,
                                                   "best_epoch": 1, "best_val_accuracy": 0.25}))
    (run.parent / "manifest.json").write_text(json.dumps({"protocols": {"official": {"runs": ["official"]}}}))
    pub = tmp_path / "models/cnn/classical"
    pub.mkdir(parents=True)
    shutil.copy(run / "model.keras", pub / "model.keras")
    (pub / "model.json").write_text(json.dumps({
        "classes": list(FER2013_CLASSES), "image_size": 48, "dataset": "fer2013", "mode": "classical",
        "protocol": "official", "tta_flip": True, "tta_crops": True}))
    metrics = tmp_path / "reports/cnn/classical/metrics.json"
    metrics.parent.mkdir(parents=True)
    metrics.write_text(json.dumps({"dataset": "fer2013", "mode": "classical", "profile": "tiny",
                                   "official": {"accuracy": 0.2}}))
    ck = rng.integers(0, 7, 30)
    FaceDataset(images=rng.integers(0, 256, (30, 48, 48), dtype=np.uint8), labels=ck, classes=CKPLUS_CLASSES,
                split=["train"] * 30, ids=[f"ck{i}" for i in range(30)], source="ckplus"
                ).save(tmp_path / "data/cropped/ckplus.npz")
    return SimpleNamespace(images=images, labels=labels, ck_labels=ck, run=run)


def test_export_writes_a_small_bundle_that_scores_as_the_trained_model(trained, tmp_path, monkeypatch):
    info = export_model.main(ARGS)
    files = sorted(p.name for p in (tmp_path / "bundled").iterdir())
    assert files == ["MODEL_CARD.md", "model.json", "model.keras"]
    assert (tmp_path / "bundled").stat().st_mode & 0o755 == 0o755  # package data: readable by all
    with zipfile.ZipFile(tmp_path / "bundled/model.keras") as z:
        weights = h5py.File(io.BytesIO(z.read("model.weights.h5")), "r")
        arrays = []
        weights.visititems(lambda name, obj: arrays.append((name, obj.dtype)) if isinstance(obj, h5py.Dataset)
                           else None)
    assert arrays and all(dtype == np.float16 for _, dtype in arrays)
    assert not any("optimizer" in name for name, _ in arrays)  # the trained file has Adam's moments
    assert info["size_bytes"] < (trained.run / "model.keras").stat().st_size / 2
    saved = json.loads((tmp_path / "bundled/model.json").read_text())
    assert saved["crop"] == yaml.safe_load((tmp_path / "params.yaml").read_text())["crop"]
    assert saved["views"] == 10 and saved["input_size"] == 40 and saved["detect_side"] == 640
    # the copy scores the test rows as the trained (bf16) model does, up to float16/bf16 rounding
    trained_model = load_model(trained.run / "model.keras")
    bundle_model, bundle_info = load_classifier(tmp_path / "bundled/model.keras")
    assert {layer.dtype_policy.name for layer in bundle_model.layers} == {"float32"}
    ref = predict_proba(trained_model, trained.images, flip=True, crops=True)
    got = predict_proba(bundle_model, trained.images, flip=True, crops=True)
    assert np.abs(ref - got).max() < 0.02 and saved["check"]["max_abs_diff"] < 0.02
    t = saved["privatetest"]
    assert t["n"] == 40 and t["accuracy"] == pytest.approx(np.mean(got.argmax(1) == trained.labels))
    assert t["interval"][0] <= t["accuracy"] <= t["interval"][1]
    cross = saved["cross_dataset"]
    assert cross["source"] == "ckplus" and cross["n"] == int(np.sum(trained.ck_labels != 1))  # no contempt
    assert cross["classes"] == ["angry", "disgust", "fear", "happy", "sad", "surprise"]
    card = (tmp_path / "bundled/MODEL_CARD.md").read_text()
    for words in ("PrivateTest", "Wilson interval", "CK+48", "research use only", "| disgust |"):
        assert words in card
    # usable from a folder without params.yaml: the crop section travels in model.json
    (tmp_path / "params.yaml").unlink()
    assert EmotionRecognizer(tmp_path / "bundled/model.keras").crop.model_dump(mode="json") == saved["crop"]
    assert bundle_info["tta_flip"] and bundle_info["tta_crops"]


def test_a_demo_model_keeps_the_committed_bundle(trained, tmp_path, capsys):
    export_model.main(ARGS)
    before = {p.name: p.read_bytes() for p in (tmp_path / "bundled").iterdir()}
    metrics = tmp_path / "reports/cnn/classical/metrics.json"
    metrics.write_text(json.dumps({**json.loads(metrics.read_text()), "dataset": "demo"}))
    assert export_model.main(ARGS) is None
    assert {p.name: p.read_bytes() for p in (tmp_path / "bundled").iterdir()} == before
    out = capsys.readouterr().out
    assert "trained on demo, not fer2013 (bundle.dataset): bundled is kept as it is" in out


def test_a_bundle_over_max_mb_is_refused_and_nothing_changes(trained, tmp_path, capsys):
    params = yaml.safe_load((tmp_path / "params.yaml").read_text())
    params["bundle"]["max_mb"] = 0.001
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params))
    with pytest.raises(PipelineError, match="over bundle.max_mb"):
        export_model.main(ARGS)
    assert not (tmp_path / "bundled").exists()


def test_wilson_interval():
    lo, hi = export_lib.wilson(50, 100, 0.95)
    assert lo == pytest.approx(0.4038, abs=1e-3) and hi == pytest.approx(0.5962, abs=1e-3)
    assert export_lib.wilson(0, 0, 0.95) == [0.0, 1.0]


def test_shared_classes_drop_contempt_and_count_neutral_as_an_error():
    classes = list(FER2013_CLASSES)
    data_classes = ["angry", "contempt", "happy"]
    labels = np.array([0, 1, 2, 2])
    proba = np.zeros((4, 7))
    proba[0, 0] = proba[1, 3] = 1           # angry right; the contempt row is left out
    proba[2, 3] = 1                         # happy right
    proba[3, 6], proba[3, 3] = 0.6, 0.4     # happy called neutral: wrong over all classes, right over shared
    s = export_lib.shared_class_scores(proba, labels, data_classes, classes, 0.95)
    assert s["n"] == 3 and s["dropped"] == 1 and s["classes"] == ["angry", "happy"]
    assert s["accuracy"] == pytest.approx(2 / 3) and s["accuracy_shared_argmax"] == 1.0
    assert s["recall"] == {"angry": 1.0, "happy": 0.5}


def test_float32_config_replaces_low_precision_policies():
    def layer(policy):
        return {"config": {"dtype": {"class_name": "DTypePolicy", "config": {"name": policy}}}}

    node = {"layers": [layer("mixed_bfloat16"), layer("float32")]}
    out = export_lib.float32_config(node)
    assert [la["config"]["dtype"]["config"]["name"] for la in out["layers"]] == ["float32", "float32"]


def test_a_model_weaker_on_validation_keeps_the_bundle_unless_replace_is_always(trained, tmp_path, capsys):
    export_model.main(ARGS)
    bundled = tmp_path / "bundled/model.json"
    better = json.loads(bundled.read_text())
    better["training"]["best_val_accuracy"] = 0.99   # a committed bundle that did better on PublicTest
    bundled.write_text(json.dumps(better))
    before = {p.name: p.read_bytes() for p in (tmp_path / "bundled").iterdir()}
    assert export_model.main(ARGS) is None
    assert {p.name: p.read_bytes() for p in (tmp_path / "bundled").iterdir()} == before
    out = capsys.readouterr().out
    assert "below the bundled model's 0.9900 (bundle.replace: if_better_on_validation)" in out
    params = yaml.safe_load((tmp_path / "params.yaml").read_text())
    params["bundle"]["replace"] = "always"
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params))
    assert export_model.main(ARGS)["training"]["best_val_accuracy"] < 0.99
