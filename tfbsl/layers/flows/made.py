"""MADE: the masked autoencoder for distribution estimation (Germain et al. 2015)."""

import keras
import numpy as np
from keras import ops

from tfbsl import _checks
from tfbsl.layers.flows._block import (
    as_compute_dtype,
    build_shapes,
    check_context,
    check_hidden_units,
    check_inputs_shape,
)

_ORDERS = ("left-to-right", "right-to-left")


@keras.saving.register_keras_serializable(package="tfbsl")
class AutoregressiveNetwork(keras.Layer):
    """Masked dense network whose output for dimension `i` sees only the
    inputs before `i` (MADE, Germain et al. 2015), as a Keras 3 layer.

    The Keras 3 counterpart of `tfb.AutoregressiveNetwork` (a `tf_keras`
    layer): input `[..., event_size]`, output `[..., event_size, params]`,
    where `output[..., i, :]` depends only on the inputs that precede `i` in
    `input_order`, and on the optional context (through unmasked weights into
    every layer, as TFP's `conditional_layers="all_layers"`).

    Args:
        params: number of outputs per input dimension (2 for an affine MAF).
        hidden_units: sizes of the masked hidden layers (an int is one layer).
        activation: activation of the hidden layers.
        input_order: `"left-to-right"` (default) or `"right-to-left"`.
        kernel_initializer, bias_initializer: Keras initializers.

    Example:
    ```python
    made = tfbsl.layers.AutoregressiveNetwork(params=2, hidden_units=(32, 32))
    shift_and_log_scale = made(x)  # [batch, event_size, 2]
    ```
    """

    def __init__(self, params, hidden_units=(64, 64), activation="relu",
                 input_order="left-to-right", kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", **kwargs):
        params = _checks.check_positive_int("params", params)
        hidden_units = check_hidden_units(hidden_units)
        activation = _checks.check_activation("activation", activation)
        _checks.check_choice("input_order", input_order, _ORDERS)
        kernel_initializer = _checks.check_initializer("kernel_initializer", kernel_initializer)
        bias_initializer = _checks.check_initializer("bias_initializer", bias_initializer)
        super().__init__(**kwargs)
        self.params = params
        self.hidden_units = hidden_units
        self.activation = activation
        self.input_order = input_order
        self.kernel_initializer = kernel_initializer
        self.bias_initializer = bias_initializer

    def build(self, inputs_shape, context_shape=None):
        self.event_size, self.context_size = build_shapes(
            self, inputs_shape, context_shape, rank=None)
        self._masks = _made_masks(self.event_size, self.hidden_units, self.input_order, self.params)
        self._kernels, self._biases, self._context_kernels = [], [], []
        for i, mask in enumerate(self._masks):
            self._kernels.append(self.add_weight(
                shape=mask.shape, initializer=self.kernel_initializer, name=f"kernel_{i}"))
            self._biases.append(self.add_weight(
                shape=mask.shape[1:], initializer=self.bias_initializer, name=f"bias_{i}"))
            if self.context_size is not None:
                self._context_kernels.append(self.add_weight(
                    shape=(self.context_size, mask.shape[1]),
                    initializer=self.kernel_initializer, name=f"context_kernel_{i}"))

    def call(self, inputs, context=None):
        inputs = as_compute_dtype(self, inputs)
        check_inputs_shape(self, inputs.shape, self.event_size, rank=None)
        context = check_context(self, context, self.context_size)
        h = inputs
        layer_params = zip(self._masks, self._kernels, self._biases, strict=True)
        for i, (mask, kernel, bias) in enumerate(layer_params):
            h = ops.matmul(h, kernel * ops.convert_to_tensor(mask, kernel.dtype)) + bias
            if self._context_kernels:
                h = h + ops.matmul(context, self._context_kernels[i])
            if i < len(self._masks) - 1:
                h = self.activation(h)
        return ops.reshape(h, (*ops.shape(inputs)[:-1], self.event_size, self.params))

    def compute_output_shape(self, inputs_shape, context_shape=None):
        return (*inputs_shape[:-1], inputs_shape[-1], self.params)

    def get_config(self):
        config = super().get_config()
        config.update({
            "params": self.params,
            "hidden_units": list(self.hidden_units),
            "activation": keras.activations.serialize(self.activation),
            "input_order": self.input_order,
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
            "bias_initializer": keras.initializers.serialize(self.bias_initializer),
        })
        return config


def _made_masks(event_size, hidden_units, input_order, params):
    """MADE connectivity: a unit of degree k sees inputs of degree <= k; an
    output of degree k sees hidden units of degree < k (strict, so output `i`
    never sees input `i`)."""
    degrees_in = np.arange(1, event_size + 1)
    if input_order == "right-to-left":
        degrees_in = degrees_in[::-1]
    degrees = [degrees_in]
    for units in hidden_units:
        # Hidden degrees cycle through 1..event_size-1: degree event_size
        # would connect to no output.
        degrees.append(np.arange(units) % max(1, event_size - 1) + 1)
    masks = [
        (d_out[None, :] >= d_in[:, None]).astype("float32")
        for d_in, d_out in zip(degrees[:-1], degrees[1:], strict=True)
    ]
    out = (degrees_in[None, :] > degrees[-1][:, None]).astype("float32")
    # Output unit i * params + p belongs to dimension i.
    masks.append(np.repeat(out, params, axis=1))
    return masks
