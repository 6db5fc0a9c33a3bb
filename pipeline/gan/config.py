"""The keys each GAN-family stage reads from params.yaml (types and bounds here, values in params.yaml).

`synthesize.models` and `gan_metrics.models` are paths named on the commands (dvc.yaml), not keys
read here; `generator` says what that folder holds.

`GANKeys` is the one shape of a DCGAN training run, shared by the `gan` section (train_gan@<class>;
train_cgan adds its classes and embedding) and the `feature_gan` section (train_feature_gan, which
adds the data it trains on).
"""

from typing import Annotated, Literal

from pydantic import BaseModel, Field, NonNegativeInt, PositiveInt, StrictBool, confloat, field_validator

from pipeline.core.params import Keys, Params, distinct, fail, load

Rate = confloat(gt=0, lt=1)
Augmentation = Literal["translation", "cutout", "brightness", "contrast"]
Beta = confloat(ge=0, lt=1)


class GANArchKeys(Keys):
    """A DCGAN run less its budget and its data-efficient options: what the GAN ablation's variants share."""

    batch_size: PositiveInt
    latent_dim: PositiveInt
    image_size: PositiveInt                   # a multiple of 8 (pixelnorm) or 16 (radford)
    variant: Literal["pixelnorm", "radford"]
    g_base: PositiveInt                       # channels of the Dense projection
    g_widths: tuple[PositiveInt, PositiveInt, PositiveInt]                 # Conv2DTranspose filters
    d_widths: tuple[PositiveInt, PositiveInt, PositiveInt, PositiveInt]    # Conv2D d_conv1..d_conv4
    lr_g: Rate
    lr_d: Rate
    beta1: Beta
    beta2: Beta
    seed: NonNegativeInt
    precision: Literal["float32", "mixed_bfloat16", "auto"]  # auto: core.precision times both
    jit_compile: StrictBool
    sample_every: PositiveInt                 # epochs between sample grids
    divergence_patience: PositiveInt          # epochs of a collapsed D before stopping


class GANOptions(Params):
    """The data-efficient options of a DCGAN run; the defaults are the DCGAN paper's reference (all off).

    A `gan_ablation.variants` entry names only the options it turns on (train_gan_ablation).
    """

    diffaugment: Annotated[tuple[Augmentation, ...], distinct("policy")] = ()
    ema: confloat(ge=0, lt=1) = 0.0
    d_reg: Literal["none", "spectral", "r1"] = "none"
    r1_gamma: confloat(ge=0) = 10.0
    loss: Literal["bce", "hinge"] = "bce"
    conditional: StrictBool = False           # one class-conditional GAN over the classes (train_cgan's)


class AblationGANKeys(GANArchKeys):
    """The `gan` keys train_gan_ablation reads: shared networks and the conditional variant's embedding."""

    cgan_embed_dim: PositiveInt


class GANCoreKeys(GANArchKeys):
    """A DCGAN run less its budget (epochs, image cap): what the feature GAN's runs share."""

    # Data-efficient training (each off = the DCGAN paper's reference; pipeline.gan.diffaugment, losses)
    # DiffAugment policies on real and fake before D; () = off
    diffaugment: Annotated[tuple[Augmentation, ...], distinct("policy")]
    ema: confloat(ge=0, lt=1)                 # decay of G's weight average used for sampling; 0 = off
    d_reg: Literal["none", "spectral", "r1"]  # discriminator regularisation
    r1_gamma: confloat(ge=0)                  # R1 weight (d_reg r1): gamma / 2 * E ||grad D(real)||^2
    loss: Literal["bce", "hinge"]


class GANKeys(GANCoreKeys):
    """Everything that defines one DCGAN training run (fingerprinted: a change never resumes old weights)."""

    epochs: PositiveInt
    max_images: NonNegativeInt                # cap on training images (0 = all)


class AblationRunKeys(GANKeys):
    """One ablation run's full config: GANKeys plus the class embedding (used by a conditional variant)."""

    cgan_embed_dim: PositiveInt


