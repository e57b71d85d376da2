"""Distribution-valued Keras 3 layers: `DistributionLambda` and the heads built on it.

Keras 3 requires every layer output to be a tensor, so a distribution layer
returns a tensor (the distribution's mean by default; see each layer) that
carries the distribution: `t.distribution`, and `t.mean()`, `t.stddev()`,
`t.variance()`, `t.log_prob(y)`, `t.sample()`, `t.entropy()`, ... forwarded to
it. The loss receives that tensor, so `loss=lambda y, d: -d.log_prob(y)` and
`tfbsl.losses.NegativeLogLikelihood()` work under `fit(jit_compile=True)`,
while metrics such as `RootMeanSquaredError` see the plain tensor.

Differences from `tfp.layers`: the default `convert_to_tensor_fn` is the mean
(TFP's is a sample), and heads compute in float32 under a mixed-precision
policy (a float16 cast of the output would drop the distribution).
"""

import math

import keras
import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp
from keras import ops

from tfbsl import _checks
from tfbsl._random import per_example_seed
from tfbsl._serialization import deserialize_fn, serialize_fn

tfd = tfp.distributions
tfb = tfp.bijectors

_FORWARDED = (
    "mean", "mode", "stddev", "variance", "covariance", "log_prob", "prob",
    "cdf", "log_cdf", "sample", "entropy", "quantile",
)
_TENSOR_FNS = ("mean", "mode", "sample")


def attach_distribution(tensor, distribution):
    """Attach `distribution` to `tensor` and forward its methods (in place)."""
    tensor.distribution = distribution
    for name in _FORWARDED:
        method = getattr(distribution, name, None)
        if method is not None:
            setattr(tensor, name, method)
    return tensor


def get_distribution(value, name="value"):
    """The `tfd.Distribution` that `value` is, or carries; else a ValueError."""
    if isinstance(value, tfd.Distribution):
        return value
    distribution = getattr(value, "distribution", None)
    if isinstance(distribution, tfd.Distribution):
        return distribution
    raise ValueError(
        f"`{name}` must be a `tfd.Distribution` or a tensor returned by a "
        f"tfbsl distribution layer (with a `.distribution`). Received: "
        f"{type(value).__name__}"
    )


def _float32_under_mixed_precision(kwargs):
    """Distributions compute in float32 under a mixed policy (given or global)."""
    dtype = kwargs.get("dtype")
    policy = keras.dtype_policies.get(dtype) if dtype is not None else keras.config.dtype_policy()
    if policy.compute_dtype in ("float16", "bfloat16"):
        kwargs = {**kwargs, "dtype": "float32"}
    return kwargs


def _tensor_fn_name(fn):
    """Map TFP-style `tfd.Distribution.mean` / `.sample` callables to names."""
    for name in _TENSOR_FNS:
        if fn is getattr(tfd.Distribution, name) or fn == name:
            return name
    return fn


