"""`tfp.layers.util` for Keras 3: the per-part posterior and prior factories
of the `tfp.layers`-named variational layers (`DenseFlipout`,
`Convolution2DReparameterization`, ...).

A factory has TFP's signature `fn(dtype, shape, name, trainable,
add_variable_fn) -> tfd.Distribution`: `dtype` is a `tf.DType`, `shape` the
kernel's (or bias') shape, and `add_variable_fn(name=, shape=, initializer=,
regularizer=, constraint=, dtype=, trainable=)` makes a weight of the calling
layer (tracked, trained and saved with it). These are TFP's functions with
TFP's defaults, as objects that Keras can save: a layer built from them
reloads from a `.keras` file without `custom_objects`.

Example:
```pycon
>>> layer = tfbsl.layers.DenseFlipout(
...     16, kernel_posterior_fn=tfbsl.layers.default_mean_field_normal_fn(
...         untransformed_scale_initializer=keras.initializers.RandomNormal(-5.0, 0.1)))
>>> tuple(layer(np.ones((2, 3), "float32")).shape)
(2, 16)
>>> float(keras.ops.max(layer.kernel_posterior.stddev())) < 0.02  # softplus(-5) = 0.0067
True

```
"""

import keras
import numpy as np
from keras import ops

from tfbsl._backend import tfp
from tfbsl._serialization import FromConfig

tfd = tfp.distributions

__all__ = [
    "default_loc_scale_fn",
    "default_mean_field_normal_fn",
    "default_multivariate_normal_fn",
    "kl_divergence",
    "sample",
]


def _default_loc_initializer():
    return keras.initializers.RandomNormal(stddev=0.1)


def _default_scale_initializer():
    # softplus(-3) = 0.049: the posterior starts close to a point mass.
    return keras.initializers.RandomNormal(mean=-3.0, stddev=0.1)


def _get_initializer(identifier):
    return None if identifier is None else keras.initializers.get(identifier)


def _serialize_initializer(initializer):
    return None if initializer is None else keras.initializers.serialize(initializer)


@keras.saving.register_keras_serializable(package="tfbsl")
class default_loc_scale_fn(FromConfig):  # TFP's name, called like TFP's function
    """TFP's `default_loc_scale_fn`: a factory making `(loc, scale)` weights,
    `scale = eps + softplus(untransformed_scale)` (`scale` is None when
    `is_singular`), called as `fn(dtype, shape, name, trainable,
    add_variable_fn)`.

    Args:
        is_singular: no scale (a point mass) if True.
        loc_initializer: initializer of `loc` (default None: N(0, 0.1²), as
            TFP, drawn anew for each weight).
        untransformed_scale_initializer: initializer of the pre-softplus
            scale (default None: N(-3, 0.1²), scales near 0.049, as TFP).
        loc_regularizer: Keras regularizer of `loc` (default None).
        untransformed_scale_regularizer: Keras regularizer of the pre-softplus
            scale (default None).
        loc_constraint: Keras constraint of `loc` (default None).
        untransformed_scale_constraint: Keras constraint of the pre-softplus
            scale (default None).

    Returns:
        Called, a tuple `(loc, scale)`: the `loc` weight and the scale (a
        `tfp.util.DeferredTensor` following its weight), or `(loc, None)`
        when `is_singular`.

    References:
        TensorFlow Probability, `tfp.layers.util.default_loc_scale_fn`:
        https://www.tensorflow.org/probability/api_docs/python/tfp/layers/default_loc_scale_fn

    Example:
    ```pycon
    >>> fn = tfbsl.layers.default_loc_scale_fn(is_singular=True)
    >>> fn.is_singular
    True

    ```
    """

    def __init__(self, is_singular=False, loc_initializer=None,
                 untransformed_scale_initializer=None, loc_regularizer=None,
                 untransformed_scale_regularizer=None, loc_constraint=None,
                 untransformed_scale_constraint=None):
        self.is_singular = bool(is_singular)
        # None: TFP's initializer, made anew at each call (a Keras 3, like a
        # tf_keras, unseeded initializer object repeats its values, so one
        # shared instance would start every layer of a shape alike).
        self.loc_initializer = _get_initializer(loc_initializer)
        self.untransformed_scale_initializer = _get_initializer(
            untransformed_scale_initializer)
        self.loc_regularizer = keras.regularizers.get(loc_regularizer)
        self.untransformed_scale_regularizer = keras.regularizers.get(
            untransformed_scale_regularizer)
        self.loc_constraint = keras.constraints.get(loc_constraint)
        self.untransformed_scale_constraint = keras.constraints.get(
            untransformed_scale_constraint)

    def __call__(self, dtype, shape, name, trainable, add_variable_fn):
        loc = add_variable_fn(
            name=name + "_loc", shape=shape,
            initializer=self.loc_initializer or _default_loc_initializer(),
            regularizer=self.loc_regularizer, constraint=self.loc_constraint,
            dtype=dtype, trainable=trainable)
        if self.is_singular:
            return loc, None
        untransformed_scale = add_variable_fn(
            name=name + "_untransformed_scale", shape=shape,
            initializer=(self.untransformed_scale_initializer
                         or _default_scale_initializer()),
            regularizer=self.untransformed_scale_regularizer,
            constraint=self.untransformed_scale_constraint,
            dtype=dtype, trainable=trainable)
        eps = np.finfo(keras.backend.standardize_dtype(dtype)).eps
        # Deferred: the scale follows the variable as it trains.
        scale = tfp.util.DeferredTensor(untransformed_scale, lambda x: eps + ops.softplus(x))
        return loc, scale

    def get_config(self):
        return {
            "is_singular": self.is_singular,
            "loc_initializer": _serialize_initializer(self.loc_initializer),
            "untransformed_scale_initializer": _serialize_initializer(
                self.untransformed_scale_initializer),
            "loc_regularizer": keras.regularizers.serialize(self.loc_regularizer),
            "untransformed_scale_regularizer": keras.regularizers.serialize(
                self.untransformed_scale_regularizer),
            "loc_constraint": keras.constraints.serialize(self.loc_constraint),
            "untransformed_scale_constraint": keras.constraints.serialize(
                self.untransformed_scale_constraint),
        }


