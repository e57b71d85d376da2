"""A fixed permutation of the event dimensions."""

import keras
import numpy as np
import tensorflow_probability as tfp
from keras import ops

from tfbsl.layers.flows._block import _FlowBlock

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
            with `output[..., i] = inputs[..., permutation[i]]`.
        seed: optional int, seeds `"random"`.

    Example:
    ```python
    tfbsl.layers.Permute()                            # [x2, x1, x0]
    tfbsl.layers.Permute("random", seed=3)
    tfbsl.layers.Permute([1, 2, 0])
    ```
    """

    def __init__(self, permutation="reverse", seed=None, **kwargs):
        permutation = _check_permutation(permutation)
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
        # tfb.Permute's forward is `x[..., perm]`; ours (data -> base) is its inverse.
        return tfb.Invert(tfb.Permute(self.indices))

    def get_config(self):
        config = super().get_config()
        config.update({"permutation": self.permutation, "seed": self.seed})
        return config


def _check_permutation(permutation):
    if isinstance(permutation, str):
        if permutation not in ("reverse", "random"):
            raise ValueError(
                "`permutation` must be 'reverse', 'random' or a list of "
                f"distinct non-negative integers. Received: permutation={permutation!r}"
            )
        return permutation
    values = list(permutation)
    if (not values or any(isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, np.integer))
                          or v < 0 for v in values) or len(set(values)) != len(values)):
        raise ValueError(
            "`permutation` must be 'reverse', 'random' or a list of distinct "
            f"non-negative integers. Received: permutation={permutation!r}"
        )
    return [int(v) for v in values]
