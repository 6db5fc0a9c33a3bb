"""Stage `svm_features`: feature matrices for the SVM paper, one file per dataset and feature set.

For every cropped dataset (<cropped>/<source>.npz) it writes <features>/<set>/<source>.npz for
`d-<run>.<layer>` (each layer of svm.features.layers of every discriminator trained by
train_feature_gan@<run>: the folders <gan-models>/<run>/ holding discriminator.keras; a skipped run
has only its card) and the controls of svm.features.baselines: `random.<layer>` (the untrained twin
discriminator_init.keras), `pixels`, `hog` and `cnn` (penultimate dense layer of <--cnn>/model.keras,
the first dataset's classical CNN of train_classifier; skipped when the folder has none), plus
<features>/index.json. Datasets above `svm.features.max_rows` rows (0 = never) are
stratified-subsampled first, the same rows for every feature set.
"""

import argparse
from pathlib import Path

from ..core.cli import run_stage
from ..core.dataset import FaceDataset
from ..core.errors import PipelineError
from ..core.outputs import write_json
from ..core.params import load
from .config import FeatureKeys, SeedKeys
from .extractors import baseline_features, cnn_features, discriminator_features, load_cnn_extractor
from .features import save_features, stratified_rows
from .gan_models import discriminator_sets

PARAMS = {"svm": SeedKeys, "svm.features": FeatureKeys}


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
    parser.add_argument("--gan-models", type=Path, required=True,
                        help="folder of train_feature_gan@<run> model folders (models/feature_gan)")
    parser.add_argument("--cnn", type=Path, required=True,
                        help="folder of the supervised CNN (model.keras) for the cnn control: "
                             "train_classifier's classical model")
    parser.add_argument("--features", type=Path, required=True, help="output folder")
    args = parser.parse_args(argv)
    seed = load(SeedKeys, "svm").seed
    cfg = load(FeatureKeys, "svm.features")
    random_init = "random_init" in cfg.baselines
    extractors, sets, skipped = discriminator_sets(args.gan_models, cfg.layers, random_init)
    index = {"layers": list(cfg.layers), "max_rows": cfg.max_rows, "seed": seed, "datasets": {},
             "feature_sets": sets, "skipped_discriminators": skipped}
    baselines = [b for b in cfg.baselines if b in ("pixels", "hog")]
    for b in baselines:
        index["feature_sets"][b] = {"kind": b}
    cnn, cnn_file = None, args.cnn / "model.keras"
    if "cnn" in cfg.baselines:
        if cnn_file.is_file():
            cnn = load_cnn_extractor(cnn_file)
            index["feature_sets"]["cnn"] = {"kind": "cnn", "model": str(cnn_file),
                                            "layer": cnn.layers[-1].name,
                                            "dims": int(cnn.output_shape[-1])}
        else:
            index["skipped_controls"] = {"cnn": f"{cnn_file} not found (train_classifier's classical model)"}

    datasets = dataset_names(cfg.datasets, args.cropped)
    for source in datasets:
        ds = FaceDataset.load(args.cropped / f"{source}.npz")
        rows = stratified_rows(ds.labels, cfg.max_rows, seed)
        images = ds.images[rows]
        index["datasets"][source] = {"rows": int(len(rows)), "of": len(ds), "image_size": ds.image_size}
        print(f"{source}: {len(rows)} of {len(ds)} rows")
        for name, ext in extractors.items():
            feats = discriminator_features(ext, images, cfg.batch_size, desc=f"{source} {name}")
            save_features(args.features / name / f"{source}.npz", feats, ds, rows,
                          {"feature_set": name, **{k: sets[name][k] for k in ("model", "layer")},
                           "source": source})
            del feats
        for b in baselines:
            save_features(args.features / b / f"{source}.npz", baseline_features(b, images), ds, rows,
                          {"feature_set": b, "source": source})
        if cnn is not None:
            save_features(args.features / "cnn" / f"{source}.npz", cnn_features(cnn, images, cfg.batch_size),
                          ds, rows, {"feature_set": "cnn", "model": str(cnn_file), "source": source})
    write_json(args.features / "index.json", index)
    print(f"wrote {args.features} ({len(datasets)} dataset(s) x {len(index['feature_sets'])} feature set(s))")


if __name__ == "__main__":
    run_stage(main)
