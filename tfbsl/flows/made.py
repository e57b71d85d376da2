"""MADE: the masked autoencoder for distribution estimation (Germain et al. 2015)."""

import keras
import numpy as np
from keras import ops

from tfbsl import _checks
from tfbsl.flows._block import (
    as_compute_dtype,
    check_context,
    check_hidden_units,
    check_inputs_shape,
)

__all__ = ["AutoregressiveNetwork"]

_ORDERS = ("left-to-right", "right-to-left", "random")
_HIDDEN_DEGREES = ("equal", "random")
_CONDITIONAL_LAYERS = ("all_layers", "first_layer")


@keras.saving.register_keras_serializable(package="tfbsl")
class AutoregressiveNetwork(keras.Layer):
    """Masked Autoencoder for Distribution Estimation (MADE, Germain et al.
    2015): the Keras 3 twin of `tfb.AutoregressiveNetwork`, with its
    arguments, defaults, masks and call.

    Input `x` of shape `[..., event_size]`, output `[..., event_size, params]`
    where `output[..., i, :]` depends only on the inputs `x[..., j]` that come
    before `i` in `input_order` (degree of `j` < degree of `i`), so it can
    parameterise `p(x_i | x_<i)`: with `params=2`, the shift and log-scale of
    `tfb.MaskedAutoregressiveFlow(made)` (MAF, Papamakarios et al. 2017).
    A conditional network also takes `conditional_input` of shape
    `[..., conditional_size]`, through unmasked weights (no bias) into every
    layer (`conditional_input_layers="all_layers"`) or the first only; the
    output's batch shape is that of `x` and `conditional_input` broadcast.
    A rank-1 `x` (one event) gives `[event_size, params]`. Inputs are cast to
    the compute dtype.

    The masks are TFP's, drawn for `"random"` orders from NumPy's global RNG
    at build as TFP draws them (so after the same `np.random.seed` both draw
    the same masks); random masks are then saved with the weights (as
    non-trainable `mask_*` variables), so a reloaded layer keeps them.

    In a subclassed `keras.Model` whose `call` runs a TFP flow on the
    network, build the network in the model's `build` (or call the model
    once) before `fit`: else Keras builds it by tracing `call` inside the
    first train step, and TFP's bijector cache hands that trace's tensors to
    the step (`InaccessibleTensorError`).

    Args:
        params: number of outputs per input dimension (2 for an affine MAF).
        event_shape: `None` (inferred at build), an int or a list of one int:
            the size of the event. Only rank-1 events.
        conditional: whether the network takes a `conditional_input`.
        conditional_event_shape: an int or a list of one int, the size of
            `conditional_input`; required when (and only when) `conditional`.
        conditional_input_layers: `"all_layers"` (default) or `"first_layer"`.
        hidden_units: sizes of the masked hidden layers (a list; an int is one
            layer); `None` (default) or `[]` for no hidden layer.
        input_order: degrees of the inputs: `"left-to-right"` (default),
            `"right-to-left"`, `"random"`, or an explicit permutation of
            `1..event_size` (e.g. `[2, 1, 3]`).
        hidden_degrees: `"equal"` (default: each layer's units spread evenly
            over the degrees) or `"random"`.
        activation: activation of the hidden layers (default `None`: linear).
        use_bias: whether the masked layers have biases.
        kernel_initializer, bias_initializer: Keras initializers (the kernels
            start masked, as in TFP).
        kernel_regularizer, bias_regularizer: Keras regularizers.
        kernel_constraint, bias_constraint: Keras constraints.
        validate_args: kept for TFP's signature (TFP does not use it either).
        **kwargs: Keras layer arguments (`name`, `dtype`, ...).

    Call arguments:
        x: tensor `[..., event_size]`.
        conditional_input: tensor `[..., conditional_size]`; required if and
            only if the network is conditional.

    Raises:
        ValueError: a bad argument; an `event_shape` or
            `conditional_event_shape` of rank other than 1; `conditional`
            without both event shapes, or a `conditional_event_shape` without
            `conditional`; at call, an `x` of another event size, or a
            `conditional_input` missing, unexpected or of another size.
        TypeError: a non-boolean `conditional`, `use_bias` or `validate_args`.

    References:
        Germain, Gregor, Murray and Larochelle (2015). MADE: Masked
        Autoencoder for Distribution Estimation. https://arxiv.org/abs/1502.03509
        Papamakarios, Pavlakou and Murray (2017). Masked Autoregressive Flow
        for Density Estimation. https://arxiv.org/abs/1705.07057

    Input shape:
        `(..., event_size)`, and `conditional_input` `(..., conditional_size)`
        for a conditional network.

    Output shape:
        `(..., event_size, params)`.

    Example:
    ```pycon
    >>> made = tfbsl.layers.AutoregressiveNetwork(
    ...     params=2, event_shape=[2], hidden_units=[10, 10], activation="relu")
    >>> tuple(made(np.zeros((5, 2), "float32")).shape)  # (batch, event_size, params)
    (5, 2, 2)
    >>> distribution = tfd.TransformedDistribution(
    ...     distribution=tfd.Sample(tfd.Normal(0.0, 1.0), sample_shape=[2]),
    ...     bijector=tfb.MaskedAutoregressiveFlow(made))
    >>> tuple(distribution.log_prob(np.zeros((5, 2), "float32")).shape)
    (5,)

    ```
    """

    def __init__(self, params, event_shape=None, conditional=False,
                 conditional_event_shape=None, conditional_input_layers="all_layers",
                 hidden_units=None, input_order="left-to-right", hidden_degrees="equal",
                 activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, validate_args=False,
                 **kwargs):
        params = _checks.check_positive_int("params", params)
        event_shape = _check_rank1_shape("event_shape", event_shape)
        conditional = _checks.check_bool("conditional", conditional)
        conditional_event_shape = _check_rank1_shape(
            "conditional_event_shape", conditional_event_shape)
        if conditional and (event_shape is None or conditional_event_shape is None):
            raise ValueError(
                "`event_shape` and `conditional_event_shape` must be given when "
                f"`conditional` is True. Received: event_shape={event_shape}, "
                f"conditional_event_shape={conditional_event_shape}"
            )
        if not conditional and conditional_event_shape is not None:
            raise ValueError(
                "`conditional_event_shape` is only for a conditional network "
                "(`conditional=True`). Received: conditional=False, "
                f"conditional_event_shape={conditional_event_shape}"
            )
        _checks.check_choice(
            "conditional_input_layers", conditional_input_layers, _CONDITIONAL_LAYERS)
        hidden_units = () if hidden_units is None else check_hidden_units(hidden_units)
        input_order = _check_input_order(input_order, event_shape)
        _checks.check_choice("hidden_degrees", hidden_degrees, _HIDDEN_DEGREES)
        activation = _checks.check_activation("activation", activation)
        use_bias = _checks.check_bool("use_bias", use_bias)
        kernel_initializer = _checks.check_initializer("kernel_initializer", kernel_initializer)
        bias_initializer = _checks.check_initializer("bias_initializer", bias_initializer)
        kernel_regularizer = _checks.check_keras_object(
            "kernel_regularizer", kernel_regularizer, keras.regularizers, "regularizer")
        bias_regularizer = _checks.check_keras_object(
            "bias_regularizer", bias_regularizer, keras.regularizers, "regularizer")
        kernel_constraint = _checks.check_keras_object(
            "kernel_constraint", kernel_constraint, keras.constraints, "constraint")
        bias_constraint = _checks.check_keras_object(
            "bias_constraint", bias_constraint, keras.constraints, "constraint")
        validate_args = _checks.check_bool("validate_args", validate_args)
        super().__init__(**kwargs)
        self.params = params
        self.event_shape = event_shape
        self.conditional = conditional
        self.conditional_event_shape = conditional_event_shape
        self.conditional_input_layers = conditional_input_layers
        self.hidden_units = hidden_units
        self.input_order = input_order
        self.hidden_degrees = hidden_degrees
        self.activation = activation
        self.use_bias = use_bias
        self.kernel_initializer = kernel_initializer
        self.bias_initializer = bias_initializer
        self.kernel_regularizer = kernel_regularizer
        self.bias_regularizer = bias_regularizer
        self.kernel_constraint = kernel_constraint
        self.bias_constraint = bias_constraint
        self.validate_args = validate_args

    def build(self, input_shape):
        if self.event_shape is None:
            self.event_shape = [_checks.check_known_last_dim("x", input_shape)]
        event_size = self.event_shape[0]
        check_inputs_shape(self, input_shape, event_size, rank=None, name="x")
        masks = _made_masks(self.params, event_size, self.hidden_units,
                            self.input_order, self.hidden_degrees)
        random = "random" in (self.input_order, self.hidden_degrees)
        self._masks, self._kernels, self._biases, self._conditional_kernels = [], [], [], []
        for i, mask in enumerate(masks):
            units = mask.shape[1]
            self._kernels.append(self.add_weight(
                shape=mask.shape, initializer=_masked(self.kernel_initializer, mask),
                regularizer=self.kernel_regularizer, constraint=self.kernel_constraint,
                name=f"kernel_{i}"))
            self._biases.append(self.add_weight(
                shape=(units,), initializer=self.bias_initializer,
                regularizer=self.bias_regularizer, constraint=self.bias_constraint,
                name=f"bias_{i}") if self.use_bias else None)
            conditioned = self.conditional and (
                self.conditional_input_layers == "all_layers" or i == 0)
            self._conditional_kernels.append(self.add_weight(
                shape=(self.conditional_event_shape[0], units),
                initializer=self.kernel_initializer, regularizer=self.kernel_regularizer,
                constraint=self.kernel_constraint,
                name=f"conditional_kernel_{i}") if conditioned else None)
            # Drawn masks are weights, so that a reloaded layer has the saved ones.
            self._masks.append(self.add_weight(
                shape=mask.shape, initializer=_masked("ones", mask), trainable=False,
                name=f"mask_{i}") if random else mask)

    def call(self, x, conditional_input=None):
        x = as_compute_dtype(self, x)
        check_inputs_shape(self, x.shape, self.event_shape[0], rank=None, name="x")
        conditional_input = check_context(
            self, conditional_input,
            self.conditional_event_shape[0] if self.conditional else None,
            name="conditional_input")
        # As TFP: one event (rank 1) is a batch of one, dropped at the end.
        single = len(x.shape) == 1 and (
            conditional_input is None or len(conditional_input.shape) == 1)
        h = x[None] if len(x.shape) == 1 else x
        if conditional_input is not None and len(conditional_input.shape) == 1:
            conditional_input = conditional_input[None]
        last = len(self._masks) - 1
        for i, mask in enumerate(self._masks):
            kernel = self._kernels[i]
            h = ops.matmul(h, kernel * ops.cast(mask, kernel.dtype))
            if self._biases[i] is not None:
                h = h + self._biases[i]
            if self._conditional_kernels[i] is not None:
                h = h + ops.matmul(conditional_input, self._conditional_kernels[i])
            if i < last:
                h = self.activation(h)
        h = ops.reshape(h, (*ops.shape(h)[:-1], self.event_shape[0], self.params))
        return h[0] if single else h

    def compute_output_shape(self, x_shape, conditional_input_shape=None):
        batch = tuple(x_shape[:-1])
        if conditional_input_shape is not None:
            batch = _broadcast_shapes(batch, tuple(conditional_input_shape[:-1]))
        return (*batch, x_shape[-1], self.params)

    def get_config(self):
        config = super().get_config()
        config.update({
            "params": self.params,
            "event_shape": self.event_shape,
            "conditional": self.conditional,
            "conditional_event_shape": self.conditional_event_shape,
            "conditional_input_layers": self.conditional_input_layers,
            "hidden_units": list(self.hidden_units),
            "input_order": self.input_order,
            "hidden_degrees": self.hidden_degrees,
            "activation": keras.activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "validate_args": self.validate_args,
        })
        for name in ("kernel_initializer", "bias_initializer", "kernel_regularizer",
                     "bias_regularizer", "kernel_constraint", "bias_constraint"):
            config[name] = keras.saving.serialize_keras_object(getattr(self, name))
        return config


