"""crop: a real face photo and a tight 48x48 crop of it survive; outcomes are counted; no-face input fails."""

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
import yaml
from skimage import data as skdata

from pipeline.core.dataset import FaceDataset
from pipeline.core.emotions import FER2013_CLASSES
from pipeline.core.errors import PipelineError
from pipeline.core.params import validate
from pipeline.core.profiles import compose
from pipeline.data import crop, detect_faces
from pipeline.data.config import CropKeys
from pipeline.data.faces import FaceCropper

REPO = Path(__file__).resolve().parents[2]
ARGS = ["data/canonical", "data/cropped", "reports/crop"]

# astronaut(): 512x512 photo of Eileen Collins; her face lies around x 160..260, y 50..180.
FACE_BOX_512 = (160, 50, 260, 180)


@pytest.fixture(scope="module")
def astronaut():
    return cv2.cvtColor(skdata.astronaut(), cv2.COLOR_RGB2GRAY)


@pytest.fixture(scope="module")
def photo(astronaut):
    """The whole photo at 256x256 (a face in a scene)."""
    return cv2.resize(astronaut, (256, 256), interpolation=cv2.INTER_AREA)


@pytest.fixture(scope="module")
def tight(astronaut):
    """A tight 48x48 crop of the face, like a FER-2013 or CK+48 image."""
    return cv2.resize(astronaut[40:190, 135:285], (48, 48), interpolation=cv2.INTER_AREA)


def dataset(images, labels, source="test", ids=None) -> FaceDataset:
    n = len(images)
    return FaceDataset(images=np.stack(images), labels=labels, classes=FER2013_CLASSES, split=["train"] * n,
                       ids=ids or [f"img{i}" for i in range(n)], source=source)


def params(**over) -> dict:
    """The committed crop section plus `over`."""
    return {**compose("demo")["crop"], **over}


def cropper(**over) -> FaceCropper:
    return FaceCropper(validate(CropKeys, params(**over), "crop"))


