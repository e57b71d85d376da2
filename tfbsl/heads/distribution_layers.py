"""Distribution-valued Keras 3 layers: `DistributionLambda` and the heads built on it.

Keras 3 requires every layer output to be a tensor, so a distribution layer
returns a tensor (`convert_to_tensor_fn` of the distribution: a sample by
default, as in `tfp.layers`) that carries the distribution:
`tfbsl.get_distribution(t)` on every backend. On TensorFlow the tensor also
has `t.distribution`, and `t.mean()`, `t.stddev()`, `t.variance()`,
`t.log_prob(y)`, `t.sample()`, `t.entropy()`, ... forwarded to it, as in
`tfp.layers`; on JAX the output is a plain array, and
`tfbsl.get_distribution(t)` gives the distribution (of that very array: a
copy of it carries none). The loss receives that tensor, so
`tfbsl.losses.NegativeLogLikelihood()` (and, on TensorFlow,
`loss=lambda y, d: -d.log_prob(y)`) work under `fit(jit_compile=True)`,
while metrics such as `RootMeanSquaredError` see the plain tensor.

The forwarded `log_prob`, `prob`, `cdf` and `log_cdf` take values of one
shape (`align_value`, the rule `NegativeLogLikelihood` applies to its target
too): `batch_shape + event_shape`, where a target without the trailing axis of
size 1 of an `IndependentNormal(1)` gets it back and `(batch, 1)` labels of a
`Categorical` lose theirs. Any other shape raises a `ValueError` naming both
shapes instead of broadcasting; `tfbsl.get_distribution(t)` is TFP's, sample
axes and all.

The layers under `tfp.layers` names hand on TFP's tensor, a sample
(`convert_to_tensor_fn=tfd.Distribution.sample`), so a ported program computes
what it did; pass `convert_to_tensor_fn="mean"` for a deterministic output
(Keras metrics then see the mean). tfbsl's own `Categorical` hands on the
class probabilities. Difference from `tfp.layers`: heads compute in float32
under a mixed-precision policy (a float16 cast of the output would drop the
distribution).
"""

import keras
import numpy as np
from keras import ops

from tfbsl import _checks
from tfbsl._backend import impl, is_tensorflow, tfp
from tfbsl._outputs import (
    attach_distribution,
    distribution_dtype,
    shape_stand_in,
    traced_output_spec,
)
from tfbsl._random import per_example_seed
from tfbsl._serialization import FromConfig, deserialize_fn, serialize_fn
from tfbsl._tracking import closure_tf_variables

__all__ = [
    "Attribute",
    "Categorical",
    "DistributionLambda",
    "IndependentBernoulli",
    "IndependentNormal",
    "MultivariateNormalTriL",
    "OneHotCategorical",
    "VariableLayer",
]

tfd = tfp.distributions
tfb = tfp.bijectors

_TENSOR_FNS = ("mean", "mode", "sample", "stddev", "variance")

# Least scale of `IndependentNormal`, as `MultivariateNormalTriL`'s diag_shift:
# softplus underflows to 0 below about -100 (log_prob -inf or NaN); floored,
# log_prob stays finite while |y - loc| < 1e14. Above the floor, unchanged.
_SCALE_FLOOR = 1e-5


def _tensor_fn_name(fn):
    """Map TFP-style `tfd.Distribution.mean` / `.sample` callables to names
    and a property (`tfd.Bernoulli.logits`) to an `Attribute`, as TFP reads them."""
    if isinstance(fn, property):
        return Attribute(fn.fget.__name__)
    for name in _TENSOR_FNS:
        if fn is getattr(tfd.Distribution, name) or fn == name:
            return name
    return fn


