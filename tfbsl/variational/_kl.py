"""The KL term every KL-adding layer (dense, conv, `Sampling`) adds: one rule.

`KL(q || p)` is analytic where `tfd.kl_divergence` knows the pair, else the
one-draw Monte Carlo estimate `log q(w) - log p(w)`; `kl_use_exact=False`
asks for the estimate, `True` for the closed form (an error without one).

The weight lives in a non-trainable float32 variable, so
`tfbsl.callbacks.KLAnnealing` can change it between steps under
`jit_compile=True` without retracing. The layer's `kl_weight` attribute (and
its config) keep the initial value; the variable holds the value in force.
"""

import keras
import numpy as np

from tfbsl import _checks
from tfbsl._backend import tfp

tfd = tfp.distributions


def check_kl_use_exact(kl_use_exact):
    """`kl_use_exact`: None, True or False (NumPy booleans accepted)."""
    if kl_use_exact is None:
        return None
    if isinstance(kl_use_exact, (bool, np.bool_)):
        return bool(kl_use_exact)
    raise ValueError(
        "`kl_use_exact` must be None, True or False. "
        f"Received: kl_use_exact={kl_use_exact!r}"
    )


def has_analytic_kl(q, p):
    """Whether `tfd.kl_divergence` has a closed form for the pair."""
    try:
        tfd.kl_divergence(q, p)
    except NotImplementedError:
        return False
    return True


def check_analytic(kl_use_exact, q, p):
    """A `ValueError` if `kl_use_exact=True` asks for a closed form TFP lacks."""
    if kl_use_exact and not has_analytic_kl(q, p):
        raise ValueError(
            "`kl_use_exact=True`, but `tfd.kl_divergence` has no closed form "
            f"for posterior {describe(q)} and prior {describe(p)}. Use "
            "kl_use_exact=None or False (Monte Carlo)."
        )


def kl_divergence(q, p, draw, kl_use_exact=None):
    """`KL(q || p)` by the rule above.

    Args:
        q, p: the posterior and the prior (`tfd.Distribution`s).
        draw: callable `() -> w`, a draw of `q` for the Monte Carlo estimate
            (called only when it is used).
        kl_use_exact: None, True or False, as above.

    Raises:
        ValueError: `kl_use_exact=True` for a pair without a closed form.
    """
    check_analytic(kl_use_exact, q, p)
    if kl_use_exact is not False and has_analytic_kl(q, p):
        return tfd.kl_divergence(q, p)
    w = draw()
    return q.log_prob(w) - p.log_prob(w)


def describe(distribution):
    """`Independent(Normal)` for a distribution wrapping another."""
    inner = getattr(distribution, "distribution", None)
    name = type(distribution).__name__
    return f"{name}({describe(inner)})" if isinstance(inner, tfd.Distribution) else name


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
