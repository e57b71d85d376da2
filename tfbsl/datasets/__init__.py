"""Small data sets shipped with tfbsl (no download at run time)."""

from tfbsl.datasets.uci import (  # noqa: F401
    UCI_DATASETS,
    UCIData,
    UCISplit,
    load_uci,
    load_uci_full,
    uci_num_splits,
    uci_split_indices,
)
from tfbsl.datasets.wine_quality import WineQuality, load_wine_quality  # noqa: F401
