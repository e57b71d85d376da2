"""The KL weight every KL-adding layer keeps (dense, conv, `Sampling`).

It lives in a non-trainable float32 variable, so `tfbsl.callbacks.KLAnnealing`
can change it between steps under `jit_compile=True` without retracing. The
layer's `kl_weight` attribute (and its config) keep the initial value; the
variable holds the value in force.
"""

import keras

from tfbsl import _checks


def check_kl_weight(kl_weight, default=1.0):
    """`kl_weight=None` means `default`; otherwise a finite number >= 0."""
    if kl_weight is None:
        return float(default)
    return _checks.check_nonnegative_finite("kl_weight", kl_weight)


def add_kl_weight_variable(layer):
    """Create `layer.kl_weight_variable` from `layer.kl_weight` (call in build)."""
    layer.kl_weight_variable = layer.add_weight(
        shape=(),
        initializer=keras.initializers.Constant(layer.kl_weight),
        trainable=False,
        dtype="float32",
        name="kl_weight",
    )


def kl_layers(model):
    """Every layer in `model` (nested ones too) that has a KL weight variable."""
    return [
        layer for layer in model._flatten_layers(include_self=True)
        if getattr(layer, "kl_weight_variable", None) is not None
    ]
