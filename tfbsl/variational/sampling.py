"""`Sampling`: the VAE reparameterisation layer that also adds the KL term."""

import keras
import numpy as np
from keras import ops

from tfbsl import _checks, _random
from tfbsl._backend import impl, tfp
from tfbsl._outputs import distribution_dtype, get_distribution, shape_stand_in
from tfbsl.variational._kl import (
    add_kl_weight_variable,
    check_kl_use_exact,
    check_kl_weight,
    has_analytic_kl,
    kl_divergence,
)

__all__ = ["Sampling"]

tfd = tfp.distributions

_INFERENCE_MODES = ("sample", "mean")


@keras.saving.register_keras_serializable(package="tfbsl")
class Sampling(keras.Layer):
    """Draws `z ~ q(z | x)` by reparameterisation and adds `KL(q || prior)`.

    Called on `[z_mean, z_log_var]` (same shape, latent dimensions last, any
    batch shape) it returns `z = z_mean + exp(z_log_var / 2) * eps`,
    `eps ~ N(0, I)`. Called on the output of a tfbsl distribution head (e.g.
    `IndependentNormal(d)` or `MultivariateNormalTriL(d)`, a tensor carrying
    `.distribution`) it returns a reparameterised draw of that distribution.
    Either way it `add_loss`es
    `kl_weight * mean_over_batch(KL(q(z | x) || p(z)))`, the KL summed over the
    latent dimensions, so that `Model.fit` with a reconstruction NLL that sums
    over pixels minimises the negative ELBO. The KL is added at inference too,
    so `Model.evaluate` reports the negative ELBO. An empty batch adds 0.
    Integer and float64 inputs are cast to the compute dtype.

    The KL weight lives in the non-trainable variable `kl_weight_variable`
    (`tfbsl.callbacks.KLAnnealing` drives it under `jit_compile=True`); the
    config stores the initial value.

    A non-finite `z_mean` or `z_log_var` raises a `ValueError` in eager mode.
    Inside a traced function (`tf.function`, `jit_compile=True`) nothing is checked (XLA has no
    assertions): NaNs propagate into the loss, where
    `keras.callbacks.TerminateOnNaN` stops training.

    Args:
        kl_weight: finite number >= 0 multiplying the KL (beta of a
            beta-VAE); `None` means 1.
        free_bits: KL floor in nats per latent dimension (Kingma et al.
            2016): the loss uses `sum_d max(mean_over_batch(KL_d), free_bits)`,
            so dimensions below the floor get no push towards the prior. When
            `q` or the prior do not factorise over dimensions, the floor
            applies to the total: `max(mean KL, free_bits * d)`. Default 0.
        inference_mode: `"sample"` (default) returns a draw at inference too;
            `"mean"` returns the mean of `q` when `training` is false.
        prior: `None` for `N(0, I)`, or a Keras layer that, called on `z`,
            returns a `tfd.Distribution` over `z` or a tensor carrying one
            (e.g. the trainable
            `keras.Sequential([VariableLayer((1, 2 * d)), IndependentNormal(d)])`).
            Being a layer, it is saved with the model.
        kl_use_exact: `None` (default) uses the analytic KL where
            `tfd.kl_divergence` knows the pair, else a one-draw Monte Carlo
            estimate from the returned draw; `True` insists on the analytic
            KL; `False` always uses Monte Carlo.
        seed: optional int seeding the `keras.random.SeedGenerator` of `eps`.

    References:
        Kingma, Welling (2014). "Auto-Encoding Variational Bayes".
        https://arxiv.org/abs/1312.6114

        Kingma, Salimans, Jozefowicz, Chen, Sutskever, Welling (2016).
        "Improved Variational Inference with Inverse Autoregressive Flow" (free
        bits). https://arxiv.org/abs/1606.04934

    Input shape:
        `[z_mean, z_log_var]`, each `(batch, latent_dim)`, or a tensor
        carrying a distribution over `z`.

    Output shape:
        `(batch, latent_dim)`, a draw of `z`.

    Example:
    ```pycon
    >>> x = keras.Input((64,))
    >>> h = keras.layers.Dense(16, activation="relu")(x)
    >>> z_mean, z_log_var = keras.layers.Dense(2)(h), keras.layers.Dense(2)(h)
    >>> z = tfbsl.layers.Sampling(kl_weight=1.0, seed=0)([z_mean, z_log_var])
    >>> encoder = keras.Model(x, z)
    >>> tuple(encoder(np.ones((4, 64), "float32")).shape), len(encoder.losses)
    ((4, 2), 1)

    ```
    """

    def __init__(self, kl_weight=None, free_bits=0.0, inference_mode="sample",
                 prior=None, kl_use_exact=None, seed=None, **kwargs):
        kl_weight = check_kl_weight(kl_weight)
        free_bits = _checks.check_nonnegative_finite("free_bits", free_bits)
        _checks.check_choice("inference_mode", inference_mode, _INFERENCE_MODES)
        if prior is not None and not isinstance(prior, keras.Layer):
            raise ValueError(
                "`prior` must be None (a standard Normal) or a Keras layer "
                "returning a distribution (so that it is saved with the model; "
                "wrap a fixed `tfd.Distribution` in a `DistributionLambda` with "
                f"a registered function). Received: prior={prior!r}"
            )
        kl_use_exact = check_kl_use_exact(kl_use_exact)
        seed = _checks.check_seed("seed", seed)
        super().__init__(**distribution_dtype(kwargs))
        self.kl_weight = kl_weight
        self.free_bits = free_bits
        self.inference_mode = inference_mode
        self.prior = prior
        self.kl_use_exact = kl_use_exact
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def build(self, input_shape):
        latent_shape = _check_input_shapes(input_shape)
        add_kl_weight_variable(self)
        if self.prior is not None and not self.prior.built:
            self.prior.build(latent_shape)

    def call(self, inputs, training=None):
        stand_in = shape_stand_in(self, inputs)
        if stand_in is not None:
            return stand_in
        q = self.posterior(inputs)
        z = self._draw(q)
        self.add_loss(self.kl_weight_variable * self._kl_loss(q, z))
        if self.inference_mode == "mean" and not training:
            return q.mean()
        return z

    def posterior(self, inputs):
        """`q(z | x)` from the layer's inputs (pair or distribution tensor)."""
        if isinstance(inputs, (list, tuple)):
            z_mean, z_log_var = (ops.cast(t, self.compute_dtype) for t in inputs)
            if impl.is_concrete(z_mean):
                _check_finite("z_mean", z_mean)
                _check_finite("z_log_var", z_log_var)
            return tfd.Independent(
                tfd.Normal(z_mean, ops.exp(z_log_var / 2)),
                reinterpreted_batch_ndims=1,
            )
        try:
            distribution = get_distribution(inputs, "inputs")
        except ValueError:
            raise ValueError(
                "`Sampling` must be called on a pair `[z_mean, z_log_var]` of "
                "tensors of the same shape, or on the output of a tfbsl "
                "distribution head (a tensor carrying `.distribution`). "
                f"Received: a single {type(inputs).__name__} of shape "
                f"{tuple(getattr(inputs, 'shape', ()))} without `.distribution`."
            ) from None
        if impl.is_concrete(inputs):
            _check_finite("inputs", inputs)
        return distribution

    def prior_distribution(self, q, z):
        """`p(z)`: `N(0, I)` over `q`'s events, or the `prior` layer's on `z`."""
        if self.prior is None:
            return _standard_normal(q)
        return get_distribution(self.prior(z), "prior(z)")

    def _draw(self, q):
        # eps is per example: under tf.distribute each replica draws its own.
        return _random.sample(q, self.seed_generator, per_example=True)

    def _kl_loss(self, q, z):
        p = self.prior_distribution(q, z)
        kl_dims = self._per_dimension_kl(q, p) if self.free_bits > 0 else None
        if kl_dims is not None:
            batch_axes = tuple(range(len(kl_dims.shape) - 1))
            per_dim = _mean_over_batch(kl_dims, batch_axes)
            return ops.sum(ops.maximum(per_dim, self.free_bits * _nonempty(kl_dims)))
        kl = self.kl_divergence(q, p, z)
        mean_kl = _mean_over_batch(kl)
        if self.free_bits > 0:
            size = int(np.prod(z.shape[len(q.batch_shape):]))
            mean_kl = ops.maximum(mean_kl, self.free_bits * size * _nonempty(kl))
        return mean_kl

    def kl_divergence(self, q, p, z):
        """`KL(q || p)` per example: analytic, or Monte Carlo from the draw `z`."""
        return kl_divergence(q, p, lambda: z, self.kl_use_exact)

    def _per_dimension_kl(self, q, p):
        """KL per latent dimension when both factorise over one event axis."""
        if self.kl_use_exact is False:
            return None
        if not all(isinstance(d, tfd.Independent) and d.event_shape.rank == 1
                   for d in (q, p)):
            return None
        if not has_analytic_kl(q.distribution, p.distribution):
            return None
        return tfd.kl_divergence(q.distribution, p.distribution)

    def compute_output_shape(self, input_shape):
        return _check_input_shapes(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update({
            "kl_weight": self.kl_weight,
            "free_bits": self.free_bits,
            "inference_mode": self.inference_mode,
            "prior": (None if self.prior is None
                      else keras.saving.serialize_keras_object(self.prior)),
            "kl_use_exact": self.kl_use_exact,
            "seed": self.seed,
        })
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if config.get("prior") is not None:
            config["prior"] = keras.saving.deserialize_keras_object(config["prior"])
        return cls(**config)


def _is_shape(value):
    return isinstance(value, (tuple, list)) and all(
        d is None or isinstance(d, (int, np.integer)) for d in value
    )


def _check_input_shapes(input_shape):
    """Shape of `z`: that of `z_mean` (pair) or of the distribution tensor."""
    if _is_shape(input_shape):
        return tuple(input_shape)
    shapes = list(input_shape)
    if len(shapes) != 2 or not all(_is_shape(s) for s in shapes):
        raise ValueError(
            "`Sampling` must be called on a pair `[z_mean, z_log_var]` or on "
            "one distribution tensor. Received inputs of shapes "
            f"{[tuple(s) if _is_shape(s) else s for s in shapes]}"
        )
    mean_shape, log_var_shape = (tuple(s) for s in shapes)
    if not mean_shape:
        raise ValueError(
            "`z_mean` and `z_log_var` must have a last axis of latent "
            f"dimensions. Received: z_mean.shape={mean_shape}, "
            f"z_log_var.shape={log_var_shape}"
        )
    compatible = len(mean_shape) == len(log_var_shape) and all(
        a is None or b is None or a == b for a, b in zip(mean_shape, log_var_shape, strict=True)
    )
    if not compatible:
        raise ValueError(
            "`z_mean` and `z_log_var` must have the same shape. Received: "
            f"z_mean.shape={mean_shape}, z_log_var.shape={log_var_shape}"
        )
    return mean_shape


def _mean_over_batch(values, axis=None):
    """The mean over `axis`, 0 rather than NaN over an empty batch."""
    return ops.divide_no_nan(ops.sum(values, axis), ops.sum(ops.ones_like(values), axis))


def _nonempty(values):
    """1 for a non-empty batch, 0 for an empty one (which adds no free bits)."""
    return ops.cast(ops.size(values) > 0, values.dtype)


def _check_finite(name, value):
    bad = int(ops.sum(ops.cast(ops.logical_not(ops.isfinite(value)), "int32")))
    if bad:
        raise ValueError(
            f"`{name}` must be finite; it holds {bad} NaN or infinite values "
            "(a diverging encoder?). Sampling would return NaN."
        )


def _standard_normal(q):
    """`N(0, I)` in the family of `q`, so that the analytic KL is registered."""
    shape = q.event_shape if q.event_shape.is_fully_defined() else q.event_shape_tensor()
    zeros = ops.zeros(shape, q.dtype)
    if isinstance(q, tfd.MultivariateNormalLinearOperator):
        return tfd.MultivariateNormalDiag(zeros)
    return tfd.Independent(
        tfd.Normal(zeros, ops.ones_like(zeros)),
        reinterpreted_batch_ndims=q.event_shape.rank,
    )
