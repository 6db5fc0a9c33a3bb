"""The discriminators stage svm_features reads: every train_feature_gan@<run> folder under --gan-models.

A run folder holds discriminator.keras, discriminator_init.keras (the untrained twin) and
training.json (its card: dataset, splits); a run skipped for want of data has only the card
(`{"skipped": reason}`). Feature sets: `d-<run>.<layer>` per trained run and layer, and
`random.<layer>` from the untrained twin (one set: every run shares architecture and seed).
"""

from pathlib import Path

import numpy as np

from .extractors import CARD_FILE, DISCRIMINATOR_FILE, discriminator_info, load_feature_extractor

INIT_FILE = "discriminator_init.keras"


def discriminator_sets(gan_models: Path | str, layers, random_init: bool) -> tuple[dict, dict, dict]:
    """(extractors by feature set, index entries by feature set, skipped runs -> reason)."""
    extractors, sets, skipped = {}, {}, {}
    runs = sorted(p for p in Path(gan_models).iterdir() if p.is_dir()) if Path(gan_models).is_dir() else []
    trained = []
    for folder in runs:
        info = discriminator_info(folder)
        if not (folder / DISCRIMINATOR_FILE).is_file():
            skipped[folder.name] = info.get("skipped") or f"no {DISCRIMINATOR_FILE} ({CARD_FILE}: no reason)"
            continue
        trained.append(folder)
        for layer in layers:
            name = f"d-{folder.name}.{layer}"
            extractors[name] = load_feature_extractor(folder / DISCRIMINATOR_FILE, layer)
            sets[name] = {"kind": "discriminator", "run": folder.name,
                          "model": str(folder / DISCRIMINATOR_FILE),
                          "layer": layer, "dims": int(np.prod(extractors[name].output_shape[1:])),
                          "trained_on": info}
    twins = [f for f in trained if (f / INIT_FILE).is_file()]
    if random_init and twins:
        for layer in layers:
            name = f"random.{layer}"
            extractors[name] = load_feature_extractor(twins[0] / INIT_FILE, layer)
            sets[name] = {"kind": "random_init", "model": str(twins[0] / INIT_FILE), "layer": layer,
                          "dims": int(np.prod(extractors[name].output_shape[1:])),
                          "trained_on": {"dataset": "none (untrained, same seed-built network)"}}
    return extractors, sets, skipped
