"""The geometry of a convolution: its checked arguments, kernel and bias
shapes, the operator `op(x, kernel)`, Flipout's sign shape and the output
shape. Both conv families hold one (tfbsl's `Conv2DVariational` and the
`tfp.layers`-named `Convolution2DFlipout`, ...), as Keras' `BaseConv` holds
its arguments around `convolution_op`.
"""

import keras
from keras import ops

from tfbsl import _checks
from tfbsl._compat import (
    compute_conv_output_shape,
    compute_conv_transpose_output_shape,
    standardize_tuple,
)

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


class ConvGeometry:
    """Checked arguments of an N-D (or transposed) convolution and what
    follows from them. Raises the `ValueError`s of bad arguments at
    construction and of bad input shapes in `kernel_shape`."""

    def __init__(self, rank, filters, kernel_size, strides=1, padding="valid",
                 data_format=None, dilation_rate=1, groups=1, output_padding=None,
                 transpose=False):
        self.rank = rank
        self.transpose = transpose
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
        self.channel_axis = -1 if self.data_format == "channels_last" else 1

    def input_spec(self, input_shape=None):
        """Rank always; the channels once built."""
        if input_shape is None:
            return keras.InputSpec(ndim=self.rank + 2)
        return keras.InputSpec(
            ndim=self.rank + 2, axes={self.channel_axis: input_shape[self.channel_axis]})

    def kernel_shape(self, input_shape):
        """The kernel's shape for inputs of `input_shape` (checked)."""
        channels = input_shape[self.channel_axis]
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
        self.output_shape(input_shape)  # raises on too small an input
        if self.transpose:
            return self.kernel_size + (self.filters, channels)
        return self.kernel_size + (channels // self.groups, self.filters)

    def bias_shape(self):
        """Broadcasts against the outputs in either data format."""
        if self.data_format == "channels_last":
            return (self.filters,)
        return (self.filters,) + (1,) * self.rank

    def op(self, x, kernel):
        """The convolution (or transposed convolution) of `x` by `kernel`."""
        if self.transpose:
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

    def sign_shape(self, x):
        """Flipout signs: one per example and channel, shared over space
        (as `tfp.layers.Convolution2DFlipout`), so the perturbation stays a
        convolution."""
        shape = ops.shape(x)
        ones = (1,) * self.rank
        if self.data_format == "channels_last":
            return (shape[0],) + ones + (shape[-1],)
        return (shape[0], shape[1]) + ones

    def output_shape(self, input_shape):
        if self.transpose:
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
        config = {
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
        }
        if self.transpose:
            config["output_padding"] = self.output_padding
        else:
            config["groups"] = self.groups
        return config
