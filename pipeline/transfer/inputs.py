"""The faces the transfer stages work on: `<input folder>/<source>.npz`.

The folder is the `--input` path of every transfer stage (params `transfer.input`: data/cropped, or
data/canonical for sources that are already aligned square face crops such as CK+48); the source is
`transfer.source` (auto = the first present of ckplus > rafd > demo, the sources with subjects and
several expressions per subject).
"""

from pathlib import Path

from ..core.dataset import FaceDataset
from ..core.errors import PipelineError

TRANSFER_SOURCES = ("ckplus", "rafd", "demo")


def resolve_source(name: str, folder: Path) -> str:
    """The dataset the transfer stages use: the named one, or the first present of ckplus > rafd > demo."""
    if name != "auto":
        return name
    for source in TRANSFER_SOURCES:
        if (Path(folder) / f"{source}.npz").is_file():
            return source
    raise PipelineError(f"{folder}: no ckplus/rafd/demo .npz to take landmarks from "
                        "(run the stages that make it first)")


def load_input(folder: Path | str, source: str) -> tuple[str, Path, FaceDataset]:
    """(source, path, dataset): square grayscale faces of `source` ('auto' resolved) in `folder`."""
    folder = Path(folder)
    source = resolve_source(source, folder)
    path = folder / f"{source}.npz"
    data = FaceDataset.load(path)
    if len(data) == 0:
        raise PipelineError(f"{path}: dataset is empty")
    if data.images.ndim != 3 or data.images.shape[1] != data.images.shape[2]:
        raise PipelineError(f"{path}: transfer needs square grayscale faces, "
                            f"got shape {data.images.shape[1:]} (use transfer.input: data/cropped)")
    return source, path, data
