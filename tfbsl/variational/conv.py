"""Variational convolution layers: tfbsl's `Conv{1,2,3}DVariational`,
`Conv2DTransposeVariational`, and the `tfp.layers` twins
(`Convolution2DFlipout`, ...) with TFP's per-part semantics.

tfbsl's share posteriors, priors, estimators, KL and config with
`DenseVariational` (through `tfbsl.variational._base`), the twins TFP's
per-part engine (`tfbsl.variational._per_part`) with the dense twins; both hold a
`ConvGeometry`, so only the linear operator differs from the dense layers:
a convolution (or a transposed convolution) instead of a matmul. Flipout
signs are drawn per example and channel and shared over the spatial
positions, as `tfp.layers.Convolution2DFlipout` does, which keeps the
perturbation a convolution.
"""

import keras

from tfbsl.variational import util
from tfbsl.variational._base import _Variational
from tfbsl.variational._conv_geometry import ConvGeometry
from tfbsl.variational._estimators import Flipout, LocalReparameterization, Reparameterization
from tfbsl.variational._per_part import PerPartVariational

__all__ = [
    "Conv1DVariational",
    "Conv2DTransposeVariational",
    "Conv2DVariational",
    "Conv3DVariational",
    "Convolution1DFlipout",
    "Convolution1DLocalReparameterization",
    "Convolution1DReparameterization",
    "Convolution2DFlipout",
    "Convolution2DLocalReparameterization",
    "Convolution2DReparameterization",
    "Convolution3DFlipout",
    "Convolution3DLocalReparameterization",
    "Convolution3DReparameterization",
]


class _ConvVariationalBase(_Variational):
    """Shared by the N-D convolutions and the transposed ones: a
    `ConvGeometry` supplies the operator and the shapes."""

    _transpose = False

    def __init__(self, rank, filters, kernel_size, strides=1, padding="valid",
                 data_format=None, dilation_rate=1, groups=1, activation=None,
                 use_bias=True, output_padding=None, *, make_posterior_fn=None,
                 make_prior_fn=None, kl_weight=None, kl_use_exact=None,
                 estimator="reparameterization", prior=None, seed=None,
                 kernel_divergence_fn=None, bias_divergence_fn=None,
                 activity_regularizer=None, **kwargs):
        super().__init__(
            make_posterior_fn, make_prior_fn, kl_weight, kl_use_exact,
            activation, use_bias, estimator=estimator, prior=prior, seed=seed,
            kernel_divergence_fn=kernel_divergence_fn,
            bias_divergence_fn=bias_divergence_fn,
            activity_regularizer=activity_regularizer, **kwargs)
        self.geometry = ConvGeometry(
            rank, filters, kernel_size, strides, padding, data_format,
            dilation_rate, groups, output_padding, transpose=self._transpose)
        for name in ("rank", "filters", "kernel_size", "strides", "padding",
                     "data_format", "dilation_rate", "groups", "output_padding"):
            setattr(self, name, getattr(self.geometry, name))
        self.input_spec = self.geometry.input_spec()

    def build(self, input_shape):
        kernel_shape = self.geometry.kernel_shape(input_shape)
        self.input_spec = self.geometry.input_spec(input_shape)
        self._build_variational(input_shape, kernel_shape, self.geometry.bias_shape())

    def call(self, inputs):
        return self._variational_call(inputs, self.geometry.op, self.geometry.sign_shape)

    def compute_output_shape(self, input_shape):
        return self.geometry.output_shape(input_shape)

    def get_config(self):
        return {**super().get_config(), **self.geometry.get_config()}


@keras.saving.register_keras_serializable(package="tfbsl")
class Conv1DVariational(_ConvVariationalBase):
    """1-D convolution with a random kernel and bias, learned by
    variational inference (Bayes by Backprop).

    Each call draws anew (in training and inference), adds
    `kl_weight * KL(q || p)` with `self.add_loss` and returns
    `activation(conv(x, kernel) + bias)`; see `DenseVariational` for the
    posterior/prior protocol and the KL (analytic where `tfd.kl_divergence`
    knows the pair, else Monte Carlo; local reparameterization draws no
    weights and uses the analytic KL, or a separate weight draw for Monte
    Carlo). The posterior factory receives `kernel_shape`, so
    `MeanFieldNormal` starts the kernel means like a Keras conv kernel.

    Args:
        filters: positive int, number of output channels.
        kernel_size: positive int or 1-tuple of a positive int.
        strides: positive int or 1-tuple (default 1).
        padding: `"valid"` or `"same"` (and `"causal"`), any case.
        data_format: `"channels_last"` or `"channels_first"` (default: Keras'
            `image_data_format()`; TFP's default is `"channels_last"`).
        dilation_rate: positive int or 1-tuple (default 1).
        groups: positive int dividing the input channels and `filters`.
        activation: Keras activation.
        use_bias: whether the layer has a (random) bias.
        make_posterior_fn: keyword-only; the posterior factory, as in
            `DenseVariational` (default `tfbsl.posteriors.MeanFieldNormal()`).
        make_prior_fn: keyword-only; the prior factory, as in
            `DenseVariational` (default N(0, 1)).
        kl_weight: keyword-only; float >= 0 multiplying the KL term (None
            means 1), as in `DenseVariational`.
        kl_use_exact: keyword-only; `None` analytic when available else Monte
            Carlo, `True` analytic, `False` Monte Carlo.
        estimator: keyword-only; `"reparameterization"`, `"flipout"` or
            `"local_reparameterization"`.
        prior: keyword-only; a prior factory (see `tfbsl.priors`) or its name,
            exclusive with `make_prior_fn`.
        seed: keyword-only; int seeding the layer's `keras.random.SeedGenerator`.
        kernel_divergence_fn: keyword-only; TFP-style `fn(q, p, sample) ->
            scalar` replacing the kernel's KL term.
        bias_divergence_fn: keyword-only; the same for the bias.
        activity_regularizer: keyword-only; Keras regularizer on the outputs.

    Input shape:
        `(batch, steps, channels)` (`channels_last`) or `(batch, channels, steps)`
        (`channels_first`).

    Output shape:
        `(batch, new_steps, filters)` or `(batch, filters, new_steps)`, as
        `keras.layers.Conv1D` computes them.

    Raises:
        ValueError: a bad `filters`, `kernel_size`, `strides`, `padding`,
            `data_format`, `dilation_rate`, `groups`, `estimator`,
            `kl_weight` or `kl_use_exact`; both `prior` and `make_prior_fn`;
            one of TFP's per-part arguments (`kernel_posterior_fn`, ...); an
            input too small for the kernel.

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
    >>> layer = tfbsl.layers.Conv1DVariational(8, 3, estimator="flipout", kl_weight=1 / 100)
    >>> tuple(layer(np.ones((2, 10, 4), "float32")).shape)
    (2, 8, 8)
    >>> len(layer.losses)  # the weighted KL, one per call
    1

    ```
    """

    def __init__(self, filters, kernel_size, strides=1, padding="valid",
                 data_format=None, dilation_rate=1, groups=1, activation=None,
                 use_bias=True, **kwargs):
        super().__init__(1, filters, kernel_size, strides, padding, data_format,
                         dilation_rate, groups, activation, use_bias, **kwargs)


