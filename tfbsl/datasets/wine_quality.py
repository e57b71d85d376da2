"""The UCI Wine Quality data set (Cortez et al. 2009), shipped as CSV.

Attribution and licence (CC BY 4.0): `README.md` beside the CSV files.
"""

import collections
import importlib.resources

import numpy as np

from tfbsl import _checks

__all__ = ["COLORS", "WineQuality", "load_wine_quality"]

COLORS = ("red", "white", "both")

WineQuality = collections.namedtuple("WineQuality", ["features", "targets", "feature_names"])
WineQuality.__doc__ = """Result of `load_wine_quality`.

Attributes:
    features: float32 array `(n, 11)` (`(n, 12)` for `color="both"`).
    targets: float32 array `(n,)`, the sensory quality score (0-10).
    feature_names: tuple of the feature column names.

Example:
```pycon
>>> data = tfbsl.datasets.load_wine_quality("red")
>>> data.features.shape, data.targets.dtype, data.feature_names[:2]
((1599, 11), dtype('float32'), ('fixed acidity', 'volatile acidity'))

```
"""


def load_wine_quality(color="red"):
    """Load the UCI Wine Quality data: 11 physico-chemical features and a
    sensory quality score per wine.

    Rows keep the order of the original files. Source: P. Cortez, A.
    Cerdeira, F. Almeida, T. Matos and J. Reis, "Modeling wine preferences by
    data mining from physicochemical properties", Decision Support Systems
    47(4):547-553, 2009; UCI Machine Learning Repository, CC BY 4.0.

    Args:
        color: `"red"` (1,599 wines), `"white"` (4,898 wines) or `"both"`
            (the red wines then the white ones, with a twelfth feature
            `is_red`, 1.0 for red and 0.0 for white).

    Returns:
        A `WineQuality(features, targets, feature_names)` namedtuple; it
        unpacks as `x, y, names = load_wine_quality(...)`.

    Example:
    ```pycon
    >>> x, y, names = tfbsl.datasets.load_wine_quality("white")
    >>> x.shape, y.shape, names[-1]
    ((4898, 11), (4898,), 'alcohol')

    ```
    """
    _checks.check_choice("color", color, COLORS)
    if color != "both":
        return _read(color)
    red, white = _read("red"), _read("white")
    is_red = np.concatenate([np.ones(len(red.targets)), np.zeros(len(white.targets))])
    features = np.concatenate([red.features, white.features])
    return WineQuality(
        features=np.column_stack([features, is_red]).astype(np.float32),
        targets=np.concatenate([red.targets, white.targets]),
        feature_names=red.feature_names + ("is_red",),
    )


def _read(color):
    path = importlib.resources.files(__package__) / f"winequality-{color}.csv"
    with path.open() as f:
        header = f.readline().strip().split(",")
        data = np.loadtxt(f, delimiter=",", dtype=np.float32, ndmin=2)
    if header[-1] != "quality" or data.shape[1] != len(header):
        raise ValueError(f"Unexpected columns in {path.name}: {header}")
    return WineQuality(
        features=data[:, :-1], targets=data[:, -1], feature_names=tuple(header[:-1]),
    )
