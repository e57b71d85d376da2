"""Variational dense layers (Bayes by Backprop): tfbsl's `DenseVariational`
and the `tfp.layers` twins with TFP's per-part semantics."""

import keras
from keras import ops

from tfbsl import _checks
from tfbsl.variational import util
from tfbsl.variational._base import _Variational
from tfbsl.variational._estimators import Flipout, LocalReparameterization, Reparameterization
from tfbsl.variational._per_part import PerPartVariational

__all__ = [
    "DenseFlipout",
    "DenseLocalReparameterization",
    "DenseReparameterization",
    "DenseVariational",
]


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

    The positional order is `tfp.layers.DenseVariational`'s (`units,
    make_posterior_fn, make_prior_fn, kl_weight, kl_use_exact, activation,
    use_bias, activity_regularizer`), so the TFP tutorial's
    `DenseVariational(units, posterior, prior, kl_weight=...)` runs
    unchanged; tfbsl's arguments are keyword-only. Defaults that differ from
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
            `{"fan_in", "normal", "scale_mixture", "trainable"}`; exclusive with
            `make_prior_fn`.
        seed: int seeding the layer's `keras.random.SeedGenerator`.
        kernel_divergence_fn: TFP-style `fn(q, p, sample) -> scalar`
            replacing the KL term for the kernel.
        bias_divergence_fn: the same for the bias (given
            `kernel_divergence_fn`, a bias without one adds no divergence, as
            in TFP).
        activity_regularizer: Keras regularizer on the outputs.

    Input shape:
        `(batch, ..., input_dim)`: at least 2-D.

    Output shape:
        `(batch, ..., units)`.

    Raises:
        ValueError: a bad `units`, `estimator`, `kl_weight` or
            `kl_use_exact`; both `prior` and `make_prior_fn`; one of TFP's
            per-part arguments (`kernel_posterior_fn`, ...); at build,
            `kl_use_exact=True` for a pair with no analytic KL or an input
            whose last dimension is unknown.
        TypeError: a factory that returns no `tfd.Distribution`, or a Flipout
            or local-reparameterization posterior that is not a factorised
            Normal.

    References:
        Blundell, Cornebise, Kavukcuoglu, Wierstra (2015). "Weight
        Uncertainty in Neural Networks". https://arxiv.org/abs/1505.05424

        Wen, Vicol, Ba, Tran, Grosse (2018). "Flipout: Efficient
        Pseudo-Independent Weight Perturbations on Mini-Batches".
        https://arxiv.org/abs/1803.04386

        Kingma, Salimans, Welling (2015). "Variational Dropout and the Local
        Reparameterization Trick". https://arxiv.org/abs/1506.02557

    Example:
    ```pycon
    >>> n = 64  # training examples
    >>> x = np.linspace(-1, 1, n, dtype="float32")[:, None]
    >>> model = keras.Sequential([
    ...     keras.Input((1,)),
    ...     tfbsl.layers.DenseVariational(16, activation="relu", kl_weight=1 / n),
    ...     tfbsl.layers.DenseVariational(1, kl_weight=1 / n, estimator="flipout"),
    ... ])
    >>> model.compile("adam", "mse")
    >>> history = model.fit(x, 2 * x, epochs=1, verbose=0)
    >>> x_test = x[:5]
    >>> pred = tfbsl.predict_mc(model, x_test, num_samples=20)
    >>> pred.mean.shape, pred.stddev.shape
    ((5, 1), (5, 1))

    ```
    """

    def __init__(self, units, make_posterior_fn=None, make_prior_fn=None,
                 kl_weight=None, kl_use_exact=None, activation=None,
                 use_bias=True, activity_regularizer=None, *,
                 estimator="reparameterization", prior=None, seed=None,
                 kernel_divergence_fn=None, bias_divergence_fn=None, **kwargs):
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




class _PerPartDense(PerPartVariational):
    """`tfp.layers`' dense layers: `(units, activation, activity_regularizer,
    trainable, kernel_posterior_fn, ...)` with TFP's per-part semantics."""

    def __init__(self, units, activation=None, activity_regularizer=None, trainable=True,
                 kernel_posterior_fn=util.DEFAULT_KERNEL_POSTERIOR_FN,
                 kernel_posterior_tensor_fn=util.sample,
                 kernel_prior_fn=util.default_multivariate_normal_fn,
                 kernel_divergence_fn=util.kl_divergence,
                 bias_posterior_fn=util.DEFAULT_BIAS_POSTERIOR_FN,
                 bias_posterior_tensor_fn=util.sample, bias_prior_fn=None,
                 bias_divergence_fn=util.kl_divergence, **kwargs):
        super().__init__(
            activation, activity_regularizer, trainable, kernel_posterior_fn,
            kernel_posterior_tensor_fn, kernel_prior_fn, kernel_divergence_fn,
            bias_posterior_fn, bias_posterior_tensor_fn, bias_prior_fn,
            bias_divergence_fn, **kwargs)
        self.units = _checks.check_positive_int("units", units)

    def build(self, input_shape):
        input_dim = _checks.check_known_last_dim("inputs", input_shape)
        self.input_spec = keras.InputSpec(min_ndim=2, axes={-1: input_dim})
        self._build_parts((input_dim, self.units), (self.units,))

    def call(self, inputs):
        return self._call_parts(inputs, ops.matmul)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self):
        return {**super().get_config(), "units": self.units}


@keras.saving.register_keras_serializable(package="tfbsl")
class DenseReparameterization(_PerPartDense):
    """`tfp.layers.DenseReparameterization` for Keras 3: a dense layer
    whose kernel (and bias) are drawn from their posteriors at each call
    (Kingma & Welling 2014; Blundell et al. 2015), with TFP's arguments,
    defaults and losses.

    Args:
        units: positive int, output size.
        activation: Keras activation.
        activity_regularizer: Keras regularizer on the outputs.
        trainable: whether the weights train.
        kernel_posterior_fn: `fn(dtype, shape, name, trainable,
            add_variable_fn) -> tfd.Distribution` over the kernel (default
            `default_mean_field_normal_fn()`: scales near 0.049).
        kernel_posterior_tensor_fn: `fn(distribution) -> tensor` (default a
            sample).
        kernel_prior_fn: as `kernel_posterior_fn`, for the prior (default
            `default_multivariate_normal_fn`, N(0, 1)); None: no prior, no KL.
        kernel_divergence_fn: `fn(q, p, kernel_tensor) -> scalar` added as a
            layer loss (default the exact `tfd.kl_divergence(q, p)`, not
            divided by the data size: pass `lambda q, p, _:
            tfd.kl_divergence(q, p) / n`, or `kl_weight=1 / n`).
        bias_posterior_fn: as `kernel_posterior_fn` (default a point
            estimate, `default_mean_field_normal_fn(is_singular=True)`);
            None: no bias.
        bias_posterior_tensor_fn: as `kernel_posterior_tensor_fn`, for the bias.
        bias_prior_fn: as `kernel_prior_fn`, for the bias (default None: no
            prior, no KL).
        bias_divergence_fn: as `kernel_divergence_fn`, for the bias.
        seed: keyword, an int seeding the layer's draws.
        kl_weight: keyword (tfbsl), a float >= 0 multiplying every divergence.

    Input shape:
        `(batch, ..., input_dim)`: at least 2-D.

    Output shape:
        `(batch, ..., units)`.

    Raises:
        TypeError: a factory returning no `tfd.Distribution`, a Flipout or
            local-reparameterization kernel posterior other than
            `Independent(Normal)`, or one of tfbsl's generic arguments
            (`make_posterior_fn`, `prior`, `estimator`, ...).
        RuntimeError: on a Keras backend other than TensorFlow.

    References:
        TensorFlow Probability, `tfp.layers.DenseReparameterization`:
        https://www.tensorflow.org/probability/api_docs/python/tfp/layers/DenseReparameterization

        Blundell, Cornebise, Kavukcuoglu, Wierstra (2015). "Weight
        Uncertainty in Neural Networks". https://arxiv.org/abs/1505.05424

    Example:
    ```pycon
    >>> layer = tfbsl.layers.DenseReparameterization(3, activation="relu")
    >>> tuple(layer(np.ones((2, 4), "float32")).shape)
    (2, 3)
    >>> type(layer.kernel_posterior).__name__, type(layer.bias_posterior).__name__
    ('Independent', 'Independent')

    ```
    """

    estimator = Reparameterization()


@keras.saving.register_keras_serializable(package="tfbsl")
class DenseFlipout(_PerPartDense):
    """`tfp.layers.DenseFlipout` for Keras 3: the kernel's noise is
    decorrelated across examples by random sign flips (Wen et al. 2018,
    "Flipout", https://arxiv.org/abs/1803.04386), with TFP's arguments,
    defaults and losses. The kernel posterior must be `Independent(Normal)`.

    Args:
        units: positive int, output size.
        activation: Keras activation.
        activity_regularizer: Keras regularizer on the outputs.
        trainable: whether the weights train.
        kernel_posterior_fn: `fn(dtype, shape, name, trainable,
            add_variable_fn) -> tfd.Distribution` over the kernel (default
            `default_mean_field_normal_fn()`: scales near 0.049).
        kernel_posterior_tensor_fn: `fn(distribution) -> tensor` (default a
            sample).
        kernel_prior_fn: as `kernel_posterior_fn`, for the prior (default
            `default_multivariate_normal_fn`, N(0, 1)); None: no prior, no KL.
        kernel_divergence_fn: `fn(q, p, kernel_tensor) -> scalar` added as a
            layer loss (default the exact `tfd.kl_divergence(q, p)`, not
            divided by the data size: pass `lambda q, p, _:
            tfd.kl_divergence(q, p) / n`, or `kl_weight=1 / n`).
        bias_posterior_fn: as `kernel_posterior_fn` (default a point
            estimate, `default_mean_field_normal_fn(is_singular=True)`);
            None: no bias.
        bias_posterior_tensor_fn: as `kernel_posterior_tensor_fn`, for the bias.
        bias_prior_fn: as `kernel_prior_fn`, for the bias (default None: no
            prior, no KL).
        bias_divergence_fn: as `kernel_divergence_fn`, for the bias.
        seed: after `bias_divergence_fn`, as in TFP, an int seeding the layer's draws.
        kl_weight: keyword (tfbsl), a float >= 0 multiplying every divergence.

    Input shape:
        `(batch, ..., input_dim)`: at least 2-D.

    Output shape:
        `(batch, ..., units)`.

    Raises:
        TypeError: a factory returning no `tfd.Distribution`, a Flipout or
            local-reparameterization kernel posterior other than
            `Independent(Normal)`, or one of tfbsl's generic arguments
            (`make_posterior_fn`, `prior`, `estimator`, ...).
        RuntimeError: on a Keras backend other than TensorFlow.

    References:
        TensorFlow Probability, `tfp.layers.DenseFlipout`:
        https://www.tensorflow.org/probability/api_docs/python/tfp/layers/DenseFlipout

        Wen, Vicol, Ba, Tran, Grosse (2018). "Flipout: Efficient
        Pseudo-Independent Weight Perturbations on Mini-Batches".
        https://arxiv.org/abs/1803.04386

    Example:
    ```pycon
    >>> n = 100  # training examples
    >>> layer = tfbsl.layers.DenseFlipout(
    ...     3, kernel_divergence_fn=lambda q, p, _: tfd.kl_divergence(q, p) / n)
    >>> tuple(layer(np.ones((2, 4), "float32")).shape)
    (2, 3)

    ```
    """

    def __init__(self, units, activation=None, activity_regularizer=None, trainable=True,
                 kernel_posterior_fn=util.DEFAULT_KERNEL_POSTERIOR_FN,
                 kernel_posterior_tensor_fn=util.sample,
                 kernel_prior_fn=util.default_multivariate_normal_fn,
                 kernel_divergence_fn=util.kl_divergence,
                 bias_posterior_fn=util.DEFAULT_BIAS_POSTERIOR_FN,
                 bias_posterior_tensor_fn=util.sample, bias_prior_fn=None,
                 bias_divergence_fn=util.kl_divergence, seed=None, **kwargs):
        super().__init__(
            units, activation, activity_regularizer, trainable, kernel_posterior_fn,
            kernel_posterior_tensor_fn, kernel_prior_fn, kernel_divergence_fn,
            bias_posterior_fn, bias_posterior_tensor_fn, bias_prior_fn,
            bias_divergence_fn, seed=seed, **kwargs)

    estimator = Flipout()


@keras.saving.register_keras_serializable(package="tfbsl")
class DenseLocalReparameterization(_PerPartDense):
    """`tfp.layers.DenseLocalReparameterization` for Keras 3: the
    pre-activations are drawn from their Gaussian, independently per example
    (Kingma et al. 2015, "Variational Dropout and the Local Reparameterization
    Trick", https://arxiv.org/abs/1506.02557), with TFP's arguments, defaults
    and losses. The kernel posterior must be `Independent(Normal)`.

    Args:
        units: positive int, output size.
        activation: Keras activation.
        activity_regularizer: Keras regularizer on the outputs.
        trainable: whether the weights train.
        kernel_posterior_fn: `fn(dtype, shape, name, trainable,
            add_variable_fn) -> tfd.Distribution` over the kernel (default
            `default_mean_field_normal_fn()`: scales near 0.049).
        kernel_posterior_tensor_fn: `fn(distribution) -> tensor` (default a
            sample).
        kernel_prior_fn: as `kernel_posterior_fn`, for the prior (default
            `default_multivariate_normal_fn`, N(0, 1)); None: no prior, no KL.
        kernel_divergence_fn: `fn(q, p, kernel_tensor) -> scalar` added as a
            layer loss (default the exact `tfd.kl_divergence(q, p)`, not
            divided by the data size: pass `lambda q, p, _:
            tfd.kl_divergence(q, p) / n`, or `kl_weight=1 / n`).
        bias_posterior_fn: as `kernel_posterior_fn` (default a point
            estimate, `default_mean_field_normal_fn(is_singular=True)`);
            None: no bias.
        bias_posterior_tensor_fn: as `kernel_posterior_tensor_fn`, for the bias.
        bias_prior_fn: as `kernel_prior_fn`, for the bias (default None: no
            prior, no KL).
        bias_divergence_fn: as `kernel_divergence_fn`, for the bias.
        seed: keyword, an int seeding the layer's draws.
        kl_weight: keyword (tfbsl), a float >= 0 multiplying every divergence.

    Input shape:
        `(batch, ..., input_dim)`: at least 2-D.

    Output shape:
        `(batch, ..., units)`.

    Raises:
        TypeError: a factory returning no `tfd.Distribution`, a Flipout or
            local-reparameterization kernel posterior other than
            `Independent(Normal)`, or one of tfbsl's generic arguments
            (`make_posterior_fn`, `prior`, `estimator`, ...).
        RuntimeError: on a Keras backend other than TensorFlow.

    References:
        TensorFlow Probability, `tfp.layers.DenseLocalReparameterization`:
        https://www.tensorflow.org/probability/api_docs/python/tfp/layers/DenseLocalReparameterization

        Kingma, Salimans, Welling (2015). "Variational Dropout and the Local
        Reparameterization Trick". https://arxiv.org/abs/1506.02557

    Example:
    ```pycon
    >>> layer = tfbsl.layers.DenseLocalReparameterization(3)
    >>> tuple(layer(np.ones((2, 4), "float32")).shape)
    (2, 3)

    ```
    """

    estimator = LocalReparameterization()
