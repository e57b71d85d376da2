"""The `tfp.layers` heads for counts, logistic noise and mixtures, in Keras 3.

`IndependentPoisson`, `IndependentLogistic`, `MixtureSameFamily`,
`MixtureNormal`, `MixtureLogistic` and `CategoricalMixtureOfOneHotCategorical`
take TFP's constructor arguments, in TFP's order and with TFP's defaults
(`event_shape=()`, a scalar event; a sample as the returned tensor), read
their parameters in TFP's layout and have TFP's `params_size`. As every tfbsl
distribution layer, each returns a tensor carrying its distribution (see
`distribution_layers`: on JAX a plain array, whose distribution
`tfbsl.get_distribution(output)` gives); `seed` (after TFP's arguments) seeds
the sample.

Differences from `tfp.layers`: scales are floored at 1e-5 (as
`IndependentNormal`'s), so log-probabilities stay finite for very negative
scale inputs; `MixtureSameFamily` passes `validate_args` on to
`tfd.MixtureSameFamily` (TFP drops it); `CategoricalMixtureOfOneHotCategorical`
draws samples of `sample_dtype` (TFP documents it and passes it nowhere).
"""

import keras
import numpy as np
from keras import ops

from tfbsl import _checks
from tfbsl._backend import tfp
from tfbsl._outputs import get_distribution
from tfbsl._serialization import deserialize_fn, serialize_fn
from tfbsl.heads.distribution_layers import (
    _SCALE_FLOOR,
    DistributionLambda,
    IndependentNormal,
    _dtype,
    _Head,
    _refuse,
    _static_shape,
)

__all__ = [
    "CategoricalMixtureOfOneHotCategorical",
    "IndependentLogistic",
    "IndependentPoisson",
    "MixtureLogistic",
    "MixtureNormal",
    "MixtureSameFamily",
]

tfd = tfp.distributions


def _count(name, value):
    """A positive int from an int, a numpy integer or a scalar integer
    array / eager tensor (as TFP's `params_size` takes)."""
    if hasattr(value, "shape") and hasattr(value, "dtype") and not _checks.is_int(value):
        try:
            array = np.asarray(value)
        except (ValueError, NotImplementedError):  # symbolic: no value to read
            array = None
        if array is not None and array.ndim == 0 and array.dtype.kind in "iu":
            value = array.item()
    return _checks.check_positive_int(name, value)


@keras.saving.register_keras_serializable(package="tfbsl")
class IndependentPoisson(_Head):
    """Independent Poisson counts over `event_shape` from `prod(event_shape)`
    log-rates, as `tfp.layers.IndependentPoisson`.

    Args:
        event_shape: int, tuple or `()` (default: one count per example), the
            shape of one draw.
        convert_to_tensor_fn: the tensor the layer returns:
            `tfd.Distribution.sample` (default, as TFP), `"mean"`, `"mode"`,
            `"sample"` or a callable `distribution -> tensor`.
        validate_args: passed to the TFP distribution.
        seed: optional int, seeds the sample.

    Input shape:
        `(..., params_size(event_shape))`, the log-rates.

    Output shape:
        `(...) + event_shape` (with the default, a draw).

    Raises:
        TypeError / ValueError: a bad `event_shape` (naming it); a
            `ValueError` when the input's last axis is not `params_size`.

    References:
        Generalized Linear Models (McCullagh & Nelder, 1989), Poisson
        regression: https://doi.org/10.1007/978-1-4899-3242-6

    Example:
    ```pycon
    >>> model = keras.Sequential([
    ...     keras.Input((4,)),
    ...     keras.layers.Dense(tfbsl.layers.IndependentPoisson.params_size(1)),
    ...     tfbsl.layers.IndependentPoisson(1),
    ... ])
    >>> model.compile("adam", loss=tfbsl.losses.NegativeLogLikelihood())
    >>> tuple(model(np.ones((2, 4), "float32")).shape)
    (2, 1)

    ```
    """

    @staticmethod
    def _params_size(n):
        return n

    def _base(self, params, n, batch):
        return tfd.Poisson(log_rate=self._reshape(params, batch),
                           validate_args=self.validate_args)


