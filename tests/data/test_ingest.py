"""ingest: every raw layout parses, subjects/splits survive, the audit finds planted duplicates,
bad input fails cleanly."""

import json
import os
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
import yaml

from pipeline.core.dataset import FaceDataset
from pipeline.core.errors import PipelineError
from pipeline.core.profiles import compose
from pipeline.data import ingest

REPO = Path(__file__).resolve().parents[2]
ARGS = ["data/raw", "data/canonical", "reports/ingest"]


def face(seed: int, size: int = 48) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (size, size), dtype=np.uint8)


@pytest.fixture
def workdir(tmp_path):
    """A scratch project (the test's own cwd): params.yaml with a `data` section, raw data in data/raw."""
    (tmp_path / "data/raw").mkdir(parents=True)
    write_params(tmp_path)
    return tmp_path


def merged(base: dict, over: dict) -> dict:
    return {**base, **{k: merged(base[k], v) if isinstance(v, dict) and isinstance(base.get(k), dict) else v
                       for k, v in over.items()}}


def write_params(root: Path, **data) -> None:
    """The committed `data` section (a small demo) with `data` merged in key by key."""
    section = compose("demo", ["data.demo.use=auto"])["data"]
    section = merged(section, {"demo": {"subjects": 6, "sequences_per_subject": 2, "seed": 0}, **data})
    (root / "params.yaml").write_text(yaml.safe_dump({"data": section}))


def write_fer_csv(path: Path, rows) -> None:
    lines = ["emotion,pixels,Usage"] + [f"{e},{' '.join(map(str, img.ravel()))},{u}" for e, img, u in rows]
    path.write_text("\n".join(lines) + "\n")


def load(source: str) -> FaceDataset:
    return FaceDataset.load(Path("data/canonical") / f"{source}.npz")


def assert_fails(match: str, *names, args=ARGS):
    with pytest.raises(PipelineError, match=match) as err:
        ingest.main(args)
    message = str(err.value)
    assert "\n" not in message
    for name in names:
        assert name in message
    assert not Path("data/canonical").exists() and not Path("reports/ingest").exists()


# ---- layouts ---------------------------------------------------------------------------------
def test_fer_csv_parses_splits_and_drops_leaked_and_blank_training_rows(workdir):
    rows = [(0, face(1), "Training"), (3, face(2), "Training"), (6, face(3), "PublicTest"),
            (4, face(1), "PrivateTest"),  # same pixels as row 0, other label: leak + conflict
            (2, np.full((48, 48), 7, np.uint8), "Training")]  # blank
    write_fer_csv(workdir / "data/raw/fer2013.csv", rows)
    ingest.main(ARGS)
    ds = load("fer2013")
    assert ds.source == "fer2013" and ds.classes[0] == "angry" and ds.classes[6] == "neutral"
    assert list(ds.ids) == ["fer2013.csv#1", "fer2013.csv#2", "fer2013.csv#3"]  # rows 0 and 4 dropped
    assert list(ds.split) == ["train", "val", "test"]
    assert list(ds.usage) == ["Training", "PublicTest", "PrivateTest"]
    assert np.array_equal(ds.images[0], face(2))
    audit = json.loads(Path("reports/ingest/audit_fer2013.json").read_text())
    dup = audit["exact_duplicates"]
    assert (dup["groups"], dup["extra_copies"], dup["groups_spanning_splits"],
            dup["groups_with_conflicting_labels"]) == (1, 1, 1, 1)
    assert audit["blank_images"]["count"] == 1
    assert audit["dropped"]["total"] == 2 and audit["dropped"]["train_copies_of_eval_images"] == 1
    summary = json.loads(Path("reports/ingest/summary.json").read_text())["sources"]["fer2013"]
    assert summary["rows_read"] == 5 and summary["rows"] == 3 and summary["layout"] == "fer2013.csv"
    assert summary["usage_counts_read"] == {"PrivateTest": 1, "PublicTest": 1, "Training": 3}
    assert Path("reports/ingest/audit_fer2013.md").read_text().startswith("# Leakage audit")


def test_audit_can_keep_everything(workdir):
    write_params(workdir, audit={"drop": {"train_copies_of_eval": False, "blank": "none"}})
    write_fer_csv(workdir / "data/raw/fer2013.csv", [(0, face(1), "Training"), (0, face(1), "PublicTest"),
                                                     (1, np.zeros((48, 48), np.uint8), "Training")])
    ingest.main(ARGS)
    assert len(load("fer2013")) == 3


