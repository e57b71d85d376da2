"""The kernel provider of TFP's regression tutorial (case 5), shared by the
Gaussian-process tests, the conformance suite and the bad-input table: the
Keras 3 one (tests/backends/_kernels.py) and its `tf_keras` twin."""

import tf_keras

from tests.backends._kernels import RBFKernelFn, rbf

__all__ = ["RBFKernelFn", "TfKerasRBFKernelFn", "rbf"]


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
