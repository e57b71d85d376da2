"""The stabilised element-wise affine map shared by `AffineCoupling` and
`MaskedAutoregressive`."""

import tensorflow_probability as tfp
from keras import ops

tfb = tfp.bijectors

# A soft clip of each block's log-scale to (-3, 3): unbounded `exp(log_scale)`
# lets one step blow a density up early in training (NaN losses); several
# blocks still reach any scale.
_LOG_SCALE_BOUND = 3.0


def _affine(params):
    """`x -> x * exp(log_scale) + shift` from `params[..., (shift, log_scale)]`."""
    log_scale = _LOG_SCALE_BOUND * ops.tanh(params[..., 1] / _LOG_SCALE_BOUND)
    return tfb.Chain([tfb.Shift(params[..., 0]), tfb.Scale(log_scale=log_scale)])
