"""Training under tf.distribute: one param (`distribute.strategy`) picks the engine, the code stays the same.

- `none`: TF's default strategy (one device; the numbers are bit-identical to code without this module).
- `mirrored`: `tf.distribute.MirroredStrategy`, every local GPU of one machine (the CPU when none).
- `multi_worker`: `tf.distribute.MultiWorkerMirroredStrategy` over the machines listed in the `TF_CONFIG`
  environment variable (each machine runs the same stage with its own `task.index`; docs/scale.md).

Batch sizes in params.yaml stay *global*: the global batch is split across the replicas, so a run
on N devices follows the same algorithm as one device with that batch. What makes that true:
- datasets are sharded by element (`shard`): step s of replica r gets part r of the global batch s a
  single process would see (the same shuffle seed on every worker);
- losses are scaled by the global batch: a Keras loss returns the replica's mean divided by the
  replicas in sync (sum over the replica's batch / global batch), and the optimizer sums the
  replicas' gradients; `compile()`d models get this from Keras, custom train_steps must use Keras
  losses, divide their own means by `replicas_in_sync()` (pipeline.gan.losses.reduce) or use
  `global_batch_loss`;
- random draws made per batch (the DCGAN's latent vectors, DiffAugment's parameters) are drawn for
  the global batch and sliced (`replica_part`), and BatchNormalization uses the global batch's
  statistics (`synchronized_batch_norm`).
"""

import json
import os
from contextlib import contextmanager
from functools import cache
from typing import Literal

from .params import Keys, fail

STRATEGIES = ("none", "mirrored", "multi_worker")


class DistributeKeys(Keys):
    """The `distribute` section: which tf.distribute strategy every training stage runs under."""

    strategy: Literal["none", "mirrored", "multi_worker"]


def cluster_spec(environ=os.environ) -> dict:
    """TF_CONFIG, checked: {'cluster': {'worker': [host:port, ...]}, 'task': {'type', 'index'}}."""
    text = environ.get("TF_CONFIG", "")
    if not text:
        raise fail("distribute.strategy", "multi_worker needs the TF_CONFIG environment variable on every "
                                          "worker (docs/scale.md)")
    try:
        spec = json.loads(text)
        workers = spec["cluster"]["worker"]
        task = spec["task"]
        index = int(task["index"])
    except (ValueError, KeyError, TypeError):
        raise fail("distribute.strategy", "TF_CONFIG is not {'cluster': {'worker': [...]}, "
                                          "'task': {'type': 'worker', 'index': i}}") from None
    if task.get("type") == "worker" and not 0 <= index < len(workers):
        raise fail("distribute.strategy",
                   f"TF_CONFIG task index {index} is not one of its {len(workers)} workers")
    return spec


@cache
def make_strategy(kind: str):
    """The tf.distribute strategy for `kind` (none | mirrored | multi_worker), made once per process.

    Call it before any other TensorFlow op runs: MultiWorkerMirroredStrategy configures the collective
    ops of the process (TF refuses to do that later)."""
    import tensorflow as tf

    if kind == "none":
        return tf.distribute.get_strategy()
    if kind == "mirrored":
        _keras_workarounds()
        return tf.distribute.MirroredStrategy()
    if kind == "multi_worker":
        cluster_spec()
        strategy = tf.distribute.MultiWorkerMirroredStrategy()
        _keras_workarounds()
        return strategy
    raise fail("distribute.strategy", f"{kind!r} is not one of {', '.join(STRATEGIES)}")


