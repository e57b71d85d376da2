"""The machinery dense and conv variational layers share.

`_Variational` owns the posterior and prior built from the factories, the
argument and distribution checks, the estimator dispatch around a linear
operator `op(x, kernel)` (a matmul, a convolution, a transposed convolution),
the KL term and the config. A subclass supplies the kernel shape in `build`
(through `_build_variational`), the operator and the output shape.
"""

import inspect
import math

import keras
from keras import ops

from tfbsl import _checks, _random
from tfbsl._backend import tfp
from tfbsl._outputs import get_distribution
from tfbsl._serialization import deserialize_fn, serialize_fn
from tfbsl.variational import _estimators, posteriors, priors
from tfbsl.variational._kl import (
    add_kl_weight_variable,
    check_analytic,
    check_kl_use_exact,
    check_kl_weight,
    kl_divergence,
)

tfd = tfp.distributions

ESTIMATORS = tuple(_estimators.BY_NAME)

_TFP_ONLY_KEYWORDS = {
    "kernel_posterior_fn": "make_posterior_fn=",
    "kernel_posterior_tensor_fn": "estimator=",
    "kernel_prior_fn": "prior= or make_prior_fn=",
    "bias_posterior_fn": "make_posterior_fn= (kernel and bias share one posterior)",
    "bias_posterior_tensor_fn": "estimator=",
    "bias_prior_fn": "prior= or make_prior_fn= (kernel and bias share one prior)",
}
_TFP_TWINS = "DenseFlipout, Convolution2DReparameterization, ..."

_FUNCTION_KEYS = ("make_posterior_fn", "make_prior_fn", "prior",
                  "kernel_divergence_fn", "bias_divergence_fn")


