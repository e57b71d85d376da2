"""Variational dense layers (Bayes by Backprop) and their `tfp.layers` names."""

import keras
from keras import ops

from tfbsl import _checks
from tfbsl.layers._variational import ESTIMATORS, _Variational, fixed_estimator  # noqa: F401


@keras.saving.register_keras_serializable(package="tfbsl")
class DenseVariational(_Variational):
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
        super().__init__(
            make_posterior_fn, make_prior_fn, kl_weight, kl_use_exact,
            activation, use_bias, estimator=estimator, prior=prior, seed=seed,
            kernel_divergence_fn=kernel_divergence_fn,
            bias_divergence_fn=bias_divergence_fn,
            activity_regularizer=activity_regularizer, **kwargs)
        self.units = _checks.check_positive_int("units", units)

    def build(self, input_shape):
        input_dim = _checks.check_known_last_dim("inputs", input_shape)
        # Keras then checks every later call's width and rank, naming the layer.
        self.input_spec = keras.InputSpec(min_ndim=2, axes={-1: input_dim})
        self._build_variational(input_shape, (input_dim, self.units), (self.units,))
        self.kernel_size = self._kernel_numel  # tfp.layers' names
        self.bias_size = self._bias_numel

    def call(self, inputs):
        return self._variational_call(inputs, ops.matmul)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self):
        config = super().get_config()
        config["units"] = self.units
        return config


class _NamedVariant(DenseVariational):
    """`DenseVariational` with a fixed estimator and `tfp.layers`' positional
    order `(units, activation, activity_regularizer, trainable, ...)`."""

    _estimator = None

    def __init__(self, units, activation=None, activity_regularizer=None,
                 trainable=True, **kwargs):
        super().__init__(
            units, activation=activation, activity_regularizer=activity_regularizer,
            trainable=trainable, estimator=fixed_estimator(type(self), self._estimator, kwargs),
            **kwargs)


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
