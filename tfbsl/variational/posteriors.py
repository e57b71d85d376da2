"""Variational posteriors over a layer's weights.

Same protocol as `tfbsl.priors`: `posterior(kernel_size, bias_size, dtype)`
returns a callable (here a Keras layer owning the variational parameters) that
maps the layer's inputs to a `tfd.Distribution` over the flat vector of kernel
then bias. The Flipout and local-reparameterization estimators need a
factorised Normal (`tfd.Independent(tfd.Normal)` or `MultivariateNormalDiag`).

Example:
```pycon
>>> layer = tfbsl.layers.DenseVariational(
...     8, make_posterior_fn=tfbsl.posteriors.MeanFieldNormal(init_scale=1e-2))
>>> tuple(layer(np.zeros((2, 3), "float32")).shape)
(2, 8)

```
"""

import math

import keras
import numpy as np
from keras import ops

from tfbsl import _checks
from tfbsl._backend import tfp
from tfbsl._outputs import attach_distribution
from tfbsl._serialization import FromConfig
from tfbsl.heads.distribution_layers import DistributionLambda, VariableLayer
from tfbsl.variational.priors import _SIGNATURE as priors_signature

tfd = tfp.distributions

__all__ = ["MeanFieldNormal", "get", "mean_field"]


@keras.saving.register_keras_serializable(package="tfbsl")
class MeanFieldNormal(FromConfig):
    """Factorised Normal posterior `N(loc, softplus(rho)^2)` on every weight
    (Blundell et al. 2015), tfbsl's default.

    Kernel means start like a Keras `Dense` kernel (Glorot uniform, from the
    fan-in and fan-out the layer passes as `kernel_shape`), bias means at 0,
    scales at `init_scale`: a small initial scale lets the network first fit
    the data, then the KL term widens what the data leave free.

    Args:
        init_scale: initial posterior standard deviation, > 0 (default 1e-3;
            TFP's `default_mean_field_normal_fn` starts near 0.05).
        loc_initializer: Keras initializer for the kernel means (default
            `"glorot_uniform"`, needs `kernel_shape`; else Normal(0, 0.1)).

    References:
        Blundell, Cornebise, Kavukcuoglu & Wierstra (2015), "Weight
        Uncertainty in Neural Networks", https://arxiv.org/abs/1505.05424

    Example:
    ```pycon
    >>> layer = tfbsl.layers.DenseVariational(
    ...     8, make_posterior_fn=tfbsl.posteriors.MeanFieldNormal(0.05), estimator="flipout")
    >>> tuple(layer(np.zeros((2, 3), "float32")).shape)
    (2, 8)
    >>> q = tfbsl.get_distribution(layer.posterior())  # over 3 * 8 + 8 weights
    >>> tuple(q.event_shape), round(float(q.distribution.stddev()[0]), 4)
    ((32,), 0.05)

    ```
    """

    def __init__(self, init_scale=1e-3, loc_initializer="glorot_uniform"):
        self.init_scale = _checks.check_positive_finite("init_scale", init_scale)
        self.loc_initializer = _checks.check_initializer("loc_initializer", loc_initializer)

    def __call__(self, kernel_size, bias_size=0, dtype=None, kernel_shape=None):
        return _MeanFieldNormalPosterior(
            kernel_size, bias_size, self.init_scale, self.loc_initializer,
            kernel_shape=kernel_shape, dtype=dtype,
        )

    def get_config(self):
        return {
            "init_scale": self.init_scale,
            "loc_initializer": keras.initializers.serialize(self.loc_initializer),
        }