@keras.saving.register_keras_serializable(package="tfbsl")
class Attribute(FromConfig):
    """`convert_to_tensor_fn` reading a property of the distribution (what
    `tfd.Bernoulli.logits` given as the function becomes): `d.<name>`.

    Args:
        name: the name of the distribution's property to read.

    Example:
    ```pycon
    >>> head = tfbsl.layers.IndependentBernoulli(2, convert_to_tensor_fn=tfd.Bernoulli.logits)
    >>> type(head.convert_to_tensor_fn).__name__, head.convert_to_tensor_fn.name
    ('Attribute', 'logits')
    >>> keras.ops.convert_to_numpy(head(np.array([[1.0, -1.0]], "float32")))
    array([[ 1., -1.]], dtype=float32)

    ```
    """

    def __init__(self, name):
        self.name = name

    def __call__(self, distribution):
        # An `Independent` head reads its component's property, as TFP's
        # `IndependentBernoulli` copies `logits` and `probs` onto itself.
        while not hasattr(distribution, self.name) and isinstance(distribution, tfd.Independent):
            distribution = distribution.distribution
        return getattr(distribution, self.name)

    def get_config(self):
        return {"name": self.name}


@keras.saving.register_keras_serializable(package="tfbsl")
class DistributionLambda(keras.Layer):
    """Turns its inputs into a `tfd.Distribution` with a user function.

    Args:
        make_distribution_fn: callable mapping the inputs to a
            `tfd.Distribution`. Register it with
            `keras.saving.register_keras_serializable` to save the layer; a
            lambda reloads only with `safe_mode=False`.
        convert_to_tensor_fn: the tensor the layer returns: `"sample"`
            (default, as TFP's `tfd.Distribution.sample`), `"mean"`, `"mode"`,
            `"stddev"`, `"variance"`, `tfd.Distribution.mean` etc., a property
            such as `tfd.Bernoulli.logits`, or a registered callable
            `distribution -> tensor`.
        seed: optional int, seeds `"sample"`.

    On JAX the layer returns a plain array; `tfbsl.get_distribution(output)`
    gives its distribution. A `tf.Variable` the function closes over (TFP's
    "side variable") is trained on TensorFlow only: TFP's JAX substrate has
    no variables (read a Keras layer's weights in the function instead).

    Input shape:
        What `make_distribution_fn` takes.

    Output shape:
        The tensor `convert_to_tensor_fn` makes of the distribution (a draw,
        `batch_shape + event_shape`, by default), carrying the distribution.

    Example:
    ```pycon
    >>> head = tfbsl.layers.DistributionLambda(
    ...     lambda t: tfd.Normal(t[..., :1], 1e-3 + keras.ops.softplus(t[..., 1:])))
    >>> model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2), head])
    >>> model.compile("adam", loss=tfbsl.losses.NegativeLogLikelihood())
    >>> output = model(np.ones((4, 3), "float32"))
    >>> tuple(output.shape), type(tfbsl.get_distribution(output)).__name__
    ((4, 1), 'Normal')

    ```

    """

    def __init__(self, make_distribution_fn, convert_to_tensor_fn=tfd.Distribution.sample,
                 seed=None, **kwargs):
        _checks.check_callable(
            "make_distribution_fn", make_distribution_fn, "(inputs) -> tfd.Distribution")
        seed = _checks.check_seed("seed", seed)
        convert_to_tensor_fn = _tensor_fn_name(convert_to_tensor_fn)
        if not (callable(convert_to_tensor_fn) or convert_to_tensor_fn in _TENSOR_FNS):
            raise ValueError(
                f"`convert_to_tensor_fn` must be one of {list(_TENSOR_FNS)}, "
                "a property of a distribution or a callable. Received: "
                f"convert_to_tensor_fn={convert_to_tensor_fn!r}"
            )
        super().__init__(**distribution_dtype(kwargs))
        self.make_distribution_fn = make_distribution_fn
        # As tf_keras: a `tf.Variable` the function closes over (TFP's "side
        # variable", e.g. a learned scale) trains with the model.
        self._side_variables = closure_tf_variables(make_distribution_fn)
        self.convert_to_tensor_fn = convert_to_tensor_fn
        self.seed = seed
        self.seed_generator = (
            keras.random.SeedGenerator(seed) if convert_to_tensor_fn == "sample" else None
        )

    def make_distribution(self, inputs):
        return self.make_distribution_fn(inputs)

    # The arguments of TFP's static `new(params, ...)` after `params`, before
    # `validate_args` and `name`; None: the layer has no `new`.
    _NEW_ARGS = None

    @classmethod
    def new(cls, params, *args, **kwargs):
        """TFP's static `new`: the distribution a layer of these arguments
        makes from `params`, e.g. `IndependentNormal.new(params, (2,))`;
        TFP's `dtype` is the draws' dtype, `name` is accepted and unused.
        """
        if cls._NEW_ARGS is None:
            raise NotImplementedError(f"`{cls.__name__}` has no `new`, as in TFP.")
        names = cls._NEW_ARGS + ("validate_args", "name")
        if len(args) > len(names):
            raise TypeError(
                f"`{cls.__name__}.new` takes params and at most {len(names)} arguments "
                f"{names}. Received: {len(args)} more positional arguments"
            )
        arguments = {**dict(zip(names[:len(args)], args, strict=True)), **kwargs}
        arguments.pop("name", None)
        if "dtype" in arguments:
            arguments["sample_dtype"] = arguments.pop("dtype")
        params = ops.convert_to_tensor(params)
        dtype = keras.backend.standardize_dtype(params.dtype)
        dtype = dtype if "float" in dtype else None
        layer = cls(**arguments, convert_to_tensor_fn="mean", dtype=dtype)
        return layer.make_distribution(params)

    def call(self, inputs):
        stand_in = shape_stand_in(self, inputs)
        if stand_in is not None:
            return stand_in
        distribution = self.make_distribution(inputs)
        if not isinstance(distribution, tfd.Distribution):
            raise TypeError(
                "`make_distribution_fn` must return a `tfd.Distribution`. "
                f"Received: a return value of type {type(distribution).__name__}"
            )
        return attach_distribution(self._to_tensor(distribution), distribution)

    def compute_output_spec(self, *args, **kwargs):
        return traced_output_spec(super().compute_output_spec, *args, **kwargs)

    def _to_tensor(self, distribution):
        fn = self.convert_to_tensor_fn
        if fn == "sample":
            # A sample is per example: under tf.distribute each replica draws its own.
            return distribution.sample(seed=per_example_seed(self.seed_generator))
        if isinstance(fn, str):
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

    # The constructor argument that sets the event shape, as users write it.
    _SHAPE_ARG = "event_shape"
    _NEW_ARGS = ("event_shape",)

    def __init__(self, event_shape=(), convert_to_tensor_fn=tfd.Distribution.sample,
                 validate_args=False, seed=None, **kwargs):
        _refuse(self, kwargs, "make_distribution_fn", "it makes its distribution itself")
        event_shape = self._check_event_shape(event_shape)
        validate_args = _checks.check_bool("validate_args", validate_args)
        super().__init__(self._distribution, convert_to_tensor_fn, seed, **kwargs)
        self.event_shape = event_shape
        self.validate_args = validate_args

    @classmethod
    def _check_event_shape(cls, value):
        # `()`, TFP's default: one scalar draw per example.
        if _is_empty_shape(value):
            return ()
        return _checks.check_shape(cls._SHAPE_ARG, value)

    @classmethod
    def params_size(cls, event_shape=(), name=None):
        """Inputs the head takes per example for `event_shape` (the head's
        `event_size` or `num_classes`): an int, a tuple, `()`, a numpy integer
        or an integer array / tensor (as in TFP). `name` is TFP's op name,
        accepted and unused."""
        return cls._params_size(int(np.prod(cls._check_event_shape(event_shape))))

    def build(self, input_shape):
        self._check_params_shape(input_shape)

    def call(self, inputs):
        # Also here: Keras builds once, and a later call may bring another width.
        self._check_params_shape(inputs.shape)
        return super().call(inputs)

    def _check_params_shape(self, shape):
        shape = _static_shape(shape)
        expected = self.params_size(self.event_shape)
        if shape is not None and (not shape or shape[-1] != expected):
            name, arg = type(self).__name__, self._shape_arg_value()
            raise ValueError(
                f"{name}({self._SHAPE_ARG}={arg}) (layer '{self.name}') needs "
                f"{name}.params_size({arg}) = {expected} parameters in the "
                f"last input axis. Received: inputs.shape={shape}. "
                f"Put a Dense({expected}) before it."
            )

    def _shape_arg_value(self):
        return self.event_shape

    def _distribution(self, params):
        params = ops.cast(params, self.compute_dtype)
        size = int(np.prod(self.event_shape))
        batch = ops.shape(params)[:-1]
        return tfd.Independent(
            self._base(params, size, batch),
            reinterpreted_batch_ndims=len(self.event_shape),
            validate_args=self.validate_args,
        )

    def _reshape(self, params, batch):
        return ops.reshape(params, (*batch, *self.event_shape))

    def get_config(self):
        config = super().get_config()
        del config["make_distribution_fn"]
        config.update({
            "event_shape": list(self.event_shape),
            "validate_args": self.validate_args,
        })
        return config


