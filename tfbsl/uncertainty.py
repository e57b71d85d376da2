"""Monte-Carlo predictions of Bayesian models and what to read off them.

The read-outs check their input and raise a ValueError (a TypeError for
non-numbers) naming the argument and what they received: class probabilities
must be finite, in [0, 1], their rows summing to 1 within 0.01 (logits are
refused: apply `keras.ops.softmax` first); labels must be class indices in
[0, num_classes) (whole floats accepted) or one-hot rows; regression targets
must be finite and shaped like the predictions, axes of length 1 aside.
"""

import collections
import statistics
import sys

import keras
import numpy as np

from tfbsl import _checks
from tfbsl._backend import impl, require_tensorflow, tfp
from tfbsl._outputs import get_distribution

__all__ = [
    "Calibration",
    "MCPrediction",
    "auroc",
    "brier_score",
    "calibration",
    "classification_nll",
    "coverage_curve",
    "debiased_calibration_error",
    "expected_calibration_error",
    "expected_entropy",
    "gaussian_log_likelihood",
    "interval_coverage",
    "maximum_calibration_error",
    "mutual_information",
    "predict_mc",
    "predict_proba_mc",
    "prediction_interval",
    "predictive_entropy",
    "rmse",
]

tfd = tfp.distributions

# Class probabilities may carry float16 or bfloat16 rounding (a softmax under
# mixed precision), not a larger gap from 1: that is logits or scores.
_ROW_SUM_ATOL = 1e-2
# Equal-width calibration bins narrower than 1e-4 show nothing a reliability
# diagram could; a larger count is a typo that would allocate them all.
_MAX_BINS = 10_000

MCPrediction = collections.namedtuple(
    "MCPrediction",
    ["mean", "stddev", "samples", "epistemic_stddev", "aleatoric_stddev"],
)
MCPrediction.__doc__ = """Result of `predict_mc`.

Attributes:
    mean: predictive mean, averaged over the passes.
    stddev: total predictive standard deviation,
        `sqrt(epistemic_stddev**2 + aleatoric_stddev**2)`.
    samples: per-pass outputs, shape `(num_samples, n, ...)` (the per-pass
        means for a distribution head).
    epistemic_stddev: spread of the per-pass means (weight uncertainty).
    aleatoric_stddev: root of the mean per-pass variance (noise the model
        predicts; zero for a model whose output is a plain tensor).

Example:
```pycon
>>> model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2),
...                           tfbsl.layers.IndependentNormal(1)])
>>> mean, stddev, samples, epistemic, aleatoric = tfbsl.predict_mc(
...     model, np.ones((4, 3), "float32"), num_samples=5)
>>> float(epistemic.max())  # a deterministic network: all of it aleatoric
0.0
>>> bool(np.allclose(stddev, aleatoric))
True

```
"""


def _mc_step(model):
    """A compiled pass returning (mean, variance) of the model's output."""
    step = getattr(model, "_tfbsl_mc_step", None)
    if step is None:
        def moments(out):
            distribution = _carried(out)
            if distribution is None:
                return keras.ops.convert_to_tensor(out), keras.ops.zeros_like(out)
            return distribution.mean(), distribution.variance()
        step = model._tfbsl_mc_step = impl.compiled_pass(model, moments)
    return step


def _carried(out):
    """The distribution a model output carries, or None (a plain output)."""
    try:
        return get_distribution(out, "outputs")
    except ValueError:
        return None


def _inputs(x):
    """`x` as one NumPy array with at least one example. A dataset (of x, or
    of `(x, y)` / `(x, y, sample_weight)` tuples, as Keras' `predict` takes)
    is read once, so that every pass sees the same examples in the same order
    even if the dataset reshuffles. Datasets are read on TensorFlow only."""
    if _is_dataset(x):
        require_tensorflow("A `tf.data.Dataset` as `x`", instead="a NumPy array")
        batches = [b[0] if isinstance(b, tuple) else b for b in x.as_numpy_iterator()]
        x = np.concatenate(batches) if batches else np.zeros((0,))
    return _checks.check_examples("x", np.asarray(x))


def _is_dataset(x):
    # Without importing TensorFlow: a dataset exists only if it is imported.
    tf = sys.modules.get("tensorflow")
    return tf is not None and isinstance(x, tf.data.Dataset)


def _check_counts(model, num_samples, batch_size):
    """The arguments `predict_mc` and `predict_proba_mc` share; the counts as ints."""
    counts = (_checks.check_positive_int("num_samples", num_samples),
              _checks.check_positive_int("batch_size", batch_size))
    _checks.check_callable("model", model, "x -> outputs (a Keras model)")
    return counts


