"""fer-predict: a real face photo in, one CSV row of emotion probabilities per face out; faces are found
and cut by exactly the crop stage's code and params."""

import csv
import shutil

import cv2
import numpy as np
import pytest
import yaml
from skimage import data as skdata

from pipeline.app import predict
from pipeline.app.recognizer import EmotionRecognizer
from pipeline.core.dataset import FaceDataset
from pipeline.core.emotions import FER2013_CLASSES
from pipeline.core.errors import PipelineError
from pipeline.core.params import load, validate
from pipeline.data import crop
from pipeline.data.config import CropKeys
from pipeline.data.demo import draw_face

from .conftest import CLASSES


@pytest.fixture
def params_yaml(tmp_path, demo_params):
    """The committed params.yaml in the test's cwd (fer-predict reads its crop section)."""
    shutil.copy(demo_params, tmp_path / "params.yaml")
    return tmp_path / "params.yaml"


def drawn_face_in_a_frame() -> np.ndarray:
    """A demo-generator face (96 px) off-centre in a larger frame of its background grey."""
    identity = {"background": 60, "skin": 200, "ink": 30, "width": 0.35, "eye_gap": 0.14, "mouth": 0.12,
                "noise": 4}
    frame = np.full((205, 223), 60, np.uint8)
    frame[20:116, 40:136] = draw_face("happy", 1.0, identity, 96, np.random.default_rng(0))
    return frame


def astronaut_photo() -> np.ndarray:
    return cv2.cvtColor(skdata.astronaut(), cv2.COLOR_RGB2GRAY)


def test_predict_on_a_real_face_photo(tmp_path, model_path, params_yaml):
    photos = tmp_path / "photos"
    (photos / "sub").mkdir(parents=True)
    cv2.imwrite(str(photos / "astronaut.jpg"), cv2.cvtColor(skdata.astronaut(), cv2.COLOR_RGB2BGR))
    cv2.imwrite(str(photos / "sub" / "gray.png"), cv2.cvtColor(skdata.astronaut(), cv2.COLOR_RGB2GRAY))
    (photos / "broken.png").write_bytes(b"\x89PNG not really")
    out = tmp_path / "pred.csv"
    summary = predict.predict_folder(photos, model_path, out, annotate_dir=tmp_path / "ann")
    assert summary["unreadable"] == [str(photos / "broken.png")]  # skipped and listed, not fatal
    assert summary["images"] == 2 and summary["faces"] >= 2
    rows = list(csv.DictReader(out.open()))
    assert {r["file"] for r in rows} == {"astronaut.jpg", "sub/gray.png"}
    face = next(r for r in rows if r["file"] == "astronaut.jpg" and r["face"] == "0")
    x1, y1, x2, y2 = (int(face[k]) for k in ("x1", "y1", "x2", "y2"))
    assert 150 < (x1 + x2) / 2 < 300 and 50 < (y1 + y2) / 2 < 200  # her face, not the suit or the flag
    probs = np.array([float(face[c]) for c in CLASSES])
    assert probs.sum() == pytest.approx(1.0, abs=1e-3) and face["emotion"] == CLASSES[int(probs.argmax())]
    assert (tmp_path / "ann" / "astronaut_jpg.jpg").is_file()  # the source suffix stays in the name
    for row in rows:  # every face lies in the photo (none from the reflected detection border)
        cx, cy = (int(row["x1"]) + int(row["x2"])) / 2, (int(row["y1"]) + int(row["y2"])) / 2
        assert 0 <= cx < 512 and 0 <= cy < 512


def test_one_detector_from_the_command_line(tmp_path, model_path, params_yaml):
    """--detector haar: only Haar, with the crop section's Haar settings (a tight face crop here)."""
    (tmp_path / "photos").mkdir()
    tight = cv2.resize(astronaut_photo()[40:190, 135:285], (48, 48), interpolation=cv2.INTER_AREA)
    cv2.imwrite(str(tmp_path / "photos/tight.png"), tight)
    predict.main([str(tmp_path / "photos"), "--model", str(model_path), "--out", "p.csv",
                  "--detector", "haar"])
    rows = list(csv.DictReader((tmp_path / "p.csv").open()))
    assert len(rows) == 1 and float(rows[0]["detector_score"]) == 1.0  # a Haar box, not a passthrough


@pytest.mark.parametrize("photo", [drawn_face_in_a_frame, astronaut_photo])
def test_predict_cuts_faces_exactly_as_the_crop_stage(tmp_path, params_yaml, model_path, photo):
    """The same photo through the crop stage (canonical npz -> data/cropped) and through fer-predict's
    path (image file -> faces): the same face, the same pixels."""
    image = photo()
    FaceDataset(images=image[None], labels=[3], classes=FER2013_CLASSES, split=["train"], ids=["photo"],
                source="rafd").save("data/canonical/rafd.npz")
    crop.main(["data/canonical", "data/cropped", "reports/crop"])
    staged = FaceDataset.load("data/cropped/rafd.npz")
    assert staged.extra["crop_outcome"][0] in ("mtcnn", "haar")  # a detection, not a passthrough
    cv2.imwrite(str(tmp_path / "photo.png"), image)
    rec = EmotionRecognizer(model_path)  # what predict_folder runs: params.yaml's crop section here
    assert rec.crop == load(CropKeys, "crop")
    [(boxes, crops)] = rec.detect([cv2.imread(str(tmp_path / "photo.png"), cv2.IMREAD_GRAYSCALE)])
    assert crops.shape[1:] == (48, 48) and np.array_equal(crops[0], staged.images[0])
    assert not np.array_equal(crops[0], rec.cropper.whole(image))  # the face was cut out, not the whole frame


def test_model_and_crop_size_must_agree(tmp_path, model_path, params_yaml):
    (tmp_path / "photos").mkdir()
    cv2.imwrite(str(tmp_path / "photos/a.png"), astronaut_photo())
    crop64 = validate(CropKeys, {**yaml.safe_load(params_yaml.read_text())["crop"], "size": 64}, "crop")
    with pytest.raises(PipelineError, match="crop.size is 64"):
        predict.predict_folder(tmp_path / "photos", model_path, tmp_path / "x.csv", crop=crop64)


def test_predict_cli_errors_are_one_line(tmp_path, model_path, capsys):
    with pytest.raises(SystemExit) as exc:
        predict.main([str(tmp_path / "missing"), "--model", str(model_path)])
    assert exc.value.code == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("error:") and "missing" in err and "\n" not in err
    (tmp_path / "empty").mkdir()
    with pytest.raises(PipelineError, match="no image or video files"):
        predict.predict_folder(tmp_path / "empty", model_path, tmp_path / "x.csv")


def test_fast_from_the_command_line(tmp_path, carried_model):
    (tmp_path / "photos").mkdir()
    cv2.imwrite(str(tmp_path / "photos/a.jpg"), cv2.cvtColor(skdata.astronaut(), cv2.COLOR_RGB2BGR))
    predict.main([str(tmp_path / "photos"), "--model", str(carried_model), "--out", "p.csv", "--fast"])
    rows = list(csv.DictReader((tmp_path / "p.csv").open()))
    x1, y1, x2, y2 = (int(rows[0][k]) for k in ("x1", "y1", "x2", "y2"))
    assert 150 < (x1 + x2) / 2 < 300 and 50 < (y1 + y2) / 2 < 200  # her face, in the photo's pixels
