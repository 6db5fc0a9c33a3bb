"""benchmarks/bench_predict.py's bookkeeping (the benchmark itself runs by hand): the CK+ file list, the
folder it builds, and how a system's answers are scored."""

import importlib.util
from pathlib import Path

import cv2
import numpy as np
import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_predict.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_predict", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_ckplus_files_keep_the_six_shared_classes(bench, tmp_path):
    for folder in ("anger", "contempt", "sadness", "happy"):
        (tmp_path / folder).mkdir()
        cv2.imwrite(str(tmp_path / folder / "S001_001_01.png"), np.zeros((48, 48), np.uint8))
    files = bench.ckplus_files(tmp_path)
    assert sorted(label for _, label in files) == ["angry", "happy", "sad"]  # no contempt
    assert len(bench.ckplus_files(tmp_path, limit=2)) == 2


def test_the_folder_and_its_scoring(bench, tmp_path):
    rng = np.random.default_rng(0)
    faces = [(np.full((48, 48), 128, np.uint8), "happy"), (np.full((48, 48), 90, np.uint8), "sad")]
    truth = bench.make_folder(tmp_path, faces, rng)
    frames = sorted(n for n in truth if n.startswith("frame"))
    assert len(frames) == 2 and len(truth) == 2 + 9  # 3 real photos at 3 sizes
    assert cv2.imread(str(tmp_path / frames[0])).shape == (480, 640, 3)
    box = truth[frames[0]]["box"]
    results = {n: [] for n in truth}
    results[frames[0]] = [(tuple(box), "happy"), ((0, 0, 5, 5), "sad")]  # right, plus a false face
    results[frames[1]] = [(tuple(truth[frames[1]]["box"]), "happy")]     # found, wrong class
    score = bench.folder_score(results, truth, seconds=2.0)
    assert score["accuracy"] == 0.5 and score["faces"] == 3 and score["photos_per_s"] == 5.5
    assert bench.overlap((0, 0, 10, 10), (5, 0, 15, 10)) == pytest.approx(1 / 3)