@keras.saving.register_keras_serializable(package="tfbsl")
class IndependentLogistic(_Head):
    """Independent logistic over `event_shape`: `loc`, then
    `softplus(scale)` (floored at 1e-5), from `2 * prod(event_shape)` inputs,
    as `tfp.layers.IndependentLogistic`.

    Args:
        event_shape: int, tuple or `()` (default: a scalar), the shape of one draw.
        convert_to_tensor_fn: `tfd.Distribution.sample` (default, as TFP),
            `"mean"`, `"mode"`, `"sample"` or a callable.
        validate_args: passed to the TFP distribution.
        seed: optional int, seeds the sample.

    Input shape:
        `(..., params_size(event_shape))`.

    Output shape:
        `(...) + event_shape`.

    Raises:
        TypeError / ValueError: a bad `event_shape` (naming it); a
            `ValueError` when the input's last axis is not `params_size`.

    Example:
    ```pycon
    >>> encoder = keras.Sequential([
    ...     keras.Input((28, 28, 1)), keras.layers.Flatten(),
    ...     keras.layers.Dense(tfbsl.layers.IndependentLogistic.params_size(2)),
    ...     tfbsl.layers.IndependentLogistic(2),
    ... ])
    >>> tuple(encoder(np.zeros((3, 28, 28, 1), "float32")).shape)
    (3, 2)

    ```
    """

    @staticmethod
    def _params_size(n):
        return 2 * n

    def _base(self, params, n, batch):
        loc = self._reshape(params[..., :n], batch)
        scale = ops.softplus(self._reshape(params[..., n:], batch))
        return tfd.Logistic(loc, ops.maximum(scale, _SCALE_FLOOR),
                            validate_args=self.validate_args)


class _Mixture(DistributionLambda):
    """A mixture of `num_components` components of one family, from
    `num_components` mixture logits, then `num_components` rows of component
    parameters (TFP's layout). Subclasses give `_components(params)` for
    params of shape `batch + (num_components, component params)`."""

    def __init__(self, num_components, convert_to_tensor_fn, validate_args, seed, **kwargs):
        _refuse(self, kwargs, "make_distribution_fn", "it makes its distribution itself")
        num_components = _count("num_components", num_components)
        validate_args = _checks.check_bool("validate_args", validate_args)
        super().__init__(self._distribution, convert_to_tensor_fn, seed, **kwargs)
        self.num_components = num_components
        self.validate_args = validate_args

    def _component_params_size(self):
        """Parameters of one component, or None where the family does not say."""
        return None

    def build(self, input_shape):
        self._check_params_shape(input_shape)

    def call(self, inputs):
        # Also here: Keras builds once, and a later call may bring another width.
        self._check_params_shape(inputs.shape)
        return super().call(inputs)

    def _check_params_shape(self, shape):
        shape = _static_shape(shape)
        if shape is None or (shape and shape[-1] is None):
            return
        width = shape[-1] if shape else 0
        k, size = self.num_components, self._component_params_size()
        if size is None:
            if width > k and width % k == 0:
                return
            needs, hint = f"{k} mixture logits, then {k} rows of component parameters", ""
        else:
            if width == k * (1 + size):
                return
            needs = f"{k * (1 + size)} parameters ({k} mixture logits, then {k} x {size})"
            hint = f" Put a Dense({k * (1 + size)}) before it."
        raise ValueError(
            f"{type(self).__name__}(num_components={k}) (layer '{self.name}') needs "
            f"{needs} in the last input axis. Received: inputs.shape={shape}.{hint}"
        )

    def _distribution(self, params):
        params = ops.cast(params, self.compute_dtype)
        k = self.num_components
        rows = ops.reshape(params[..., k:], (*ops.shape(params)[:-1], k, -1))
        return tfd.MixtureSameFamily(
            tfd.Categorical(logits=params[..., :k]), self._components(rows),
            validate_args=self.validate_args,
        )

    def get_config(self):
        config = super().get_config()
        del config["make_distribution_fn"]
        config.update({"num_components": self.num_components,
                       "validate_args": self.validate_args})
        return config


