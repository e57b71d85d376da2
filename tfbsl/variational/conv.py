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


_ARGS_DOC = """
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
        kernel_size: positive int or tuple of `rank` positive ints.
        strides: positive int or tuple (default 1).
        padding: `"valid"` or `"same"` (and `"causal"` for 1-D), any case.
        data_format: `"channels_last"` or `"channels_first"` (default: Keras'
            `image_data_format()`; TFP's default is `"channels_last"`).
        dilation_rate: positive int or tuple (default 1).
        groups: positive int dividing the input channels and `filters`.
        activation: Keras activation.
        use_bias: whether the layer has a (random) bias.
        make_posterior_fn, make_prior_fn, kl_weight, kl_use_exact, estimator,
            prior, seed, kernel_divergence_fn, bias_divergence_fn,
            activity_regularizer: keyword-only, as in `DenseVariational`
            (`estimator` in `{"reparameterization", "flipout",
            "local_reparameterization"}`).
"""


@keras.saving.register_keras_serializable(package="tfbsl")
class Conv1DVariational(_ConvVariationalBase):
    __doc__ = """1-D convolution with a random kernel and bias, learned by
    variational inference.
""" + _ARGS_DOC + """
    Example:
    ```python
    layer = tfbsl.layers.Conv1DVariational(8, 3, estimator="flipout", kl_weight=1 / n)
    ```
    """

    def __init__(self, filters, kernel_size, strides=1, padding="valid",
                 data_format=None, dilation_rate=1, groups=1, activation=None,
                 use_bias=True, **kwargs):
        super().__init__(1, filters, kernel_size, strides, padding, data_format,
                         dilation_rate, groups, activation, use_bias, **kwargs)


@keras.saving.register_keras_serializable(package="tfbsl")
class Conv2DVariational(_ConvVariationalBase):
    __doc__ = """2-D convolution with a random kernel and bias, learned by
    variational inference (e.g. a Bayesian CNN).
""" + _ARGS_DOC + """
    Example:
    ```python
    model = keras.Sequential([
        keras.Input((8, 8, 1)),
        tfbsl.layers.Conv2DVariational(16, 3, activation="relu",
                                       estimator="flipout", kl_weight=1 / n),
        keras.layers.Flatten(),
        tfbsl.layers.DenseFlipout(10, kl_weight=1 / n),
        tfbsl.layers.Categorical(10),
    ])
    ```
    """

    def __init__(self, filters, kernel_size, strides=1, padding="valid",
                 data_format=None, dilation_rate=1, groups=1, activation=None,
                 use_bias=True, **kwargs):
        super().__init__(2, filters, kernel_size, strides, padding, data_format,
                         dilation_rate, groups, activation, use_bias, **kwargs)


@keras.saving.register_keras_serializable(package="tfbsl")
class Conv3DVariational(_ConvVariationalBase):
    __doc__ = """3-D convolution with a random kernel and bias, learned by
    variational inference.
""" + _ARGS_DOC + """
    Example:
    ```python
    layer = tfbsl.layers.Conv3DVariational(4, 3, estimator="local_reparameterization")
    ```
    """

    def __init__(self, filters, kernel_size, strides=1, padding="valid",
                 data_format=None, dilation_rate=1, groups=1, activation=None,
                 use_bias=True, **kwargs):
        super().__init__(3, filters, kernel_size, strides, padding, data_format,
                         dilation_rate, groups, activation, use_bias, **kwargs)


