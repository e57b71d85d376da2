"""`AutoregressiveTransform`: a distribution pushed through a masked
autoregressive flow, as a distribution layer (`tfp.layers` twin)."""

import keras
from keras import ops

from tfbsl._backend import tfp
from tfbsl._outputs import get_distribution
from tfbsl.flows.made import AutoregressiveNetwork
from tfbsl.heads.distribution_layers import DistributionLambda

__all__ = ["AutoregressiveTransform"]

tfd = tfp.distributions
tfb = tfp.bijectors


@keras.saving.register_keras_serializable(package="tfbsl")
class AutoregressiveTransform(DistributionLambda):
    """An autoregressive normalizing flow layer (MAF, Papamakarios et al.
    2017): the Keras 3 twin of `tfp.layers.AutoregressiveTransform`.

    Called on the output of a distribution layer (a tensor carrying a
    distribution `p(u)` over vectors), it returns the distribution of
    `x = f(u)`, `tfd.TransformedDistribution(p(u),
    tfb.MaskedAutoregressiveFlow(made))`, where `f^{-1}` is
    `(x - shift) * exp(-log_scale)` with `shift, log_scale = made(x)`
    (MADE, Germain et al. 2015). Like every tfbsl distribution layer it
    returns a tensor that carries the distribution (`tfbsl.get_distribution`
    reads it on every backend; on TensorFlow also `.distribution`,
    `.log_prob`, `.sample`, ...): by default a sample, as in TFP (a
    transformed distribution has no closed-form mean).

    Args:
        made: an unconditional `AutoregressiveNetwork` with `params=2`; its
            weights become the layer's.
        **kwargs: `DistributionLambda` arguments (`convert_to_tensor_fn`,
            `seed`) and Keras layer arguments.

    Input shape:
        A distribution tensor of shape `[batch, event_size]` (its
        distribution has event shape `[event_size]`).

    Output shape:
        The same shape.

    Raises:
        ValueError: `made` is not an unconditional `AutoregressiveNetwork`
            with `params=2`; at call, an input without a distribution.

    References:
        Papamakarios, Pavlakou and Murray (2017). Masked Autoregressive Flow
        for Density Estimation. https://arxiv.org/abs/1705.07057
        Germain, Gregor, Murray and Larochelle (2015). MADE: Masked
        Autoencoder for Distribution Estimation. https://arxiv.org/abs/1502.03509

    Example:
    ```pycon
    >>> n = 100
    >>> data = np.random.default_rng(0).normal(size=(n, 2)).astype("float32")
    >>> model = keras.Sequential([
    ...     keras.Input((0,)),
    ...     tfbsl.layers.DistributionLambda(lambda t: tfd.MultivariateNormalDiag(
    ...         loc=keras.ops.zeros((*keras.ops.shape(t)[:-1], 2)),
    ...         scale_diag=[1.0, 1.0])),
    ...     tfbsl.layers.AutoregressiveTransform(tfbsl.layers.AutoregressiveNetwork(
    ...         params=2, hidden_units=[10], activation="relu")),
    ... ])
    >>> model.compile(keras.optimizers.Adam(), loss=tfbsl.losses.NegativeLogLikelihood())
    >>> history = model.fit(np.zeros((n, 0)), data, batch_size=25, epochs=1, verbose=0)
    >>> distribution = tfbsl.get_distribution(model(np.zeros((1, 0))))
    >>> tuple(distribution.event_shape)
    (2,)

    ```
    """

    def __init__(self, made, **kwargs):
        if not (isinstance(made, AutoregressiveNetwork) and made.params == 2
                and not made.conditional):
            raise ValueError(
                "`made` must be an unconditional tfbsl AutoregressiveNetwork "
                "with params=2 (a shift and a log-scale per input). Received: "
                f"made={made!r}" + (
                    f" with params={made.params}, conditional={made.conditional}"
                    if isinstance(made, AutoregressiveNetwork) else ""))
        super().__init__(self._transform, **kwargs)
        self.made = made

    def build(self, input_shape):
        if not self.made.built:
            self.made.build(input_shape)

    def _transform(self, inputs):
        # The cast lets a made under a mixed-precision policy feed the
        # float32 distribution.
        return tfd.TransformedDistribution(
            get_distribution(inputs, "inputs"),
            tfb.MaskedAutoregressiveFlow(lambda x: ops.cast(self.made(x), x.dtype)))

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        del config["make_distribution_fn"]
        config["made"] = keras.saving.serialize_keras_object(self.made)
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None, safe_mode=None):
        config = dict(config)
        config["made"] = keras.saving.deserialize_keras_object(
            config["made"], custom_objects=custom_objects)
        return super().from_config(config, custom_objects=custom_objects, safe_mode=safe_mode)