@keras.saving.register_keras_serializable(package="tfbsl")
class MixtureSameFamily(_Mixture):
    """A mixture of `num_components` distributions made by `component_layer`,
    as `tfp.layers.MixtureSameFamily`: the inputs are `num_components`
    mixture logits, then `num_components` rows of `component_params_size`
    component parameters.

    Args:
        num_components: positive int, the number of components.
        component_layer: a tfbsl distribution layer (e.g.
            `tfbsl.layers.IndependentNormal(event_shape)`) or a callable
            mapping params of shape `batch + (num_components,
            component_params_size)` to a distribution of batch shape
            `batch + (num_components,)`. A layer is saved with the model; a
            callable must be registered with
            `keras.saving.register_keras_serializable` to save.
        convert_to_tensor_fn: `tfd.Distribution.sample` (default, as TFP),
            `"mean"`, `"mode"`, `"sample"` or a callable.
        validate_args: passed to `tfd.MixtureSameFamily`.
        seed: optional int, seeds the sample.

    Input shape:
        `(..., params_size(num_components, component_params_size))`.

    Output shape:
        `(...) + event_shape` of the components.

    Raises:
        ValueError: `num_components` not a positive integer; an input whose
            last axis does not hold `num_components` logits and components
            (or, for a tfbsl head, not `params_size`).
        TypeError: `component_layer` not callable.

    References:
        Mixture Density Networks (Bishop, 1994):
        https://publications.aston.ac.uk/id/eprint/373/

    Example:
    ```pycon
    >>> k, normal = 5, tfbsl.layers.IndependentNormal(1)
    >>> size = tfbsl.layers.MixtureSameFamily.params_size(k, normal.params_size(1))
    >>> size
    15
    >>> model = keras.Sequential([
    ...     keras.Input((1,)), keras.layers.Dense(12, activation="relu"),
    ...     keras.layers.Dense(size), tfbsl.layers.MixtureSameFamily(k, normal),
    ... ])
    >>> model.compile("adam", loss=tfbsl.losses.NegativeLogLikelihood())
    >>> tuple(model(np.ones((4, 1), "float32")).shape)
    (4, 1)

    ```
    """

    _NEW_ARGS = ("num_components", "component_layer")

    def __init__(self, num_components, component_layer,
                 convert_to_tensor_fn=tfd.Distribution.sample, validate_args=False,
                 seed=None, **kwargs):
        _checks.check_callable(
            "component_layer", component_layer, "(params) -> tfd.Distribution")
        super().__init__(num_components, convert_to_tensor_fn, validate_args, seed, **kwargs)
        self.component_layer = component_layer

    @staticmethod
    def params_size(num_components, component_params_size, name=None):
        """`num_components * (1 + component_params_size)`: the mixture logits
        and each component's parameters. `name` is TFP's op name, unused."""
        num_components = _count("num_components", num_components)
        return num_components * (1 + _count("component_params_size", component_params_size))

    def _component_params_size(self):
        layer = self.component_layer
        return layer.params_size(layer.event_shape) if isinstance(layer, _Head) else None

    def build(self, input_shape):
        super().build(input_shape)
        if isinstance(self.component_layer, keras.Layer) and input_shape[-1] is not None:
            k = self.num_components
            self.component_layer.build(
                (*input_shape[:-1], k, input_shape[-1] // k - 1))

    def _components(self, params):
        layer = self.component_layer
        if isinstance(layer, DistributionLambda):
            return layer.make_distribution(params)
        return get_distribution(layer(params), "component_layer(params)")

    def get_config(self):
        config = super().get_config()
        config["component_layer"] = serialize_fn(self.component_layer)
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None, safe_mode=None):
        config = dict(config)
        config["component_layer"] = deserialize_fn(
            config["component_layer"], custom_objects, safe_mode)
        return super().from_config(config, custom_objects, safe_mode)


class _IndependentMixture(_Mixture):
    """A mixture of `_COMPONENT(event_shape)` heads (`MixtureNormal`, `MixtureLogistic`)."""

    _COMPONENT = None

    _NEW_ARGS = ("num_components", "event_shape")

    def __init__(self, num_components, event_shape=(),
                 convert_to_tensor_fn=tfd.Distribution.sample, validate_args=False,
                 seed=None, **kwargs):
        component = self._COMPONENT(event_shape, "mean", validate_args,
                                    dtype=kwargs.get("dtype"))
        super().__init__(num_components, convert_to_tensor_fn, validate_args, seed, **kwargs)
        self.component = component
        self.event_shape = component.event_shape

    @classmethod
    def params_size(cls, num_components, event_shape=(), name=None):
        """`num_components * (1 + 2 * prod(event_shape))`. `name` is TFP's op
        name, unused."""
        return MixtureSameFamily.params_size(
            num_components, cls._COMPONENT.params_size(event_shape))

    def _component_params_size(self):
        return self.component.params_size(self.event_shape)

    def _components(self, params):
        return self.component.make_distribution(params)

    def get_config(self):
        config = super().get_config()
        config["event_shape"] = list(self.event_shape)
        return config


@keras.saving.register_keras_serializable(package="tfbsl")
class MixtureNormal(_IndependentMixture):
    """A mixture of `num_components` independent Normals over `event_shape`,
    as `tfp.layers.MixtureNormal`: the inputs are `num_components` mixture
    logits, then for each component `loc` and `softplus(scale)` (floored at
    1e-5), `prod(event_shape)` each.

    Args:
        num_components: positive int, the number of components.
        event_shape: int, tuple or `()` (default, TFP's: a scalar), the shape
            of one draw. A `()` event takes `(batch,)` or `(batch, 1)` targets.
        convert_to_tensor_fn: `tfd.Distribution.sample` (default, as TFP),
            `"mean"`, `"mode"`, `"sample"` or a callable.
        validate_args: passed to the TFP distributions.
        seed: optional int, seeds the sample.

    Input shape:
        `(..., params_size(num_components, event_shape))`.

    Output shape:
        `(...) + event_shape`.

    Raises:
        ValueError / TypeError: a bad `num_components` or `event_shape`
            (naming it); a `ValueError` when the input's last axis is not
            `params_size(num_components, event_shape)`.

    References:
        Mixture Density Networks (Bishop, 1994):
        https://publications.aston.ac.uk/id/eprint/373/

    Example:
    ```pycon
    >>> size = tfbsl.layers.MixtureNormal.params_size(5, [1])
    >>> model = keras.Sequential([
    ...     keras.Input((1,)), keras.layers.Dense(12, activation="relu"),
    ...     keras.layers.Dense(size), tfbsl.layers.MixtureNormal(5, [1]),
    ... ])
    >>> model.compile("adam", loss=tfbsl.losses.NegativeLogLikelihood())
    >>> size, tuple(model(np.ones((4, 1), "float32")).shape)
    (15, (4, 1))

    ```
    """

    _COMPONENT = IndependentNormal


@keras.saving.register_keras_serializable(package="tfbsl")
class MixtureLogistic(_IndependentMixture):
    """A mixture of `num_components` independent logistics over
    `event_shape`, as `tfp.layers.MixtureLogistic`: the inputs are
    `num_components` mixture logits, then for each component `loc` and
    `softplus(scale)` (floored at 1e-5), `prod(event_shape)` each.

    Args:
        num_components: positive int, the number of components.
        event_shape: int, tuple or `()` (default, TFP's: a scalar), the shape
            of one draw.
        convert_to_tensor_fn: `tfd.Distribution.sample` (default, as TFP),
            `"mean"`, `"mode"`, `"sample"` or a callable.
        validate_args: passed to the TFP distributions.
        seed: optional int, seeds the sample.

    Input shape:
        `(..., params_size(num_components, event_shape))`.

    Output shape:
        `(...) + event_shape`.

    Raises:
        ValueError / TypeError: a bad `num_components` or `event_shape`
            (naming it); a `ValueError` when the input's last axis is not
            `params_size(num_components, event_shape)`.

    References:
        PixelCNN++, a mixture of logistics as the output distribution
        (Salimans et al., 2017): https://arxiv.org/abs/1701.05517

    Example:
    ```pycon
    >>> size = tfbsl.layers.MixtureLogistic.params_size(5, [1])
    >>> h = keras.Input((8,))
    >>> head = tfbsl.layers.MixtureLogistic(5, [1])(keras.layers.Dense(size)(h))
    >>> size, tuple(head.shape)
    (15, (None, 1))

    ```
    """

    _COMPONENT = IndependentLogistic


@keras.saving.register_keras_serializable(package="tfbsl")
class CategoricalMixtureOfOneHotCategorical(_Mixture):
    """A mixture of `num_components` one-hot categoricals over `event_size`
    classes from `num_components * (1 + event_size)` inputs (mixture logits,
    then each component's logits), as
    `tfp.layers.CategoricalMixtureOfOneHotCategorical`. Its distribution also
    has TFP's `log_mean()`: the log of `mean()`, the class probabilities.

    Args:
        event_size: positive int, the number of classes.
        num_components: positive int, the number of components.
        convert_to_tensor_fn: `tfd.Distribution.sample` (default, as TFP),
            `"mean"` (the class probabilities), `"mode"`, `"sample"` or a
            callable such as `lambda d: d.log_mean()`.
        sample_dtype: dtype of the one-hot samples; `None` (default): the
            layer's compute dtype, as TFP (which ignores the argument).
        validate_args: passed to `tfd.MixtureSameFamily`.
        seed: optional int, seeds the sample.

    Input shape:
        `(..., params_size(event_size, num_components))`.

    Output shape:
        `(..., event_size)`.

    Raises:
        ValueError: a bad `event_size` or `num_components`; an input whose
            last axis is not `params_size(event_size, num_components)`.
        TypeError: `sample_dtype` not a dtype.

    Example:
    ```pycon
    >>> size = tfbsl.layers.CategoricalMixtureOfOneHotCategorical.params_size(3, 2)
    >>> size  # 2 components: 2 mixture logits, then 2 x 3 class logits
    8
    >>> head = tfbsl.layers.CategoricalMixtureOfOneHotCategorical(
    ...     3, 2, convert_to_tensor_fn="mean")
    >>> probs = head(np.zeros((4, size), "float32"))
    >>> np.round(keras.ops.convert_to_numpy(probs[0]), 3)
    array([0.333, 0.333, 0.333], dtype=float32)

    ```
    """

    _NEW_ARGS = ("event_size", "num_components", "dtype")

    def __init__(self, event_size, num_components,
                 convert_to_tensor_fn=tfd.Distribution.sample, sample_dtype=None,
                 validate_args=False, seed=None, **kwargs):
        event_size = _count("event_size", event_size)
        if sample_dtype is not None:
            sample_dtype = _dtype("sample_dtype", sample_dtype)
        super().__init__(num_components, convert_to_tensor_fn, validate_args, seed, **kwargs)
        self.event_size = event_size
        self.sample_dtype = sample_dtype

    @staticmethod
    def params_size(event_size, num_components, name=None):
        """`num_components * (1 + event_size)`. `name` is TFP's op name, unused."""
        return MixtureSameFamily.params_size(
            num_components, _count("event_size", event_size))

    def _component_params_size(self):
        return self.event_size

    def _components(self, params):
        # validate_args=False on the components, as TFP: `log_mean` and
        # `mean` evaluate them on one-hot vectors only.
        return tfd.OneHotCategorical(logits=params,
                                     dtype=self.sample_dtype or self.compute_dtype)

    def _distribution(self, params):
        mixture = super()._distribution(params)
        mixture.log_mean = lambda: _log_mean(mixture)
        return mixture

    def get_config(self):
        config = super().get_config()
        config.update({"event_size": self.event_size, "sample_dtype": self.sample_dtype})
        return config


def _log_mean(mixture):
    """log P(class) of a mixture of one-hot categoricals, for each class
    (TFP's `log_mean`), with a log-sum-exp over the components."""
    weights = ops.log_softmax(mixture.mixture_distribution.logits_parameter())
    classes = ops.log_softmax(mixture.components_distribution.logits_parameter())
    return ops.logsumexp(weights[..., None] + classes, axis=-2)
