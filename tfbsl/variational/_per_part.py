"""The engine of the `tfp.layers`-named variational layers (`DenseFlipout`,
`Convolution2DReparameterization`, ...): TFP's per-part semantics.

As in `tfp.layers`, the kernel and the bias each have a posterior and a prior
made by the user's `*_posterior_fn` / `*_prior_fn(dtype, shape, name,
trainable, add_variable_fn)`, exposed after build as `kernel_posterior`,
`kernel_prior`, `bias_posterior`, `bias_prior`; `*_posterior_tensor_fn`
turns a posterior into the tensor used; each `*_divergence_fn(q, p, tensor)`
adds a loss. The defaults are TFP's: a mean-field Normal kernel with scales
near 0.049, a point-estimate bias, a N(0, 1) kernel prior, no bias prior, the
exact KL, unweighted. One estimator object per layer class (the kernel's
draw), sharing tfbsl's noise and operator with the generic layers.

tfbsl's additions, keyword-only: `kl_weight` (multiplies every divergence;
driven by `tfbsl.callbacks.KLAnnealing`) and `seed` (every layer; TFP's Flipout
layers have it). The distributions are made once, at build, outside any graph
being traced (`tf.init_scope`), so that their tensors serve every later graph.
"""

import keras
from keras import ops

from tfbsl import _checks, _random
from tfbsl._backend import impl, require_tensorflow, tfp
from tfbsl._serialization import deserialize_fn, serialize_fn
from tfbsl._tracking import keras_variables
from tfbsl.variational import _estimators, util
from tfbsl.variational._kl import add_kl_weight_variable, check_kl_weight, describe

tfd = tfp.distributions

_FN_ARGS = (
    "kernel_posterior_fn", "kernel_posterior_tensor_fn", "kernel_prior_fn",
    "kernel_divergence_fn", "bias_posterior_fn", "bias_posterior_tensor_fn",
    "bias_prior_fn", "bias_divergence_fn",
)
_FACTORY = "(dtype, shape, name, trainable, add_variable_fn) -> tfd.Distribution"
_SIGNATURES = {
    "posterior_fn": (_FACTORY, 5), "prior_fn": (_FACTORY, 5),
    "posterior_tensor_fn": ("(distribution) -> tensor", 1),
    "divergence_fn": ("(q, p, posterior_tensor) -> scalar", 3),
}
# tfbsl's generic layers' arguments, and where TFP's layers say the same.
_GENERIC_ONLY = {
    "make_posterior_fn": "kernel_posterior_fn= / bias_posterior_fn=",
    "make_prior_fn": "kernel_prior_fn= / bias_prior_fn=",
    "prior": "kernel_prior_fn= / bias_prior_fn=",
    "estimator": "the layer of that estimator's name",
    "kl_use_exact": "kernel_divergence_fn=",
    "use_bias": "bias_posterior_fn=None",
}


