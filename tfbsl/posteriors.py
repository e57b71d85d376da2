"""Variational posteriors over a layer's weights (see `tfbsl.variational.posteriors`)."""

from tfbsl.variational.posteriors import MeanFieldNormal, get, mean_field

__all__ = ["MeanFieldNormal", "get", "mean_field"]
