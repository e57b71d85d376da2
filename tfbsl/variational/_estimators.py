"""Gradient estimators for variational layers: one object per estimator.

Each object owns its draw and what it needs of the posterior, for both
engines: `flat` for tfbsl's generic layers (`DenseVariational`,
`Conv2DVariational`, ...: one posterior over the flat kernel-then-bias
vector) and `parts` for the `tfp.layers`-named ones (a kernel posterior and a
bias posterior). Both reduce to the pure functions below, which take the
layer input `x`, the linear operator `op(x, kernel)` (a matmul for dense
layers, a convolution for conv layers) and the kernel's parameters, and
return the pre-activation; dense and conv layers share them.

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
from tfbsl._backend import tfp
from tfbsl._xla import materialized
from tfbsl.variational import util

tfd = tfp.distributions

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


class Reparameterization:
    """One weight draw `w ~ q` per call, shared by the batch; any posterior."""

    name = "reparameterization"
    needs_normal = False

    def flat(self, layer, x, q, op, sign_shape):
        """`(outputs, weights drawn)` of a generic layer, bias included."""
        weights = _random.sample(q, layer.seed_generator)
        kernel, bias = layer._unflatten(weights, x.dtype)
        outputs = reparameterization(x, kernel, op)
        return (outputs if bias is None else outputs + bias), weights

    def parts(self, layer, x, op, sign_shape):
        """`(outputs, kernel tensor)` of a per-part layer, bias excluded."""
        kernel = layer.posterior_tensor(layer.kernel_posterior_tensor_fn, layer.kernel_posterior)
        return op(x, ops.cast(kernel, x.dtype)), kernel


class Flipout:
    """`op(x, loc) + op(x * s_in, delta) * s_out` with `delta` drawn from
    `Normal(0, scale)` (Wen et al. 2018); needs a factorised Normal."""

    name = "flipout"
    needs_normal = True

    def flat(self, layer, x, q, op, sign_shape):
        loc, scale = _random.factorised_normal(q)
        delta = scale * _random.normal(ops.shape(scale), layer.seed_generator, scale.dtype)
        kernel_loc, bias_loc = layer._unflatten(loc, x.dtype)
        kernel_delta, bias_delta = layer._unflatten(delta, x.dtype)
        outputs = flipout(x, kernel_loc, kernel_delta, op, layer.seed_generator, sign_shape)
        if bias_loc is not None:
            outputs = outputs + bias_loc + bias_delta
        return outputs, loc + delta

    def parts(self, layer, x, op, sign_shape):
        """No kernel tensor to hand on (None)."""
        base = layer.kernel_posterior.distribution
        loc = ops.cast(base.loc, x.dtype)
        fn = layer.kernel_posterior_tensor_fn
        if is_default_sample(fn):
            # The kernel's shape: a posterior's scale may broadcast (a scalar).
            scale = ops.broadcast_to(ops.cast(base.scale, x.dtype), ops.shape(loc))
            delta = scale * _random.normal(ops.shape(scale), layer.seed_generator, x.dtype)
        else:
            delta = ops.cast(fn(tfd.Normal(ops.zeros_like(base.loc), base.scale)), x.dtype)
        return flipout(x, loc, delta, op, layer.seed_generator, sign_shape), None


class LocalReparameterization:
    """The pre-activation drawn from its Gaussian `Normal(op(x, loc),
    sqrt(op(x², scale²)))` (Kingma et al. 2015); no weight draw; needs a
    factorised Normal."""

    name = "local_reparameterization"
    needs_normal = True

    def flat(self, layer, x, q, op, sign_shape):
        """No weights drawn (None): a Monte Carlo KL draws its own."""
        loc, scale = _random.factorised_normal(q)
        kernel_loc, bias_loc = layer._unflatten(loc, x.dtype)
        kernel_scale, bias_scale = layer._unflatten(scale, x.dtype)
        return local_reparameterization(
            x, kernel_loc, kernel_scale, op, layer.seed_generator, bias_loc, bias_scale), None

    def parts(self, layer, x, op, sign_shape):
        base = layer.kernel_posterior.distribution
        loc = ops.cast(base.loc, x.dtype)
        scale = ops.broadcast_to(ops.cast(base.scale, x.dtype), ops.shape(loc))
        fn = layer.kernel_posterior_tensor_fn
        if is_default_sample(fn):
            return local_reparameterization(x, loc, scale, op, layer.seed_generator), None
        mean, variance = local_moments(x, loc, scale, op)
        return fn(tfd.Normal(mean, ops.sqrt(variance))), None


# `estimator=` of the generic layers, by name.
BY_NAME = {e.name: e for e in (Reparameterization(), Flipout(), LocalReparameterization())}


def is_default_sample(fn):
    """TFP's default posterior tensor: a plain draw (drawn by tfbsl's seeds)."""
    return fn is util.sample or fn is tfd.Distribution.sample
