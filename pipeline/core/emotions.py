"""Canonical emotion names shared by all datasets, and the spellings each source uses."""

from .errors import PipelineError

# FER-2013 label codes 0..6, in order.
FER2013_CLASSES = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")
# CK+ emotion codes 1..7 (code - 1 = index), in canonical spelling.
CKPLUS_CLASSES = ("angry", "contempt", "disgust", "fear", "happy", "sad", "surprise")
# RaFD's eight expressions, in canonical spelling.
RAFD_CLASSES = ("angry", "contempt", "disgust", "fear", "happy", "neutral", "sad", "surprise")

CANONICAL = ("angry", "contempt", "disgust", "fear", "happy", "neutral", "sad", "surprise")

ALIASES = {
    "anger": "angry", "angry": "angry",
    "contempt": "contempt", "contemptuous": "contempt",
    "disgust": "disgust", "disgusted": "disgust",
    "fear": "fear", "fearful": "fear", "afraid": "fear",
    "happy": "happy", "happiness": "happy", "joy": "happy",
    "neutral": "neutral",
    "sad": "sad", "sadness": "sad",
    "surprise": "surprise", "surprised": "surprise",
}


def canonical_emotion(name: str, where: str) -> str:
    """Map a dataset's spelling of an emotion to the canonical name, or fail naming `where`."""
    key = str(name).strip().lower()
    if key not in ALIASES:
        raise PipelineError(f"{where}: unknown class '{name}' (known: {', '.join(sorted(ALIASES))})")
    return ALIASES[key]