class _SizedHead(_Head):
    """A head over a vector of `event_size` entries (an int, as in TFP), the
    argument named `_SHAPE_ARG` (`num_classes` for `Categorical`)."""

    _SHAPE_ARG = "event_size"
    _NEW_ARGS = ("event_size",)

    def __init__(self, size, convert_to_tensor_fn=tfd.Distribution.sample,
                 validate_args=False, seed=None,
                 **kwargs):
        _refuse(self, kwargs, "event_shape", f"its argument is `{self._SHAPE_ARG}`")
        super().__init__(size, convert_to_tensor_fn, validate_args, seed, **kwargs)

    @classmethod
    def _check_event_shape(cls, value):
        shape = _checks.check_shape(cls._SHAPE_ARG, value)
        if len(shape) != 1:
            raise ValueError(
                f"`{cls._SHAPE_ARG}` must be a positive integer. "
                f"Received: {cls._SHAPE_ARG}={value!r}"
            )
        return shape

    def _shape_arg_value(self):
        return self.event_shape[0]

    def get_config(self):
        config = super().get_config()
        del config["event_shape"]
        config[self._SHAPE_ARG] = self._shape_arg_value()
        return config


def _static_shape(shape):
    """`shape` as a tuple, None for each dimension unknown while tracing (a
    JAX symbolic dimension too); None for an unknown rank."""
    if getattr(shape, "rank", 0) is None:
        return None
    return tuple(int(d) if isinstance(d, (int, np.integer)) else None for d in shape)


