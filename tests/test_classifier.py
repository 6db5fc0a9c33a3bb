"""CNN stage: a tiny config trains; augmented rows never reach val/test (except, labelled, under the
thesis protocol); metrics are right on known predictions; training resumes after a kill."""

import json

import numpy as np
import pytest
import yaml

from pipeline import thesis_table, train_classifier as tc
from pipeline.core import classifier as clf
from pipeline.core.dataset import FaceDataset
from pipeline.core.errors import PipelineError
from pipeline.core.metrics import classification_metrics, mean_std

TINY = {"profile": "test", "dataset": "data/balanced/dataset.npz", "modes": list(tc.TRAINED_MODES),
        "protocols": ["official", "thesis_random_split"], "evaluation": "auto", "folds": 3,
        "classical_in": ["classical"], "widths": [4], "convs_per_block": 1, "dense": 8, "dropout": 0.1,
        "epochs": 1, "batch": 64, "lr": 0.01, "patience": 2, "seed": 0, "precision": "float32", "verbose": 0}


def synthetic_rows(ds: FaceDataset, n: int = 20, prefix: str = "gan") -> FaceDataset:
    """Stand-in for the GAN stage's output: noisy copies of training images, fresh ids."""
    train = ds.of_split("train")
    rng = np.random.default_rng(0)
    pick = rng.choice(len(train), n)
    images = np.clip(train.images[pick] + rng.normal(0, 10, train.images[pick].shape), 0, 255)
    return FaceDataset(images=images.astype(np.uint8), labels=train.labels[pick], classes=ds.classes,
                       split=["train"] * n, ids=[f"{prefix}/{i}" for i in range(n)], source=ds.source,
                       synthetic=np.ones(n, bool))


def transferred_rows(ds: FaceDataset) -> FaceDataset:
    """Stand-in for augment_transfer: one face per (identity, donor) pair, some donors held out."""
    out = synthetic_rows(ds, n=len(ds), prefix="transfer")
    out.images = ds.images.copy()
    out.labels = ds.labels.copy()
    out.subject = ds.subject.copy()  # identity: every subject, val/test ones included
    out.extra = {"source_subject": np.roll(ds.subject, 7)}
    return out


@pytest.fixture()
def workdir(tmp_path, monkeypatch, demo_dataset):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "params.yaml").write_text(yaml.safe_dump({"cnn": TINY}))
    demo_dataset.save(tmp_path / "data/balanced/dataset.npz")
    synthetic_rows(demo_dataset).save(tmp_path / "data/synthetic/dataset.npz")
    return tmp_path


def test_tiny_config_trains_and_reports(workdir):
    metrics = tc.run("smote", workdir / "data/balanced/dataset.npz")
    report = json.loads((workdir / "reports/cnn/smote/metrics.json").read_text())
    assert report["dataset"] == "demo" and report["profile"] == "test"
    off, th = report["official"], report["thesis_random_split"]
    assert off["leaks_synthetic_into_test"] is False and th["leaks_synthetic_into_test"] is True
    assert "LEAK" in th["evaluation"].upper()
    for block in (off, th):
        assert 0 <= block["accuracy"] <= 1 and 0 <= block["macro_f1"] <= 1
        assert set(block["f1"]) == set(block["recall"]) == set(block["roc_auc"]) == set(report["classes"])
    assert report["headline"]["official"]["accuracy"] == off["accuracy"]
    assert off["n_train_added"] > 0
    csv = (workdir / "reports/cnn/smote/confusion_official.csv").read_text().splitlines()
    assert csv[0] == "actual,predicted" and len(csv) == off["n_test"] + 1
    assert (workdir / "reports/cnn/smote/confusion_thesis_random_split.png").stat().st_size > 0
    info = json.loads((workdir / "models/cnn/smote/model.json").read_text())
    assert info["classes"] == report["classes"] and (workdir / "models/cnn/smote/model.keras").is_file()
    # the ids of what was trained and what was scored: no added row in official val/test
    ids = np.load(workdir / "models/cnn/smote/split_ids.npz")
    added = {i for i in ids["official_train"] if i.startswith("smote:")}
    assert added and not added & (set(ids["official_val"]) | set(ids["official_test"]))
    # under the thesis protocol they do land in val/test: that is the leak it is labelled with
    assert any(i.startswith("smote:") for i in ids["thesis_random_split_test"])
    assert metrics["official"]["accuracy"] == off["accuracy"]

    table = thesis_table.build(["none", "smote"], workdir / "reports/cnn")
    assert "63.39%" in table and "LEAKY" in table and "not run" in table


