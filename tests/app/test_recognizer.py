"""EmotionRecognizer: one call per image or batch, any image type, the crop stage's faces, the model's
views."""

import shutil

import cv2
import numpy as np
import pytest
from PIL import Image
from skimage import data as skdata

from pipeline.app import bundle
from pipeline.app.recognizer import EmotionRecognizer, Face
from pipeline.classifier.inference import load_classifier, predict_proba
from pipeline.core.errors import PipelineError
from pipeline.core.params import load
from pipeline.data.config import CropKeys
from pipeline.data.faces import FaceCropper


@pytest.fixture(scope="module")
def rec(carried_model):
    return EmotionRecognizer(carried_model)


@pytest.fixture(scope="module")
def rgb():
    return skdata.astronaut()


def same_faces(a: list[Face], b: list[Face], atol=1e-5):
    assert [f.box for f in a] == [f.box for f in b]
    assert [f.score for f in a] == pytest.approx([f.score for f in b])
    for fa, fb in zip(a, b):
        assert list(fa.probabilities.values()) == pytest.approx(list(fb.probabilities.values()), abs=atol)


def test_one_call_on_every_kind_of_image(rec, rgb, tmp_path):
    """No params.yaml here: the crop params travel in the model's model.json."""
    bgr = cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)
    cv2.imwrite(str(tmp_path / "a.png"), bgr)
    faces = rec.predict(bgr)
    assert faces and isinstance(faces[0], Face)
    x1, y1, x2, y2 = faces[0].box
    assert 150 < (x1 + x2) / 2 < 300 and 50 < (y1 + y2) / 2 < 200  # her face
    assert sum(faces[0].probabilities.values()) == pytest.approx(1.0, abs=1e-4)
    assert faces[0].emotion in rec.classes and 0 < faces[0].score <= 1
    same_faces(rec.predict(rgb, color="rgb"), faces)
    same_faces(rec.predict(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)), faces)
    same_faces(rec.predict(Image.fromarray(rgb)), faces)
    same_faces(rec.predict(str(tmp_path / "a.png")), faces)
    same_faces(rec.predict(tmp_path / "a.png"), faces)
    same_faces(rec.predict((tmp_path / "a.png").read_bytes()), faces)
    same_faces(rec.predict(cv2.cvtColor(bgr, cv2.COLOR_BGR2BGRA)), faces)
    same_faces(rec.predict(bgr.astype(np.float32) / 255.0), faces)
    d = faces[0].to_dict()
    assert set(d) == {"box", "score", "emotion", "probabilities"} and d["emotion"] == faces[0].emotion


def test_batches_give_what_single_calls_give(rec, rgb):
    bgr = cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)
    other = cv2.flip(bgr, 1)
    small = cv2.resize(bgr, (300, 300), interpolation=cv2.INTER_AREA)
    batch = rec.predict([bgr, other, small, np.zeros((64, 64), np.uint8)])
    assert len(batch) == 4 and batch[3] == []  # a blank square: no face, no passthrough
    for got, image in zip(batch[:3], (bgr, other, small)):
        same_faces(got, rec.predict(image))
    assert len(rec.predict(np.stack([bgr, other]))) == 2  # (N, H, W, C) is a batch


def test_batched_detection_is_the_crop_stage_chain_image_by_image(rec, rgb):
    """Same-size images go through FaceCropper.detect together (as the crop stage runs them); each gets
    the boxes and crops FaceCropper.faces gives it alone."""
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    images = [gray, cv2.flip(gray, 1), np.roll(gray, 40, axis=1)]
    alone = FaceCropper(rec.crop)
    for (boxes, crops), image in zip(rec.detect(images), images):
        ref_boxes, ref_crops = alone.faces(image)
        assert np.allclose(boxes, ref_boxes) and np.array_equal(crops, ref_crops)


def test_probabilities_are_the_evaluation_views(rec, carried_model, rgb):
    """Ten-crop of 40x40 windows of the 48x48 faces, as predict_proba (evaluate_classifier) scores."""
    assert len(rec.view_list) == 10 and rec.input_size == 40
    faces = np.random.default_rng(0).integers(0, 256, (5, 48, 48), dtype=np.uint8)
    model, info = load_classifier(carried_model)
    ref = predict_proba(model, faces, flip=info["tta_flip"], crops=info["tta_crops"])
    assert np.allclose(rec.probabilities(faces), ref, atol=1e-5)
    centre = EmotionRecognizer(carried_model, views="centre")
    assert len(centre.view_list) == 1
    assert np.allclose(centre.probabilities(faces), predict_proba(model, faces), atol=1e-5)
    assert len(EmotionRecognizer(carried_model, views="flip").view_list) == 2


