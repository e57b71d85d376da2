"""Priors over a variational layer's weights.

A prior is a factory with `tfp.layers.DenseVariational`'s signature,
`prior(kernel_size, bias_size, dtype)`, returning a callable that maps the
layer's inputs to a `tfd.Distribution` over the flat vector of kernel then bias
weights (length `kernel_size + bias_size`). Any such callable works as
`make_prior_fn=`; the classes here also serialise through `get_config`.

Example:
```pycon
>>> layer = tfbsl.layers.DenseVariational(
...     16, prior=tfbsl.priors.ScaleMixtureNormal(pi=0.5, scale1=1.0, scale2=0.0025))
>>> tuple(layer(np.zeros((2, 3), "float32")).shape)
(2, 16)

```
"""

import math

import keras
from keras import ops

from tfbsl import _checks
from tfbsl._backend import tfp
from tfbsl._serialization import FromConfig
from tfbsl.heads.distribution_layers import DistributionLambda, VariableLayer

tfd = tfp.distributions

__all__ = ["FanInNormal", "Normal", "ScaleMixtureNormal", "TrainableNormal", "get", "trainable"]


def _independent(distribution):
    return tfd.Independent(distribution, reinterpreted_batch_ndims=1)


class _FixedPrior:
    """A prior with no variables: ignores the inputs, returns `make()`.

    The distribution is made anew at every call, not once at build: its
    parameter tensors then belong to the graph being traced (a layer built
    lazily inside `fit`, a subclassed model, a custom `tf.function` loop),
    never to a graph that has been left.
    """

    def __init__(self, make):
        self.make = make

    def __call__(self, inputs=None):
        return self.make()


@keras.saving.register_keras_serializable(package="tfbsl")
class Normal(FromConfig):
    """Fixed factorised Normal prior N(loc, scale^2) on every weight.

    Args:
        loc: float, the prior mean (default 0).
        scale: float > 0, the prior standard deviation (default 1).

    Example:
    ```pycon
    >>> prior = tfbsl.priors.Normal(scale=0.5)
    >>> p = prior(kernel_size=6, bias_size=2)()     # a distribution over 8 weights
    >>> tuple(p.event_shape), float(p.distribution.stddev()[0])
    ((8,), 0.5)
    >>> layer = tfbsl.layers.DenseVariational(2, prior=prior)
    >>> tuple(layer(np.zeros((4, 3), "float32")).shape)
    (4, 2)

    ```
    """

    def __init__(self, loc=0.0, scale=1.0):
        self.loc = _checks.check_finite("loc", loc)
        self.scale = _checks.check_positive_finite("scale", scale)

    def __call__(self, kernel_size, bias_size=0, dtype=None):
        n = kernel_size + bias_size
        dtype = dtype or "float32"
        return _FixedPrior(lambda: _independent(tfd.Normal(
            loc=ops.full((n,), self.loc, dtype),
            scale=ops.convert_to_tensor(self.scale, dtype),
        )))

    def get_config(self):
        return {"loc": self.loc, "scale": self.scale}


# The narrow component's default scale, exp(-6) (Blundell et al., 2015).
_DEFAULT_SCALE2 = math.exp(-6)


@keras.saving.register_keras_serializable(package="tfbsl")
class ScaleMixtureNormal(FromConfig):
    """Scale-mixture prior of Blundell et al. (2015), "Weight Uncertainty in
    Neural Networks": `pi * N(0, scale1^2) + (1 - pi) * N(0, scale2^2)` on every
    weight. Its KL to a Normal posterior has no closed form: layers estimate it
    by Monte Carlo.

    Args:
        pi: mixture weight of the first component, in (0, 1).
        scale1: standard deviation of the first (wide) component, > 0.
        scale2: standard deviation of the second (narrow) component, > 0.

    References:
        Blundell, Cornebise, Kavukcuoglu & Wierstra (2015), "Weight
        Uncertainty in Neural Networks", https://arxiv.org/abs/1505.05424

    Example:
    ```pycon
    >>> prior = tfbsl.priors.ScaleMixtureNormal(pi=0.25, scale1=1.0, scale2=math.exp(-6))
    >>> layer = tfbsl.layers.DenseVariational(2, prior=prior)
    >>> tuple(layer(np.zeros((4, 3), "float32")).shape)
    (4, 2)
    >>> len(layer.losses)                            # the KL, estimated by Monte Carlo
    1

    ```
    """

    def __init__(self, pi=0.5, scale1=1.0, scale2=_DEFAULT_SCALE2):
        self.pi = _checks.check_open_unit("pi", pi)
        self.scale1 = _checks.check_positive_finite("scale1", scale1)
        self.scale2 = _checks.check_positive_finite("scale2", scale2)

    def __call__(self, kernel_size, bias_size=0, dtype=None):
        n = kernel_size + bias_size
        dtype = dtype or "float32"

        def make():
            probs = ops.convert_to_tensor([self.pi, 1.0 - self.pi], dtype)
            scales = ops.convert_to_tensor([self.scale1, self.scale2], dtype)
            return _independent(tfd.MixtureSameFamily(
                mixture_distribution=tfd.Categorical(probs=ops.broadcast_to(probs, (n, 2))),
                components_distribution=tfd.Normal(
                    loc=ops.zeros((n, 2), dtype), scale=ops.broadcast_to(scales, (n, 2))),
            ))
        return _FixedPrior(make)

    def get_config(self):
        return {"pi": self.pi, "scale1": self.scale1, "scale2": self.scale2}