@keras.saving.register_keras_serializable(package="tfbsl")
class _MeanFieldNormalPosterior(keras.Layer):
    """Owns `loc` and `rho` (length `kernel_size + bias_size`); returns the
    posterior's `loc` carrying `Independent(Normal(loc, softplus(rho)))`."""

    def __init__(self, kernel_size, bias_size, init_scale, loc_initializer,
                 kernel_shape=None, **kwargs):
        super().__init__(**kwargs)
        self.kernel_size = kernel_size
        self.bias_size = bias_size
        self.init_scale = init_scale
        self.loc_initializer = keras.initializers.get(loc_initializer)
        self.kernel_shape = tuple(kernel_shape) if kernel_shape else None

    def build(self, input_shape=None):
        n = self.kernel_size + self.bias_size
        self.loc = self.add_weight(shape=(n,), initializer=self._init_loc, name="loc")
        self.rho = self.add_weight(
            shape=(n,),
            initializer=keras.initializers.Constant(math.log(math.expm1(self.init_scale))),
            name="rho",
        )

    def _init_loc(self, shape, dtype=None):
        if self.kernel_shape is not None:
            kernel = self.loc_initializer(self.kernel_shape, dtype)
        else:
            kernel = keras.initializers.RandomNormal(stddev=0.1)((self.kernel_size,), dtype)
        return keras.ops.concatenate([
            keras.ops.reshape(kernel, (-1,)), keras.ops.zeros((self.bias_size,), dtype)])

    def call(self, inputs=None):
        loc = keras.ops.convert_to_tensor(self.loc)
        scale = ops.softplus(ops.convert_to_tensor(self.rho))
        return attach_distribution(loc * 1, tfd.Independent(tfd.Normal(loc, scale), 1))

    def compute_output_shape(self, input_shape=None):
        return (self.kernel_size + self.bias_size,)

    def get_config(self):
        config = super().get_config()
        config.update({
            "kernel_size": self.kernel_size,
            "bias_size": self.bias_size,
            "init_scale": self.init_scale,
            "loc_initializer": keras.initializers.serialize(self.loc_initializer),
            "kernel_shape": list(self.kernel_shape) if self.kernel_shape else None,
        })
        return config


@keras.saving.register_keras_serializable(package="tfbsl")
class _TutorialMeanField(FromConfig):
    """`Independent(Normal(t[:n], 1e-5 + softplus(c + t[n:])))`, c = log(e - 1)."""

    def __init__(self, n):
        self.n = n

    def __call__(self, t):
        n, c = self.n, np.log(np.expm1(1.0))
        return tfd.Independent(
            tfd.Normal(loc=t[..., :n], scale=1e-5 + ops.softplus(c + t[..., n:])),
            reinterpreted_batch_ndims=1,
        )

    def get_config(self):
        return {"n": self.n}


@keras.saving.register_keras_serializable(package="tfbsl")
def mean_field(kernel_size, bias_size=0, dtype=None):
    """The TFP regression tutorial's `posterior_mean_field`, for Keras 3: a
    `VariableLayer(2n)` + `DistributionLambda` giving a factorised Normal that
    starts at mean 0 and scale 1 (broad: prefer `MeanFieldNormal` for deep nets).

    Example:
    ```pycon
    >>> layer = tfbsl.layers.DenseVariational(
    ...     1, tfbsl.posteriors.mean_field, tfbsl.priors.trainable, kl_weight=1 / 100)
    >>> tuple(layer(np.zeros((5, 3), "float32")).shape)
    (5, 1)

    ```
    """
    n = kernel_size + bias_size
    return keras.Sequential([
        VariableLayer(2 * n, dtype=dtype),
        DistributionLambda(_TutorialMeanField(n), "mean", dtype=dtype),
    ])


def get(identifier, name="make_posterior_fn"):
    """A posterior factory from `None` (`MeanFieldNormal()`) or a callable;
    `name` is the argument the user passed it as (in error messages)."""
    if identifier is None:
        return MeanFieldNormal()
    if isinstance(identifier, dict):
        return keras.saving.deserialize_keras_object(identifier)
    if not callable(identifier):
        raise ValueError(
            f"`{name}` must be None or a callable factory {priors_signature}. "
            f"Received: {name}={identifier!r}"
        )
    return _checks.check_callable(name, identifier, priors_signature, num_args=3)
