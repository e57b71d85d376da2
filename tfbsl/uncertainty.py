"""Monte-Carlo predictions of Bayesian models and what to read off them."""

import collections
import statistics

import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp

from tfbsl import _checks

tfd = tfp.distributions

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
"""


def _mc_step(model):
    """A jit-compiled pass returning (mean, variance) of the model's output."""
    step = getattr(model, "_tfbsl_mc_step", None)
    if step is None:
        @tf.function(jit_compile=True, reduce_retracing=True)
        def step(x):
            out = model(x, training=False)
            distribution = getattr(out, "distribution", None)
            if distribution is None:
                return tf.convert_to_tensor(out), tf.zeros_like(out)
            return distribution.mean(), distribution.variance()
        model._tfbsl_mc_step = step
    return step


def predict_mc(model, x, num_samples=100, batch_size=1024):
    """Predict with `num_samples` stochastic passes of a Bayesian model.

    Every pass redraws the model's random weights. For a model ending in a
    distribution head (e.g. `IndependentNormal`), the total variance splits
    into the epistemic part (variance of the per-pass means) and the
    aleatoric part (mean of the per-pass variances).

    Args:
        model: a Keras model (tfbsl layers draw anew at every call).
        x: inputs, a NumPy array or tensor.
        num_samples: number of passes, >= 2.
        batch_size: examples per pass and call.

    Returns:
        An `MCPrediction(mean, stddev, samples, epistemic_stddev,
        aleatoric_stddev)` of NumPy arrays; it unpacks as
        `mean, stddev, samples, *_ = predict_mc(...)`.

    Example:
    ```python
    pred = tfbsl.predict_mc(model, x_test, num_samples=200)
    lower, upper = pred.mean - 1.96 * pred.stddev, pred.mean + 1.96 * pred.stddev
    ```
    """
    if isinstance(num_samples, bool) or not isinstance(num_samples, int) or num_samples < 2:
        raise ValueError(
            "`num_samples` must be an int >= 2 (the spread needs two passes). "
            f"Received: num_samples={num_samples!r}"
        )
    step = _mc_step(model)
    x = np.asarray(x)
    means, variances = [], []
    for _ in range(num_samples):
        parts = [step(tf.constant(x[i:i + batch_size])) for i in range(0, len(x), batch_size)]
        means.append(np.concatenate([m.numpy() for m, _ in parts]))
        variances.append(np.concatenate([v.numpy() for _, v in parts]))
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
    ```python
    lower, upper = tfbsl.prediction_interval(tfbsl.predict_mc(model, x), 0.9)
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
    ```python
    tfbsl.interval_coverage(tfbsl.predict_mc(model, x_test), y_test, 0.95)
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
        levels: nominal levels in (0, 1); default 0.05, 0.10, ..., 0.95.

    Returns:
        `(levels, coverages)`, two NumPy arrays.

    Example:
    ```python
    levels, covered = tfbsl.coverage_curve(pred, y_test)
    plt.plot(levels, covered); plt.plot([0, 1], [0, 1], "k:")
    ```
    """
    levels = np.linspace(0.05, 0.95, 19) if levels is None else np.asarray(levels, float)
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
        per_example: return one value per example instead of their mean.

    Returns:
        The mean log-likelihood (float), or a NumPy array shaped like
        `prediction.mean` if `per_example`.

    Example:
    ```python
    ll = tfbsl.gaussian_log_likelihood(pred, (y_test - mu) / sigma, y_scale=sigma)
    ```
    """
    y_scale = _checks.check_positive_finite("y_scale", y_scale)
    mean, stddev = _mean_stddev(prediction)
    if not np.all(stddev > 0):
        raise ValueError(
            "`prediction.stddev` must be > 0 everywhere for a log-likelihood. "
            f"Received: min stddev {stddev.min()!r}"
        )
    y = _align(y_true, mean)
    log_prob = tfd.Normal(mean, stddev).log_prob(y).numpy() - np.log(y_scale)
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
    ```python
    tfbsl.rmse(pred, (y_test - mu) / sigma, y_scale=sigma)
    ```
    """
    y_scale = _checks.check_positive_finite("y_scale", y_scale)
    mean = getattr(prediction, "mean", prediction)
    if callable(mean):  # an array's (or tensor's) own .mean(): it holds the predictions
        mean = prediction
    mean = np.asarray(mean, np.float64)
    y = _align(y_true, mean)
    return float(np.sqrt(np.mean((y - mean) ** 2)) * y_scale)


def _z_score(level):
    if not 0.0 < float(level) < 1.0:
        raise ValueError(f"`level` must be in (0, 1). Received: level={level!r}")
    return statistics.NormalDist().inv_cdf(0.5 + float(level) / 2)


def _mean_stddev(prediction):
    mean = np.asarray(prediction.mean, np.float64)
    stddev = np.asarray(prediction.stddev, np.float64)
    if mean.shape != stddev.shape:
        raise ValueError(
            "`prediction.mean` and `prediction.stddev` must have the same "
            f"shape. Received: {mean.shape} and {stddev.shape}"
        )
    return mean, stddev


def _align(y_true, predicted):
    """`y_true` reshaped like the predictions: (n,) against (n, 1) must not
    broadcast to (n, n)."""
    y = np.asarray(y_true, np.float64)
    if y.size != predicted.size:
        raise ValueError(
            f"`y_true` must hold one target per prediction ({predicted.size}). "
            f"Received: y_true.shape={y.shape}, predictions {predicted.shape}"
        )
    return y.reshape(predicted.shape)


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
"""


