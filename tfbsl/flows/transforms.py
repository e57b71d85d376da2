"""Element-wise transforms a flow block applies, given their parameters.

A coupling block (`_Coupling`) or an autoregressive block (`_Autoregressive`)
computes, per dimension, `transform.params` unconstrained numbers from the
conditioning inputs and hands them to `transform(params)`, which returns the
`tfb.Bijector` applied to that dimension (as zuko's transforms are given to
its `MaskedAutoregressiveTransform`). A block is thus a conditioner times a
transform: `AffineCoupling` = coupling x `Affine`, `SplineAutoregressive` =
autoregressive x `Spline`.
"""

from keras import ops

from tfbsl import _checks
from tfbsl._backend import tfp

tfb = tfp.bijectors


class Affine:
    """`x -> x * exp(log_scale) + shift` from `params[..., (shift, log_scale)]`.

    The log-scale is softly clipped to (-3, 3): an unbounded `exp(log_scale)`
    lets one step blow a density up early in training (NaN losses); several
    blocks still reach any scale.
    """

    params = 2
    _LOG_SCALE_BOUND = 3.0

    def __call__(self, params):
        log_scale = self._LOG_SCALE_BOUND * ops.tanh(params[..., 1] / self._LOG_SCALE_BOUND)
        return tfb.Chain([tfb.Shift(params[..., 0]), tfb.Scale(log_scale=log_scale)])

    def get_config(self):
        return {}


class Spline:
    """A monotone rational-quadratic spline (Durkan et al. 2019,
    `tfb.RationalQuadraticSpline`) of `bins` bins on [-bound, bound], the
    identity outside, from `3 * bins - 1` parameters.

    Floors on bin sizes and knot slopes keep the spline strictly monotone and
    its inverse well conditioned.

    Raises:
        ValueError: `bins` not a positive int or `bound` not a positive finite
            number.
    """

    _MIN_BIN = 1e-3
    _MIN_SLOPE = 1e-3

    def __init__(self, bins=8, bound=4.0):
        self.bins = _checks.check_positive_int("bins", bins)
        self.bound = _checks.check_positive_finite("bound", bound)
        self.params = 3 * self.bins - 1

    def __call__(self, params):
        def sizes(t):
            fractions = ops.softmax(t, axis=-1) * (1 - self.bins * self._MIN_BIN) + self._MIN_BIN
            return 2 * self.bound * fractions

        slopes = ops.softplus(params[..., 2 * self.bins:]) + self._MIN_SLOPE
        return tfb.RationalQuadraticSpline(
            bin_widths=sizes(params[..., :self.bins]),
            bin_heights=sizes(params[..., self.bins:2 * self.bins]),
            knot_slopes=slopes, range_min=-self.bound)

    def get_config(self):
        return {"bins": self.bins, "bound": self.bound}