@pytest.mark.parametrize("mode", tc.MODES)
def test_no_added_row_in_val_or_test(mode, demo_dataset, tmp_path):
    synthetic_rows(demo_dataset).save(tmp_path / "syn.npz")
    transferred_rows(demo_dataset).save(tmp_path / "transfer.npz")
    syn = None
    if mode in tc.GENERATED:
        syn = tc.load_generated(tmp_path / ("syn.npz" if mode == "gan" else "transfer.npz"), demo_dataset, mode)
    real_ids = set(demo_dataset.ids)
    params = dict(TINY)
    for evaluation in ("auto", "subject_kfold"):
        params["evaluation"] = evaluation
        if mode in tc.GENERATED and evaluation == "subject_kfold":
            with pytest.raises(PipelineError, match="k-fold"):
                tc.official_folds(demo_dataset, mode, syn, params)
            continue
        _, folds = tc.official_folds(demo_dataset, mode, syn, params)
        assert len(folds) == (1 if evaluation == "auto" else 3)
        for fold in folds:
            added = set(fold.train.ids[fold.train.synthetic])
            held_out = set(fold.val.ids) | set(fold.test.ids)
            assert not added & held_out
            assert held_out <= real_ids and not fold.val.synthetic.any() and not fold.test.synthetic.any()
            assert not set(fold.train.ids) & held_out
            assert len(set(fold.train.ids)) == len(fold.train)  # fresh ids: no collisions
            if mode in ("random_oversample", "smote", "gan", "transfer"):
                assert added
            if mode == "transfer":  # no transferred face shows, or copies the expression of, a held-out subject
                eval_subjects = set(fold.val.subject) | set(fold.test.subject)
                extra = fold.train.synthetic
                assert not (set(fold.train.subject[extra]) | set(fold.train.donor[extra])) & eval_subjects
            if evaluation == "subject_kfold":  # subject-independent
                assert not set(fold.train.subject[~fold.train.synthetic]) & set(fold.test.subject)
                assert not set(fold.val.subject) & set(fold.test.subject)
    description, (fold,) = tc.thesis_folds(demo_dataset, mode, syn, params)
    assert "leaks" in description
    if mode in ("random_oversample", "smote", "gan"):  # the thesis protocol is the one that leaks
        assert fold.test.synthetic.any() or fold.val.synthetic.any()


def test_synthetic_rows_outside_train_are_refused(demo_dataset, tmp_path):
    bad = synthetic_rows(demo_dataset)
    bad.split[:] = "test"
    bad.save(tmp_path / "bad.npz")
    with pytest.raises(PipelineError, match="split='train'"):
        tc.load_generated(tmp_path / "bad.npz", demo_dataset, "gan")


def test_bad_mode_is_one_line_error(workdir):
    with pytest.raises(PipelineError, match="cnn mode"):
        tc.run("mixup", workdir / "data/balanced/dataset.npz")


def test_metrics_on_known_predictions():
    classes = ("a", "b", "c")
    y = np.array([0, 0, 1, 1, 2, 2])
    proba = np.eye(3)[[0, 1, 1, 1, 2, 0]] * 0.8 + 0.1  # predictions 0,1,1,1,2,0
    m = classification_metrics(y, proba, classes)
    assert m["accuracy"] == pytest.approx(4 / 6)
    assert m["precision"] == pytest.approx({"a": 0.5, "b": 2 / 3, "c": 1.0})
    assert m["recall"] == pytest.approx({"a": 0.5, "b": 1.0, "c": 0.5})
    f1 = {"a": 0.5, "b": 0.8, "c": 2 / 3}
    assert m["f1"] == pytest.approx(f1)
    assert m["macro_f1"] == pytest.approx(np.mean(list(f1.values())))
    assert m["roc_auc"]["b"] == pytest.approx(0.875)  # b: 0.9 on both positives and on one negative (a tie)
    assert m["support"] == {"a": 2, "b": 2, "c": 2}
    agg = mean_std([{"accuracy": 0.5, "f1": {"a": 1.0}}, {"accuracy": 0.7, "f1": {"a": 0.0}}])
    assert agg["accuracy"]["mean"] == pytest.approx(0.6) and agg["f1"]["a"]["std"] == pytest.approx(0.5)


