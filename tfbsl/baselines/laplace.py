"""A last-layer Laplace approximation for regression (Gaussian likelihood)."""

import keras
import numpy as np

from tfbsl import _checks

_STRUCTURES = ("full", "diag")
# The search on log prior precision: a grid over these bounds, then a
# golden-section refinement around the grid's best point.
_LOG_PRECISION_BOUNDS = (np.log(1e-8), np.log(1e8))
_GRID_POINTS = 161
_GOLDEN_STEPS = 100


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

    Regression only: classification (a softmax likelihood) is not supported.

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
    """

    def __init__(self, model, noise_variance=1.0, prior_precision=1.0,
                 hessian_structure="full", refit_mean=True):
        if not isinstance(model, keras.Model):
            raise TypeError(f"`model` must be a Keras model. Received: model={model!r}")
        last = model.layers[-1] if model.layers else None
        if not isinstance(last, keras.layers.Dense):
            raise TypeError(
                "`model`'s last layer must be a `keras.layers.Dense`. Received: "
                f"model.layers[-1]={last!r}")
        if last.activation is not keras.activations.linear:
            raise ValueError(
                "`model`'s last Dense layer must have a linear activation (a "
                "Gaussian likelihood on its outputs). Received: activation="
                f"{getattr(last.activation, '__name__', last.activation)!r}")
        self.model = model
        self.noise_variance = _checks.check_positive_finite("noise_variance", noise_variance)
        self.prior_precision = _checks.check_positive_finite("prior_precision", prior_precision)
        self.hessian_structure = _checks.check_choice(
            "hessian_structure", hessian_structure, _STRUCTURES)
        self.refit_mean = _checks.check_bool("refit_mean", refit_mean)
        self._last = last
        body_output, inputs = last.input, model.inputs
        self._body = None if any(body_output is t for t in inputs) else \
            keras.Model(inputs[0] if len(inputs) == 1 else inputs, body_output)
        self._stats = None
        self.posterior_mean = None
        self.posterior_covariance = None

    def features(self, x):
        """The last layer's inputs for `x`, float64, with a column of ones
        appended when the layer has a bias."""
        x = _checks.check_examples("x", _checks.check_numeric_array("x", x))
        phi = x if self._body is None else keras.ops.convert_to_numpy(
            self._body(x.astype(keras.config.floatx())))
        phi = np.asarray(phi, np.float64).reshape(len(x), -1)
        if self._last.use_bias:
            phi = np.concatenate([phi, np.ones((len(phi), 1))], axis=1)
        return phi

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
        gram = phi.T @ phi
        eigenvalues, eigenvectors = np.linalg.eigh(gram)
        self._stats = {
            "n": len(phi), "gram": gram, "phi_y": phi.T @ y, "yy": np.sum(y * y, axis=0),
            "eigenvalues": np.clip(eigenvalues, 0.0, None), "eigenvectors": eigenvectors,
        }
        self._update_posterior()
        return self

    def _trained_weights(self):
        kernel = keras.ops.convert_to_numpy(self._last.kernel).astype(np.float64)
        if self._last.use_bias:
            bias = keras.ops.convert_to_numpy(self._last.bias).astype(np.float64)
            kernel = np.concatenate([kernel, bias[None]], axis=0)
        return kernel

    def _update_posterior(self):
        s, tau, var = self._stats, self.prior_precision, self.noise_variance
        precision = tau * np.eye(len(s["gram"])) + s["gram"] / var
        if self.refit_mean:
            self.posterior_mean = np.linalg.solve(precision, s["phi_y"] / var)
        else:
            self.posterior_mean = self._trained_weights()
        if self.hessian_structure == "full":
            v, lam = s["eigenvectors"], s["eigenvalues"]
            self.posterior_covariance = (v / (tau + lam / var)) @ v.T
        else:
            self.posterior_covariance = 1.0 / np.diag(precision)

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
        s, var = self._stats, self.noise_variance
        tau, lam = np.exp(log_tau), s["eigenvalues"]
        a = tau + lam / var  # the posterior precision's eigenvalues
        c = s["eigenvectors"].T @ s["phi_y"]  # (d, units) in the eigenbasis
        m = c / var / a[:, None]  # the posterior mean in the eigenbasis
        residual = s["yy"] - 2 * np.sum(m * c, 0) + np.sum(lam[:, None] * m * m, 0)
        d, n = len(lam), s["n"]
        per_unit = (-0.5 * n * np.log(2 * np.pi * var) - 0.5 * residual / var
                    - 0.5 * tau * np.sum(m * m, 0) + 0.5 * d * log_tau
                    - 0.5 * np.sum(np.log(a)))
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
        grid = np.linspace(*_LOG_PRECISION_BOUNDS, _GRID_POINTS)
        values = [self._log_evidence(t) for t in grid]
        best = int(np.argmax(values))
        low, high = grid[max(best - 1, 0)], grid[min(best + 1, len(grid) - 1)]
        ratio = (np.sqrt(5.0) - 1) / 2
        a, b = high - ratio * (high - low), low + ratio * (high - low)
        fa, fb = self._log_evidence(a), self._log_evidence(b)
        for _ in range(_GOLDEN_STEPS):
            if fa > fb:
                high, b, fb = b, a, fa
                a = high - ratio * (high - low)
                fa = self._log_evidence(a)
            else:
                low, a, fa = a, b, fb
                b = low + ratio * (high - low)
                fb = self._log_evidence(b)
        self.prior_precision = float(np.exp(0.5 * (low + high)))
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
