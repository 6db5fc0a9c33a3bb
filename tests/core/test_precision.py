"""core.precision: `precision: auto` keeps the faster policy, records both timings, resumes its choice."""

import json

import numpy as np
import pytest

from pipeline.core.precision import choose_precision, seconds_per_step


def test_a_fixed_policy_is_used_as_it_is_and_nothing_is_timed():
    def never(policy):
        raise AssertionError("timed")

    assert choose_precision("float32", never) == ("float32", {"requested": "float32", "chosen": "float32"})


def test_auto_keeps_the_faster_and_records_both_timings(tmp_path, capsys):
    fake = {"float32": 0.2, "mixed_bfloat16": 0.1}
    chosen, record = choose_precision("auto", fake.get, tmp_path / "precision.json", "k", what="stage")
    assert chosen == "mixed_bfloat16"
    assert record == {"requested": "auto", "chosen": "mixed_bfloat16", "seconds_per_step": fake}
    assert "stage: precision auto -> mixed_bfloat16" in capsys.readouterr().out
    # a resumed run keeps the choice without timing again; another workload (key) times again
    again = choose_precision("auto", lambda p: pytest.fail("timed again"), tmp_path / "precision.json", "k")
    assert again == (chosen, record)
    slower_bf16 = {"float32": 0.1, "mixed_bfloat16": 0.3}
    assert choose_precision("auto", slower_bf16.get, tmp_path / "precision.json", "other")[0] == "float32"
    assert json.loads((tmp_path / "precision.json").read_text())["key"] == "other"


def test_seconds_per_step_skips_the_warmup():
    calls = []
    assert seconds_per_step(lambda: calls.append(1), steps=3, warmup=2) >= 0
    assert len(calls) == 5


def test_a_tiny_classifier_is_timed_in_both_policies():
    import keras

    from pipeline.classifier.networks import step_timer

    class Cfg:
        widths, convs_per_block, dense, dropout, bn_momentum, seed = [4], 1, 8, 0.3, 0.9, 0
        batch, lr, epochs, label_smoothing = 8, 0.001, 1, 0.1

    timer = step_timer(3, 16, Cfg(), steps=2)
    try:
        chosen, record = choose_precision("auto", timer)
    finally:
        keras.mixed_precision.set_global_policy("float32")
    assert chosen in ("float32", "mixed_bfloat16")
    assert set(record["seconds_per_step"]) == {"float32", "mixed_bfloat16"}
    assert all(np.isfinite(v) and v > 0 for v in record["seconds_per_step"].values())