def _broadcast_shapes(a, b):
    """The broadcast of two static shapes, None for an unknown dimension (as
    `tf.broadcast_static_shape`: unknown with 1 is unknown, with n is n)."""
    rank = max(len(a), len(b))
    a, b = (1,) * (rank - len(a)) + a, (1,) * (rank - len(b)) + b
    shape = []
    for i, j in zip(a, b, strict=True):
        if i is not None and j is not None and 1 not in (i, j) and i != j:
            raise ValueError(
                "`x` and `conditional_input` must have batch shapes that "
                f"broadcast. Received: batch shapes {a} and {b}")
        shape.append(j if i == 1 else i if j == 1 else i if j is None else j)
    return tuple(shape)


def _check_rank1_shape(name, value):
    """`None`, or a rank-1 shape (an int or a list of one int) as `[size]`."""
    if value is None:
        return None
    shape = _checks.check_shape(name, value)
    if len(shape) != 1:
        raise ValueError(
            f"`{name}` must describe a rank-1 shape (an int or a list of one "
            f"int): the network takes vectors. Received: {name}={value!r}"
        )
    return list(shape)


def _check_input_order(value, event_shape):
    """One of `_ORDERS`, or an explicit order as a list of ints: a
    permutation of `1..n` (`n` the event size if known)."""
    if isinstance(value, str):
        return _checks.check_choice("input_order", value, _ORDERS)
    order = np.asarray(value) if isinstance(value, (list, tuple, np.ndarray)) else None
    if (order is None or order.ndim != 1 or order.dtype.kind not in "iu"
            or not np.array_equal(np.sort(order), np.arange(1, order.size + 1))
            or (event_shape is not None and order.size != event_shape[0])):
        size = "event_size" if event_shape is None else event_shape[0]
        raise ValueError(
            f"`input_order` must be one of {list(_ORDERS)} or a permutation "
            f"of 1..{size} (the degrees of the inputs). Received: "
            f"input_order={_checks.short_repr(value)}"
        )
    return [int(v) for v in order]


