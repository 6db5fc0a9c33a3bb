"""GAN-family fixtures: configs from the committed params.yaml, shrunk to tiny networks."""

from pathlib import Path

import pytest
import yaml

from pipeline.core.profiles import compose

REPO = Path(__file__).resolve().parents[2]

TINY = dict(batch_size=8, latent_dim=16, g_base=16, g_widths=(16, 8, 8), d_widths=(8, 8, 16, 16),
            sample_every=1)


@pytest.fixture(scope="session")
def committed_params():
    return compose("demo")


@pytest.fixture(scope="session")
def paper_cfg(committed_params):
    """The `gan` section as committed: paper 000's full architecture."""
    from pipeline.gan.config import GANKeys

    return GANKeys.model_validate(committed_params["gan"])


@pytest.fixture(scope="session")
def tiny(paper_cfg):
    """tiny(**changes): the committed config with tiny networks, 2 epochs."""
    def make(**changes):
        return paper_cfg.model_copy(update={**TINY, "epochs": 2, **changes})

    return make


@pytest.fixture(scope="session")
def images(demo_dataset):
    return demo_dataset.of_split("train").images[:16]


def write_tiny_params(committed: dict, folder: Path) -> Path:
    """params.yaml with the demo profile's values, tiny networks, 1-epoch runs and per-class generators."""
    params = {name: dict(value) if isinstance(value, dict) else value for name, value in committed.items()}
    tiny = {k: list(v) if isinstance(v, tuple) else v for k, v in TINY.items()}
    params["gan"].update(tiny, epochs=1)
    params["feature_gan"].update(tiny, batch_size=8)  # epochs, max_images: each run's command line
    params["gan_metrics"].update(samples_per_class=4, fid="off", kid_subsets=2, kid_subset_size=4,
                                 classifier_epochs=1, classifier_max_train=64, real_max_images=16)
    # These tests score the per-class GANs of `trained`; the demo profile itself uses one conditional GAN.
    for stage in ("synthesize", "gan_metrics"):
        params[stage].update(generator="per_class", models="models/gan")
    path = Path(folder) / "params.yaml"
    path.write_text(yaml.safe_dump(params))
    return path


@pytest.fixture
def tiny_params(committed_params, isolated_workdir):
    """A tiny params.yaml in the test's working directory (where the stages read it)."""
    return write_tiny_params(committed_params, isolated_workdir)


TRAINED_CLASSES = ("happy", "sad")


@pytest.fixture(scope="session")
def trained(committed_params, demo_dataset, tmp_path_factory):
    """A folder where train_gan@happy and train_gan@sad ran (tiny, 1 epoch) on the demo set."""
    import os

    from pipeline.gan import train_gan

    root = tmp_path_factory.mktemp("trained")
    write_tiny_params(committed_params, root)
    demo_dataset.save(root / "data/balanced/dataset.npz")
    cwd = os.getcwd()
    os.chdir(root)
    try:
        for name in TRAINED_CLASSES:
            train_gan.main([name, "--dataset", "data/balanced/dataset.npz", "--models", f"models/gan/{name}",
                            "--card", f"reports/gan/{name}/training.json",
                            "--samples", f"reports/gan/{name}/samples.png",
                            "--live", f"reports/gan/{name}/live", "--checkpoints", f"checkpoints/gan/{name}"])
    finally:
        os.chdir(cwd)
    return root


@pytest.fixture(scope="session")
def trained_cgan(trained, demo_dataset):
    """train_cgan (tiny, 1 epoch) run in the `trained` folder on a copy of the demo set whose only rows are
    happy and sad (it learns every class with training rows): models/cgan."""
    import os

    import numpy as np

    from pipeline.gan import train_cgan

    params = yaml.safe_load((trained / "params.yaml").read_text())
    two = [demo_dataset.classes.index(c) for c in TRAINED_CLASSES]
    demo_dataset.subset(np.isin(demo_dataset.labels, two)).save(trained / "data/balanced/two_classes.npz")
    cwd = os.getcwd()
    os.chdir(trained)
    try:
        (trained / "params.yaml").write_text(yaml.safe_dump({**params, "gan": {**params["gan"], "ema": 0.9}}))
        train_cgan.main(["--dataset", "data/balanced/two_classes.npz", "--models", "models/cgan",
                         "--card", "reports/cgan/training.json", "--samples", "reports/cgan/samples.png",
                         "--live", "reports/cgan/live", "--checkpoints", "checkpoints/cgan"])
    finally:
        (trained / "params.yaml").write_text(yaml.safe_dump(params))
        os.chdir(cwd)
    return trained
