"""fer-predict on videos: every Nth frame, one CSV row per face and frame, an annotated video; videos,
photos and folders in one call; a video OpenCV cannot read is listed, not fatal."""

import csv

import cv2
import numpy as np
import pytest
from skimage import data as skdata

from pipeline.app import predict
from pipeline.app.video import Video

FPS = 10.0


def write_video(path, frames=12, size=256):
    """A clip of the astronaut drifting right by 4 px a frame (mp4v)."""
    face = cv2.resize(cv2.cvtColor(skdata.astronaut(), cv2.COLOR_RGB2BGR), (size, size),
                      interpolation=cv2.INTER_AREA)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), FPS, (size + 64, size))
    for i in range(frames):
        frame = np.full((size, size + 64, 3), 80, np.uint8)
        frame[:, 4 * i:4 * i + size] = face
        writer.write(frame)
    writer.release()
    return path


def test_every_nth_frame_of_a_video(tmp_path, carried_model, capsys):
    clip = write_video(tmp_path / "clip.mp4")
    with Video(clip) as v:
        assert v.ok and v.fps == pytest.approx(FPS) and [i for i, _, _ in v.sampled(5)] == [0, 5, 10]
    predict.main([str(clip), "--every", "5", "--model", str(carried_model), "--out", "frames.csv",
                  "--annotate", "ann"])
    rows = list(csv.DictReader(open("frames.csv")))
    assert sorted({int(r["frame"]) for r in rows}) == [0, 5, 10]
    assert {float(r["time_s"]) for r in rows} == {0.0, 0.5, 1.0}
    assert all(r["file"] == str(clip) for r in rows)
    first = {int(r["frame"]): int(r["x1"]) for r in rows if r["face"] == "0"}
    assert first[10] - first[0] == pytest.approx(40, abs=8)  # the box follows the face
    with Video(tmp_path / "ann" / "clip_mp4.mp4") as out:
        assert out.ok and len(list(out.sampled(1))) == 3  # the sampled frames, boxed
    assert "face(s) in 0 image(s) and 3 frame(s) of 1 video(s)" in capsys.readouterr().out


def test_photos_videos_and_folders_in_one_call(tmp_path, carried_model, capsys):
    (tmp_path / "folder").mkdir()
    cv2.imwrite(str(tmp_path / "folder" / "a.jpg"), cv2.cvtColor(skdata.astronaut(), cv2.COLOR_RGB2BGR))
    cv2.imwrite(str(tmp_path / "b.png"), cv2.cvtColor(skdata.astronaut(), cv2.COLOR_RGB2GRAY))
    clip = write_video(tmp_path / "folder" / "clip.avi", frames=3)
    (tmp_path / "broken.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42 not a video")
    summary = predict.predict_inputs([tmp_path / "folder", tmp_path / "b.png", tmp_path / "broken.mp4"],
                                     tmp_path / "p.csv", carried_model, every=2)
    assert summary["images"] == 2 and summary["videos"] == 1 and summary["frames"] == 2
    assert summary["unreadable"] == [str(tmp_path / "broken.mp4")]
    files = {r["file"] for r in csv.DictReader(open(tmp_path / "p.csv"))}
    assert files == {str(tmp_path / "folder" / "a.jpg"), str(tmp_path / "b.png"), str(clip)}
    photo_rows = [r for r in csv.DictReader(open(tmp_path / "p.csv")) if r["file"].endswith(".png")]
    assert photo_rows and all(r["frame"] == "" and r["time_s"] == "" for r in photo_rows)


def test_every_must_be_positive(tmp_path, carried_model):
    clip = write_video(tmp_path / "clip.mp4", frames=2)
    with pytest.raises(SystemExit):
        predict.main([str(clip), "--every", "0", "--model", str(carried_model)])