def predict_proba_mc(model, x, num_samples=30, batch_size=1024):
    """Class probabilities from `num_samples` stochastic passes of a classifier.

    The model must output probabilities: a softmax layer, or a
    `tfbsl.layers.Categorical` / `OneHotCategorical` head (whose tensor is the
    probabilities). Every pass redraws the variational layers' weights (and
    MC-dropout masks if the model calls its dropout with `training=True`).

    Args:
        model: a Keras classifier.
        x: inputs, a NumPy array or tensor.
        num_samples: number of passes, >= 1.
        batch_size: examples per call.

    Returns:
        A NumPy array `(num_samples, n, num_classes)`.

    Example:
    ```python
    samples = tfbsl.predict_proba_mc(model, x_test, num_samples=50)
    probs = samples.mean(0); mi = tfbsl.mutual_information(samples)
    ```
    """
    if isinstance(num_samples, bool) or not isinstance(num_samples, int) or num_samples < 1:
        raise ValueError(
            f"`num_samples` must be an int >= 1. Received: num_samples={num_samples!r}")
    step = getattr(model, "_tfbsl_proba_step", None)
    if step is None:
        step = tf.function(lambda t: tf.convert_to_tensor(model(t, training=False)),
                           jit_compile=True, reduce_retracing=True)
        model._tfbsl_proba_step = step
    x = np.asarray(x)
    return np.stack([
        np.concatenate([step(tf.constant(x[i:i + batch_size])).numpy()
                        for i in range(0, len(x), batch_size)])
        for _ in range(num_samples)
    ])


def predictive_entropy(probs):
    """Entropy (nats) of the predictive distribution, total uncertainty.

    Args:
        probs: `(n, K)` probabilities, or `(S, n, K)` per-pass probabilities
            (averaged over the passes first).

    Returns:
        A NumPy array `(n,)`.

    Example:
    ```python
    h = tfbsl.predictive_entropy(tfbsl.predict_proba_mc(model, x))
    ```
    """
    probs = _class_probs(probs)
    return _entropy(probs.mean(0) if probs.ndim == 3 else probs)


def expected_entropy(samples):
    """Mean entropy of the per-pass predictions, `E_w H[p(y | x, w)]`: the
    aleatoric part of the predictive entropy.

    Args:
        samples: `(S, n, K)` per-pass probabilities.

    Returns:
        A NumPy array `(n,)`.

    Example:
    ```python
    aleatoric = tfbsl.expected_entropy(samples)
    ```
    """
    return _entropy(_per_pass(samples)).mean(0)


def mutual_information(samples):
    """Mutual information between the label and the weights (BALD, Houlsby
    et al. 2011): predictive entropy minus expected entropy, the epistemic
    part. Near 0 when all passes agree, large where they disagree.

    Args:
        samples: `(S, n, K)` per-pass probabilities.

    Returns:
        A NumPy array `(n,)`, >= 0.

    Example:
    ```python
    epistemic = tfbsl.mutual_information(tfbsl.predict_proba_mc(model, x))
    ```
    """
    samples = _per_pass(samples)
    return np.maximum(predictive_entropy(samples) - expected_entropy(samples), 0.0)


