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
from tfbsl._backend import is_tensorflow, tfp

__all__ = ["Affine", "Spline"]

tfb = tfp.bijectors


class Affine:
    """`x -> x * exp(log_scale) + shift` from `params[..., (shift, log_scale)]`.

    The log-scale is softly clipped to (-3, 3): an unbounded `exp(log_scale)`
    lets one step blow a density up early in training (NaN losses); several
    blocks still reach any scale.

    Example:
    ```pycon
    >>> bijector = tfbsl.flows.transforms.Affine()(np.array([[1.0, 0.0]], "float32"))
    >>> keras.ops.convert_to_numpy(bijector.forward(np.array([2.0], "float32")))
    array([3.], dtype=float32)

    ```
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

    Args:
        bins: positive int, the number of bins.
        bound: positive finite number, the half-width of the spline's interval.

    Raises:
        ValueError: `bins` not a positive int or `bound` not a positive finite
            number.

    References:
        Durkan, Bekasov, Murray, Papamakarios (2019). "Neural Spline Flows".
        https://arxiv.org/abs/1906.04032

    Example:
    ```pycon
    >>> spline = tfbsl.flows.transforms.Spline(bins=4, bound=3.0)
    >>> spline.params  # 3 * bins - 1
    11
    >>> bijector = spline(np.zeros((1, 11), "float32"))
    >>> keras.ops.convert_to_numpy(bijector.forward(np.array([5.0], "float32")))  # identity
    array([5.], dtype=float32)

    ```
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
        return _RationalQuadraticSpline(
            bin_widths=sizes(params[..., :self.bins]),
            bin_heights=sizes(params[..., self.bins:2 * self.bins]),
            knot_slopes=slopes, range_min=-self.bound)

    def get_config(self):
        return {"bins": self.bins, "bound": self.bound}


def _padded(t, lhs, rhs=None):
    """`t` with `lhs` before (and `rhs`, if given, after) its last axis."""
    edge = (*t.shape[:-1], 1)
    parts = [ops.broadcast_to(ops.cast(lhs, t.dtype), edge), t]
    if rhs is not None:
        parts.append(ops.broadcast_to(ops.cast(rhs, t.dtype), edge))
    return ops.concatenate(parts, -1)


if is_tensorflow():
    _RationalQuadraticSpline = tfb.RationalQuadraticSpline
else:
    import numpy as np
    from tensorflow_probability.substrates.jax.bijectors import rational_quadratic_spline

    class _RationalQuadraticSpline(tfb.RationalQuadraticSpline):
        """`tfb.RationalQuadraticSpline` whose knot lookup has static shapes.

        TFP 0.25's JAX substrate looks the knots up through `tf.rank` and
        `tf.shape`, which return `jnp` arrays: JAX >= 0.5 traces those under
        `jit`, and a shape made of them is refused ("Shapes must be 1D
        sequences of concrete values"), so TFP's spline cannot be compiled.
        This lookup is TFP's (`_compute_shared`: knots, `searchsorted(side=
        "right") - 1`, gathers) on static shapes; the spline itself is TFP's.
        """

        def _compute_shared(self, x=None, y=None):
            value = x if x is not None else y
            range_min = ops.cast(self.range_min, value.dtype)
            kx = _padded(ops.cumsum(self.bin_widths, axis=-1) + range_min, range_min)
            ky = _padded(ops.cumsum(self.bin_heights, axis=-1) + range_min, range_min)
            kd = _padded(self.knot_slopes, 1.0, 1.0)
            knots = kx if x is not None else ky
            out_of_bounds = (value <= knots[..., 0]) | (value >= knots[..., -1])
            value = ops.where(out_of_bounds, knots[..., 0], value)
            shape = np.broadcast_shapes((*value.shape, 1), kx.shape, ky.shape, kd.shape)
            kx, ky, kd, knots = (ops.broadcast_to(k, shape) for k in (kx, ky, kd, knots))
            value = ops.broadcast_to(value, shape[:-1])
            # searchsorted(knots[..., :-1], value, side="right") - 1, at least 0.
            below = ops.sum(ops.cast(knots[..., :-1] <= value[..., None], "int32"), axis=-1)
            index = ops.maximum(below - 1, 0)[..., None]

            def at(k, offset):
                return ops.take_along_axis(k, index + offset, axis=-1)[..., 0]

            h, w = at(ky, 1) - at(ky, 0), at(kx, 1) - at(kx, 0)
            return rational_quadratic_spline._SplineShared(
                out_of_bounds=out_of_bounds, x_k=at(kx, 0), y_k=at(ky, 0),
                d_k=at(kd, 0), d_kp1=at(kd, 1), h_k=h, w_k=w, s_k=h / w)