def _keras_workarounds() -> None:
    """Two Keras 3 (3.15) bugs in fit() under tf.distribute, fixed in place (once per process).

    - Under a strategy, fit() first draws a batch to build the model symbolically and averages it with
      `strategy.reduce("MEAN", (x, y))`: TF reduces one tensor, not a tuple, so every (x, y) dataset
      fails on several replicas ("Attempt to convert a value (PerReplica...) to a Tensor"); and drawing it
      opens the dataset once more, so every epoch would see the next reshuffle, not the one a run without
      a strategy sees. The build only needs shapes and dtypes: it gets the dataset's element spec.
    - Under MultiWorkerMirroredStrategy each step's per-replica logs are reduced with
      `strategy.reduce("MEAN", v, axis=0)`, which fails on scalars, i.e. every loss and metric
      (tensorflow/tensorflow#72388): scalars are averaged over the replicas (axis=None) instead.
    """
    import tensorflow as tf
    from keras.src.backend.tensorflow import trainer

    if getattr(trainer, "pipeline_workarounds", False):
        return
    keras_reduce = trainer.reduce_per_replica
    keras_build = trainer.TensorFlowTrainer._maybe_symbolic_build

    def local(v):
        return v.values[0] if isinstance(v, tf.distribute.DistributedValues) else v

    def maybe_symbolic_build(self, iterator=None, data_batch=None):
        if iterator is not None and self._distribute_strategy is not None:
            data_batch, iterator = iterator.data_adapter.get_tf_dataset().element_spec, None
        return keras_build(self, iterator=iterator, data_batch=data_batch)

    def reduce_per_replica(values, strategy, reduction):
        if reduction not in ("auto", "mean") or not trainer._collective_all_reduce_multi_worker(strategy):
            return keras_reduce(values, strategy, reduction)

        def reduce(v):
            if getattr(local(v), "shape", None) is not None and local(v).shape.rank == 0:
                return strategy.reduce("MEAN", v, axis=None)
            return keras_reduce(v, strategy, reduction)

        return tf.nest.map_structure(reduce, values)

    trainer.TensorFlowTrainer._maybe_symbolic_build = maybe_symbolic_build
    trainer.reduce_per_replica = reduce_per_replica
    trainer.pipeline_workarounds = True


def replicas_in_sync() -> int:
    """Replicas training together (1 outside tf.distribute); inside a train_step, of the current strategy."""
    import tensorflow as tf

    return int(tf.distribute.get_strategy().num_replicas_in_sync)


def replica_part(batch, n):
    """This replica's `n` rows of `batch`, a tensor made for the global batch (replicas_in_sync() * n rows).

    Replica r takes rows r*n .. r*n+n-1, the part of the global batch sharded data gives it (`shard`);
    with one replica, `batch` itself."""
    import tensorflow as tf

    if replicas_in_sync() == 1:
        return batch
    start = tf.distribute.get_replica_context().replica_id_in_sync_group * n
    return batch[start:start + n]


def global_batch_loss(per_example, global_batch: int | None = None):
    """Sum of this replica's per-example losses / the global batch (what a hand-written loss must return
    inside a distributed train_step, so that summed gradients are those of the global-batch mean)."""
    import tensorflow as tf

    return tf.nn.compute_average_loss(per_example, global_batch_size=global_batch)


def shard(dataset):
    """`dataset` sharded by element (each worker reads its part of every global batch, in order).

    Explicit DATA sharding: in-memory datasets have no files to shard by, and TF's AUTO policy would
    first try files and warn."""
    import tensorflow as tf

    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return dataset.with_options(options)


@contextmanager
def synchronized_batch_norm(model, strategy):
    """While inside, the BatchNormalization layers of `model` normalise by the statistics of the global
    batch when `strategy` has several replicas (enter before fit() traces its train function).

    Models saved inside (a best-val checkpoint) record `synchronized: true`: harmless, inference uses
    the moving statistics."""
    import keras

    layers = [la for la in _sublayers(model) if isinstance(la, keras.layers.BatchNormalization)]
    before = [la.synchronized for la in layers]
    if strategy.num_replicas_in_sync > 1:
        for la in layers:
            la.synchronized = True
    try:
        yield
    finally:
        for la, value in zip(layers, before):
            la.synchronized = value


def _sublayers(model):
    return model._flatten_layers(include_self=False, recursive=True)
