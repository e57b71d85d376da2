"""`tfbsl.vae`'s ELBO parts and importance-weighted bound against the closed
forms of a linear-Gaussian model, on every backend.

Model: `z ~ N(0, I_k)`, `x | z ~ N(W z, s² I_d)`, with orthogonal columns of
`W` so that the exact posterior `q(z | x) = N(Σ Wᵀ x / s², Σ)`,
`Σ = (I + WᵀW / s²)⁻¹`, is diagonal and an encoder can output it. With the
exact posterior, `ELBO = log p(x) = log N(x; 0, W Wᵀ + s² I)` and every
importance weight equals `p(x)`.
"""

import numpy as np
from keras import ops

import tfbsl
from tfbsl._backend import tfd

D, K, S = 4, 2, 0.5


def _model():
    rng = np.random.default_rng(0)
    q, _ = np.linalg.qr(rng.normal(size=(D, K)))
    w = q * np.array([2.0, 0.7])  # orthogonal columns, norms 2 and 0.7
    sigma = np.diag(1 / (1 + np.sum(w**2, axis=0) / S**2))  # the posterior covariance
    a = sigma @ w.T / S**2  # posterior mean = a @ x
    x = rng.multivariate_normal(np.zeros(D), w @ w.T + S**2 * np.eye(D), size=64)
    return w, sigma, a, x.astype("float32")


def _encoder(a, sigma):
    log_var = np.log(np.diag(sigma)).astype("float32")
    return lambda x: [ops.matmul(x, ops.convert_to_tensor(a.T.astype("float32"))),
                      ops.zeros((ops.shape(x)[0], K)) + log_var]


def _decoder(w):
    return lambda z: tfd.Independent(
        tfd.Normal(ops.matmul(z, ops.convert_to_tensor(w.T.astype("float32"))), S), 1)


def _log_evidence(w, x):
    covariance = w @ w.T + S**2 * np.eye(D)
    _, log_det = np.linalg.slogdet(covariance)
    quadratic = np.einsum("nd,de,ne->n", x, np.linalg.inv(covariance), x)
    return float(np.mean(-0.5 * (D * np.log(2 * np.pi) + log_det + quadratic)))


def test_elbo_parts_are_the_closed_forms():
    w, sigma, a, x = _model()
    parts = tfbsl.vae.evaluate_elbo(_encoder(a, sigma), _decoder(w), x, num_samples=2000)
    mean = x @ a.T
    variance = np.diag(sigma)
    kl = np.mean(0.5 * np.sum(variance + mean**2 - 1 - np.log(variance), axis=1))
    residual = np.sum((x - mean @ w.T) ** 2, axis=1) + np.sum(w**2 @ variance)
    reconstruction = np.mean(-0.5 * D * np.log(2 * np.pi * S**2) - residual / (2 * S**2))
    np.testing.assert_allclose(parts["kl"], kl, rtol=1e-4)
    # Monte Carlo over 2000 draws per example: within 0.5% of the exact value.
    np.testing.assert_allclose(parts["reconstruction"], reconstruction, rtol=5e-3)
    np.testing.assert_allclose(parts["elbo"], _log_evidence(w, x), rtol=5e-3)


def test_importance_weighted_bound_with_the_exact_posterior_is_the_evidence():
    w, sigma, a, x = _model()
    bound = tfbsl.vae.importance_weighted_log_likelihood(
        _encoder(a, sigma), _decoder(w), x, num_samples=8)
    np.testing.assert_allclose(bound, _log_evidence(w, x), rtol=1e-4)
