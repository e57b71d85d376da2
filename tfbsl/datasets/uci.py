"""The eight UCI regression data sets of the Hernández-Lobato & Adams (2015)
benchmark, shipped as gzip'd text, with its seeded 90/10 train/test splits.

Sources and licences (kept with the files): `README.md` beside them.
"""

import collections
import functools
import gzip
import importlib.resources

import numpy as np

from tfbsl import _checks

__all__ = [
    "UCI_DATASETS",
    "UCIData",
    "UCISplit",
    "load_uci",
    "load_uci_full",
    "uci_num_splits",
    "uci_split_indices",
]

# name -> (shipped file, examples, features, target column, splits). Every
# column before the target is a feature; naval's column 17 (a second target,
# the turbine decay coefficient) is left out, as in the protocol.
_SETS = {
    "concrete": ("uci-concrete.txt.gz", 1030, 8, 8, 20),
    "energy": ("uci-energy.txt.gz", 768, 8, 8, 20),
    "kin8nm": ("uci-kin8nm.txt.gz", 8192, 8, 8, 20),
    "naval": ("uci-naval-propulsion-plant.txt.gz", 11934, 16, 16, 20),
    "power": ("uci-power-plant.txt.gz", 9568, 4, 4, 20),
    "protein": ("uci-protein-tertiary-structure.txt.gz", 45730, 9, 9, 5),
    "wine": ("uci-wine-quality-red.txt.gz", 1599, 11, 11, 20),
    "yacht": ("uci-yacht.txt.gz", 308, 6, 6, 20),
}
UCI_DATASETS = tuple(_SETS)
_TRAIN_FRACTION = 0.9

UCISplit = collections.namedtuple("UCISplit", ["x_train", "y_train", "x_test", "y_test"])
UCISplit.__doc__ = """Result of `load_uci`: one train/test split.

Attributes:
    x_train: float32 array `(n_train, num_features)`.
    y_train: float32 array `(n_train,)`.
    x_test: float32 array `(n_test, num_features)`.
    y_test: float32 array `(n_test,)`.
"""

UCIData = collections.namedtuple("UCIData", ["features", "targets"])
UCIData.__doc__ = """Result of `load_uci_full`: a whole data set, rows in file order.

Attributes:
    features: float32 array `(n, num_features)`.
    targets: float32 array `(n,)`.
"""


def _check_name(name):
    return _checks.check_choice("name", name, UCI_DATASETS)


def uci_num_splits(name):
    """The number of train/test splits of the protocol for a UCI data set:
    5 for `"protein"`, 20 for the others.

    Args:
        name: one of `UCI_DATASETS`.

    Returns:
        An int.

    Raises:
        ValueError: if `name` is not one of `UCI_DATASETS`.
    """
    return _SETS[_check_name(name)][4]


def _check_split(name, split, seed):
    split = _checks.check_int("split", split)  # a TypeError for a non-integer
    num_splits = _SETS[name][4]
    if not 0 <= split < num_splits:
        raise ValueError(
            f"`split` must be an integer in [0, {num_splits}) for {name!r} "
            f"(its {num_splits} splits). Received: split={split!r}")
    return split, _checks.check_int("seed", seed, minimum=0)


def uci_split_indices(name, split=0, seed=0):
    """Row indices of one seeded 90/10 train/test split of a UCI data set.

    A random permutation of the rows from NumPy's generator seeded with
    `(seed, split)`: its first `round(0.9 * n)` rows train, the rest test.
    Each split is an independent draw (the test sets of two splits may
    overlap, as in the protocol's 20 random splits); the same `name`, `split`
    and `seed` give the same split on every machine. These are tfbsl's
    splits, not the published ones: results are comparable with published
    figures within their standard errors, not digit for digit.

    Args:
        name: one of `UCI_DATASETS`.
        split: the split's index, an integer in `[0, uci_num_splits(name))`.
        seed: an integer >= 0 choosing the family of splits.

    Returns:
        `(train_index, test_index)`, two disjoint int64 arrays that together
        hold every row index once, each in increasing order.

    Raises:
        ValueError: if `name` is unknown, or `split` or `seed` is out of range.
        TypeError: if `split` or `seed` is not an integer.
    """
    name = _check_name(name)
    split, seed = _check_split(name, split, seed)
    n = _SETS[name][1]
    order = np.random.default_rng((seed, split)).permutation(n)
    n_train = int(round(_TRAIN_FRACTION * n))
    return np.sort(order[:n_train]), np.sort(order[n_train:])