def predict_mc(model, x, num_samples=100, batch_size=1024):
    """Predict with `num_samples` stochastic passes of a Bayesian model.

    Every pass redraws the model's random weights. For a model ending in a
    distribution head (e.g. `IndependentNormal`), the total variance splits
    into the epistemic part (variance of the per-pass means) and the
    aleatoric part (mean of the per-pass variances).

    Args:
        model: a Keras model (tfbsl layers draw anew at every call). The
            passes are compiled: `tf.function(jit_compile=True)` on
            TensorFlow, `jax.jit` on JAX.
        x: inputs, a NumPy array or tensor, or (on TensorFlow) a
            `tf.data.Dataset` of batches of x or of `(x, y)` /
            `(x, y, sample_weight)` tuples (only x is used; the dataset is
            read once and batched by `batch_size`).
        num_samples: number of passes, an integer >= 2.
        batch_size: examples per pass and call, a positive integer.

    Returns:
        An `MCPrediction(mean, stddev, samples, epistemic_stddev,
        aleatoric_stddev)` of NumPy arrays; it unpacks as
        `mean, stddev, samples, *_ = predict_mc(...)`.

    Example:
    ```pycon
    >>> model = keras.Sequential([keras.Input((3,)), tfbsl.layers.DenseVariational(1)])
    >>> x_test = np.ones((5, 3), "float32")
    >>> pred = tfbsl.predict_mc(model, x_test, num_samples=20)
    >>> pred.mean.shape, pred.stddev.shape, pred.samples.shape
    ((5, 1), (5, 1), (20, 5, 1))
    >>> lower, upper = pred.mean - 1.96 * pred.stddev, pred.mean + 1.96 * pred.stddev
    >>> bool((lower <= upper).all())
    True

    ```
    """
    num_samples, batch_size = _check_counts(model, num_samples, batch_size)
    if num_samples < 2:
        raise ValueError(
            "`num_samples` must be an integer >= 2 (the spread needs two "
            f"passes). Received: num_samples={num_samples!r}")
    x = _inputs(x)
    step = _mc_step(model)
    means, variances = [], []
    for _ in range(num_samples):
        parts = [step(x[i:i + batch_size]) for i in range(0, len(x), batch_size)]
        means.append(np.concatenate([m for m, _ in parts]))
        variances.append(np.concatenate([v for _, v in parts]))
    samples = np.stack(means)
    epistemic = samples.var(axis=0)
    aleatoric = np.stack(variances).mean(axis=0)
    return MCPrediction(
        mean=samples.mean(axis=0),
        stddev=np.sqrt(epistemic + aleatoric),
        samples=samples,
        epistemic_stddev=np.sqrt(epistemic),
        aleatoric_stddev=np.sqrt(aleatoric),
    )


# Regression read-outs of an `MCPrediction` (Gaussian predictive).


def prediction_interval(prediction, level=0.95):
    """Central Gaussian prediction interval `mean -/+ z * stddev`.

    Args:
        prediction: an `MCPrediction` (or anything with `mean` and `stddev`).
        level: nominal probability mass inside the interval, in (0, 1).

    Returns:
        `(lower, upper)` NumPy arrays shaped like `prediction.mean`.

    Example:
    ```pycon
    >>> pred = tfbsl.MCPrediction(mean=np.array([0.0, 1.0]), stddev=np.array([1.0, 2.0]),
    ...                           samples=None, epistemic_stddev=None, aleatoric_stddev=None)
    >>> lower, upper = tfbsl.prediction_interval(pred, 0.9)
    >>> np.round(lower, 3), np.round(upper, 3)
    (array([-1.645, -2.29 ]), array([1.645, 4.29 ]))

    ```
    """
    z = _z_score(level)
    mean, stddev = _mean_stddev(prediction)
    return mean - z * stddev, mean + z * stddev


def interval_coverage(prediction, y_true, level=0.95):
    """Fraction of `y_true` inside the central `level` prediction interval.

    A calibrated model covers about `level` of held-out targets.

    Args:
        prediction: an `MCPrediction` (or anything with `mean` and `stddev`).
        y_true: targets, as many as predictions (`(n,)` or `(n, 1)` alike).
        level: nominal probability mass of the interval, in (0, 1).

    Returns:
        A float in [0, 1].

    Example:
    ```pycon
    >>> pred = tfbsl.MCPrediction(mean=np.zeros(4), stddev=np.ones(4), samples=None,
    ...                           epistemic_stddev=None, aleatoric_stddev=None)
    >>> tfbsl.interval_coverage(pred, np.array([0.5, -1.0, 1.5, 3.0]), 0.95)
    0.75

    ```
    """
    lower, upper = prediction_interval(prediction, level)
    y = _align(y_true, lower)
    return float(np.mean((y >= lower) & (y <= upper)))