@keras.saving.register_keras_serializable(package="tfbsl")
class DistributionLambda(keras.Layer):
    """Turns its inputs into a `tfd.Distribution` with a user function.

    Args:
        make_distribution_fn: callable mapping the inputs to a
            `tfd.Distribution`. Register it with
            `keras.saving.register_keras_serializable` to save the layer; a
            lambda reloads only with `safe_mode=False`.
        convert_to_tensor_fn: the tensor the layer returns: `"mean"`
            (default), `"mode"`, `"sample"`, `tfd.Distribution.mean` etc., or
            a registered callable `distribution -> tensor`.
        seed: optional int, seeds `"sample"`.

    Example:
    ```python
    head = tfbsl.layers.DistributionLambda(
        lambda t: tfd.Normal(t[..., :1], 1e-3 + tf.nn.softplus(t[..., 1:])))
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2), head])
    model.compile("adam", loss=lambda y, d: -d.log_prob(y))
    ```
    """

    def __init__(self, make_distribution_fn, convert_to_tensor_fn="mean",
                 seed=None, **kwargs):
        if not callable(make_distribution_fn):
            raise ValueError(
                "`make_distribution_fn` must be callable. Received: "
                f"make_distribution_fn={make_distribution_fn!r}"
            )
        convert_to_tensor_fn = _tensor_fn_name(convert_to_tensor_fn)
        if not (callable(convert_to_tensor_fn) or convert_to_tensor_fn in _TENSOR_FNS):
            raise ValueError(
                f"`convert_to_tensor_fn` must be one of {list(_TENSOR_FNS)} or "
                f"a callable. Received: convert_to_tensor_fn={convert_to_tensor_fn!r}"
            )
        super().__init__(**_float32_under_mixed_precision(kwargs))
        self.make_distribution_fn = make_distribution_fn
        self.convert_to_tensor_fn = convert_to_tensor_fn
        self.seed = seed
        self.seed_generator = (
            keras.random.SeedGenerator(seed) if convert_to_tensor_fn == "sample" else None
        )

    def make_distribution(self, inputs):
        return self.make_distribution_fn(inputs)

    def call(self, inputs):
        distribution = self.make_distribution(inputs)
        return attach_distribution(self._to_tensor(distribution), distribution)

    def _to_tensor(self, distribution):
        fn = self.convert_to_tensor_fn
        if fn == "sample":
            # A sample is per example: under tf.distribute each replica draws its own.
            return distribution.sample(seed=per_example_seed(self.seed_generator))
        if fn in ("mean", "mode"):
            return getattr(distribution, fn)()
        return fn(distribution)

    def get_config(self):
        config = super().get_config()
        config.update({
            "make_distribution_fn": serialize_fn(self.make_distribution_fn),
            "convert_to_tensor_fn": (
                self.convert_to_tensor_fn
                if isinstance(self.convert_to_tensor_fn, str)
                else serialize_fn(self.convert_to_tensor_fn)
            ),
            "seed": self.seed,
        })
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None, safe_mode=None):
        config = dict(config)
        for key in ("make_distribution_fn", "convert_to_tensor_fn"):
            if isinstance(config.get(key), dict):
                config[key] = deserialize_fn(config[key], custom_objects, safe_mode)
        return cls(**config)


class _Head(DistributionLambda):
    """A `DistributionLambda` whose distribution is parameterised by the last
    input axis, `params_size(event_shape)` numbers per example."""

    def __init__(self, event_shape=1, convert_to_tensor_fn="mean", seed=None,
                 validate_args=False, **kwargs):
        kwargs.pop("make_distribution_fn", None)
        event_shape = _event_shape(event_shape)
        super().__init__(self._distribution, convert_to_tensor_fn, seed, **kwargs)
        self.event_shape = event_shape
        self.validate_args = bool(validate_args)

    @classmethod
    def params_size(cls, event_shape=1):
        return cls._params_size(int(np.prod(_event_shape(event_shape))))

    def build(self, input_shape):
        expected = self.params_size(self.event_shape)
        got = _checks.check_known_last_dim("inputs", input_shape)
        if got != expected:
            raise ValueError(
                f"{type(self).__name__}(event_shape={self.event_shape}) needs "
                f"{type(self).__name__}.params_size({self.event_shape}) = "
                f"{expected} parameters in the last input axis. Received: "
                f"inputs.shape={tuple(input_shape)}. Put a "
                f"Dense({expected}) before it."
            )

    def _distribution(self, params):
        params = ops.cast(params, self.compute_dtype)
        size = int(np.prod(self.event_shape))
        batch = tf.shape(params)[:-1]
        return tfd.Independent(
            self._base(params, size, batch),
            reinterpreted_batch_ndims=len(self.event_shape),
            validate_args=self.validate_args,
        )

    def _reshape(self, params, batch):
        return tf.reshape(params, tf.concat([batch, self.event_shape], 0))

    def get_config(self):
        config = super().get_config()
        del config["make_distribution_fn"]
        config.update({
            "event_shape": list(self.event_shape),
            "validate_args": self.validate_args,
        })
        return config


def _event_shape(event_shape):
    shape = (event_shape,) if isinstance(event_shape, (int, np.integer)) else tuple(event_shape)
    if not shape or any(isinstance(d, bool) or int(d) != d or d <= 0 for d in shape):
        raise ValueError(
            "`event_shape` must be a positive int or a tuple of positive ints. "
            f"Received: event_shape={event_shape!r}"
        )
    return tuple(int(d) for d in shape)