def load_uci_full(name):
    """Load a whole UCI regression data set (features and target), no split.

    Args:
        name: one of `UCI_DATASETS`: `"concrete"` (1,030 examples, 8
            features), `"energy"` (768, 8; heating load), `"kin8nm"` (8,192,
            8), `"naval"` (11,934, 16; the compressor decay coefficient, the
            second target dropped), `"power"` (9,568, 4), `"protein"`
            (45,730, 9), `"wine"` (1,599 red wines, 11) or `"yacht"` (308, 6).

    Returns:
        A `UCIData(features, targets)` namedtuple of float32 arrays, rows in
        the order of the shipped file.

    Raises:
        ValueError: if `name` is not one of `UCI_DATASETS`.

    References:
        J. M. Hernández-Lobato and R. P. Adams (2015), "Probabilistic
        Backpropagation for Scalable Learning of Bayesian Neural Networks",
        ICML 2015, https://arxiv.org/abs/1502.05336 (the protocol). The data:
        the UCI Machine Learning Repository (kin8nm: the DELVE archive);
        each set's source and licence are in `tfbsl/datasets/README.md`.
    """
    features, targets = _read(_check_name(name))
    return UCIData(features.copy(), targets.copy())


def load_uci(name, split=0, seed=0):
    """Load one seeded 90/10 train/test split of a UCI regression data set.

    The protocol of Hernández-Lobato & Adams (2015) on the eight UCI sets it
    shares with later work (Boston housing is left out): 20 random 90/10
    splits per set (`"protein"`: 5, `uci_num_splits`), the split drawn by
    `uci_split_indices(name, split, seed)`. The arrays are on the original
    scale; the protocol normalises inputs and targets with the training
    split's mean and standard deviation (guard constant features: naval has
    two) and reports test RMSE and log-likelihood on the original scale.
    `load_uci_full` gives the whole set.

    Args:
        name: one of `UCI_DATASETS`: `"concrete"`, `"energy"`, `"kin8nm"`,
            `"naval"`, `"power"`, `"protein"`, `"wine"` (red) or `"yacht"`
            (sizes: `load_uci_full`).
        split: the split's index, an integer in `[0, uci_num_splits(name))`.
        seed: an integer >= 0 choosing the family of splits (default 0).

    Returns:
        A `UCISplit(x_train, y_train, x_test, y_test)` namedtuple of float32
        arrays; it unpacks as `x_train, y_train, x_test, y_test = ...`.

    Raises:
        ValueError: if `name` is not one of `UCI_DATASETS`, or `split` or
            `seed` is out of range.
        TypeError: if `split` or `seed` is not an integer.

    Example:

    >>> import tfbsl
    >>> x_train, y_train, x_test, y_test = tfbsl.datasets.load_uci("yacht", split=3)
    >>> x_train.shape, y_train.shape, x_test.shape, y_test.shape
    ((277, 6), (277,), (31, 6), (31,))
    >>> tfbsl.datasets.uci_num_splits("protein")
    5

    References:
        J. M. Hernández-Lobato and R. P. Adams (2015), "Probabilistic
        Backpropagation for Scalable Learning of Bayesian Neural Networks",
        ICML 2015, https://arxiv.org/abs/1502.05336 (the protocol). The data:
        the UCI Machine Learning Repository (kin8nm: the DELVE archive);
        each set's source and licence are in `tfbsl/datasets/README.md`.
    """
    train, test = uci_split_indices(name, split, seed)
    features, targets = _read(name)
    return UCISplit(features[train], targets[train], features[test], targets[test])


@functools.cache
def _read(name):
    """(features, targets) of a shipped set, parsed once per process; callers
    copy or index them (the cached arrays are read-only)."""
    filename, rows, num_features, target, _ = _SETS[name]
    path = importlib.resources.files(__package__) / filename
    with path.open("rb") as raw, gzip.open(raw, "rt") as f:
        data = np.loadtxt(f, dtype=np.float32, ndmin=2)
    if data.shape[0] != rows or data.shape[1] <= target:
        raise ValueError(f"Unexpected shape {data.shape} of {filename}")
    features, targets = data[:, :num_features], data[:, target]
    for array in (features, targets):
        array.flags.writeable = False
    return features, targets
