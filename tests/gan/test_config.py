"""One GAN config shape for the gan and feature_gan sections; bad values name the key."""

import pytest
import yaml

from pipeline.core.errors import PipelineError
from pipeline.core.params import validate
from pipeline.gan.config import (
    FeatureGANKeys,
    FeatureRunParams,
    GANKeys,
    GANMetricsKeys,
    feature_run_config,
    gan_config,
    load_gan,
)


def write_params(committed_params, section, **changes):
    params = {**committed_params, section: {**committed_params[section], **changes}}
    with open("params.yaml", "w") as f:
        yaml.safe_dump(params, f)


def test_committed_sections_validate(committed_params):
    gan = GANKeys.model_validate(committed_params["gan"])
    feature = FeatureGANKeys.model_validate(committed_params["feature_gan"])
    runs = {name: validate(FeatureRunParams, run, f"feature_gan.runs.{name}")
            for name, run in committed_params["feature_gan"]["runs"].items()}
    assert {"demo", "ckplus", "ckplus_clean", "fer2013"} <= set(runs)
    assert "test" not in runs["ckplus_clean"].splits and "test" in runs["ckplus"].splits
    one = feature_run_config(feature, runs["ckplus"])
    assert one.epochs == 300 and one.max_images == 0 and one.batch_size == feature.batch_size
    assert set(gan_config(one)) == set(GANKeys.model_fields) == set(gan_config(gan))
    assert gan_config(gan)["g_widths"] == [256, 128, 64]


def test_bad_run_entry_names_the_run():
    with pytest.raises(PipelineError, match="feature_gan.runs.ck.epochs: Input should be greater than 0"):
        validate(FeatureRunParams, {"dataset": "ckplus", "splits": ["train"], "epochs": 0, "max_images": 0},
                 "feature_gan.runs.ck")


@pytest.mark.parametrize("key, bad, message", [
    ("precision", "float16", "gan.precision: Input should be 'float32', 'mixed_bfloat16' or 'auto'"),
    ("image_size", 50, "gan.image_size: must be a multiple of 8 for the pixelnorm variant"),
    ("g_widths", [8, 8], "gan.g_widths"),
    ("lr_g", 1.5, "gan.lr_g: Input should be less than 1"),
])
def test_bad_config_names_the_key(committed_params, key, bad, message):
    write_params(committed_params, "gan", **{key: bad})
    with pytest.raises(PipelineError, match="params.yaml: " + message.replace("(", r"\(")):
        load_gan(GANKeys, "gan")


def test_radford_image_size_is_a_multiple_of_16(committed_params):
    write_params(committed_params, "feature_gan", image_size=56)
    expected = "feature_gan.image_size: must be a multiple of 16 for the radford variant"
    with pytest.raises(PipelineError, match=expected):
        load_gan(FeatureGANKeys, "feature_gan")


def test_gan_metrics_fid_switch_reads_yaml_off(committed_params):
    raw = committed_params["gan_metrics"]
    assert GANMetricsKeys.model_validate({**raw, "fid": False}).fid == "off"
    assert GANMetricsKeys.model_validate({**raw, "fid": True}).fid == "auto"
    with pytest.raises(ValueError):
        GANMetricsKeys.model_validate({**raw, "samples_per_class": 1})


def test_runs_and_per_dataset_budgets_of_every_profile():
    """paper: a per-class GAN for every class of every chain dataset (CK+48: contempt, no neutral); cpu: one
    conditional GAN per dataset instead (the ablation's choice), and so does the demo; by_dataset: budgets."""
    from pipeline.core.profiles import compose
    from pipeline.gan.config import CGANKeys

    paper, cpu = compose("paper"), compose("cpu")
    runs = paper["gan"]["runs"]
    assert {r["dataset"] for r in runs.values()} == set(paper["data"]["datasets"]) == {"fer2013", "ckplus"}
    assert all(key == f"{r['dataset']}-{r['class']}" for key, r in runs.items())
    ck_classes = {r["class"] for r in runs.values() if r["dataset"] == "ckplus"}
    assert "contempt" in ck_classes and "neutral" not in ck_classes and len(runs) == 14
    assert paper["gan"]["cgan_datasets"] == [] and paper["synthesize"]["generator"] == "per_class"
    assert cpu["gan"]["runs"] == {} and cpu["gan"]["cgan_datasets"] == cpu["data"]["datasets"]
    assert (cpu["synthesize"]["generator"], cpu["synthesize"]["models"]) == ("conditional", "models/cgan")
    assert (cpu["gan_metrics"]["generator"], cpu["gan_metrics"]["models"]) == ("conditional", "models/cgan")
    cfg = CGANKeys.model_validate(cpu["gan"])
    ck, fer = cfg.for_dataset("ckplus"), cfg.for_dataset("fer2013")
    assert (ck.epochs, ck.batch_size) == (100, 8) and (fer.epochs, fer.batch_size) == (50, 32)
    assert "by_dataset" not in gan_config(ck) and gan_config(fer) == gan_config(cfg)
    demo = compose("demo")  # the cpu run's chain at demo sizes (paper 000's per-class GAN: in its ablation)
    assert demo["gan"]["runs"] == {} and demo["gan"]["cgan_datasets"] == demo["data"]["datasets"] == ["demo"]
    assert (demo["synthesize"]["generator"], demo["gan_metrics"]["models"]) == ("conditional", "models/cgan")
    assert "paper" in demo["gan_ablation"]["variants"]
    assert CGANKeys.model_validate(demo["gan"]).for_dataset("demo").epochs == demo["gan"]["epochs"]


def test_min_steps_gives_a_small_class_more_epochs_and_leaves_large_ones_alone():
    from pipeline.core.profiles import compose
    from pipeline.gan.config import TrainGANKeys

    cfg = TrainGANKeys.model_validate(compose("cpu")["gan"])
    fer, ck = cfg.for_dataset("fer2013"), cfg.for_dataset("ckplus")
    assert (fer.min_steps, ck.min_steps) == (2000, 0)
    assert fer.epochs_for(2500) == 50                    # 78 steps an epoch: 3,900 steps already
    assert fer.epochs_for(389) == 167 and 389 // 32 * 167 >= 2000 > 389 // 32 * 166  # FER-2013 disgust
    assert ck.epochs_for(36) == 100                      # CK+ keeps the paper's 100 epochs
    assert fer.model_copy(update={"min_steps": 0}).epochs_for(389) == 50
    assert fer.epochs_for(5) == 2000                     # fewer images than a batch: one step an epoch
