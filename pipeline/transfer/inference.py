"""The trained transfer models (models/transfer/*.keras + conditioning.json) and what they are applied as."""

from pathlib import Path

import keras
import numpy as np

from ..core.errors import PipelineError
from ..core.outputs import atomic_path
from .conditions import Conditioning
from .pairs import TransferData

FUSION, GENERATOR, PIX2PIX = "fusion.keras", "generator.keras", "pix2pix.keras"  # names inside --models


def load_model(models_dir: Path | str, name: str) -> keras.Model:
    path = Path(models_dir) / name
    if not path.is_file():
        raise PipelineError(f"{path}: model not found (run train_transfer first)")
    return keras.models.load_model(path, compile=False)


def omega(generator, p_t: np.ndarray, condition: np.ndarray) -> np.ndarray:
    """Ω(P_t, condition) (or pix2pix with the source face as condition), in [-1, 1]."""
    return generator.predict(np.concatenate([p_t, condition], -1), batch_size=64, verbose=0)


class Transfer:
    """Φ + Ω (+ pix2pix) of one trained run, applied to rows of a TransferData."""

    def __init__(self, fusion, generator, conditioning: Conditioning, pix2pix=None):
        self.fusion, self.generator, self.cond, self.pix2pix = fusion, generator, conditioning, pix2pix

    @classmethod
    def load(cls, models_dir: Path | str, with_pix2pix: bool = True) -> "Transfer":
        return cls(load_model(models_dir, FUSION), load_model(models_dir, GENERATOR),
                   Conditioning.load(models_dir), load_model(models_dir, PIX2PIX) if with_pix2pix else None)

    def proposed(self, data: TransferData, src, tgt) -> np.ndarray:
        """Ω(P_t, Φ(L_s, L_t)): the target faces wearing the source expressions."""
        condition = self.cond.proposed_condition(self.fusion, data, src, tgt)
        return omega(self.generator, data.faces[tgt], condition)

    def oracle(self, data: TransferData, tgt, truth) -> np.ndarray:
        """Ω fed the truth's real landmarks (what a perfect Φ would give)."""
        return omega(self.generator, data.faces[tgt], self.cond.truth_condition(data, tgt, truth))

    def baseline(self, data: TransferData, src, tgt) -> np.ndarray:
        """pix2pix: the same U-Net conditioned on the source face."""
        return omega(self.pix2pix, data.faces[tgt], data.faces[src])


def save_models(models_dir: Path | str, nets: dict) -> None:
    """Write Φ, Ω and the pix2pix generator ({'fusion', 'proposed', 'pix2pix': keras.Model}) atomically,
    and the conditioning card ({'conditioning': Conditioning}) that says what Ω is fed."""
    for key, name in (("fusion", FUSION), ("proposed", GENERATOR), ("pix2pix", PIX2PIX)):
        with atomic_path(Path(models_dir) / name) as tmp:
            nets[key].save(tmp)
    nets["conditioning"].save(models_dir)