@keras.saving.register_keras_serializable(package="tfbsl")
class Conv2DVariational(_ConvVariationalBase):
    """2-D convolution with a random kernel and bias, learned by
    variational inference (Bayes by Backprop; e.g. a Bayesian CNN).

    Each call draws anew (in training and inference), adds
    `kl_weight * KL(q || p)` with `self.add_loss` and returns
    `activation(conv(x, kernel) + bias)`; see `DenseVariational` for the
    posterior/prior protocol and the KL (analytic where `tfd.kl_divergence`
    knows the pair, else Monte Carlo; local reparameterization draws no
    weights and uses the analytic KL, or a separate weight draw for Monte
    Carlo). The posterior factory receives `kernel_shape`, so
    `MeanFieldNormal` starts the kernel means like a Keras conv kernel.

    Args:
        filters: positive int, number of output channels.
        kernel_size: positive int or tuple of 2 positive ints.
        strides: positive int or tuple of 2 (default 1).
        padding: `"valid"` or `"same"`, any case.
        data_format: `"channels_last"` or `"channels_first"` (default: Keras'
            `image_data_format()`; TFP's default is `"channels_last"`).
        dilation_rate: positive int or tuple of 2 (default 1).
        groups: positive int dividing the input channels and `filters`.
        activation: Keras activation.
        use_bias: whether the layer has a (random) bias.
        make_posterior_fn: keyword-only; the posterior factory, as in
            `DenseVariational` (default `tfbsl.posteriors.MeanFieldNormal()`).
        make_prior_fn: keyword-only; the prior factory, as in
            `DenseVariational` (default N(0, 1)).
        kl_weight: keyword-only; float >= 0 multiplying the KL term (None
            means 1), as in `DenseVariational`.
        kl_use_exact: keyword-only; `None` analytic when available else Monte
            Carlo, `True` analytic, `False` Monte Carlo.
        estimator: keyword-only; `"reparameterization"`, `"flipout"` or
            `"local_reparameterization"`.
        prior: keyword-only; a prior factory (see `tfbsl.priors`) or its name,
            exclusive with `make_prior_fn`.
        seed: keyword-only; int seeding the layer's `keras.random.SeedGenerator`.
        kernel_divergence_fn: keyword-only; TFP-style `fn(q, p, sample) ->
            scalar` replacing the kernel's KL term.
        bias_divergence_fn: keyword-only; the same for the bias.
        activity_regularizer: keyword-only; Keras regularizer on the outputs.

    Input shape:
        `(batch, d1, d2, channels)` (`channels_last`) or `(batch, channels, d1, d2)`
        (`channels_first`).

    Output shape:
        `(batch, new_d1, new_d2, filters)` or `(batch, filters, new_d1, new_d2)`, as
        `keras.layers.Conv2D` computes them.

    Raises:
        ValueError: a bad `filters`, `kernel_size`, `strides`, `padding`,
            `data_format`, `dilation_rate`, `groups`, `estimator`,
            `kl_weight` or `kl_use_exact`; both `prior` and `make_prior_fn`;
            one of TFP's per-part arguments (`kernel_posterior_fn`, ...); an
            input too small for the kernel.

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
    >>> layer = tfbsl.layers.Conv2DVariational(16, 3, activation="relu", kl_weight=1 / 100)
    >>> tuple(layer(np.ones((2, 8, 8, 1), "float32")).shape)
    (2, 6, 6, 16)

    ```
    """

    def __init__(self, filters, kernel_size, strides=1, padding="valid",
                 data_format=None, dilation_rate=1, groups=1, activation=None,
                 use_bias=True, **kwargs):
        super().__init__(2, filters, kernel_size, strides, padding, data_format,
                         dilation_rate, groups, activation, use_bias, **kwargs)


