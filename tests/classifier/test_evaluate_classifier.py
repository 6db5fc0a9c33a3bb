"""Scoring keys change the report, never the trained models."""

import json

import numpy as np
import pytest

from pipeline.classifier import evaluate_classifier, scoring
from pipeline.core.errors import PipelineError

from .helpers import evaluate_args, train_and_evaluate, write_params


def test_tta_rescores_the_same_models(workdir):
    write_params(workdir / "params.yaml", protocols=["official"])
    plain = train_and_evaluate("none")["official"]
    folds = workdir / "models/cnn/folds/none"
    before = {p: p.read_bytes() for p in folds.rglob("*") if p.is_file()}
    write_params(workdir / "params.yaml", protocols=["official"], tta_flip=True, profile="relabelled")
    flipped = evaluate_classifier.main(evaluate_args("none"))
    assert {p: p.read_bytes() for p in folds.rglob("*") if p.is_file()} == before
    assert plain["test_views"] == 1 and flipped["official"]["test_views"] == 2
    assert flipped["profile"] == "relabelled"
    assert flipped["official"]["n_test"] == plain["n_test"] and flipped["official"]["epochs_run"] == 1
    assert json.loads((workdir / "models/cnn/none/model.json").read_text())["tta_flip"] is True


def test_missing_or_leaky_runs_are_refused(workdir, tmp_path):
    with pytest.raises(PipelineError, match="manifest.json: missing"):
        evaluate_classifier.main(evaluate_args("smote"))
    write_params(workdir / "params.yaml", protocols=["official"])
    train_and_evaluate("none")
    rows = workdir / "models/cnn/folds/none/official/rows.npz"
    data = dict(np.load(rows))
    data["test_synthetic"][0] = True
    np.savez(rows, **data)
    with pytest.raises(PipelineError, match="synthetic rows in val/test"):
        scoring.evaluate(workdir / "models/cnn/folds/none", scoring.EvalKeys(profile="x", tta_flip=False,
                                                                             tta_crops=False), tmp_path / "c")


def test_subject_kfold_is_scored_beside_official_and_official_stays_published(workdir):
    write_params(workdir / "params.yaml", protocols=["official", "subject_kfold"])
    metrics = train_and_evaluate("none")
    kfold = metrics["subject_kfold"]
    assert kfold["folds"] == 3 and "subject-independent 3-fold" in kfold["evaluation"]
    assert set(metrics["headline"]) >= {"official", "subject_kfold"}
    assert json.loads((workdir / "models/cnn/none/model.json").read_text())["protocol"] == "official"
