"""The trained generators synthesize and gan_metrics draw from: per_class or conditional."""

import json
from pathlib import Path

from pipeline.core.errors import PipelineError

from .saved_models import check_trained_on, load_generator

CONDITIONAL_STAGES = ("train_cgan", "train_gan_ablation")  # the stages that write one conditional GAN


class GeneratorSet:
    """The trained generators of one kind in `models`: per_class (<models>/<class>/, train_gan@<class>)
    or conditional (<models>/ itself, train_cgan); `load(name)` gives a z -> image generator."""

    def __init__(self, models: Path | str, kind: str, classes, source: str, key: str):
        self.models, self.kind, self.classes, self.source = Path(models), kind, list(classes), source
        top = self.models / "training.json"
        stage = _stage_of(top)
        if kind == "conditional":
            if stage not in CONDITIONAL_STAGES:
                raise PipelineError(f"{top}: no conditional GAN here ({key}.generator is conditional; "
                                    f"point {key}.models at train_cgan's folder, models/cgan)")
            self.card = check_trained_on(self.models, source)
            if list(self.card.get("classes", [])) != self.classes:
                raise PipelineError(f"{top}: trained on classes {self.card.get('classes')} but the dataset "
                                    f"has {self.classes} (retrain it: train_cgan)")
            self.available = [c for c in self.card["trained_classes"] if c in self.classes]
            self._generator = None
        else:
            if stage == "train_cgan":
                raise PipelineError(f"{top}: this is the conditional GAN (train_cgan) but {key}.generator "
                                    f"is per_class (set it to conditional, or {key}.models: models/gan)")
            self.available = [c for c in self.classes if (self.models / c / "generator.keras").is_file()]

    def where(self, name: str) -> str:
        """The folder of the generator making class `name` (for messages)."""
        return str(self.models if self.kind == "conditional" else self.models / name)

    def has(self, name: str) -> bool:
        return name in self.available

    def cards(self) -> dict:
        """Model cards, one per trained model: per class, or the one conditional GAN's."""
        if self.kind == "conditional":
            return {"conditional": self.card}
        return {c: check_trained_on(self.models / c, self.source) for c in self.available}

    def load(self, name: str):
        """The generator of class `name`: its own DCGAN's, or the conditional one fixed to `name`."""
        if self.kind == "per_class":
            check_trained_on(self.models / name, self.source)
            return load_generator(self.models / name)
        from .conditional import ClassSampler

        if self._generator is None:
            self._generator = load_generator(self.models)
        return ClassSampler(self._generator, self.classes.index(name))


def _stage_of(card_path: Path):
    try:
        return json.loads(card_path.read_text()).get("stage")
    except (OSError, ValueError, AttributeError):
        return None
