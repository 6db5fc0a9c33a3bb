"""The trained transfer models (models/transfer/*.keras) and what they are applied as."""

from pathlib import Path

import keras
import numpy as np

from ..core.errors import PipelineError
from ..core.outputs import atomic_path

FUSION, GENERATOR, PIX2PIX = "fusion.keras", "generator.keras", "pix2pix.keras"  # names inside --models


def load_model(models_dir: Path | str, name: str) -> keras.Model:
    path = Path(models_dir) / name
    if not path.is_file():
        raise PipelineError(f"{path}: model not found (run train_transfer first)")
    return keras.models.load_model(path, compile=False)


def transfer(fusion, generator, l_s, l_t, p_t):
    """Ω(P_t, Φ(L_s, L_t)): the target face wearing the source expression, in [-1, 1]."""
    fused = fusion.predict([l_s, l_t], batch_size=64, verbose=0)
    return generator.predict(np.concatenate([p_t, fused], -1), batch_size=64, verbose=0)


def save_models(models_dir: Path | str, nets: dict) -> None:
    """Write Φ, Ω and the pix2pix generator ({'fusion', 'proposed', 'pix2pix': keras.Model}) atomically."""
    for key, name in (("fusion", FUSION), ("proposed", GENERATOR), ("pix2pix", PIX2PIX)):
        with atomic_path(Path(models_dir) / name) as tmp:
            nets[key].save(tmp)
