"""Variational convolution layers and their `tfp.layers` names.

They share posteriors, priors, estimators, KL and config with
`DenseVariational` (through `tfbsl.layers._variational`); only the linear
operator differs: a convolution (or a transposed convolution) instead of a
matmul. Flipout signs are drawn per example and channel and shared over the
spatial positions, as `tfp.layers.Convolution2DFlipout` does, which keeps the
perturbation a convolution.
"""

import keras
from keras import ops
from keras.src.backend.common.backend_utils import compute_conv_transpose_output_shape
from keras.src.ops.operation_utils import compute_conv_output_shape
from keras.src.utils.argument_validation import standardize_tuple

from tfbsl import _checks
from tfbsl.layers._variational import _Variational, fixed_estimator

_DATA_FORMATS = ("channels_last", "channels_first")


def _check_tuple(name, value, rank):
    """An int or `rank` ints, each > 0, as a tuple of `rank` ints."""
    try:
        values = _checks.check_positive_int_tuple(name, value)
    except ValueError:
        values = ()
    if _checks.is_int(value):
        values = values * rank
    if len(values) != rank:
        raise ValueError(
            f"`{name}` must be a positive int or a tuple of {rank} positive "
            f"ints. Received: {name}={value!r}"
        )
    return values


def _check_padding(padding, rank):
    choices = ("valid", "same", "causal") if rank == 1 else ("valid", "same")
    lowered = padding.lower() if isinstance(padding, str) else padding
    _checks.check_choice("padding", lowered, choices)
    return lowered


def _check_data_format(data_format):
    if data_format is None:
        return keras.config.image_data_format()
    return _checks.check_choice("data_format", data_format, _DATA_FORMATS)


