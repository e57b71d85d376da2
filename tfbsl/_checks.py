"""Argument checks shared by tfbsl's layers: each raises a `ValueError` naming
the argument, the value received and what is accepted."""

import math


def check_positive_int(name, value):
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(
            f"`{name}` must be a positive integer. Received: {name}={value!r}"
        )
    return value


def check_choice(name, value, choices):
    if value not in choices:
        raise ValueError(
            f"`{name}` must be one of {sorted(choices)}. "
            f"Received: {name}={value!r}"
        )
    return value


def check_nonnegative_finite(name, value):
    try:
        ok = math.isfinite(float(value)) and float(value) >= 0
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise ValueError(
            f"`{name}` must be a finite number >= 0. Received: {name}={value!r}"
        )
    return float(value)


def check_positive_finite(name, value):
    try:
        ok = math.isfinite(float(value)) and float(value) > 0
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise ValueError(
            f"`{name}` must be a finite number > 0. Received: {name}={value!r}"
        )
    return float(value)


def check_known_last_dim(name, input_shape):
    if not input_shape or input_shape[-1] is None:
        raise ValueError(
            f"The last dimension of `{name}` must be known when the layer is "
            f"built (it sets the number of weights). Received: "
            f"{name}.shape={tuple(input_shape) if input_shape else input_shape}"
        )
    return int(input_shape[-1])
