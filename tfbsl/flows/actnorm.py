"""Activation normalisation (Glow, Kingma & Dhariwal 2018)."""

import warnings

import keras
from keras import ops

from tfbsl import _checks
from tfbsl._backend import impl, is_tensorflow, tfp
from tfbsl._compat import in_stateless_scope, in_symbolic_scope
from tfbsl.flows._block import _FlowBlock

__all__ = ["ActNorm"]

tfb = tfp.bijectors


@keras.saving.register_keras_serializable(package="tfbsl")
class ActNorm(_FlowBlock):
    """Per-dimension affine normalisation with data-dependent initialisation
    (Glow, Kingma & Dhariwal 2018).

    Data -> base is `(x - loc) * exp(-log_scale)`. The first call on data
    sets `loc` and `log_scale` to that batch's mean and log-standard
    deviation, so the block's outputs start standardised; both then train. A
    non-trainable flag records the initialisation, so a reloaded model keeps
    its values. On TensorFlow that first call may be the first `fit` step
    (also jit-compiled). On JAX, Keras' compiled steps keep no update of a
    trainable variable, so the block initialises on its first call outside
    them: call the flow (or the model) on data before `fit`, e.g.
    `model(x[:1000])`. Until then a compiled step warns and standardises each
    batch by its own moments (`loc` and `log_scale` do not train).

    Rows with a NaN or an infinite value are left out of those moments. A
    first batch with no such row to use (empty, or none finite) is refused
    with a `ValueError` when called eagerly; compiled (e.g. in `fit` on
    TensorFlow), where no error can be raised, it leaves the block
    uninitialised, and the next batch initialises it.

    Args:
        epsilon: added to the variance before the log.

    References:
        Kingma, Dhariwal (2018). "Glow: Generative Flow with Invertible 1x1
        Convolutions". https://arxiv.org/abs/1807.03039

    Input shape:
        `(batch, event_size)`.

    Output shape:
        `(batch, event_size)`: the data mapped towards the base (data ->
        base).

    Example:
    ```pycon
    >>> x = np.random.default_rng(0).normal(3.0, 2.0, size=(512, 2)).astype("float32")
    >>> flow = tfbsl.layers.NormalizingFlow([
    ...     tfbsl.layers.ActNorm(), tfbsl.layers.MaskedAutoregressive((8, 8)),
    ... ])
    >>> _ = flow(x)  # the first call on data initialises ActNorm
    >>> z = keras.ops.convert_to_numpy(flow.blocks[0].bijector().inverse(x))
    >>> np.round(z.mean(0), 3) + 0.0, np.round(z.std(0), 3)
    (array([0., 0.], dtype=float32), array([1., 1.], dtype=float32))

    ```
    """

    def __init__(self, epsilon=1e-6, **kwargs):
        epsilon = _checks.check_positive_finite("epsilon", epsilon)
        super().__init__(**kwargs)
        self.epsilon = epsilon
        # The flag as last read concretely: inside a JAX train step the flag
        # is a traced value (and Keras has detached the variable's own).
        self._known_initialized = False

    def build(self, inputs_shape, context_shape=None):
        self._build_shapes(inputs_shape, context_shape)
        self.loc = self.add_weight(shape=(self.event_size,), initializer="zeros", name="loc")
        self.log_scale = self.add_weight(
            shape=(self.event_size,), initializer="zeros", name="log_scale")
        self.initialized = self.add_weight(
            shape=(), dtype="bool", initializer="zeros", trainable=False, name="initialized")

    def load_own_variables(self, store):
        super().load_own_variables(store)
        self._known_initialized = bool(ops.convert_to_numpy(self.initialized))

    def _bijector(self, context):
        # Tensors, not variables: TFP's JAX substrate takes arrays only.
        return tfb.Chain([tfb.Shift(ops.convert_to_tensor(self.loc)),
                          tfb.Scale(log_scale=ops.convert_to_tensor(self.log_scale))])

    def _inverse(self, x, context):
        # A stateless scope is symbolic shape inference, which needs no
        # values (and whose recorded assignments cannot leave a tf.cond
        # branch), or a stateless call, which keeps no trainable update: on
        # JAX, every compiled step of fit, evaluate and predict.
        loc, log_scale = self.loc, self.log_scale
        if not in_stateless_scope():
            if impl.is_concrete(x):
                self._initialize_eagerly(x)
            elif is_tensorflow():
                self._initialize_in_graph(x)
            else:  # jax.jit
                loc, log_scale = self._compiled_parameters(x)
        elif not is_tensorflow() and not in_symbolic_scope():
            loc, log_scale = self._compiled_parameters(x)
        # The bijector's inverse, in plain ops: through TFP, whose bijector
        # cache matches bijectors by parameters (here the same variables in
        # every graph), a subclassed model's train step met a log-det traced
        # in its first, scratch-graph call (InaccessibleTensorError).
        z = (x - loc) * ops.exp(-log_scale)
        return z, ops.broadcast_to(-ops.sum(log_scale), ops.shape(x)[:-1])

    def _compiled_parameters(self, x):
        """`(loc, log_scale)` of a compiled step on JAX, which cannot set
        them: the variables, or the batch's moments while uninitialised."""
        if self._known_initialized:
            return self.loc, self.log_scale
        warnings.warn(
            "ActNorm has not been initialised from data: on JAX a compiled "
            "step (`fit`, `evaluate`, `predict`, `jax.jit`) cannot set its "
            "trainable `loc` and `log_scale`, so until the flow is called on "
            "data outside one (e.g. `model(x[:1000])` before `fit`), it "
            "standardises each batch by the batch's own moments and `loc` and "
            "`log_scale` do not train.", stacklevel=2)
        count, mean, variance = _batch_moments(x)
        from_batch = ops.logical_and(ops.logical_not(self.initialized), count > 0)
        # Read, not the variables: jnp.where would capture them as constants.
        loc, log_scale = ops.convert_to_tensor(self.loc), ops.convert_to_tensor(self.log_scale)
        return (ops.where(from_batch, mean, loc),
                ops.where(from_batch, 0.5 * ops.log(variance + self.epsilon), log_scale))

    def _initialize_eagerly(self, x):
        self._known_initialized = bool(ops.convert_to_numpy(self.initialized))
        if self._known_initialized:
            return
        count, mean, variance = _batch_moments(x)
        if count == 0:
            raise ValueError(
                "ActNorm sets `loc` and `log_scale` from the first batch it "
                "sees, which needs at least one row of finite values. "
                f"Received: inputs.shape={tuple(x.shape)}"
                + ("" if x.shape[0] == 0 else ", no row finite")
            )
        self._initialize(mean, variance)
        self._known_initialized = True

    def _initialize_in_graph(self, x):
        # Under tf.distribute each replica holds a slice of the global batch,
        # and the collective that pools the slices cannot run in a tf.cond
        # branch: so the moments are computed at every step. No error can be
        # raised here: a batch without a finite row leaves the block
        # uninitialised, for the next batch to set.
        count, mean, variance = _batch_moments(x)
        ops.cond(ops.logical_or(self.initialized, count == 0),
                 lambda: ops.convert_to_tensor(False),
                 lambda: self._initialize(mean, variance))

    def _initialize(self, mean, variance):
        self.loc.assign(ops.cast(mean, self.loc.dtype))
        self.log_scale.assign(
            ops.cast(0.5 * ops.log(variance + self.epsilon), self.log_scale.dtype))
        self.initialized.assign(True)
        return ops.convert_to_tensor(True)

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


def _batch_moments(x):
    """`_finite_moments` over the global batch: on TensorFlow, under
    `tf.distribute`, over all replicas' slices (a JAX program sees the global
    batch)."""
    if is_tensorflow():
        import tensorflow as tf

        replica = tf.distribute.get_replica_context()
        if replica is not None and replica.num_replicas_in_sync > 1:
            return _finite_moments(x, lambda sums: replica.all_reduce("SUM", sums))
    return _finite_moments(x)
