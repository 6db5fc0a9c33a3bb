"""fer-predict: a real face photo in, one CSV row of emotion probabilities per face out."""

import csv
import json

import cv2
import numpy as np
import pytest
from skimage import data as skdata

from pipeline import predict
from pipeline.core import classifier as clf
from pipeline.core.errors import PipelineError

CLASSES = ["angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"]


@pytest.fixture(scope="module")
def model_path(tmp_path_factory):
    """An untrained tiny CNN with its model.json: enough to check the plumbing, not the accuracy."""
    folder = tmp_path_factory.mktemp("model")
    cfg = clf.ClassifierConfig(widths=[4], convs_per_block=1, dense=8)
    clf.build_classifier(len(CLASSES), 48, cfg).save(folder / "model.keras")
    (folder / "model.json").write_text(json.dumps({"classes": CLASSES, "image_size": 48}))
    return folder / "model.keras"


def test_predict_on_a_real_face_photo(tmp_path, model_path):
    photos = tmp_path / "photos"
    (photos / "sub").mkdir(parents=True)
    cv2.imwrite(str(photos / "astronaut.jpg"), cv2.cvtColor(skdata.astronaut(), cv2.COLOR_RGB2BGR))
    cv2.imwrite(str(photos / "sub" / "gray.png"), cv2.cvtColor(skdata.astronaut(), cv2.COLOR_RGB2GRAY))
    (photos / "broken.png").write_bytes(b"\x89PNG not really")
    out = tmp_path / "pred.csv"
    summary = predict.predict_folder(photos, model_path, out, annotate_dir=tmp_path / "ann", detector="haar")
    assert summary["unreadable"] == [str(photos / "broken.png")]  # skipped and listed, not fatal
    assert summary["images"] == 2 and summary["faces"] >= 2
    rows = list(csv.DictReader(out.open()))
    assert {r["file"] for r in rows} == {"astronaut.jpg", "sub/gray.png"}
    face = next(r for r in rows if r["file"] == "astronaut.jpg" and r["face"] == "0")
    x1, y1, x2, y2 = (int(face[k]) for k in ("x1", "y1", "x2", "y2"))
    assert 150 < (x1 + x2) / 2 < 300 and 50 < (y1 + y2) / 2 < 200  # her face, not the suit or the flag
    probs = np.array([float(face[c]) for c in CLASSES])
    assert probs.sum() == pytest.approx(1.0, abs=1e-3) and face["emotion"] == CLASSES[int(probs.argmax())]
    assert (tmp_path / "ann" / "astronaut.jpg").is_file()


def test_predict_cli_errors_are_one_line(tmp_path, model_path, capsys):
    with pytest.raises(SystemExit) as exc:
        predict.main([str(tmp_path / "missing"), "--model", str(model_path)])
    assert exc.value.code == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("error:") and "missing" in err and "\n" not in err
    (tmp_path / "empty").mkdir()
    with pytest.raises(PipelineError, match="no image files"):
        predict.predict_folder(tmp_path / "empty", model_path, tmp_path / "x.csv")
