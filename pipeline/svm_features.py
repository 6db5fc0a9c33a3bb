"""Stage `svm_features`: feature matrices for the SVM paper, cached under data/features/.

For every cropped dataset (data/cropped/<source>.npz) it writes one file per feature set:
`d-<name>` = the chosen conv layer of a feature-GAN discriminator (48x48 faces upsampled to the
discriminator's input size with cv2, scaled to [-1, 1], flattened; d_conv4 at 64x64 gives
4x4x512 = 8192 features), and the baselines `pixels` (scaled to [0, 1]) and `hog`
(skimage.feature.hog). Datasets larger than `svm.features.max_rows` are stratified-subsampled
first (FER-2013: 35,887 x 8,192 floats would be 1.2 GB), the same rows for every feature set.
"""

import argparse
import json
from pathlib import Path

import numpy as np
from tqdm import tqdm

from .core.cli import run_stage
from .core.dataset import FaceDataset
from .core.errors import PipelineError
from .core.images import to_gan_inputs
from .core.features import FEATURES_DIR, save_features, stratified_rows
from .core.outputs import write_json
from .core.params import section

CROPPED_DIR = Path("data/cropped")
BASELINES = ("pixels", "hog")


# ---- feature extractors ----------------------------------------------------------------------
def load_feature_extractor(model_path: Path | str, layer: str):
    """A Keras model mapping discriminator input to the output of `layer` (e.g. d_conv4)."""
    import keras

    model_path = Path(model_path)
    if not model_path.is_file():
        raise PipelineError(f"{model_path}: discriminator not found (run stage train_feature_gan first)")
    try:
        model = keras.saving.load_model(model_path, compile=False)
    except Exception as exc:  # corrupt file, unknown custom layer ...
        raise PipelineError(f"{model_path}: cannot load discriminator ({type(exc).__name__}: {exc})") from None
    return extractor_for_layer(model, layer, where=str(model_path))


def extractor_for_layer(model, layer: str, where: str = "discriminator"):
    import keras

    names = [lyr.name for lyr in model.layers]
    if layer not in names:
        raise PipelineError(f"params.yaml: svm.features.layer={layer!r} is not a layer of {where} "
                            f"(layers: {', '.join(names)})")
    inputs = model.inputs[0] if len(model.inputs) == 1 else model.inputs
    return keras.Model(inputs, model.get_layer(layer).output, name=f"features_{layer}")


def to_discriminator_input(images: np.ndarray, size: int) -> np.ndarray:
    """uint8 (N, h, w) faces -> float32 (N, size, size, 1) in [-1, 1], resized exactly as the
    feature GAN's training inputs were (core.gan.to_gan_inputs)."""
    return to_gan_inputs(images, size)


def discriminator_features(extractor, images: np.ndarray, batch_size: int = 256, desc: str = "features") -> np.ndarray:
    """Flattened activations of the extractor's layer for every image, computed in batches."""
    size = int(extractor.input_shape[1])
    chunks = []
    for start in tqdm(range(0, len(images), batch_size), desc=desc, unit="batch"):
        batch = to_discriminator_input(images[start:start + batch_size], size)
        act = np.asarray(extractor(batch, training=False))
        chunks.append(act.reshape(len(batch), -1).astype(np.float32))
    if not chunks:
        return np.zeros((0, int(np.prod(extractor.output_shape[1:]))), np.float32)
    return np.concatenate(chunks)


def hog_features(images: np.ndarray) -> np.ndarray:
    """HOG descriptors (9 orientations, 8x8-pixel cells, 2x2-cell blocks): 900-d at 48x48."""
    from skimage.feature import hog

    return np.stack([hog(img, orientations=9, pixels_per_cell=(8, 8), cells_per_block=(2, 2))
                     for img in tqdm(images, desc="hog", unit="img")]).astype(np.float32)


def pixel_features(images: np.ndarray) -> np.ndarray:
    return images.reshape(len(images), -1).astype(np.float32) / 255.0


def discriminator_info(model_path: Path) -> dict:
    """What the feature-GAN stage recorded about a discriminator (dataset it was trained on ...)."""
    info = {}
    for name in ("meta.json", "info.json", "training.json", "config.json"):
        f = model_path.parent / name
        if f.is_file():
            try:
                data = json.loads(f.read_text())
            except json.JSONDecodeError:
                continue
            if isinstance(data, dict):
                info.update({k: v for k, v in data.items() if isinstance(v, (str, int, float, list))})
    return info


def dataset_names(cfg: dict) -> list[str]:
    names = cfg.get("datasets", "auto")
    if names == "auto":
        names = sorted(p.stem for p in CROPPED_DIR.glob("*.npz"))
        if not names:
            raise PipelineError(f"{CROPPED_DIR}: no cropped datasets (run stage crop first)")
    return list(names)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.parse_args(argv)
    params = section("svm")
    cfg = params.get("features") or {}
    layer = str(cfg.get("layer", "d_conv4"))
    batch_size = int(cfg.get("batch_size", 256))
    max_rows = int(cfg.get("max_rows", 0) or 0)
    seed = int(params.get("seed", 0))
    discriminators = dict(cfg.get("discriminators") or {})
    baselines = list(cfg.get("baselines", BASELINES))
    for b in baselines:
        if b not in BASELINES:
            raise PipelineError(f"params.yaml: svm.features.baselines has {b!r} (known: {', '.join(BASELINES)})")
    extractors = {name: (Path(path), load_feature_extractor(path, layer)) for name, path in discriminators.items()}

    index = {"layer": layer, "max_rows": max_rows, "seed": seed, "datasets": {}, "feature_sets": {}}
    for name, (path, ext) in extractors.items():
        index["feature_sets"][f"d-{name}"] = {"kind": "discriminator", "model": str(path), "layer": layer,
                                              "dims": int(np.prod(ext.output_shape[1:])),
                                              "trained_on": discriminator_info(path)}
    for b in baselines:
        index["feature_sets"][b] = {"kind": b}

    datasets = dataset_names(cfg)
    for source in datasets:
        ds = FaceDataset.load(CROPPED_DIR / f"{source}.npz")
        rows = stratified_rows(ds.labels, max_rows, seed)
        images = ds.images[rows]
        index["datasets"][source] = {"rows": int(len(rows)), "of": len(ds), "image_size": ds.image_size}
        print(f"{source}: {len(rows)} of {len(ds)} rows")
        for name, (path, ext) in extractors.items():
            feats = discriminator_features(ext, images, batch_size, desc=f"{source} d-{name} {layer}")
            save_features(FEATURES_DIR / f"d-{name}" / f"{source}.npz", feats, ds, rows,
                          {"feature_set": f"d-{name}", "model": str(path), "layer": layer, "source": source})
        for b in baselines:
            feats = hog_features(images) if b == "hog" else pixel_features(images)
            save_features(FEATURES_DIR / b / f"{source}.npz", feats, ds, rows, {"feature_set": b, "source": source})
    write_json(FEATURES_DIR / "index.json", index)
    print(f"wrote {FEATURES_DIR} ({len(datasets)} dataset(s) x {len(index['feature_sets'])} feature set(s))")


if __name__ == "__main__":
    run_stage(main)
