"""Activation normalisation (Glow, Kingma & Dhariwal 2018)."""

import keras
import tensorflow as tf
import tensorflow_probability as tfp
from keras import ops
from keras.src.backend.common.stateless_scope import in_stateless_scope

from tfbsl import _checks
from tfbsl.layers.flows._block import _FlowBlock

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

    def _inverse_and_log_det(self, x, context=None):
        self._check_inputs(x)
        # Symbolic shape inference runs in a stateless scope, whose recorded
        # assignments cannot leave a tf.cond branch; it needs no values anyway.
        if not in_stateless_scope():
            # Under tf.distribute each replica holds a slice of the global
            # batch, and the collective that pools the slices cannot run in a
            # tf.cond branch: there the moments are pooled at every step.
            moments = _global_batch_moments(x)
            tf.cond(self.initialized, lambda: tf.constant(False),
                    lambda: self._initialize(*(moments or _moments(x))))
        return super()._inverse_and_log_det(x, context)

    def _initialize(self, mean, variance):
        self.loc.assign(ops.cast(mean, self.loc.dtype))
        self.log_scale.assign(ops.cast(0.5 * ops.log(variance + self.epsilon), self.log_scale.dtype))
        self.initialized.assign(True)
        return tf.constant(True)

    def get_config(self):
        config = super().get_config()
        config["epsilon"] = self.epsilon
        return config


def _moments(x):
    return ops.moments(x, axes=list(range(len(x.shape) - 1)))


def _global_batch_moments(x):
    """Mean and variance over all replicas' batches; None on one replica."""
    replica = tf.distribute.get_replica_context()
    if replica is None or replica.num_replicas_in_sync == 1:
        return None
    mean, variance = _moments(x)
    mean, mean_square = replica.all_reduce("MEAN", [mean, variance + ops.square(mean)])
    return mean, ops.maximum(mean_square - ops.square(mean), 0.0)
