"""Evaluating a trained VAE: the ELBO and its parts, and the importance-weighted
log-likelihood bound of Burda et al. (2016), on held-out data.

Both take the encoder and the decoder as callables, so they serve any VAE, not
only those built with tfbsl:

- `encoder(x)` returns what `Sampling` takes: `[z_mean, z_log_var]`, or a
  tensor carrying `.distribution` (e.g. from `tfbsl.layers.IndependentNormal`);
- `decoder(z)` returns `p(x | z)`: a `tfd.Distribution` or a tensor carrying
  one (e.g. from `tfbsl.layers.IndependentBernoulli`) whose `log_prob(x)` is
  one number per example, i.e. summed over pixels;
- `sampling`, a `tfbsl.layers.Sampling`, gives the prior (default `N(0, I)`)
  and the KL rule (analytic where known).

All figures are means over examples, in nats per example.
"""

import keras
import numpy as np
from keras import ops

from tfbsl import _checks
from tfbsl._outputs import get_distribution
from tfbsl._random import tfp_seed
from tfbsl.variational.sampling import Sampling

__all__ = ["evaluate_elbo", "importance_weighted_log_likelihood"]


def evaluate_elbo(encoder, decoder, x, sampling=None, num_samples=1,
                  batch_size=256, seed=0):
    """The ELBO on `x`, split into reconstruction and KL.

    Args:
        encoder, decoder, sampling: see the module docstring.
        x: array of examples, at least one.
        num_samples: draws of `z` per example for the reconstruction term,
            a positive integer.
        batch_size: examples per encoder call, a positive integer.
        seed: int seeding the draws (None: unseeded).

    Returns:
        dict with `"elbo"`, `"reconstruction"` (`E_q[log p(x | z)]`) and
        `"kl"` (`KL(q(z | x) || p(z))`), with `elbo = reconstruction - kl`.

    Example:
    ```pycon
    >>> encoder = keras.Sequential([keras.Input((4,)), keras.layers.Dense(4),
    ...                             tfbsl.layers.IndependentNormal(2)])
    >>> decoder = keras.Sequential([keras.Input((2,)), keras.layers.Dense(4),
    ...                             tfbsl.layers.IndependentBernoulli(4)])
    >>> x_test = np.ones((8, 4), "float32")
    >>> parts = tfbsl.vae.evaluate_elbo(encoder, decoder, x_test)
    >>> sorted(parts)
    ['elbo', 'kl', 'reconstruction']
    >>> bool(np.isclose(parts["elbo"], parts["reconstruction"] - parts["kl"]))
    True

    ```
    """
    num_samples = _checks.check_positive_int("num_samples", num_samples)
    sampling = _check_models(encoder, decoder, sampling)
    batches = _batches(x, batch_size)
    generator = keras.random.SeedGenerator(_checks.check_seed("seed", seed))
    reconstruction, kl = [], []
    for xb in batches:
        q = sampling.posterior(encoder(xb))
        z = q.sample(num_samples, seed=tfp_seed(generator))
        reconstruction.append(ops.mean(_log_likelihood(decoder, xb, z), axis=0))
        kl.append(sampling.kl_divergence(q, sampling.prior_distribution(q, z[0]), z[0]))
    reconstruction = float(np.mean(np.concatenate([np.asarray(r) for r in reconstruction])))
    kl = float(np.mean(np.concatenate([np.asarray(k) for k in kl])))
    return {"elbo": reconstruction - kl, "reconstruction": reconstruction, "kl": kl}


def importance_weighted_log_likelihood(encoder, decoder, x, num_samples=50,
                                       sampling=None, batch_size=256, seed=0):
    """Importance-weighted estimate of `log p(x)` (Burda et al. 2016).

    `log (1/K) sum_k p(x | z_k) p(z_k) / q(z_k | x)`, `z_k ~ q(z | x)`: a lower
    bound on `log p(x)` in expectation, equal to the ELBO for `K = 1` and
    growing with `K` towards `log p(x)`.

    Args:
        encoder, decoder, sampling: see the module docstring.
        x: array of examples, at least one.
        num_samples: `K`, importance samples per example, a positive integer.
        batch_size: examples per encoder call, a positive integer; the
            decoder sees the `batch_size * K` draws in chunks of about 4096.
        seed: int seeding the draws (None: unseeded).

    Returns:
        The mean over examples, a float.

    Example:
    ```pycon
    >>> encoder = keras.Sequential([keras.Input((4,)), keras.layers.Dense(4),
    ...                             tfbsl.layers.IndependentNormal(2)])
    >>> decoder = keras.Sequential([keras.Input((2,)), keras.layers.Dense(4),
    ...                             tfbsl.layers.IndependentBernoulli(4)])
    >>> x_test = np.ones((8, 4), "float32")
    >>> log_px = tfbsl.vae.importance_weighted_log_likelihood(
    ...     encoder, decoder, x_test, num_samples=10)
    >>> elbo = tfbsl.vae.evaluate_elbo(encoder, decoder, x_test, num_samples=10)["elbo"]
    >>> type(log_px).__name__, bool(log_px >= elbo - 0.5)  # a tighter bound than the ELBO
    ('float', True)

    ```
    """
    num_samples = _checks.check_positive_int("num_samples", num_samples)
    sampling = _check_models(encoder, decoder, sampling)
    batches = _batches(x, batch_size)
    generator = keras.random.SeedGenerator(_checks.check_seed("seed", seed))
    per_example = []
    for xb in batches:
        q = sampling.posterior(encoder(xb))
        chunk = max(1, 4096 // len(xb))
        log_weights = []
        for start in range(0, num_samples, chunk):
            z = q.sample(min(chunk, num_samples - start), seed=tfp_seed(generator))
            log_weights.append(
                _log_likelihood(decoder, xb, z)
                + sampling.prior_distribution(q, z).log_prob(z)
                - q.log_prob(z)
            )
        log_weights = ops.concatenate(log_weights, axis=0)
        per_example.append(
            np.asarray(ops.logsumexp(log_weights, axis=0)) - np.log(num_samples)
        )
    return float(np.mean(np.concatenate(per_example)))


def _check_models(encoder, decoder, sampling):
    """The encoder and decoder callables, and `sampling` (default `Sampling()`)."""
    _checks.check_callable("encoder", encoder, "x -> [z_mean, z_log_var] or a distribution")
    _checks.check_callable("decoder", decoder, "z -> p(x | z)")
    if sampling is None:
        return Sampling()
    if not isinstance(sampling, Sampling):
        raise TypeError(
            "`sampling` must be a `tfbsl.layers.Sampling` (or None for N(0, I) "
            f"and the analytic KL). Received: sampling={sampling!r}")
    return sampling


def _batches(x, batch_size):
    """`x` as float32 batches of `batch_size` examples, checked before any draw."""
    batch_size = _checks.check_positive_int("batch_size", batch_size)
    x = _checks.check_numeric_array("x", x).astype("float32")
    _checks.check_examples("x", x)
    return [x[start:start + batch_size] for start in range(0, len(x), batch_size)]


def _log_likelihood(decoder, x, z):
    """`log p(x | z)` for draws `z` shaped `(samples, batch, ...)`."""
    samples, batch = z.shape[0], z.shape[1]
    flat = ops.reshape(z, (samples * batch,) + tuple(z.shape[2:]))
    tiled = ops.reshape(
        ops.tile(x[None], (samples,) + (1,) * x.ndim), (samples * batch,) + x.shape[1:]
    )
    log_px = get_distribution(decoder(flat), "decoder(z)").log_prob(tiled)
    return ops.reshape(log_px, (samples, batch))
