"""Typed views of params.yaml section `svm` for the stages svm_features and svm.

Defaults live in params.yaml only. Optional experiment keys (`paper`, `test_labels`,
`d_trained_on`, `layers`) may be left out of an entry: absent means "none" (no published analogue,
test labels = train labels, D's dataset from its training card, every layer of svm.features.layers).
"""

from typing import Annotated, Literal

from pydantic import Field, NonNegativeInt, PositiveFloat, PositiveInt

from ..core.params import Keys, Params

BASELINES = ("pixels", "hog", "random_init", "cnn")
# Controls beside every discriminator: raw pixels, HOG, the same D untrained (random_init, on the
# same layers) and the supervised FER CNN's penultimate dense layer (cnn: an upper reference).
Baseline = Literal["pixels", "hog", "random_init", "cnn"]
Protocol = Literal["kfold", "loso", "split", "cross"]
Range = Annotated[list[PositiveFloat], Field(min_length=2, max_length=2)]
AuLabels = Literal["auto", "real", "rules"]


# ---- svm_features ----------------------------------------------------------------------------
class SeedKeys(Keys):
    """svm.seed: which rows a stratified subsample keeps (same rows for every feature set)."""

    seed: NonNegativeInt


class FeatureKeys(Keys):
    """svm.features: what stage svm_features extracts."""

    layers: Annotated[list[str], Field(min_length=1)]  # D layers; "<layer>_gap" = its global average pool
    datasets: Literal["auto"] | Annotated[list[str], Field(min_length=1)]
    max_rows: NonNegativeInt         # 0 = every row
    batch_size: PositiveInt
    baselines: list[Baseline]


# ---- svm -------------------------------------------------------------------------------------
class LargeParams(Params):
    """Emotion training sets above max_train rows (exact RBF SVC grows as n^2)."""

    max_train: PositiveInt
    method: Literal["subsample", "pca", "nystroem", "linear"]
    components: PositiveInt
    max_iter: PositiveInt            # epochs of the linear SGD SVM (method linear; large AU sets)


class AuParams(Params):
    codes: Annotated[list[PositiveInt], Field(min_length=1)]
    C: PositiveFloat | Annotated[list[PositiveFloat], Field(min_length=1)]  # a list = inner grid search
    class_weight: Literal["balanced"] | None


class _Experiment(Params):
    """D trained on X (`d`), SVM trained on Y (`train`), tested on Z (`test`); "a|b" = a, else b."""

    id: str
    d: str                                    # a feature_gan.runs name (its train_feature_gan@<d>)
    train: str
    test: str
    protocol: Protocol                        # kfold | loso (train == test) | split | cross (train != test)
    paper: str | None = None                  # closest published column (report text only)
    d_trained_on: str | None = None           # report text when D has no training card
    layers: list[str] | None = None           # D layers of this entry (None = svm.features.layers)


class EmotionExperiment(_Experiment):
    task: Literal["emotion"]


class AuExperiment(_Experiment):
    task: Literal["au"]
    labels: AuLabels                          # real FACS codes, Table VI rules, or auto (real if any)
    test_labels: AuLabels | None = None       # None = as `labels`


Experiment = Annotated[EmotionExperiment | AuExperiment, Field(discriminator="task")]


class SvmKeys(Keys):
    """svm: the experiment matrix and its SVM settings."""

    seed: NonNegativeInt
    folds: Annotated[int, Field(ge=2)]
    inner_folds: Annotated[int, Field(ge=2)]
    search_iter: NonNegativeInt                # 0 = defaults (C=1, gamma=1/n_features)
    C_range: Range
    gamma_scale_range: Range
    class_weight: Literal["balanced"] | None
    n_jobs: int
    blas_threads: PositiveInt
    large: LargeParams
    au: AuParams
    experiments: list[Experiment]


class BaselineKeys(Keys):
    """svm.features.baselines / layers: the feature sets every experiment runs on."""

    baselines: list[Baseline]
    layers: Annotated[list[str], Field(min_length=1)]
