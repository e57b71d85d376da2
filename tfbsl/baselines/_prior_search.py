"""The one-dimensional search for the prior precision maximising an evidence."""

import numpy as np

# A grid over these bounds on log prior precision, then a golden-section
# refinement between the grid's best point's neighbours.
LOG_PRECISION_BOUNDS = (np.log(1e-8), np.log(1e8))
_GRID_POINTS = 161
_GOLDEN_STEPS = 100


def maximise_over_log_precision(log_evidence):
    """The prior precision maximising `log_evidence(log_tau)` over
    `tau` in [1e-8, 1e8]: a 161-point grid in log tau, then 100 golden-section
    steps between the best grid point's neighbours (a bracket 1.6e-20 times
    the grid step wide: float64's precision).

    Args:
        log_evidence: a function of the log prior precision, returning a float.

    Returns:
        The maximising prior precision tau, a Python float.
    """
    grid = np.linspace(*LOG_PRECISION_BOUNDS, _GRID_POINTS)
    values = [log_evidence(t) for t in grid]
    best = int(np.argmax(values))
    low, high = grid[max(best - 1, 0)], grid[min(best + 1, len(grid) - 1)]
    ratio = (np.sqrt(5.0) - 1) / 2
    a, b = high - ratio * (high - low), low + ratio * (high - low)
    fa, fb = log_evidence(a), log_evidence(b)
    for _ in range(_GOLDEN_STEPS):
        if fa > fb:
            high, b, fb = b, a, fa
            a = high - ratio * (high - low)
            fa = log_evidence(a)
        else:
            low, a, fa = a, b, fb
            b = low + ratio * (high - low)
            fb = log_evidence(b)
    return float(np.exp(0.5 * (low + high)))
