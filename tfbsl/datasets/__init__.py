"""Small data sets shipped with tfbsl (no download at run time)."""

from tfbsl.datasets.uci import (
    UCI_DATASETS,
    UCIData,
    UCISplit,
    load_uci,
    load_uci_full,
    uci_num_splits,
    uci_split_indices,
)
from tfbsl.datasets.wine_quality import WineQuality, load_wine_quality

__all__ = [
    "UCIData",
    "UCISplit",
    "UCI_DATASETS",
    "WineQuality",
    "load_uci",
    "load_uci_full",
    "load_wine_quality",
    "uci_num_splits",
    "uci_split_indices",
]
