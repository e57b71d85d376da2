"""Keras 3 twin of `tfp.layers.BlockwiseInitializer`."""

import keras
import numpy as np
from keras import ops

from tfbsl import _checks

__all__ = ["BlockwiseInitializer"]


@keras.saving.register_keras_serializable(package="tfbsl")
class BlockwiseInitializer(keras.initializers.Initializer):
    """Initializes the last axis block by block, each block by its own initializer.

    The twin of `tfp.layers.BlockwiseInitializer`: for `shape[:-1] + (n,)`
    with `n = sum(sizes)`, initializer `i` fills `shape[:-1] + (sizes[i],)`
    and the blocks are concatenated along the last axis in order. Typical use:
    the `loc` and the unconstrained `scale` halves of a mean-field posterior.

    Args:
        initializers: list of Keras initializers, each a name (`"zeros"`,
            `"glorot_uniform"`), a config, an instance or a callable
            `(shape, dtype) -> tensor`.
        sizes: list of ints >= 0, the width of each block (as many as
            `initializers`).
        validate_args: kept for TFP's signature. Keras 3 always calls an
            initializer with a static shape, so `shape[-1] == sum(sizes)` is
            checked in Python whatever its value.

    Returns (when called with `shape` and an optional `dtype`, default
    `keras.config.floatx()`): a tensor of `shape`.

    Raises:
        ValueError: at construction for a wrong argument; when called, if
            `shape[-1] != sum(sizes)`.

    References:
        TensorFlow Probability, `tfp.layers.BlockwiseInitializer`:
        https://www.tensorflow.org/probability/api_docs/python/tfp/layers/BlockwiseInitializer

    Example:
    ```pycon
    >>> n = 3
    >>> init = tfbsl.layers.BlockwiseInitializer(
    ...     ["zeros", keras.initializers.Constant(np.log(np.expm1(1.0)))], sizes=[n, n])
    >>> posterior_params = tfbsl.layers.VariableLayer(2 * n, initializer=init)
    >>> np.round(keras.ops.convert_to_numpy(posterior_params(np.zeros(1))), 4)
    array([0.    , 0.    , 0.    , 0.5413, 0.5413, 0.5413], dtype=float32)

    ```
    """

    def __init__(self, initializers, sizes, validate_args=False):
        if not isinstance(initializers, (list, tuple)) or not initializers:
            raise ValueError(
                "`initializers` must be a non-empty list of Keras initializers. "
                f"Received: initializers={initializers!r}"
            )
        sizes = _check_sizes(sizes)
        if len(sizes) != len(initializers):
            raise ValueError(
                "`sizes` must hold one size per initializer. Received: "
                f"sizes={sizes!r} for {len(initializers)} initializers"
            )
        self.initializers = [
            _checks.check_initializer(f"initializers[{i}]", init)
            for i, init in enumerate(initializers)
        ]
        self.sizes = sizes
        self.validate_args = _checks.check_bool("validate_args", validate_args)

    def __call__(self, shape, dtype=None):
        shape = tuple(shape)
        if not shape or shape[-1] != sum(self.sizes):
            raise ValueError(
                "The last dimension of `shape` must equal `sum(sizes)` = "
                f"{sum(self.sizes)}. Received: shape={shape}"
            )
        dtype = dtype or keras.config.floatx()
        return ops.concatenate(
            [init(shape[:-1] + (size,), dtype=dtype)
             for init, size in zip(self.initializers, self.sizes, strict=True)],
            axis=-1,
        )

    def get_config(self):
        return {
            "initializers": [keras.initializers.serialize(i) for i in self.initializers],
            "sizes": self.sizes,
            "validate_args": self.validate_args,
        }


def _check_sizes(sizes):
    """`sizes` as a list of Python ints >= 0, from a sequence or a 1-D integer array."""
    try:
        array = None if isinstance(sizes, (str, bytes)) else np.asarray(sizes)
    except ValueError:  # ragged nesting
        array = None
    if array is None or array.ndim != 1 or array.dtype.kind not in "iu" or (array < 0).any():
        raise ValueError(
            "`sizes` must be a list of integers >= 0. "
            f"Received: sizes={_checks.short_repr(sizes)}"
        )
    return [int(s) for s in array]
