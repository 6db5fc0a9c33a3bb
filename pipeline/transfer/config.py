"""The transfer stages' views of params.yaml section `transfer` (defaults live in params.yaml only).

Split by what a key changes: a key only evaluation reads (`test_pairs`, `grid`) or only augmentation
reads (`augment_per_subject`) is no dep of train_transfer, so changing it never retrains the GANs.
`transfer.input` (the folder of faces) is no key of these models: it reaches the stages as the
`--input` path on their dvc.yaml command, and the stages depend on that folder.

The conditioning keys (`VariantFields`: landmark encoding, displacement, warp input, Φ's coordinate
loss, feature matching, what Ω trains on) are top-level keys of train_transfer and, per variant, the
entries of `transfer.ablation.variants` (stage ablate_transfer), which sets its own short schedule.
"""

from typing import Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    NonNegativeFloat,
    NonNegativeInt,
    PositiveFloat,
    PositiveInt,
    confloat,
    field_validator,
    model_validator,
)

from ..core.params import Keys, Params

Source = Literal["auto", "ckplus", "rafd", "demo"]
Encoding = Literal["polyline", "heatmap", "masks"]


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


class CommonTrainKeys(DataKeys):
    """Training keys shared by train_transfer and every ablation variant."""

    base_filters: PositiveInt                           # U-Net / PatchGAN width
    fusion_filters: PositiveInt                         # fusion network + landmark discriminator width
    batch_size: PositiveInt
    g_lr: PositiveFloat
    d_lr: PositiveFloat
    beta_1: confloat(ge=0, lt=1)
    beta_2: confloat(ge=0, lt=1)
    fusion_weights: tuple[float, float, float]          # adversarial, cycle, L1 (eq. 6)
    transfer_weights: tuple[float, float]               # cGAN, L1 (eq. 9)
    flip: bool
    heatmap_sigma: PositiveFloat                        # px at the working size (landmark_encoding heatmap)


class VariantFields(BaseModel):
    """How the landmarks condition the networks (the ablation's axes)."""

    landmark_encoding: Encoding                         # polyline (paper) | heatmap | masks
    fusion_coord_weight: NonNegativeFloat               # > 0: Φ also predicts the 68 points (L1 in px);
    #                                                     Ω's landmarks are then drawn from those points
    displacement: bool                                  # Ω also gets where the points move (dx, dy field)
    warp_input: bool                                    # Ω also gets the target face warped to the points
    feature_matching_weight: NonNegativeFloat           # Ω: L1 between D features of real and generated
    omega_landmarks: Literal["fused", "truth"]          # Ω trains on Φ's output | the truth's real points

    @model_validator(mode="after")
    def _points_needed(self):
        for key in ("displacement", "warp_input"):
            if getattr(self, key) and not self.fusion_coord_weight:
                raise ValueError(f"{key} needs Φ's points: set fusion_coord_weight > 0")
        return self


class VariantKeys(VariantFields, Params):
    """One entry of transfer.ablation.variants (all six keys, nothing else)."""

    model_config = ConfigDict(extra="forbid", frozen=True, protected_namespaces=())


class TrainKeys(CommonTrainKeys, VariantFields):
    """Stage `train_transfer`: every key that changes what training does."""

    model_config = ConfigDict(extra="ignore", frozen=True, protected_namespaces=())

    fusion_epochs: NonNegativeInt
    epochs: NonNegativeInt                              # transfer module and pix2pix baseline
    train_pairs: PositiveInt

    def variant(self) -> VariantKeys:
        return VariantKeys(**{k: getattr(self, k) for k in VariantKeys.model_fields})


class EvaluateKeys(DataKeys):
    """Stage `evaluate_transfer`: the held-out triples and the grid."""

    test_pairs: PositiveInt
    grid: PositiveInt


class DiagnoseKeys(DataKeys):
    """Stage `diagnose_transfer`: the held-out triples the reference rows are scored on."""

    test_pairs: PositiveInt
    heatmap_sigma: PositiveFloat


class AblationBaseKeys(CommonTrainKeys):
    """Stage `ablate_transfer`, section transfer: shared training keys and the test triples."""

    test_pairs: PositiveInt


class AblationKeys(Keys):
    """Section transfer.ablation: a short schedule and the variants trained on it."""

    fusion_epochs: NonNegativeInt
    epochs: PositiveInt
    train_pairs: PositiveInt
    pix2pix: bool                                       # also the pix2pix baseline on the same schedule
    variants: dict[str, VariantKeys]

    @field_validator("variants")
    @classmethod
    def _names(cls, variants: dict) -> dict:
        if not variants:
            raise ValueError("name at least one variant")
        bad = [k for k in variants if not k.replace("_", "").replace("-", "").isalnum() or k == "pix2pix"]
        if bad:
            raise ValueError(f"variant names are letters, digits, _ and - (not 'pix2pix'): {bad}")
        return variants


class JudgeKeys(Keys):
    """Section transfer.judge: the expression classifier that scores transferred faces."""

    epochs: PositiveInt
    batch_size: PositiveInt
    lr: PositiveFloat
    filters: PositiveInt


class AugmentKeys(DataKeys):
    """Stage `augment_transfer`: how many missing expressions each training subject gets."""

    augment_per_subject: NonNegativeInt


def train_keys(common: CommonTrainKeys, schedule: AblationKeys, variant: VariantKeys) -> TrainKeys:
    """The TrainKeys of one ablation variant: shared keys + the ablation's schedule + the variant."""
    return TrainKeys(**common.model_dump(), **variant.model_dump(), fusion_epochs=schedule.fusion_epochs,
                     epochs=schedule.epochs, train_pairs=schedule.train_pairs)
