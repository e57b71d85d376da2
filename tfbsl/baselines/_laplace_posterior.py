"""The Gaussian Laplace posterior of a likelihood Hessian under an isotropic
prior: the linear algebra the last-layer Laplace classes share."""

import numpy as np

STRUCTURES = ("full", "diag")


class LaplacePosterior:
    """`N(mode, (H + tau I)^-1)` for a fixed likelihood Hessian `H` (the
    generalised Gauss–Newton of the negative log-likelihood at the mode) and
    any prior precision `tau > 0`.

    `"full"` eigendecomposes `H = V diag(lam) V^T` once (eigenvalues clipped
    at 0), so that the covariance and the log-determinant are cheap for every
    `tau`; `"diag"` keeps the diagonal of `H` only.

    Args:
        hessian: for `"full"`, the `(P, P)` symmetric positive semi-definite
            Hessian; for `"diag"`, its diagonal, in any shape (e.g. the
            parameters'), which the diagonal results keep.
        structure: `"full"` or `"diag"`.
    """

    def __init__(self, hessian, structure):
        self.structure = structure
        if structure == "full":
            eigenvalues, self.eigenvectors = np.linalg.eigh(hessian)
            self.eigenvalues = np.clip(eigenvalues, 0.0, None)
        else:
            self.diagonal = np.clip(hessian, 0.0, None)
            self.eigenvalues = np.ravel(self.diagonal)

    @property
    def size(self):
        """The number of parameters P."""
        return len(self.eigenvalues)

    def precision(self, tau):
        """`H + tau I`: `(P, P)`, or its diagonal for `"diag"`."""
        if self.structure == "full":
            v, lam = self.eigenvectors, self.eigenvalues
            return (v * lam) @ v.T + tau * np.eye(len(lam))
        return self.diagonal + tau

    def covariance(self, tau):
        """`(H + tau I)^-1`: `(P, P)`, or its diagonal for `"diag"`."""
        if self.structure == "full":
            v = self.eigenvectors
            return (v / (tau + self.eigenvalues)) @ v.T
        return 1.0 / (self.diagonal + tau)

    def log_det_ratio(self, tau):
        """`log det(H + tau I) - log det(tau I)`, the log-determinant of the
        posterior precision over the prior's."""
        return float(np.sum(np.log1p(self.eigenvalues / tau)))


def laplace_log_evidence(log_likelihood, mode, posterior, tau):
    """The Laplace approximation of the log marginal likelihood under the
    prior `N(0, I / tau)`: `log p(y | mode) + log p(mode) + P/2 log(2 pi)
    - 1/2 log det(H + tau I)`, i.e. `log_likelihood - 1/2 tau |mode|^2
    - 1/2 log det((H + tau I) / tau)` (Immer et al. 2021)."""
    scatter = tau * float(np.sum(np.square(mode)))
    return log_likelihood - 0.5 * (scatter + posterior.log_det_ratio(tau))
