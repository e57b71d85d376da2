"""Post-hoc and baseline uncertainty methods as Keras 3 tools.

Written with `keras.ops` and NumPy only, on every backend tfbsl supports.
"""

from tfbsl.baselines.ensemble import DeepEnsemble
from tfbsl.baselines.laplace import LastLayerLaplace
from tfbsl.baselines.laplace_classification import LastLayerLaplaceClassifier
from tfbsl.baselines.mc_dropout import mc_dropout_predict
from tfbsl.baselines.swag import SWAG
from tfbsl.baselines.temperature import TemperatureScaling, fit_temperature

__all__ = [
    "DeepEnsemble",
    "LastLayerLaplace",
    "LastLayerLaplaceClassifier",
    "SWAG",
    "TemperatureScaling",
    "fit_temperature",
    "mc_dropout_predict",
]
