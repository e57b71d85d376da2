"""The categorical (softmax) likelihood of a linear layer on fixed features:
its log-likelihood, its generalised Gauss–Newton, and its regularised MAP.

The layer's weights `W` are `(features, classes)` (the bias, if any, a row of
`W` against a feature of ones); flattened, parameter `d * classes + k` is
`W[d, k]` (NumPy's row-major order).
"""

import numpy as np

# Rows of the design matrix per block when the full GGN is summed.
_BLOCK = 1024
# Newton's method on the regularised objective: at most this many steps,
# stopping when half the Newton decrement falls below the relative tolerance.
_NEWTON_STEPS = 100
_NEWTON_TOLERANCE = 1e-12


def log_softmax(logits):
    shifted = logits - logits.max(axis=-1, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True))


def softmax(logits):
    return np.exp(log_softmax(logits))


def log_likelihood(phi, weights, onehot):
    """`sum_n log softmax(phi_n W)[y_n]`, labels given one-hot."""
    return float(np.sum(onehot * log_softmax(phi @ weights)))


def ggn(phi, probs, structure):
    """The generalised Gauss–Newton `sum_n J_n^T (diag(p_n) - p_n p_n^T) J_n`
    of the negative log-likelihood in the flattened weights, with
    `J_n = phi_n^T (x) I` the logits' Jacobian. For a linear layer it is the
    exact Hessian.

    Args:
        phi: `(n, features)` features.
        probs: `(n, classes)` softmax probabilities at the weights.
        structure: `"full"` for the `(P, P)` matrix (P = features * classes),
            `"diag"` for its diagonal shaped `(features, classes)`.
    """
    if structure == "diag":
        return (phi * phi).T @ (probs * (1.0 - probs))
    d, k = phi.shape[1], probs.shape[1]
    hessian = np.zeros((d, k, d, k))
    # The diag(p_n) part lives on the blocks k == l: sum_n p_nk phi_n phi_n^T.
    blocks = np.einsum("nd,ne,nk->kde", phi, phi, probs, optimize=True)
    classes = np.arange(k)
    hessian[:, classes, :, classes] = blocks
    hessian = hessian.reshape(d * k, d * k)
    # The p_n p_n^T part: A^T A with A[n, (d, k)] = phi_nd p_nk.
    for start in range(0, len(phi), _BLOCK):
        a = (phi[start:start + _BLOCK, :, None] * probs[start:start + _BLOCK, None, :])
        a = a.reshape(len(a), d * k)
        hessian -= a.T @ a
    return 0.5 * (hessian + hessian.T)


def regularised_map(phi, onehot, tau, weights):
    """The minimiser of `-log_likelihood + tau / 2 |W|^2`, by Newton's method
    (the full GGN plus `tau I` is this strictly convex objective's Hessian)
    with a backtracking line search, from `weights`.

    Returns:
        `(weights, converged)`: the `(features, classes)` minimiser and
        whether the Newton decrement fell below tolerance.
    """
    def objective(w):
        return -log_likelihood(phi, w, onehot) + 0.5 * tau * float(np.sum(w * w))

    w, value = weights.copy(), objective(weights)
    for _ in range(_NEWTON_STEPS):
        probs = softmax(phi @ w)
        gradient = (phi.T @ (probs - onehot) + tau * w).ravel()
        hessian = ggn(phi, probs, "full") + tau * np.eye(w.size)
        step = np.linalg.solve(hessian, gradient)
        decrement = float(gradient @ step)
        if 0.5 * decrement <= _NEWTON_TOLERANCE * (1.0 + abs(value)):
            # Within Newton's quadratic convergence: a last full step.
            return w - step.reshape(w.shape), True
        t = 1.0
        while t > 1e-12:
            candidate = w - t * step.reshape(w.shape)
            new_value = objective(candidate)
            if new_value <= value - 0.25 * t * decrement:
                break
            t *= 0.5
        else:
            return w, False  # no descent left at float64's precision
        w, value = candidate, new_value
    return w, False
