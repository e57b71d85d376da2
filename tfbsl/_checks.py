"""Argument checks shared by tfbsl's layers and functions.

Each raises a `ValueError` (a wrong value) or a `TypeError` (a wrong type)
naming the argument as the user wrote it, the value received and what is
accepted, in Keras' format: "`name` must be ... Received: name=value".
"""

import inspect
import math
import numbers

import keras
import numpy as np

# Seeds are held in Keras' int64 `SeedGenerator` state on TensorFlow.
_SEED_RANGE = (-(2**63), 2**63)


def is_int(value):
    """A Python or numpy integer, not a bool."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def check_int(name, value, minimum=None):
    """`value` as a Python int (numpy integers accepted), >= `minimum` if given."""
    if not is_int(value):
        raise TypeError(
            f"`{name}` must be an integer. Received: {name}={value!r} "
            f"(of type {type(value).__name__})"
        )
    value = int(value)
    if minimum is not None and value < minimum:
        raise ValueError(
            f"`{name}` must be an integer >= {minimum}. Received: {name}={value!r}"
        )
    return value


def check_positive_int(name, value):
    """`value` as a Python int > 0 (numpy integers accepted)."""
    if not is_int(value) or int(value) <= 0:
        raise ValueError(
            f"`{name}` must be a positive integer. Received: {name}={value!r}"
        )
    return int(value)


def check_positive_int_tuple(name, value):
    """A non-empty tuple of positive ints; a single int `n` is taken as `(n,)`."""
    if is_int(value):
        value = (value,)
    try:
        items = tuple(value)
    except TypeError:
        items = None
    if not items or not all(is_int(v) and int(v) > 0 for v in items):
        raise ValueError(
            f"`{name}` must be a positive integer or a non-empty tuple of "
            f"positive integers. Received: {name}={value!r}"
        )
    return tuple(int(v) for v in items)


def check_seed(name, value):
    """`None` or an integer seed Keras' `SeedGenerator` can hold (int64)."""
    if value is None:
        return None
    if not is_int(value):
        raise TypeError(
            f"`{name}` must be None or an integer. Received: {name}={value!r} "
            f"(of type {type(value).__name__})"
        )
    value = int(value)
    if not _SEED_RANGE[0] <= value < _SEED_RANGE[1]:
        raise ValueError(
            f"`{name}` must fit in 64 bits (-2**63 <= {name} < 2**63). "
            f"Received: {name}={value!r}"
        )
    return value


def check_bool(name, value):
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(
            f"`{name}` must be True or False. Received: {name}={value!r}"
        )
    return bool(value)


def check_choice(name, value, choices):
    if not isinstance(value, (str, type(None), bool, numbers.Number)) or value not in choices:
        raise ValueError(
            f"`{name}` must be one of {sorted(choices, key=str)}. "
            f"Received: {name}={value!r}"
        )
    return value


def _finite_float(value):
    if isinstance(value, (bool, np.bool_, str, bytes)):
        return None
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def check_finite(name, value):
    number = _finite_float(value)
    if number is None:
        raise ValueError(
            f"`{name}` must be a finite number. Received: {name}={value!r}"
        )
    return number


def check_nonnegative_finite(name, value):
    number = _finite_float(value)
    if number is None or number < 0:
        raise ValueError(
            f"`{name}` must be a finite number >= 0. Received: {name}={value!r}"
        )
    return number


def check_positive_finite(name, value):
    number = _finite_float(value)
    if number is None or number <= 0:
        raise ValueError(
            f"`{name}` must be a finite number > 0. Received: {name}={value!r}"
        )
    return number


def check_open_unit(name, value):
    """A float strictly between 0 and 1."""
    number = _finite_float(value)
    if number is None or not 0.0 < number < 1.0:
        raise ValueError(
            f"`{name}` must be a number in (0, 1). Received: {name}={value!r}"
        )
    return number


