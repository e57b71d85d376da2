"""Predictive class probabilities from Gaussian logits: the linearised
(GLM) logits' moments, MacKay's probit approximation, and Monte Carlo."""

import numpy as np

from tfbsl.baselines._softmax_likelihood import softmax

# Examples per block when the full logit covariances are formed.
_BLOCK = 256


def logit_moments(phi, mean, covariance, structure):
    """Mean and covariance of the logits `f = phi W` when the flattened `W`
    is `N(mean, covariance)`.

    Args:
        phi: `(n, features)` features.
        mean: `(features, classes)` weights' mean.
        covariance: `(P, P)` for `"full"` (parameter `d * classes + k` is
            `W[d, k]`), or the `(features, classes)` variances for `"diag"`.
        structure: `"full"` or `"diag"`.

    Returns:
        `(mean, covariance)`: `(n, classes)` and `(n, classes, classes)`.
    """
    f_mean = phi @ mean
    n, (d, k) = len(phi), mean.shape
    if structure == "diag":
        f_cov = np.zeros((n, k, k))
        f_cov[:, np.arange(k), np.arange(k)] = (phi * phi) @ covariance
        return f_mean, f_cov
    blocks = []
    for start in range(0, n, _BLOCK):
        part = phi[start:start + _BLOCK]
        left = (part @ covariance.reshape(d, k * d * k)).reshape(len(part), k, d, k)
        blocks.append(np.einsum("nkel,ne->nkl", left, part))
    f_cov = np.concatenate(blocks)
    return f_mean, 0.5 * (f_cov + np.swapaxes(f_cov, 1, 2))


def probit(f_mean, f_cov):
    """MacKay's approximation `softmax(mean_k / sqrt(1 + pi/8 var_k))` of
    `E softmax(f)`, from the logits' variances (the covariance's diagonal)."""
    variance = np.diagonal(f_cov, axis1=1, axis2=2)
    return softmax(f_mean / np.sqrt(1.0 + np.pi / 8.0 * variance))


def sample_probs(f_mean, f_cov, num_samples, rng):
    """`softmax(f)` for `num_samples` draws of every example's logits from
    `N(f_mean, f_cov)` (through the covariance's eigendecomposition, so a
    singular covariance is fine): shape `(num_samples, n, classes)`."""
    values, vectors = np.linalg.eigh(f_cov)
    root = vectors * np.sqrt(np.clip(values, 0.0, None))[:, None, :]
    z = rng.standard_normal((num_samples, *f_mean.shape))
    return softmax(f_mean + np.einsum("nkl,snl->snk", root, z))
