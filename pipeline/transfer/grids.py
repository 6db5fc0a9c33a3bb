"""Source x target grids of transferred faces on held-out subjects (reports/transfer/grid_*.png)."""

from pathlib import Path

import cv2
import numpy as np

from ..core.outputs import atomic_path
from .inference import Transfer
from .pairs import TransferData


def to_uint8(x: np.ndarray, scale: int) -> np.ndarray:
    img = np.clip((x[..., 0] + 1) * 127.5, 0, 255).astype(np.uint8)
    return cv2.resize(img, None, fx=scale, fy=scale, interpolation=cv2.INTER_NEAREST)


def grid_rows(data: TransferData, k: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """k test source rows (different expressions where possible) and k test target rows (one per subject)."""
    rng = np.random.default_rng(seed)
    rows = rng.permutation(data.rows["test"])
    sources, seen = [], set()
    for r in rows:
        if data.data.labels[r] not in seen:
            sources.append(r)
            seen.add(data.data.labels[r])
    sources += [r for r in rows if r not in sources][: max(0, k - len(sources))]
    targets, subjects = [], set()
    for r in rows:
        if data.data.subject[r] not in subjects:
            targets.append(r)
            subjects.add(data.data.subject[r])
    return np.array(sources[:k]), np.array(targets[:k])


def write_grid(path: Path, data: TransferData, model: Transfer, sources, targets,
               use_landmarks: bool) -> None:
    """Top row: sources (expression), left column: targets (identity), cells: transfers (the proposed
    model, or pix2pix when not `use_landmarks`)."""
    scale = max(1, 96 // data.faces.shape[1])
    tile = data.faces.shape[1] * scale
    canvas = np.full(((len(targets) + 1) * tile, (len(sources) + 1) * tile), 255, np.uint8)
    for j, s in enumerate(sources):
        canvas[:tile, (j + 1) * tile:(j + 2) * tile] = to_uint8(data.faces[s], scale)
    for i, t in enumerate(targets):
        canvas[(i + 1) * tile:(i + 2) * tile, :tile] = to_uint8(data.faces[t], scale)
        tgt = np.full(len(sources), t)
        out = model.proposed(data, sources, tgt) if use_landmarks else model.baseline(data, sources, tgt)
        for j in range(len(sources)):
            canvas[(i + 1) * tile:(i + 2) * tile, (j + 1) * tile:(j + 2) * tile] = to_uint8(out[j], scale)
    with atomic_path(path) as tmp:
        cv2.imwrite(str(tmp), canvas)
