"""Rational-quadratic neural spline flows (Durkan et al. 2019) on
`tfb.RationalQuadraticSpline`, in coupling and autoregressive form."""

import keras

from tfbsl.flows.autoregressive import _Autoregressive
from tfbsl.flows.coupling import _Coupling
from tfbsl.flows.transforms import Spline

__all__ = ["SplineAutoregressive", "SplineCoupling"]


@keras.saving.register_keras_serializable(package="tfbsl")
class SplineCoupling(_Coupling):
    """Rational-quadratic spline coupling block (NSF-C, Durkan et al. 2019).

    As `AffineCoupling`, with a monotone rational-quadratic spline of `bins`
    bins on [-bound, bound] (identity outside, `tfb.RationalQuadraticSpline`)
    instead of the affine map. Needs an event size >= 2.

    Args:
        hidden_units: sizes of the conditioner's hidden layers (an int is one layer).
        bins: number of spline bins.
        bound: the spline acts on [-bound, bound]; standardise the data.
        activation: activation of the hidden layers.

    References:
        Durkan, Bekasov, Murray, Papamakarios (2019). "Neural Spline Flows".
        https://arxiv.org/abs/1906.04032

    Input shape:
        `(batch, event_size)`, and the context `(batch, context_size)` if any.

    Output shape:
        `(batch, event_size)`: the data mapped towards the base (data ->
        base).

    Example:
    ```pycon
    >>> flow = tfbsl.layers.NormalizingFlow([
    ...     tfbsl.layers.SplineCoupling((16, 16), bins=8), tfbsl.layers.Permute(),
    ...     tfbsl.layers.SplineCoupling((16, 16), bins=8),
    ... ])
    >>> tuple(flow(np.zeros((4, 3), "float32")).shape)  # log p(x) per example
    (4,)

    ```
    """

    def __init__(self, hidden_units=(64, 64), bins=8, bound=4.0, activation="relu", **kwargs):
        super().__init__(Spline(bins, bound), hidden_units, activation, **kwargs)


@keras.saving.register_keras_serializable(package="tfbsl")
class SplineAutoregressive(_Autoregressive):
    """Rational-quadratic spline autoregressive block (NSF-AR, Durkan et al. 2019).

    As `MaskedAutoregressive`, with a monotone rational-quadratic spline of
    `bins` bins on [-bound, bound] (identity outside) instead of the affine map.

    Args:
        hidden_units: sizes of the MADE's hidden layers (an int is one layer).
        bins: number of spline bins.
        bound: the spline acts on [-bound, bound]; standardise the data.
        activation: activation of the hidden layers.

    References:
        Durkan, Bekasov, Murray, Papamakarios (2019). "Neural Spline Flows".
        https://arxiv.org/abs/1906.04032

    Input shape:
        `(batch, event_size)`, and the context `(batch, context_size)` if any.

    Output shape:
        `(batch, event_size)`: the data mapped towards the base (data ->
        base).

    Example:
    ```pycon
    >>> flow = tfbsl.layers.NormalizingFlow([
    ...     tfbsl.layers.SplineAutoregressive((16, 16), bins=8), tfbsl.layers.Permute(),
    ...     tfbsl.layers.SplineAutoregressive((16, 16), bins=8),
    ... ])
    >>> tuple(flow(np.zeros((4, 3), "float32")).shape)  # log p(x) per example
    (4,)

    ```
    """

    def __init__(self, hidden_units=(64, 64), bins=8, bound=4.0, activation="relu", **kwargs):
        super().__init__(Spline(bins, bound), hidden_units, activation, **kwargs)