class _ConvVariationalBase(_Variational):
    """Shared by the N-D convolutions and the transposed ones."""

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
        self.rank = rank
        self.filters = _checks.check_positive_int("filters", filters)
        self.kernel_size = _check_tuple("kernel_size", kernel_size, rank)
        self.strides = _check_tuple("strides", strides, rank)
        self.padding = _check_padding(padding, rank)
        self.data_format = _check_data_format(data_format)
        self.dilation_rate = _check_tuple("dilation_rate", dilation_rate, rank)
        self.groups = _checks.check_positive_int("groups", groups)
        if self.filters % self.groups:
            raise ValueError(
                "`filters` must be divisible by `groups`. Received: "
                f"filters={filters}, groups={groups}"
            )
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(
                "`strides` > 1 and `dilation_rate` > 1 cannot be combined. "
                f"Received: strides={strides!r}, dilation_rate={dilation_rate!r}"
            )
        self.output_padding = (
            None if output_padding is None
            else standardize_tuple(output_padding, rank, "output_padding", allow_zero=True))
        channel_axis = -1 if self.data_format == "channels_last" else 1
        self._channel_axis = channel_axis
        self.input_spec = keras.InputSpec(ndim=rank + 2)

    def build(self, input_shape):
        channels = input_shape[self._channel_axis]
        if channels is None:
            raise ValueError(
                "The channel dimension of `inputs` must be known when the layer "
                f"is built (data_format={self.data_format!r}). Received: "
                f"inputs.shape={tuple(input_shape)}"
            )
        if channels % self.groups:
            raise ValueError(
                f"The {channels} input channels must be divisible by `groups`. "
                f"Received: groups={self.groups}, inputs.shape={tuple(input_shape)}"
            )
        self.compute_output_shape(input_shape)  # raises on too small an input
        if self._transpose:
            kernel_shape = self.kernel_size + (self.filters, channels)
        else:
            kernel_shape = self.kernel_size + (channels // self.groups, self.filters)
        bias_shape = ((self.filters,) if self.data_format == "channels_last"
                      else (self.filters,) + (1,) * self.rank)
        self.input_spec = keras.InputSpec(
            ndim=self.rank + 2, axes={self._channel_axis: channels})
        self._build_variational(input_shape, kernel_shape, bias_shape)

    def call(self, inputs):
        return self._variational_call(inputs, self._op, self._sign_shape)

    def _op(self, x, kernel):
        if self._transpose:
            return ops.conv_transpose(
                x, kernel, self.strides, self.padding, self.output_padding,
                self.data_format, self.dilation_rate)
        padding = self.padding
        if padding == "causal":
            # Left-pad the time axis so that output t sees inputs <= t only.
            left = self.dilation_rate[0] * (self.kernel_size[0] - 1)
            pad = [[0, 0], [left, 0], [0, 0]]
            if self.data_format == "channels_first":
                pad = [[0, 0], [0, 0], [left, 0]]
            x, padding = ops.pad(x, pad), "valid"
        return ops.conv(x, kernel, self.strides, padding, self.data_format,
                        self.dilation_rate)

    def _sign_shape(self, x):
        """Flipout signs: one per example and channel, shared over space."""
        shape = ops.shape(x)
        ones = (1,) * self.rank
        if self.data_format == "channels_last":
            return (shape[0],) + ones + (shape[-1],)
        return (shape[0], shape[1]) + ones

    def compute_output_shape(self, input_shape):
        if self._transpose:
            return compute_conv_transpose_output_shape(
                input_shape, self.kernel_size, self.filters, self.strides,
                self.padding, self.output_padding, self.data_format,
                self.dilation_rate)
        padding = "valid" if self.padding == "causal" else self.padding
        shape = list(input_shape)
        if self.padding == "causal":
            axis = 1 if self.data_format == "channels_last" else 2
            if shape[axis] is not None:
                shape[axis] += self.dilation_rate[0] * (self.kernel_size[0] - 1)
        return compute_conv_output_shape(
            shape, self.filters, self.kernel_size, self.strides, padding,
            self.data_format, self.dilation_rate)

    def get_config(self):
        config = super().get_config()
        config.update({
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
        })
        if self._transpose:
            config["output_padding"] = self.output_padding
        else:
            config["groups"] = self.groups
        return config


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


class _NamedConv:
    """A fixed estimator and `tfp.layers.ConvolutionND*`'s positional order
    `(filters, kernel_size, strides, padding, data_format, dilation_rate,
    activation, activity_regularizer, trainable, ...)`."""

    _estimator = None

    def __init__(self, filters, kernel_size, strides=1, padding="valid",
                 data_format=None, dilation_rate=1, activation=None,
                 activity_regularizer=None, trainable=True, **kwargs):
        super().__init__(
            filters, kernel_size, strides, padding, data_format, dilation_rate,
            activation=activation, activity_regularizer=activity_regularizer,
            trainable=trainable,
            estimator=fixed_estimator(type(self), self._estimator, kwargs), **kwargs)


@keras.saving.register_keras_serializable(package="tfbsl")
class Convolution1DReparameterization(_NamedConv, Conv1DVariational):
    """`Conv1DVariational(estimator="reparameterization")` under the
    `tfp.layers` name and positional order. Unlike TFP's, the bias is random by default.

    Example:
    ```python
    layer = tfbsl.layers.Convolution1DReparameterization(16, 3, activation="relu")
    ```
    """

    _estimator = "reparameterization"


@keras.saving.register_keras_serializable(package="tfbsl")
class Convolution1DFlipout(_NamedConv, Conv1DVariational):
    """`Conv1DVariational(estimator="flipout")` under the
    `tfp.layers` name and positional order. Unlike TFP's, the bias is random by default.

    Example:
    ```python
    layer = tfbsl.layers.Convolution1DFlipout(16, 3, activation="relu")
    ```
    """

    _estimator = "flipout"


@keras.saving.register_keras_serializable(package="tfbsl")
class Convolution1DLocalReparameterization(_NamedConv, Conv1DVariational):
    """`Conv1DVariational(estimator="local_reparameterization")` under the
    `tfp.layers` name and positional order. Unlike TFP's, the bias is random by default.

    Example:
    ```python
    layer = tfbsl.layers.Convolution1DLocalReparameterization(16, 3, activation="relu")
    ```
    """

    _estimator = "local_reparameterization"


@keras.saving.register_keras_serializable(package="tfbsl")
class Convolution2DReparameterization(_NamedConv, Conv2DVariational):
    """`Conv2DVariational(estimator="reparameterization")` under the
    `tfp.layers` name and positional order. Unlike TFP's, the bias is random by default.

    Example:
    ```python
    layer = tfbsl.layers.Convolution2DReparameterization(16, 3, activation="relu")
    ```
    """

    _estimator = "reparameterization"


@keras.saving.register_keras_serializable(package="tfbsl")
class Convolution2DFlipout(_NamedConv, Conv2DVariational):
    """`Conv2DVariational(estimator="flipout")` under the
    `tfp.layers` name and positional order. Unlike TFP's, the bias is random by default.

    Example:
    ```python
    layer = tfbsl.layers.Convolution2DFlipout(16, 3, activation="relu")
    ```
    """

    _estimator = "flipout"


@keras.saving.register_keras_serializable(package="tfbsl")
class Convolution2DLocalReparameterization(_NamedConv, Conv2DVariational):
    """`Conv2DVariational(estimator="local_reparameterization")` under the
    `tfp.layers` name and positional order. Unlike TFP's, the bias is random by default.

    Example:
    ```python
    layer = tfbsl.layers.Convolution2DLocalReparameterization(16, 3, activation="relu")
    ```
    """

    _estimator = "local_reparameterization"


@keras.saving.register_keras_serializable(package="tfbsl")
class Convolution3DReparameterization(_NamedConv, Conv3DVariational):
    """`Conv3DVariational(estimator="reparameterization")` under the
    `tfp.layers` name and positional order. Unlike TFP's, the bias is random by default.

    Example:
    ```python
    layer = tfbsl.layers.Convolution3DReparameterization(16, 3, activation="relu")
    ```
    """

    _estimator = "reparameterization"


@keras.saving.register_keras_serializable(package="tfbsl")
class Convolution3DFlipout(_NamedConv, Conv3DVariational):
    """`Conv3DVariational(estimator="flipout")` under the
    `tfp.layers` name and positional order. Unlike TFP's, the bias is random by default.

    Example:
    ```python
    layer = tfbsl.layers.Convolution3DFlipout(16, 3, activation="relu")
    ```
    """

    _estimator = "flipout"


@keras.saving.register_keras_serializable(package="tfbsl")
class Convolution3DLocalReparameterization(_NamedConv, Conv3DVariational):
    """`Conv3DVariational(estimator="local_reparameterization")` under the
    `tfp.layers` name and positional order. Unlike TFP's, the bias is random by default.

    Example:
    ```python
    layer = tfbsl.layers.Convolution3DLocalReparameterization(16, 3, activation="relu")
    ```
    """

    _estimator = "local_reparameterization"