def check_callable(name, value, signature, num_args=None):
    """A callable; with `num_args`, one that accepts that many positional
    arguments. `signature` is how the message writes what it must be, e.g.
    "(kernel_size, bias_size, dtype) -> prior"."""
    if not callable(value):
        raise TypeError(
            f"`{name}` must be a callable {signature}. Received: {name}={value!r}"
        )
    if num_args is not None and not _accepts(value, num_args):
        raise TypeError(
            f"`{name}` must accept {num_args} positional arguments: "
            f"{signature}. Received: {name}={value!r} with signature "
            f"{_signature(value)}"
        )
    return value


def _signature(fn):
    try:
        return str(inspect.signature(fn))
    except (TypeError, ValueError):
        return "(unknown)"


def _accepts(fn, num_args):
    try:
        inspect.signature(fn).bind(*([None] * num_args))
    except TypeError:
        return False
    except ValueError:  # builtins without a signature: give them the benefit
        return True
    return True


def check_known_last_dim(name, input_shape):
    if not input_shape or input_shape[-1] is None:
        raise ValueError(
            f"The last dimension of `{name}` must be known when the layer is "
            f"built (it sets the number of weights). Received: "
            f"{name}.shape={tuple(input_shape) if input_shape else input_shape}"
        )
    return int(input_shape[-1])


def check_activation(name, value):
    """A Keras activation from a name, a callable or None."""
    return check_keras_object(name, value, keras.activations, "activation")


def check_keras_object(name, value, module, what):
    """`module.get(value)` for a Keras registry module (`keras.activations`,
    `keras.initializers`, ...), its errors re-raised naming the argument."""
    try:
        return module.get(value)
    except (ValueError, TypeError):
        raise ValueError(
            f"`{name}` must be a Keras {what}: a name, a config, an instance "
            f"or a callable. Received: {name}={value!r}"
        ) from None


def check_initializer(name, value):
    """A Keras initializer from a name, a config dict, an instance or a callable."""
    return check_keras_object(name, value, keras.initializers, "initializer")


def check_shape(name, value):
    """A shape as a non-empty tuple of ints > 0, from an int, a sequence of
    ints, or an integer numpy array / eager tensor of rank 0 or 1 (as TFP's
    `params_size` takes); numpy integers accepted."""
    items = value
    if hasattr(value, "dtype") and hasattr(value, "shape"):  # arrays, tensors
        try:
            array = np.asarray(value)
        except (ValueError, NotImplementedError):  # symbolic: no value to read
            array = None
        items = array.tolist() if array is not None and array.ndim <= 1 else None
    if is_int(items):
        items = (items,)
    try:
        items = tuple(items)
    except TypeError:
        items = None
    if items is None or not all(is_int(v) for v in items):
        raise TypeError(
            f"`{name}` must be a positive integer or a non-empty tuple of "
            f"positive integers. Received: {name}={value!r} "
            f"(of type {type(value).__name__})"
        )
    if not items or any(v <= 0 for v in items):
        raise ValueError(
            f"`{name}` must be a positive integer or a non-empty tuple of "
            f"positive integers. Received: {name}={value!r}"
        )
    return tuple(int(v) for v in items)


def short_repr(value, limit=80):
    """`repr(value)` cut to `limit` characters, for a message about an array."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def check_numeric_array(name, value):
    """`value` as a NumPy array of numbers (bools, integers or floats)."""
    try:
        array = np.asarray(value)
    except ValueError:  # ragged nested sequences
        array = None
    if array is None or array.dtype.kind not in "biuf":
        raise TypeError(
            f"`{name}` must be an array of numbers. Received: {name}={short_repr(value)}"
        )
    return array


def check_examples(name, array):
    """A NumPy array holding at least one example along its first axis."""
    if array.ndim == 0 or not len(array):
        raise ValueError(
            f"`{name}` must hold at least one example. Received: {name}.shape={array.shape}"
        )
    return array
