"""Layout detection: the known layouts in any case, at the top of raw_dir or one folder down (an archive
unpacked into its own folder), which one was used, and what was not read."""

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
import yaml

from pipeline.core.dataset import FaceDataset
from pipeline.core.errors import PipelineError
from pipeline.core.profiles import compose
from pipeline.data import ingest
from pipeline.data.layouts import detect_layouts

REPO = Path(__file__).resolve().parents[2]


def touch(raw: Path, *names: str) -> None:
    for name in names:
        path = raw / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if name.endswith("/"):
            path.mkdir(exist_ok=True)
        else:
            path.write_bytes(b"")


def found(raw: Path) -> dict:
    layouts, _, _ = detect_layouts(raw)
    return {source: (layout["layout"], layout["found"]) for source, layout in layouts.items()}


@pytest.mark.parametrize("files, expected", [
    (["fer2013/fer2013.csv"], {"fer2013": ("fer2013.csv", "fer2013/fer2013.csv")}),
    (["FER2013.CSV"], {"fer2013": ("fer2013.csv", "FER2013.CSV")}),
    (["fer2013.csv", "old/fer2013.csv"], {"fer2013": ("fer2013.csv", "fer2013.csv")}),  # the top wins
    (["archive/Train/happy/", "archive/TEST/sad/"],
     {"fer2013": ("train/<class>, test/<class> image folders", "archive/TEST, archive/Train")}),
    (["CK+/ck+48/happy/", "CK+/facs/S005/"],
     {"ckplus": ("CK+48/<class> folders + FACS files", "CK+/ck+48, CK+/facs")}),
    (["kaggle/CKextended.csv"], {"ckplus": ("ckextended.csv", "kaggle/CKextended.csv")}),
    (["RaFD/rafd090_01_Caucasian_female_angry_frontal.JPG"],
     {"rafd": ("Rafd<angle>_<subject>_..._<emotion>_<gaze> file names",
               "RaFD/rafd090_01_Caucasian_female_angry_frontal.JPG")}),
    (["a/b/fer2013.csv"], {}),  # two folders down is not looked at
])
def test_known_layouts_in_any_case_and_one_folder_down(tmp_path, files, expected):
    touch(tmp_path, *files)
    assert found(tmp_path) == expected


def test_entries_no_layout_uses_are_listed(tmp_path):
    touch(tmp_path, "fer2013.csv", "notes.txt", "README.md", ".DS_Store", "extra/")
    _, ignored, unused = detect_layouts(tmp_path)
    assert unused == [str(tmp_path / "extra"), str(tmp_path / "notes.txt")] and ignored == []


@pytest.mark.parametrize("files, message", [
    (["a/fer2013.csv", "b/FER2013.csv"], "several candidates for fer2013.csv: a/fer2013.csv, b/FER2013.csv"),
    (["x/train/", "y/test/"], "several candidates for train/ and test/ image folders: x, y"),
])
def test_two_candidates_fail_instead_of_one_being_picked(tmp_path, files, message):
    touch(tmp_path, *files)
    with pytest.raises(PipelineError, match=message):
        detect_layouts(tmp_path)


def face(seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (48, 48), dtype=np.uint8)


def test_ingest_reads_layouts_one_folder_down(tmp_path, capsys):
    params = compose("demo", ["data.demo.use=auto"])
    (tmp_path / "params.yaml").write_text(yaml.safe_dump({"data": params["data"]}))
    raw = tmp_path / "data/raw"
    for name, seed in (("archive/train/happy/Training_1.png", 1), ("archive/test/sad/PublicTest_2.png", 2),
                       ("CK+/CK+48/happy/S010_004_00000017.png", 3)):
        (raw / name).parent.mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(raw / name), face(seed))
    (raw / "archive/train/happy/notes.txt").write_text("not an image")
    (raw / "archive/train/happy/.DS_Store").write_text("")
    (raw / "CK+/FACS/S010/004").mkdir(parents=True)
    (raw / "CK+/FACS/S010/004/S010_004_00000017_facs.txt").write_text("1.2000000e+01   3.0000000e+00\n")
    ingest.main(["data/raw", "data/canonical", "reports/ingest"])
    out = capsys.readouterr().out.splitlines()
    assert "ingest: fer2013 <- train/<class>, test/<class> image folders (archive/test, archive/train)" in out
    assert "ingest: ckplus <- CK+48/<class> folders + FACS files (CK+/CK+48, CK+/FACS)" in out
    assert "ingest: fer2013: 1 file(s) not read (not images): data/raw/archive/train/happy/notes.txt" in out
    summary = json.loads(Path("reports/ingest/summary.json").read_text())["sources"]
    assert summary["fer2013"]["files_not_read"] == ["data/raw/archive/train/happy/notes.txt"]
    assert summary["ckplus"]["files_not_read"] == []
    fer = FaceDataset.load("data/canonical/fer2013.npz")
    assert fer.ids.tolist() == ["archive/train/happy/Training_1.png", "archive/test/sad/PublicTest_2.png"]
    assert fer.split.tolist() == ["train", "val"]
    ck = FaceDataset.load("data/canonical/ckplus.npz")
    assert ck.au_codes.tolist() == [12] and ck.au.tolist() == [[1]] and ck.ids.tolist() == [
        "CK+48/happy/S010_004_00000017.png"]
