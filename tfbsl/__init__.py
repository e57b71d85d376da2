"""tfbsl: Bayesian deep-learning layers for Keras 3 on TensorFlow Probability."""

__version__ = "0.1.0"

from tfbsl import layers, posteriors, priors  # noqa: F401
from tfbsl.uncertainty import (  # noqa: F401
    MCPrediction, coverage_curve, gaussian_log_likelihood, interval_coverage,
    predict_mc, prediction_interval, rmse,
)
from tfbsl import datasets, losses  # noqa: F401
from tfbsl import callbacks, distribute, vae  # noqa: F401
from tfbsl.convert import bayesianize  # noqa: F401
from tfbsl.uncertainty import (  # noqa: F401
    Calibration, auroc, brier_score, calibration, classification_nll,
    debiased_calibration_error, expected_calibration_error, expected_entropy,
    maximum_calibration_error, mutual_information, predict_proba_mc, predictive_entropy,
)
