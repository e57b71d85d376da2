"""Layer outputs that carry a distribution, and the rules they share.

Keras 3 requires every layer output to be a tensor, so a layer that makes a
`tfd.Distribution` (a head, a flow, `Sampling`'s posterior) returns a tensor
carrying it. On TensorFlow the tensor holds it as TFP's layers did:
`t.distribution`, with `mean`, `log_prob`, `sample`, ... forwarded, so that
`d = model(x); d.mean()` and `lambda y, d: -d.log_prob(y)` work as with
`tfp.layers`. A JAX array takes no attributes: there the distribution is
kept beside the array, by its identity, for as long as the array lives, and
`get_distribution(t)` (public as `tfbsl.get_distribution`) reads it on
either backend; `NegativeLogLikelihood` and tfbsl's own layers go through it.
`align_value` is the one shape rule for values handed to `log_prob` (by the
forwarded methods and by `NegativeLogLikelihood`); `distribution_dtype` the
one dtype rule of layers that compute a distribution.
"""

import weakref

import keras
from keras import ops

from tfbsl._backend import impl, is_tensorflow, tfd

_FORWARDED = (
    "mean", "mode", "stddev", "variance", "covariance", "log_prob", "prob",
    "cdf", "log_cdf", "sample", "entropy", "quantile",
)
# The forwarded methods that take a value of the distribution: `align_value` first.
_VALUE_METHODS = ("log_prob", "prob", "cdf", "log_cdf")



# id(tensor) -> (weak reference to the tensor, its distribution): the
# backends whose tensors take no attributes. An entry goes with its tensor.
_CARRIED = {}


def attach_distribution(tensor, distribution):
    """Attach `distribution` to `tensor` (in place; on TensorFlow also
    forward its methods) and return `tensor`."""
    if not is_tensorflow():
        key = id(tensor)
        _CARRIED[key] = (weakref.ref(tensor, lambda _: _CARRIED.pop(key, None)), distribution)
        return tensor
    tensor.distribution = distribution
    for name in _FORWARDED:
        method = getattr(distribution, name, None)
        if method is not None:
            if name in _VALUE_METHODS:
                method = _aligned(method, distribution)
            setattr(tensor, name, method)
    return tensor


def _aligned(method, distribution):
    return lambda value, *args, **kwargs: method(
        align_value(value, distribution), *args, **kwargs)


def align_value(value, distribution, name="value"):
    """`value` cast to `distribution.dtype` and shaped as its `log_prob` takes it.

    The one rule for every head's forwarded `log_prob` and for
    `NegativeLogLikelihood`: the shape is `batch_shape + event_shape`, or one
    of the two shapes Keras hands targets in, each unambiguous:
    - when `batch_shape + event_shape` ends in 1 (`IndependentNormal(1)`:
      `(batch, 1)`), the shape without that axis (`(batch,)`): it is added;
    - that shape with a trailing axis of size 1 (`(batch, 1)` labels for a
      `Categorical`, whose shape is `(batch,)`): it is removed.
    Any other shape would broadcast (a `(batch,)` target against a
    `(batch, 1)` Normal gives `(batch, batch)` log-probabilities, one-hot
    labels against a `Categorical` repeat the batch) and is a `ValueError`
    naming both shapes; TFP's leading sample axes are for
    `tensor.distribution.log_prob`. The check is on static shapes (unknown
    dimensions match any), so it holds under `jit_compile=True`.
    """
    value = ops.cast(value, distribution.dtype)
    shape = _static(value.shape)
    batch, event = _static(distribution.batch_shape), _static(distribution.event_shape)
    if shape is None or batch is None or event is None:
        return value
    expected = batch + event
    if _compatible(shape, expected):
        return value
    if (len(shape) == len(expected) - 1 and expected[-1] == 1
            and _compatible(shape, expected[:-1])):
        return ops.expand_dims(value, -1)
    # Only with a batch axis: without one, (n, 1) is n draws of a (1,) event.
    if (len(shape) == len(expected) + 1 and shape[-1] == 1 and batch
            and _compatible(shape[:-1], expected)):
        return ops.squeeze(value, -1)
    raise ValueError(
        f"`{name}` must have the distribution's shape {expected} "
        f"(batch_shape {batch} + event_shape {event}); another "
        f"shape would broadcast against it (for TFP's sample axes, call "
        f"`.distribution.log_prob`). Received: {name}.shape={shape}"
    )


def _static(shape):
    """A static shape (TensorShape, tuple or list) as a tuple with None for
    unknown dimensions; None for an unknown rank."""
    if getattr(shape, "rank", 0) is None:
        return None
    return tuple(None if d is None else int(d) for d in shape)


def _compatible(shape, expected):
    return len(shape) == len(expected) and all(
        a is None or b is None or a == b for a, b in zip(shape, expected, strict=True))