@keras.saving.register_keras_serializable(package="tfbsl")
class Conv3DVariational(_ConvVariationalBase):
    """3-D convolution with a random kernel and bias, learned by
    variational inference (Bayes by Backprop).

    Each call draws anew (in training and inference), adds
    `kl_weight * KL(q || p)` with `self.add_loss` and returns
    `activation(conv(x, kernel) + bias)`; see `DenseVariational` for the
    posterior/prior protocol and the KL (analytic where `tfd.kl_divergence`
    knows the pair, else Monte Carlo; local reparameterization draws no
    weights and uses the analytic KL, or a separate weight draw for Monte
    Carlo). The posterior factory receives `kernel_shape`, so
    `MeanFieldNormal` starts the kernel means like a Keras conv kernel.

    Args:
        filters: positive int, number of output channels.
        kernel_size: positive int or tuple of 3 positive ints.
        strides: positive int or tuple of 3 (default 1).
        padding: `"valid"` or `"same"`, any case.
        data_format: `"channels_last"` or `"channels_first"` (default: Keras'
            `image_data_format()`; TFP's default is `"channels_last"`).
        dilation_rate: positive int or tuple of 3 (default 1).
        groups: positive int dividing the input channels and `filters`.
        activation: Keras activation.
        use_bias: whether the layer has a (random) bias.
        make_posterior_fn: keyword-only; the posterior factory, as in
            `DenseVariational` (default `tfbsl.posteriors.MeanFieldNormal()`).
        make_prior_fn: keyword-only; the prior factory, as in
            `DenseVariational` (default N(0, 1)).
        kl_weight: keyword-only; float >= 0 multiplying the KL term (None
            means 1), as in `DenseVariational`.
        kl_use_exact: keyword-only; `None` analytic when available else Monte
            Carlo, `True` analytic, `False` Monte Carlo.
        estimator: keyword-only; `"reparameterization"`, `"flipout"` or
            `"local_reparameterization"`.
        prior: keyword-only; a prior factory (see `tfbsl.priors`) or its name,
            exclusive with `make_prior_fn`.
        seed: keyword-only; int seeding the layer's `keras.random.SeedGenerator`.
        kernel_divergence_fn: keyword-only; TFP-style `fn(q, p, sample) ->
            scalar` replacing the kernel's KL term.
        bias_divergence_fn: keyword-only; the same for the bias.
        activity_regularizer: keyword-only; Keras regularizer on the outputs.

    Input shape:
        `(batch, d1, d2, d3, channels)` (`channels_last`) or `(batch, channels, d1, d2, d3)`
        (`channels_first`).

    Output shape:
        `(batch, new_d1, new_d2, new_d3, filters)` or `(batch, filters, new_d1, new_d2, new_d3)`, as
        `keras.layers.Conv3D` computes them.

    Raises:
        ValueError: a bad `filters`, `kernel_size`, `strides`, `padding`,
            `data_format`, `dilation_rate`, `groups`, `estimator`,
            `kl_weight` or `kl_use_exact`; both `prior` and `make_prior_fn`;
            one of TFP's per-part arguments (`kernel_posterior_fn`, ...); an
            input too small for the kernel.

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
    >>> layer = tfbsl.layers.Conv3DVariational(4, 3, estimator="local_reparameterization")
    >>> tuple(layer(np.ones((1, 5, 5, 5, 2), "float32")).shape)
    (1, 3, 3, 3, 4)

    ```
    """

    def __init__(self, filters, kernel_size, strides=1, padding="valid",
                 data_format=None, dilation_rate=1, groups=1, activation=None,
                 use_bias=True, **kwargs):
        super().__init__(3, filters, kernel_size, strides, padding, data_format,
                         dilation_rate, groups, activation, use_bias, **kwargs)


@keras.saving.register_keras_serializable(package="tfbsl")
class Conv2DTransposeVariational(_ConvVariationalBase):
    """Transposed 2-D convolution with a random kernel and bias
    (decoders), learned by variational inference; the arguments of
    `Conv2DVariational`, with `output_padding` (as
    `keras.layers.Conv2DTranspose`) instead of `groups`.

    Each call draws anew (in training and inference), adds
    `kl_weight * KL(q || p)` with `self.add_loss` and returns
    `activation(conv(x, kernel) + bias)`; see `DenseVariational` for the
    posterior/prior protocol and the KL (analytic where `tfd.kl_divergence`
    knows the pair, else Monte Carlo; local reparameterization draws no
    weights and uses the analytic KL, or a separate weight draw for Monte
    Carlo). The posterior factory receives `kernel_shape`, so
    `MeanFieldNormal` starts the kernel means like a Keras conv kernel.

    Args:
        filters: positive int, number of output channels.
        kernel_size: positive int or tuple of 2 positive ints.
        strides: positive int or tuple of 2 (default 1).
        padding: `"valid"` or `"same"`, any case.
        output_padding: int or tuple of 2, the extra rows/columns of the output
            (as `keras.layers.Conv2DTranspose`), or None.
        data_format: `"channels_last"` or `"channels_first"` (default: Keras'
            `image_data_format()`; TFP's default is `"channels_last"`).
        dilation_rate: positive int or tuple of 2 (default 1).
        activation: Keras activation.
        use_bias: whether the layer has a (random) bias.
        make_posterior_fn: keyword-only; the posterior factory, as in
            `DenseVariational` (default `tfbsl.posteriors.MeanFieldNormal()`).
        make_prior_fn: keyword-only; the prior factory, as in
            `DenseVariational` (default N(0, 1)).
        kl_weight: keyword-only; float >= 0 multiplying the KL term (None
            means 1), as in `DenseVariational`.
        kl_use_exact: keyword-only; `None` analytic when available else Monte
            Carlo, `True` analytic, `False` Monte Carlo.
        estimator: keyword-only; `"reparameterization"`, `"flipout"` or
            `"local_reparameterization"`.
        prior: keyword-only; a prior factory (see `tfbsl.priors`) or its name,
            exclusive with `make_prior_fn`.
        seed: keyword-only; int seeding the layer's `keras.random.SeedGenerator`.
        kernel_divergence_fn: keyword-only; TFP-style `fn(q, p, sample) ->
            scalar` replacing the kernel's KL term.
        bias_divergence_fn: keyword-only; the same for the bias.
        activity_regularizer: keyword-only; Keras regularizer on the outputs.

    Input shape:
        `(batch, d1, d2, channels)` (`channels_last`) or `(batch, channels, d1, d2)`
        (`channels_first`).

    Output shape:
        `(batch, new_d1, new_d2, filters)` or `(batch, filters, new_d1, new_d2)`, as
        `keras.layers.Conv2DTranspose` computes them.

    Raises:
        ValueError: a bad `filters`, `kernel_size`, `strides`, `padding`,
            `data_format`, `dilation_rate`, `output_padding`, `estimator`,
            `kl_weight` or `kl_use_exact`; both `prior` and `make_prior_fn`;
            one of TFP's per-part arguments (`kernel_posterior_fn`, ...); an
            input too small for the kernel.

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
    >>> layer = tfbsl.layers.Conv2DTransposeVariational(8, 3, strides=2, padding="same")
    >>> tuple(layer(np.ones((2, 4, 4, 3), "float32")).shape)
    (2, 8, 8, 8)

    ```
    """

    _transpose = True

    def __init__(self, filters, kernel_size, strides=1, padding="valid",
                 output_padding=None, data_format=None, dilation_rate=1,
                 activation=None, use_bias=True, **kwargs):
        super().__init__(2, filters, kernel_size, strides, padding, data_format,
                         dilation_rate, 1, activation, use_bias, output_padding,
                         **kwargs)