def calibration(probs, labels, num_bins=15):
    """ECE, MCE and reliability-diagram data of top-class confidence (Guo et
    al. 2017), with `num_bins` equal-width bins on [0, 1].

    Args:
        probs: `(n, K)` probabilities, or `(S, n, K)` per-pass (averaged).
        labels: `(n,)` integer labels, or `(n, K)` one-hot.
        num_bins: positive int.

    Returns:
        A `Calibration(ece, mce, confidence, accuracy, count, bin_edges)`.

    Example:
    ```python
    cal = tfbsl.calibration(samples, y_test)
    centers = (cal.bin_edges[1:] + cal.bin_edges[:-1]) / 2
    plt.bar(centers, cal.accuracy, width=1 / 15); plt.plot([0, 1], [0, 1], "k:")
    ```
    """
    _checks.check_positive_int("num_bins", num_bins)
    probs, labels = _probs_labels(probs, labels)
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
    ```python
    ece = tfbsl.expected_calibration_error(samples, y_test)
    ```
    """
    return calibration(probs, labels, num_bins).ece


def maximum_calibration_error(probs, labels, num_bins=15):
    """`calibration(probs, labels, num_bins).mce`: the largest per-bin gap.

    Example:
    ```python
    mce = tfbsl.maximum_calibration_error(samples, y_test)
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
        labels: `(n,)` integer labels, or `(n, K)` one-hot.
        num_bins: positive int, at most `n // 2` (each bin needs 2 examples).

    Returns:
        A float >= 0: `sqrt(max(0, sum_b n_b / n [(acc_b - conf_b)^2
        - acc_b (1 - acc_b) / (n_b - 1)]))`.

    Example:
    ```python
    tfbsl.debiased_calibration_error(samples, y_test)
    ```
    """
    probs, labels = _probs_labels(probs, labels)
    if _checks.check_positive_int("num_bins", num_bins) > len(labels) // 2:
        raise ValueError(
            f"`num_bins` must be an integer in [1, n // 2 = {len(labels) // 2}] "
            f"(each bin needs two examples). Received: num_bins={num_bins!r}")
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
        labels: `(n,)` integer labels, or `(n, K)` one-hot.

    Example:
    ```python
    tfbsl.brier_score(samples, y_test)
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
        labels: `(n,)` integer labels, or `(n, K)` one-hot.
        eps: probability floor.

    Example:
    ```python
    tfbsl.classification_nll(samples, y_test)
    ```
    """
    probs, labels = _probs_labels(probs, labels)
    return float(-np.mean(np.log(np.maximum(probs[np.arange(len(labels)), labels], eps))))


def auroc(in_scores, out_scores):
    """Area under the ROC curve for telling out-of-distribution examples
    (higher score) from in-distribution ones: the probability that a random
    OOD example scores above a random in-distribution one, ties counting half
    (the Mann-Whitney statistic, by ranks; no scikit-learn needed).

    Args:
        in_scores: `(n_in,)` uncertainty scores of in-distribution examples
            (e.g. `predictive_entropy`, `mutual_information`, `1 - max prob`).
        out_scores: `(n_out,)` scores of out-of-distribution examples.

    Returns:
        A float in [0, 1]; 0.5 is chance.

    Example:
    ```python
    tfbsl.auroc(tfbsl.mutual_information(s_in), tfbsl.mutual_information(s_out))
    ```
    """
    in_scores = np.asarray(in_scores, np.float64).ravel()
    out_scores = np.asarray(out_scores, np.float64).ravel()
    if not len(in_scores) or not len(out_scores):
        raise ValueError(
            "`in_scores` and `out_scores` must both be non-empty. Received "
            f"{len(in_scores)} and {len(out_scores)} scores")
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


def _class_probs(probs):
    probs = np.asarray(probs, np.float64)
    if probs.ndim not in (2, 3):
        raise ValueError(
            "`probs` must be (n, num_classes) or (num_samples, n, num_classes) "
            f"probabilities. Received: probs.shape={probs.shape}")
    return probs


def _per_pass(samples):
    samples = np.asarray(samples, np.float64)
    if samples.ndim != 3:
        raise ValueError(
            "`samples` must be (num_samples, n, num_classes) per-pass "
            f"probabilities (see predict_proba_mc). Received: samples.shape={samples.shape}")
    return samples


def _probs_labels(probs, labels):
    probs = _class_probs(probs)
    probs = probs.mean(0) if probs.ndim == 3 else probs
    labels = np.asarray(labels)
    if labels.ndim == 2 and labels.shape[-1] > 1:
        labels = labels.argmax(-1)
    labels = labels.astype(int).ravel()
    if len(labels) != len(probs):
        raise ValueError(
            f"`labels` must hold one label per example ({len(probs)}). "
            f"Received: labels.shape={np.shape(labels)}")
    return probs, labels
