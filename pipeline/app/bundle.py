"""The model the recogniser uses: the one bundled inside the package (default) or a model.keras by path.

The bundle (pipeline/app/bundled/, written by the export_model stage) is model.keras, model.json and
MODEL_CARD.md. model.json carries everything prediction needs besides the weights: the classes, the
face size, the test-time views the model was scored with and the `crop` section of params.yaml the
training faces were cut with, so prediction works from any folder, without the repository's params.
"""

from pathlib import Path

from pipeline.core.errors import PipelineError
from pipeline.core.params import load, params_path, validate
from pipeline.data.config import CropKeys

BUNDLED = Path(__file__).resolve().parent / "bundled"


def bundled_model() -> Path:
    """Path of the bundled model.keras (which may not exist in a checkout made before one was exported)."""
    return BUNDLED / "model.keras"


def missing_bundle_message() -> str:
    return (f"no bundled model in this installation ({bundled_model()} is missing): pass a trained "
            f"model (fer-predict --model models/cnn/fer2013/classical/model.keras) or export one "
            f"(dvc repro export_model)")


def load_model_and_info(model: Path | str | None = None):
    """(keras model, model.json dict) of `model` (a model.keras path), or of the bundled model."""
    from pipeline.classifier.inference import load_classifier

    if model is None:
        model = bundled_model()
        if not model.is_file():
            raise PipelineError(missing_bundle_message())
    return load_classifier(Path(model))


def model_crop(info: dict, model: Path | str | None) -> CropKeys | None:
    """The crop section carried in model.json, validated; None when the model has none."""
    if "crop" not in info:
        return None
    where = Path(model).with_name("model.json") if model is not None else BUNDLED / "model.json"
    return validate(CropKeys, info["crop"], "crop", where)


def crop_for(info: dict, model: Path | str | None, crop: CropKeys | None = None) -> CropKeys:
    """The crop params to cut faces with: `crop` if given, else model.json's, else the params file's
    (models published by evaluate_classifier carry none: they were cut with the checkout's params)."""
    if crop is not None:
        return crop
    carried = model_crop(info, model)
    if carried is not None:
        return carried
    if not params_path().is_file():
        raise PipelineError(f"{model}: its model.json has no crop section, so the crop section of "
                            f"{params_path()} is needed and it is missing (run from the repository root "
                            f"or pass --params FILE)")
    return load(CropKeys, "crop")


def card_summary(info: dict) -> dict:
    """The figures of model.json worth showing to a user (web page, --version style output)."""
    keys = ("dataset", "profile", "privatetest", "cross_dataset", "weights")
    return {k: info[k] for k in keys if k in info}