class _PerPartConv(PerPartVariational):
    """`tfp.layers`' convolutions: `(filters, kernel_size, strides, padding,
    data_format, dilation_rate, activation, activity_regularizer,
    kernel_posterior_fn, ...)` with TFP's per-part semantics."""

    rank = None

    def __init__(self, filters, kernel_size, strides=1, padding="valid",
                 data_format="channels_last", dilation_rate=1, activation=None,
                 activity_regularizer=None,
                 kernel_posterior_fn=util.DEFAULT_KERNEL_POSTERIOR_FN,
                 kernel_posterior_tensor_fn=util.sample,
                 kernel_prior_fn=util.default_multivariate_normal_fn,
                 kernel_divergence_fn=util.kl_divergence,
                 bias_posterior_fn=util.DEFAULT_BIAS_POSTERIOR_FN,
                 bias_posterior_tensor_fn=util.sample, bias_prior_fn=None,
                 bias_divergence_fn=util.kl_divergence, **kwargs):
        super().__init__(
            activation, activity_regularizer, kwargs.pop("trainable", True),
            kernel_posterior_fn, kernel_posterior_tensor_fn, kernel_prior_fn,
            kernel_divergence_fn, bias_posterior_fn, bias_posterior_tensor_fn,
            bias_prior_fn, bias_divergence_fn, **kwargs)
        self.geometry = ConvGeometry(self.rank, filters, kernel_size, strides, padding,
                                     data_format, dilation_rate)
        for name in ("filters", "kernel_size", "strides", "padding", "data_format",
                     "dilation_rate"):
            setattr(self, name, getattr(self.geometry, name))
        self.input_spec = self.geometry.input_spec()

    def build(self, input_shape):
        kernel_shape = self.geometry.kernel_shape(input_shape)
        self.input_spec = self.geometry.input_spec(input_shape)
        self._build_parts(kernel_shape, (self.filters,), self.geometry.bias_shape())

    def call(self, inputs):
        return self._call_parts(inputs, self.geometry.op, self.geometry.sign_shape)

    def compute_output_shape(self, input_shape):
        return self.geometry.output_shape(input_shape)

    def get_config(self):
        config = {**super().get_config(), **self.geometry.get_config()}
        del config["groups"]
        return config


class _PerPartFlipoutConv(_PerPartConv):
    """TFP's Flipout convolutions take `seed` after `bias_divergence_fn`."""

    estimator = Flipout()

    def __init__(self, filters, kernel_size, strides=1, padding="valid",
                 data_format="channels_last", dilation_rate=1, activation=None,
                 activity_regularizer=None,
                 kernel_posterior_fn=util.DEFAULT_KERNEL_POSTERIOR_FN,
                 kernel_posterior_tensor_fn=util.sample,
                 kernel_prior_fn=util.default_multivariate_normal_fn,
                 kernel_divergence_fn=util.kl_divergence,
                 bias_posterior_fn=util.DEFAULT_BIAS_POSTERIOR_FN,
                 bias_posterior_tensor_fn=util.sample, bias_prior_fn=None,
                 bias_divergence_fn=util.kl_divergence, seed=None, **kwargs):
        super().__init__(
            filters, kernel_size, strides, padding, data_format, dilation_rate,
            activation, activity_regularizer, kernel_posterior_fn,
            kernel_posterior_tensor_fn, kernel_prior_fn, kernel_divergence_fn,
            bias_posterior_fn, bias_posterior_tensor_fn, bias_prior_fn,
            bias_divergence_fn, seed=seed, **kwargs)


@keras.saving.register_keras_serializable(package="tfbsl")
class Convolution1DReparameterization(_PerPartConv):
    """`tfp.layers.Convolution1DReparameterization` for Keras 3: a 1-D convolution
    whose kernel is handled by the Reparameterization estimator, with TFP's
    arguments, defaults and losses.

    Args:
        filters: positive int, number of output channels.
        kernel_size: positive int or 1-tuple of a positive int.
        strides: positive int or 1-tuple (default 1).
        padding: `"valid"` or `"same"` (and `"causal"`), any case.
        data_format: `"channels_last"` (default, as TFP) or `"channels_first"`.
        dilation_rate: positive int or 1-tuple (default 1).
        activation: Keras activation.
        activity_regularizer: Keras regularizer on the outputs.
        kernel_posterior_fn: `fn(dtype, shape, name, trainable,
            add_variable_fn) -> tfd.Distribution` over the kernel (default
            `default_mean_field_normal_fn()`).
        kernel_posterior_tensor_fn: `fn(distribution) -> tensor` (default a
            sample).
        kernel_prior_fn: as `kernel_posterior_fn`, for the prior (default
            `default_multivariate_normal_fn`, N(0, 1)); None: no prior, no KL.
        kernel_divergence_fn: `fn(q, p, kernel_tensor) -> scalar` added as a
            layer loss (default the exact KL, not divided by the data size).
        bias_posterior_fn: as `kernel_posterior_fn` (default a point
            estimate, `default_mean_field_normal_fn(is_singular=True)`);
            None: no bias.
        bias_posterior_tensor_fn: as `kernel_posterior_tensor_fn`, for the bias.
        bias_prior_fn: as `kernel_prior_fn`, for the bias (default None: no
            prior, no KL).
        bias_divergence_fn: as `kernel_divergence_fn`, for the bias.
        seed: an int seeding the layer's draws (keyword).
        kl_weight: keyword (tfbsl), a float >= 0 multiplying every divergence.

    Input shape:
        `(batch, steps, channels)` (`channels_last`) or `(batch, channels, steps)`
        (`channels_first`).

    Output shape:
        `(batch, new_steps, filters)` or `(batch, filters, new_steps)`, as
        `keras.layers.Conv1D` computes them.

    Raises:
        ValueError: bad `filters`, `kernel_size`, `strides`, `padding`,
            `data_format` or `dilation_rate`, or an input too small.
        TypeError: as `DenseReparameterization`.
        RuntimeError: on a Keras backend other than TensorFlow.

    References:
        TensorFlow Probability, `tfp.layers.Convolution1DReparameterization`:
        https://www.tensorflow.org/probability/api_docs/python/tfp/layers/Convolution1DReparameterization

        Blundell, Cornebise, Kavukcuoglu, Wierstra (2015). "Weight
        Uncertainty in Neural Networks". https://arxiv.org/abs/1505.05424

    Example:
    ```pycon
    >>> layer = tfbsl.layers.Convolution1DReparameterization(2, 3, padding="same")
    >>> tuple(layer(np.ones((1, 5, 1), "float32")).shape)
    (1, 5, 2)

    ```
    """
    rank, estimator = 1, Reparameterization()


