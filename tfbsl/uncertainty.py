"""Monte-Carlo predictions of Bayesian models and what to read off them."""

import collections

import numpy as np
import tensorflow as tf

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