def _dtype(name, value):
    """`value` (a dtype or its name) as a dtype name, e.g. 'int32', as the
    backend reads it (TensorFlow's `tf.as_dtype`, Keras' names on JAX); a
    `TypeError` naming the argument otherwise."""
    try:
        if is_tensorflow():
            return impl.tfp_dtype(value).name
        return keras.backend.standardize_dtype(value)
    except (TypeError, ValueError):
        raise TypeError(
            f"`{name}` must be None or a dtype (e.g. 'int32'). "
            f"Received: {name}={value!r}") from None


def _is_empty_shape(value):
    """`()`, `[]` or an empty 1-D array / tensor."""
    if isinstance(value, (tuple, list)):
        return len(value) == 0
    shape = getattr(value, "shape", None)
    return shape is not None and tuple(shape) == (0,)


def _refuse(layer, kwargs, name, reason):
    """Refuse an argument the head sets itself (Python would only say
    "multiple values")."""
    if name in kwargs:
        raise TypeError(
            f"`{type(layer).__name__}` does not take `{name}`: {reason}. "
            f"Received: {name}={kwargs[name]!r}"
        )


@keras.saving.register_keras_serializable(package="tfbsl")
class IndependentNormal(_Head):
    """Independent Normal over `event_shape`: `loc` and `softplus(scale)` from
    `2 * prod(event_shape)` inputs, as `tfp.layers.IndependentNormal`, the
    scale floored at 1e-5 so that log_prob stays finite for very negative
    scale inputs.

    Args:
        event_shape: int, tuple or `()` (default, as TFP: a scalar draw),
            the shape of one draw.
        convert_to_tensor_fn: `"sample"` (default, as TFP), `"mean"`, `"mode"` or a callable.
        validate_args: passed to the TFP distribution.
        seed: optional int, seeds `"sample"`.

    Input shape:
        `(batch, ..., 2 * prod(event_shape))`.

    Output shape:
        `(batch, ...) + event_shape`.

    Example:
    ```pycon
    >>> tfbsl.layers.IndependentNormal.params_size(1)
    2
    >>> model = keras.Sequential([
    ...     keras.Input((3,)),
    ...     keras.layers.Dense(tfbsl.layers.IndependentNormal.params_size(1)),
    ...     tfbsl.layers.IndependentNormal(1),
    ... ])
    >>> model.compile("adam", loss=tfbsl.losses.NegativeLogLikelihood())
    >>> distribution = tfbsl.get_distribution(model(np.ones((4, 3), "float32")))
    >>> tuple(distribution.batch_shape), tuple(distribution.event_shape)
    ((4,), (1,))

    ```
    """

    @staticmethod
    def _params_size(n):
        return 2 * n

    def _base(self, params, n, batch):
        loc = self._reshape(params[..., :n], batch)
        scale = ops.softplus(self._reshape(params[..., n:], batch))
        return tfd.Normal(
            loc, ops.maximum(scale, _SCALE_FLOOR), validate_args=self.validate_args)


