"""The base of tfbsl's flow blocks: a Keras layer that defines a `tfb.Bijector`,
and the checks of inputs and contexts shared by the blocks, the MADE and
`NormalizingFlow`."""

import keras
from keras import ops

from tfbsl import _checks
from tfbsl._outputs import distribution_dtype, shape_stand_in, traced_output_spec


def check_hidden_units(hidden_units):
    """`hidden_units` as a tuple of positive ints; `64` is `(64,)`. `()` (no
    hidden layer: a linear conditioner) is allowed, as TFP's MADE allows it."""
    if isinstance(hidden_units, (tuple, list)) and not hidden_units:
        return ()
    return _checks.check_positive_int_tuple("hidden_units", hidden_units)


def check_inputs_shape(layer, shape, event_size=None, rank=2, name="inputs"):
    """Flows take a batch of event vectors: `shape` is `(batch, event_size)`
    (any width before the layer is built); `rank=None` allows any batch shape
    `(..., event_size)`, as the MADE does. `name` is the argument's name."""
    shape = tuple(shape)
    if rank is None and not shape:
        raise ValueError(
            f"{type(layer).__name__} expects `{name}` of shape (..., "
            f"{event_size or 'features'}). Received: {name}.shape={shape}"
        )
    if rank is not None and len(shape) != rank:
        # The usual slip: one feature given as a flat vector.
        hint = " For one feature per example, pass x.reshape(-1, 1)." if len(shape) == 1 else ""
        raise ValueError(
            f"{type(layer).__name__} expects inputs of shape (batch, "
            f"{event_size or 'features'}), one row per example. Received: "
            f"{name}.shape={shape}.{hint}"
        )
    if event_size is not None and shape[-1] is not None and shape[-1] != event_size:
        raise ValueError(
            f"{type(layer).__name__} was built for inputs with {event_size} "
            f"features (the event size). Received: {name}.shape={shape}"
        )


def as_compute_dtype(layer, value):
    """`value` as a tensor of the layer's compute dtype: integer and float64
    inputs are cast, as `keras.layers.Dense` casts them."""
    return ops.cast(ops.convert_to_tensor(value), layer.compute_dtype)


def check_context(layer, context, context_size, name="context"):
    """`context` (cast to the compute dtype) if it matches what `layer` was
    built with: None for no context, else a last axis of `context_size`.
    `name` is the argument's name."""
    built = (
        f"{type(layer).__name__} was built without a context" if context_size is None
        else f"{type(layer).__name__} was built with a context with a last axis of {context_size}"
    )
    if context is None:
        if context_size is not None:
            raise ValueError(f"{built}, so `{name}` must be given. Received: {name}=None")
        return None
    context = as_compute_dtype(layer, context)
    if context_size is None:
        raise ValueError(
            f"{built}, so `{name}` must be None. Received: {name}.shape={tuple(context.shape)}")
    if tuple(context.shape[-1:]) != (context_size,):
        raise ValueError(
            f"{built}, so `{name}` must have a last axis of {context_size}. "
            f"Received: {name}.shape={tuple(context.shape)}"
        )
    return context


def build_shapes(layer, inputs_shape, context_shape, rank=2):
    """`(event_size, context_size)` from the build shapes, checked (`rank` as
    in `check_inputs_shape`)."""
    check_inputs_shape(layer, inputs_shape, rank=rank)
    event_size = _checks.check_known_last_dim("inputs", inputs_shape)
    context_size = (
        None if context_shape is None else _checks.check_known_last_dim("context", context_shape)
    )
    return event_size, context_size


class _FlowBlock(keras.Layer):
    """A flow block owns its variables and defines a bijector on them.

    TFP's direction: `block.bijector(context).forward` maps the base side to
    the data side. Called, a block maps data towards the base distribution:
    `block(x, context)` is `block.bijector(context).inverse(x)`.

    Subclasses set `_min_event_size`, build their variables in `build` after
    `self._build_shapes(...)`, define `_bijector(context)`, and may specialise
    `_inverse(x, context)`. A block checks its context against the build
    whether or not it uses one, so that a flow's blocks agree on it.
    """

    _min_event_size = 1

    def __init__(self, **kwargs):
        # Under a mixed policy a block, conditioner included, computes in
        # float32: TFP bijectors mix no dtypes, and float16 log-determinants
        # (sums of log-scales) lose the digits a log-density needs.
        super().__init__(**distribution_dtype(kwargs))

    def _build_shapes(self, inputs_shape, context_shape):
        """Check and record the event and context sizes (at build time)."""
        self.event_size, self.context_size = build_shapes(self, inputs_shape, context_shape)
        if self.event_size < self._min_event_size:
            raise ValueError(
                f"{type(self).__name__} needs an event size >= "
                f"{self._min_event_size} (the last axis of `inputs`). "
                f"Received: inputs.shape={tuple(inputs_shape)}"
            )

    def bijector(self, context=None):
        """The `tfb.Bijector` this block defines (base -> data is `forward`)."""
        return self._bijector(check_context(self, context, self.context_size))

    def call(self, inputs, context=None):
        stand_in = shape_stand_in(self, inputs, context=context)
        if stand_in is not None:
            return stand_in
        return self._inverse_and_log_det(inputs, context)[0]

    def compute_output_spec(self, inputs, context=None):
        return traced_output_spec(super().compute_output_spec, inputs, context=context)

    def _inverse_and_log_det(self, x, context=None):
        """Data -> base: `(f(x), log|det df/dx|)` per example, in float32,
        from inputs and context as given (checked and cast here)."""
        x = as_compute_dtype(self, x)
        check_inputs_shape(self, x.shape, self.event_size)
        return self._inverse(x, check_context(self, context, self.context_size))

    def _inverse(self, x, context):
        """`_inverse_and_log_det` of checked inputs."""
        bijector = self._bijector(context)
        return bijector.inverse(x), ops.cast(
            bijector.inverse_log_det_jacobian(x, event_ndims=1), "float32")


class _TransformBlock(_FlowBlock):
    """A block that applies `transform` (a `tfbsl.flows.transforms` object)
    to each dimension, its parameters given by a conditioner network of
    `hidden_units` with `activation` (a coupling MLP or a MADE)."""

    def __init__(self, transform, hidden_units=(64, 64), activation="relu", **kwargs):
        hidden_units = check_hidden_units(hidden_units)
        activation = _checks.check_activation("activation", activation)
        super().__init__(**kwargs)
        self.transform = transform
        self.hidden_units = hidden_units
        self.activation = activation

    def get_config(self):
        config = super().get_config()
        config.update({
            "hidden_units": list(self.hidden_units),
            "activation": keras.activations.serialize(self.activation),
            **self.transform.get_config(),
        })
        return config
