"""A last-layer Laplace approximation for regression (Gaussian likelihood).

`LastLayerLaplaceClassifier` (in `laplace_classification`) is its softmax
twin; both stand on `_last_layer`, `_laplace_posterior` and `_prior_search`.
"""

import keras
import numpy as np

from tfbsl import _checks
from tfbsl.baselines._laplace_posterior import STRUCTURES, LaplacePosterior
from tfbsl.baselines._last_layer import LastLayer
from tfbsl.baselines._prior_search import maximise_over_log_precision

__all__ = ["LastLayerLaplace"]


class LastLayerLaplace:
    """The Laplace posterior of a regression model's last `Dense` layer.

    The layers before the last one are kept fixed as a feature map
    `phi(x)` (with a column of ones appended for the bias); the last layer's
    weights get a zero-mean Gaussian prior of precision `prior_precision`
    and the targets a Gaussian likelihood of known variance
    `noise_variance`. The generalised Gauss–Newton then gives the posterior
    precision `prior_precision * I + Phi^T Phi / noise_variance`, exact for
    this linear-Gaussian last layer and shared by every output unit (the
    units are independent a posteriori). The predictive of an output is
    Gaussian with mean `phi^T mu` and variance
    `phi^T Sigma phi + noise_variance`.

    For classification (a softmax likelihood) use
    `LastLayerLaplaceClassifier`.

    Args:
        model: a built Keras model (Sequential or functional) whose last
            layer is a `keras.layers.Dense` with a linear activation.
        noise_variance: the likelihood's noise variance sigma^2, a finite
            number > 0.
        prior_precision: the prior precision of the last layer's weights, a
            finite number > 0.
        hessian_structure: `"full"` (the full covariance) or `"diag"` (the
            diagonal of the precision only).
        refit_mean: if True (default) the posterior mean is the exact
            posterior mean of the last layer given the features (which the
            Laplace approximation's mode equals at the regularised optimum);
            if False it is the model's trained weights, as in the classical
            Laplace approximation around a MAP estimate.

    Raises:
        TypeError: if `model` is not a Keras model or its last layer is not
            a `keras.layers.Dense`.
        ValueError: if the last layer has a non-linear activation, or an
            argument is out of range.

    References:
        Daxberger, Kristiadi, Immer, Eschenhagen, Bauer & Hennig (2021),
        "Laplace Redux -- Effortless Bayesian Deep Learning",
        https://arxiv.org/abs/2106.14806

    Example:
    ```python
    la = tfbsl.baselines.LastLayerLaplace(model, noise_variance=0.1).fit(x, y)
    la.optimize_prior_precision()
    mean, variance = la.predict(x_test)
    ```
    """

    def __init__(self, model, noise_variance=1.0, prior_precision=1.0,
                 hessian_structure="full", refit_mean=True):
        self._last = LastLayer(model, {keras.activations.linear: "linear"},
                               "a Gaussian likelihood on its outputs")
        self.model = model
        self.noise_variance = _checks.check_positive_finite("noise_variance", noise_variance)
        self.prior_precision = _checks.check_positive_finite("prior_precision", prior_precision)
        self.hessian_structure = _checks.check_choice(
            "hessian_structure", hessian_structure, STRUCTURES)
        self.refit_mean = _checks.check_bool("refit_mean", refit_mean)
        self._stats = None
        self.posterior_mean = None
        self.posterior_covariance = None

    def features(self, x):
        """The last layer's inputs for `x`, float64, with a column of ones
        appended when the layer has a bias."""
        return self._last.features(x)

    def fit(self, x, y):
        """Compute the posterior from training inputs `x` and targets `y`.

        Args:
            x: inputs, an array with examples along the first axis.
            y: targets, shape `(num_examples, units)` (or `(num_examples,)`
                for one unit).

        Returns:
            `self`, with `posterior_mean` (shape `(features, units)`, the
            bias in the last row) and `posterior_covariance` (shape
            `(features, features)`; `(features,)` for `"diag"`) set.

        Raises:
            TypeError: if `x` or `y` is not numeric.
            ValueError: if `y` does not hold `units` finite targets per
                example of `x`.
        """
        phi = self.features(x)
        units = self._last.units
        y = np.asarray(_checks.check_numeric_array("y", y), np.float64)
        if y.ndim == 1 and units == 1:
            y = y[:, None]
        if y.shape != (len(phi), units) or not np.all(np.isfinite(y)):
            raise ValueError(
                f"`y` must hold finite targets of shape ({len(phi)}, {units}). "
                f"Received: y.shape={y.shape}")
        # The likelihood Hessian Phi^T Phi / sigma^2, the same for every unit:
        # its eigendecomposition gives the evidence in closed form for any
        # prior precision, whatever the posterior's structure.
        gram = phi.T @ phi / self.noise_variance
        self._stats = {"n": len(phi), "phi_y": phi.T @ y, "yy": np.sum(y * y, axis=0),
                       "hessian": LaplacePosterior(gram, "full"),
                       "diag": LaplacePosterior(np.diag(gram), "diag")}
        self._update_posterior()
        return self

    def _posterior(self):
        return self._stats["hessian" if self.hessian_structure == "full" else "diag"]

    def _update_posterior(self):
        s, tau, var = self._stats, self.prior_precision, self.noise_variance
        if self.refit_mean:
            full = s["hessian"]
            self.posterior_mean = full.covariance(tau) @ s["phi_y"] / var
        else:
            self.posterior_mean = self._last.weights()
        self.posterior_covariance = self._posterior().covariance(tau)

    def _require_fit(self, what):
        if self._stats is None:
            raise ValueError(f"Call `fit(x, y)` before `{what}`.")

    def log_marginal_likelihood(self, prior_precision=None):
        """The log evidence `log p(y | x)` of the last layer's Bayesian
        linear regression (closed form), summed over output units.

        Args:
            prior_precision: the prior precision to evaluate it at, a finite
                number > 0; default: the current one.

        Returns:
            A Python float.

        Raises:
            ValueError: before `fit`, or for a bad `prior_precision`.
        """
        self._require_fit("log_marginal_likelihood")
        tau = self.prior_precision if prior_precision is None else \
            _checks.check_positive_finite("prior_precision", prior_precision)
        return self._log_evidence(np.log(tau))

    def _log_evidence(self, log_tau):
        # The Laplace evidence at the exact posterior mean, which is exact here.
        s, var = self._stats, self.noise_variance
        hessian = s["hessian"]
        tau, lam = np.exp(log_tau), hessian.eigenvalues
        c = hessian.eigenvectors.T @ s["phi_y"] / var  # (d, units) in the eigenbasis
        m = c / (tau + lam)[:, None]  # the posterior mean in the eigenbasis
        residual = s["yy"] - 2 * var * np.sum(m * c, 0) + var * np.sum(lam[:, None] * m * m, 0)
        log_likelihood = -0.5 * s["n"] * np.log(2 * np.pi * var) - 0.5 * residual / var
        per_unit = (log_likelihood - 0.5 * tau * np.sum(m * m, 0)
                    - 0.5 * hessian.log_det_ratio(tau))
        return float(np.sum(per_unit))

    def optimize_prior_precision(self):
        """Set the prior precision to the one maximising the log marginal
        likelihood: a grid over log-precision in [log 1e-8, log 1e8], then a
        golden-section search between the best point's neighbours, in NumPy
        float64. The posterior is recomputed.

        Returns:
            The optimised prior precision, a Python float.

        Raises:
            ValueError: before `fit`.
        """
        self._require_fit("optimize_prior_precision")
        self.prior_precision = maximise_over_log_precision(self._log_evidence)
        self._update_posterior()
        return self.prior_precision

    def predict(self, x):
        """The Gaussian predictive of every output unit.

        Args:
            x: inputs, an array with examples along the first axis.

        Returns:
            `(mean, variance)`, NumPy float64 arrays of shape
            `(num_examples, units)`: `phi^T mu` and
            `phi^T Sigma phi + noise_variance`.

        Raises:
            ValueError: before `fit`.
        """
        self._require_fit("predict")
        phi = self.features(x)
        mean = phi @ self.posterior_mean
        if self.hessian_structure == "full":
            epistemic = np.sum((phi @ self.posterior_covariance) * phi, axis=1)
        else:
            epistemic = (phi * phi) @ self.posterior_covariance
        variance = np.broadcast_to((epistemic + self.noise_variance)[:, None], mean.shape)
        return mean, np.array(variance)