@keras.saving.register_keras_serializable(package="tfbsl")
class IndependentBernoulli(_Head):
    """Independent Bernoulli over `event_shape` from `prod(event_shape)` logits.

    The returned tensor is a sample; `convert_to_tensor_fn="mean"` returns
    the probabilities.

    Args:
        event_shape: int, tuple or `()` (default, as TFP: a scalar draw),
            the shape of one draw (e.g. `(8, 8)`).
        sample_dtype: dtype of the draws (default: the layer's float dtype).
        convert_to_tensor_fn: `"sample"` (default, as TFP), `"mean"`, `"mode"` or a callable.
        validate_args: passed to the TFP distribution.
        seed: optional int, seeds `"sample"`.

    Input shape:
        `(batch, ..., prod(event_shape))`, the logits.

    Output shape:
        `(batch, ...) + event_shape`.

    Example:
    ```pycon
    >>> logits_flat = np.zeros((2, 64), "float32")
    >>> decoder_out = tfbsl.layers.IndependentBernoulli((8, 8))(logits_flat)
    >>> distribution = tfbsl.get_distribution(decoder_out)
    >>> tuple(distribution.event_shape), np.round(keras.ops.convert_to_numpy(
    ...     distribution.log_prob(np.ones((2, 8, 8), "float32"))), 3)  # 64 log(1/2)
    ((8, 8), array([-44.361, -44.361], dtype=float32))

    ```
    """

    _NEW_ARGS = ("event_shape", "dtype")

    def __init__(self, event_shape=(), convert_to_tensor_fn=tfd.Distribution.sample,
                 sample_dtype=None,
                 validate_args=False, seed=None, **kwargs):
        super().__init__(event_shape, convert_to_tensor_fn, validate_args, seed, **kwargs)
        self.sample_dtype = None if sample_dtype is None else _dtype("sample_dtype", sample_dtype)

    @staticmethod
    def _params_size(n):
        return n

    def _base(self, params, n, batch):
        return tfd.Bernoulli(
            logits=self._reshape(params, batch),
            dtype=impl.tfp_dtype(self.sample_dtype or self.compute_dtype),
            validate_args=self.validate_args,
        )

    def get_config(self):
        return {**super().get_config(), "sample_dtype": self.sample_dtype}