@keras.saving.register_keras_serializable(package="tfbsl")
class Convolution2DReparameterization(_PerPartConv):
    """`tfp.layers.Convolution2DReparameterization` for Keras 3: a 2-D convolution
    whose kernel is handled by the Reparameterization estimator, with TFP's
    arguments, defaults and losses.

    Args:
        filters: positive int, number of output channels.
        kernel_size: positive int or tuple of 2 positive ints.
        strides: positive int or tuple of 2 (default 1).
        padding: `"valid"` or `"same"`, any case.
        data_format: `"channels_last"` (default, as TFP) or `"channels_first"`.
        dilation_rate: positive int or tuple of 2 (default 1).
        activation: Keras activation.
        activity_regularizer: Keras regularizer on the outputs.
        kernel_posterior_fn: `fn(dtype, shape, name, trainable,
            add_variable_fn) -> tfd.Distribution` over the kernel (default
            `default_mean_field_normal_fn()`).
        kernel_posterior_tensor_fn: `fn(distribution) -> tensor` (default a
            sample).
        kernel_prior_fn: as `kernel_posterior_fn`, for the prior (default
            `default_multivariate_normal_fn`, N(0, 1)); None: no prior, no KL.
        kernel_divergence_fn: `fn(q, p, kernel_tensor) -> scalar` added as a
            layer loss (default the exact KL, not divided by the data size).
        bias_posterior_fn: as `kernel_posterior_fn` (default a point
            estimate, `default_mean_field_normal_fn(is_singular=True)`);
            None: no bias.
        bias_posterior_tensor_fn: as `kernel_posterior_tensor_fn`, for the bias.
        bias_prior_fn: as `kernel_prior_fn`, for the bias (default None: no
            prior, no KL).
        bias_divergence_fn: as `kernel_divergence_fn`, for the bias.
        seed: an int seeding the layer's draws (keyword).
        kl_weight: keyword (tfbsl), a float >= 0 multiplying every divergence.

    Input shape:
        `(batch, d1, d2, channels)` (`channels_last`) or `(batch, channels, d1, d2)`
        (`channels_first`).

    Output shape:
        `(batch, new_d1, new_d2, filters)` or `(batch, filters, new_d1, new_d2)`, as
        `keras.layers.Conv2D` computes them.

    Raises:
        ValueError: bad `filters`, `kernel_size`, `strides`, `padding`,
            `data_format` or `dilation_rate`, or an input too small.
        TypeError: as `DenseReparameterization`.
        RuntimeError: on a Keras backend other than TensorFlow.

    References:
        TensorFlow Probability, `tfp.layers.Convolution2DReparameterization`:
        https://www.tensorflow.org/probability/api_docs/python/tfp/layers/Convolution2DReparameterization

        Blundell, Cornebise, Kavukcuoglu, Wierstra (2015). "Weight
        Uncertainty in Neural Networks". https://arxiv.org/abs/1505.05424

    Example:
    ```pycon
    >>> layer = tfbsl.layers.Convolution2DReparameterization(2, 3, padding="same")
    >>> tuple(layer(np.ones((1, 5, 5, 1), "float32")).shape)
    (1, 5, 5, 2)

    ```
    """
    rank, estimator = 2, Reparameterization()


@keras.saving.register_keras_serializable(package="tfbsl")
class Convolution3DReparameterization(_PerPartConv):
    """`tfp.layers.Convolution3DReparameterization` for Keras 3: a 3-D convolution
    whose kernel is handled by the Reparameterization estimator, with TFP's
    arguments, defaults and losses.

    Args:
        filters: positive int, number of output channels.
        kernel_size: positive int or tuple of 3 positive ints.
        strides: positive int or tuple of 3 (default 1).
        padding: `"valid"` or `"same"`, any case.
        data_format: `"channels_last"` (default, as TFP) or `"channels_first"`.
        dilation_rate: positive int or tuple of 3 (default 1).
        activation: Keras activation.
        activity_regularizer: Keras regularizer on the outputs.
        kernel_posterior_fn: `fn(dtype, shape, name, trainable,
            add_variable_fn) -> tfd.Distribution` over the kernel (default
            `default_mean_field_normal_fn()`).
        kernel_posterior_tensor_fn: `fn(distribution) -> tensor` (default a
            sample).
        kernel_prior_fn: as `kernel_posterior_fn`, for the prior (default
            `default_multivariate_normal_fn`, N(0, 1)); None: no prior, no KL.
        kernel_divergence_fn: `fn(q, p, kernel_tensor) -> scalar` added as a
            layer loss (default the exact KL, not divided by the data size).
        bias_posterior_fn: as `kernel_posterior_fn` (default a point
            estimate, `default_mean_field_normal_fn(is_singular=True)`);
            None: no bias.
        bias_posterior_tensor_fn: as `kernel_posterior_tensor_fn`, for the bias.
        bias_prior_fn: as `kernel_prior_fn`, for the bias (default None: no
            prior, no KL).
        bias_divergence_fn: as `kernel_divergence_fn`, for the bias.
        seed: an int seeding the layer's draws (keyword).
        kl_weight: keyword (tfbsl), a float >= 0 multiplying every divergence.

    Input shape:
        `(batch, d1, d2, d3, channels)` (`channels_last`) or `(batch, channels, d1, d2, d3)`
        (`channels_first`).

    Output shape:
        `(batch, new_d1, new_d2, new_d3, filters)` or `(batch, filters, new_d1, new_d2, new_d3)`, as
        `keras.layers.Conv3D` computes them.

    Raises:
        ValueError: bad `filters`, `kernel_size`, `strides`, `padding`,
            `data_format` or `dilation_rate`, or an input too small.
        TypeError: as `DenseReparameterization`.
        RuntimeError: on a Keras backend other than TensorFlow.

    References:
        TensorFlow Probability, `tfp.layers.Convolution3DReparameterization`:
        https://www.tensorflow.org/probability/api_docs/python/tfp/layers/Convolution3DReparameterization

        Blundell, Cornebise, Kavukcuoglu, Wierstra (2015). "Weight
        Uncertainty in Neural Networks". https://arxiv.org/abs/1505.05424

    Example:
    ```pycon
    >>> layer = tfbsl.layers.Convolution3DReparameterization(2, 3, padding="same")
    >>> tuple(layer(np.ones((1, 5, 5, 5, 1), "float32")).shape)
    (1, 5, 5, 5, 2)

    ```
    """
    rank, estimator = 3, Reparameterization()


