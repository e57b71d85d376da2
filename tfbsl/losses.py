"""Losses for models that end in a tfbsl distribution head."""

import keras
from keras import ops

from tfbsl.layers.distribution_layers import get_distribution


@keras.saving.register_keras_serializable(package="tfbsl")
class NegativeLogLikelihood(keras.losses.Loss):
    """Negative log-likelihood `-y_pred.distribution.log_prob(y_true)`.

    `y_pred` is the output of a tfbsl distribution head (e.g.
    `IndependentNormal`), which carries its distribution. A target with one
    axis fewer than the distribution's batch and event shapes together, and a
    trailing event axis of size 1 (Keras hands `(batch,)` targets to a
    `(batch, 1)` Normal), gets that axis back, and a target with a surplus
    trailing axis of size 1 (`(batch, 1)` labels for a `Categorical`) loses
    it: `log_prob` never silently broadcasts them to `(batch, batch)`. The
    per-example values are reduced as any Keras loss (mean over the batch by
    default), so with variational layers and `kl_weight = 1 / n` the total
    loss is the negative ELBO divided by `n`. Same as
    `loss=lambda y, d: -d.log_prob(y)`, but it saves without `safe_mode=False`.

    Args:
        reduction: Keras loss reduction (default `"sum_over_batch_size"`).
        name: name of the loss.
        dtype: dtype of the targets and of the loss (default: floatx).

    Example:
    ```python
    model = keras.Sequential([
        keras.Input((3,)),
        keras.layers.Dense(2),
        tfbsl.layers.IndependentNormal(1),
    ])
    model.compile("adam", loss=tfbsl.losses.NegativeLogLikelihood())
    ```
    """

    def __init__(self, reduction="sum_over_batch_size",
                 name="negative_log_likelihood", dtype=None):
        super().__init__(name=name, reduction=reduction, dtype=dtype)

    def call(self, y_true, y_pred):
        if _is_output_placeholder(y_pred):
            # Under tf.distribute, `Model.fit` first builds the compiled loss
            # on a placeholder standing for the model output: it carries no
            # distribution, and only the loss's shape is used.
            return ops.zeros(ops.shape(y_pred)[:1], self.dtype)
        distribution = get_distribution(y_pred, "y_pred")
        y_true = _align_to_distribution(y_true, distribution)
        return -distribution.log_prob(ops.cast(y_true, distribution.dtype))


def _is_output_placeholder(y_pred):
    """A graph placeholder without a distribution: no model output is one."""
    return (getattr(y_pred, "distribution", None) is None
            and getattr(getattr(y_pred, "op", None), "type", None) == "Placeholder")


def _align_to_distribution(y, distribution):
    rank = distribution.batch_shape.rank + distribution.event_shape.rank
    full_shape = distribution.batch_shape.concatenate(distribution.event_shape)
    if len(y.shape) == rank - 1 and full_shape[-1] == 1:
        return ops.expand_dims(y, -1)
    if len(y.shape) == rank + 1 and y.shape[-1] == 1:
        return ops.squeeze(y, -1)
    return y
