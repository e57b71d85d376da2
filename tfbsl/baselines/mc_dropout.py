"""Monte Carlo dropout: dropout left on at prediction time."""

import keras
import numpy as np

from tfbsl import _checks

__all__ = ["mc_dropout_predict"]


def mc_dropout_predict(model, x, num_samples=30, batch_size=None):
    """Stochastic forward passes of a model with its dropout layers active.

    Each pass calls `model(x, training=True)`, so every dropout layer draws
    a new mask. Other layers that behave differently in training run in
    training mode too (e.g. `BatchNormalization` normalises by the batch's
    statistics), so such a model should be given whole batches.

    Args:
        model: a Keras model (or any callable taking `training=`).
        x: inputs, an array with examples along the first axis.
        num_samples: the number of passes, an integer >= 1.
        batch_size: examples per call, a positive integer; default: all.

    Returns:
        A NumPy array of shape `(num_samples, num_examples, ...)`: the
        outputs of the passes (their mean is the MC-dropout predictive mean).

    Raises:
        TypeError: if `model` is not callable or `x` is not numeric.
        ValueError: if `num_samples` or `batch_size` is not a positive
            integer, or `x` holds no example.

    References:
        Gal & Ghahramani (2016), "Dropout as a Bayesian Approximation:
        Representing Model Uncertainty in Deep Learning",
        https://arxiv.org/abs/1506.02142

    Example:
    ```pycon
    >>> model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8),
    ...                           keras.layers.Dropout(0.5), keras.layers.Dense(1)])
    >>> samples = tfbsl.baselines.mc_dropout_predict(model, np.ones((5, 4)), num_samples=10)
    >>> samples.shape, samples.mean(0).shape
    ((10, 5, 1), (5, 1))

    ```
    """
    _checks.check_callable("model", model, "x -> outputs (a Keras model)")
    num_samples = _checks.check_positive_int("num_samples", num_samples)
    x = _checks.check_examples("x", _checks.check_numeric_array("x", x))
    batch_size = len(x) if batch_size is None else \
        _checks.check_positive_int("batch_size", batch_size)
    samples = []
    for _ in range(num_samples):
        parts = [keras.ops.convert_to_numpy(model(x[i:i + batch_size], training=True))
                 for i in range(0, len(x), batch_size)]
        samples.append(np.concatenate(parts))
    return np.stack(samples)