class PerPartVariational(keras.Layer):
    """Base of the `tfp.layers`-named variational layers. A subclass sets
    `estimator` (an object of `_estimators`) and calls `_build_parts(kernel_shape,
    bias_shape)` in `build` and `_call_parts(inputs, op, sign_shape)` in
    `call`."""

    estimator = _estimators.Reparameterization()

    def __init__(self, activation=None, activity_regularizer=None, trainable=True,
                 kernel_posterior_fn=util.DEFAULT_KERNEL_POSTERIOR_FN,
                 kernel_posterior_tensor_fn=util.sample,
                 kernel_prior_fn=util.default_multivariate_normal_fn,
                 kernel_divergence_fn=util.kl_divergence,
                 bias_posterior_fn=util.DEFAULT_BIAS_POSTERIOR_FN,
                 bias_posterior_tensor_fn=util.sample, bias_prior_fn=None,
                 bias_divergence_fn=util.kl_divergence, *, seed=None,
                 kl_weight=None, **kwargs):
        # TFP's factories make `tf.Variable`-backed distributions (DeferredTensor).
        require_tensorflow(f"`{type(self).__name__}` (TFP's per-part layer)",
                           instead="`DenseVariational` / `Conv2DVariational` with `estimator=`")
        for name, instead in _GENERIC_ONLY.items():
            if name in kwargs:
                raise TypeError(
                    f"`{type(self).__name__}` takes `tfp.layers`' per-part "
                    f"arguments: use `{instead}`, or tfbsl's generic "
                    "`DenseVariational` / `Conv2DVariational` (...), which take "
                    f"`{name}`. Received: {name}={kwargs[name]!r}"
                )
        super().__init__(activity_regularizer=activity_regularizer, trainable=trainable,
                         **kwargs)
        self.activation = _checks.check_activation("activation", activation)
        given = dict(zip(_FN_ARGS, (
            kernel_posterior_fn, kernel_posterior_tensor_fn, kernel_prior_fn,
            kernel_divergence_fn, bias_posterior_fn, bias_posterior_tensor_fn,
            bias_prior_fn, bias_divergence_fn), strict=True))
        for name, fn in given.items():
            if fn is not None:
                signature, num_args = _SIGNATURES[name.split("_", 1)[1]]
                _checks.check_callable(name, fn, signature, num_args=num_args)
            setattr(self, name, fn)
        self.kl_weight = check_kl_weight(kl_weight)
        self.seed = _checks.check_seed("seed", seed)
        self.seed_generator = keras.random.SeedGenerator(self.seed)

    def _build_parts(self, kernel_shape, bias_shape, bias_broadcast_shape=None):
        """Make the four distributions (`None` where the factory is None); the
        bias, of `bias_shape` (TFP's: `(units,)`, `(filters,)`), is reshaped
        to `bias_broadcast_shape` to add it (channels-first convolutions)."""
        self._bias_broadcast_shape = tuple(bias_broadcast_shape or bias_shape)
        # Outside any graph being traced (Keras builds inside a scratch graph
        # or a `tf.function`): tensors the factories make, such as the
        # prior's zeros, must serve every later graph.
        with impl.init_scope():
            for part, shape in (("kernel", tuple(kernel_shape)), ("bias", tuple(bias_shape))):
                for kind in ("posterior", "prior"):
                    name = f"{part}_{kind}"
                    setattr(self, name, self._make(f"{name}_fn", shape, name))
        if self.kernel_posterior is None:
            raise ValueError(
                "`kernel_posterior_fn` must make the kernel's posterior. "
                "Received: kernel_posterior_fn=None"
            )
        if self.estimator.needs_normal and not _is_independent_normal(
                self.kernel_posterior):
            raise TypeError(
                f"`{type(self).__name__}` needs `kernel_posterior_fn` to make a "
                "`tfd.Independent(tfd.Normal)` (as TFP's). Received: a "
                f"{describe(self.kernel_posterior)}; use the Reparameterization "
                "layer for other posteriors."
            )
        add_kl_weight_variable(self)

    def _make(self, fn_name, shape, name):
        fn = getattr(self, fn_name)
        if fn is None:
            return None
        distribution = fn(impl.as_dtype(self.variable_dtype), shape, name, self.trainable,
                          self._add_variable)
        if not isinstance(distribution, tfd.Distribution):
            raise TypeError(
                f"`{fn_name}` must return a `tfd.Distribution`. Received: a "
                f"return value of type {type(distribution).__name__}"
            )
        self._track_factory_variables(distribution)
        return distribution

    def _track_factory_variables(self, distribution):
        """A `tf.Variable` a factory made itself (not through
        `add_variable_fn`) trains and saves with the layer, once if the
        kernel's and the bias' distributions share it."""
        found = [v for v in keras_variables(distribution)
                 if not any(v is w for w in self.weights)]
        if found:
            self._factory_variables = list(getattr(self, "_factory_variables", [])) + found

    def _add_variable(self, name=None, shape=None, dtype=None, initializer=None,
                      regularizer=None, trainable=True, constraint=None, **kwargs):
        """TFP's `add_variable_fn` (tf_keras' `add_weight` keywords): a weight
        of this layer, handed to TFP as a `WeightRef` (`tfbsl/_backend/tensorflow.py`)."""
        # Not autocast: TFP holds the weight in its own dtype (a
        # `DeferredTensor` refuses another); the estimators cast the draws.
        kwargs.setdefault("autocast", False)
        weight = self.add_weight(
            shape=shape, initializer=initializer, dtype=dtype, trainable=trainable,
            regularizer=regularizer, constraint=constraint, name=name, **kwargs)
        return impl.WeightRef(weight)

    def posterior_tensor(self, fn, distribution):
        """`fn(distribution)`, TFP's default `sample` drawn from the layer's seed."""
        if _estimators.is_default_sample(fn):
            return _random.sample(distribution, self.seed_generator)
        return fn(distribution)

    def _call_parts(self, inputs, op, sign_shape=None):
        x = ops.cast(inputs, self.compute_dtype)
        outputs, kernel_tensor = self.estimator.parts(self, x, op, sign_shape)
        bias_tensor = None
        if self.bias_posterior is not None:
            bias_tensor = self.posterior_tensor(self.bias_posterior_tensor_fn, self.bias_posterior)
            outputs = outputs + ops.reshape(
                ops.cast(bias_tensor, outputs.dtype), self._bias_broadcast_shape)
        # TFP's attributes: the tensors of the last call (None where the
        # estimator draws no kernel).
        self.kernel_posterior_tensor, self.bias_posterior_tensor = kernel_tensor, bias_tensor
        outputs = self.activation(outputs)
        for part, tensor in (("kernel", kernel_tensor), ("bias", bias_tensor)):
            fn = getattr(self, f"{part}_divergence_fn")
            q, p = getattr(self, f"{part}_posterior"), getattr(self, f"{part}_prior")
            if fn is not None and q is not None and p is not None:
                self.add_loss(self.kl_weight_variable * ops.cast(fn(q, p, tensor), "float32"))
        return outputs

    def get_config(self):
        config = super().get_config()
        config.update({name: serialize_fn(getattr(self, name)) for name in _FN_ARGS})
        config.update({
            "activation": keras.activations.serialize(self.activation),
            "seed": self.seed,
            "kl_weight": self.kl_weight,
        })
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None, safe_mode=None):
        config = dict(config)
        for key in _FN_ARGS:
            if isinstance(config.get(key), dict):
                config[key] = deserialize_fn(config[key], custom_objects, safe_mode)
        return cls(**config)


def _is_independent_normal(distribution):
    return (isinstance(distribution, tfd.Independent)
            and isinstance(distribution.distribution, tfd.Normal))
