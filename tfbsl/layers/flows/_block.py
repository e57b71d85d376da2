"""The base of tfbsl's flow blocks: a Keras layer that defines a `tfb.Bijector`."""

import keras
from keras import ops

from tfbsl import _checks
from tfbsl.layers.distribution_layers import _float32_under_mixed_precision


class _FlowBlock(keras.Layer):
    """A flow block owns its variables and defines a bijector on them.

    TFP's direction: `block.bijector(context).forward` maps the base side to
    the data side. Called, a block maps data towards the base distribution:
    `block(x, context)` is `block.bijector(context).inverse(x)`.

    Subclasses set `_min_event_size` and `_uses_context`, build their
    variables in `build` after `self._build_shapes(...)`, and define
    `_bijector(context)`.
    """

    _min_event_size = 1
    _uses_context = False

    def __init__(self, **kwargs):
        # Under a mixed policy a block, conditioner included, computes in
        # float32: TFP bijectors mix no dtypes, and float16 log-determinants
        # (sums of log-scales) lose the digits a log-density needs.
        super().__init__(**_float32_under_mixed_precision(kwargs))

    def _build_shapes(self, inputs_shape, context_shape):
        """Check and record the event and context sizes (at build time)."""
        event_size = _checks.check_known_last_dim("inputs", inputs_shape)
        if event_size < self._min_event_size:
            raise ValueError(
                f"{type(self).__name__} needs an event size >= "
                f"{self._min_event_size} (the last axis of `inputs`). "
                f"Received: inputs.shape={tuple(inputs_shape)}"
            )
        self.event_size = event_size
        self.context_size = (
            None if context_shape is None
            else _checks.check_known_last_dim("context", context_shape)
        )

    def bijector(self, context=None):
        """The `tfb.Bijector` this block defines (base -> data is `forward`)."""
        return self._bijector(self._check_context(context))

    def call(self, inputs, context=None):
        return self._inverse_and_log_det(inputs, context)[0]

    def _inverse_and_log_det(self, x, context=None):
        """Data -> base: `(f(x), log|det df/dx|)` per example, in float32."""
        self._check_inputs(x)
        bijector = self.bijector(context)
        z = bijector.inverse(x)
        return z, ops.cast(bijector.inverse_log_det_jacobian(x, event_ndims=1), "float32")

    def _check_inputs(self, x):
        if x.shape[-1] is not None and x.shape[-1] != self.event_size:
            raise ValueError(
                f"{type(self).__name__} was built for inputs with "
                f"{self.event_size} features (the event size). Received: "
                f"inputs.shape={tuple(x.shape)}"
            )

    def _check_context(self, context):
        if not self._uses_context:
            return None
        if context is None:
            if self.context_size is not None:
                raise ValueError(
                    f"{type(self).__name__} was built with a context of width "
                    f"{self.context_size}, so it needs one. Received: "
                    "context=None"
                )
            return None
        context = ops.convert_to_tensor(context, self.compute_dtype)
        if self.context_size is None or context.shape[-1] != self.context_size:
            expected = (
                "no context (it was built without one)"
                if self.context_size is None
                else f"a last axis of {self.context_size}"
            )
            raise ValueError(
                f"`context` of {type(self).__name__} must have {expected}. "
                f"Received: context.shape={tuple(context.shape)}"
            )
        return context
