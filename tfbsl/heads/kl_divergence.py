"""`KLDivergenceRegularizer` and `KLDivergenceAddLoss`: TFP's KL penalties in Keras 3.

Both compute TFP's value: `weight * KL[a, b]` summed over all axes, where `a`
is the distribution of a tfbsl distribution layer's output and the KL is
exact (`use_exact_kl=True`) or Monte Carlo: the mean over
`test_points_reduce_axis` of `log a(z) - log b(z)` at `z =
test_points_fn(output)`, by default the output tensor itself (the layer's
sample, as TFP's `tf.convert_to_tensor(distribution)`).

Both run on TensorFlow and JAX. On JAX, TFP's substrate reads a
distribution's parameters once, when it is made: a `tfd.Distribution` prior
holding variables would never see them change, so it is refused there (give
a Keras layer returning the prior instead: its weights are read at every
call); a saved prior's variables load as constants.

The loss Keras ends up with is TFP's under `tf_keras`, measured:
- `KLDivergenceAddLoss` adds the value itself, as TFP.
- As an `activity_regularizer`, Keras 3 adds the regularizer's value divided
  by the output's first dimension, once per output tensor. `tf_keras` divides
  the same way, but a `tfp.layers.DistributionLambda` hands it two outputs
  (the distribution and its tensor), so TFP's models carry the penalty twice:
  `2 * weight * sum(KL) / batch_size`. The regularizer returns twice TFP's
  value so that `model.losses` and the gradients are TFP's.

A prior with `tf.Variable`s (a trainable prior, as TFP's examples) is
trained: Keras 3 tracks only `keras.Variable`s and layers, so the
regularizer is a `keras.Layer` (TFP's is a `tf.Module` for the same reason);
the layer it regularizes tracks it as a sublayer, and it wraps each variable
of `distribution_b` and `weight` in a `keras.Variable` sharing its storage.
The variables are then in `model.trainable_variables` and get gradients in
`fit`. Keras' saver does not visit a layer's `activity_regularizer`, so the
regularizer's config carries its variables' values (and a Keras-layer
prior's weights): a model saves and loads them without `custom_objects`.
"""

import keras
import numpy as np
from keras import ops

from tfbsl import _checks
from tfbsl._backend import impl, is_tensorflow, require_tensorflow, tfp
from tfbsl._outputs import distribution_dtype, get_distribution
from tfbsl._serialization import deserialize_fn, serialize_fn
from tfbsl._tracking import keras_variables

__all__ = ["KLDivergenceAddLoss", "KLDivergenceRegularizer"]

tfd = tfp.distributions


# Times `tf_keras` applies an activity regularizer to a `tfp.layers` distribution layer.
_TF_KERAS_COUNT = 2


