"""core.distribute: the strategy param, TF_CONFIG checks (one error line), the helpers outside tf.distribute.

Training on several replicas / workers: tests/scale/test_multi_worker.py; resuming under a strategy:
tests/gan/test_distributed.py, tests/classifier/test_distributed.py."""

import json

import numpy as np
import pytest
import yaml

from pipeline.core import distribute
from pipeline.core.errors import PipelineError
from pipeline.core.params import load


def test_the_committed_strategy_is_none(repo_params):
    raw = yaml.safe_load(repo_params.read_text())["distribute"]
    assert distribute.DistributeKeys.model_validate(raw).strategy == "none"


def test_an_unknown_strategy_is_one_line_naming_the_key(tmp_path):
    (tmp_path / "params.yaml").write_text(yaml.safe_dump({"distribute": {"strategy": "horovod"}}))
    with pytest.raises(PipelineError, match=r"^params.yaml: distribute.strategy: Input should be 'none'"):
        load(distribute.DistributeKeys, "distribute")


@pytest.mark.parametrize("tf_config, problem", [
    (None, "multi_worker needs the TF_CONFIG environment variable"),
    ("{not json", "TF_CONFIG is not"),
    (json.dumps({"cluster": {"worker": ["127.0.0.1:1"]}}), "TF_CONFIG is not"),
    (json.dumps({"cluster": {"worker": ["127.0.0.1:1"]}, "task": {"type": "worker", "index": 3}}),
     "TF_CONFIG task index 3 is not one of its 1 workers"),
])
def test_multi_worker_checks_tf_config(tf_config, problem):
    environ = {} if tf_config is None else {"TF_CONFIG": tf_config}
    with pytest.raises(PipelineError, match=f"distribute.strategy: {problem}"):
        distribute.cluster_spec(environ)


def test_a_valid_tf_config_passes():
    spec = {"cluster": {"worker": ["10.0.0.1:2222", "10.0.0.2:2222"]}, "task": {"type": "worker", "index": 1}}
    assert distribute.cluster_spec({"TF_CONFIG": json.dumps(spec)}) == spec


def test_without_a_strategy_the_helpers_change_nothing():
    import tensorflow as tf

    assert distribute.make_strategy("none") is tf.distribute.get_strategy()
    assert distribute.replicas_in_sync() == 1
    batch = tf.reshape(tf.range(8.0), (4, 2))
    assert distribute.replica_part(batch, 4) is batch
    # the global-batch mean of per-example losses
    assert float(distribute.global_batch_loss(tf.constant([1.0, 2.0, 3.0]), 6)) == pytest.approx(1.0)


def test_shard_splits_datasets_by_element():
    import tensorflow as tf

    ds = distribute.shard(tf.data.Dataset.range(4).batch(2))
    assert ds.options().experimental_distribute.auto_shard_policy == tf.data.experimental.AutoShardPolicy.DATA
    assert [b.numpy().tolist() for b in ds] == [[0, 1], [2, 3]]


def test_batch_norm_is_synchronised_only_on_several_replicas():
    import keras
    import tensorflow as tf

    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2), keras.layers.BatchNormalization()])
    bn = model.layers[-1]

    class Two:
        num_replicas_in_sync = 2

    with distribute.synchronized_batch_norm(model, tf.distribute.get_strategy()):
        assert not bn.synchronized
    with distribute.synchronized_batch_norm(model, Two()):
        assert bn.synchronized
    assert not bn.synchronized
    assert np.isfinite(model(np.ones((2, 4), np.float32), training=True).numpy()).all()
