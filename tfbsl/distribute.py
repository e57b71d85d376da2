"""`Model.fit` under `tf.distribute.MultiWorkerMirroredStrategy`.

Keras 3.15's TensorFlow trainer cannot `fit`, `evaluate` or `predict` under a
multi-worker strategy (keras-team/keras#20585), whatever the layers: before
the first step it all-reduces a batch of *input data* eagerly to learn its
shapes ("Attempt to convert a value (PerReplica...) to a Tensor"), and after
each step it all-reduces the scalar loss along an axis 0 that a scalar does
not have. `enable_multi_worker_fit` replaces those two steps, and only for a
multi-worker strategy: the shapes are read from the local batch, and the logs
are averaged over the replicas element-wise, as under `MirroredStrategy`.
Nothing else in training changes; the gradients are all-reduced by Keras'
optimizer as before.
"""

import warnings

import keras

from tfbsl._backend import require_tensorflow
from tfbsl._compat import tensorflow_trainer

__all__ = ["enable_multi_worker_fit"]

_PATCHED = False
# The Keras releases this patch was tested with (tests/test_distribute.py).
_TESTED_KERAS = "3.15."


def enable_multi_worker_fit():
    """Lets `Model.fit` / `evaluate` / `predict` run under
    `tf.distribute.MultiWorkerMirroredStrategy` (works around
    keras-team/keras#20585; other strategies are untouched).

    Call it once per process, before `fit`; calling it again does nothing.
    It changes two private functions of Keras' TensorFlow trainer, so it
    checks that they still exist and raises a `RuntimeError` if a Keras
    release has renamed them (in which case the bug may also be fixed).

    Returns:
        True if this call patched Keras, False if an earlier call had.

    Example:

    ```python
    strategy = tf.distribute.MultiWorkerMirroredStrategy()  # TF_CONFIG set
    tfbsl.distribute.enable_multi_worker_fit()
    with strategy.scope():
        model = make_model()
        model.compile("adam", tfbsl.losses.NegativeLogLikelihood())
    model.fit(dataset, epochs=10)
    ```
    """
    global _PATCHED
    if _PATCHED:
        return False
    require_tensorflow("`enable_multi_worker_fit()` (it patches Keras' TensorFlow trainer)",
                       instead="`keras.distribution.DataParallel`")
    import tensorflow as tf

    trainer = tensorflow_trainer()

    needed = ("reduce_per_replica", "_collective_all_reduce_multi_worker")
    if not all(hasattr(trainer, name) for name in needed) or not hasattr(
        trainer.TensorFlowTrainer, "_maybe_symbolic_build"
    ):
        raise RuntimeError(
            "enable_multi_worker_fit() does not know this Keras release "
            f"({keras.__version__}): keras.src.backend.tensorflow.trainer lacks "
            "one of `reduce_per_replica`, `_collective_all_reduce_multi_worker`, "
            "`TensorFlowTrainer._maybe_symbolic_build`. Try `Model.fit` under "
            "the strategy without it (keras-team/keras#20585 may be fixed), or "
            "a custom loop with `strategy.run` (README, 'Several workers')."
        )
    if not keras.__version__.startswith(_TESTED_KERAS):
        warnings.warn(
            f"enable_multi_worker_fit() was tested with Keras {_TESTED_KERAS}x; "
            f"this is Keras {keras.__version__}. If keras-team/keras#20585 is "
            "fixed in it, `Model.fit` needs no patch.",
            stacklevel=2,
        )
    multi_worker = trainer._collective_all_reduce_multi_worker
    reduce_per_replica = trainer.reduce_per_replica
    maybe_symbolic_build = trainer.TensorFlowTrainer._maybe_symbolic_build

    def _local(value, strategy):
        if isinstance(value, tf.distribute.DistributedValues):
            return strategy.experimental_local_results(value)[0]
        return value

    def _maybe_symbolic_build_multi_worker(self, iterator=None, *args, **kwargs):
        strategy = self._distribute_strategy
        if strategy is None or iterator is None or not multi_worker(strategy):
            return maybe_symbolic_build(self, iterator, *args, **kwargs)
        # The symbolic build needs the shapes of one batch, not its values.
        for _, _, it in iterator:
            data_batch = tf.nest.map_structure(lambda v: _local(v, strategy), next(it))
            break
        with strategy.scope():
            self._symbolic_build(data_batch=data_batch)

    def _reduce_per_replica_multi_worker(values, strategy, reduction):
        if reduction in ("auto", "mean") and multi_worker(strategy):
            # Element-wise mean over the replicas (Keras reduced along axis 0
            # as well, which a scalar loss does not have).
            return tf.nest.map_structure(
                lambda v: strategy.reduce("MEAN", v, axis=None), values)
        return reduce_per_replica(values, strategy, reduction)

    trainer.reduce_per_replica = _reduce_per_replica_multi_worker
    trainer.TensorFlowTrainer._maybe_symbolic_build = _maybe_symbolic_build_multi_worker
    _PATCHED = True
    return True