@keras.saving.register_keras_serializable(package="tfbsl")
class KLDivergenceRegularizer(keras.regularizers.Regularizer, keras.Layer):
    """Activity regularizer adding `KL[a, b]` to the model loss, `a` the
    distribution of the regularized layer's output, as
    `tfp.layers.KLDivergenceRegularizer`.

    Keras adds `regularizer(output) / batch_size`, which is
    `2 * weight * sum(KL) / batch_size`: what TFP's models under `tf_keras`
    add (see the module docstring). With Monte Carlo (`use_exact_kl=False`)
    the test points are the layer's output, so leave its
    `convert_to_tensor_fn` at the sample or set `test_points_fn`.

    Args:
        distribution_b: the prior `b`: a `tfd.Distribution` (its
            `tf.Variable`s are trained with the model), a Keras layer
            returning one (called on a dummy `0.`, as TFP calls a Keras
            model: e.g. a `VariableLayer` then a `DistributionLambda`), or a
            callable `() -> tfd.Distribution` (deferred construction; its
            variables are not tracked).
        use_exact_kl: `True` for `tfd.kl_divergence(a, b)`, `False`
            (default) for the Monte Carlo estimate.
        test_points_reduce_axis: axes of `log a(z) - log b(z)` to average
            over: `()` (default, none), an int, a tuple, or `None` (all).
        test_points_fn: `output -> z`, the test points (default
            `tf.convert_to_tensor` on TensorFlow, `keras.ops.convert_to_tensor`
            on JAX: the output itself). It receives the output tensor, whose
            distribution `tfbsl.get_distribution(output)` gives (on
            TensorFlow also its `.sample()`, `.mean()` etc.).
        weight: multiplier of the KL: `None` (1), a number >= 0 or a
            variable (e.g. annealed by a callback).

    Raises:
        TypeError: `distribution_b` neither a distribution nor callable,
            `use_exact_kl` not a bool, `test_points_fn` not callable.
        ValueError: a bad `test_points_reduce_axis` or `weight`; at call, an
            output without a distribution.
        RuntimeError: on JAX, a `tfd.Distribution` prior holding variables.

    The config holds `distribution_b`: a `tfd` distribution as its class and
    parameters (numbers, arrays, variables, nested `tfd` distributions), a
    layer or a registered function as Keras serializes them.

    References:
        Kingma, Welling (2014). "Auto-Encoding Variational Bayes".
        https://arxiv.org/abs/1312.6114

    Example:
    ```pycon
    >>> prior = tfd.Independent(tfd.Normal(np.zeros(2, "float32"), 1.0), 1)
    >>> encoder = keras.Sequential([
    ...     keras.Input((8,)),
    ...     keras.layers.Dense(tfbsl.layers.IndependentNormal.params_size(2)),
    ...     tfbsl.layers.IndependentNormal(
    ...         2, convert_to_tensor_fn="sample",
    ...         activity_regularizer=tfbsl.layers.KLDivergenceRegularizer(prior)),
    ... ])
    >>> tuple(encoder(np.ones((4, 8), "float32")).shape), len(encoder.losses)
    ((4, 2), 1)

    ```
    """

    def __init__(self, distribution_b, use_exact_kl=False, test_points_reduce_axis=(),
                 test_points_fn=impl.convert_to_tensor, weight=None):
        if not (isinstance(distribution_b, tfd.Distribution) or callable(distribution_b)):
            raise TypeError(
                "`distribution_b` must be a `tfd.Distribution`, a Keras layer "
                "returning one or a callable () -> tfd.Distribution. "
                f"Received: distribution_b={distribution_b!r}")
        use_exact_kl = _checks.check_bool("use_exact_kl", use_exact_kl)
        test_points_reduce_axis = _check_axis(test_points_reduce_axis)
        _checks.check_callable("test_points_fn", test_points_fn, "(output) -> test points")
        weight = _check_weight(weight)
        keras.Layer.__init__(self)
        self.distribution_b = distribution_b
        self.use_exact_kl = use_exact_kl
        self.test_points_reduce_axis = test_points_reduce_axis
        self.test_points_fn = test_points_fn
        self.weight = weight
        self._prior_variables = keras_variables(distribution_b, weight)
        if (not is_tensorflow() and isinstance(distribution_b, tfd.Distribution)
                and keras_variables(distribution_b)):
            require_tensorflow(
                "A `tfd.Distribution` prior holding variables (`distribution_b`)",
                instead="a Keras layer returning the prior (e.g. a `VariableLayer` then "
                "a `DistributionLambda`), which reads its weights at every call")
        if isinstance(distribution_b, keras.Layer):
            self.prior()  # builds it now, not inside a traced train step
        self.built = True  # its variables exist: nothing to build on a call

    def __call__(self, distribution_a):
        return _TF_KERAS_COUNT * self.kl_divergence(distribution_a)

    def prior(self):
        """The distribution `b`."""
        b = self.distribution_b
        if isinstance(b, tfd.Distribution):
            return b
        if isinstance(b, keras.Layer):
            return _call_layer(b)
        return get_distribution(b(), "distribution_b()")

    def kl_divergence(self, distribution_a):
        """TFP's value: `weight * KL[a, b]` summed over all axes, `a` the
        distribution of `distribution_a` (a tfbsl layer's output)."""
        a, b = get_distribution(distribution_a, "distribution_a"), self.prior()
        if self.use_exact_kl:
            kl = tfd.kl_divergence(a, b)
        else:
            z = self.test_points_fn(distribution_a)
            kl = _mean(a.log_prob(z) - b.log_prob(z), self.test_points_reduce_axis)
        if self.weight is not None:
            kl = ops.cast(self.weight, kl.dtype) * kl
        return ops.sum(kl)

    def get_config(self):
        axis = self.test_points_reduce_axis
        fn = self.test_points_fn
        return {
            "distribution_b": _encode_prior(self.distribution_b),
            "use_exact_kl": self.use_exact_kl,
            "test_points_reduce_axis": list(axis) if isinstance(axis, tuple) else axis,
            "test_points_fn": None if fn is impl.convert_to_tensor else serialize_fn(fn),
            "weight": _encode(self.weight, "weight"),
        }

    @classmethod
    def from_config(cls, config):
        return cls(**_decode_config(config))