class DatasetBudget(BaseModel, extra="forbid"):
    """`gan.by_dataset.<dataset>`: the epochs, batch size and minimum steps of that dataset's GANs."""

    epochs: PositiveInt
    batch_size: PositiveInt
    min_steps: NonNegativeInt


class TrainGANKeys(GANKeys):
    """train_gan@<key>: the `gan` run keys plus the per-dataset budgets (`by_dataset`)."""

    by_dataset: dict[str, DatasetBudget]
    min_steps: NonNegativeInt                 # at least this many steps a run (small classes: more epochs)

    def for_dataset(self, dataset: str) -> "TrainGANKeys":
        """This config with `by_dataset[dataset]` (when listed) in place of epochs, batch_size, min_steps."""
        budget = self.by_dataset.get(dataset)
        return self.model_copy(update=budget.model_dump()) if budget else self

    def epochs_for(self, n_images: int) -> int:
        """`epochs`, or more for a run on so few images that `epochs` would make fewer than `min_steps`
        steps (FER-2013 disgust: 389 faces = 12 steps an epoch at batch 32; a class capped at 2,500: 78)."""
        steps = max(1, n_images // max(1, min(self.batch_size, n_images)))  # full batches (drop_remainder)
        return max(self.epochs, -(-self.min_steps // steps))


class CGANKeys(TrainGANKeys):
    """train_cgan@<dataset> (foreach gan.cgan_datasets): one class-conditional GAN over every class of the
    dataset with real training rows."""

    cgan_embed_dim: PositiveInt               # class embedding concatenated to z (G); projection in D


class CollapseParams(Params):
    """feature_gan.collapse: D has won outright (a degenerate feature extractor) -> the run fails.

    Collapse = an epoch with d_loss < d_loss_below and mean D(real) - mean D(fake) > score_gap_above
    (both as probabilities: D(real) ~ 1, D(fake) ~ 0, i.e. real-vs-fake accuracy ~ 1); `patience`
    such epochs in a row stop training with a one-line error naming the run and the epoch.
    """

    d_loss_below: confloat(gt=0)
    score_gap_above: confloat(gt=0, lt=1)
    patience: PositiveInt


class FeatureGANKeys(GANCoreKeys):
    """train_feature_gan@<run>: the settings every run shares (each run's data and budget are its
    entry of feature_gan.runs, passed on the stage's command line) and the collapse guard."""

    collapse: CollapseParams


class FeatureRunParams(Params):
    """feature_gan.runs.<name>: which rows of which cropped source one run trains on, and how long."""

    dataset: str                              # data/cropped/<dataset>.npz (absent -> skipped card)
    splits: Annotated[tuple[Literal["train", "val", "test"], ...], Field(min_length=1)]
    epochs: PositiveInt
    max_images: NonNegativeInt                # cap on training images (0 = all)


class AblationBudgetKeys(Keys):
    """gan_ablation: the data and budget every variant of the GAN ablation trains at (train_gan_ablation)."""

    dataset: str                              # data/balanced/<dataset>/dataset.npz
    classes: Annotated[tuple[str, ...], Field(min_length=1), distinct("class")]
    epochs: PositiveInt
    max_images: NonNegativeInt                # cap on training images per class (0 = all)


class AblationScoreKeys(Keys):
    """gan_ablation (stage gan_ablation): how each variant's fakes are scored against the real faces."""

    classes: Annotated[tuple[str, ...], Field(min_length=1), distinct("class")]
    variants: Annotated[dict[str, GANOptions], Field(min_length=1)]
    reference: str                            # the variant the others are compared with (all options off)
    samples_per_class: Annotated[int, Field(ge=2)]
    real_max_images: NonNegativeInt           # real training faces per class featurised (0 = all)
    fid_batch: PositiveInt
    kid_subsets: PositiveInt
    kid_subset_size: Annotated[int, Field(ge=2)]
    pr_k: PositiveInt
    seed: NonNegativeInt

    @field_validator("reference")
    @classmethod
    def _listed(cls, value, info):
        variants = info.data.get("variants") or {}
        if value not in variants:
            raise ValueError(f"'{value}' is not one of gan_ablation.variants ({', '.join(variants)})")
        return value


Generator = Literal["per_class", "conditional"]


class SynthesizeKeys(Keys):
    seed: NonNegativeInt
    batch: PositiveInt
    generator: Generator                      # per_class: <models>/<class>/ | conditional: train_cgan's


class RealStatsKeys(Keys):
    """real_stats: Inception features of the real faces, computed once (a DVC output of its own)."""

    fid: Literal["auto", "off"]
    fid_batch: PositiveInt
    real_max_images: NonNegativeInt           # cap on real training images featurised (0 = all)
    seed: NonNegativeInt

    @field_validator("fid", mode="before")
    @classmethod
    def _yaml_switch(cls, value):
        return _switch(value)


def _switch(value):
    """YAML reads a bare `off` as false (and `on` as true)."""
    return {False: "off", True: "auto"}.get(value, value) if isinstance(value, bool) else value


class GANMetricsKeys(Keys):
    profile: str                              # report label only
    generator: Generator
    samples_per_class: Annotated[int, Field(ge=2)]
    fid: Literal["auto", "off"]
    inception_samples_per_class: NonNegativeInt   # 0 = samples_per_class
    fid_batch: PositiveInt
    kid_subsets: PositiveInt
    kid_subset_size: Annotated[int, Field(ge=2)]
    classifier_epochs: PositiveInt
    classifier_max_train: NonNegativeInt      # 0 = no cap
    per_class_fid_min: PositiveInt            # per-class FID only for classes with this many real images
    pr_k: PositiveInt                         # k-th neighbour radius of improved precision/recall
    pr_max_real: NonNegativeInt               # real features in P/R (seeded subset; 0 = all)
    seed: NonNegativeInt

    @field_validator("fid", mode="before")
    @classmethod
    def _yaml_switch(cls, value):
        return _switch(value)


def image_size_factor(variant: str) -> int:
    """pixelnorm starts at size/8 (three 2x upsamplings), radford at size/16 (four)."""
    return 8 if variant == "pixelnorm" else 16


def load_gan(model: type[BaseModel], name: str):
    """Section `name` as a GANKeys model, with the check across keys (image_size vs variant)."""
    cfg = load(model, name)
    factor = image_size_factor(cfg.variant)
    if cfg.image_size % factor:
        raise fail(f"{name}.image_size",
                   f"must be a multiple of {factor} for the {cfg.variant} variant (got {cfg.image_size})")
    return cfg


def gan_config(cfg: GANKeys) -> dict:
    """The GAN run part of a config (what the model card and the checkpoint fingerprint record)."""
    return cfg.model_dump(mode="json", include=set(GANKeys.model_fields))


def cgan_config(cfg: CGANKeys, classes) -> dict:
    """A conditional run's config: the GAN run plus its classes and class embedding."""
    return {**gan_config(cfg), "classes": list(classes), "cgan_embed_dim": cfg.cgan_embed_dim}


def uses_logits(cfg) -> bool:
    """D ends in a linear unit (logits) unless the run is the reference BCE setup (sigmoid D).

    The reference (bce, d_reg none/spectral) keeps the paper's Dense(1, sigmoid) and Keras' BCE on
    probabilities, so its numbers stay those of earlier runs; hinge and R1 need the logit.
    """
    return cfg.loss != "bce" or cfg.d_reg == "r1"


def feature_run_config(shared: FeatureGANKeys, run: FeatureRunParams) -> GANKeys:
    """One train_feature_gan run as a GANKeys run: the shared settings plus the run's budget."""
    core = shared.model_dump(include=set(GANCoreKeys.model_fields))
    return GANKeys.model_validate({**core, "epochs": run.epochs, "max_images": run.max_images})
