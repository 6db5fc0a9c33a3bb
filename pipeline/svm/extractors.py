"""Feature extractors of stage svm_features: discriminator layers, raw pixels, HOG, the FER CNN.

`d-<run>.<layer>` = a conv layer of a feature-GAN discriminator (48x48 faces upsampled to the
discriminator's input size with cv2, scaled to [-1, 1], flattened; d_conv4 at 64x64 gives
4x4x512 = 8192 features, d_conv3 8x8x256 = 16384); `<layer>_gap` = that layer's global average
pool (512 / 256 features); `random.<layer>` = the same of the untrained twin
(discriminator_init.keras); `pixels` = faces scaled to [0, 1]; `hog` = skimage.feature.hog;
`cnn` = the penultimate dense layer of the supervised CNN (models/cnn/<first dataset>/classical).
"""

import json
from pathlib import Path

import numpy as np
from tqdm import tqdm

from ..core.errors import PipelineError
from ..core.images import to_gan_inputs

DISCRIMINATOR_FILE = "discriminator.keras"  # in a model folder written by train_feature_gan
CARD_FILE = "training.json"                 # beside it: what the discriminator was trained on


GAP = "_gap"  # suffix of a pooled layer: d_conv4_gap = global average pool of d_conv4


def base_layer(layer: str) -> str:
    return layer[: -len(GAP)] if layer.endswith(GAP) else layer


def load_feature_extractor(model_path: Path | str, layer: str):
    """A Keras model mapping discriminator input to the output of `layer` (e.g. d_conv4, d_conv4_gap)."""
    import keras

    model_path = Path(model_path)
    if not model_path.is_file():
        raise PipelineError(f"{model_path}: discriminator not found (run stage train_feature_gan first)")
    try:
        model = keras.saving.load_model(model_path, compile=False)
    except Exception as exc:  # corrupt file, unknown custom layer ...
        raise PipelineError(f"{model_path}: cannot load discriminator "
                            f"({type(exc).__name__}: {exc})") from None
    return extractor_for_layer(model, layer, where=str(model_path))


def extractor_for_layer(model, layer: str, where: str = "discriminator"):
    import keras

    names = [lyr.name for lyr in model.layers]
    if base_layer(layer) not in names:
        raise PipelineError(f"params.yaml: svm.features.layers: {layer!r} is not a layer of {where} "
                            f"(layers: {', '.join(names)}; '<layer>{GAP}' = its global average pool)")
    inputs = model.inputs[0] if len(model.inputs) == 1 else model.inputs
    out = model.get_layer(base_layer(layer)).output
    if layer.endswith(GAP):
        out = keras.layers.GlobalAveragePooling2D(name=f"{base_layer(layer)}{GAP}")(out)
    return keras.Model(inputs, out, name=f"features_{layer}")


def to_discriminator_input(images: np.ndarray, size: int) -> np.ndarray:
    """uint8 (N, h, w) faces -> float32 (N, size, size, 1) in [-1, 1], resized exactly as the
    feature GAN's training inputs were (core.images.to_gan_inputs)."""
    return to_gan_inputs(images, size)


def discriminator_features(extractor, images: np.ndarray, batch_size: int = 256,
                           desc: str = "features") -> np.ndarray:
    """Flattened activations of the extractor's layer for every image, computed in batches."""
    size = int(extractor.input_shape[1])
    chunks = []
    for start in tqdm(range(0, len(images), batch_size), desc=desc, unit="batch"):
        batch = to_discriminator_input(images[start:start + batch_size], size)
        act = np.asarray(extractor(batch, training=False))
        chunks.append(act.reshape(len(batch), -1).astype(np.float16))  # stored as float16 anyway
    if not chunks:
        return np.zeros((0, int(np.prod(extractor.output_shape[1:]))), np.float16)
    return np.concatenate(chunks)


def load_cnn_extractor(model_path: Path | str):
    """The supervised FER CNN up to its penultimate Dense layer (the last Dense is the softmax)."""
    import keras

    from ..classifier.inference import load_model

    model = load_model(model_path)
    dense = [lyr for lyr in model.layers if isinstance(lyr, keras.layers.Dense)]
    if len(dense) < 2:
        raise PipelineError(f"{model_path}: no dense layer before the output (cnn features need one)")
    return keras.Model(model.inputs[0], dense[-2].output, name=f"features_{dense[-2].name}")


def cnn_features(extractor, images: np.ndarray, batch_size: int = 256) -> np.ndarray:
    """Penultimate-layer activations of faces seen as the classifier's test split (centre window)."""
    from ..classifier.inputs import make_dataset

    if len(images) == 0:
        return np.zeros((0, int(extractor.output_shape[-1])), np.float32)
    size = int(extractor.input_shape[1])
    if images.shape[1] < size:
        raise PipelineError(f"faces are {images.shape[1]}px, the bundled CNN takes {size}px")
    data = make_dataset(np.asarray(images, np.uint8), None, batch_size, crop=size)
    return np.asarray(extractor.predict(data, verbose=0), np.float32).reshape(len(images), -1)


def hog_features(images: np.ndarray) -> np.ndarray:
    """HOG descriptors (9 orientations, 8x8-pixel cells, 2x2-cell blocks): 900-d at 48x48."""
    from skimage.feature import hog

    return np.stack([hog(img, orientations=9, pixels_per_cell=(8, 8), cells_per_block=(2, 2))
                     for img in tqdm(images, desc="hog", unit="img")]).astype(np.float32)


def pixel_features(images: np.ndarray) -> np.ndarray:
    return images.reshape(len(images), -1).astype(np.float32) / 255.0


def baseline_features(name: str, images: np.ndarray) -> np.ndarray:
    return hog_features(images) if name == "hog" else pixel_features(images)


def discriminator_info(model_dir: Path | str) -> dict:
    """What the feature-GAN stage recorded about a discriminator (training.json: dataset ...)."""
    card = Path(model_dir) / CARD_FILE
    if not card.is_file():
        return {}
    try:
        data = json.loads(card.read_text())
    except json.JSONDecodeError:
        return {}
    if not isinstance(data, dict):
        return {}
    return {k: v for k, v in data.items() if isinstance(v, (str, int, float, list))}
