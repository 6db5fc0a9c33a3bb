"""The keys export_model reads from params.yaml (`bundle`): types and bounds only (defaults: params.yaml)."""

from typing import Annotated, Literal

from pydantic import Field

from pipeline.core.params import Keys

PositiveInt = Annotated[int, Field(strict=True, gt=0)]
NonNegativeInt = Annotated[int, Field(strict=True, ge=0)]


class BundleKeys(Keys):
    """export_model: which classifier becomes the package's bundled model, and how it is stored."""
    dataset: Literal["fer2013", "ckplus", "rafd", "demo", "any"]  # only a model of this dataset is bundled
    weights: Literal["float16", "float32"]    # stored precision of the weights (float16: half the size)
    max_mb: Annotated[float, Field(gt=0)]     # the exported model.keras may not be larger (it is committed)
    cross_dataset: str                        # data/cropped/<name>.npz scored on the classes it shares
    confidence: Annotated[float, Field(gt=0.5, lt=1)]  # level of the accuracy intervals
    check_faces: PositiveInt                  # test faces scored by both the trained and the exported model
    detect_side: NonNegativeInt               # photos longer than this are searched on a smaller copy
    replace: Literal["if_better_on_validation", "always"]  # keep a bundle with a higher PublicTest accuracy
