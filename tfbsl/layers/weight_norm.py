"""Keras 3 twin of `tfp.layers.weight_norm.WeightNorm`.

The wrapped layer keeps its `kernel` variable, which plays the part of the
direction `v`; the wrapper adds the magnitude `g` and calls the layer with
its kernel read as `g * v / ||v||`, through a `keras.StatelessScope` that maps
the kernel variable to that tensor (Keras 3 layers read their kernel from a
variable they own, so TFP's `layer.kernel = tensor` has no Keras 3 form).

Data-dependent initialization runs on the first call that is not a symbolic
trace: eager, in `fit` / `evaluate` / `predict` (with and without
`jit_compile`), or in the user's `tf.function`. It is a `tf.cond` on the
layer's non-trainable `initialized` flag, as in TFP, whose branch assigns `g`
and the bias once; XLA compiles the branch into the step and skips it
afterwards. Keras' symbolic traces (functional model construction, output
shapes) run under a `StatelessScope` where assignments cannot happen, so the
wrapper does not initialize there. `initialized` is saved with the model, so
a reloaded model is not re-initialized.

Under a `tf.distribute` strategy, the first replica's share of the first
batch sets `g` and the bias (checked with `MirroredStrategy` on two CPU
devices). Not supported: an enclosing `StatelessScope` with a variable
mapping (`stateless_call`), which the wrapper's own scope hides from the
wrapped layer's bias.
"""

import contextlib
import warnings

import keras
from keras import ops

from tfbsl import _checks
from tfbsl._backend import require_tensorflow
from tfbsl._compat import in_stateless_scope

__all__ = ["WeightNorm"]

_TRANSPOSED = (keras.layers.Conv1DTranspose, keras.layers.Conv2DTranspose,
               keras.layers.Conv3DTranspose)
_TESTED = (keras.layers.Dense, keras.layers.Conv1D, keras.layers.Conv2D,
           keras.layers.Conv3D, *_TRANSPOSED)


