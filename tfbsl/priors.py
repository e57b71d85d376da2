"""Priors over a variational layer's weights (see `tfbsl.variational.priors`)."""

from tfbsl.variational.priors import (
    Normal,
    ScaleMixtureNormal,
    TrainableNormal,
    get,
    trainable,
)

__all__ = ["Normal", "ScaleMixtureNormal", "TrainableNormal", "get", "trainable"]