@keras.saving.register_keras_serializable(package="tfbsl")
class Conv2DTransposeVariational(_ConvVariationalBase):
    """Transposed 2-D convolution with a random kernel and bias (decoders),
    learned by variational inference. Arguments as `Conv2DVariational`, with
    `output_padding` (as `keras.layers.Conv2DTranspose`) instead of `groups`.

    Example:
    ```python
    layer = tfbsl.layers.Conv2DTransposeVariational(8, 3, strides=2, padding="same")
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


_PER_PART_DOC = """
    Args:
        filters: positive int, number of output channels.
        kernel_size: positive int or tuple of `rank` positive ints.
        strides, dilation_rate: positive ints or tuples (default 1).
        padding: `"valid"` or `"same"` (and `"causal"` for 1-D), any case.
        data_format: `"channels_last"` (default, as TFP) or `"channels_first"`.
        activation, activity_regularizer: as in Keras.
        kernel_posterior_fn, kernel_posterior_tensor_fn, kernel_prior_fn,
        kernel_divergence_fn, bias_posterior_fn, bias_posterior_tensor_fn,
        bias_prior_fn, bias_divergence_fn: TFP's per-part arguments, with
            TFP's defaults (see `DenseReparameterization`).
        seed: an int seeding the layer's draws (keyword, except for TFP's
            Flipout layers, where it follows `bias_divergence_fn`).
        kl_weight: keyword (tfbsl), a float >= 0 multiplying every divergence.

    Raises:
        ValueError: bad `filters`, `kernel_size`, `strides`, `padding`,
            `data_format` or `dilation_rate`, or an input too small.
        TypeError: as `DenseReparameterization`.

    References:
        TensorFlow Probability, `tfp.layers`:
        https://www.tensorflow.org/probability/api_docs/python/tfp/layers
"""


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


def _doc(rank, estimator):
    label = type(estimator).__name__
    extra = (" (tfbsl's addition: TFP has this estimator for dense layers only)"
             if label == "LocalReparameterization" else "")
    name = f"Convolution{rank}D{label}"
    return (f"""`tfp.layers.{name}` for Keras 3: a {rank}-D convolution whose
    kernel is handled by the {label} estimator{extra}, with TFP's arguments,
    defaults and losses.
""" + _PER_PART_DOC + f"""
    Example:
    >>> layer = tfbsl.layers.{name}(2, 3, padding="same")
    >>> layer(np.ones((1,) + (5,) * {rank} + (1,), "float32")).shape[-1]
    2
    """)


@keras.saving.register_keras_serializable(package="tfbsl")
class Convolution1DReparameterization(_PerPartConv):
    __doc__ = _doc(1, Reparameterization())
    rank, estimator = 1, Reparameterization()


@keras.saving.register_keras_serializable(package="tfbsl")
class Convolution2DReparameterization(_PerPartConv):
    __doc__ = _doc(2, Reparameterization())
    rank, estimator = 2, Reparameterization()


@keras.saving.register_keras_serializable(package="tfbsl")
class Convolution3DReparameterization(_PerPartConv):
    __doc__ = _doc(3, Reparameterization())
    rank, estimator = 3, Reparameterization()


@keras.saving.register_keras_serializable(package="tfbsl")
class Convolution1DFlipout(_PerPartFlipoutConv):
    __doc__ = _doc(1, Flipout())
    rank = 1


@keras.saving.register_keras_serializable(package="tfbsl")
class Convolution2DFlipout(_PerPartFlipoutConv):
    __doc__ = _doc(2, Flipout())
    rank = 2


@keras.saving.register_keras_serializable(package="tfbsl")
class Convolution3DFlipout(_PerPartFlipoutConv):
    __doc__ = _doc(3, Flipout())
    rank = 3


@keras.saving.register_keras_serializable(package="tfbsl")
class Convolution1DLocalReparameterization(_PerPartConv):
    __doc__ = _doc(1, LocalReparameterization())
    rank, estimator = 1, LocalReparameterization()


@keras.saving.register_keras_serializable(package="tfbsl")
class Convolution2DLocalReparameterization(_PerPartConv):
    __doc__ = _doc(2, LocalReparameterization())
    rank, estimator = 2, LocalReparameterization()


@keras.saving.register_keras_serializable(package="tfbsl")
class Convolution3DLocalReparameterization(_PerPartConv):
    __doc__ = _doc(3, LocalReparameterization())
    rank, estimator = 3, LocalReparameterization()
