"""The kernel provider of TFP's regression tutorial (case 5), shared by the
Gaussian-process tests, the conformance suite and the bad-input table."""

import keras
import tensorflow as tf
import tensorflow_probability as tfp
import tf_keras


def rbf(amplitude, length_scale):
    """The tutorial's kernel from its two unconstrained weights."""
    return tfp.math.psd_kernels.ExponentiatedQuadratic(
        amplitude=tf.nn.softplus(0.1 * amplitude),
        length_scale=tf.nn.softplus(5.0 * length_scale))


@keras.saving.register_keras_serializable(package="tfbsl_tests")
class RBFKernelFn(keras.layers.Layer):
    """The tutorial's `RBFKernelFn`, on Keras 3 (`tf.keras` is Keras 3 in TF 2.21)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._amplitude = self.add_weight(initializer="zeros", name="amplitude")
        self._length_scale = self.add_weight(initializer="zeros", name="length_scale")

    def call(self, x):
        return x

    @property
    def kernel(self):
        return rbf(self._amplitude, self._length_scale)


class TfKerasRBFKernelFn(tf_keras.layers.Layer):
    """The same kernel provider on `tf_keras`, for TFP's layer."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._amplitude = self.add_weight(initializer="zeros", name="amplitude")
        self._length_scale = self.add_weight(initializer="zeros", name="length_scale")

    def call(self, x):
        return x

    @property
    def kernel(self):
        return rbf(self._amplitude, self._length_scale)