@keras.saving.register_keras_serializable(package="tfbsl")
class KLDivergenceAddLoss(keras.Layer):
    """Returns its input unchanged and adds `weight * KL[a, b]` summed over
    the batch to the model loss, `a` the distribution the input carries, as
    `tfp.layers.KLDivergenceAddLoss` (not divided by the batch size, as TFP).

    Args:
        distribution_b: the prior `b`, as in `KLDivergenceRegularizer`.
        use_exact_kl: as in `KLDivergenceRegularizer` (default False, Monte
            Carlo).
        test_points_reduce_axis: as in `KLDivergenceRegularizer`, default
            `None` (TFP's here): the Monte Carlo estimate is averaged over
            every axis, the batch too.
        test_points_fn: as in `KLDivergenceRegularizer`.
        weight: as in `KLDivergenceRegularizer`.
        **kwargs: Keras layer arguments (`name`, ...).

    Input shape:
        The output of a tfbsl distribution layer (a tensor carrying its
        distribution).

    Output shape:
        The same tensor, unchanged.

    Raises:
        TypeError: as `KLDivergenceRegularizer`.
        ValueError: as `KLDivergenceRegularizer`; at call, an input without
            a distribution.
        RuntimeError: as `KLDivergenceRegularizer`.

    References:
        Kingma, Welling (2014). "Auto-Encoding Variational Bayes".
        https://arxiv.org/abs/1312.6114

    Example:
    ```pycon
    >>> n = 1000  # training examples
    >>> prior = tfd.MultivariateNormalDiag(loc=np.zeros(2, "float32"))
    >>> encoder = keras.Sequential([
    ...     keras.Input((8,)),
    ...     keras.layers.Dense(tfbsl.layers.MultivariateNormalTriL.params_size(2)),
    ...     tfbsl.layers.MultivariateNormalTriL(2, convert_to_tensor_fn="sample"),
    ...     tfbsl.layers.KLDivergenceAddLoss(prior, weight=1.0 / n),
    ... ])
    >>> tuple(encoder(np.ones((4, 8), "float32")).shape), len(encoder.losses)
    ((4, 2), 1)

    ```
    """

    def __init__(self, distribution_b, use_exact_kl=False, test_points_reduce_axis=None,
                 test_points_fn=impl.convert_to_tensor, weight=None, **kwargs):
        regularizer = KLDivergenceRegularizer(
            distribution_b, use_exact_kl, test_points_reduce_axis, test_points_fn, weight)
        super().__init__(**distribution_dtype(kwargs))
        self.regularizer = regularizer

    def call(self, distribution_a):
        self.add_loss(self.regularizer.kl_divergence(distribution_a))
        return distribution_a

    def compute_output_spec(self, distribution_a):
        return keras.KerasTensor(distribution_a.shape, distribution_a.dtype)

    def get_config(self):
        return {**super().get_config(), **self.regularizer.get_config()}

    @classmethod
    def from_config(cls, config):
        return cls(**_decode_config(config))


