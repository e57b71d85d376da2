"""Temperature scaling: one temperature fitted on held-out logits."""

import warnings

import keras
import numpy as np

from tfbsl import _checks

__all__ = ["TemperatureScaling", "fit_temperature"]

# Bisection bounds on log T: T in [e^-12, e^12] covers any useful scaling.
_LOG_T_BOUNDS = (-12.0, 12.0)
_BISECTION_STEPS = 200


def _logits_labels(logits, labels):
    logits = _checks.check_numeric_array("logits", logits)
    if logits.ndim != 2 or logits.shape[1] < 2:
        raise ValueError(
            "`logits` must have shape (num_examples, num_classes) with "
            f"num_classes >= 2. Received: logits.shape={logits.shape}")
    _checks.check_examples("logits", logits)
    if not np.all(np.isfinite(logits)):
        raise ValueError("`logits` must be finite. Received: "
                         f"logits={_checks.short_repr(logits)}")
    labels = _checks.check_numeric_array("labels", labels)
    if labels.ndim == 2 and labels.shape == logits.shape:  # one-hot rows
        labels = np.argmax(labels, axis=1)
    if (labels.ndim != 1 or len(labels) != len(logits)
            or not np.all(np.isfinite(labels)) or np.any(labels != np.round(labels))
            or labels.min() < 0 or labels.max() >= logits.shape[1]):
        raise ValueError(
            "`labels` must be class indices in [0, num_classes) (or one-hot "
            f"rows), one per row of `logits` ({logits.shape}). Received: "
            f"labels={_checks.short_repr(labels)} of shape {labels.shape}")
    return logits.astype(np.float64), labels.astype(np.int64)


def _nll_slope(logits, labels, inverse_t):
    """d NLL / d(1/T): mean of E_p[z] - z_y, increasing in 1/T (the NLL is
    convex in 1/T)."""
    scaled = logits * inverse_t
    scaled = scaled - scaled.max(axis=1, keepdims=True)
    p = np.exp(scaled)
    p /= p.sum(axis=1, keepdims=True)
    return np.mean((p * logits).sum(axis=1) - logits[np.arange(len(labels)), labels])


def fit_temperature(logits, labels):
    """The temperature T > 0 minimising the NLL of `softmax(logits / T)`.

    The negative log-likelihood is convex in 1/T, so its slope in 1/T is
    increasing; the optimum is found by bisection on log T (200 steps in
    NumPy float64, to the bounds' precision), with T clipped to
    [e^-12, e^12] when the slope does not change sign. Separable logits
    (every example's true class ranked first) have no finite optimum: the
    NLL keeps falling as T goes to 0; the function then warns and returns
    the bound.

    Args:
        logits: held-out logits, shape `(num_examples, num_classes)`.
        labels: their class indices, shape `(num_examples,)`, or one-hot
            rows shaped like `logits`.

    Returns:
        The fitted temperature, a Python float.

    Raises:
        TypeError: if `logits` or `labels` is not numeric.
        ValueError: if `logits` is not a non-empty finite 2-D array with at
            least two classes, or `labels` are not class indices for it.

    References:
        Guo, Pleiss, Sun & Weinberger (2017), "On Calibration of Modern
        Neural Networks", https://arxiv.org/abs/1706.04599

    Example:
    ```pycon
    >>> logits = np.array([[4.0, 0.0], [4.0, 0.0], [4.0, 0.0], [0.0, 4.0]])
    >>> labels = np.array([0, 0, 1, 1])  # one confident mistake: T > 1 softens
    >>> round(tfbsl.baselines.fit_temperature(logits, labels), 3)
    3.641

    ```
    """
    logits, labels = _logits_labels(logits, labels)
    low, high = _LOG_T_BOUNDS  # slope(1/T) decreases as log T increases
    if _nll_slope(logits, labels, np.exp(-low)) <= 0:
        # A silent T = e^-12 would turn the calibrated model into a one-hot argmax.
        warnings.warn(
            "fit_temperature: the held-out logits rank every example's true "
            "class first (they are separable), so the NLL keeps falling as "
            f"T -> 0 and the fitted temperature is the bound e^{low:g}: "
            "softmax(logits / T) is then a one-hot argmax. Fit on a larger "
            "held-out set with some mistakes on it, or keep T = 1.",
            UserWarning, stacklevel=2)
    for _ in range(_BISECTION_STEPS):
        mid = 0.5 * (low + high)
        if _nll_slope(logits, labels, np.exp(-mid)) > 0:  # 1/T too large
            low = mid
        else:
            high = mid
    return float(np.exp(0.5 * (low + high)))


class TemperatureScaling:
    """Post-hoc calibration of a classifier's logits by one temperature.

    `fit(logits, labels)` fits T on held-out data (`fit_temperature`);
    calling the object (or `apply`) returns `softmax(logits / T)`.

    Args:
        temperature: the initial temperature, a finite number > 0.

    Raises:
        ValueError: if `temperature` is not a finite number > 0.

    References:
        Guo, Pleiss, Sun & Weinberger (2017), "On Calibration of Modern
        Neural Networks", https://arxiv.org/abs/1706.04599

    Example:
    ```pycon
    >>> logits = np.array([[4.0, 0.0], [4.0, 0.0], [4.0, 0.0], [0.0, 4.0]])
    >>> scaling = tfbsl.baselines.TemperatureScaling().fit(logits, np.array([0, 0, 1, 1]))
    >>> probs = keras.ops.convert_to_numpy(scaling(logits))
    >>> round(scaling.temperature, 3), [round(float(p), 3) for p in probs[0]]
    (3.641, [0.75, 0.25])

    ```
    """

    def __init__(self, temperature=1.0):
        self.temperature = _checks.check_positive_finite("temperature", temperature)

    def fit(self, logits, labels):
        """Fit the temperature on held-out `logits` and `labels`.

        Args:
            logits: shape `(num_examples, num_classes)`.
            labels: class indices or one-hot rows.

        Returns:
            `self`, with `temperature` set.

        Raises:
            TypeError: as `fit_temperature`.
            ValueError: as `fit_temperature`.
        """
        self.temperature = fit_temperature(logits, labels)
        return self

    def apply(self, logits):
        """Calibrated probabilities `softmax(logits / temperature)`.

        Args:
            logits: a tensor or array whose last axis holds the classes.

        Returns:
            A tensor of probabilities, shaped like `logits`.

        Raises:
            TypeError: if `logits` is not numeric.
        """
        if not hasattr(logits, "dtype"):
            logits = _checks.check_numeric_array("logits", logits)
        logits = keras.ops.convert_to_tensor(logits)
        if not keras.backend.is_float_dtype(logits.dtype):
            logits = keras.ops.cast(logits, keras.config.floatx())
        return keras.ops.softmax(logits / keras.ops.cast(self.temperature, logits.dtype), axis=-1)

    __call__ = apply