@keras.saving.register_keras_serializable(package="tfbsl")
class Convolution1DFlipout(_PerPartFlipoutConv):
    """`tfp.layers.Convolution1DFlipout` for Keras 3: a 1-D convolution
    whose kernel is handled by the Flipout estimator, with TFP's
    arguments, defaults and losses.

    Args:
        filters: positive int, number of output channels.
        kernel_size: positive int or 1-tuple of a positive int.
        strides: positive int or 1-tuple (default 1).
        padding: `"valid"` or `"same"` (and `"causal"`), any case.
        data_format: `"channels_last"` (default, as TFP) or `"channels_first"`.
        dilation_rate: positive int or 1-tuple (default 1).
        activation: Keras activation.
        activity_regularizer: Keras regularizer on the outputs.
        kernel_posterior_fn: `fn(dtype, shape, name, trainable,
            add_variable_fn) -> tfd.Distribution` over the kernel (default
            `default_mean_field_normal_fn()`).
        kernel_posterior_tensor_fn: `fn(distribution) -> tensor` (default a
            sample).
        kernel_prior_fn: as `kernel_posterior_fn`, for the prior (default
            `default_multivariate_normal_fn`, N(0, 1)); None: no prior, no KL.
        kernel_divergence_fn: `fn(q, p, kernel_tensor) -> scalar` added as a
            layer loss (default the exact KL, not divided by the data size).
        bias_posterior_fn: as `kernel_posterior_fn` (default a point
            estimate, `default_mean_field_normal_fn(is_singular=True)`);
            None: no bias.
        bias_posterior_tensor_fn: as `kernel_posterior_tensor_fn`, for the bias.
        bias_prior_fn: as `kernel_prior_fn`, for the bias (default None: no
            prior, no KL).
        bias_divergence_fn: as `kernel_divergence_fn`, for the bias.
        seed: an int seeding the layer's draws (after `bias_divergence_fn`, as in TFP).
        kl_weight: keyword (tfbsl), a float >= 0 multiplying every divergence.

    Input shape:
        `(batch, steps, channels)` (`channels_last`) or `(batch, channels, steps)`
        (`channels_first`).

    Output shape:
        `(batch, new_steps, filters)` or `(batch, filters, new_steps)`, as
        `keras.layers.Conv1D` computes them.

    Raises:
        ValueError: bad `filters`, `kernel_size`, `strides`, `padding`,
            `data_format` or `dilation_rate`, or an input too small.
        TypeError: as `DenseReparameterization`.
        RuntimeError: on a Keras backend other than TensorFlow.

    References:
        TensorFlow Probability, `tfp.layers.Convolution1DFlipout`:
        https://www.tensorflow.org/probability/api_docs/python/tfp/layers/Convolution1DFlipout

        Wen, Vicol, Ba, Tran, Grosse (2018). "Flipout: Efficient
        Pseudo-Independent Weight Perturbations on Mini-Batches".
        https://arxiv.org/abs/1803.04386

    Example:
    ```pycon
    >>> layer = tfbsl.layers.Convolution1DFlipout(2, 3, padding="same")
    >>> tuple(layer(np.ones((1, 5, 1), "float32")).shape)
    (1, 5, 2)

    ```
    """
    rank = 1


@keras.saving.register_keras_serializable(package="tfbsl")
class Convolution2DFlipout(_PerPartFlipoutConv):
    """`tfp.layers.Convolution2DFlipout` for Keras 3: a 2-D convolution
    whose kernel is handled by the Flipout estimator, with TFP's
    arguments, defaults and losses.

    Args:
        filters: positive int, number of output channels.
        kernel_size: positive int or tuple of 2 positive ints.
        strides: positive int or tuple of 2 (default 1).
        padding: `"valid"` or `"same"`, any case.
        data_format: `"channels_last"` (default, as TFP) or `"channels_first"`.
        dilation_rate: positive int or tuple of 2 (default 1).
        activation: Keras activation.
        activity_regularizer: Keras regularizer on the outputs.
        kernel_posterior_fn: `fn(dtype, shape, name, trainable,
            add_variable_fn) -> tfd.Distribution` over the kernel (default
            `default_mean_field_normal_fn()`).
        kernel_posterior_tensor_fn: `fn(distribution) -> tensor` (default a
            sample).
        kernel_prior_fn: as `kernel_posterior_fn`, for the prior (default
            `default_multivariate_normal_fn`, N(0, 1)); None: no prior, no KL.
        kernel_divergence_fn: `fn(q, p, kernel_tensor) -> scalar` added as a
            layer loss (default the exact KL, not divided by the data size).
        bias_posterior_fn: as `kernel_posterior_fn` (default a point
            estimate, `default_mean_field_normal_fn(is_singular=True)`);
            None: no bias.
        bias_posterior_tensor_fn: as `kernel_posterior_tensor_fn`, for the bias.
        bias_prior_fn: as `kernel_prior_fn`, for the bias (default None: no
            prior, no KL).
        bias_divergence_fn: as `kernel_divergence_fn`, for the bias.
        seed: an int seeding the layer's draws (after `bias_divergence_fn`, as in TFP).
        kl_weight: keyword (tfbsl), a float >= 0 multiplying every divergence.

    Input shape:
        `(batch, d1, d2, channels)` (`channels_last`) or `(batch, channels, d1, d2)`
        (`channels_first`).

    Output shape:
        `(batch, new_d1, new_d2, filters)` or `(batch, filters, new_d1, new_d2)`, as
        `keras.layers.Conv2D` computes them.

    Raises:
        ValueError: bad `filters`, `kernel_size`, `strides`, `padding`,
            `data_format` or `dilation_rate`, or an input too small.
        TypeError: as `DenseReparameterization`.
        RuntimeError: on a Keras backend other than TensorFlow.

    References:
        TensorFlow Probability, `tfp.layers.Convolution2DFlipout`:
        https://www.tensorflow.org/probability/api_docs/python/tfp/layers/Convolution2DFlipout

        Wen, Vicol, Ba, Tran, Grosse (2018). "Flipout: Efficient
        Pseudo-Independent Weight Perturbations on Mini-Batches".
        https://arxiv.org/abs/1803.04386

    Example:
    ```pycon
    >>> layer = tfbsl.layers.Convolution2DFlipout(2, 3, padding="same")
    >>> tuple(layer(np.ones((1, 5, 5, 1), "float32")).shape)
    (1, 5, 5, 2)

    ```
    """
    rank = 2