def _check_axis(value):
    if value is None or _checks.is_int(value):
        return value if value is None else int(value)
    try:
        axes = tuple(value)
    except TypeError:
        axes = None
    if axes is None or not all(_checks.is_int(a) for a in axes):
        raise ValueError(
            "`test_points_reduce_axis` must be None (every axis), an int or a "
            f"tuple of ints (`()`: none). Received: test_points_reduce_axis={value!r}")
    return tuple(int(a) for a in axes)


def _mean(values, axis):
    """The mean over `axis` (None: all; `()`: none, as `tf.reduce_mean`)."""
    return values if axis == () else ops.mean(values, axis=axis)


def _check_weight(value):
    if value is None or isinstance(value, impl.VARIABLE_TYPES):
        return value
    return _checks.check_nonnegative_finite("weight", value)


def _call_layer(layer):
    """The distribution a Keras-layer prior returns on a dummy input (as TFP)."""
    return get_distribution(layer(ops.convert_to_tensor(0.0, "float32")), "distribution_b(0.)")


def _encode_prior(b):
    if isinstance(b, tfd.Distribution):
        return _encode(b, "distribution_b")
    if isinstance(b, keras.Layer):
        # Keras' saver skips an `activity_regularizer`: the weights travel here.
        return {"layer": serialize_fn(b),
                "weights": [np.asarray(w).tolist() for w in b.get_weights()]}
    return serialize_fn(b)


def _decode_prior(config):
    if isinstance(config, dict) and "tfd" in config:
        return _decode(config)
    if isinstance(config, dict) and "layer" in config:
        layer = deserialize_fn(config["layer"])
        _call_layer(layer)
        layer.set_weights([np.asarray(w, v.dtype)
                           for v, w in zip(layer.weights, config["weights"], strict=True)])
        return layer
    return deserialize_fn(config)


def _encode(value, where):
    """`value` (a `tfd` distribution, variable, array or number) as JSON."""
    if isinstance(value, tfd.Distribution):
        cls = type(value)
        if getattr(tfd, cls.__name__, None) is not cls:
            raise ValueError(
                f"`{where}` is a {cls.__name__}, not a `tfd` class, and cannot "
                "be saved: give `distribution_b` as a Keras layer returning it.")
        return {"tfd": cls.__name__, "parameters": {
            name: _encode(v, f"{where}.{name}") for name, v in value.parameters.items()}}
    if isinstance(value, impl.VARIABLE_TYPES):
        array = np.asarray(value)
        return {"variable": array.tolist(), "dtype": array.dtype.name,
                "trainable": value.trainable, "name": value.name.split(":")[0]}
    if isinstance(value, impl.TENSOR_TYPES):
        array = np.asarray(value)
        return {"tensor": array.tolist(), "dtype": array.dtype.name}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise ValueError(
        f"`{where}` (a {type(value).__name__}) cannot be saved in the config: "
        "give `distribution_b` as a Keras layer returning the distribution.")


def _decode(value):
    if not isinstance(value, dict):
        return value
    if "tfd" in value:
        cls = getattr(tfd, value["tfd"], None)
        if not (isinstance(cls, type) and issubclass(cls, tfd.Distribution)):
            raise ValueError(f"Unknown `tfd` distribution in the config: {value['tfd']!r}")
        return cls(**{k: _decode(v) for k, v in value["parameters"].items()})
    if "variable" in value:
        array = np.array(value["variable"], value["dtype"])
        return impl.prior_variable(array, trainable=value["trainable"], name=value["name"])
    return ops.convert_to_tensor(np.array(value["tensor"], value["dtype"]))


def _decode_config(config):
    """Constructor arguments from `KLDivergenceRegularizer.get_config` entries."""
    config = dict(config)
    config["distribution_b"] = _decode_prior(config["distribution_b"])
    if config.get("test_points_fn") is None:
        config.pop("test_points_fn", None)
    else:
        config["test_points_fn"] = deserialize_fn(config["test_points_fn"])
    if isinstance(config["test_points_reduce_axis"], list):
        config["test_points_reduce_axis"] = tuple(config["test_points_reduce_axis"])
    config["weight"] = _decode(config["weight"])
    return config
