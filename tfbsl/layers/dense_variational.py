"""Variational dense layers (Bayes by Backprop) and their `tfp.layers` names."""

import inspect

import keras
import tensorflow_probability as tfp
from keras import ops

from tfbsl import _checks, posteriors, priors
from tfbsl._random import tfp_seed
from tfbsl._serialization import deserialize_fn, serialize_fn
from tfbsl.layers import _estimators
from tfbsl.layers._kl import add_kl_weight_variable, check_kl_weight
from tfbsl.layers.distribution_layers import get_distribution

tfd = tfp.distributions

ESTIMATORS = ("reparameterization", "flipout", "local_reparameterization")

_TFP_ONLY_KEYWORDS = {
    "kernel_posterior_fn": "make_posterior_fn=",
    "kernel_posterior_tensor_fn": "estimator=",
    "kernel_prior_fn": "prior= or make_prior_fn=",
    "bias_posterior_fn": "make_posterior_fn= (kernel and bias share one posterior)",
    "bias_posterior_tensor_fn": "estimator=",
    "bias_prior_fn": "prior= or make_prior_fn= (kernel and bias share one prior)",
}


@keras.saving.register_keras_serializable(package="tfbsl")
class DenseVariational(keras.Layer):
    """Dense layer whose kernel and bias are random, learned by variational
    inference (Bayes by Backprop, Blundell et al. 2015).

    Each call draws anew (in training and inference), adds
    `kl_weight * KL(q || p)` with `self.add_loss`, and returns
    `activation(x @ kernel + bias)`. With `model.compile(opt, loss)` and a
    per-example *mean* data loss, `kl_weight = 1 / num_training_examples`
    makes `Model.fit` minimise the negative ELBO divided by the data size.

    The KL is analytic where `tfd.kl_divergence` knows the (posterior, prior)
    pair, else a Monte-Carlo estimate `log q(w) - log p(w)` from the same
    weight draw; the local-reparameterization estimator draws no weights, so
    it takes a separate draw when it needs the Monte-Carlo estimate.

    The positional order is `tfp.layers.DenseVariational`'s, so the TFP
    tutorial's `DenseVariational(units, posterior, prior, kl_weight=...)` runs
    unchanged; new arguments are keyword-only. Defaults that differ from
    TFP's: `kl_use_exact=None` (analytic when available; TFP: Monte Carlo),
    `make_posterior_fn` and `make_prior_fn` optional (TFP: required).

    Args:
        units: positive int, output size.
        make_posterior_fn: factory `(kernel_size, bias_size, dtype)` returning
            a callable that maps the inputs to a `tfd.Distribution` over the
            flat vector of kernel then bias weights. Default
            `tfbsl.posteriors.MeanFieldNormal()`.
        make_prior_fn: the same for the prior (TFP's name). Default N(0, 1).
        kl_weight: float >= 0 multiplying the KL term (None means 1). Held in
            a non-trainable variable that `tfbsl.callbacks.KLAnnealing` drives.
        kl_use_exact: `None` analytic when available else Monte Carlo; `True`
            analytic (a `ValueError` at build if the pair has none); `False`
            Monte Carlo.
        activation: Keras activation.
        use_bias: whether the layer has a (random) bias.
        estimator: `"reparameterization"` (one weight draw per call),
            `"flipout"` (Wen et al. 2018) or `"local_reparameterization"`
            (Kingma et al. 2015); the last two need a factorised Normal posterior.
        prior: a prior factory (see `tfbsl.priors`) or a name in
            `{"normal", "scale_mixture", "trainable"}`; exclusive with
            `make_prior_fn`.
        seed: int seeding the layer's `keras.random.SeedGenerator`.
        kernel_divergence_fn, bias_divergence_fn: TFP-style
            `fn(q, p, sample) -> scalar` replacing the KL term for the kernel
            and the bias (a bias without one adds no divergence, as in TFP).
        activity_regularizer: Keras regularizer on the outputs.

    Example:
    ```python
    model = keras.Sequential([
        keras.Input((1,)),
        tfbsl.layers.DenseVariational(32, activation="relu", kl_weight=1 / n),
        tfbsl.layers.DenseVariational(1, kl_weight=1 / n, estimator="flipout"),
    ])
    model.compile("adam", "mse")
    model.fit(x, y, epochs=100)
    pred = tfbsl.predict_mc(model, x_test, num_samples=100)  # .mean, .stddev, ...
    ```
    """

    def __init__(self, units, make_posterior_fn=None, make_prior_fn=None,
                 kl_weight=None, kl_use_exact=None, activation=None,
                 use_bias=True, *, estimator="reparameterization", prior=None,
                 seed=None, kernel_divergence_fn=None, bias_divergence_fn=None,
                 activity_regularizer=None, **kwargs):
        for name, instead in _TFP_ONLY_KEYWORDS.items():
            if name in kwargs:
                raise ValueError(
                    f"tfbsl does not take `{name}` (a `tfp.layers` argument "
                    f"built on tf_keras variables). Use `{instead}` instead. "
                    f"Received: {name}={kwargs[name]!r}"
                )
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.units = _checks.check_positive_int("units", units)
        self.estimator = _checks.check_choice("estimator", estimator, ESTIMATORS)
        self.kl_weight = check_kl_weight(kl_weight)
        if kl_use_exact not in (None, True, False):
            raise ValueError(
                "`kl_use_exact` must be None, True or False. Received: "
                f"kl_use_exact={kl_use_exact!r}"
            )
        self.kl_use_exact = kl_use_exact
        if prior is not None and make_prior_fn is not None:
            raise ValueError(
                "Pass either `prior` or `make_prior_fn`, not both. Received: "
                f"prior={prior!r}, make_prior_fn={make_prior_fn!r}"
            )
        self.prior = prior
        self.make_prior_fn = make_prior_fn
        self.make_posterior_fn = make_posterior_fn
        self._prior_factory = priors.get(make_prior_fn if make_prior_fn is not None else prior)
        self._posterior_factory = posteriors.get(make_posterior_fn)
        self.activation = keras.activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_divergence_fn = kernel_divergence_fn
        self.bias_divergence_fn = bias_divergence_fn
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def build(self, input_shape):
        input_dim = _checks.check_known_last_dim("inputs", input_shape)
        self.kernel_shape = (input_dim, self.units)
        self.kernel_size = input_dim * self.units
        self.bias_size = self.units if self.use_bias else 0
        args = (self.kernel_size, self.bias_size, self.variable_dtype, self.kernel_shape)
        self.posterior = _make(self._posterior_factory, *args)
        self.prior_model = _make(self._prior_factory, *args)
        for part in (self.posterior, self.prior_model):
            if isinstance(part, keras.Layer) and not part.built:
                part.build(input_shape)
        add_kl_weight_variable(self)
        self._check_distributions(ops.zeros((1, input_dim), self.compute_dtype))

    def _check_distributions(self, dummy):
        q = get_distribution(self.posterior(dummy), "make_posterior_fn(...)(inputs)")
        p = get_distribution(self.prior_model(dummy), "make_prior_fn(...)(inputs)")
        n = self.kernel_size + self.bias_size
        for name, d in (("make_posterior_fn", q), ("make_prior_fn", p)):
            if d.batch_shape.rank != 0 or d.event_shape.as_list() != [n]:
                raise ValueError(
                    f"`{name}` must give one distribution over the {n} = "
                    f"{self.kernel_size} kernel + {self.bias_size} bias weights "
                    f"(batch_shape [], event_shape [{n}]). Received: "
                    f"batch_shape {d.batch_shape}, event_shape {d.event_shape}"
                )
        if self.estimator != "reparameterization" and _factorised(q) is None:
            raise ValueError(
                f"estimator={self.estimator!r} needs a factorised Normal "
                "posterior (tfd.Independent(tfd.Normal) or "
                f"MultivariateNormalDiag). Received a {type(q).__name__}; use "
                "estimator='reparameterization' for it."
            )
        if self.kl_use_exact and not _has_analytic_kl(q, p):
            raise ValueError(
                "kl_use_exact=True, but tfd.kl_divergence has no closed form "
                f"for posterior {type(q).__name__} and prior {type(p).__name__}. "
                "Use kl_use_exact=None or False (Monte Carlo)."
            )
        if self.kernel_divergence_fn is not None or self.bias_divergence_fn is not None:
            for name, d in (("posterior", q), ("prior", p)):
                if _split(d, self.kernel_size) is None:
                    raise ValueError(
                        "`kernel_divergence_fn` / `bias_divergence_fn` need a "
                        f"factorised {name} (tfd.Independent over the weight "
                        f"vector) to split into kernel and bias. Received a "
                        f"{type(d).__name__}."
                    )

    def call(self, inputs):
        q = get_distribution(self.posterior(inputs))
        p = get_distribution(self.prior_model(inputs))
        x = inputs
        weights = None
        if self.estimator == "reparameterization":
            weights = q.sample(seed=tfp_seed(self.seed_generator))
            kernel, bias = self._unflatten(weights, x.dtype)
            outputs = _estimators.reparameterization(x, kernel, ops.matmul)
            if bias is not None:
                outputs = outputs + bias
        else:
            loc, scale = _factorised(q)
            kernel_loc, bias_loc = self._unflatten(loc, x.dtype)
            kernel_scale, bias_scale = self._unflatten(scale, x.dtype)
            if self.estimator == "flipout":
                delta = scale * keras.random.normal(ops.shape(scale), dtype=scale.dtype,
                                                    seed=self.seed_generator)
                weights = loc + delta
                kernel_delta, bias_delta = self._unflatten(delta, x.dtype)
                outputs = _estimators.flipout(
                    x, kernel_loc, kernel_delta, ops.matmul, self.seed_generator)
                if bias_loc is not None:
                    outputs = outputs + bias_loc + bias_delta
            else:
                outputs = _estimators.local_reparameterization(
                    x, kernel_loc, kernel_scale, ops.matmul, self.seed_generator,
                    bias_loc, bias_scale)
        self.add_loss(self.kl_weight_variable * self._divergence(q, p, weights))
        return self.activation(outputs)

    def _divergence(self, q, p, weights):
        """KL(q || p) (or the TFP-style divergence functions), in float32."""
        if self.kernel_divergence_fn is not None or self.bias_divergence_fn is not None:
            return self._split_divergence(q, p, weights)
        if self.kl_use_exact is not False and _has_analytic_kl(q, p):
            return tfd.kl_divergence(q, p)
        if weights is None:
            weights = q.sample(seed=tfp_seed(self.seed_generator))
        return q.log_prob(weights) - p.log_prob(weights)

    def _split_divergence(self, q, p, weights):
        k = self.kernel_size
        parts = zip(_split(q, k), _split(p, k),
                    (None, None) if weights is None else (weights[:k], weights[k:]),
                    (self.kernel_divergence_fn, self.bias_divergence_fn))
        total = 0.0
        for q_part, p_part, w_part, fn in parts:
            if fn is not None and q_part is not None:
                total = total + fn(q_part, p_part, w_part)
        return total

    def _unflatten(self, flat, dtype):
        flat = ops.cast(flat, dtype)
        kernel = ops.reshape(flat[: self.kernel_size], self.kernel_shape)
        bias = flat[self.kernel_size:] if self.use_bias else None
        return kernel, bias

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self):
        config = super().get_config()
        config.update({
            "units": self.units,
            "make_posterior_fn": serialize_fn(self.make_posterior_fn),
            "make_prior_fn": serialize_fn(self.make_prior_fn),
            "kl_weight": self.kl_weight,
            "kl_use_exact": self.kl_use_exact,
            "activation": keras.activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "estimator": self.estimator,
            "prior": self.prior if isinstance(self.prior, str) else serialize_fn(self.prior),
            "seed": self.seed,
            "kernel_divergence_fn": serialize_fn(self.kernel_divergence_fn),
            "bias_divergence_fn": serialize_fn(self.bias_divergence_fn),
        })
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None, safe_mode=None):
        config = dict(config)
        for key in ("make_posterior_fn", "make_prior_fn", "prior",
                    "kernel_divergence_fn", "bias_divergence_fn"):
            if isinstance(config.get(key), dict):
                config[key] = deserialize_fn(config[key], custom_objects, safe_mode)
        return cls(**config)


