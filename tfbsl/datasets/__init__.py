"""Small data sets shipped with tfbsl (no download at run time)."""

from tfbsl.datasets.wine_quality import WineQuality, load_wine_quality  # noqa: F401