def test_near_duplicates_are_reported_and_dropped_on_request(workdir):
    smooth = cv2.resize(face(1, size=8), (48, 48), interpolation=cv2.INTER_NEAREST)
    nudged = np.clip(smooth.astype(int) + 1, 0, 255).astype(np.uint8)  # not byte-identical, same 8x8 hash
    rows = [(0, nudged, "Training"), (0, smooth, "PrivateTest"), (1, face(2), "Training")]
    write_fer_csv(workdir / "data/raw/fer2013.csv", rows)
    ingest.main(ARGS)
    audit = json.loads(Path("reports/ingest/audit_fer2013.json").read_text())
    assert audit["exact_duplicates"]["groups"] == 0
    assert audit["near_duplicates"]["groups"] == 1 and audit["near_duplicates"]["groups_spanning_splits"] == 1
    assert len(load("fer2013")) == 3
    write_params(workdir, audit={"drop": {"train_near_copies_of_eval": True}})
    ingest.main(ARGS)
    assert load("fer2013").ids.tolist() == ["fer2013.csv#1", "fer2013.csv#2"]


def test_fer_image_folders_take_usage_from_prefix(workdir):
    raw = workdir / "data/raw"
    files = {"train/angry/Training_10.png": face(1), "train/happy/Training_11.png": face(2),
             "test/happy/PublicTest_12.png": face(3), "test/sad/PrivateTest_13.jpg": face(4),
             "test/sad/plain.png": face(5)}
    for name, img in files.items():
        (raw / name).parent.mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(raw / name), img)
    ingest.main(ARGS)
    ds = load("fer2013")
    by_id = {i: (ds.classes[label], split, usage)
             for i, label, split, usage in zip(ds.ids, ds.labels, ds.split, ds.usage)}
    assert by_id == {"train/angry/Training_10.png": ("angry", "train", "Training"),
                     "train/happy/Training_11.png": ("happy", "train", "Training"),
                     "test/happy/PublicTest_12.png": ("happy", "val", "PublicTest"),
                     "test/sad/PrivateTest_13.jpg": ("sad", "test", "PrivateTest"),
                     "test/sad/plain.png": ("sad", "test", "")}
    png = list(ds.ids).index("train/angry/Training_10.png")
    assert np.array_equal(ds.images[png], face(1))  # png is lossless


def make_ckplus(raw: Path) -> None:
    frames = {"anger": ["S005_001_00000009", "S005_001_00000010"], "happy": ["S010_004_00000017"],
              "sadness": ["S011_002_00000005"]}
    seed = 100
    for cls, stems in frames.items():
        for stem in stems:
            (raw / "CK+48" / cls).mkdir(parents=True, exist_ok=True)
            cv2.imwrite(str(raw / "CK+48" / cls / f"{stem}.png"), face(seed := seed + 1))
    facs = {"S005/001": ["4.0000000e+00   0.0000000e+00", "1.7000000e+00   0.0000000e+00"],
            "S010/004": ["6.0000000e+00   3.0000000e+00", "1.2000000e+01   0.0000000e+00"]}
    for seq, codes in facs.items():
        (raw / "FACS" / seq).mkdir(parents=True)
        name = f"{seq.replace('/', '_')}_00000010_facs.txt"
        (raw / "FACS" / seq / name).write_text("\n".join(codes) + "\n")


def test_ckplus_folders_with_facs(workdir):
    make_ckplus(workdir / "data/raw")
    ingest.main(ARGS)
    ds = load("ckplus")
    assert ds.classes == ("angry", "contempt", "disgust", "fear", "happy", "sad", "surprise")
    assert list(ds.subject) == ["S005", "S005", "S010", "S011"]
    assert list(ds.sequence) == ["S005_001", "S005_001", "S010_004", "S011_002"]
    assert list(ds.extra["frame"]) == [9, 10, 17, 5]
    assert set(ds.split) == {"train"}
    assert list(ds.au_codes) == [4, 6, 12, 17]           # "1.7" in a FACS file is AU17
    assert ds.au[:2].tolist() == [[1, 0, 0, 1]] * 2       # the sequence's AUs apply to all its frames
    assert ds.au[2].tolist() == [0, 1, 1, 0]
    assert list(ds.au_known) == [True, True, True, False]
    summary = json.loads(Path("reports/ingest/summary.json").read_text())["sources"]["ckplus"]
    assert summary["subjects"] == 3 and summary["sequences"] == 3


def test_subject_holdout_keeps_subjects_whole(workdir):
    write_params(workdir, subject_holdout={"val": 0.34, "test": 0.34, "seed": 0})
    make_ckplus(workdir / "data/raw")
    ingest.main(ARGS)
    ds = load("ckplus")
    assert set(ds.split) == {"train", "val", "test"}
    for subject in set(ds.subject):
        assert len(set(ds.split[ds.subject == subject])) == 1


def test_ckextended_csv(workdir):
    write_fer_csv(workdir / "data/raw/ckextended.csv", [(7, face(1), "Training"), (6, face(2), "PublicTest")])
    ingest.main(ARGS)
    ds = load("ckplus")
    assert [ds.classes[i] for i in ds.labels] == ["contempt", "neutral"]
    assert list(ds.split) == ["train", "val"]


