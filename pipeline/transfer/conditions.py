"""What Φ and Ω are fed, from the trained run's conditioning (models/transfer/conditioning.json).

Φ gets landmark images in the chosen encoding (and, with a points head, the 68 points). Ω gets the
target face plus its condition: Φ's fused landmark image (the paper), or, with a points head, the
encoding drawn from Φ's fused points, optionally followed by the displacement field (target points
-> fused points: dx, dy) and the target face warped to the fused points. The oracle row and
`omega_landmarks: truth` use the truth's real points in place of Φ's.
"""

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from ..core.errors import PipelineError
from ..core.outputs import write_json
from . import encodings
from .pairs import TransferData
from .warp import warp_faces

CONDITIONING = "conditioning.json"  # name inside --models


@dataclass(frozen=True)
class Conditioning:
    encoding: str
    sigma: float
    points: bool          # Φ has a points head; Ω's landmarks are drawn from its points
    displacement: bool
    warp_input: bool

    @classmethod
    def of(cls, cfg) -> "Conditioning":
        """From TrainKeys (landmark_encoding, heatmap_sigma, fusion_coord_weight, displacement,
        warp_input)."""
        return cls(cfg.landmark_encoding, float(cfg.heatmap_sigma), cfg.fusion_coord_weight > 0,
                   bool(cfg.displacement), bool(cfg.warp_input))

    @property
    def channels(self) -> int:
        """Channels of one landmark image (Φ's inputs and output)."""
        return encodings.channels(self.encoding)

    @property
    def omega_channels(self) -> int:
        """Channels of Ω's condition (its input is the target face + these)."""
        return self.channels + 2 * self.displacement + self.warp_input

    @property
    def dx_channel(self) -> int | None:
        """Index of the condition's dx channel (negated by a left-right flip), None without one."""
        return self.channels if self.displacement else None

    def marks(self, data: TransferData) -> np.ndarray:
        """Every row's landmark image in this encoding."""
        return data.encoded(self.encoding, self.sigma)

    def draw(self, points: np.ndarray, size: int) -> np.ndarray:
        return encodings.render(points, size, self.encoding, self.sigma)

    def fusion_inputs(self, data: TransferData, src, tgt) -> list:
        marks = self.marks(data)
        inputs = [marks[src], marks[tgt]]
        return inputs + [data.points[src], data.points[tgt]] if self.points else inputs

    def fuse(self, fusion, data: TransferData, src, tgt) -> tuple[np.ndarray, np.ndarray | None]:
        """Φ on (source rows, target rows): (fused landmark images, fused points or None)."""
        out = fusion.predict(self.fusion_inputs(data, src, tgt), batch_size=64, verbose=0)
        return (out[0], out[1]) if self.points else (out, None)

    def omega_condition(self, data: TransferData, tgt, image=None, points=None) -> np.ndarray:
        """Ω's condition for target rows `tgt` from a fused image (no points head) or fused points."""
        tgt = np.asarray(tgt)
        if not self.points:
            return np.asarray(image, np.float32)
        size = data.faces.shape[1]
        parts = [self.draw(points, size)]
        if self.displacement:
            parts.append(encodings.displacement_field(data.points[tgt], points, size))
        if self.warp_input:
            parts.append(warp_faces(data.faces[tgt], data.points[tgt], points))
        return np.concatenate(parts, -1).astype(np.float32)

    def truth_condition(self, data: TransferData, tgt, truth) -> np.ndarray:
        """Ω's condition made from the truth's real landmarks (oracle row, omega_landmarks: truth)."""
        if self.points:
            return self.omega_condition(data, tgt, points=data.points[np.asarray(truth)])
        return self.marks(data)[np.asarray(truth)]

    def proposed_condition(self, fusion, data: TransferData, src, tgt) -> np.ndarray:
        image, points = self.fuse(fusion, data, src, tgt)
        return self.omega_condition(data, tgt, image=image, points=points)

    def save(self, models_dir: Path | str) -> None:
        write_json(Path(models_dir) / CONDITIONING, asdict(self))

    @classmethod
    def load(cls, models_dir: Path | str) -> "Conditioning":
        path = Path(models_dir) / CONDITIONING
        if not path.is_file():
            raise PipelineError(f"{path}: conditioning card not found (run train_transfer first)")
        return cls(**json.loads(path.read_text()))