@keras.saving.register_keras_serializable(package="tfbsl")
class OneHotCategorical(_SizedHead):
    """One-hot categorical over `event_size` classes from as many logits.

    The returned tensor is a one-hot sample, as in TFP;
    `convert_to_tensor_fn="mean"` returns the class probabilities (for
    `keras.metrics.CategoricalAccuracy`).

    Args:
        event_size: number of classes.
        convert_to_tensor_fn: `"sample"` (default, as TFP), `"mean"`, `"mode"` or a callable.
        validate_args: passed to the TFP distribution.
        seed: optional int, seeds `"sample"`.

    Input shape:
        `(batch, ..., event_size)`, the logits.

    Output shape:
        `(batch, ..., event_size)`.

    Example:
    ```pycon
    >>> head = tfbsl.layers.OneHotCategorical(3, convert_to_tensor_fn="mean")
    >>> probs = head(np.zeros((2, 3), "float32"))
    >>> np.round(keras.ops.convert_to_numpy(probs), 3)
    array([[0.333, 0.333, 0.333],
           [0.333, 0.333, 0.333]], dtype=float32)

    ```
    """

    _NEW_ARGS = ("event_size", "dtype")

    def __init__(self, event_size=2, convert_to_tensor_fn=tfd.Distribution.sample,
                 sample_dtype=None,
                 validate_args=False, seed=None, **kwargs):
        super().__init__(event_size, convert_to_tensor_fn, validate_args, seed, **kwargs)
        self.sample_dtype = None if sample_dtype is None else _dtype("sample_dtype", sample_dtype)

    @staticmethod
    def _params_size(n):
        return n

    def _distribution(self, params):
        return tfd.OneHotCategorical(
            logits=ops.cast(params, self.compute_dtype),
            dtype=impl.tfp_dtype(self.sample_dtype or self.compute_dtype),
            validate_args=self.validate_args,
        )

    def get_config(self):
        return {**super().get_config(), "sample_dtype": self.sample_dtype}


@keras.saving.register_keras_serializable(package="tfbsl")
class Categorical(_SizedHead):
    """Categorical over `num_classes` integer labels from as many logits.

    Returns the class probabilities (a Categorical has no mean), so
    `keras.metrics.SparseCategoricalAccuracy` works on it; the loss gets the
    distribution, whose `log_prob` takes integer labels, `(batch,)` or
    `(batch, 1)` as Keras passes them.

    Args:
        num_classes: number of classes.
        convert_to_tensor_fn: `"mean"` (default: the probabilities), `"mode"`,
            `"sample"` or a callable.
        validate_args: passed to the TFP distribution.
        seed: optional int, seeds `"sample"`.

    Input shape:
        `(batch, ..., num_classes)`, the logits.

    Output shape:
        `(batch, ..., num_classes)`, the probabilities (the default
        `convert_to_tensor_fn="mean"`); a draw or the mode is `(batch, ...)`.

    Example:
    ```pycon
    >>> probs = tfbsl.layers.Categorical(3)(np.log(np.array([[1.0, 2.0, 1.0]], "float32")))
    >>> np.round(keras.ops.convert_to_numpy(probs), 2)  # the probabilities (TFP: a sample)
    array([[0.25, 0.5 , 0.25]], dtype=float32)

    ```
    """

    _SHAPE_ARG = "num_classes"
    _NEW_ARGS = ("num_classes",)

    def __init__(self, num_classes=2, convert_to_tensor_fn="mean", validate_args=False,
                 seed=None, **kwargs):
        super().__init__(num_classes, convert_to_tensor_fn, validate_args, seed, **kwargs)

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


