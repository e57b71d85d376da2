"""Affine coupling blocks (RealNVP, Dinh et al. 2017)."""

import keras
from keras import ops

from tfbsl._backend import tfp
from tfbsl.flows._block import _TransformBlock
from tfbsl.flows.transforms import Affine

__all__ = ["AffineCoupling"]

tfb = tfp.bijectors


class _Coupling(_TransformBlock):
    """`tfb.RealNVP` with a Keras MLP conditioner: the first
    `event_size // 2` dimensions pass unchanged and give the parameters of
    `transform` (a `tfbsl.flows.transforms` object) for each of the rest."""

    _min_event_size = 2

    def build(self, inputs_shape, context_shape=None):
        self._build_shapes(inputs_shape, context_shape)
        self.num_masked = self.event_size // 2
        units = self.event_size - self.num_masked
        self.conditioner = [
            keras.layers.Dense(u, activation=self.activation, name=f"hidden_{i}",
                               dtype=self.dtype_policy)
            for i, u in enumerate(self.hidden_units)
        ] + [keras.layers.Dense(units * self.transform.params, name="params",
                                dtype=self.dtype_policy)]
        width = self.num_masked + (self.context_size or 0)
        for layer in self.conditioner:
            layer.build((None, width))
            width = layer.units

    def _bijector(self, context):
        return tfb.RealNVP(
            num_masked=self.num_masked,
            bijector_fn=lambda x0, output_units: self._conditioned(x0, context))

    def _conditioned(self, x0, context):
        """The element-wise bijector of the transformed part, given `x0`."""
        h = x0 if context is None else ops.concatenate(
            [x0, ops.broadcast_to(context, (*ops.shape(x0)[:-1], self.context_size))], -1)
        for layer in self.conditioner:
            h = layer(h)
        return self.transform(ops.reshape(
            h, (*ops.shape(x0)[:-1], self.event_size - self.num_masked, self.transform.params)))

    def _inverse(self, x, context):
        # What tfb.RealNVP computes for `inverse` and for its log-det, with
        # one conditioner pass for both (halves the traced graph).
        x0, x1 = x[..., :self.num_masked], x[..., self.num_masked:]
        elementwise = self._conditioned(x0, context)
        z = ops.concatenate([x0, elementwise.inverse(x1)], -1)
        return z, elementwise.inverse_log_det_jacobian(x1, event_ndims=1)


@keras.saving.register_keras_serializable(package="tfbsl")
class AffineCoupling(_Coupling):
    """Affine coupling block (RealNVP, Dinh et al. 2017) on `tfb.RealNVP`.

    The first `event_size // 2` dimensions pass unchanged; an MLP of them (and
    of the context) gives a shift and a log-scale for the others, softly
    clipped to (-3, 3) for stability. Both directions take one network pass.
    Put a `Permute` between coupling blocks so every dimension is transformed.
    Needs an event size >= 2.

    Args:
        hidden_units: sizes of the conditioner's hidden layers (an int is one layer).
        activation: activation of the hidden layers.

    References:
        Dinh, Sohl-Dickstein, Bengio (2017). "Density estimation using Real
        NVP". https://arxiv.org/abs/1605.08803

    Input shape:
        `(batch, event_size)`, and the context `(batch, context_size)` if any.

    Output shape:
        `(batch, event_size)`: the data mapped towards the base (data ->
        base).

    Example:
    ```pycon
    >>> flow = tfbsl.layers.NormalizingFlow([
    ...     tfbsl.layers.AffineCoupling((16, 16)), tfbsl.layers.Permute(),
    ...     tfbsl.layers.AffineCoupling((16, 16)),
    ... ])
    >>> tuple(flow(np.zeros((4, 3), "float32")).shape)  # log p(x) per example
    (4,)

    ```
    """

    def __init__(self, hidden_units=(64, 64), activation="relu", **kwargs):
        super().__init__(Affine(), hidden_units, activation, **kwargs)
