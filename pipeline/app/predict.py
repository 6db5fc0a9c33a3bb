"""`fer-predict`: emotion probabilities for every face in photos and videos, with the bundled model.

Inputs: folders (searched recursively), image files and video files, in any mix. Every face is found
and cut by the crop stage's face path (pipeline.data.faces, with the crop params the model was
trained with, from its model.json) and scored by the model (default: the one bundled in the package,
no training needed). One CSV row per face: photos have an empty frame and time; videos give one row
per face of every Nth frame (--every). Unreadable files and files that are neither images nor videos
are skipped and listed, never fatal. --annotate DIR also writes each photo with its boxes
(`<name>_<suffix>.jpg`) and each video's sampled frames boxed (`<name>_<suffix>.mp4`).

    fer-predict INPUT [INPUT ...] [--out predictions.csv] [--annotate DIR] [--every N] [--model PATH]
                [--fast] [--detector mtcnn|haar] [--views model|flip|centre] [--detect-side PX]
"""

import argparse
import csv
import math
import sys
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from pipeline.core.cli import run_stage
from pipeline.core.errors import PipelineError
from pipeline.core.outputs import stage_outputs

from .annotations import VideoWriter, annotated_names, draw, move_staged, staging, write_jpeg
from .images import IMAGE_SUFFIXES, VIDEO_SUFFIXES, read_bgr
from .video import Video

CHUNK = 16  # photos (or sampled frames) detected and scored together
MEDIA = IMAGE_SUFFIXES | VIDEO_SUFFIXES


@dataclass
class Item:
    path: Path
    label: str  # the CSV's file column
    rel: Path   # where its annotated copy goes, relative to --annotate
    video: bool


def collect(inputs: list[Path], outputs: list[Path]) -> tuple[list[Item], list[str]]:
    """(images and videos to read, other files) of the inputs; this run's own outputs are left out.

    With a single folder the CSV names files relative to it; otherwise by the path found or given."""
    outputs = [o.resolve() for o in outputs]
    items, others = [], []
    for arg in inputs:
        if arg.is_dir():
            for p in sorted(arg.rglob("*")):
                if not p.is_file() or any(o == p.resolve() or o in p.resolve().parents for o in outputs):
                    continue
                rel = p.relative_to(arg)
                if p.suffix.lower() not in MEDIA:
                    others.append(str(p))
                    continue
                items.append(Item(p, str(rel) if len(inputs) == 1 else str(p),
                                  rel if len(inputs) == 1 else Path(arg.name) / rel,
                                  p.suffix.lower() in VIDEO_SUFFIXES))
        elif arg.is_file() and arg.suffix.lower() in MEDIA:
            items.append(Item(arg, str(arg), Path(arg.name), arg.suffix.lower() in VIDEO_SUFFIXES))
        elif arg.is_file():
            others.append(str(arg))
        else:
            raise PipelineError(f"{arg}: no such file or folder")
    return items, others