def test_rafd_file_names(workdir):
    names = ["Rafd090_01_Caucasian_female_angry_frontal.jpg",
             "Rafd045_02_Moroccan_male_contemptuous_left.jpg",
             "Rafd090_02_Moroccan_male_surprised_right.jpg"]
    (workdir / "data/raw/RaFD").mkdir()
    for k, name in enumerate(names):
        cv2.imwrite(str(workdir / "data/raw/RaFD" / name), face(k, size=300)[:, :200])
    ingest.main(ARGS)
    ds = load("rafd")
    assert [ds.classes[i] for i in ds.labels] == ["contempt", "angry", "surprise"]  # sorted by path
    assert list(ds.subject) == ["rafd02", "rafd01", "rafd02"]
    assert list(ds.extra["angle"]) == [45, 90, 90] and list(ds.extra["gaze"]) == ["left", "frontal", "right"]
    assert ds.images.shape == (3, 256, 171)  # scaled to fit data.max_image_side, aspect kept


def test_no_known_layout_gives_the_demo_dataset(workdir):
    ingest.main(ARGS)
    ds = load("demo")
    assert len(ds) == 6 * 2 * 3 and ds.has_subjects
    summary = json.loads(Path("reports/ingest/summary.json").read_text())
    assert summary["datasets"] == ["demo"] and summary["sources"]["demo"]["name"] == "demo"


def test_several_sources_at_once(workdir):
    write_fer_csv(workdir / "data/raw/fer2013.csv", [(0, face(1), "Training")])
    make_ckplus(workdir / "data/raw")
    ingest.main(ARGS)
    assert sorted(p.name for p in Path("data/canonical").iterdir()) == ["ckplus.npz", "fer2013.npz"]


# ---- bad input -------------------------------------------------------------------------------
def test_missing_raw_dir(workdir):
    assert_fails("not found", "nowhere", args=["nowhere", *ARGS[1:]])


def test_corrupted_image(workdir):
    make_ckplus(workdir / "data/raw")
    (workdir / "data/raw/CK+48/happy/S010_004_00000018.png").write_bytes(b"\x89PNG\r\n\x1a\n broken")
    assert_fails("unreadable or corrupted", "S010_004_00000018.png")


def test_truncated_jpeg(workdir):
    folder = workdir / "data/raw/train/happy"
    folder.mkdir(parents=True)
    cv2.imwrite(str(folder / "Training_1.jpg"), face(1))
    data = cv2.imencode(".jpg", face(2))[1].tobytes()
    (folder / "Training_2.jpg").write_bytes(data[: len(data) // 2])
    assert_fails("unreadable or corrupted", "Training_2.jpg")


def test_csv_with_wrong_columns(workdir):
    (workdir / "data/raw/fer2013.csv").write_text("label,image\n0,1 2 3\n")
    assert_fails("wrong columns", "fer2013.csv")


def test_csv_with_wrong_pixel_count(workdir):
    write_fer_csv(workdir / "data/raw/fer2013.csv",
                  [(0, face(1), "Training"), (1, face(2, size=40), "Training")])
    assert_fails("line 3: 1600 pixels, expected 48", "fer2013.csv")


def test_unknown_class_folder(workdir):
    (workdir / "data/raw/train/grumpy").mkdir(parents=True)
    cv2.imwrite(str(workdir / "data/raw/train/grumpy/Training_1.png"), face(1))
    assert_fails("unknown class", "grumpy")


def test_empty_class_folder(workdir):
    make_ckplus(workdir / "data/raw")
    (workdir / "data/raw/CK+48/fear").mkdir()
    assert_fails("empty class folder", "CK+48/fear")


def test_unknown_param_value(workdir):
    write_params(workdir, audit={"drop": {"blank": "sometimes"}})
    assert_fails("data.audit.drop.blank", "params.yaml")


@pytest.mark.parametrize("bad, message", [
    ({"max_image_side": 0}, "data.max_image_side: Input should be greater than 0"),
    ({"subject_holdout": {"val": 2.0}}, "data.subject_holdout.val: Input should be less than or equal to 1"),
    ({"audit": {"near_duplicates": "yes"}}, "data.audit.near_duplicates: Input should be a valid boolean"),
    ({"demo": {"seed": None}}, "data.demo.seed: Input should be a valid integer"),
])
def test_bad_param_types_name_the_key(workdir, bad, message):
    write_params(workdir, **bad)
    assert_fails(message, "params.yaml")


def test_cli_prints_one_error_line_and_exits_nonzero(workdir):
    result = subprocess.run([sys.executable, "-m", "pipeline.data.ingest", "missing_dir", *ARGS[1:]],
                            capture_output=True, text=True, cwd=workdir,
                            env={**os.environ, "PYTHONPATH": str(REPO)})
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "error: missing_dir: raw data directory (data.raw_dir) not found"]
