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


def test_with_a_weight_average_the_saved_generator_is_the_average(tiny, tmp_path):
    import keras

    from pipeline.gan.networks import make_dcgan
    from pipeline.gan.saved_models import load_generator, save_models

    gan = make_dcgan(tiny(ema=0.9, d_reg="spectral"))
    gan.generator_ema.set_weights([w * 0.5 for w in gan.generator.get_weights()])
    save_models(gan, tmp_path / "models", {"dataset": "demo"})
    z = np.ones((1, 16), np.float32)
    g = load_generator(tmp_path / "models")
    np.testing.assert_allclose(g.predict_on_batch(z), gan.generator_ema.predict_on_batch(z), atol=1e-6)
    raw = keras.saving.load_model(tmp_path / "models" / "generator_raw.keras", compile=False)
    np.testing.assert_allclose(raw.predict_on_batch(z), gan.generator.predict_on_batch(z), atol=1e-6)
    d = keras.saving.load_model(tmp_path / "models" / "discriminator.keras", compile=False)
    x = np.zeros((1, 48, 48, 1), np.float32)
    np.testing.assert_allclose(d.predict_on_batch(x), gan.discriminator.predict_on_batch(x), atol=1e-6)


def test_generator_trained_on_another_dataset_is_refused(tmp_path):
    from pipeline.gan.saved_models import check_trained_on

    (tmp_path / "training.json").write_text(json.dumps({"dataset": "demo"}))
    assert check_trained_on(tmp_path, "demo")["dataset"] == "demo"
    with pytest.raises(PipelineError, match="trained on 'demo' but the balanced dataset is 'fer2013'"):
        check_trained_on(tmp_path, "fer2013")
    with pytest.raises(PipelineError, match="missing or unreadable"):
        check_trained_on(tmp_path / "nowhere", "demo")