@keras.saving.register_keras_serializable(package="tfbsl")
class FanInNormal(FromConfig):
    """Factorised Normal prior scaled by the fan-in: kernel weights
    `N(0, gain^2 / fan_in)`, biases `N(0, bias_scale^2)`.

    `fan_in` is the number of inputs a unit sums over (a dense kernel's input
    width; a convolution's `kernel_size * input channels`), as in Keras'
    `VarianceScaling(mode="fan_in")`. Unlike `Normal()`'s unit scale on every
    weight, the prior variance of a unit's pre-activation then stays of order
    `gain^2` whatever the width, so a wide layer's KL term does not pull the
    posterior towards functions of huge variance; this is the prior of the
    neural-network Gaussian-process limit.

    Args:
        gain: float > 0, the kernel prior's standard deviation times
            `sqrt(fan_in)` (default 1).
        bias_scale: float > 0, the bias prior's standard deviation (default 1).

    Raises:
        ValueError: if an argument is out of range, or the factory is called
            without the layer's `kernel_shape` (it needs the fan-in).

    References:
        Neal (1996), "Bayesian Learning for Neural Networks", Springer,
        https://doi.org/10.1007/978-1-4612-0745-0 ;
        Lee, Bahri, Novak, Schoenholz, Pennington & Sohl-Dickstein (2018),
        "Deep Neural Networks as Gaussian Processes",
        https://arxiv.org/abs/1711.00165

    Example:
    ```pycon
    >>> prior = tfbsl.priors.FanInNormal()
    >>> p = prior(kernel_size=8, bias_size=2, kernel_shape=(4, 2))()  # fan-in 4
    >>> np.asarray(p.distribution.stddev())             # 1 / sqrt(4); the biases 1
    array([0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 1. , 1. ], dtype=float32)
    >>> layer = tfbsl.layers.DenseVariational(8, prior="fan_in")
    >>> tuple(layer(np.zeros((2, 16), "float32")).shape)       # kernel prior sd 1 / sqrt(16)
    (2, 8)

    ```
    """

    def __init__(self, gain=1.0, bias_scale=1.0):
        self.gain = _checks.check_positive_finite("gain", gain)
        self.bias_scale = _checks.check_positive_finite("bias_scale", bias_scale)

    def __call__(self, kernel_size, bias_size=0, dtype=None, kernel_shape=None):
        if not kernel_shape:
            raise ValueError(
                "`FanInNormal` needs the layer's `kernel_shape` to know the "
                "fan-in: the variational layers pass it; called by hand, pass "
                "`kernel_shape=(..., units)`. Received: kernel_shape="
                f"{kernel_shape!r}")
        dtype = dtype or "float32"
        fan_in = math.prod(kernel_shape[:-1])
        kernel_scale = self.gain / math.sqrt(fan_in)
        return _FixedPrior(lambda: _independent(tfd.Normal(
            loc=ops.zeros((kernel_size + bias_size,), dtype),
            scale=ops.concatenate([
                ops.full((kernel_size,), kernel_scale, dtype),
                ops.full((bias_size,), self.bias_scale, dtype)]),
        )))

    def get_config(self):
        return {"gain": self.gain, "bias_scale": self.bias_scale}


