"""Rational-quadratic neural spline flows (Durkan et al. 2019) on
`tfb.RationalQuadraticSpline`, in coupling and autoregressive form."""

import keras
import tensorflow_probability as tfp
from keras import ops

from tfbsl import _checks
from tfbsl.flows.autoregressive import _Autoregressive
from tfbsl.flows.coupling import _Coupling

tfb = tfp.bijectors

# Floors on bin sizes and knot slopes keep the spline strictly monotone and
# its inverse well conditioned.
_MIN_BIN = 1e-3
_MIN_SLOPE = 1e-3


class _Spline:
    """Mixin: a rational-quadratic spline on [-bound, bound] (identity outside)
    from `3 * bins - 1` unconstrained parameters per dimension."""

    def __init__(self, hidden_units=(64, 64), bins=8, bound=4.0, activation="relu", **kwargs):
        bins = _checks.check_positive_int("bins", bins)
        bound = _checks.check_positive_finite("bound", bound)
        super().__init__(hidden_units, activation, **kwargs)
        self.bins = bins
        self.bound = bound

    def _params(self):
        return 3 * self.bins - 1

    def _elementwise(self, params):
        def sizes(t):
            fractions = ops.softmax(t, axis=-1) * (1 - self.bins * _MIN_BIN) + _MIN_BIN
            return 2 * self.bound * fractions

        slopes = ops.softplus(params[..., 2 * self.bins:]) + _MIN_SLOPE
        return tfb.RationalQuadraticSpline(
            bin_widths=sizes(params[..., :self.bins]),
            bin_heights=sizes(params[..., self.bins:2 * self.bins]),
            knot_slopes=slopes, range_min=-self.bound)

    def get_config(self):
        config = super().get_config()
        config.update({"bins": self.bins, "bound": self.bound})
        return config


@keras.saving.register_keras_serializable(package="tfbsl")
class SplineCoupling(_Spline, _Coupling):
    """Rational-quadratic spline coupling block (NSF-C, Durkan et al. 2019).

    As `AffineCoupling`, with a monotone rational-quadratic spline of `bins`
    bins on [-bound, bound] (identity outside, `tfb.RationalQuadraticSpline`)
    instead of the affine map. Needs an event size >= 2.

    Args:
        hidden_units: sizes of the conditioner's hidden layers (an int is one layer).
        bins: number of spline bins.
        bound: the spline acts on [-bound, bound]; standardise the data.
        activation: activation of the hidden layers.

    Example:
    ```python
    flow = tfbsl.layers.NormalizingFlow([
        tfbsl.layers.SplineCoupling((64, 64), bins=8), tfbsl.layers.Permute(),
        tfbsl.layers.SplineCoupling((64, 64), bins=8),
    ])
    ```
    """


@keras.saving.register_keras_serializable(package="tfbsl")
class SplineAutoregressive(_Spline, _Autoregressive):
    """Rational-quadratic spline autoregressive block (NSF-AR, Durkan et al. 2019).

    As `MaskedAutoregressive`, with a monotone rational-quadratic spline of
    `bins` bins on [-bound, bound] (identity outside) instead of the affine map.

    Args:
        hidden_units: sizes of the MADE's hidden layers (an int is one layer).
        bins: number of spline bins.
        bound: the spline acts on [-bound, bound]; standardise the data.
        activation: activation of the hidden layers.

    Example:
    ```python
    flow = tfbsl.layers.NormalizingFlow([
        tfbsl.layers.SplineAutoregressive((64, 64), bins=8), tfbsl.layers.Permute(),
        tfbsl.layers.SplineAutoregressive((64, 64), bins=8),
    ])
    ```
    """
