"""Synthetic rows fill each class up to its rebalance target, training split only."""

import json

import pytest

from pipeline.core.dataset import FaceDataset
from pipeline.core.errors import PipelineError


def test_synthesize_counts(demo_dataset, tiny):
    from pipeline.gan.networks import build_generator
    from pipeline.gan.synthesis import synthesize, synthetic_counts

    counts = demo_dataset.class_counts("train")
    targets = {"targets": {c: max(counts.values()) for c in demo_dataset.classes}, "counts": counts}
    need = synthetic_counts(targets, demo_dataset.classes)
    g = build_generator(tiny())
    synth = synthesize(demo_dataset, need, lambda name: g, seed=0)
    assert synth.class_counts() == need
    assert synth.synthetic.all() and (synth.split == "train").all()
    assert len(set(synth.ids)) == len(synth) and all(i.startswith("synth/") for i in synth.ids)
    assert synth.classes == demo_dataset.classes and synth.images.shape[1:] == (48, 48)
    FaceDataset.concat([demo_dataset, synth])  # joins the real data
    with pytest.raises(PipelineError, match="unknown class"):
        synthetic_counts({"targets": {"joy": 3}, "counts": {}}, demo_dataset.classes)


def test_a_generator_of_another_size_is_refused(demo_dataset, tiny):
    from pipeline.gan.networks import build_generator
    from pipeline.gan.synthesis import synthesize

    g = build_generator(tiny(image_size=32))
    with pytest.raises(PipelineError, match="models/gan/happy/generator.keras makes 32px images"):
        synthesize(demo_dataset, {"happy": 2}, lambda name: g, where={"happy": "models/gan/happy"})


def test_bad_targets_file(tmp_path):
    from pipeline.gan.synthesis import read_targets

    with pytest.raises(PipelineError, match="not found"):
        read_targets(tmp_path / "targets.json")
    (tmp_path / "targets.json").write_text(json.dumps({"targets": {}}))
    with pytest.raises(PipelineError, match="missing the 'counts' mapping"):
        read_targets(tmp_path / "targets.json")
