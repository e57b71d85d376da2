"""Layer outputs that carry a distribution, and the rules they share.

Keras 3 requires every layer output to be a tensor, so a layer that makes a
`tfd.Distribution` (a head, a flow, `Sampling`'s posterior) returns a tensor
carrying it: `t.distribution`, with `mean`, `log_prob`, `sample`, ...
forwarded. `align_value` is the one shape rule for values handed to
`log_prob` (by the forwarded methods and by `NegativeLogLikelihood`);
`distribution_dtype` the one dtype rule of layers that compute a
distribution.
"""

import keras
import tensorflow as tf
import tensorflow_probability as tfp
from keras import ops

tfd = tfp.distributions

_FORWARDED = (
    "mean", "mode", "stddev", "variance", "covariance", "log_prob", "prob",
    "cdf", "log_cdf", "sample", "entropy", "quantile",
)
# The forwarded methods that take a value of the distribution: `align_value` first.
_VALUE_METHODS = ("log_prob", "prob", "cdf", "log_cdf")



def attach_distribution(tensor, distribution):
    """Attach `distribution` to `tensor` and forward its methods (in place)."""
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
    shape = tf.TensorShape(value.shape)
    batch, event = distribution.batch_shape, distribution.event_shape
    expected = batch.concatenate(event)
    if shape.rank is None or expected.rank is None:
        return value
    if shape.is_compatible_with(expected):
        return value
    if (shape.rank == expected.rank - 1 and expected[-1] == 1
            and shape.is_compatible_with(expected[:-1])):
        return ops.expand_dims(value, -1)
    # Only with a batch axis: without one, (n, 1) is n draws of a (1,) event.
    if (shape.rank == expected.rank + 1 and shape[-1] == 1 and batch.rank > 0
            and shape[:-1].is_compatible_with(expected)):
        return ops.squeeze(value, -1)
    raise ValueError(
        f"`{name}` must have the distribution's shape {tuple(expected)} "
        f"(batch_shape {tuple(batch)} + event_shape {tuple(event)}); another "
        f"shape would broadcast against it (for TFP's sample axes, call "
        f"`.distribution.log_prob`). Received: {name}.shape={tuple(shape)}"
    )


def get_distribution(value, name="value"):
    """The `tfd.Distribution` that `value` is, or carries; else a ValueError."""
    if isinstance(value, tfd.Distribution):
        return value
    distribution = getattr(value, "distribution", None)
    if isinstance(distribution, tfd.Distribution):
        return distribution
    raise ValueError(
        f"`{name}` must be a `tfd.Distribution` or a tensor returned by a "
        f"tfbsl distribution layer (with a `.distribution`). Received: "
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
