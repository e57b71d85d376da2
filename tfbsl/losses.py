"""Losses for models that end in a tfbsl distribution head."""

import keras
from keras import ops

from tfbsl._backend import is_tensorflow
from tfbsl._compat import in_symbolic_scope
from tfbsl._outputs import align_value, attach_distribution, get_distribution

__all__ = ["NegativeLogLikelihood"]

_FLOAT_DTYPES = ("float16", "bfloat16", "float32", "float64")


@keras.saving.register_keras_serializable(package="tfbsl")
class NegativeLogLikelihood(keras.losses.Loss):
    """Negative log-likelihood `-tfbsl.get_distribution(y_pred).log_prob(y_true)`.

    `y_pred` is the output of a tfbsl distribution head (e.g.
    `IndependentNormal`), which carries its distribution (on JAX too, where
    it is a plain array: `fit` hands the loss the very array the head
    returned). `y_true` is shaped
    by the heads' rule (`tfbsl.heads.distribution_layers.align_value`): the
    distribution's `batch_shape + event_shape`, except that `(batch,)` targets
    for a `(batch, 1)` Normal get their trailing axis back and `(batch, 1)`
    labels for a `Categorical` lose theirs; any other shape is a `ValueError`,
    never a silent `(batch, batch)` broadcast. The per-example values are
    reduced as any Keras loss (mean over the batch by default; an empty batch
    gives what Keras' losses give: 0 under `fit`), so with variational layers
    and `kl_weight = 1 / n` the total loss is the negative ELBO divided by
    `n`. Same as `loss=lambda y, d: -d.log_prob(y)` on TensorFlow, but it
    saves without `safe_mode=False`, and it runs on JAX too.

    Args:
        reduction: Keras loss reduction (default `"sum_over_batch_size"`).
        name: name of the loss.
        dtype: float dtype of the targets and of the loss (default: floatx).

    Example:
    ```pycon
    >>> model = keras.Sequential([
    ...     keras.Input((3,)),
    ...     keras.layers.Dense(2),
    ...     tfbsl.layers.IndependentNormal(1),
    ... ])
    >>> model.compile("adam", loss=tfbsl.losses.NegativeLogLikelihood())
    >>> history = model.fit(np.ones((8, 3)), np.zeros((8, 1)), epochs=1, verbose=0)
    >>> bool(np.isfinite(history.history["loss"][0]))
    True

    ```
    """

    def __init__(self, reduction="sum_over_batch_size",
                 name="negative_log_likelihood", dtype=None):
        if not isinstance(name, str):
            raise TypeError(f"`name` must be a string. Received: name={name!r}")
        super().__init__(name=name, reduction=reduction, dtype=_check_float_dtype(dtype))

    def __call__(self, y_true, y_pred, sample_weight=None):
        # Keras casts `y_pred` to the loss dtype, and a cast drops the
        # distribution it carries: cast here, with the distribution kept.
        distribution = _carried(y_pred)
        if distribution is not None and keras.backend.standardize_dtype(y_pred.dtype) != self.dtype:
            y_pred = attach_distribution(ops.cast(y_pred, self.dtype), distribution)
        return super().__call__(y_true, y_pred, sample_weight)

    def call(self, y_true, y_pred):
        if _is_output_placeholder(y_pred):
            # `Model.fit` first builds the compiled loss on a placeholder
            # standing for the model output (under tf.distribute on
            # TensorFlow, always on JAX): it carries no distribution, and
            # only the loss's shape is used.
            return ops.zeros(ops.shape(y_pred)[:1], self.dtype)
        distribution = get_distribution(y_pred, "y_pred")
        return -distribution.log_prob(align_value(y_true, distribution, "y_true"))


def _check_float_dtype(dtype):
    if dtype is None:
        return None
    try:
        compute_dtype = keras.dtype_policies.get(dtype).compute_dtype
    except (TypeError, ValueError):
        compute_dtype = None
    if compute_dtype not in _FLOAT_DTYPES:
        raise ValueError(
            "`dtype` must be None or a float dtype (e.g. 'float32') or policy. "
            f"Received: dtype={dtype!r}"
        )
    return dtype


def _carried(y_pred):
    """The distribution `y_pred` carries, or None."""
    try:
        return get_distribution(y_pred, "y_pred")
    except ValueError:
        return None


def _is_output_placeholder(y_pred):
    """A stand-in for the model output without a distribution: no model
    output is one. On TensorFlow a graph placeholder; on JAX the value Keras
    traces `compute_loss` with in its symbolic scope (`Model.fit` builds the
    loss on a shape before the first step)."""
    if _carried(y_pred) is not None:
        return False
    if is_tensorflow():
        return getattr(getattr(y_pred, "op", None), "type", None) == "Placeholder"
    return in_symbolic_scope()
