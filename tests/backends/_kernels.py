"""The kernel provider of TFP's regression tutorial (case 5) on Keras 3, for
every backend (`tests/_kernels.py` adds its `tf_keras` twin)."""

import keras
from keras import ops

from tfbsl._backend import tfp


def rbf(amplitude, length_scale):
    """The tutorial's kernel from its two unconstrained weights."""
    return tfp.math.psd_kernels.ExponentiatedQuadratic(
        amplitude=ops.softplus(0.1 * ops.convert_to_tensor(amplitude)),
        length_scale=ops.softplus(5.0 * ops.convert_to_tensor(length_scale)))


class RBFKernelProvider:
    """The tutorial's kernel provider, for any Keras' `Layer` base (Keras 3's
    here, tf_keras' in tests/_kernels.py): two weights, the kernel from them."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._amplitude = self.add_weight(initializer="zeros", name="amplitude")
        self._length_scale = self.add_weight(initializer="zeros", name="length_scale")

    def call(self, x):
        return x

    @property
    def kernel(self):
        return rbf(self._amplitude, self._length_scale)


@keras.saving.register_keras_serializable(package="tfbsl_tests")
class RBFKernelFn(RBFKernelProvider, keras.layers.Layer):
    """The tutorial's `RBFKernelFn`, on Keras 3 (`tf.keras` is Keras 3 in TF 2.21)."""