@keras.saving.register_keras_serializable(package="tfbsl")
class IndependentNormal(_Head):
    """Independent Normal over `event_shape`: `loc` and `softplus(scale)` from
    `2 * prod(event_shape)` inputs, as `tfp.layers.IndependentNormal`.

    Args:
        event_shape: int or tuple, the shape of one draw.
        convert_to_tensor_fn: `"mean"` (default), `"mode"`, `"sample"` or a callable.
        seed: optional int, seeds `"sample"`.
        validate_args: passed to the TFP distribution.

    Example:
    ```python
    model = keras.Sequential([
        keras.Input((3,)),
        keras.layers.Dense(tfbsl.layers.IndependentNormal.params_size(1)),
        tfbsl.layers.IndependentNormal(1),
    ])
    model.compile("adam", loss=tfbsl.losses.NegativeLogLikelihood())
    ```
    """

    @staticmethod
    def _params_size(n):
        return 2 * n

    def _base(self, params, n, batch):
        loc = self._reshape(params[..., :n], batch)
        scale = tf.math.softplus(self._reshape(params[..., n:], batch))
        return tfd.Normal(loc, scale, validate_args=self.validate_args)


@keras.saving.register_keras_serializable(package="tfbsl")
class IndependentBernoulli(_Head):
    """Independent Bernoulli over `event_shape` from `prod(event_shape)` logits.

    The returned tensor is the mean, i.e. the probabilities.

    Args:
        event_shape: int or tuple, the shape of one draw (e.g. `(8, 8)`).
        convert_to_tensor_fn: `"mean"` (default), `"mode"`, `"sample"` or a callable.
        seed: optional int, seeds `"sample"`.
        validate_args: passed to the TFP distribution.

    Example:
    ```python
    decoder_out = tfbsl.layers.IndependentBernoulli((8, 8))(logits_flat)
    ```
    """

    @staticmethod
    def _params_size(n):
        return n

    def _base(self, params, n, batch):
        return tfd.Bernoulli(
            logits=self._reshape(params, batch), dtype=self.compute_dtype,
            validate_args=self.validate_args,
        )


@keras.saving.register_keras_serializable(package="tfbsl")
class OneHotCategorical(_Head):
    """One-hot categorical over `event_size` classes from as many logits.

    The returned tensor is the mean, i.e. the class probabilities, so
    `keras.metrics.CategoricalAccuracy` works on it.

    Args:
        event_size: number of classes.
        convert_to_tensor_fn: `"mean"` (default), `"mode"`, `"sample"` or a callable.
        seed: optional int, seeds `"sample"`.
        validate_args: passed to the TFP distribution.

    Example:
    ```python
    probs = tfbsl.layers.OneHotCategorical(10)(keras.layers.Dense(10)(h))
    ```
    """

    def __init__(self, event_size=2, **kwargs):
        kwargs.pop("event_shape", None)
        super().__init__(event_shape=event_size, **kwargs)

    @staticmethod
    def _params_size(n):
        return n

    def _distribution(self, params):
        return tfd.OneHotCategorical(
            logits=ops.cast(params, self.compute_dtype), dtype=self.compute_dtype,
            validate_args=self.validate_args,
        )

    def get_config(self):
        config = super().get_config()
        config["event_size"] = config.pop("event_shape")[0]
        return config


@keras.saving.register_keras_serializable(package="tfbsl")
class Categorical(_Head):
    """Categorical over `num_classes` integer labels from as many logits.

    Returns the class probabilities (a Categorical has no mean), so
    `keras.metrics.SparseCategoricalAccuracy` works on it; the loss gets the
    distribution, whose `log_prob` takes integer labels.

    Args:
        num_classes: number of classes.
        convert_to_tensor_fn: `"mean"` (default: the probabilities), `"mode"`,
            `"sample"` or a callable.
        seed: optional int, seeds `"sample"`.
        validate_args: passed to the TFP distribution.

    Example:
    ```python
    probs = tfbsl.layers.Categorical(10)(keras.layers.Dense(10)(h))
    ```
    """

    def __init__(self, num_classes=2, **kwargs):
        kwargs.pop("event_shape", None)
        super().__init__(event_shape=num_classes, **kwargs)

    @staticmethod
    def _params_size(n):
        return n

    def _distribution(self, params):
        return tfd.Categorical(
            logits=ops.cast(params, self.compute_dtype),
            validate_args=self.validate_args,
        )

    def _to_tensor(self, distribution):
        if self.convert_to_tensor_fn == "mean":
            return distribution.probs_parameter()
        return super()._to_tensor(distribution)

    def call(self, inputs):
        distribution = self.make_distribution(inputs)
        tensor = self._to_tensor(distribution)
        # log_prob of a label shaped like (batch, 1), as Keras passes y_true,
        # is squeezed to (batch,) so that it does not broadcast.
        attach_distribution(tensor, distribution)
        tensor.log_prob = lambda y: distribution.log_prob(_squeeze_labels(y))
        return tensor

    def get_config(self):
        config = super().get_config()
        config["num_classes"] = config.pop("event_shape")[0]
        return config


