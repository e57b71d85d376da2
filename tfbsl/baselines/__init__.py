"""Post-hoc and baseline uncertainty methods as Keras 3 tools.

Written with `keras.ops` and NumPy only, on every backend tfbsl supports.
"""

from tfbsl.baselines.ensemble import DeepEnsemble
from tfbsl.baselines.temperature import TemperatureScaling, fit_temperature

__all__ = [
    "DeepEnsemble",
    "TemperatureScaling",
    "fit_temperature",
]