def test_training_resumes_after_kill(tmp_path, capsys):
    import keras

    rng = np.random.default_rng(0)
    x, y = rng.integers(0, 255, (32, 16, 16), dtype=np.uint8), rng.integers(0, 3, 32)
    cfg = clf.ClassifierConfig(widths=[4], convs_per_block=1, dense=4, epochs=3, batch=16)
    ds = clf.make_dataset(x, y, 16)

    def build():
        return clf.compile_classifier(clf.build_classifier(3, 16, cfg), cfg, 2)

    class Kill(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                raise KeyboardInterrupt  # after the checkpoint of epoch 2 was written

    with pytest.raises(KeyboardInterrupt):
        clf.ResumableTraining(tmp_path, "fp", patience=5).fit(build, ds, ds, cfg.epochs, verbose=0, callbacks=[Kill()])
    assert json.loads((tmp_path / "state.json").read_text())["epoch"] == 2
    _, state = clf.ResumableTraining(tmp_path, "fp", patience=5).fit(build, ds, ds, cfg.epochs, verbose=0)
    assert "resuming" in capsys.readouterr().out
    assert [h["epoch"] for h in state["history"]] == [1, 2, 3] and state["done"]
    # a different fingerprint (changed config or data) never resumes a stale checkpoint
    assert clf.ResumableTraining(tmp_path, "other", patience=5).load_state() is None


def held_out_copy(ds: FaceDataset) -> FaceDataset:
    """The demo with ingest's subject hold-out instead of FER-style usage (CK+ with data.subject_holdout)."""
    from pipeline.data.holdout import hold_out_subjects

    ds = ds.subset(np.ones(len(ds), bool))  # a copy: the fixture is shared
    ds.usage = np.full(len(ds), "")
    ds.split = np.full(len(ds), "train")
    return hold_out_subjects(ds, 0.0, 0.25, 0)


def test_holdout_evaluation_scores_held_out_subjects_only(demo_dataset, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    ds = held_out_copy(demo_dataset)
    transferred_rows(ds).save(tmp_path / "transfer.npz")
    rows = tc.load_generated(tmp_path / "transfer.npz", ds, "transfer")
    params = dict(TINY)
    assert tc.evaluation_kind(ds, params) == "holdout"
    description, (fold,) = tc.official_folds(ds, "transfer", rows, params)
    assert "hold-out" in description
    test_subjects = set(ds.subject[ds.split == "test"])
    assert set(fold.test.subject) == test_subjects and not set(fold.val.subject) & test_subjects
    real_train = set(fold.train.subject[~fold.train.synthetic])
    assert not real_train & (test_subjects | set(fold.val.subject))
    extra = fold.train.synthetic
    assert extra.any() and not (set(fold.train.subject[extra]) | set(fold.train.donor[extra])) & (
        test_subjects | set(fold.val.subject))
    # a transfer generator that trained on a held-out subject is refused
    (tmp_path / "models/transfer").mkdir(parents=True)
    seen = {s: "train" for s in set(ds.subject)}
    (tmp_path / "models/transfer/split.json").write_text(json.dumps({"subjects": seen}))
    with pytest.raises(PipelineError, match="trained on .* subjects this protocol tests on"):
        tc.official_folds(ds, "transfer", rows, params)
    params["evaluation"] = "subject_kfold"
    _, folds = tc.official_folds(ds, "none", None, params)
    assert len(folds) == params["folds"]


def test_generated_modes_skip_with_a_reason(workdir, demo_dataset):
    ds = held_out_copy(demo_dataset)
    ds.split[:] = "train"  # no hold-out: subject k-fold, where every generator saw the test subjects
    ds.save(workdir / "data/kfold.npz")
    metrics = tc.run("gan", workdir / "data/kfold.npz")
    assert "k-fold" in metrics["skipped"] and "official" not in metrics
    assert json.loads((workdir / "reports/cnn/gan/metrics.json").read_text())["skipped"] == metrics["skipped"]
    other = synthetic_rows(demo_dataset, prefix="transfer")
    other.source = "ckplus"
    other.save(workdir / "data/transfer/dataset.npz")
    metrics = tc.run("transfer", workdir / "data/balanced/dataset.npz")
    assert "ckplus identities" in metrics["skipped"]
    table = thesis_table.build(["none"], workdir / "reports/cnn")
    assert "skipped" in table


def test_generated_mode_in_cnn_modes_is_refused(workdir):
    params = yaml.safe_load((workdir / "params.yaml").read_text())
    params["cnn"]["modes"] = ["none", "gan"]
    (workdir / "params.yaml").write_text(yaml.safe_dump(params))
    with pytest.raises(PipelineError, match="own stage"):
        tc.run("none", workdir / "data/balanced/dataset.npz")


def test_transfer_split_follows_ingest_hold_out(demo_dataset):
    from pipeline.transfer.pairs import dataset_or_own_split

    ds = held_out_copy(demo_dataset)
    split = dataset_or_own_split(ds, 0.5, 0)
    assert {s for s, part in split.items() if part == "test"} == set(ds.subject[ds.split == "test"])
    ds.split[:] = "train"
    own = dataset_or_own_split(ds, 0.5, 0)
    assert sum(v == "test" for v in own.values()) == len(set(ds.subject)) // 2


def test_repeats_train_one_split_with_several_seeds(workdir):
    params = yaml.safe_load((workdir / "params.yaml").read_text())
    params["cnn"].update(repeats=2, protocols=["official"])
    (workdir / "params.yaml").write_text(yaml.safe_dump(params))
    off = tc.run("none", workdir / "data/balanced/dataset.npz")["official"]
    assert off["seeds"] == [0, 1] and off["folds"] == 1 and "2 seeds" in off["evaluation"]
    assert set(off["accuracy"]) == {"mean", "std"} and len(off["fold_accuracy"]) == 2
    assert (workdir / "models/cnn/none/official/official-seed1").is_dir()


def test_rows_digest_sees_new_pixels_under_old_ids(demo_dataset):
    """A retrained GAN writes new images under the same ids: its classifier must not resume old checkpoints."""
    rows = tc.Rows.of(demo_dataset)
    changed = tc.Rows.of(demo_dataset)
    changed.images = changed.images.copy()
    changed.images[0, 0, 0] ^= 1
    assert tc.rows_digest(rows) == tc.rows_digest(tc.Rows.of(demo_dataset))
    assert tc.rows_digest(rows) != tc.rows_digest(changed)


def test_thesis_table_names_the_protocol_behind_each_column():
    def run(evaluation):
        return {"none": {"official": {"evaluation": evaluation}}}

    assert thesis_table.protocol_label(run("FER-2013 official: train = Training")) == "official protocol"
    assert thesis_table.protocol_label(run("subject hold-out: test = the 24 subjects")) == "subject hold-out"
    assert thesis_table.protocol_label(run("subject-independent 10-fold (...)")) == "subject k-fold"
    assert "ours: subject hold-out, accuracy" in thesis_table.main_table(run("subject hold-out: ...") | {}, None)[0]


def test_flip_tta_averages_a_face_and_its_mirror_and_keeps_checkpoints():
    rng = np.random.default_rng(1)
    x = rng.integers(0, 255, (6, 16, 16), dtype=np.uint8)
    cfg = clf.ClassifierConfig(widths=[4], convs_per_block=1, dense=4)
    model = clf.build_classifier(3, 16, cfg)
    plain, mirrored = clf.predict_proba(model, x), clf.predict_proba(model, x[:, :, ::-1])
    np.testing.assert_allclose(clf.predict_proba(model, x, flip=True), (plain + mirrored) / 2, atol=1e-6)
    # the mirror of a symmetric face is itself: TTA changes nothing there
    sym = np.concatenate([x[:, :, :8], x[:, :, :8][:, :, ::-1]], axis=2)
    np.testing.assert_allclose(clf.predict_proba(model, sym, flip=True), clf.predict_proba(model, sym), atol=1e-6)
    # evaluation-only: switching TTA on must not orphan a finished training run's checkpoint
    assert clf.ClassifierConfig(tta_flip=True).fingerprint("m") == clf.ClassifierConfig().fingerprint("m")


def test_random_erasing_blanks_one_rectangle_per_face_and_is_off_by_default():
    x = np.full((8, 24, 24), 128, np.uint8)
    no_geometry = dict(flip=False, shift=0.0, rotation=0.0, zoom=0.0)
    erase_all = clf.classical_augmentation(clf.ClassifierConfig(erasing=1.0, **no_geometry))
    out = np.asarray(erase_all(clf.to_inputs(x), training=True))[..., 0]
    changed = ~np.isclose(out, 128 / 255.0)
    for mask in changed:  # every face loses one axis-aligned rectangle, the rest untouched
        rows, cols = np.flatnonzero(mask.any(1)), np.flatnonzero(mask.any(0))
        assert mask.any() and mask[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1].all()
        assert mask.sum() < mask.size
    assert clf.classical_augmentation(clf.ClassifierConfig(**no_geometry)) is None  # default erasing 0: off
    # a knob added later and left at its default keeps older checkpoints' fingerprint (pinned value)
    assert clf.ClassifierConfig().fingerprint("m") == "800faa5482b7905b"
    assert clf.ClassifierConfig(erasing=0.5).fingerprint("m") != "800faa5482b7905b"


def test_crop_windows_train_on_random_windows_and_score_the_five_crops():
    x = (np.arange(2 * 12 * 12).reshape(2, 12, 12) % 251).astype(np.uint8)
    # training windows are true 8x8 sub-windows of their own face, labels one-hot for label smoothing
    (windows, onehot), = clf.make_dataset(x, np.array([0, 2]), 2, crop=8, random_crop=True, one_hot=3)
    windows = np.rint(np.asarray(windows)[..., 0] * 255).astype(np.uint8)
    for face, window in zip(x, windows):
        assert any(np.array_equal(face[t:t + 8, l:l + 8], window) for t in range(5) for l in range(5))
    np.testing.assert_array_equal(np.asarray(onehot), [[1, 0, 0], [0, 0, 1]])
    # evaluation sees the centre window; tta_crops averages the four corners and the centre
    (centre, _), = clf.make_dataset(x, np.array([0, 2]), 2, crop=8)
    np.testing.assert_array_equal(np.rint(np.asarray(centre)[..., 0] * 255), x[:, 2:10, 2:10])
    model = clf.build_classifier(3, 8, clf.ClassifierConfig(widths=[4], convs_per_block=1, dense=4))
    np.testing.assert_allclose(clf.predict_proba(model, x), clf.predict_proba(model, x[:, 2:10, 2:10]), atol=1e-6)
    five = np.mean([clf.predict_proba(model, x[:, t:t + 8, l:l + 8]) for t, l in
                    [(2, 2), (0, 0), (0, 4), (4, 0), (4, 4)]], axis=0)
    np.testing.assert_allclose(clf.predict_proba(model, x, crops=True), five, atol=1e-6)
    ten = (five + np.mean([clf.predict_proba(model, x[:, t:t + 8, l:l + 8][:, :, ::-1]) for t, l in
                           [(2, 2), (0, 0), (0, 4), (4, 0), (4, 4)]], axis=0)) / 2
    np.testing.assert_allclose(clf.predict_proba(model, x, flip=True, crops=True), ten, atol=1e-6)
    with pytest.raises(PipelineError, match="cnn.crop=20"):
        clf.ClassifierConfig(crop=20).input_size(12)
    # tta_crops is evaluation-only; crop and label smoothing change training; defaults keep the pinned print
    assert clf.ClassifierConfig(tta_crops=True).fingerprint("m") == "800faa5482b7905b"
    assert clf.ClassifierConfig(crop=40).fingerprint("m") != clf.ClassifierConfig(label_smoothing=0.1).fingerprint("m")
    assert "800faa5482b7905b" not in {clf.ClassifierConfig(crop=40).fingerprint("m"),
                                      clf.ClassifierConfig(label_smoothing=0.1).fingerprint("m")}


def test_crop_profile_trains_on_windows_and_reports_its_test_views(workdir):
    import keras

    params = yaml.safe_load((workdir / "params.yaml").read_text())
    size = FaceDataset.load(workdir / "data/balanced/dataset.npz").image_size
    params["cnn"].update(crop=size - 8, label_smoothing=0.1, tta_crops=True, tta_flip=True, protocols=["official"])
    (workdir / "params.yaml").write_text(yaml.safe_dump(params))
    off = tc.run("classical", workdir / "data/balanced/dataset.npz")["official"]
    assert off["input_crop"] == size - 8 and off["test_views"] == 10 and 0 <= off["accuracy"] <= 1
    model = keras.models.load_model(workdir / "models/cnn/classical/model.keras", compile=False)
    assert model.input_shape[1:3] == (size - 8, size - 8)
    assert json.loads((workdir / "models/cnn/classical/model.json").read_text())["tta_crops"] is True