@keras.saving.register_keras_serializable(package="tfbsl")
class default_mean_field_normal_fn(default_loc_scale_fn):
    """TFP's `default_mean_field_normal_fn`: a factory making a factorised
    `Independent(Normal(loc, scale))` over a weight of shape `shape`, or
    `Independent(Deterministic(loc))` when `is_singular` (TFP's default bias
    posterior: a point estimate).

    Args:
        is_singular: a point mass, `Independent(Deterministic(loc))`, if True.
        loc_initializer: as in `default_loc_scale_fn`.
        untransformed_scale_initializer: as in `default_loc_scale_fn`.
        loc_regularizer: as in `default_loc_scale_fn`.
        untransformed_scale_regularizer: as in `default_loc_scale_fn`.
        loc_constraint: as in `default_loc_scale_fn`.
        untransformed_scale_constraint: as in `default_loc_scale_fn`.

    Returns:
        Called as `fn(dtype, shape, name, trainable, add_variable_fn)`, the
        `tfd.Independent` distribution over a weight of shape `shape`.

    References:
        TensorFlow Probability, `tfp.layers.default_mean_field_normal_fn`:
        https://www.tensorflow.org/probability/api_docs/python/tfp/layers/default_mean_field_normal_fn

    Example:
    ```pycon
    >>> layer = tfbsl.layers.DenseReparameterization(
    ...     2, bias_posterior_fn=tfbsl.layers.default_mean_field_normal_fn())
    >>> _ = layer(np.ones((1, 3), "float32"))
    >>> type(layer.bias_posterior.distribution).__name__  # random (TFP's default: fixed)
    'Normal'

    ```
    """

    def __call__(self, dtype, shape, name, trainable, add_variable_fn):
        loc, scale = super().__call__(dtype, shape, name, trainable, add_variable_fn)
        base = tfd.Deterministic(loc=loc) if scale is None else tfd.Normal(loc=loc, scale=scale)
        return tfd.Independent(base, reinterpreted_batch_ndims=len(shape))


@keras.saving.register_keras_serializable(package="tfbsl")
def default_multivariate_normal_fn(dtype, shape, name, trainable, add_variable_fn):
    """TFP's `default_multivariate_normal_fn`: the standard Normal prior
    `Independent(Normal(0, 1))` over a weight of shape `shape` (no variables).

    Args:
        dtype: the weight's dtype.
        shape: the weight's shape.
        name: unused (TFP's signature).
        trainable: unused (TFP's signature).
        add_variable_fn: unused (TFP's signature).

    Returns:
        `tfd.Independent(tfd.Normal(0, 1))` with event shape `shape`.

    References:
        TensorFlow Probability, `tfp.layers.default_multivariate_normal_fn`:
        https://www.tensorflow.org/probability/api_docs/python/tfp/layers/default_multivariate_normal_fn

    Example:
    ```pycon
    >>> prior = tfbsl.layers.default_multivariate_normal_fn("float32", (3, 2), "p", False, None)
    >>> tuple(prior.event_shape), float(prior.distribution.stddev()[0, 0])
    ((3, 2), 1.0)

    ```
    """
    del name, trainable, add_variable_fn  # unused, as in TFP
    dtype = keras.backend.standardize_dtype(dtype)
    return tfd.Independent(
        tfd.Normal(loc=ops.zeros(shape, dtype), scale=np.ones((), dtype)),
        reinterpreted_batch_ndims=len(shape))


@keras.saving.register_keras_serializable(package="tfbsl")
def sample(distribution):
    """`distribution.sample()`: the `*_posterior_tensor_fn` default (TFP's
    `lambda d: d.sample()`); the layers draw it from their seed generator.

    Args:
        distribution: a `tfd.Distribution`.

    Returns:
        One draw from `distribution`.

    Example:
    ```pycon
    >>> tuple(tfbsl.variational.util.sample(tfd.Normal(np.zeros(3, "float32"), 1.0)).shape)
    (3,)

    ```
    """
    return distribution.sample()


@keras.saving.register_keras_serializable(package="tfbsl")
def kl_divergence(q, p, _sample=None):
    """`tfd.kl_divergence(q, p)`: the `*_divergence_fn` default (TFP's
    `lambda q, p, ignore: kl_lib.kl_divergence(q, p)`).

    Args:
        q: the posterior, a `tfd.Distribution`.
        p: the prior, a `tfd.Distribution`.
        _sample: unused (the weight draw TFP passes).

    Returns:
        The analytic KL divergence `KL(q || p)`.

    Example:
    ```pycon
    >>> q, p = tfd.Normal(1.0, 1.0), tfd.Normal(0.0, 1.0)
    >>> float(tfbsl.variational.util.kl_divergence(q, p))  # (1 - 0)^2 / 2
    0.5

    ```
    """
    return tfd.kl_divergence(q, p)


# TFP's defaults of the per-part layers (stateless: shared by every layer).
DEFAULT_KERNEL_POSTERIOR_FN = default_mean_field_normal_fn()
DEFAULT_BIAS_POSTERIOR_FN = default_mean_field_normal_fn(is_singular=True)
