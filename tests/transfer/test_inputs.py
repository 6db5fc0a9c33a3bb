"""The faces the transfer stages read: <input folder>/<source>.npz, auto source, shape checks."""

import pytest

from pipeline.core.errors import PipelineError
from pipeline.transfer.inputs import load_input, resolve_source


def test_input_folder_and_shape_checks(tmp_path, demo_dataset):
    demo_dataset.save("data/canonical/demo.npz")
    source, path, data = load_input("data/canonical", "auto")
    assert source == "demo" and str(path) == "data/canonical/demo.npz" and len(data) == len(demo_dataset)
    with pytest.raises(PipelineError, match="data/cropped"):
        load_input("data/cropped", "auto")  # nothing cropped yet
    with pytest.raises(PipelineError, match="data/raw/demo.npz"):
        load_input("data/raw", "demo")  # a folder without the dataset: the error names the file
    demo_dataset.with_images(demo_dataset.images[:, :, :40]).save("data/canonical/demo.npz")
    with pytest.raises(PipelineError, match="square"):
        load_input("data/canonical", "demo")


def test_auto_source_prefers_ckplus_then_rafd_then_demo(tmp_path):
    for name in ("demo", "rafd"):
        (tmp_path / f"{name}.npz").write_bytes(b"")
    assert resolve_source("auto", tmp_path) == "rafd"
    assert resolve_source("ckplus", tmp_path) == "ckplus"  # a named source is taken as named
