"""Masked autoregressive flow blocks (MAF, Papamakarios et al. 2017)."""

import keras

from tfbsl._backend import tfp
from tfbsl.flows._block import _TransformBlock
from tfbsl.flows.made import AutoregressiveNetwork
from tfbsl.flows.transforms import Affine

__all__ = ["MaskedAutoregressive"]

tfb = tfp.bijectors


class _Autoregressive(_TransformBlock):
    """`tfb.MaskedAutoregressiveFlow` on a Keras 3 MADE giving the parameters
    of `transform` (a `tfbsl.flows.transforms` object) for each dimension."""

    def build(self, inputs_shape, context_shape=None):
        self._build_shapes(inputs_shape, context_shape)
        self.made = AutoregressiveNetwork(
            self.transform.params, event_shape=self.event_size,
            conditional=self.context_size is not None,
            conditional_event_shape=self.context_size,
            hidden_units=self.hidden_units, activation=self.activation, name="made",
            dtype=self.dtype_policy)
        self.made.build(inputs_shape)

    def _bijector(self, context):
        return tfb.MaskedAutoregressiveFlow(
            bijector_fn=lambda x: self.transform(self.made(x, conditional_input=context)))

    def _inverse(self, x, context):
        # What tfb.MaskedAutoregressiveFlow computes for `inverse` and for its
        # log-det, with one MADE pass for both (halves the traced graph).
        elementwise = self.transform(self.made(x, conditional_input=context))
        return elementwise.inverse(x), elementwise.inverse_log_det_jacobian(x, event_ndims=1)


@keras.saving.register_keras_serializable(package="tfbsl")
class MaskedAutoregressive(_Autoregressive):
    """Affine masked autoregressive flow block (MAF, Papamakarios et al. 2017).

    `tfb.MaskedAutoregressiveFlow` whose shift and log-scale come from a Keras
    3 MADE (`AutoregressiveNetwork`): density evaluation (data -> base) is one
    network pass, sampling takes `event_size` passes. The log-scale is softly
    clipped to (-3, 3) per block for stability. Stack blocks with `Permute`
    between them so that every dimension gets conditioned on the others.

    Args:
        hidden_units: sizes of the MADE's hidden layers (an int is one layer).
        activation: activation of the hidden layers.

    References:
        Papamakarios, Pavlakou, Murray (2017). "Masked Autoregressive Flow for
        Density Estimation". https://arxiv.org/abs/1705.07057

        Germain, Gregor, Murray, Larochelle (2015). "MADE: Masked Autoencoder
        for Distribution Estimation". https://arxiv.org/abs/1502.03509

    Input shape:
        `(batch, event_size)`, and the context `(batch, context_size)` if any.

    Output shape:
        `(batch, event_size)`: the data mapped towards the base (data ->
        base).

    Example:
    ```pycon
    >>> flow = tfbsl.layers.NormalizingFlow([
    ...     tfbsl.layers.MaskedAutoregressive((16, 16)), tfbsl.layers.Permute(),
    ...     tfbsl.layers.MaskedAutoregressive((16, 16)),
    ... ])
    >>> tuple(flow(np.zeros((4, 3), "float32")).shape)  # log p(x) per example
    (4,)

    ```
    """

    def __init__(self, hidden_units=(64, 64), activation="relu", **kwargs):
        super().__init__(Affine(), hidden_units, activation, **kwargs)
