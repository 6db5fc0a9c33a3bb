"""The transfer stages' views of params.yaml section `transfer` (defaults live in params.yaml only).

Split by what a key changes: a key only evaluation reads (`test_pairs`, `grid`) or only augmentation
reads (`augment_per_subject`) is no dep of train_transfer, so changing it never retrains the GANs.
`transfer.input` (the folder of faces) is no key of these models: it reaches the stages as the
`--input` path on their dvc.yaml command, and the stages depend on that folder.
"""

from typing import Literal

from pydantic import NonNegativeInt, PositiveFloat, PositiveInt, confloat, field_validator

from ..core.params import Keys

Source = Literal["auto", "ckplus", "rafd", "demo"]


class LandmarksKeys(Keys):
    """Stage `landmarks`: which dataset of the input folder (auto = ckplus > rafd > demo)."""

    source: Source


class DataKeys(Keys):
    """What rebuilds the transfer dataset and its subject split (every stage after landmarks)."""

    source: Source
    size: PositiveInt                                   # working resolution (power of two >= 8)
    test_fraction: confloat(gt=0, lt=1)                 # subjects held out (paper 8:2)
    seed: NonNegativeInt

    @field_validator("size")
    @classmethod
    def _power_of_two(cls, size: int) -> int:
        if size < 8 or size & (size - 1):
            raise ValueError(f"must be a power of two >= 8, got {size}")
        return size


class TrainKeys(DataKeys):
    """Stage `train_transfer`: every key that changes what training does."""

    base_filters: PositiveInt                           # U-Net / PatchGAN width
    fusion_filters: PositiveInt                         # fusion network + landmark discriminator width
    fusion_epochs: NonNegativeInt
    epochs: NonNegativeInt                              # transfer module and pix2pix baseline
    train_pairs: PositiveInt
    batch_size: PositiveInt
    g_lr: PositiveFloat
    d_lr: PositiveFloat
    beta_1: confloat(ge=0, lt=1)
    beta_2: confloat(ge=0, lt=1)
    fusion_weights: tuple[float, float, float]          # adversarial, cycle, L1 (eq. 6)
    transfer_weights: tuple[float, float]               # cGAN, L1 (eq. 9)
    flip: bool


class EvaluateKeys(DataKeys):
    """Stage `evaluate_transfer`: the held-out triples and the grid."""

    test_pairs: PositiveInt
    grid: PositiveInt


class AugmentKeys(DataKeys):
    """Stage `augment_transfer`: how many missing expressions each training subject gets."""

    augment_per_subject: NonNegativeInt