def coverage_curve(prediction, y_true, levels=None):
    """Empirical coverage of central intervals at several nominal levels.

    Plotted against `levels`, a calibrated model lies on the diagonal; below
    it the intervals are too narrow (over-confident).

    Args:
        prediction: an `MCPrediction` (or anything with `mean` and `stddev`).
        y_true: targets, as many as predictions.
        levels: a non-empty sequence of nominal levels in (0, 1); default
            0.05, 0.10, ..., 0.95.

    Returns:
        `(levels, coverages)`, two NumPy arrays.

    Example:
    ```pycon
    >>> pred = tfbsl.MCPrediction(mean=np.zeros(4), stddev=np.ones(4), samples=None,
    ...                           epistemic_stddev=None, aleatoric_stddev=None)
    >>> levels, covered = tfbsl.coverage_curve(pred, np.array([0.1, -0.5, 1.0, 2.5]),
    ...                                        levels=[0.5, 0.9])
    >>> levels, covered
    (array([0.5, 0.9]), array([0.5 , 0.75]))

    ```
    """
    levels = np.linspace(0.05, 0.95, 19) if levels is None else _check_levels(levels)
    covered = [interval_coverage(prediction, y_true, level) for level in levels]
    return levels, np.asarray(covered)


def gaussian_log_likelihood(prediction, y_true, y_scale=1.0, per_example=False):
    """Log-likelihood of `y_true` under `Normal(prediction.mean, prediction.stddev)`.

    For a model trained on targets divided by `y_scale` (and predictions on
    that scale), `y_scale` reports the log-likelihood on the original scale:
    the change of variables subtracts `log(y_scale)` per example, as the UCI
    benchmarks (Hernandez-Lobato & Adams 2015) do.

    Args:
        prediction: an `MCPrediction` (or anything with `mean` and `stddev`).
        y_true: targets on the prediction's scale, as many as predictions.
        y_scale: float > 0, the standard deviation the targets were divided by.
        per_example: bool, return one value per example instead of their mean.

    Returns:
        The mean log-likelihood (float), or a NumPy array shaped like
        `prediction.mean` if `per_example`.

    Example:
    ```pycon
    >>> pred = tfbsl.MCPrediction(mean=np.zeros(2), stddev=np.ones(2), samples=None,
    ...                           epistemic_stddev=None, aleatoric_stddev=None)
    >>> round(tfbsl.gaussian_log_likelihood(pred, np.zeros(2)), 4)  # -log(2 pi) / 2
    -0.9189
    >>> round(tfbsl.gaussian_log_likelihood(pred, np.zeros(2), y_scale=2.0), 4)
    -1.6121

    ```
    """
    y_scale = _checks.check_positive_finite("y_scale", y_scale)
    per_example = _checks.check_bool("per_example", per_example)
    mean, stddev = _mean_stddev(prediction)
    if not np.all(stddev > 0):
        raise ValueError(
            "`prediction.stddev` must be > 0 everywhere for a log-likelihood. "
            f"Received: min stddev {stddev.min()!r}"
        )
    y = _align(y_true, mean)
    # The Normal log-density in NumPy: float64 on every backend (JAX computes
    # in float32 unless x64 is enabled).
    z = (y - mean) / stddev
    log_prob = -0.5 * z**2 - np.log(stddev) - 0.5 * np.log(2 * np.pi) - np.log(y_scale)
    return log_prob if per_example else float(np.mean(log_prob))


def rmse(prediction, y_true, y_scale=1.0):
    """Root mean squared error of the predictive mean.

    Args:
        prediction: an `MCPrediction` or an array of point predictions.
        y_true: targets on the prediction's scale, as many as predictions.
        y_scale: float > 0; the error is multiplied by it, to report on the
            original scale of targets that were divided by `y_scale`.

    Returns:
        A float.

    Example:
    ```pycon
    >>> round(tfbsl.rmse(np.array([1.0, 2.0]), np.array([1.0, 4.0])), 4)
    1.4142
    >>> round(tfbsl.rmse(np.array([1.0, 2.0]), np.array([1.0, 4.0]), y_scale=10.0), 3)
    14.142

    ```
    """
    y_scale = _checks.check_positive_finite("y_scale", y_scale)
    mean = getattr(prediction, "mean", prediction)
    if callable(mean):  # an array's (or tensor's) own .mean(): it holds the predictions
        mean = prediction
    mean = _checks.check_numeric_array("prediction", mean).astype(np.float64)
    y = _align(y_true, mean)
    return float(np.sqrt(np.mean((y - mean) ** 2)) * y_scale)