class _Variational(keras.Layer):
    """Base of the variational layers: a random kernel (and bias) with a
    posterior `q` and a prior `p` over the flat vector of kernel then bias.

    Subclasses call `_build_variational(input_shape, kernel_shape, bias_shape)`
    in `build` and `_variational_call(inputs, op, sign_shape)` in `call`; see
    `DenseVariational` for the meaning of the arguments.
    """

    def __init__(self, make_posterior_fn=None, make_prior_fn=None,
                 kl_weight=None, kl_use_exact=None, activation=None,
                 use_bias=True, *, estimator="reparameterization", prior=None,
                 seed=None, kernel_divergence_fn=None, bias_divergence_fn=None,
                 activity_regularizer=None, **kwargs):
        for name, instead in _TFP_ONLY_KEYWORDS.items():
            if name in kwargs:
                raise ValueError(
                    f"`{type(self).__name__}` does not take `{name}`: use "
                    f"`{instead}`, or the `tfp.layers`-named layers "
                    f"({_TFP_TWINS}), which take TFP's per-part arguments. "
                    f"Received: {name}={kwargs[name]!r}"
                )
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.estimator = _checks.check_choice("estimator", estimator, ESTIMATORS)
        self.kl_weight = check_kl_weight(kl_weight)
        self.kl_use_exact = check_kl_use_exact(kl_use_exact)
        if prior is not None and make_prior_fn is not None:
            raise ValueError(
                "Pass either `prior` or `make_prior_fn`, not both. Received: "
                f"prior={prior!r}, make_prior_fn={make_prior_fn!r}"
            )
        self.prior = prior
        self.make_prior_fn = make_prior_fn
        self.make_posterior_fn = make_posterior_fn
        self._prior_factory = (
            priors.get(prior) if make_prior_fn is None
            else priors.get(make_prior_fn, "make_prior_fn"))
        self._posterior_factory = posteriors.get(make_posterior_fn)
        self.activation = _checks.check_activation("activation", activation)
        self.use_bias = _checks.check_bool("use_bias", use_bias)
        for name, fn in (("kernel_divergence_fn", kernel_divergence_fn),
                         ("bias_divergence_fn", bias_divergence_fn)):
            if fn is not None:
                _checks.check_callable(name, fn, "(q, p, sample) -> scalar", num_args=3)
        self.kernel_divergence_fn = kernel_divergence_fn
        self.bias_divergence_fn = bias_divergence_fn
        self.seed = _checks.check_seed("seed", seed)
        self.seed_generator = keras.random.SeedGenerator(self.seed)

    def _build_variational(self, input_shape, kernel_shape, bias_shape):
        """Make posterior, prior and KL weight for a kernel of `kernel_shape`;
        the bias (if any) takes `bias_shape`, which broadcasts against the
        outputs (e.g. `(filters, 1, 1)` for channels-first images)."""
        self.kernel_shape = tuple(kernel_shape)
        self._kernel_numel = math.prod(self.kernel_shape)
        self._bias_shape = tuple(bias_shape)
        self._bias_numel = math.prod(self._bias_shape) if self.use_bias else 0
        args = (self._kernel_numel, self._bias_numel, self.variable_dtype, self.kernel_shape)
        prior_name = "prior" if self.make_prior_fn is None else "make_prior_fn"
        # In name scopes, as TFP's: variable paths read .../posterior/... and .../prior/...
        with keras.name_scope("posterior"):
            self.posterior = _build(
                _make(self._posterior_factory, "make_posterior_fn", *args), input_shape)
        with keras.name_scope("prior"):
            self.prior_model = _build(_make(self._prior_factory, prior_name, *args), input_shape)
        add_kl_weight_variable(self)
        dummy_shape = (1,) + tuple(1 if d is None else d for d in input_shape[1:])
        self._check_distributions(ops.zeros(dummy_shape, self.compute_dtype))

    def _check_distributions(self, dummy):
        q = get_distribution(self.posterior(dummy), "make_posterior_fn(...)(inputs)")
        p = get_distribution(self.prior_model(dummy), "make_prior_fn(...)(inputs)")
        n = self._kernel_numel + self._bias_numel
        for name, d in (("make_posterior_fn", q), ("make_prior_fn", p)):
            if d.batch_shape.rank != 0 or d.event_shape.as_list() != [n]:
                raise ValueError(
                    f"`{name}` must give one distribution over the {n} = "
                    f"{self._kernel_numel} kernel + {self._bias_numel} bias weights "
                    f"(batch_shape [], event_shape [{n}]). Received: "
                    f"batch_shape {d.batch_shape}, event_shape {d.event_shape}"
                )
        if _estimators.BY_NAME[self.estimator].needs_normal and (
                _random.factorised_normal(q) is None):
            raise ValueError(
                f"estimator={self.estimator!r} needs a factorised Normal "
                "posterior (tfd.Independent(tfd.Normal) or "
                f"MultivariateNormalDiag). Received a {type(q).__name__}; use "
                "estimator='reparameterization' for it."
            )
        check_analytic(self.kl_use_exact, q, p)
        if self.kernel_divergence_fn is not None or self.bias_divergence_fn is not None:
            for name, d in (("posterior", q), ("prior", p)):
                if _split(d, self._kernel_numel) is None:
                    raise ValueError(
                        "`kernel_divergence_fn` / `bias_divergence_fn` need a "
                        f"factorised {name} (tfd.Independent over the weight "
                        f"vector) to split into kernel and bias. Received a "
                        f"{type(d).__name__}."
                    )

    def _variational_call(self, inputs, op, sign_shape=None):
        """`activation(op(inputs, kernel) + bias)` by the layer's estimator;
        adds the weighted KL as a layer loss. `sign_shape` maps a tensor to
        the shape of its Flipout signs (default: its own shape)."""
        q = get_distribution(self.posterior(inputs))
        p = get_distribution(self.prior_model(inputs))
        # Integer (and other) inputs compute in the layer's dtype, as in
        # `keras.layers.Dense`: casting the weights to an int input's dtype
        # would truncate them to zeros.
        x = ops.cast(inputs, self.compute_dtype)
        outputs, weights = _estimators.BY_NAME[self.estimator].flat(self, x, q, op, sign_shape)
        self.add_loss(self.kl_weight_variable * self._divergence(q, p, weights))
        return self.activation(outputs)

    def _divergence(self, q, p, weights):
        """KL(q || p) (or the TFP-style divergence functions), in float32."""
        if self.kernel_divergence_fn is not None or self.bias_divergence_fn is not None:
            return self._split_divergence(q, p, weights)
        return kl_divergence(
            q, p, lambda: _random.sample(q, self.seed_generator) if weights is None else weights,
            self.kl_use_exact)

    def _split_divergence(self, q, p, weights):
        k = self._kernel_numel
        parts = zip(_split(q, k), _split(p, k),
                    (None, None) if weights is None else (weights[:k], weights[k:]),
                    (self.kernel_divergence_fn, self.bias_divergence_fn),
                    strict=True)
        total = 0.0
        for q_part, p_part, w_part, fn in parts:
            if fn is not None and q_part is not None:
                total = total + fn(q_part, p_part, w_part)
        return total

    def _unflatten(self, flat, dtype):
        flat = ops.cast(flat, dtype)
        kernel = ops.reshape(flat[: self._kernel_numel], self.kernel_shape)
        bias = ops.reshape(flat[self._kernel_numel:], self._bias_shape) if self.use_bias else None
        return kernel, bias

    def get_config(self):
        config = super().get_config()
        config.update({
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
        for key in _FUNCTION_KEYS:
            if isinstance(config.get(key), dict):
                config[key] = deserialize_fn(config[key], custom_objects, safe_mode)
        return cls(**config)


def _make(factory, name, kernel_size, bias_size, dtype, kernel_shape):
    """Call the prior/posterior factory the user passed as `name`, passing
    `kernel_shape` to those that take it; what it returns must be callable."""
    try:
        takes_shape = "kernel_shape" in inspect.signature(factory).parameters
    except (TypeError, ValueError):
        takes_shape = False
    if takes_shape:
        made = factory(kernel_size, bias_size, dtype, kernel_shape=kernel_shape)
    else:
        made = factory(kernel_size, bias_size, dtype)
    if not callable(made):
        raise TypeError(
            f"`{name}(kernel_size, bias_size, dtype)` must return a callable "
            "(e.g. a Keras layer) mapping the inputs to a tfd.Distribution. "
            f"Received: {name}(...) returned {type(made).__name__}"
        )
    return made


def _build(part, input_shape):
    if isinstance(part, keras.Layer) and not part.built:
        part.build(input_shape)
    return part


def _split(distribution, k):
    """(kernel part, bias part) of a distribution factorised over the weight
    vector, slicing its underlying batch; None if it is not factorised."""
    # Static shapes only: this runs in graph mode, where a tensor-valued
    # `reinterpreted_batch_ndims` cannot be a Python condition.
    if not isinstance(distribution, tfd.Independent):
        return None
    base = distribution.distribution
    if distribution.event_shape.rank != 1 or base.batch_shape.rank != 1:
        return None
    n = base.batch_shape[-1]
    kernel = tfd.Independent(base[..., :k], 1)
    bias = tfd.Independent(base[..., k:], 1) if n > k else None
    return kernel, bias