def _make(factory, kernel_size, bias_size, dtype, kernel_shape):
    """Call a prior/posterior factory, passing `kernel_shape` to those that take it."""
    try:
        takes_shape = "kernel_shape" in inspect.signature(factory).parameters
    except (TypeError, ValueError):
        takes_shape = False
    if takes_shape:
        return factory(kernel_size, bias_size, dtype, kernel_shape=kernel_shape)
    return factory(kernel_size, bias_size, dtype)


def _factorised(distribution):
    """(loc, scale) of a factorised Normal, else None."""
    if isinstance(distribution, tfd.Independent) and isinstance(distribution.distribution, tfd.Normal):
        return distribution.distribution.loc, distribution.distribution.scale
    if isinstance(distribution, tfd.MultivariateNormalDiag):
        return distribution.loc, distribution.stddev()
    return None


def _has_analytic_kl(q, p):
    try:
        tfd.kl_divergence(q, p)
    except NotImplementedError:
        return False
    return True


def _split(distribution, k):
    """(kernel part, bias part) of a distribution factorised over the weight
    vector, slicing its underlying batch; None if it is not factorised."""
    if not (isinstance(distribution, tfd.Independent)
            and distribution.reinterpreted_batch_ndims == 1):
        return None
    base = distribution.distribution
    n = base.batch_shape[-1]
    kernel = tfd.Independent(base[..., :k], 1)
    bias = tfd.Independent(base[..., k:], 1) if n > k else None
    return kernel, bias