def _z_score(level):
    level = _checks.check_open_unit("level", level)
    return statistics.NormalDist().inv_cdf(0.5 + level / 2)


def _check_levels(levels):
    array = _checks.check_numeric_array("levels", levels).astype(np.float64)
    if array.ndim != 1 or not array.size or not np.all((array > 0) & (array < 1)):
        raise ValueError(
            "`levels` must be a non-empty 1-D sequence of numbers in (0, 1). "
            f"Received: levels={_checks.short_repr(levels)}")
    return array


def _mean_stddev(prediction):
    mean = getattr(prediction, "mean", None)
    stddev = getattr(prediction, "stddev", None)
    # A tensor or array has `mean` (and a tfbsl head's tensor `stddev`) as methods.
    if mean is None or stddev is None or callable(mean) or callable(stddev):
        raise TypeError(
            "`prediction` must be an `MCPrediction` (as `predict_mc` returns) "
            "or have `mean` and `stddev` arrays. Received: prediction of type "
            f"{type(prediction).__name__}")
    mean = _checks.check_numeric_array("prediction.mean", mean).astype(np.float64)
    stddev = _checks.check_numeric_array("prediction.stddev", stddev).astype(np.float64)
    if mean.shape != stddev.shape:
        raise ValueError(
            "`prediction.mean` and `prediction.stddev` must have the same "
            f"shape. Received: {mean.shape} and {stddev.shape}"
        )
    return mean, stddev


def _align(y_true, predicted):
    """`y_true` reshaped like the predictions. Only axes of length 1 may
    differ, as in (n,) against (n, 1): broadcasting those would compare
    every target with every prediction, and reshaping (3, 2) targets to
    (2, 3) predictions would pair them wrongly."""
    if not predicted.size:
        raise ValueError(
            "`prediction` must hold at least one prediction. Received: "
            f"predictions of shape {predicted.shape}")
    y = _checks.check_numeric_array("y_true", y_true).astype(np.float64)
    if _squeezed(y.shape) != _squeezed(predicted.shape):
        raise ValueError(
            f"`y_true` must hold one target per prediction ({predicted.size}), "
            f"shaped like the predictions {predicted.shape} (axes of length 1 "
            f"aside). Received: y_true.shape={y.shape}")
    _check_finite("y_true", y)
    return y.reshape(predicted.shape)


def _squeezed(shape):
    return tuple(d for d in shape if d != 1)


# Classification read-outs of Monte-Carlo class probabilities.

Calibration = collections.namedtuple(
    "Calibration", ["ece", "mce", "confidence", "accuracy", "count", "bin_edges"])
Calibration.__doc__ = """Result of `calibration`: ECE, MCE and reliability-diagram data.

Attributes:
    ece: expected calibration error, `sum_b n_b / n * |acc_b - conf_b|`.
    mce: maximum calibration error, `max_b |acc_b - conf_b|` over non-empty bins.
    confidence: mean top-class probability per bin (NaN where empty).
    accuracy: accuracy per bin (NaN where empty).
    count: examples per bin.
    bin_edges: the `num_bins + 1` edges, equal widths on [0, 1].

Example:
```pycon
>>> probs = np.array([[0.9, 0.1], [0.8, 0.2], [0.3, 0.7], [0.6, 0.4]])
>>> cal = tfbsl.calibration(probs, np.array([0, 0, 1, 1]), num_bins=2)
>>> cal.bin_edges, cal.count
(array([0. , 0.5, 1. ]), array([0, 4]))
>>> round(float(cal.confidence[1]), 3), float(cal.accuracy[1])
(0.75, 0.75)

```
"""


