"""A model's last `Dense` layer seen as a linear model on fixed features."""

import keras
import numpy as np

from tfbsl import _checks


def _activation_name(activation):
    return getattr(activation, "__name__", activation)


class LastLayer:
    """The last `keras.layers.Dense` of a model and the feature map before it.

    The layers before the last one are the feature map `phi(x)`; a column of
    ones is appended for the bias when the layer has one, so that the layer
    computes `phi(x) @ weights()` (before its activation).

    Args:
        model: a built Keras model whose last layer is a `keras.layers.Dense`.
        activations: the activations accepted for that layer, as a dict from
            the Keras activation function to its name.
        reason: what the accepted activations mean, for the error message.

    Raises:
        TypeError: if `model` is not a Keras model or its last layer is not
            a `keras.layers.Dense`.
        ValueError: if the last layer's activation is not accepted.
    """

    def __init__(self, model, activations, reason):
        if not isinstance(model, keras.Model):
            raise TypeError(f"`model` must be a Keras model. Received: model={model!r}")
        last = model.layers[-1] if model.layers else None
        if not isinstance(last, keras.layers.Dense):
            raise TypeError(
                "`model`'s last layer must be a `keras.layers.Dense`. Received: "
                f"model.layers[-1]={last!r}")
        if not any(last.activation is a for a in activations):
            raise ValueError(
                f"`model`'s last Dense layer must have a {' or '.join(activations.values())} "
                f"activation ({reason}). Received: activation="
                f"{_activation_name(last.activation)!r}")
        self.layer = last
        self.units = last.units
        body_output, inputs = last.input, model.inputs
        self._body = None if any(body_output is t for t in inputs) else \
            keras.Model(inputs[0] if len(inputs) == 1 else inputs, body_output)

    def features(self, x):
        """The last layer's inputs for `x`, float64 `(num_examples,
        features)`, with a column of ones appended when the layer has a bias."""
        x = _checks.check_examples("x", _checks.check_numeric_array("x", x))
        phi = x if self._body is None else keras.ops.convert_to_numpy(
            self._body(x.astype(keras.config.floatx())))
        phi = np.asarray(phi, np.float64).reshape(len(x), -1)
        if self.layer.use_bias:
            phi = np.concatenate([phi, np.ones((len(phi), 1))], axis=1)
        return phi

    def weights(self):
        """The layer's trained kernel, float64 `(features, units)`, with the
        bias appended as the last row when the layer has one."""
        kernel = keras.ops.convert_to_numpy(self.layer.kernel).astype(np.float64)
        if self.layer.use_bias:
            bias = keras.ops.convert_to_numpy(self.layer.bias).astype(np.float64)
            kernel = np.concatenate([kernel, bias[None]], axis=0)
        return kernel
