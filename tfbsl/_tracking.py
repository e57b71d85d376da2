"""The TensorFlow variables TFP objects hold, as variables Keras 3 tracks.

Keras 3 trains and saves only `keras.Variable`s owned by layers; TFP's
programs keep state in `tf.Variable`s inside distributions (a trainable prior,
a posterior factory's own variables, a `tfp.util.TransformedVariable` closed
over by a `DistributionLambda`'s function), which tf_keras found by walking
its layers' attributes. Each is wrapped once in a `keras.Variable` sharing its
storage, so that the optimizer updates the very variable the distribution
reads. TFP's JAX substrate keeps no state: on JAX only Keras variables are
found.
"""

import inspect
import weakref

import keras

from tfbsl._backend import is_tensorflow, tfd, tfp

if is_tensorflow():
    import tensorflow as tf

    _TF_VARIABLE, _TF_MODULE = tf.Variable, tf.Module
else:  # nothing is an instance of an empty tuple of types
    _TF_VARIABLE = _TF_MODULE = ()


def keras_variables(*values):
    """The variables `values` read, each once, as `keras.Variable`s.

    Args:
        *values: distributions (through their parameters, nested
            distributions and `DeferredTensor`s such as
            `TransformedVariable`s), other `tf.Module`s (bijectors),
            variables, and lists, tuples or dicts of them; anything else
            holds none.

    Returns:
        A list of `keras.Variable`s: those found as they are, each
        `tf.Variable` wrapped in one that shares its storage.
    """
    return [v if isinstance(v, keras.Variable) else _wrap(v) for v in _variables(values)]


def closure_tf_variables(fn):
    """The `tf.Variable`s a plain function reads through its closure or the
    globals it names, wrapped as by `keras_variables`. Keras variables are
    left to the layers that own them; methods and other callables give none.
    """
    if not inspect.isfunction(fn):
        return []
    cells = [_contents(cell) for cell in fn.__closure__ or ()]
    names = [fn.__globals__[name] for name in fn.__code__.co_names if name in fn.__globals__]
    return [_wrap(v) for v in _variables(cells + names) if isinstance(v, _TF_VARIABLE)]


def _contents(cell):
    try:
        return cell.cell_contents
    except ValueError:  # a cell not filled yet (a function naming itself)
        return None


# One wrapper per `tf.Variable`, however many layers find it: two wrappers of
# one storage would each be stepped by the optimizer (twice the step).
# Weakly held: an entry goes with its wrapper, the last holder of the
# variable's reference key.
_WRAPPERS = weakref.WeakValueDictionary()


def _wrap(variable):
    wrapper = _WRAPPERS.get(variable.ref())
    if wrapper is None:
        wrapper = keras.Variable(variable, trainable=variable.trainable,
                                 name=variable.name.split(":")[0].replace("/", "_"))
        _WRAPPERS[variable.ref()] = wrapper
    return wrapper


def _variables(values):
    found = {}

    def visit(value):
        if isinstance(value, (_TF_VARIABLE, keras.Variable)):
            found.setdefault(id(value), value)
        elif isinstance(value, tfd.Distribution):
            for parameter in value.parameters.values():
                visit(parameter)
        elif isinstance(value, tfp.util.DeferredTensor):
            visit(value.pretransformed_input)
        elif isinstance(value, _TF_MODULE):
            for variable in value.variables:
                visit(variable)
        elif isinstance(value, (list, tuple)):
            for item in value:
                visit(item)
        elif isinstance(value, dict):
            for item in value.values():
                visit(item)

    for value in values:
        visit(value)
    return list(found.values())