def test_face_in_a_photo_is_found_and_cut_out(photo):
    out, outcome = cropper().crop_dataset(dataset([photo], [3]), "photo")
    assert outcome.tolist() == ["mtcnn"]
    assert out.images.shape == (1, 48, 48)
    assert out.extra["crop_outcome"].tolist() == ["mtcnn"]
    # the crop is the face, not the whole scene: it matches the known face region far better
    x1, y1, x2, y2 = (v // 2 for v in FACE_BOX_512)
    face_only = cv2.resize(photo[y1:y2, x1:x2], (48, 48)).astype(float)
    whole = cv2.resize(photo, (48, 48)).astype(float)
    assert np.corrcoef(out.images[0].ravel(), face_only.ravel())[0, 1] > \
        np.corrcoef(out.images[0].ravel(), whole.ravel())[0, 1]


def test_tight_48px_crop_survives_and_blank_is_rejected(tight):
    blank = np.full((48, 48), 128, np.uint8)
    out, outcome = cropper(size=64).crop_dataset(dataset([tight, blank], [0, 1]), "tight")
    assert outcome[0] in ("mtcnn", "haar") and outcome[1] == "rejected"
    assert out.images.shape == (1, 64, 64) and out.ids.tolist() == ["img0"]


def test_haar_fallback_and_passthrough(tight):
    only_haar = cropper(detectors=["haar"])
    _, outcome = only_haar.crop_dataset(dataset([tight], [0]), "tight")
    assert outcome.tolist() == ["haar"]  # padding lets Haar see the face in a tight crop
    no_detector = cropper(detectors=[])
    out, outcome = no_detector.crop_dataset(dataset([tight], [0]), "tight")
    assert outcome.tolist() == ["passthrough"] and np.array_equal(out.images[0], tight)


def test_stage_writes_cropped_data_and_outcomes_per_class(tmp_path, photo, tight, demo_dataset):
    (tmp_path / "params.yaml").write_text(yaml.safe_dump({"crop": params()}))
    small = cv2.resize(photo, (128, 128), interpolation=cv2.INTER_AREA)
    dataset([small, small[:, ::-1]], [3, 5], source="rafd").save("data/canonical/rafd.npz")
    demo_dataset.subset(np.arange(12)).save("data/canonical/demo.npz")
    crop.main(ARGS)
    rafd = FaceDataset.load("data/cropped/rafd.npz")
    assert rafd.images.shape == (2, 48, 48) and rafd.ids.tolist() == ["img0", "img1"]
    report = json.loads(Path("reports/crop/outcomes.json").read_text())
    by_class = report["datasets"]["rafd"]["by_class"]
    assert sum(by_class["mtcnn"].values()) + sum(by_class["haar"].values()) == 2
    assert by_class["mtcnn"]["happy"] + by_class["haar"]["happy"] == 1
    demo = FaceDataset.load("data/cropped/demo.npz")
    totals = report["datasets"]["demo"]["totals"]
    assert len(demo) == 12 - totals["rejected"] and totals["mtcnn"] + totals["haar"] > 0
    assert demo.subject.tolist() == demo_dataset.subject[np.isin(demo_dataset.ids, demo.ids)].tolist()


def test_no_face_in_any_image_fails_without_output(tmp_path):
    (tmp_path / "params.yaml").write_text(yaml.safe_dump({"crop": params()}))
    noise = [np.random.default_rng(i).integers(0, 256, (48, 48), dtype=np.uint8) for i in range(3)]
    dataset(noise, [0, 1, 2], source="fer2013").save("data/canonical/fer2013.npz")
    with pytest.raises(PipelineError, match="no face found in any") as err:
        crop.main(ARGS)
    assert "data/canonical/fer2013.npz" in str(err.value)
    assert not Path("data/cropped").exists() and not Path("reports/crop").exists()


@pytest.mark.parametrize("bad, key", [
    ({"detectors": ["mtcnn", "dlib"]}, "crop.detectors"),
    ({"passthrough": "maybe"}, "crop.passthrough"),
    ({"size": 4}, "crop.size"),
    ({"haar": {"scale_factor": 1.1, "min_neighbors": 3}}, "crop.haar.min_size"),
])
def test_unknown_param_value(tmp_path, bad, key):
    (tmp_path / "params.yaml").write_text(yaml.safe_dump({"crop": params(**bad)}))
    with pytest.raises(PipelineError, match=key) as err:
        crop.main(ARGS)
    assert str(err.value).startswith("params.yaml: ")


def test_missing_canonical_data(tmp_path):
    (tmp_path / "params.yaml").write_text(yaml.safe_dump({"crop": params()}))
    with pytest.raises(PipelineError, match="data/canonical"):
        crop.main(ARGS)


def test_windows_found_by_detect_faces_give_the_one_step_crops(tmp_path, photo, tight):
    """dvc.yaml's two steps (detect_faces, then crop --faces) write what crop alone writes; the
    windows file holds no pixels and rejects a canonical dataset it was not found on."""
    (tmp_path / "params.yaml").write_text(yaml.safe_dump({"crop": params()}))
    blank = np.full((48, 48), 128, np.uint8)
    dataset([tight, blank, tight[:, ::-1]], [0, 1, 2], source="fer2013").save("data/canonical/fer2013.npz")
    crop.main(ARGS)
    one_step = Path("data/cropped/fer2013.npz").read_bytes()
    detect_faces.main(["data/canonical", "data/faces"])
    with np.load("data/faces/fer2013.npz") as z:
        assert sorted(z.files) == ["images_md5", "outcome", "seconds", "window"]
        assert z["outcome"].tolist()[1] == "rejected" and z["window"][1].tolist() == [0, 0, 0]
    crop.main([*ARGS, "--faces", "data/faces"])
    assert Path("data/cropped/fer2013.npz").read_bytes() == one_step
    dataset([tight, tight, tight], [0, 1, 2], source="fer2013").save("data/canonical/fer2013.npz")
    with pytest.raises(PipelineError, match="found on other images than the canonical fer2013") as err:
        crop.main([*ARGS, "--faces", "data/faces"])
    assert str(err.value).startswith("data/faces/fer2013.npz: ")
    Path("data/faces/fer2013.npz").unlink()
    with pytest.raises(PipelineError, match="data/faces/fer2013.npz: face windows not found"):
        crop.main([*ARGS, "--faces", "data/faces"])