@keras.saving.register_keras_serializable(package="tfbsl")
class WeightNorm(keras.layers.Wrapper):
    """Decouples the magnitude and the direction of a layer's kernel.

    Reparameterizes the wrapped layer's kernel as `w = g * v / ||v||`, one
    magnitude `g` per output unit (filter), the norm taken over the other
    axes of the kernel, as in Salimans & Kingma (2016) and
    `tfp.layers.weight_norm.WeightNorm`. `v` is the layer's own kernel
    variable (its initializer, regularizer and constraint apply to `v`).

    On the first call (see the module docstring for graphs and XLA), with
    `data_init=True`, `g` and the bias are set from that batch so that the
    layer's pre-activations have zero mean and unit variance per unit
    (Salimans & Kingma's eq. 6): `g = 1 / std(t)`, `bias = -mean(t) / std(t)`
    for `t` the pre-activations with kernel `v / ||v||` and no bias; with
    `data_init=False`, `g = ||v||`, so the layer starts as it was.

    Args:
        layer: a Keras 3 layer with a `kernel` variable whose last axis is
            the output units (`Dense`, `Conv1D/2D/3D`) or, for the
            `Conv*DTranspose` layers, the second last, and whose outputs
            have the units last (`data_format="channels_last"`, Keras'
            default), as in TFP. Other layer types warn, as in TFP.
        data_init: bool, whether to initialize from the first batch.
        **kwargs: `keras.layers.Wrapper`'s keyword arguments (`name`, ...).

    Input shape:
        The wrapped layer's.

    Output shape:
        The wrapped layer's.

    Raises:
        ValueError: at construction if `layer` is not a Keras 3 layer (a
            `tf_keras` layer is not); at build if its `kernel` is not a
            variable (no `kernel`, or a LoRA / quantized one).
        TypeError: if `data_init` is not a bool.
        RuntimeError: on a Keras backend other than TensorFlow.

    References:
        Salimans, Kingma (2016). "Weight Normalization: A Simple
        Reparameterization to Accelerate Training of Deep Neural Networks".
        NeurIPS 2016. https://arxiv.org/abs/1602.07868

    Example:
    ```pycon
    >>> model = keras.Sequential([
    ...     keras.Input((8, 8, 3)),
    ...     tfbsl.layers.WeightNorm(keras.layers.Conv2D(4, 3, activation="relu")),
    ...     keras.layers.Flatten(),
    ...     tfbsl.layers.WeightNorm(keras.layers.Dense(10)),
    ... ])
    >>> x = np.random.default_rng(0).normal(size=(64, 8, 8, 3)).astype("float32")
    >>> y = keras.ops.convert_to_numpy(model(x))  # the first call initialises g and the bias
    >>> y.shape, bool(abs(y.mean()) < 1e-3), bool(abs(y.std() - 1) < 1e-2)
    ((64, 10), True, True)

    ```
    """

    def __init__(self, layer, data_init=True, **kwargs):
        # Its once-only initialisation is a `tf.cond` that assigns variables;
        # Keras on JAX trains inside a stateless scope, where it would not run.
        require_tensorflow("`WeightNorm`")
        if not isinstance(layer, keras.Layer):
            raise ValueError(
                "`layer` must be a Keras 3 `keras.layers.Layer` instance (not "
                f"a `tf_keras` one). Received: layer={layer!r}"
            )
        data_init = _checks.check_bool("data_init", data_init)
        if not isinstance(layer, _TESTED):
            warnings.warn(
                "`WeightNorm` is tested only for `Dense`, `Conv1D/2D/3D` and "
                "`Conv1D/2D/3DTranspose` layers. Received a layer of type "
                f"`{type(layer).__name__}`", stacklevel=2)
        super().__init__(layer, **kwargs)
        self.data_init = data_init
        self.filter_axis = -2 if isinstance(layer, _TRANSPOSED) else -1

    def build(self, input_shape=None):
        super().build(input_shape)
        kernel = getattr(self.layer, "kernel", None)
        if not isinstance(kernel, keras.Variable):
            raise ValueError(
                "`WeightNorm` must wrap a layer whose `kernel` is a variable. "
                f"Received: layer={self.layer.name!r} of type "
                f"{type(self.layer).__name__} with kernel={kernel!r}"
            )
        rank = len(kernel.shape)
        self.kernel_norm_axes = tuple(a for a in range(rank) if a != rank + self.filter_axis)
        self._g_shape = tuple(-1 if a == rank + self.filter_axis else 1 for a in range(rank))
        self.g = self.add_weight(
            name="g", shape=(kernel.shape[self.filter_axis],), initializer="ones",
            dtype=kernel.dtype)
        self.initialized = self.add_weight(
            name="initialized", shape=(), dtype="bool", initializer="zeros",
            trainable=False)

    @property
    def v(self):
        """The direction: the wrapped layer's kernel variable."""
        return self.layer.kernel

    def call(self, inputs):
        if not in_stateless_scope():
            import tensorflow as tf

            tf.cond(ops.convert_to_tensor(self.initialized), lambda: None,
                    lambda: self._initialize(inputs))
        with keras.StatelessScope([(self.v, self._kernel())], collect_losses=True) as scope:
            outputs = self.layer(inputs)
        for loss in scope.losses:  # e.g. the layer's activity regularizer
            self.add_loss(loss)
        return outputs

    def _kernel(self):
        """`g * v / ||v||`, as `tf.nn.l2_normalize(v, axes) * g`."""
        v = ops.convert_to_tensor(self.v)
        inverse_norm = ops.rsqrt(ops.maximum(
            ops.sum(ops.square(v), axis=self.kernel_norm_axes, keepdims=True), 1e-12))
        return v * inverse_norm * ops.reshape(self.g, self._g_shape)

    def _initialize(self, inputs):
        if self.data_init:
            self._data_dep_init(inputs)
        else:
            v = ops.convert_to_tensor(self.v)
            self.g.assign(ops.sqrt(ops.sum(ops.square(v), axis=self.kernel_norm_axes)))
        self.initialized.assign(True)

    def _data_dep_init(self, inputs):
        """Salimans & Kingma's eq. 6: pre-activations of `v / ||v||` (times the
        initial `g`), zero bias and no activation, standardized by `g`, bias."""
        bias = getattr(self.layer, "bias", None)
        mapping = [(self.v, self._kernel())]
        if bias is not None:
            mapping.append((bias, ops.zeros_like(bias)))
        with keras.StatelessScope(mapping), _linear(self.layer):
            pre_activations = ops.cast(self.layer(inputs), self.g.dtype)
        mean, variance = ops.moments(pre_activations, list(range(len(pre_activations.shape) - 1)))
        scale = ops.rsqrt(variance + 1e-10)
        self.g.assign(self.g * scale)
        if bias is not None:
            bias.assign(-mean * scale)

    def compute_output_shape(self, input_shape):
        return self.layer.compute_output_shape(input_shape)

    def get_config(self):
        return {**super().get_config(), "data_init": self.data_init}


@contextlib.contextmanager
def _linear(layer):
    """`layer` with its activation (if it has one) replaced by the identity."""
    activation = getattr(layer, "activation", None)
    if activation is None:
        yield
        return
    layer.activation = keras.activations.linear
    try:
        yield
    finally:
        layer.activation = activation