@keras.saving.register_keras_serializable(package="tfbsl")
class Convolution3DFlipout(_PerPartFlipoutConv):
    """`tfp.layers.Convolution3DFlipout` for Keras 3: a 3-D convolution
    whose kernel is handled by the Flipout estimator, with TFP's
    arguments, defaults and losses.

    Args:
        filters: positive int, number of output channels.
        kernel_size: positive int or tuple of 3 positive ints.
        strides: positive int or tuple of 3 (default 1).
        padding: `"valid"` or `"same"`, any case.
        data_format: `"channels_last"` (default, as TFP) or `"channels_first"`.
        dilation_rate: positive int or tuple of 3 (default 1).
        activation: Keras activation.
        activity_regularizer: Keras regularizer on the outputs.
        kernel_posterior_fn: `fn(dtype, shape, name, trainable,
            add_variable_fn) -> tfd.Distribution` over the kernel (default
            `default_mean_field_normal_fn()`).
        kernel_posterior_tensor_fn: `fn(distribution) -> tensor` (default a
            sample).
        kernel_prior_fn: as `kernel_posterior_fn`, for the prior (default
            `default_multivariate_normal_fn`, N(0, 1)); None: no prior, no KL.
        kernel_divergence_fn: `fn(q, p, kernel_tensor) -> scalar` added as a
            layer loss (default the exact KL, not divided by the data size).
        bias_posterior_fn: as `kernel_posterior_fn` (default a point
            estimate, `default_mean_field_normal_fn(is_singular=True)`);
            None: no bias.
        bias_posterior_tensor_fn: as `kernel_posterior_tensor_fn`, for the bias.
        bias_prior_fn: as `kernel_prior_fn`, for the bias (default None: no
            prior, no KL).
        bias_divergence_fn: as `kernel_divergence_fn`, for the bias.
        seed: an int seeding the layer's draws (after `bias_divergence_fn`, as in TFP).
        kl_weight: keyword (tfbsl), a float >= 0 multiplying every divergence.

    Input shape:
        `(batch, d1, d2, d3, channels)` (`channels_last`) or `(batch, channels, d1, d2, d3)`
        (`channels_first`).

    Output shape:
        `(batch, new_d1, new_d2, new_d3, filters)` or `(batch, filters, new_d1, new_d2, new_d3)`, as
        `keras.layers.Conv3D` computes them.

    Raises:
        ValueError: bad `filters`, `kernel_size`, `strides`, `padding`,
            `data_format` or `dilation_rate`, or an input too small.
        TypeError: as `DenseReparameterization`.
        RuntimeError: on a Keras backend other than TensorFlow.

    References:
        TensorFlow Probability, `tfp.layers.Convolution3DFlipout`:
        https://www.tensorflow.org/probability/api_docs/python/tfp/layers/Convolution3DFlipout

        Wen, Vicol, Ba, Tran, Grosse (2018). "Flipout: Efficient
        Pseudo-Independent Weight Perturbations on Mini-Batches".
        https://arxiv.org/abs/1803.04386

    Example:
    ```pycon
    >>> layer = tfbsl.layers.Convolution3DFlipout(2, 3, padding="same")
    >>> tuple(layer(np.ones((1, 5, 5, 5, 1), "float32")).shape)
    (1, 5, 5, 5, 2)

    ```
    """
    rank = 3


@keras.saving.register_keras_serializable(package="tfbsl")
class Convolution1DLocalReparameterization(_PerPartConv):
    """`tfp.layers.Convolution1DLocalReparameterization` for Keras 3: a 1-D convolution
    whose kernel is handled by the LocalReparameterization estimator (tfbsl's
    addition: TFP has this estimator for dense layers only), with TFP's
    arguments, defaults and losses.

    Args:
        filters: positive int, number of output channels.
        kernel_size: positive int or 1-tuple of a positive int.
        strides: positive int or 1-tuple (default 1).
        padding: `"valid"` or `"same"` (and `"causal"`), any case.
        data_format: `"channels_last"` (default, as TFP) or `"channels_first"`.
        dilation_rate: positive int or 1-tuple (default 1).
        activation: Keras activation.
        activity_regularizer: Keras regularizer on the outputs.
        kernel_posterior_fn: `fn(dtype, shape, name, trainable,
            add_variable_fn) -> tfd.Distribution` over the kernel (default
            `default_mean_field_normal_fn()`).
        kernel_posterior_tensor_fn: `fn(distribution) -> tensor` (default a
            sample).
        kernel_prior_fn: as `kernel_posterior_fn`, for the prior (default
            `default_multivariate_normal_fn`, N(0, 1)); None: no prior, no KL.
        kernel_divergence_fn: `fn(q, p, kernel_tensor) -> scalar` added as a
            layer loss (default the exact KL, not divided by the data size).
        bias_posterior_fn: as `kernel_posterior_fn` (default a point
            estimate, `default_mean_field_normal_fn(is_singular=True)`);
            None: no bias.
        bias_posterior_tensor_fn: as `kernel_posterior_tensor_fn`, for the bias.
        bias_prior_fn: as `kernel_prior_fn`, for the bias (default None: no
            prior, no KL).
        bias_divergence_fn: as `kernel_divergence_fn`, for the bias.
        seed: an int seeding the layer's draws (keyword).
        kl_weight: keyword (tfbsl), a float >= 0 multiplying every divergence.

    Input shape:
        `(batch, steps, channels)` (`channels_last`) or `(batch, channels, steps)`
        (`channels_first`).

    Output shape:
        `(batch, new_steps, filters)` or `(batch, filters, new_steps)`, as
        `keras.layers.Conv1D` computes them.

    Raises:
        ValueError: bad `filters`, `kernel_size`, `strides`, `padding`,
            `data_format` or `dilation_rate`, or an input too small.
        TypeError: as `DenseReparameterization`.
        RuntimeError: on a Keras backend other than TensorFlow.

    References:
        TensorFlow Probability, `tfp.layers`:
        https://www.tensorflow.org/probability/api_docs/python/tfp/layers

        Kingma, Salimans, Welling (2015). "Variational Dropout and the Local
        Reparameterization Trick". https://arxiv.org/abs/1506.02557

    Example:
    ```pycon
    >>> layer = tfbsl.layers.Convolution1DLocalReparameterization(2, 3, padding="same")
    >>> tuple(layer(np.ones((1, 5, 1), "float32")).shape)
    (1, 5, 2)

    ```
    """
    rank, estimator = 1, LocalReparameterization()


