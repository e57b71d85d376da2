"""Activation normalisation (Glow, Kingma & Dhariwal 2018)."""

import keras
import tensorflow as tf
from keras import ops

from tfbsl import _checks
from tfbsl._backend import tfp
from tfbsl._compat import in_stateless_scope
from tfbsl.flows._block import _FlowBlock

tfb = tfp.bijectors


@keras.saving.register_keras_serializable(package="tfbsl")
class ActNorm(_FlowBlock):
    """Per-dimension affine normalisation with data-dependent initialisation
    (Glow, Kingma & Dhariwal 2018).

    Data -> base is `(x - loc) * exp(-log_scale)`. The first call on data
    (eagerly or in the first `fit` step, also jit-compiled) sets `loc` and
    `log_scale` to that batch's mean and log-standard deviation, so the block's
    outputs start standardised; both then train. A non-trainable flag records
    the initialisation, so a reloaded model keeps its values.

    Rows with a NaN or an infinite value are left out of those moments. A
    first batch with no such row to use (empty, or none finite) is refused
    with a `ValueError` when called eagerly; compiled (e.g. in `fit`), where
    no error can be raised, it leaves the block uninitialised, and the next
    batch initialises it.

    Args:
        epsilon: added to the variance before the log.

    Example:
    ```python
    flow = tfbsl.layers.NormalizingFlow([
        tfbsl.layers.ActNorm(), tfbsl.layers.MaskedAutoregressive((32, 32)),
    ])
    ```
    """

    def __init__(self, epsilon=1e-6, **kwargs):
        epsilon = _checks.check_positive_finite("epsilon", epsilon)
        super().__init__(**kwargs)
        self.epsilon = epsilon

    def build(self, inputs_shape, context_shape=None):
        self._build_shapes(inputs_shape, context_shape)
        self.loc = self.add_weight(shape=(self.event_size,), initializer="zeros", name="loc")
        self.log_scale = self.add_weight(
            shape=(self.event_size,), initializer="zeros", name="log_scale")
        self.initialized = self.add_weight(
            shape=(), dtype="bool", initializer="zeros", trainable=False, name="initialized")

    def _bijector(self, context):
        return tfb.Chain([tfb.Shift(self.loc), tfb.Scale(log_scale=self.log_scale)])

    def _inverse(self, x, context):
        # Symbolic shape inference runs in a stateless scope, whose recorded
        # assignments cannot leave a tf.cond branch; it needs no values anyway.
        if not in_stateless_scope():
            # Under tf.distribute each replica holds a slice of the global
            # batch, and the collective that pools the slices cannot run in a
            # tf.cond branch: so the moments are computed at every step.
            count, mean, variance = _global_batch_moments(x) or _finite_moments(x)
            if tf.executing_eagerly() and count == 0 and not self.initialized.numpy():
                raise ValueError(
                    "ActNorm sets `loc` and `log_scale` from the first batch it "
                    "sees, which needs at least one row of finite values. "
                    f"Received: inputs.shape={tuple(x.shape)}"
                    + ("" if x.shape[0] == 0 else ", no row finite")
                )
            # Compiled, no error can be raised: a batch without a finite row
            # leaves the block uninitialised, for the next batch to set.
            tf.cond(ops.logical_or(self.initialized, count == 0), lambda: tf.constant(False),
                    lambda: self._initialize(mean, variance))
        # The bijector's inverse, in plain ops: through TFP, whose bijector
        # cache matches bijectors by parameters (here the same variables in
        # every graph), a subclassed model's train step met a log-det traced
        # in its first, scratch-graph call (InaccessibleTensorError).
        z = (x - self.loc) * ops.exp(-self.log_scale)
        return z, ops.broadcast_to(-ops.sum(self.log_scale), ops.shape(x)[:-1])

    def _initialize(self, mean, variance):
        self.loc.assign(ops.cast(mean, self.loc.dtype))
        self.log_scale.assign(
            ops.cast(0.5 * ops.log(variance + self.epsilon), self.log_scale.dtype))
        self.initialized.assign(True)
        return tf.constant(True)

    def get_config(self):
        config = super().get_config()
        config["epsilon"] = self.epsilon
        return config


def _finite_moments(x, total=lambda sums: sums):
    """`(count, mean, variance)` over the rows of `x` whose values are all
    finite (a NaN or inf row would poison the moments); `total` sums its
    list of per-replica sums over replicas (the identity on one)."""
    finite = ops.all(ops.isfinite(x), axis=-1, keepdims=True)
    count, sums = total([ops.sum(ops.cast(finite, x.dtype)), ops.sum(ops.where(finite, x, 0.0), 0)])
    mean = sums / ops.maximum(count, 1.0)
    # Two passes: E[x^2] - E[x]^2 cancels to noise when |mean| >> std.
    [squares] = total([ops.sum(ops.where(finite, ops.square(x - mean), 0.0), 0)])
    return count, mean, squares / ops.maximum(count, 1.0)


def _global_batch_moments(x):
    """`_finite_moments` over all replicas' batches; None on one replica."""
    replica = tf.distribute.get_replica_context()
    if replica is None or replica.num_replicas_in_sync == 1:
        return None
    return _finite_moments(x, lambda sums: replica.all_reduce("SUM", sums))
