"""fer-predict rows of the fault table: non-image files are listed, annotated copies keep the source
suffix (same-stem photos never overwrite each other), a failure writes nothing."""

import csv
import shutil
from pathlib import Path

import cv2
import pytest
from skimage import data as skdata

from pipeline.app import predict
from pipeline.app.recognizer import EmotionRecognizer


@pytest.fixture
def photos(tmp_path, demo_params):
    """grace.jpg and grace.png (different photos, same stem), a text file and a nested README."""
    shutil.copy(demo_params, tmp_path / "params.yaml")
    folder = tmp_path / "photos"
    (folder / "sub").mkdir(parents=True)
    bgr = cv2.cvtColor(skdata.astronaut(), cv2.COLOR_RGB2BGR)
    cv2.imwrite(str(folder / "grace.jpg"), bgr)
    cv2.imwrite(str(folder / "grace.png"), cv2.flip(bgr, 1))
    (folder / "notes.txt").write_text("taken in 1999")
    (folder / "sub/README.md").write_text("x")
    return folder


def run(photos, model_path, *extra):
    predict.main([str(photos), "--model", str(model_path), "--out", "pred.csv",
                  "--annotate", str(photos / "annotated"), *extra])


def test_non_images_are_listed_and_same_stem_photos_get_their_own_copies(photos, model_path, capsys):
    run(photos, model_path)
    err = capsys.readouterr().err
    assert (f"skipped 2 file(s) that are not images or videos (not {' '.join(sorted(predict.MEDIA))}): "
            f"{photos / 'notes.txt'}, {photos / 'sub/README.md'}") in err.splitlines()
    assert sorted(p.name for p in (photos / "annotated").iterdir()) == ["grace_jpg.jpg", "grace_png.jpg"]
    a, b = (cv2.imread(str(photos / "annotated" / n)) for n in ("grace_jpg.jpg", "grace_png.jpg"))
    assert a.shape == b.shape and (a != b).any()  # each the copy of its own photo
    assert {r["file"] for r in csv.DictReader(open("pred.csv"))} == {"grace.jpg", "grace.png"}
    run(photos, model_path)  # the annotated folder inside the photos is not read as photos next time
    assert {r["file"] for r in csv.DictReader(open("pred.csv"))} == {"grace.jpg", "grace.png"}
    assert "annotated" not in capsys.readouterr().err


def test_annotated_names_are_unique():
    names = predict.annotated_names([Path("grace.jpg"), Path("grace.png"), Path("Grace.jpg"),
                                     Path("a/grace.jpg"), Path("grace.jpg.png")])
    assert {str(k): str(v) for k, v in names.items()} == {
        "grace.jpg": "grace_jpg.jpg", "grace.png": "grace_png.jpg", "Grace.jpg": "Grace_jpg-2.jpg",
        "a/grace.jpg": "a/grace_jpg.jpg", "grace.jpg.png": "grace.jpg_png.jpg"}


def test_a_failure_midway_writes_nothing(photos, model_path, capsys, monkeypatch):
    Path("pred.csv").write_text("the previous predictions\n")
    (photos / "annotated").mkdir()
    (photos / "annotated/mine.txt").write_text("kept")
    calls, real = [], EmotionRecognizer.probabilities

    def failing(self, faces):  # the first photo goes through, the second fails
        calls.append(len(faces))
        if len(calls) > 1:
            raise ValueError("the model broke")
        return real(self, faces)

    monkeypatch.setattr(EmotionRecognizer, "probabilities", failing)
    monkeypatch.setattr(predict, "CHUNK", 1)  # one photo per forward pass
    with pytest.raises(SystemExit) as exc:
        run(photos, model_path, "--batch", "1")
    assert exc.value.code == 1 and len(calls) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1] == "error: fer-predict: ValueError: the model broke (rerun with --debug for the traceback)"
    assert Path("pred.csv").read_text() == "the previous predictions\n"
    assert [p.name for p in (photos / "annotated").iterdir()] == ["mine.txt"]
    assert not list(Path(".").rglob(".*.tmp")) and not list(photos.rglob(".*.tmp"))


def test_a_broken_model_json_is_one_error_line(photos, model_path, tmp_path, capsys):
    broken = tmp_path / "broken"
    shutil.copytree(model_path.parent, broken)
    (broken / "model.json").write_text('{"classes": ["a"]')
    with pytest.raises(SystemExit) as exc:
        predict.main([str(photos), "--model", str(broken / "model.keras")])
    assert exc.value.code == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"error: {broken / 'model.json'}: not a model description with classes and image_size "
                   "(JSONDecodeError: Expecting ',' delimiter: line 1 column 18 (char 17))"]