@keras.saving.register_keras_serializable(package="tfbsl")
class Convolution2DLocalReparameterization(_PerPartConv):
    """`tfp.layers.Convolution2DLocalReparameterization` for Keras 3: a 2-D convolution
    whose kernel is handled by the LocalReparameterization estimator (tfbsl's
    addition: TFP has this estimator for dense layers only), with TFP's
    arguments, defaults and losses.

    Args:
        filters: positive int, number of output channels.
        kernel_size: positive int or tuple of 2 positive ints.
        strides: positive int or tuple of 2 (default 1).
        padding: `"valid"` or `"same"`, any case.
        data_format: `"channels_last"` (default, as TFP) or `"channels_first"`.
        dilation_rate: positive int or tuple of 2 (default 1).
        activation: Keras activation.
        activity_regularizer: Keras regularizer on the outputs.
        kernel_posterior_fn: `fn(dtype, shape, name, trainable,
            add_variable_fn) -> tfd.Distribution` over the kernel (default
            `default_mean_field_normal_fn()`).
        kernel_posterior_tensor_fn: `fn(distribution) -> tensor` (default a
            sample).
        kernel_prior_fn: as `kernel_posterior_fn`, for the prior (default
            `default_multivariate_normal_fn`, N(0, 1)); None: no prior, no KL.
        kernel_divergence_fn: `fn(q, p, kernel_tensor) -> scalar` added as a
            layer loss (default the exact KL, not divided by the data size).
        bias_posterior_fn: as `kernel_posterior_fn` (default a point
            estimate, `default_mean_field_normal_fn(is_singular=True)`);
            None: no bias.
        bias_posterior_tensor_fn: as `kernel_posterior_tensor_fn`, for the bias.
        bias_prior_fn: as `kernel_prior_fn`, for the bias (default None: no
            prior, no KL).
        bias_divergence_fn: as `kernel_divergence_fn`, for the bias.
        seed: an int seeding the layer's draws (keyword).
        kl_weight: keyword (tfbsl), a float >= 0 multiplying every divergence.

    Input shape:
        `(batch, d1, d2, channels)` (`channels_last`) or `(batch, channels, d1, d2)`
        (`channels_first`).

    Output shape:
        `(batch, new_d1, new_d2, filters)` or `(batch, filters, new_d1, new_d2)`, as
        `keras.layers.Conv2D` computes them.

    Raises:
        ValueError: bad `filters`, `kernel_size`, `strides`, `padding`,
            `data_format` or `dilation_rate`, or an input too small.
        TypeError: as `DenseReparameterization`.
        RuntimeError: on a Keras backend other than TensorFlow.

    References:
        TensorFlow Probability, `tfp.layers`:
        https://www.tensorflow.org/probability/api_docs/python/tfp/layers

        Kingma, Salimans, Welling (2015). "Variational Dropout and the Local
        Reparameterization Trick". https://arxiv.org/abs/1506.02557

    Example:
    ```pycon
    >>> layer = tfbsl.layers.Convolution2DLocalReparameterization(2, 3, padding="same")
    >>> tuple(layer(np.ones((1, 5, 5, 1), "float32")).shape)
    (1, 5, 5, 2)

    ```
    """
    rank, estimator = 2, LocalReparameterization()


@keras.saving.register_keras_serializable(package="tfbsl")
class Convolution3DLocalReparameterization(_PerPartConv):
    """`tfp.layers.Convolution3DLocalReparameterization` for Keras 3: a 3-D convolution
    whose kernel is handled by the LocalReparameterization estimator (tfbsl's
    addition: TFP has this estimator for dense layers only), with TFP's
    arguments, defaults and losses.

    Args:
        filters: positive int, number of output channels.
        kernel_size: positive int or tuple of 3 positive ints.
        strides: positive int or tuple of 3 (default 1).
        padding: `"valid"` or `"same"`, any case.
        data_format: `"channels_last"` (default, as TFP) or `"channels_first"`.
        dilation_rate: positive int or tuple of 3 (default 1).
        activation: Keras activation.
        activity_regularizer: Keras regularizer on the outputs.
        kernel_posterior_fn: `fn(dtype, shape, name, trainable,
            add_variable_fn) -> tfd.Distribution` over the kernel (default
            `default_mean_field_normal_fn()`).
        kernel_posterior_tensor_fn: `fn(distribution) -> tensor` (default a
            sample).
        kernel_prior_fn: as `kernel_posterior_fn`, for the prior (default
            `default_multivariate_normal_fn`, N(0, 1)); None: no prior, no KL.
        kernel_divergence_fn: `fn(q, p, kernel_tensor) -> scalar` added as a
            layer loss (default the exact KL, not divided by the data size).
        bias_posterior_fn: as `kernel_posterior_fn` (default a point
            estimate, `default_mean_field_normal_fn(is_singular=True)`);
            None: no bias.
        bias_posterior_tensor_fn: as `kernel_posterior_tensor_fn`, for the bias.
        bias_prior_fn: as `kernel_prior_fn`, for the bias (default None: no
            prior, no KL).
        bias_divergence_fn: as `kernel_divergence_fn`, for the bias.
        seed: an int seeding the layer's draws (keyword).
        kl_weight: keyword (tfbsl), a float >= 0 multiplying every divergence.

    Input shape:
        `(batch, d1, d2, d3, channels)` (`channels_last`) or `(batch, channels, d1, d2, d3)`
        (`channels_first`).

    Output shape:
        `(batch, new_d1, new_d2, new_d3, filters)` or `(batch, filters, new_d1, new_d2, new_d3)`, as
        `keras.layers.Conv3D` computes them.

    Raises:
        ValueError: bad `filters`, `kernel_size`, `strides`, `padding`,
            `data_format` or `dilation_rate`, or an input too small.
        TypeError: as `DenseReparameterization`.
        RuntimeError: on a Keras backend other than TensorFlow.

    References:
        TensorFlow Probability, `tfp.layers`:
        https://www.tensorflow.org/probability/api_docs/python/tfp/layers

        Kingma, Salimans, Welling (2015). "Variational Dropout and the Local
        Reparameterization Trick". https://arxiv.org/abs/1506.02557

    Example:
    ```pycon
    >>> layer = tfbsl.layers.Convolution3DLocalReparameterization(2, 3, padding="same")
    >>> tuple(layer(np.ones((1, 5, 5, 5, 1), "float32")).shape)
    (1, 5, 5, 5, 2)

    ```
    """
    rank, estimator = 3, LocalReparameterization()