def test_large_photos_are_searched_on_a_smaller_copy(carried_model, rgb):
    """A 1024 px photo with detect_side 512: the face is found on the 512 px copy, its box is given in the
    photo's pixels and the face is cut from the full-size photo."""
    big = cv2.resize(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY), (1024, 1024), interpolation=cv2.INTER_CUBIC)
    rec = EmotionRecognizer(carried_model, detect_side=512)
    [(boxes, crops)] = rec.detect([big])
    small_boxes, _ = FaceCropper(rec.crop).faces(cv2.resize(big, (512, 512), interpolation=cv2.INTER_AREA))
    assert np.allclose(np.asarray(boxes)[:, :4], np.asarray(small_boxes)[:, :4] * 2)
    assert np.array_equal(crops[0], rec.cropper.cut(big, boxes[0]))
    x1, y1, x2, y2 = boxes[0][:4]
    assert 300 < (x1 + x2) / 2 < 600 and 100 < (y1 + y2) / 2 < 400


def test_one_detector_and_the_chain(carried_model):
    assert EmotionRecognizer(carried_model).crop.detectors == ["mtcnn", "haar"]
    assert EmotionRecognizer(carried_model, detector="haar").crop.detectors == ["haar"]


def test_without_a_bundled_model_one_clear_line(tmp_path, monkeypatch):
    monkeypatch.setattr(bundle, "BUNDLED", tmp_path / "bundled")
    with pytest.raises(PipelineError) as exc:
        EmotionRecognizer()
    assert "no bundled model" in str(exc.value) and "\n" not in str(exc.value)


def test_a_model_without_crop_params_reads_params_yaml(model_path, tmp_path, demo_params):
    with pytest.raises(PipelineError, match="no crop section.*params.yaml.*missing"):
        EmotionRecognizer(model_path)
    shutil.copy(demo_params, tmp_path / "params.yaml")
    assert EmotionRecognizer(model_path).crop == load(CropKeys, "crop")


@pytest.mark.parametrize("image, message", [
    (np.zeros((4, 4, 2), np.uint8), "must be"), (np.zeros((0, 3), np.uint8), "empty"),
    (b"not an image", "decode"), ("missing.jpg", "not a readable image"), (3.5, "not an image")])
def test_bad_images_fail_with_one_line(rec, image, message):
    with pytest.raises(PipelineError, match=message):
        rec.predict(image)


def test_bad_options(carried_model, rec, rgb):
    with pytest.raises(PipelineError, match="views"):
        EmotionRecognizer(carried_model, views="all")
    with pytest.raises(PipelineError, match="detector"):
        EmotionRecognizer(carried_model, detector="yolo")
    with pytest.raises(PipelineError, match="color"):
        rec.predict(rgb, color="hsv")


def test_fast_keeps_the_border_for_tight_crops_only(carried_model, rgb):
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    tight = cv2.resize(gray[40:190, 135:285], (48, 48), interpolation=cv2.INTER_AREA)
    fast, exact = EmotionRecognizer(carried_model, fast=True), EmotionRecognizer(carried_model)
    assert (len(fast.view_list), fast.detect_side, fast.photo_cropper.cfg.pad) == (1, 256, 0.0)
    assert fast.cropper.cfg.pad == exact.crop.pad == 0.25 and exact.photo_cropper is exact.cropper
    [(b_fast, c_fast)], [(b_exact, c_exact)] = fast.detect([tight]), exact.detect([tight])
    assert np.allclose(b_fast, b_exact) and np.array_equal(c_fast, c_exact)  # a tight crop: as the crop stage
    [(boxes, _)] = fast.detect([gray])  # a photo: no border, searched at 256 px
    ref, _ = FaceCropper(exact.crop.model_copy(update={"pad": 0.0})).faces(
        cv2.resize(gray, (256, 256), interpolation=cv2.INTER_AREA))
    assert np.allclose(np.asarray(boxes)[:, :4], np.asarray(ref)[:, :4] * 2)
    assert EmotionRecognizer(carried_model, fast=True, views="flip").view_list == \
        EmotionRecognizer(carried_model, views="flip").view_list
