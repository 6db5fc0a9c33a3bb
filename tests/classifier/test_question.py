"""The thesis question: arms train on the same split with classical augmentation, pair by seed, and the
table's interval comes from a paired bootstrap over the test faces."""

import json

import numpy as np
import pytest
import yaml

from pipeline.classifier import question, question_table, train_question
from pipeline.classifier.config import QuestionKeys
from pipeline.core.errors import PipelineError

from .helpers import TINY

Q = {
    "arms": ["classical", "smote"],
    "gan_arms": ["gan_fill", "gan_half"],
    "baseline": "classical",
    "seeds": 2,
    "epochs": 1,
    "bootstrap": 300,
    "confidence": 0.95,
    "focus_class": "disgust",
}
CLASSES = ["angry", "disgust", "happy"]


def keys(**changes):
    return QuestionKeys.model_validate({**Q, **changes})


def test_a_better_arm_gets_an_interval_above_zero_and_a_copy_one_around_zero():
    rng = np.random.default_rng(1)
    labels = rng.integers(0, 3, 600)

    def noisy(p_right):
        return np.array(
            [np.where(rng.random(600) < p_right, labels, rng.integers(0, 3, 600)) for _ in range(3)]
        )

    base = noisy(0.5)
    r = question.compare(
        labels, {"classical": base, "better": noisy(0.8), "same": base.copy()}, CLASSES, keys()
    )
    better, same = r["arms"]["better"]["change"], r["arms"]["same"]["change"]
    assert better["accuracy"]["interval"][0] > 0.15 and question.verdict(better["macro_f1"]).startswith(
        "better"
    )
    assert same["accuracy"]["delta"] == 0 and same["accuracy"]["interval"] == [0.0, 0.0]
    assert "change" not in r["arms"]["classical"] and r["seeds"] == 3 and r["n_test"] == 600
    acc = np.mean(base[0] == labels)
    assert r["arms"]["classical"]["accuracy"]["seeds"][0] == pytest.approx(acc)
    recall = np.mean(base[0][labels == 1] == 1)
    assert r["arms"]["classical"]["focus_recall"]["seeds"][0] == pytest.approx(recall)


def test_bootstrap_macro_f1_matches_sklearn_on_the_whole_set():
    from sklearn.metrics import f1_score

    rng = np.random.default_rng(0)
    labels, pred = rng.integers(0, 4, 300), rng.integers(0, 4, 300)
    cm = question.confusions(labels, pred[None], 4, np.arange(300)[None])[0, 0]
    assert question._scores(cm, 1)[1] == pytest.approx(f1_score(labels, pred, average="macro"))


def test_gan_half_keeps_half_of_each_class_and_gan_fill_all(workdir, demo_dataset):
    from pipeline.classifier.rows import load_generated

    rows = load_generated(workdir / "data/synthetic/dataset.npz", demo_dataset, "gan")
    half = question.arm_rows("gan_half", rows, 0)
    assert question.arm_rows("gan_fill", rows, 0) is rows
    for c in np.unique(rows.labels):
        assert np.sum(half.labels == c) == round(0.5 * np.sum(rows.labels == c))


def args(arm, *extra):
    return [
        arm,
        "--dataset",
        "data/balanced/dataset.npz",
        *extra,
        "--models",
        f"models/question/demo/{arm}",
        "--live",
        f"reports/question/demo/{arm}/live",
        "--checkpoints",
        f"checkpoints/question/{arm}",
    ]


def test_arms_train_seeds_on_one_split_and_the_table_compares_them(workdir):
    (workdir / "params.yaml").write_text(
        yaml.safe_dump(
            {
                "cnn": {**TINY, "protocols": ["thesis_random_split"], "classical_in": []},
                "question": Q,
                "distribute": {"strategy": "none"},
            }
        )
    )
    train_question.main(args("classical"))
    train_question.main(args("gan_fill", "--added", "data/synthetic/dataset.npz"))
    manifest = json.loads((workdir / "models/question/demo/classical/manifest.json").read_text())
    assert list(manifest["protocols"]) == ["official"] and manifest["online_classical_augmentation"]
    assert manifest["protocols"]["official"]["seeds"] == [0, 1]
    with pytest.raises(PipelineError, match="--added .* gan arms only"):
        train_question.main(args("smote", "--added", "data/synthetic/dataset.npz"))
    params = yaml.safe_load((workdir / "params.yaml").read_text())
    params["question"] = {**Q, "arms": ["classical"], "gan_arms": ["gan_fill"]}
    (workdir / "params.yaml").write_text(yaml.safe_dump(params))
    (workdir / "reference.json").write_text(json.dumps(
        {"dataset": "demo", "profile": "best", "privatetest": {"accuracy": 0.9},
         "training": {"epochs_run": 80}}))
    out = question_table.main(
        [
            "--models",
            "models/question/demo",
            "--metrics",
            "reports/question/demo/metrics.json",
            "--table",
            "reports/tables/question_demo.md",
            "--reference",
            "reference.json",
        ]
    )
    assert set(out["arms"]) == {"classical", "gan_fill"} and out["seeds"] == 2
    ref = out["reference"]
    assert ref["gap_points"] == pytest.approx(100 * (0.9 - ref["baseline_accuracy"]))
    table = (workdir / "reports/tables/question_demo.md").read_text()
    assert "| classical + GAN (fill to the rebalance target) |" in table and "(baseline)" in table
    assert json.loads((workdir / "reports/question/demo/metrics.json").read_text())["baseline"] == "classical"
    assert "for the best single model (reference.json, profile best, 80 epochs)" in table


def test_a_dataset_without_the_focus_class_has_no_recall_column():
    labels = np.array([0, 2, 2, 0])
    r = question.compare(labels, {"classical": np.array([[0, 2, 2, 2]])}, ["angry", "happy", "sad"], keys())
    assert r["focus_class"] is None and set(r["arms"]["classical"]) == {"accuracy", "macro_f1"}
    assert "| n/a |" in question.table(r, "demo", "split", "training")
    json.dumps(r, allow_nan=False)


def test_a_dataset_scored_by_subject_kfold_is_refused_with_the_key(workdir, demo_dataset):
    from .helpers import held_out_copy

    ds = held_out_copy(demo_dataset)
    ds.split[:] = "train"  # no subjects held out: subject k-fold
    ds.usage[:] = ""
    ds.save(workdir / "data/balanced/dataset.npz")
    (workdir / "params.yaml").write_text(yaml.safe_dump({"cnn": TINY, "question": Q,
                                                         "distribute": {"strategy": "none"}}))
    with pytest.raises(PipelineError, match="cnn.evaluation: .* subject k-fold.*data.subject_holdout.test"):
        train_question.main(args("classical"))
    assert not (workdir / "models/question/demo/classical").exists()
