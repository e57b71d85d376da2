"""The kernel provider of TFP's regression tutorial (case 5), shared by the
Gaussian-process tests, the conformance suite and the bad-input table: the
Keras 3 one (tests/backends/_kernels.py) and its `tf_keras` twin."""

import tf_keras

from tests.backends._kernels import RBFKernelFn, RBFKernelProvider, rbf

__all__ = ["RBFKernelFn", "TfKerasRBFKernelFn", "rbf"]


class TfKerasRBFKernelFn(RBFKernelProvider, tf_keras.layers.Layer):
    """The same kernel provider on `tf_keras`, for TFP's layer."""