def predict_proba_mc(model, x, num_samples=30, batch_size=1024):
    """Class probabilities from `num_samples` stochastic passes of a classifier.

    The model must output probabilities: a softmax layer, or a
    `tfbsl.layers.Categorical` / `OneHotCategorical` head (whose tensor is the
    probabilities), or an `IndependentBernoulli` head (independent
    probabilities, whose rows need not sum to 1). The first pass is checked:
    outputs outside [0, 1], or rows not summing to 1 (within 0.01) but for a
    Bernoulli head, are a ValueError. Every pass redraws the variational
    layers' weights (and MC-dropout masks if the model calls its dropout with
    `training=True`).

    Args:
        model: a Keras classifier.
        x: inputs, a NumPy array or tensor, or (on TensorFlow) a
            `tf.data.Dataset` of batches of x or of `(x, y)` /
            `(x, y, sample_weight)` tuples (only x is used; the dataset is
            read once and batched by `batch_size`).
        num_samples: number of passes, a positive integer.
        batch_size: examples per call, a positive integer.

    Returns:
        A NumPy array `(num_samples, n, num_classes)`.

    Example:
    ```pycon
    >>> model = keras.Sequential([keras.Input((4,)), tfbsl.layers.DenseVariational(3),
    ...                           keras.layers.Softmax()])
    >>> samples = tfbsl.predict_proba_mc(model, np.ones((5, 4), "float32"), num_samples=10)
    >>> samples.shape
    (10, 5, 3)
    >>> probs, mi = samples.mean(0), tfbsl.mutual_information(samples)
    >>> probs.shape, mi.shape
    ((5, 3), (5,))

    ```
    """
    num_samples, batch_size = _check_counts(model, num_samples, batch_size)
    x = _inputs(x)
    step = _proba_step(model)
    samples = []
    for _ in range(num_samples):
        parts = [step(x[i:i + batch_size]) for i in range(0, len(x), batch_size)]
        samples.append(np.concatenate([probs for probs, _ in parts]))
        if len(samples) == 1:  # the first pass shows whether these are probabilities
            _check_model_probs(samples[0], independent=bool(parts[0][1]))
    return np.stack(samples)


def _proba_step(model):
    """A compiled pass returning the model's output and whether that is
    an (Independent) Bernoulli head's, whose probabilities need not sum to 1."""
    step = getattr(model, "_tfbsl_proba_step", None)
    if step is None:
        def probabilities(out):
            distribution = _carried(out)
            if distribution is not None:
                # The head's probabilities, whatever tensor it hands on (a
                # TFP-named head hands on a sample).
                out = (distribution.probs_parameter()
                       if isinstance(distribution, tfd.Categorical) else distribution.mean())
            while isinstance(distribution, tfd.Independent):
                distribution = distribution.distribution
            return (keras.ops.convert_to_tensor(out),
                    keras.ops.convert_to_tensor(isinstance(distribution, tfd.Bernoulli)))
        step = model._tfbsl_proba_step = impl.compiled_pass(model, probabilities)
    return step


def _check_model_probs(outputs, independent):
    problem = _not_probabilities("outputs", outputs, rows_sum_to_one=not independent)
    if problem:
        raise ValueError(
            "`model` must output class probabilities: in [0, 1] with rows "
            "summing to 1 (a softmax layer, or a tfbsl Categorical or "
            "OneHotCategorical head), or an IndependentBernoulli head's "
            f"probabilities. Received: outputs of shape {outputs.shape} with "
            f"{problem}")


def predictive_entropy(probs):
    """Entropy (nats) of the predictive distribution, total uncertainty.

    Args:
        probs: `(n, K)` probabilities, or `(S, n, K)` per-pass probabilities
            (averaged over the passes first).

    Returns:
        A NumPy array `(n,)`.

    Example:
    ```pycon
    >>> h = tfbsl.predictive_entropy(np.array([[0.5, 0.5], [0.9, 0.1]]))
    >>> np.round(h, 4)  # log 2 (the most uncertain), then less
    array([0.6931, 0.3251])

    ```
    """
    probs = _check_probs("probs", probs, ndims=(2, 3))
    return _entropy(probs.mean(0) if probs.ndim == 3 else probs)


def expected_entropy(samples):
    """Mean entropy of the per-pass predictions, `E_w H[p(y | x, w)]`: the
    aleatoric part of the predictive entropy.

    Args:
        samples: `(S, n, K)` per-pass probabilities.

    Returns:
        A NumPy array `(n,)`.

    Example:
    ```pycon
    >>> samples = np.array([[[1.0, 0.0]], [[0.0, 1.0]]])  # 2 passes, 1 example
    >>> tfbsl.expected_entropy(samples)  # each pass is certain
    array([0.])

    ```
    """
    return _entropy(_check_probs("samples", samples, ndims=(3,))).mean(0)


def mutual_information(samples):
    """Mutual information between the label and the weights (BALD, Houlsby
    et al. 2011): predictive entropy minus expected entropy, the epistemic
    part. Near 0 when all passes agree, large where they disagree.

    Args:
        samples: `(S, n, K)` per-pass probabilities.

    Returns:
        A NumPy array `(n,)`, >= 0.

    Example:
    ```pycon
    >>> samples = np.array([[[1.0, 0.0]], [[0.0, 1.0]]])  # 2 passes that disagree
    >>> np.round(tfbsl.mutual_information(samples), 4)  # all of it epistemic: log 2
    array([0.6931])

    ```
    """
    samples = _check_probs("samples", samples, ndims=(3,))
    # Predictive entropy minus expected entropy.
    return np.maximum(_entropy(samples.mean(0)) - _entropy(samples).mean(0), 0.0)