@keras.saving.register_keras_serializable(package="tfbsl")
class TrainableNormal(FromConfig):
    """Factorised Normal prior whose means (and optionally scales) are learned
    (empirical Bayes): the KL term pulls prior and posterior together.

    Args:
        scale: float > 0, the fixed prior scale, or the initial one when
            `trainable_scale=True` (then kept positive by a softplus).
        trainable_scale: whether the scales are learned too.

    Example:
    ```pycon
    >>> layer = tfbsl.layers.DenseVariational(8, prior=tfbsl.priors.TrainableNormal())
    >>> tuple(layer(np.zeros((2, 3), "float32")).shape)
    (2, 8)
    >>> [tuple(w.shape) for w in layer.prior_model.trainable_weights]   # 3 * 8 + 8 means
    [(32,)]

    ```
    """

    def __init__(self, scale=1.0, trainable_scale=False):
        self.scale = _checks.check_positive_finite("scale", scale)
        self.trainable_scale = _checks.check_bool("trainable_scale", trainable_scale)

    def __call__(self, kernel_size, bias_size=0, dtype=None):
        n = kernel_size + bias_size
        scale = self.scale
        if not self.trainable_scale:
            return keras.Sequential([
                VariableLayer(n, dtype=dtype),
                DistributionLambda(_TrainableLoc(scale), "mean", dtype=dtype),
            ])
        raw = math.log(math.expm1(scale))
        return keras.Sequential([
            VariableLayer(2 * n, dtype=dtype, initializer=_LocThenConstant(n, raw)),
            DistributionLambda(_TrainableLocScale(n), "mean", dtype=dtype),
        ])

    def get_config(self):
        return {"scale": self.scale, "trainable_scale": self.trainable_scale}


@keras.saving.register_keras_serializable(package="tfbsl")
class _TrainableLoc(FromConfig):
    def __init__(self, scale):
        self.scale = scale

    def __call__(self, t):
        return _independent(tfd.Normal(loc=t, scale=ops.cast(self.scale, t.dtype)))

    def get_config(self):
        return {"scale": self.scale}


@keras.saving.register_keras_serializable(package="tfbsl")
class _TrainableLocScale(FromConfig):
    def __init__(self, n):
        self.n = n

    def __call__(self, t):
        n = self.n
        return _independent(tfd.Normal(loc=t[..., :n], scale=1e-5 + ops.softplus(t[..., n:])))

    def get_config(self):
        return {"n": self.n}


@keras.saving.register_keras_serializable(package="tfbsl")
class _LocThenConstant(keras.initializers.Initializer):
    """Zeros for the first `n` entries, `value` for the rest."""

    def __init__(self, n, value):
        self.n = n
        self.value = value

    def __call__(self, shape, dtype=None):
        rest = shape[0] - self.n
        return keras.ops.concatenate([
            keras.ops.zeros((self.n,), dtype), keras.ops.full((rest,), self.value, dtype)])

    def get_config(self):
        return {"n": self.n, "value": self.value}


@keras.saving.register_keras_serializable(package="tfbsl")
def trainable(kernel_size, bias_size=0, dtype=None):
    """The TFP regression tutorial's `prior_trainable`: N(t, 1) with learned
    means `t` (zeros at start), as a `VariableLayer` + `DistributionLambda`.

    Example:
    ```pycon
    >>> layer = tfbsl.layers.DenseVariational(
    ...     1, tfbsl.posteriors.mean_field, tfbsl.priors.trainable, kl_weight=1 / 100)
    >>> tuple(layer(np.zeros((5, 3), "float32")).shape)
    (5, 1)

    ```
    """
    return TrainableNormal(scale=1.0)(kernel_size, bias_size, dtype)


_BY_NAME = {
    "fan_in": FanInNormal,
    "normal": Normal,
    "scale_mixture": ScaleMixtureNormal,
    "trainable": TrainableNormal,
}


_SIGNATURE = "(kernel_size, bias_size, dtype) -> callable(inputs) -> tfd.Distribution"


def get(identifier, name="prior"):
    """A prior factory from `None` (N(0, 1)), a name in
    `{"fan_in", "normal", "scale_mixture", "trainable"}` or a callable factory;
    `name` is the argument the user passed it as (in error messages)."""
    if identifier is None:
        return Normal()
    if isinstance(identifier, str):
        _checks.check_choice(name, identifier, _BY_NAME)
        return _BY_NAME[identifier]()
    if isinstance(identifier, dict):
        return keras.saving.deserialize_keras_object(identifier)
    if not callable(identifier):
        raise ValueError(
            f"`{name}` must be None, one of {sorted(_BY_NAME)}, or a callable "
            f"factory {_SIGNATURE}. Received: {name}={identifier!r}"
        )
    return _checks.check_callable(name, identifier, _SIGNATURE, num_args=3)
