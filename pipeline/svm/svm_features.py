"""Stage `svm_features`: feature matrices for the SVM paper, one file per dataset and feature set.

For every cropped dataset (<cropped>/<source>.npz) it writes <features>/<set>/<source>.npz for
`d-<name>` (a layer of each discriminator given by --discriminator NAME=FOLDER) and the baselines
(pixels, hog), plus <features>/index.json. Datasets above `svm.features.max_rows` rows are
stratified-subsampled first, the same rows for every feature set. The discriminators on the
command line must be exactly those of `svm.features.discriminators` (dvc.yaml interpolates them).
"""

import argparse
from pathlib import Path

import numpy as np

from ..core.cli import run_stage
from ..core.dataset import FaceDataset
from ..core.errors import PipelineError
from ..core.outputs import write_json
from ..core.params import fail, load
from .config import FeatureKeys, SeedKeys
from .extractors import (
    DISCRIMINATOR_FILE,
    baseline_features,
    discriminator_features,
    discriminator_info,
    load_feature_extractor,
)
from .features import save_features, stratified_rows

PARAMS = {"svm": SeedKeys, "svm.features": FeatureKeys}


def named_folders(pairs: list[str], registry: dict[str, str]) -> dict[str, Path]:
    """--discriminator NAME=FOLDER pairs, checked against svm.features.discriminators."""
    given = {}
    for pair in pairs:
        name, sep, folder = pair.partition("=")
        if not sep or not name or not folder:
            raise PipelineError(f"--discriminator {pair!r}: expected NAME=FOLDER")
        given[name] = Path(folder)
    for name, folder in registry.items():
        if name not in given:
            raise fail(f"svm.features.discriminators.{name}", "not on the svm_features command line (add "
                       f"--discriminator {name}=${{svm.features.discriminators.{name}}} to its cmd and deps)")
        if given[name] != Path(folder):
            raise fail(f"svm.features.discriminators.{name}",
                       f"{folder} but the command line says {given[name]}")
    for name in given.keys() - registry.keys():
        raise fail("svm.features.discriminators", f"has no entry {name!r} (given by --discriminator)")
    return given


def dataset_names(datasets, cropped_dir: Path) -> list[str]:
    if datasets == "auto":
        names = sorted(p.stem for p in cropped_dir.glob("*.npz"))
        if not names:
            raise PipelineError(f"{cropped_dir}: no cropped datasets (run stage crop first)")
        return names
    return list(datasets)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cropped", type=Path, required=True, help="folder of cropped datasets <source>.npz")
    parser.add_argument("--features", type=Path, required=True, help="output folder")
    parser.add_argument("--discriminator", action="append", default=[], metavar="NAME=FOLDER",
                        help=f"a model folder holding {DISCRIMINATOR_FILE} (+ training.json); repeatable")
    args = parser.parse_args(argv)
    seed = load(SeedKeys, "svm").seed
    cfg = load(FeatureKeys, "svm.features")
    folders = named_folders(args.discriminator, cfg.discriminators)
    layer = cfg.layer
    extractors = {}
    for name, folder in folders.items():
        path = folder / DISCRIMINATOR_FILE
        extractors[name] = (path, load_feature_extractor(path, layer))

    index = {"layer": layer, "max_rows": cfg.max_rows, "seed": seed, "datasets": {}, "feature_sets": {}}
    for name, (path, ext) in extractors.items():
        index["feature_sets"][f"d-{name}"] = {"kind": "discriminator", "model": str(path), "layer": layer,
                                              "dims": int(np.prod(ext.output_shape[1:])),
                                              "trained_on": discriminator_info(path.parent)}
    for b in cfg.baselines:
        index["feature_sets"][b] = {"kind": b}

    datasets = dataset_names(cfg.datasets, args.cropped)
    for source in datasets:
        ds = FaceDataset.load(args.cropped / f"{source}.npz")
        rows = stratified_rows(ds.labels, cfg.max_rows, seed)
        images = ds.images[rows]
        index["datasets"][source] = {"rows": int(len(rows)), "of": len(ds), "image_size": ds.image_size}
        print(f"{source}: {len(rows)} of {len(ds)} rows")
        for name, (path, ext) in extractors.items():
            feats = discriminator_features(ext, images, cfg.batch_size, desc=f"{source} d-{name} {layer}")
            save_features(args.features / f"d-{name}" / f"{source}.npz", feats, ds, rows,
                          {"feature_set": f"d-{name}", "model": str(path), "layer": layer, "source": source})
        for b in cfg.baselines:
            save_features(args.features / b / f"{source}.npz", baseline_features(b, images), ds, rows,
                          {"feature_set": b, "source": source})
    write_json(args.features / "index.json", index)
    print(f"wrote {args.features} ({len(datasets)} dataset(s) x {len(index['feature_sets'])} feature set(s))")


if __name__ == "__main__":
    run_stage(main)