def calibration(probs, labels, num_bins=15):
    """ECE, MCE and reliability-diagram data of top-class confidence (Guo et
    al. 2017), with `num_bins` equal-width bins on [0, 1].

    Args:
        probs: `(n, K)` probabilities, or `(S, n, K)` per-pass (averaged).
        labels: `(n,)` (or `(n, 1)`) integer labels in [0, K) (whole floats
            accepted), or `(n, K)` one-hot.
        num_bins: an integer in [1, 10000].

    Returns:
        A `Calibration(ece, mce, confidence, accuracy, count, bin_edges)`.

    Example:
    ```pycon
    >>> probs = np.array([[0.9, 0.1], [0.8, 0.2], [0.3, 0.7], [0.6, 0.4]])
    >>> cal = tfbsl.calibration(probs, np.array([0, 0, 1, 1]), num_bins=5)
    >>> round(cal.ece, 3), round(cal.mce, 3)
    (0.3, 0.6)

    ```
    """
    probs, labels = _probs_labels(probs, labels)
    num_bins = _check_num_bins(num_bins, _MAX_BINS, "equal-width bins no narrower than 1e-4")
    confidence = probs.max(-1)
    correct = probs.argmax(-1) == labels
    edges = np.linspace(0.0, 1.0, num_bins + 1)
    # Bins are (lo, hi]; a confidence of exactly 0 cannot occur with K >= 1.
    index = np.clip(np.searchsorted(edges, confidence, side="left") - 1, 0, num_bins - 1)
    count = np.bincount(index, minlength=num_bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_conf = np.bincount(index, confidence, num_bins) / count
        accuracy = np.bincount(index, correct.astype(float), num_bins) / count
    gap = np.abs(accuracy - mean_conf)
    filled = count > 0
    return Calibration(
        ece=float(np.sum(count[filled] / len(labels) * gap[filled])),
        mce=float(gap[filled].max()),
        confidence=mean_conf, accuracy=accuracy, count=count, bin_edges=edges)


def expected_calibration_error(probs, labels, num_bins=15):
    """`calibration(probs, labels, num_bins).ece`: the bin-weighted mean gap
    between confidence and accuracy (0 for a calibrated classifier).

    Example:
    ```pycon
    >>> probs = np.array([[0.9, 0.1], [0.8, 0.2], [0.3, 0.7], [0.6, 0.4]])
    >>> round(tfbsl.expected_calibration_error(probs, np.array([0, 0, 1, 1]), num_bins=5), 3)
    0.3

    ```
    """
    return calibration(probs, labels, num_bins).ece


def maximum_calibration_error(probs, labels, num_bins=15):
    """`calibration(probs, labels, num_bins).mce`: the largest per-bin gap.

    Example:
    ```pycon
    >>> probs = np.array([[0.9, 0.1], [0.8, 0.2], [0.3, 0.7], [0.6, 0.4]])
    >>> round(tfbsl.maximum_calibration_error(probs, np.array([0, 0, 1, 1]), num_bins=5), 3)
    0.6

    ```
    """
    return calibration(probs, labels, num_bins).mce


def debiased_calibration_error(probs, labels, num_bins=15):
    """Root-mean-square calibration error of the top-class confidence,
    estimated without the small-sample bias of binned ECE (Kumar, Liang & Ma
    2019, "Verified Uncertainty Calibration").

    Binned ECE is biased upwards by the sampling noise of each bin's accuracy,
    and more so for a model whose confidences spread over many bins: on a few
    hundred test points a perfectly calibrated but modest classifier can score
    a higher ECE than an over-confident one. This estimator puts the
    confidences in `num_bins` equal-mass bins and subtracts from each squared
    gap its expected noise, `acc_b (1 - acc_b) / (n_b - 1)`, so that its square
    is unbiased: a calibrated predictor scores about the same small value
    (~0.01 on 500 points, the clipped noise) whatever its confidences. It is
    an L2 error, not comparable number for number with ECE (an L1 error).

    Args:
        probs: `(n, K)` probabilities, or `(S, n, K)` per-pass (averaged).
        labels: `(n,)` (or `(n, 1)`) integer labels in [0, K) (whole floats
            accepted), or `(n, K)` one-hot.
        num_bins: an integer in [1, n // 2] (each bin needs 2 examples).

    Returns:
        A float >= 0: `sqrt(max(0, sum_b n_b / n [(acc_b - conf_b)^2
        - acc_b (1 - acc_b) / (n_b - 1)]))`.

    Example:
    ```pycon
    >>> probs = np.array([[0.9, 0.1], [0.8, 0.2], [0.3, 0.7], [0.6, 0.4]])
    >>> round(tfbsl.debiased_calibration_error(probs, np.array([0, 0, 1, 1]), num_bins=2), 3)
    0.0

    ```
    """
    probs, labels = _probs_labels(probs, labels)
    num_bins = _check_num_bins(
        num_bins, len(labels) // 2, f"n // 2 for n = {len(labels)}: each bin needs two examples")
    confidence = probs.max(-1)
    correct = (probs.argmax(-1) == labels).astype(float)
    order = np.argsort(confidence, kind="mergesort")
    squared = 0.0
    for part in np.array_split(order, num_bins):
        accuracy = correct[part].mean()
        gap = accuracy - confidence[part].mean()
        noise = accuracy * (1.0 - accuracy) / (len(part) - 1)
        squared += len(part) / len(labels) * (gap ** 2 - noise)
    return float(np.sqrt(max(squared, 0.0)))


def brier_score(probs, labels):
    """Multi-class Brier score, `mean_i sum_k (p_ik - y_ik)^2` (0 is perfect, 2 worst).

    Args:
        probs: `(n, K)` probabilities, or `(S, n, K)` per-pass (averaged).
        labels: `(n,)` (or `(n, 1)`) integer labels in [0, K) (whole floats
            accepted), or `(n, K)` one-hot.

    Example:
    ```pycon
    >>> round(tfbsl.brier_score(np.array([[1.0, 0.0], [0.5, 0.5]]), np.array([0, 1])), 3)
    0.25

    ```
    """
    probs, labels = _probs_labels(probs, labels)
    onehot = np.eye(probs.shape[-1])[labels]
    return float(np.mean(np.sum((probs - onehot) ** 2, -1)))


def classification_nll(probs, labels, eps=1e-12):
    """Mean negative log-likelihood (nats) of the labels under the predictive
    probabilities, floored at `eps` so that a confident mistake stays finite.

    Args:
        probs: `(n, K)` probabilities, or `(S, n, K)` per-pass (averaged).
        labels: `(n,)` (or `(n, 1)`) integer labels in [0, K) (whole floats
            accepted), or `(n, K)` one-hot.
        eps: probability floor, in (0, 1).

    Example:
    ```pycon
    >>> round(tfbsl.classification_nll(np.array([[0.5, 0.5], [0.9, 0.1]]), np.array([0, 0])), 4)
    0.3993

    ```
    """
    eps = _checks.check_open_unit("eps", eps)
    probs, labels = _probs_labels(probs, labels)
    return float(-np.mean(np.log(np.maximum(probs[np.arange(len(labels)), labels], eps))))


def auroc(in_scores, out_scores):
    """Area under the ROC curve for telling out-of-distribution examples
    (higher score) from in-distribution ones: the probability that a random
    OOD example scores above a random in-distribution one, ties counting half
    (the Mann-Whitney statistic, by ranks; no scikit-learn needed).

    Args:
        in_scores: `(n_in,)` finite uncertainty scores of in-distribution
            examples (e.g. `predictive_entropy`, `mutual_information`,
            `1 - max prob`), at least one.
        out_scores: `(n_out,)` finite scores of out-of-distribution examples,
            at least one.

    Returns:
        A float in [0, 1]; 0.5 is chance.

    Example:
    ```pycon
    >>> tfbsl.auroc(np.array([0.1, 0.2, 0.3]), np.array([0.25, 0.4]))
    0.8333333333333334

    ```
    """
    in_scores = _check_scores("in_scores", in_scores)
    out_scores = _check_scores("out_scores", out_scores)
    scores = np.concatenate([in_scores, out_scores])
    order = np.argsort(scores, kind="mergesort")
    ranks = np.empty(len(scores))
    ranks[order] = np.arange(1, len(scores) + 1)
    # Tied scores share their mean rank.
    _, inverse, counts = np.unique(scores, return_inverse=True, return_counts=True)
    rank_sums = np.bincount(inverse, ranks)
    ranks = (rank_sums / counts)[inverse]
    n_in, n_out = len(in_scores), len(out_scores)
    u = ranks[n_in:].sum() - n_out * (n_out + 1) / 2
    return float(u / (n_in * n_out))


def _entropy(probs):
    return -np.sum(probs * np.log(np.maximum(probs, 1e-12)), -1)


def _at(name, array, index):
    """`name[i, j]=value`, an offending element for a message."""
    index = tuple(int(i) for i in index)
    return f"{name}[{', '.join(map(str, index))}]={array[index].item()!r}"


def _check_finite(name, array):
    bad = np.argwhere(~np.isfinite(array))
    if len(bad):
        raise ValueError(f"`{name}` must be finite. Received: {_at(name, array, bad[0])}")


def _not_probabilities(name, array, rows_sum_to_one=True):
    """What keeps `array` (classes on the last axis) from being
    probabilities, for a message; None if nothing."""
    outside = np.argwhere(~((array >= 0) & (array <= 1)))  # NaN included
    if len(outside):
        return (f"{_at(name, array, outside[0])} outside [0, 1] (values in "
                f"[{np.nanmin(array):.4g}, {np.nanmax(array):.4g}])")
    sums = array.sum(-1)
    if rows_sum_to_one and np.any(np.abs(sums - 1) > _ROW_SUM_ATOL):
        return f"rows summing to values in [{sums.min():.4g}, {sums.max():.4g}]"
    return None


def _check_probs(name, probs, ndims):
    """`probs` as float64 probabilities, `ndims` axes, classes last."""
    probs = _checks.check_numeric_array(name, probs).astype(np.float64)
    if probs.ndim not in ndims:
        shapes = {2: "(n, num_classes)", 3: "(num_samples, n, num_classes)"}
        raise ValueError(
            f"`{name}` must be {' or '.join(shapes[d] for d in ndims)} "
            "probabilities (see predict_proba_mc). "
            f"Received: {name}.shape={probs.shape}")
    if not probs.size:
        raise ValueError(f"`{name}` must not be empty. Received: {name}.shape={probs.shape}")
    problem = _not_probabilities(name, probs)
    if problem:
        raise ValueError(
            f"`{name}` must be probabilities: finite, in [0, 1], and its rows "
            f"must sum to 1 over the classes (last axis, within {_ROW_SUM_ATOL}); "
            f"got logits? apply keras.ops.softmax first. Received: {problem}, "
            f"{name}.shape={probs.shape}")
    return probs


def _check_labels(labels, num_examples, num_classes):
    """`labels` as `(n,)` ints in [0, num_classes), from integer (or whole
    float) labels shaped `(n,)` or `(n, 1)`, or `(n, num_classes)` one-hot."""
    labels = _checks.check_numeric_array("labels", labels)
    if labels.ndim == 2 and labels.shape[-1] == 1:
        labels = labels[:, 0]
    elif labels.ndim == 2 and labels.shape[-1] > 1:
        if labels.shape[-1] != num_classes:
            raise ValueError(
                f"`labels` given one-hot must have one column per class "
                f"({num_classes}). Received: labels.shape={labels.shape}")
        not_one_hot = np.argwhere(
            ~np.all((labels == 0) | (labels == 1), -1) | (labels.sum(-1) != 1))
        if len(not_one_hot):
            row = not_one_hot[0, 0]
            raise ValueError(
                "`labels` given as (n, num_classes) must be one-hot (a single 1 "
                f"per row, 0 elsewhere). Received: labels[{row}]={labels[row].tolist()}")
        labels = labels.argmax(-1)
    elif labels.ndim != 1:
        raise ValueError(
            "`labels` must be (n,) integer labels or (n, num_classes) one-hot. "
            f"Received: labels.shape={labels.shape}")
    if len(labels) != num_examples:
        raise ValueError(
            f"`labels` must hold one label per example ({num_examples}). "
            f"Received: labels.shape={labels.shape}")
    values = labels.astype(np.float64)
    not_whole = np.argwhere(~np.isfinite(values) | (values != np.round(values)))
    if len(not_whole):
        raise ValueError(
            "`labels` must be whole numbers (class indices). Received: "
            f"{_at('labels', labels, not_whole[0])}")
    outside = np.argwhere((values < 0) | (values >= num_classes))
    if len(outside):
        raise ValueError(
            f"`labels` must be class indices in [0, {num_classes}) (the "
            f"probabilities have {num_classes} classes). Received: "
            f"{_at('labels', labels, outside[0])}")
    return labels.astype(int)


def _check_num_bins(num_bins, maximum, reason):
    if _checks.check_positive_int("num_bins", num_bins) > maximum:
        raise ValueError(
            f"`num_bins` must be an integer in [1, {maximum}] ({reason}). "
            f"Received: num_bins={num_bins!r}")
    return int(num_bins)


def _check_scores(name, scores):
    scores = _checks.check_numeric_array(name, scores).astype(np.float64).ravel()
    if not len(scores):
        raise ValueError(f"`{name}` must hold at least one score. Received: {name}=[]")
    _check_finite(name, scores)
    return scores


def _probs_labels(probs, labels):
    probs = _check_probs("probs", probs, ndims=(2, 3))
    probs = probs.mean(0) if probs.ndim == 3 else probs
    return probs, _check_labels(labels, len(probs), probs.shape[-1])
