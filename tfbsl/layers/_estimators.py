"""Gradient estimators for variational layers, as pure functions.

Each takes the layer input `x`, the linear operator `op(x, kernel)` (a matmul
for dense layers, a convolution for conv layers) and the posterior's kernel
parameters, and returns the pre-activation without bias. Dense and conv layers
share them.

- `reparameterization`: one kernel draw `w ~ q` per call, shared by the batch.
- `flipout` (Wen et al. 2018): one draw of the kernel noise `delta = scale * eps`,
  decorrelated across examples by random sign flips of its input and output:
  `op(x, loc) + op(x * s_in, delta) * s_out`. Needs a factorised posterior.
- `local_reparameterization` (Kingma et al. 2015): no weight draw; the
  pre-activation is sampled from its Gaussian, mean `op(x, loc)`, variance
  `op(x^2, scale^2)`, independently per example. Needs a factorised posterior.
"""

from keras import ops

from tfbsl import _random
from tfbsl._xla import materialized

# Keeps sqrt differentiable where an input row is all zeros.
_VARIANCE_FLOOR = 1e-12


def reparameterization(x, kernel, op):
    """`op(x, kernel)` for a kernel already drawn from the posterior."""
    return op(x, kernel)


def flipout(x, kernel_loc, kernel_delta, op, seed, sign_shape=None):
    """Flipout pre-activation.

    Args:
        x: input tensor.
        kernel_loc: posterior mean of the kernel.
        kernel_delta: one draw of the kernel noise, `scale * eps`.
        op: linear operator `op(x, kernel)`.
        seed: a `keras.random.SeedGenerator`.
        sign_shape: callable mapping a tensor to the shape of its signs
            (default: its own shape; conv layers share signs over space).
    """
    sign_shape = sign_shape or ops.shape
    sign_in = _random.rademacher(sign_shape(x), seed, x.dtype, per_example=True)
    perturbation = op(x * sign_in, kernel_delta)
    sign_out = _random.rademacher(
        sign_shape(perturbation), seed, x.dtype, per_example=True)
    return materialized(op(x, kernel_loc) + perturbation * sign_out, seed.state.value)


def local_reparameterization(x, kernel_loc, kernel_scale, op, seed,
                             bias_loc=None, bias_scale=None):
    """Local-reparameterization pre-activation, bias included when given.

    Returns `mean + sqrt(var) * eps`, `mean = op(x, loc) (+ bias_loc)`,
    `var = op(x^2, scale^2) (+ bias_scale^2)`, `eps ~ N(0, 1)` per output.
    """
    mean, variance = local_moments(x, kernel_loc, kernel_scale, op, bias_loc, bias_scale)
    eps = _random.normal(ops.shape(mean), seed, mean.dtype, per_example=True)
    return materialized(mean + ops.sqrt(variance + _VARIANCE_FLOOR) * eps, seed.state.value)


def local_moments(x, kernel_loc, kernel_scale, op, bias_loc=None, bias_scale=None):
    """Mean and variance of the pre-activation under a factorised Normal posterior."""
    mean = op(x, kernel_loc)
    variance = op(ops.square(x), ops.square(kernel_scale))
    if bias_loc is not None:
        mean = mean + bias_loc
        variance = variance + ops.square(bias_scale)
    return mean, variance
