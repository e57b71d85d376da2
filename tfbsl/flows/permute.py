"""A fixed permutation of the event dimensions."""

import keras
import numpy as np
from keras import ops

from tfbsl import _checks
from tfbsl._backend import tfp
from tfbsl.flows._block import _FlowBlock

__all__ = ["Permute"]

tfb = tfp.bijectors


@keras.saving.register_keras_serializable(package="tfbsl")
class Permute(_FlowBlock):
    """Permutes the event dimensions (`tfb.Permute`); log-det 0.

    Between autoregressive or coupling blocks it lets every dimension condition
    the others. The permutation is stored as a non-trainable weight, so a
    random one survives `.keras` save/load.

    Args:
        permutation: `"reverse"` (default), `"random"` (drawn at build time
            from a `keras.random.SeedGenerator(seed)`), or an explicit list
            with `output[..., i] = inputs[..., permutation[i]]` (data -> base,
            the bijector's `inverse`).
        seed: optional int (any int64), seeds `"random"`.

    Input shape:
        `(batch, event_size)`.

    Output shape:
        `(batch, event_size)`, permuted (data -> base).

    Example:
    ```pycon
    >>> x = np.array([[0.0, 1.0, 2.0]], "float32")
    >>> for permute in (tfbsl.layers.Permute(), tfbsl.layers.Permute([1, 2, 0])):
    ...     permute.build((None, 3))
    ...     print(keras.ops.convert_to_numpy(permute.bijector().inverse(x)))  # data -> base
    [[2. 1. 0.]]
    [[1. 2. 0.]]
    >>> random = tfbsl.layers.Permute("random", seed=3)

    ```
    """

    def __init__(self, permutation="reverse", seed=None, **kwargs):
        permutation = _check_permutation(permutation)
        seed = _checks.check_seed("seed", seed)
        super().__init__(**kwargs)
        self.permutation = permutation
        self.seed = seed
        self.seed_generator = (
            keras.random.SeedGenerator(seed) if permutation == "random" else None
        )

    def build(self, inputs_shape, context_shape=None):
        self._build_shapes(inputs_shape, context_shape)
        n = self.event_size
        if self.permutation == "reverse":
            value = np.arange(n)[::-1]
        elif self.permutation == "random":
            value = keras.random.shuffle(ops.arange(n), seed=self.seed_generator)
        elif sorted(self.permutation) != list(range(n)):
            raise ValueError(
                f"`permutation` must be a permutation of range({n}) (the event "
                f"size). Received: permutation={self.permutation!r}"
            )
        else:
            value = np.asarray(self.permutation)
        self.indices = self.add_weight(
            shape=(n,), dtype="int32", initializer="zeros", trainable=False,
            name="indices")
        self.indices.assign(ops.cast(value, "int32"))

    def _bijector(self, context):
        # tfb.Permute's forward is `x[..., perm]`; ours (data -> base) is its
        # inverse. A tensor, not the variable: TFP's JAX substrate takes arrays.
        return tfb.Invert(tfb.Permute(ops.convert_to_tensor(self.indices)))

    def _inverse(self, x, context):
        # The bijector's inverse, in plain ops (TFP's cache: see ActNorm._inverse).
        return ops.take(x, self.indices, axis=-1), ops.zeros(ops.shape(x)[:-1], "float32")

    def get_config(self):
        config = super().get_config()
        config.update({"permutation": self.permutation, "seed": self.seed})
        return config


def _check_permutation(permutation):
    """'reverse', 'random' or a list of distinct non-negative ints (a
    permutation of the event dimensions: checked at build, where they are known)."""
    if isinstance(permutation, str) and permutation in ("reverse", "random"):
        return permutation
    try:
        values = [] if isinstance(permutation, str) else list(permutation)
    except TypeError:  # not iterable
        values = []
    if (not values or any(not _checks.is_int(v) or v < 0 for v in values)
            or len(set(values)) != len(values)):
        raise ValueError(
            "`permutation` must be 'reverse', 'random' or a list of distinct "
            f"non-negative integers. Received: permutation={permutation!r}"
        )
    return [int(v) for v in values]
