"""Keys of the `cnn` params section, split by what they change.

`TrainKeys` change the trained models (stages train_classifier@<mode>, _gan, _transfer);
`EvalKeys` change only how the trained models are scored and labelled (evaluate_classifier@<mode>,
_gan, _transfer), so switching test-time augmentation or renaming the profile never retrains.
The dataset is a path named on the commands (dvc.yaml: data/balanced/<dataset>/dataset.npz), `cnn.modes`
and `data.datasets` drive the matrix only.
Defaults live in params.yaml.
"""

from typing import Literal

from pydantic import Field, NonNegativeInt, PositiveFloat, PositiveInt, create_model

from ..core.params import Keys

TRAINED_MODES = ("none", "classical", "random_oversample", "smote")  # cnn.modes: train_classifier@<mode>
GENERATED_MODES = ("gan", "transfer")  # images made by a generator: stages train_classifier_gan / _transfer
MODES = TRAINED_MODES + GENERATED_MODES

Mode = Literal["none", "classical", "random_oversample", "smote", "gan", "transfer"]
Protocol = Literal["official", "thesis_random_split", "subject_kfold"]


class TrainKeys(Keys):
    """What trains: protocols and folds, the mode's added rows, augmentation, network and schedule."""

    protocols: list[Protocol] = Field(min_length=1)
    evaluation: Literal["auto", "holdout", "subject_kfold"]
    folds: int = Field(ge=2)
    repeats: PositiveInt                       # single-split protocols: seeds seed..seed+repeats-1
    classical_in: list[Mode]                   # modes that also get online classical augmentation
    smote_k: PositiveInt                       # SMOTE neighbours (fewer when a class has fewer rows)
    flip: bool
    shift: float = Field(ge=0.0, le=1.0)
    rotation: float = Field(ge=0.0, le=180.0)
    zoom: float = Field(ge=0.0, lt=1.0)
    erasing: float = Field(ge=0.0, le=1.0)
    crop: NonNegativeInt                       # network input window side; 0 = the whole face
    label_smoothing: float = Field(ge=0.0, lt=1.0)
    widths: list[PositiveInt] = Field(min_length=1)
    convs_per_block: PositiveInt
    dense: PositiveInt
    dropout: float = Field(ge=0.0, lt=1.0)
    bn_momentum: float = Field(ge=0.0, lt=1.0)
    epochs: PositiveInt
    batch: PositiveInt
    lr: PositiveFloat
    patience: PositiveInt
    seed: NonNegativeInt
    precision: Literal["float32", "mixed_bfloat16", "mixed_float16", "auto"]  # auto: core.precision


# protocol-level keys: they change a run's rows (hashed as data) or its online flag, not the run itself
PROTOCOL_KEYS = ("protocols", "evaluation", "folds", "repeats", "classical_in", "smote_k")


def run_config(cfg: TrainKeys) -> dict:
    """The keys that make one training run (network, augmentation, schedule, seed): its fingerprint."""
    return cfg.model_dump(mode="json", exclude=set(PROTOCOL_KEYS))


class EvalKeys(Keys):
    """Scoring only: test-time augmentation and the profile label written into the metrics."""

    profile: str
    tta_flip: bool                             # average each test face with its mirror
    tta_crops: bool                            # with crop: average the four corner and the centre windows


class PeerKeys(Keys):
    profile: str


Arm = Literal["classical", "smote", "gan_fill", "gan_half"]
ARM_MODES = {"classical": "classical", "smote": "smote", "gan_fill": "gan", "gan_half": "gan"}
GAN_SHARE = {"gan_fill": 1.0, "gan_half": 0.5}  # share of each class's synthetic rows a gan arm adds
ARM_OVERRIDES = ("protocols", "repeats", "classical_in")  # set by the arm (question.arm_config), not read

# train_question's view of `cnn`: the network, augmentation and schedule, not the keys its arms set
ArmCnnKeys = create_model("ArmCnnKeys", __base__=Keys,
                          __doc__="train_question: the cnn keys an arm trains with.",
                          **{n: (f.annotation, f) for n, f in TrainKeys.model_fields.items()
                             if n not in ARM_OVERRIDES})


class QuestionTrainKeys(Keys):
    """train_question: how many seeds per arm and how long."""

    seeds: PositiveInt                         # cnn.seed .. cnn.seed + seeds - 1 per arm, the same split
    epochs: NonNegativeInt                     # 0 = cnn.epochs


class QuestionKeys(Keys):
    """question_table: which arms, compared with which, and how the intervals are made."""

    arms: list[Literal["classical", "smote"]] = Field(min_length=1)  # train_question@<dataset>-<arm>
    gan_arms: list[Literal["gan_fill", "gan_half"]]  # train_question_gan@<dataset>-<arm> (synthetic faces)
    baseline: Arm                              # the arm the others are compared with (paired by seed)
    bootstrap: PositiveInt                     # paired bootstrap resamples of the test faces
    confidence: float = Field(gt=0.5, lt=1.0)  # interval level
    focus_class: str                           # the class whose recall is reported (disgust: the rarest)

    @property
    def all_arms(self) -> list[str]:
        return [*self.arms, *self.gan_arms]