def predict_inputs(inputs: list[Path], out_csv: Path, model: Path | None = None,
                   annotate_dir: Path | None = None, detector: str | None = None, batch: int = 64,
                   crop=None, every: int = 1, views: str | None = None, detect_side: int | None = None,
                   fast: bool = False, recognizer=None) -> dict:
    """Write one CSV row per face; return {"images", "videos", "frames", "faces", "no_face",
    "unreadable", "not_images", "annotated"}. `crop`: crop params instead of the model's."""
    from .recognizer import EmotionRecognizer

    if every < 1:
        raise PipelineError(f"--every must be at least 1 (got {every})")
    inputs = [Path(p) for p in inputs]
    items, others = collect(inputs, [out_csv] + ([annotate_dir] if annotate_dir is not None else []))
    if not items:
        where = ", ".join(map(str, inputs))
        raise PipelineError(f"{where}: no image or video files ({', '.join(sorted(MEDIA))})"
                            + (f"; found only {', '.join(others[:5])}" if others else ""))
    rec = recognizer or EmotionRecognizer(model, detector=detector, views=views, detect_side=detect_side,
                                          fast=fast, crop=crop, batch=batch)
    summary = {"images": 0, "videos": 0, "frames": 0, "faces": 0, "no_face": [], "unreadable": [],
               "not_images": others, "annotated": {}}
    photos, videos = [i for i in items if not i.video], [i for i in items if i.video]
    names = {**annotated_names([i.rel for i in photos]), **annotated_names([i.rel for i in videos], ".mp4")}
    # Nothing is written unless every input went through: the CSV and the annotated copies are staged
    # and moved into place at the end (annotated copies join whatever else DIR holds).
    with stage_outputs(files=[out_csv]) as (tmp,), staging(annotate_dir) as staged, \
            open(tmp, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["file", "frame", "time_s", "face", "x1", "y1", "x2", "y2", "detector_score",
                         "emotion", *rec.classes])
        out = Output(rec, writer, summary, staged, annotate_dir, names)
        run_photos(out, photos)
        for item in videos:
            run_video(out, item, every)
        f.close()
        if staged is not None:
            move_staged(staged, annotate_dir)
    return summary


class Output:
    """Rows and annotated copies of what the recogniser found."""

    def __init__(self, rec, writer, summary, staged, annotate_dir, names):
        self.rec, self.writer, self.summary = rec, writer, summary
        self.staged, self.annotate_dir, self.names = staged, annotate_dir, names

    def score(self, bgrs: list) -> list[list]:
        """Faces (recognizer.Face) of each BGR image."""
        found = self.rec.detect([cv2.cvtColor(b, cv2.COLOR_BGR2GRAY) for b in bgrs])
        crops = [c for _, c in found]
        probs = self.rec.probabilities(np.concatenate(crops)) if crops else []
        faces, start = [], 0
        for boxes, c in found:
            faces.append(self.rec.faces_of(boxes, probs[start:start + len(c)]))
            start += len(c)
        return faces

    def rows(self, label: str, frame, time_s, faces) -> None:
        self.summary["faces"] += len(faces)
        for k, face in enumerate(faces):
            self.writer.writerow([label, frame, time_s, k, *face.box, f"{face.score:.3f}", face.emotion,
                                  *[f"{p:.5f}" for p in face.probabilities.values()]])

    def copy_path(self, item: Item) -> Path | None:
        if self.staged is None:
            return None
        self.summary["annotated"][str(item.path)] = str(self.annotate_dir / self.names[item.rel])
        return self.staged / self.names[item.rel]


def run_photos(out: Output, photos: list[Item]) -> None:
    from tqdm import tqdm

    with tqdm(total=len(photos), desc="photos", unit="img", disable=not photos) as bar:
        for start in range(0, len(photos), CHUNK):
            chunk = photos[start:start + CHUNK]
            loaded = [(item, read_bgr(item.path)) for item in chunk]
            out.summary["unreadable"] += [str(i.path) for i, bgr in loaded if bgr is None]
            loaded = [(i, bgr) for i, bgr in loaded if bgr is not None]
            for (item, bgr), faces in zip(loaded, out.score([bgr for _, bgr in loaded])):
                out.summary["images"] += 1
                if not faces:
                    out.summary["no_face"].append(str(item.path))
                out.rows(item.label, "", "", faces)
                target = out.copy_path(item)
                if target is not None:
                    write_jpeg(target, draw(bgr, faces))
            bar.update(len(chunk))


def run_video(out: Output, item: Item, every: int) -> None:
    from tqdm import tqdm

    with Video(item.path) as video:
        target = out.copy_path(item) if video.ok else None
        writer = VideoWriter(target, video.fps / every) if target is not None else None
        total = math.ceil(video.frames / every) if video.frames else None
        frames = 0
        with tqdm(total=total, desc=item.path.name, unit="frame") as bar:
            chunk = []
            for sample in video.sampled(every):
                chunk.append(sample)
                if len(chunk) == CHUNK:
                    frames += video_chunk(out, item, chunk, writer)
                    bar.update(len(chunk))
                    chunk = []
            frames += video_chunk(out, item, chunk, writer)
            bar.update(len(chunk))
        if writer is not None:
            writer.close()
    if not frames:
        out.summary["unreadable"].append(str(item.path))
        out.summary["annotated"].pop(str(item.path), None)
        if target is not None:
            target.unlink(missing_ok=True)
        return
    out.summary["videos"] += 1
    out.summary["frames"] += frames