def _made_masks(params, event_size, hidden_units, input_order, hidden_degrees):
    """TFP's MADE masks (`tfb.AutoregressiveNetwork`): `[in, out]` 0/1 arrays.

    A hidden unit of degree `d` sees the units of degree <= `d` below it; an
    output of input `i` sees the hidden units of degree < degree(`i`), so
    never input `i` itself. Random orders and degrees come from NumPy's
    global RNG, in TFP's sequence of draws.
    """
    if input_order == "random":
        degrees_in = np.arange(1, event_size + 1)
        np.random.shuffle(degrees_in)
    elif input_order == "right-to-left":
        degrees_in = np.arange(event_size, 0, -1)
    elif input_order == "left-to-right":
        degrees_in = np.arange(1, event_size + 1)
    else:
        degrees_in = np.asarray(input_order)
        if degrees_in.size != event_size:
            raise ValueError(
                f"`input_order` must be a permutation of 1..{event_size} (the "
                f"event size). Received: input_order={input_order}")
    degrees = [degrees_in]
    for units in hidden_units:
        low = min(np.min(degrees[-1]), event_size - 1)
        if hidden_degrees == "random":
            degrees.append(np.random.randint(low, event_size, size=units))
        else:  # "equal": the boundaries of `units + 1` even segments of [1, event_size - 1]
            segments = np.ceil(np.arange(1, units + 1) * (event_size - 1) / (units + 1))
            degrees.append(np.maximum(low, segments.astype(np.int32)))
    masks = [d_in[:, None] <= d_out for d_in, d_out in zip(degrees[:-1], degrees[1:], strict=True)]
    masks.append(degrees[-1][:, None] < degrees_in)
    # Output unit `i * params + p` is parameter `p` of input `i`.
    masks[-1] = np.repeat(masks[-1], params, axis=1)
    return [mask.astype("float32") for mask in masks]


def _masked(initializer, mask):
    """`initializer` times `mask`: masked kernels start at 0, as in TFP."""
    initializer = keras.initializers.get(initializer)
    return lambda shape, dtype=None: initializer(shape, dtype) * ops.cast(mask, dtype)
