"""The keys the data stages read from params.yaml (`data`, `crop`, `rebalance`): types and bounds only.

Defaults live in params.yaml. A nested `Params` model (data.audit, crop.mtcnn, ...) is one params dep:
every key inside it changes what the stage writes.
"""

from typing import Annotated, Literal

from pydantic import Field, StrictBool, ValidationError, field_validator

from pipeline.core.params import Keys, Params, distinct

PositiveInt = Annotated[int, Field(strict=True, gt=0)]
NonNegativeInt = Annotated[int, Field(strict=True, ge=0)]
Fraction = Annotated[float, Field(ge=0, le=1)]
NonNegative = Annotated[float, Field(ge=0)]


# ---- data (stage ingest) -------------------------------------------------------------------
class DemoParams(Params):
    """The embedded demo dataset: `use` auto = only when data.raw_dir is empty (a fresh clone),
    always = instead of raw_dir, never = an empty raw_dir fails too."""
    use: Literal["auto", "always", "never"]
    subjects: PositiveInt
    sequences_per_subject: PositiveInt
    seed: NonNegativeInt


class HoldoutParams(Params):
    """Fractions of subjects moved to val/test for sources with no split of their own."""
    val: Fraction
    test: Fraction
    seed: NonNegativeInt


class AuditDropParams(Params):
    train_copies_of_eval: StrictBool
    train_near_copies_of_eval: StrictBool
    blank: Literal["train", "all", "none"]


class AuditParams(Params):
    blank_tolerance: Annotated[int, Field(strict=True, ge=0, le=255)]
    near_duplicates: StrictBool
    drop: AuditDropParams


class IngestKeys(Keys):
    """`data` as ingest reads it (data.raw_dir is its command-line argument, data.datasets is rebalance's)."""
    demo: DemoParams
    max_image_side: PositiveInt
    subject_holdout: HoldoutParams
    audit: AuditParams


DatasetName = Literal["fer2013", "ckplus", "rafd", "demo"]


class DatasetsKeys(Keys):
    """`data.datasets`: the datasets the GAN + CNN chain runs on, each once (every one must be cropped)."""
    datasets: Annotated[list[DatasetName], Field(min_length=1), distinct("dataset")]


# ---- crop ------------------------------------------------------------------------------------
class MtcnnParams(Params):
    min_face_size: PositiveInt
    min_confidence: Fraction
    batch_size: PositiveInt


class HaarParams(Params):
    scale_factor: Annotated[float, Field(gt=1)]
    min_neighbors: NonNegativeInt
    min_size: Fraction           # fraction of the (unpadded) image side


class CropKeys(Keys):
    """The one face path (pipeline.data.faces): the crop stage and fer-predict both read it."""
    size: Annotated[int, Field(strict=True, ge=8)]
    detectors: list[Literal["mtcnn", "haar"]]
    passthrough: Literal["tight", "never"]
    tight_max_side: PositiveInt
    tight_min_face: Fraction
    min_std: NonNegative
    pad: NonNegative
    margin: NonNegative
    mtcnn: MtcnnParams
    haar: HaarParams


# ---- rebalance -------------------------------------------------------------------------------
Target = Literal["max"] | PositiveInt | dict[str, NonNegativeInt]


class RebalanceKeys(Keys):
    """Training-split rebalancing; oversampling lives in the classifier family (cnn modes)."""
    strategy: Literal["none", "cap"]
    cap: PositiveInt
    target: Target
    seed: NonNegativeInt

    @field_validator("target", mode="wrap")
    @classmethod
    def _one_message(cls, value, handler):
        try:
            return handler(value)
        except ValidationError:
            raise ValueError("not max, a positive int or a class: count mapping (counts >= 0)") from None