def video_chunk(out: Output, item: Item, chunk: list, writer) -> int:
    for (index, time_s, frame), faces in zip(chunk, out.score([f for _, _, f in chunk]) if chunk else []):
        out.rows(item.label, index, f"{time_s:.3f}", faces)
        if writer is not None:
            writer.write(draw(frame, faces))
    return len(chunk)


def predict_folder(folder: Path, model_path: Path | None, out_csv: Path, annotate_dir: Path | None = None,
                   detector: str | None = None, batch: int = 64, crop=None) -> dict:
    """predict_inputs on one folder (the earlier API)."""
    return predict_inputs([folder], out_csv, model_path, annotate_dir, detector, batch, crop)


def predict_command(argv=None):
    parser = argparse.ArgumentParser(prog="fer-predict", description=__doc__.split("\n")[0],
                                     epilog="--params FILE: the crop section from FILE, for a model whose "
                                            "model.json carries none (models/cnn/<mode>/)")
    parser.add_argument("inputs", type=Path, nargs="+", help="folders (searched recursively), images, videos")
    parser.add_argument("--model", type=Path, default=None,
                        help="a model.keras with its model.json (default: the bundled model)")
    parser.add_argument("--out", type=Path, default=Path("predictions.csv"), help="CSV to write")
    parser.add_argument("--annotate", type=Path, default=None, help="also write annotated copies here")
    parser.add_argument("--every", type=int, default=1, help="videos: score every Nth frame (default 1)")
    parser.add_argument("--detector", choices=("mtcnn", "haar"), default=None,
                        help="only this detector (default: the model's crop chain, MTCNN then Haar)")
    parser.add_argument("--views", choices=("model", "flip", "centre"), default=None,
                        help="test-time views: as the model was scored (default) | centre + mirror | centre")
    parser.add_argument("--detect-side", type=int, default=None,
                        help="search larger photos on a copy this long (default: the model's, 640)")
    parser.add_argument("--fast", action="store_true",
                        help="views centre, detect-side 256, no reflect border on photos: several times "
                             "faster, a little less accurate")
    parser.add_argument("--batch", type=int, default=64)
    args = parser.parse_args(argv)
    s = predict_inputs(args.inputs, args.out, args.model, args.annotate, args.detector, args.batch,
                       every=args.every, views=args.views, detect_side=args.detect_side, fast=args.fast)
    videos = f" and {s['frames']} frame(s) of {s['videos']} video(s)" if s["videos"] else ""
    print(f"{s['faces']} face(s) in {s['images']} image(s){videos} -> {args.out}")
    if s["no_face"]:
        print(f"no face found in {len(s['no_face'])} image(s): " + ", ".join(s["no_face"][:10]),
              file=sys.stderr)
    if s["unreadable"]:
        print(f"skipped {len(s['unreadable'])} unreadable file(s): " + ", ".join(s["unreadable"]),
              file=sys.stderr)
    if s["not_images"]:
        print(f"skipped {len(s['not_images'])} file(s) that are not images or videos "
              f"(not {' '.join(sorted(MEDIA))}): " + ", ".join(s["not_images"]), file=sys.stderr)
    if args.annotate is not None:
        print(f"annotated copies in {args.annotate} (<name>_<suffix>.jpg / .mp4, e.g. grace.png -> "
              f"grace_png.jpg)")


def main(argv=None):
    """Console entry point (`fer-predict`): bad input ends with one `error:` line and exit 1."""
    run_stage(predict_command, argv, name="fer-predict")


if __name__ == "__main__":
    main()
