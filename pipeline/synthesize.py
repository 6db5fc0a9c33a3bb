"""Stage synthesize: fill each class up to its rebalance target with images from its DCGAN.

For every class in data/balanced/targets.json, generates (target - count) images with
models/gan/<class>/generator.keras and writes them as data/synthetic/dataset.npz: training split
only, synthetic=True, ids synth/<class>/<n>, same classes and AU codes as the balanced dataset
(AU labels unknown). reports/synthesize/summary.json says how many of each were made.
"""

import argparse
import json
from pathlib import Path

import numpy as np

from pipeline.core.cli import run_stage
from pipeline.core.dataset import FaceDataset
from pipeline.core.errors import PipelineError
from pipeline.core.outputs import write_json
from pipeline.core.params import section

BALANCED = Path("data/balanced/dataset.npz")
TARGETS = Path("data/balanced/targets.json")
MODELS = Path("models/gan")
OUT = Path("data/synthetic/dataset.npz")
REPORTS = Path("reports/synthesize")


def read_targets(path: Path = TARGETS) -> dict:
    try:
        targets = json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise PipelineError(f"{path}: not found (run the rebalance stage first)") from None
    except ValueError as exc:
        raise PipelineError(f"{path}: not valid JSON ({exc})") from None
    for key in ("targets", "counts"):
        if not isinstance(targets.get(key), dict):
            raise PipelineError(f"{path}: missing the '{key}' mapping of class -> count")
    return targets


def synthetic_counts(targets: dict, classes) -> dict:
    """Images to generate per class: max(0, target - count); classes outside `classes` fail."""
    need = {}
    for name, target in targets["targets"].items():
        if name not in classes:
            raise PipelineError(f"{TARGETS}: unknown class '{name}' (dataset classes: {', '.join(classes)})")
        need[name] = max(0, int(target) - int(targets["counts"].get(name, 0)))
    return need


def synthesize(balanced: FaceDataset, need: dict, generator_for, seed: int = 0, batch: int = 256) -> FaceDataset:
    """A FaceDataset of generated training rows; `generator_for(class)` returns a Keras generator."""
    from pipeline.core.gan import generate_images

    size = balanced.image_size
    images, labels, ids = [], [], []
    for i, name in enumerate(balanced.classes):
        n = need.get(name, 0)
        if n <= 0:
            continue
        generator = generator_for(name)
        out_size = int(generator.output_shape[1])
        if out_size != size:
            raise PipelineError(f"{MODELS / name}/generator.keras makes {out_size}px images but "
                                f"{BALANCED} holds {size}px images (gan.image_size vs crop.size)")
        images.append(generate_images(generator, n, seed=seed * 1000 + i, batch=batch))
        labels += [balanced.classes.index(name)] * n
        ids += [f"synth/{name}/{k:06d}" for k in range(n)]
    n = len(labels)
    k = balanced.au.shape[1]
    return FaceDataset(
        images=np.concatenate(images) if images else np.zeros((0, size, size), np.uint8),
        labels=np.asarray(labels, np.int64), classes=balanced.classes, split=np.full(n, "train"),
        ids=np.asarray(ids), source=balanced.source, usage=np.full(n, "synthetic"),
        au=np.zeros((n, k), np.uint8), au_codes=balanced.au_codes, au_known=np.zeros(n, bool),
        synthetic=np.ones(n, bool),
    )


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.parse_args(argv)
    params = section("synthesize")
    balanced = FaceDataset.load(BALANCED)
    targets = read_targets()
    need = synthetic_counts(targets, balanced.classes)

    def generator_for(name):
        import keras

        from pipeline.core.gan import check_trained_on  # also registers PixelNorm for loading

        path = MODELS / name / "generator.keras"
        if not path.is_file():
            raise PipelineError(f"{path}: no generator for class '{name}', which {TARGETS} asks "
                                f"{need[name]} images of (add it to gan.classes)")
        check_trained_on(path.parent, balanced.source)
        return keras.saving.load_model(path, compile=False)

    synthetic = synthesize(balanced, need, generator_for, seed=int(params.get("seed", 0)),
                           batch=int(params.get("batch", 256)))
    synthetic.save(OUT)
    made = synthetic.class_counts()
    write_json(REPORTS / "summary.json", {
        "stage": "synthesize", "dataset": balanced.source,
        "protocol": "per-class DCGAN samples filling rebalance targets (training split only)",
        "synthetic_images": len(synthetic), "per_class": made,
        "targets": targets["targets"], "real_counts": targets["counts"],
    })
    print(f"synthesize: {len(synthetic)} synthetic training images -> {OUT} "
          + ", ".join(f"{c}={n}" for c, n in made.items() if n))


if __name__ == "__main__":
    run_stage(main)
