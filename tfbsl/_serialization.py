"""Serialising user functions (make_distribution_fn, factories) in configs.

Registered functions serialise by name, as Keras does for activations. A Python
lambda is stored as bytecode, as `keras.layers.Lambda` does, and loading it
needs `safe_mode=False`. Its globals on reload hold the usual names of
distribution code (`tfp`, `tfd`, `tfb`, `keras`, `ops`, `np`, `tfbsl`, and
`tf` on TensorFlow), with TFP's namespace for the backend loading it.
"""

import types

import keras
import numpy as np

from tfbsl._backend import is_tensorflow, tfp
from tfbsl._compat import func_dump, func_load, in_safe_mode

_LAMBDA_GLOBALS = {
    "tfp": tfp,
    "tfd": tfp.distributions,
    "tfb": tfp.bijectors,
    "keras": keras,
    "ops": keras.ops,
    "np": np,
}


def serialize_fn(fn):
    """Config entry for a callable (None stays None)."""
    if fn is None:
        return None
    if isinstance(fn, types.LambdaType) and fn.__name__ == "<lambda>":
        code, defaults, closure = func_dump(fn)
        return {
            "class_name": "__lambda__",
            "config": {"code": code, "defaults": defaults, "closure": closure},
        }
    return keras.saving.serialize_keras_object(fn)


def deserialize_fn(config, custom_objects=None, safe_mode=None):
    """Inverse of `serialize_fn`; a lambda needs `safe_mode=False`."""
    if config is None or callable(config):
        return config
    if isinstance(config, dict) and config.get("class_name") == "__lambda__":
        safe = safe_mode if safe_mode is not None else in_safe_mode()
        if safe is not False:
            raise ValueError(
                "Requested the deserialization of a Python lambda (a tfbsl "
                "layer's function argument). This can run arbitrary code and "
                "is disallowed by default. If you trust the file, pass "
                "`safe_mode=False` to `keras.saving.load_model`, or register "
                "the function with `keras.saving.register_keras_serializable`."
            )
        import tfbsl

        inner = config["config"]
        globs = dict(_LAMBDA_GLOBALS, tfbsl=tfbsl)
        if is_tensorflow():
            import tensorflow as tf

            globs["tf"] = tf
        return func_load(
            inner["code"],
            defaults=inner["defaults"],
            closure=inner["closure"],
            globs=globs,
        )
    return keras.saving.deserialize_keras_object(
        config, custom_objects=custom_objects
    )


class FromConfig:
    """`from_config(config) = cls(**config)`, for plain registered objects."""

    @classmethod
    def from_config(cls, config):
        return cls(**config)