def _squeeze_labels(y):
    y = ops.convert_to_tensor(y)
    if len(y.shape) >= 1 and y.shape[-1] == 1:
        y = ops.squeeze(y, -1)
    return ops.cast(y, "int32")


@keras.saving.register_keras_serializable(package="tfbsl")
class MultivariateNormalTriL(_Head):
    """Multivariate Normal with full covariance from `n + n(n+1)/2` inputs:
    `loc`, then a lower-triangular scale filled by `tfb.FillScaleTriL`
    (softplus diagonal), as `tfp.layers.MultivariateNormalTriL`.

    Args:
        event_size: dimension `n` of the Normal.
        convert_to_tensor_fn: `"mean"` (default), `"mode"`, `"sample"` or a callable.
        seed: optional int, seeds `"sample"`.
        validate_args: passed to the TFP distribution.

    Example:
    ```python
    n = 3
    posterior = keras.Sequential([
        tfbsl.layers.VariableLayer(tfbsl.layers.MultivariateNormalTriL.params_size(n)),
        tfbsl.layers.MultivariateNormalTriL(n),
    ])
    ```
    """

    def __init__(self, event_size=1, **kwargs):
        kwargs.pop("event_shape", None)
        super().__init__(event_shape=event_size, **kwargs)

    @staticmethod
    def _params_size(n):
        return n + n * (n + 1) // 2

    def _distribution(self, params):
        params = ops.cast(params, self.compute_dtype)
        n = self.event_shape[0]
        return tfd.MultivariateNormalTriL(
            loc=params[..., :n],
            scale_tril=tfb.FillScaleTriL(diag_shift=1e-5).forward(params[..., n:]),
            validate_args=self.validate_args,
        )

    def get_config(self):
        config = super().get_config()
        config["event_size"] = config.pop("event_shape")[0]
        return config


@keras.saving.register_keras_serializable(package="tfbsl")
class VariableLayer(keras.Layer):
    """Returns a trainable variable, ignoring its inputs' values (as
    `tfp.layers.VariableLayer`): the parameter source of a prior or posterior.

    Args:
        shape: int or tuple, shape of the variable.
        initializer: Keras initializer (default `"zeros"`).
        activation: optional activation applied to the variable.
        regularizer, constraint: Keras regularizer / constraint.

    Example:
    ```python
    posterior = keras.Sequential([
        tfbsl.layers.VariableLayer(2 * n),
        tfbsl.layers.DistributionLambda(
            lambda t: tfd.Independent(tfd.Normal(t[..., :n], tf.nn.softplus(t[..., n:])), 1)),
    ])
    ```
    """

    def __init__(self, shape, initializer="zeros", activation=None,
                 regularizer=None, constraint=None, **kwargs):
        super().__init__(**kwargs)
        self.shape = _event_shape(shape)
        self.initializer = keras.initializers.get(initializer)
        self.activation = keras.activations.get(activation)
        self.regularizer = keras.regularizers.get(regularizer)
        self.constraint = keras.constraints.get(constraint)

    def build(self, input_shape=None):
        self.var = self.add_weight(
            shape=self.shape, initializer=self.initializer,
            regularizer=self.regularizer, constraint=self.constraint, name="var",
        )

    def call(self, inputs=None):
        return self.activation(ops.cast(self.var, self.compute_dtype))

    def compute_output_shape(self, input_shape=None):
        return self.shape

    def get_config(self):
        config = super().get_config()
        config.update({
            "shape": list(self.shape),
            "initializer": keras.initializers.serialize(self.initializer),
            "activation": keras.activations.serialize(self.activation),
            "regularizer": keras.regularizers.serialize(self.regularizer),
            "constraint": keras.constraints.serialize(self.constraint),
        })
        return config