def get_distribution(value, name="value"):
    """The `tfd.Distribution` that `value` is, or carries; else a ValueError.

    Public as `tfbsl.get_distribution`: the way to read a head's
    distribution from its output on every backend (on TensorFlow,
    `output.distribution` also works, as with `tfp.layers`).

    Args:
        value: a `tfd.Distribution`, or the output of a tfbsl layer that
            makes one (a head, `NormalizingFlow`, a posterior).
        name: the argument's name in the error message.

    Returns:
        The `tfd.Distribution`.

    Raises:
        ValueError: if `value` neither is nor carries a distribution (e.g.
            a copy of a head's output: arithmetic, a cast or a reshape
            returns a new tensor that carries none).

    Example:
    ```pycon
    >>> head = tfbsl.layers.IndependentNormal(1)
    >>> output = head(np.zeros((4, 2), "float32"))
    >>> tuple(tfbsl.get_distribution(output).mean().shape)
    (4, 1)

    ```
    """
    if isinstance(value, tfd.Distribution):
        return value
    distribution = getattr(value, "distribution", None)
    if distribution is None:
        entry = _CARRIED.get(id(value))
        if entry is not None and entry[0]() is value:
            distribution = entry[1]
    if isinstance(distribution, tfd.Distribution):
        return distribution
    raise ValueError(
        f"`{name}` must be a `tfd.Distribution` or a tensor returned by a "
        f"tfbsl distribution layer (which carries one; a copy of it, e.g. "
        f"after arithmetic or a cast, does not). Received: "
        f"{type(value).__name__}"
    )


def distribution_dtype(kwargs):
    """The dtype of a layer that computes a distribution (given or global):
    float32 under a mixed policy; float64 when `keras.config.floatx()` is,
    though the global policy was fixed at float32 by a layer made earlier
    (Keras 3 losses cast a model's output to floatx, and a cast copy carries
    no distribution: TFP's `lambda y, rv_y: -rv_y.log_prob(y)` would fail)."""
    dtype = kwargs.get("dtype")
    policy = keras.dtype_policies.get(dtype) if dtype is not None else keras.config.dtype_policy()
    if policy.compute_dtype in ("float16", "bfloat16"):
        return {**kwargs, "dtype": "float32"}
    if dtype is None and keras.config.floatx() == "float64":
        return {**kwargs, "dtype": "float64"}
    return kwargs


def shape_stand_in(layer, *args, **kwargs):
    """None; or, while Keras infers on JAX the output shape of a user's layer
    holding `layer` (it traces with a symbolic batch size, which TFP's JAX
    substrate cannot put in a shape), zeros of `layer`'s output spec with
    that size. No step sees a stand-in, and it carries no distribution.
    `layer` must compute its output spec without tracing its `call`."""
    dimension = impl.symbolic_dimension(args, kwargs)
    if dimension is None:
        return None

    def spec(value):
        if not hasattr(value, "shape"):
            return value
        shape = tuple(d if isinstance(d, int) else None for d in value.shape)
        return keras.KerasTensor(shape, value.dtype)

    def zeros(spec):
        return ops.zeros(tuple(dimension if d is None else d for d in spec.shape), spec.dtype)

    specs = layer.compute_output_spec(*keras.tree.map_structure(spec, args),
                                      **keras.tree.map_structure(spec, kwargs))
    return keras.tree.map_structure(zeros, specs)


# Two sizes that stand for an unknown dimension when a layer is traced on JAX.
_TRACE_SIZES = (2, 3)


def traced_output_spec(compute_output_spec, *args, **kwargs):
    """`compute_output_spec(*args, **kwargs)` (a layer's inherited one, which
    traces its `call`) on every backend.

    Keras' JAX backend traces an unknown dimension (the batch) as a symbolic
    one, which TFP's JAX substrate cannot put in a shape: there the call is
    traced with two concrete sizes instead, and the output dimensions that
    differ between the two are the unknown ones.
    """
    if is_tensorflow():
        return compute_output_spec(*args, **kwargs)
    specs = [compute_output_spec(*_sized(args, size), **_sized(kwargs, size))
             for size in _TRACE_SIZES]
    return keras.tree.map_structure(_unknown_where_different, *specs)


def _sized(structure, size):
    """`structure` with the unknown dimensions of its `KerasTensor`s set to `size`."""
    return keras.tree.map_structure(
        lambda t: keras.KerasTensor(tuple(size if d is None else d for d in t.shape), t.dtype)
        if isinstance(t, keras.KerasTensor) else t, structure)


def _unknown_where_different(*specs):
    shapes = [spec.shape for spec in specs]
    shape = tuple(d if all(s[i] == d for s in shapes) else None for i, d in enumerate(shapes[0]))
    return keras.KerasTensor(shape, specs[0].dtype)
