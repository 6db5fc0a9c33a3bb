import pytest

from .helpers import synthetic_rows, write_params


@pytest.fixture()
def workdir(tmp_path, demo_dataset):
    """tmp cwd with params.yaml (TINY), the demo as the balanced dataset and GAN stand-in images."""
    write_params(tmp_path / "params.yaml")
    demo_dataset.save(tmp_path / "data/balanced/dataset.npz")
    synthetic_rows(demo_dataset).save(tmp_path / "data/synthetic/dataset.npz")
    return tmp_path
