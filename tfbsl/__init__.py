"""tfbsl: Bayesian deep-learning layers for Keras 3 on TensorFlow Probability."""

__version__ = "0.2.0.dev0"

from tfbsl import (  # noqa: F401
    baselines,
    callbacks,
    datasets,
    distribute,
    layers,
    losses,
    posteriors,
    priors,
    vae,
)
from tfbsl._outputs import get_distribution  # noqa: F401
from tfbsl.convert import bayesianize  # noqa: F401
from tfbsl.uncertainty import (  # noqa: F401
    Calibration,
    MCPrediction,
    auroc,
    brier_score,
    calibration,
    classification_nll,
    coverage_curve,
    debiased_calibration_error,
    expected_calibration_error,
    expected_entropy,
    gaussian_log_likelihood,
    interval_coverage,
    maximum_calibration_error,
    mutual_information,
    predict_mc,
    predict_proba_mc,
    prediction_interval,
    predictive_entropy,
    rmse,
)
