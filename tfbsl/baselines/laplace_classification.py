"""A last-layer Laplace approximation for classification (softmax likelihood)."""

import warnings

import keras
import numpy as np

from tfbsl import _checks
from tfbsl.baselines import _logit_predictive, _softmax_likelihood
from tfbsl.baselines._laplace_posterior import STRUCTURES, LaplacePosterior, laplace_log_evidence
from tfbsl.baselines._last_layer import LastLayer
from tfbsl.baselines._prior_search import maximise_over_log_precision

__all__ = ["LastLayerLaplaceClassifier"]

_LINK_APPROXIMATIONS = ("probit", "mc")
# With `refit_mean`, `optimize_prior_precision` alternates the evidence
# search and the refit until the precision moves less than this (relative),
# for at most this many rounds.
_REFIT_RTOL = 1e-4
_REFIT_ROUNDS = 20


class LastLayerLaplaceClassifier:
    """The Laplace posterior of a classifier's last `Dense` layer.

    The layers before the last one are kept fixed as a feature map
    `phi(x)` (with a column of ones appended for the bias); the last layer's
    weights `W` (shape `(features, classes)`, the bias the last row) get a
    zero-mean Gaussian prior of precision `prior_precision` and the labels a
    categorical likelihood `softmax(phi^T W)`. The posterior is Gaussian
    around the mode `W*`, with precision the generalised Gauss–Newton plus
    the prior's, `sum_n J_n^T (diag(p_n) - p_n p_n^T) J_n + prior_precision I`
    (`p_n` the softmax at the mode, `J_n` the logits' Jacobian; exact
    Hessian of this linear last layer's regularised cross-entropy). The
    logits of an input are then Gaussian (the linearised, "GLM"
    predictive), and the class probabilities their softmax's expectation,
    approximated by MacKay's probit formula or by Monte Carlo.

    The last layer may output logits (linear activation) or probabilities
    (softmax activation, as many Keras classifiers do): either way the
    posterior is over the layer's pre-activation, the logits.

    Where the training labels are fitted with confidence (`p_n` near
    one-hot, e.g. few examples, nearly separable features) the GGN is small,
    the posterior close to the prior in most directions, and the predictive
    can be less confident than the model's own softmax even with the
    evidence-chosen prior precision; it helps most where that softmax is
    over-confident (an overfitted network, inputs away from the data).

    Args:
        model: a built Keras model (Sequential or functional) whose last
            layer is a `keras.layers.Dense` with at least 2 units and a
            linear or softmax activation.
        prior_precision: the prior precision of the last layer's weights, a
            finite number > 0.
        hessian_structure: `"full"` (the full `(P, P)` covariance of the
            `P = features * classes` weights; it holds a few `(P, P)`
            float64 matrices, 0.2 GB each for P = 5000) or `"diag"` (the
            diagonal of the precision only; the logits then have a diagonal
            covariance).
        refit_mean: if False (default) the mode is the model's trained
            weights, as in the classical Laplace approximation around a MAP
            estimate; if True it is the exact minimiser of the regularised
            cross-entropy `-log p(y | W) + prior_precision / 2 |W|^2`,
            found by Newton's method from the trained weights (each step
            forms the full `(P, P)` Hessian, whatever `hessian_structure`),
            and the Hessian is taken there. This changes the point
            predictions from the model's.

    Attributes:
        posterior_mean: the mode, `(features, classes)`, the bias last.
        posterior_precision, posterior_covariance: `(P, P)` over the
            flattened `posterior_mean` (parameter `d * classes + k` is
            `W[d, k]`), or for `"diag"` their diagonals shaped
            `(features, classes)`.

    Raises:
        TypeError: if `model` is not a Keras model or its last layer is not
            a `keras.layers.Dense`, or `refit_mean` is not a bool.
        ValueError: if the last layer has another activation or fewer than
            2 units, or an argument is out of range.

    References:
        MacKay (1992), "The Evidence Framework Applied to Classification
        Networks", Neural Computation 4(5),
        https://doi.org/10.1162/neco.1992.4.5.720

        Kristiadi, Hein & Hennig (2020), "Being Bayesian, Even Just a Bit,
        Fixes Overconfidence in ReLU Networks",
        https://arxiv.org/abs/2002.10118

        Immer, Korzepa & Bauer (2021), "Improving predictions of Bayesian
        neural nets via local linearization",
        https://arxiv.org/abs/2008.08400

        Immer, Bauer, Fortuin, Rätsch & Khan (2021), "Scalable Marginal
        Likelihood Estimation for Model Selection in Deep Learning",
        https://arxiv.org/abs/2104.04975

        Daxberger, Kristiadi, Immer, Eschenhagen, Bauer & Hennig (2021),
        "Laplace Redux -- Effortless Bayesian Deep Learning",
        https://arxiv.org/abs/2106.14806

    Example:
    ```python
    la = tfbsl.baselines.LastLayerLaplaceClassifier(model).fit(x_train, y_train)
    la.optimize_prior_precision()
    probs = la.predict(x_test)                        # (n, classes), probit
    samples = la.predict_samples(x_test, 200, seed=0)  # (200, n, classes)
    epistemic = tfbsl.mutual_information(samples)
    ```
    """

    def __init__(self, model, prior_precision=1.0, hessian_structure="full",
                 refit_mean=False):
        self._last = LastLayer(
            model, {keras.activations.linear: "linear", keras.activations.softmax: "softmax"},
            "the logits, or their softmax, of a categorical likelihood")
        if self._last.units < 2:
            raise ValueError(
                "`model`'s last Dense layer must have at least 2 units (one "
                f"logit per class). Received: units={self._last.units}")
        self.model = model
        self.prior_precision = _checks.check_positive_finite("prior_precision", prior_precision)
        self.hessian_structure = _checks.check_choice(
            "hessian_structure", hessian_structure, STRUCTURES)
        self.refit_mean = _checks.check_bool("refit_mean", refit_mean)
        self._data = None
        self._posterior = None
        self._log_likelihood = None
        self.posterior_mean = None
        self.posterior_precision = None
        self.posterior_covariance = None

    def features(self, x):
        """The last layer's inputs for `x`, float64, with a column of ones
        appended when the layer has a bias."""
        return self._last.features(x)

    def fit(self, x, y):
        """Compute the posterior from training inputs `x` and labels `y`.

        Args:
            x: inputs, an array with examples along the first axis.
            y: labels: class indices in `[0, classes)`, shape
                `(num_examples,)` or `(num_examples, 1)` (whole floats
                accepted), or one-hot rows `(num_examples, classes)`.

        Returns:
            `self`, with `posterior_mean`, `posterior_precision` and
            `posterior_covariance` set.

        Raises:
            TypeError: if `x` or `y` is not numeric.
            ValueError: if `y` does not hold one label in range per example
                of `x`.
        """
        phi = self.features(x)
        self._data = (phi, _onehot(y, len(phi), self._last.units))
        self._update_posterior(self._last.weights())
        return self

    def _update_posterior(self, weights):
        """The mode (refit from `weights` if `refit_mean`), its GGN and the
        posterior at the current prior precision."""
        phi, onehot = self._data
        if self.refit_mean:
            weights, converged = _softmax_likelihood.regularised_map(
                phi, onehot, self.prior_precision, weights)
            if not converged:
                warnings.warn("`refit_mean`: Newton's method stopped before "
                              "converging; the mode is its last iterate.", stacklevel=3)
        probs = _softmax_likelihood.softmax(phi @ weights)
        hessian = _softmax_likelihood.ggn(phi, probs, self.hessian_structure)
        self._posterior = LaplacePosterior(hessian, self.hessian_structure)
        self._log_likelihood = _softmax_likelihood.log_likelihood(phi, weights, onehot)
        self.posterior_mean = weights
        self._set_precision()

    def _set_precision(self):
        tau = self.prior_precision
        self.posterior_precision = self._posterior.precision(tau)
        self.posterior_covariance = self._posterior.covariance(tau)

    def _require_fit(self, what):
        if self._posterior is None:
            raise ValueError(f"Call `fit(x, y)` before `{what}`.")

    def log_marginal_likelihood(self, prior_precision=None):
        """The Laplace approximation of the log marginal likelihood,
        `log p(y | W*) + log p(W*) + P/2 log(2 pi) - 1/2 log det(Lambda)`
        with `Lambda = H + prior_precision I` the posterior precision: that
        is, `log p(y | W*) - prior_precision / 2 |W*|^2
        - 1/2 log det(Lambda / prior_precision)`. The mode `W*` and the GGN
        `H` are those of the last `fit` (or refit), as in laplace-torch; for
        `"diag"` the determinant is the diagonal's.

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
        return laplace_log_evidence(self._log_likelihood, self.posterior_mean,
                                    self._posterior, np.exp(log_tau))

    def optimize_prior_precision(self):
        """Set the prior precision to the one maximising
        `log_marginal_likelihood`: a grid over log-precision in
        [log 1e-8, log 1e8], then a golden-section search between the best
        point's neighbours, in NumPy float64. The posterior is recomputed.
        With `refit_mean`, the search and the refit of the mode (and its
        GGN) at the precision found alternate until the precision moves by
        less than 1e-4 relative (at most 20 rounds; MacKay's evidence
        iteration), so that the precision maximises the evidence at the mode
        it gives.

        Returns:
            The optimised prior precision, a Python float.

        Raises:
            ValueError: before `fit`.
        """
        self._require_fit("optimize_prior_precision")
        self.prior_precision = maximise_over_log_precision(self._log_evidence)
        if not self.refit_mean:
            self._set_precision()  # the mode and its GGN stay
            return self.prior_precision
        for _ in range(_REFIT_ROUNDS):
            previous = self.prior_precision
            self._update_posterior(self.posterior_mean)
            self.prior_precision = maximise_over_log_precision(self._log_evidence)
            if abs(np.log(self.prior_precision / previous)) < _REFIT_RTOL:
                break
        self._update_posterior(self.posterior_mean)
        return self.prior_precision

    def predict_logits(self, x):
        """The Gaussian (linearised) predictive of the logits.

        Args:
            x: inputs, an array with examples along the first axis.

        Returns:
            `(mean, covariance)`, NumPy float64 arrays of shapes
            `(num_examples, classes)` and `(num_examples, classes, classes)`:
            `phi^T W*` and `J Sigma J^T` (diagonal for `"diag"`).

        Raises:
            ValueError: before `fit`.
        """
        self._require_fit("predict_logits")
        return _logit_predictive.logit_moments(
            self.features(x), self.posterior_mean, self.posterior_covariance,
            self.hessian_structure)

    def predict(self, x, link_approx="probit", num_samples=100, seed=None):
        """Predictive class probabilities `E softmax(f)` over the Gaussian
        logits `f`.

        Args:
            x: inputs, an array with examples along the first axis.
            link_approx: `"probit"` (MacKay's approximation
                `softmax(mean / sqrt(1 + pi/8 var))`, with the logits'
                variances; deterministic) or `"mc"` (the mean of
                `predict_samples`).
            num_samples: the draws for `"mc"`, a positive integer.
            seed: the draws' seed for `"mc"`, None or an integer >= 0.

        MC is unchanged by a shift common to all logits, as the softmax is;
        the probit is not. Under `"full"` that common shift is a direction
        the likelihood leaves to the prior (its GGN curvature is 0), so its
        prior variance enters every logit's variance, and the probit
        predictive tends to be less confident than the MC one (by up to
        ~0.04 in probability in the two-class tests).

        Returns:
            A NumPy float64 array `(num_examples, classes)` whose rows sum
            to 1.

        Raises:
            ValueError: before `fit`, or for a bad argument.
        """
        link_approx = _checks.check_choice("link_approx", link_approx, _LINK_APPROXIMATIONS)
        if link_approx == "mc":
            return self.predict_samples(x, num_samples, seed).mean(axis=0)
        return _logit_predictive.probit(*self.predict_logits(x))

    def predict_samples(self, x, num_samples=100, seed=None):
        """Class probabilities `softmax(f)` for draws of the logits `f` from
        their Gaussian predictive, to hand to tfbsl's read-outs
        (`tfbsl.mutual_information`, `tfbsl.expected_entropy`,
        `tfbsl.predictive_entropy`, `tfbsl.classification_nll`, ...).

        Args:
            x: inputs, an array with examples along the first axis.
            num_samples: the number of draws, a positive integer.
            seed: the draws' seed (NumPy's `default_rng`), None or an
                integer >= 0.

        Returns:
            A NumPy float64 array `(num_samples, num_examples, classes)`.

        Raises:
            ValueError: before `fit`, or for a bad argument.
        """
        num_samples = _checks.check_positive_int("num_samples", num_samples)
        if seed is not None:
            seed = _checks.check_int("seed", seed, minimum=0)
        f_mean, f_cov = self.predict_logits(x)
        return _logit_predictive.sample_probs(
            f_mean, f_cov, num_samples, np.random.default_rng(seed))


def _onehot(y, num_examples, num_classes):
    """Labels `y` (indices `(n,)` / `(n, 1)`, or one-hot `(n, classes)`) as
    float64 one-hot rows, checked."""
    labels = _checks.check_numeric_array("y", y)
    if labels.ndim == 2 and labels.shape[1] == num_classes and num_classes > 1:
        if not np.all(((labels == 0) | (labels == 1)) & (labels.sum(1, keepdims=True) == 1)):
            raise ValueError(
                "`y` given as (num_examples, classes) must be one-hot (a single "
                f"1 per row, 0 elsewhere). Received: y={_checks.short_repr(labels)}")
        labels = labels.argmax(1)
    elif labels.ndim == 2 and labels.shape[1] == 1:
        labels = labels[:, 0]
    if labels.shape != (num_examples,):
        raise ValueError(
            f"`y` must hold one label per example of `x` ({num_examples}): shape "
            f"({num_examples},), ({num_examples}, 1) or ({num_examples}, {num_classes}) "
            f"one-hot. Received: y.shape={np.shape(y)}")
    values = labels.astype(np.float64)
    bad = np.flatnonzero(~np.isfinite(values) | (values != np.round(values))
                         | (values < 0) | (values >= num_classes))
    if len(bad):
        raise ValueError(
            f"`y` must hold class indices in [0, {num_classes}) (the last "
            f"layer's units). Received: y[{bad[0]}]={labels[bad[0]].item()!r}")
    return np.eye(num_classes)[values.astype(np.int64)]
