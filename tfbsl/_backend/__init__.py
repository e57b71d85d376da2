"""The seam between tfbsl and the Keras backend it runs on.

tfbsl builds on TensorFlow Probability, which ships its distributions and
bijectors for TensorFlow (`tensorflow_probability`) and for JAX
(`tensorflow_probability.substrates.jax`); it has no PyTorch substrate. This
module picks, once, at import:

- `tfp` (with `tfd`, `tfb`): TFP's namespace for the running backend. Layer
  code uses `keras.ops`, `keras.random` and these names only.
- `impl`: the module of the few primitives that differ between backends
  (random draws from a `keras.random.SeedGenerator` as TFP wants its seeds,
  whether a value is concrete or being traced); `tfbsl/_backend/tensorflow.py`
  and `tfbsl/_backend/jax.py` implement the same names.

What only TensorFlow has (`tf.distribute`, TFP's `tf.Variable`-based
per-part layers, `tf.data` inputs) is reached through `impl` or guarded with
`require_tensorflow`, so that `import tfbsl` on JAX imports no TensorFlow.
"""

import keras

SUPPORTED = ("tensorflow", "jax")
NAME = keras.backend.backend()

if NAME == "tensorflow":
    import tensorflow_probability as tfp

    from tfbsl._backend import tensorflow as impl
elif NAME == "jax":
    from tensorflow_probability.substrates import jax as tfp

    from tfbsl._backend import jax as impl
else:
    raise ImportError(
        f"tfbsl runs on the Keras backends {', '.join(SUPPORTED)}: it builds on "
        f"TensorFlow Probability, which has no substrate for {NAME!r}. Set the "
        f"environment variable KERAS_BACKEND to 'tensorflow' or 'jax' before "
        f"Keras is imported. Received: keras.backend.backend()={NAME!r}"
    )

tfd = tfp.distributions
tfb = tfp.bijectors


def is_tensorflow():
    """Whether Keras runs on TensorFlow (where TFP's `tf.Variable`-based
    objects and `tf.distribute` exist)."""
    return NAME == "tensorflow"


def require_tensorflow(what, instead=None):
    """Raise a `RuntimeError` saying that `what` needs the TensorFlow backend
    (and what to use instead), unless Keras runs on TensorFlow."""
    if NAME != "tensorflow":
        hint = f" On {NAME}, use {instead}." if instead else ""
        raise RuntimeError(
            f"{what} runs on the TensorFlow backend only (it is built on "
            f"TensorFlow objects that TFP's {NAME} substrate does not have).{hint} "
            f"Received: keras.backend.backend()={NAME!r}"
        )


__all__ = ["NAME", "SUPPORTED", "impl", "is_tensorflow", "require_tensorflow", "tfb", "tfd", "tfp"]
