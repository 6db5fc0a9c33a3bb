"""Saved GANs: the models reload exactly; a generator trained on another dataset is refused."""

import json

import numpy as np
import pytest

from pipeline.core.errors import PipelineError


def test_saved_generator_reloads_to_the_same_outputs(tiny, tmp_path):
    from pipeline.gan.networks import make_dcgan
    from pipeline.gan.saved_models import load_generator, save_models

    gan = make_dcgan(tiny())
    save_models(gan, tmp_path / "models", {"epochs": 2, "dataset": "demo"})
    assert json.loads((tmp_path / "models" / "training.json").read_text())["epochs"] == 2
    assert (tmp_path / "models" / "discriminator.keras").is_file()
    g = load_generator(tmp_path / "models")
    z = np.zeros((1, 16), np.float32)
    np.testing.assert_allclose(g.predict_on_batch(z), gan.generator.predict_on_batch(z), atol=1e-6)


def test_generator_trained_on_another_dataset_is_refused(tmp_path):
    from pipeline.gan.saved_models import check_trained_on

    (tmp_path / "training.json").write_text(json.dumps({"dataset": "demo"}))
    assert check_trained_on(tmp_path, "demo")["dataset"] == "demo"
    with pytest.raises(PipelineError, match="trained on 'demo' but the balanced dataset is 'fer2013'"):
        check_trained_on(tmp_path, "fer2013")
    with pytest.raises(PipelineError, match="missing or unreadable"):
        check_trained_on(tmp_path / "nowhere", "demo")