@keras.saving.register_keras_serializable(package="tfbsl")
class MultivariateNormalTriL(_SizedHead):
    """Multivariate Normal with full covariance from `n + n(n+1)/2` inputs:
    `loc`, then a lower-triangular scale filled by `tfb.FillScaleTriL`
    (softplus diagonal + 1e-5, a floor), as `tfp.layers.MultivariateNormalTriL`.

    Args:
        event_size: dimension `n` of the Normal.
        convert_to_tensor_fn: `"sample"` (default, as TFP), `"mean"`, `"mode"` or a callable.
        validate_args: passed to the TFP distribution.
        seed: optional int, seeds `"sample"`.

    Input shape:
        `(batch, ..., n + n * (n + 1) / 2)`.

    Output shape:
        `(batch, ..., n)`.

    Example:
    ```pycon
    >>> n = 3
    >>> tfbsl.layers.MultivariateNormalTriL.params_size(n)
    9
    >>> posterior = keras.Sequential([
    ...     tfbsl.layers.VariableLayer(tfbsl.layers.MultivariateNormalTriL.params_size(n)),
    ...     tfbsl.layers.MultivariateNormalTriL(n),
    ... ])
    >>> distribution = tfbsl.get_distribution(posterior(np.zeros(1)))
    >>> tuple(distribution.event_shape)
    (3,)

    ```
    """

    def __init__(self, event_size=1, convert_to_tensor_fn=tfd.Distribution.sample,
                 validate_args=False, seed=None, **kwargs):
        super().__init__(event_size, convert_to_tensor_fn, validate_args, seed, **kwargs)

    @staticmethod
    def _params_size(n):
        return n + n * (n + 1) // 2

    def _distribution(self, params):
        params = ops.cast(params, self.compute_dtype)
        n = self.event_shape[0]
        return tfd.MultivariateNormalTriL(
            loc=params[..., :n],
            scale_tril=tfb.FillScaleTriL(
                diag_shift=np.array(1e-5, self.compute_dtype)).forward(params[..., n:]),
            validate_args=self.validate_args,
        )


@keras.saving.register_keras_serializable(package="tfbsl")
class VariableLayer(keras.Layer):
    """Returns a trainable variable, ignoring its inputs' values (as
    `tfp.layers.VariableLayer`): the parameter source of a prior or posterior.

    Args:
        shape: int or tuple, shape of the variable.
        dtype: the layer's dtype (policy).
        activation: optional activation applied to the variable.
        initializer: Keras initializer (default `"zeros"`).
        regularizer: keyword-only, Keras regularizer of the variable.
        constraint: keyword-only, Keras constraint of the variable.

    Example:
    ```pycon
    >>> n = 2
    >>> posterior = keras.Sequential([
    ...     tfbsl.layers.VariableLayer(2 * n),
    ...     tfbsl.layers.DistributionLambda(lambda t: tfd.Independent(
    ...         tfd.Normal(t[..., :n], keras.ops.softplus(t[..., n:])), 1)),
    ... ])
    >>> distribution = tfbsl.get_distribution(posterior(np.zeros(1)))
    >>> tuple(distribution.event_shape), np.round(keras.ops.convert_to_numpy(
    ...     distribution.stddev()), 4)  # softplus(0)
    ((2,), array([0.6931, 0.6931], dtype=float32))

    ```
    """

    def __init__(self, shape, dtype=None, activation=None, initializer="zeros", *,
                 regularizer=None, constraint=None, **kwargs):
        shape = _checks.check_shape("shape", shape)
        initializer = _checks.check_initializer("initializer", initializer)
        activation = _checks.check_activation("activation", activation)
        super().__init__(dtype=dtype, **kwargs)
        self.shape = shape
        self.initializer = initializer
        self.activation = activation
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
