"""Priors over a variational layer's weights (see `tfbsl.variational.priors`)."""

from tfbsl.variational.priors import (
    FanInNormal,
    Normal,
    ScaleMixtureNormal,
    TrainableNormal,
    get,
    trainable,
)

__all__ = ["FanInNormal", "Normal", "ScaleMixtureNormal", "TrainableNormal", "get", "trainable"]