class _NamedVariant(DenseVariational):
    """`DenseVariational` with a fixed estimator and `tfp.layers`' positional
    order `(units, activation, activity_regularizer, trainable, ...)`."""

    _estimator = None

    def __init__(self, units, activation=None, activity_regularizer=None,
                 trainable=True, **kwargs):
        estimator = kwargs.pop("estimator", self._estimator)
        if estimator != self._estimator:
            raise ValueError(
                f"{type(self).__name__} uses estimator={self._estimator!r}; use "
                f"DenseVariational for another. Received: estimator={estimator!r}"
            )
        super().__init__(
            units, activation=activation, activity_regularizer=activity_regularizer,
            trainable=trainable, estimator=self._estimator, **kwargs)


@keras.saving.register_keras_serializable(package="tfbsl")
class DenseReparameterization(_NamedVariant):
    """`DenseVariational(estimator="reparameterization")` under the
    `tfp.layers` name. Unlike TFP's, the bias is random by default.

    Example:
    ```python
    layer = tfbsl.layers.DenseReparameterization(10, activation="relu")
    ```
    """

    _estimator = "reparameterization"


@keras.saving.register_keras_serializable(package="tfbsl")
class DenseFlipout(_NamedVariant):
    """`DenseVariational(estimator="flipout")` under the `tfp.layers` name.
    Unlike TFP's, the bias is random by default.

    Example:
    ```python
    layer = tfbsl.layers.DenseFlipout(
        10, kernel_divergence_fn=lambda q, p, _: tfd.kl_divergence(q, p) / n)
    ```
    """

    _estimator = "flipout"


@keras.saving.register_keras_serializable(package="tfbsl")
class DenseLocalReparameterization(_NamedVariant):
    """`DenseVariational(estimator="local_reparameterization")` under the
    `tfp.layers` name. Unlike TFP's, the bias is random by default.

    Example:
    ```python
    layer = tfbsl.layers.DenseLocalReparameterization(10, activation="relu")
    ```
    """

    _estimator = "local_reparameterization"
