"""tfbsl.datasets.load_uci: the eight shipped UCI regression sets and their
seeded 90/10 splits (the Hernández-Lobato & Adams 2015 protocol)."""

import doctest
import importlib.resources
import re

import numpy as np
import pytest

import tfbsl
from tfbsl.datasets import uci

# name: (rows, columns of the file, target column), as the data's README
# table gives them (tfbsl/datasets/README.md, copied from the source's).
TABLE = {
    "concrete": (1030, 9, 8),
    "energy": (768, 9, 8),
    "kin8nm": (8192, 9, 8),
    "naval": (11934, 18, 16),
    "power": (9568, 5, 4),
    "protein": (45730, 10, 9),
    "wine": (1599, 12, 11),
    "yacht": (308, 7, 6),
}


def test_the_eight_sets_are_listed():
    assert tfbsl.datasets.UCI_DATASETS == tuple(TABLE)


@pytest.mark.parametrize("name", list(TABLE))
def test_shapes_match_the_readme_table(name):
    rows, columns, target = TABLE[name]
    features, targets = tfbsl.datasets.load_uci_full(name)
    # Every column before the target is a feature; naval's second target goes.
    assert features.shape == (rows, target) and features.dtype == np.float32
    assert targets.shape == (rows,) and targets.dtype == np.float32
    assert np.isfinite(features).all() and np.isfinite(targets).all()
    split = tfbsl.datasets.load_uci(name, split=0)
    n_train = round(0.9 * rows)
    assert split.x_train.shape == (n_train, target) and split.y_train.shape == (n_train,)
    assert split.x_test.shape == (rows - n_train, target)
    assert split.y_test.shape == (rows - n_train,)


def test_shipped_readme_table_and_attribution():
    files = importlib.resources.files("tfbsl.datasets")
    readme = (files / "README.md").read_text(encoding="utf-8")
    found = {}
    for line in readme.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 6 and cells[1].startswith("uci-"):
            assert (files / cells[1]).is_file(), cells[1]
            found[cells[0]] = (int(cells[2]), int(cells[3]), int(cells[4].split()[0]))
            assert re.search(r"CC BY 4\.0|public", cells[5]), cells
    assert found == TABLE
    assert "Hernández-Lobato" in readme and "Boston" in readme


def test_targets_are_the_named_columns():
    # Spot checks against the first rows of the source files.
    assert tfbsl.datasets.load_uci_full("concrete").targets[0] == np.float32(79.99)
    naval = tfbsl.datasets.load_uci_full("naval")
    np.testing.assert_allclose(naval.targets[:2], [0.95, 0.95])
    np.testing.assert_allclose(naval.features[0, -1], 0.082, rtol=1e-6)  # column 15
    wine = tfbsl.datasets.load_uci_full("wine")
    assert set(np.unique(wine.targets)) <= set(range(11))


@pytest.mark.parametrize("name,num_splits", [(name, 5 if name == "protein" else 20)
                                             for name in TABLE])
def test_number_of_splits(name, num_splits):
    assert tfbsl.datasets.uci_num_splits(name) == num_splits
    tfbsl.datasets.uci_split_indices(name, split=num_splits - 1)
    with pytest.raises(ValueError, match=rf"`split`.*\[0, {num_splits}\).*split={num_splits}"):
        tfbsl.datasets.uci_split_indices(name, split=num_splits)


@pytest.mark.parametrize("name", ["yacht", "kin8nm"])
def test_split_is_a_reproducible_disjoint_90_10_partition(name):
    rows = TABLE[name][0]
    train, test = tfbsl.datasets.uci_split_indices(name, split=3, seed=7)
    assert len(train) == round(0.9 * rows) and len(train) + len(test) == rows
    assert not set(train) & set(test)
    np.testing.assert_array_equal(np.sort(np.concatenate([train, test])), np.arange(rows))
    again_train, again_test = tfbsl.datasets.uci_split_indices(name, split=3, seed=7)
    np.testing.assert_array_equal(train, again_train)
    np.testing.assert_array_equal(test, again_test)
    # The arrays are those rows of the full set.
    features, targets = tfbsl.datasets.load_uci_full(name)
    split = tfbsl.datasets.load_uci(name, split=3, seed=7)
    np.testing.assert_array_equal(split.x_train, features[train])
    np.testing.assert_array_equal(split.y_train, targets[train])
    np.testing.assert_array_equal(split.x_test, features[test])
    np.testing.assert_array_equal(split.y_test, targets[test])


def test_splits_and_seeds_differ():
    tests = [set(tfbsl.datasets.uci_split_indices("concrete", split=s, seed=0)[1])
             for s in range(20)]
    assert len({frozenset(t) for t in tests}) == 20
    other = set(tfbsl.datasets.uci_split_indices("concrete", split=0, seed=1)[1])
    assert other != tests[0]


def test_fixed_split_values():
    # Pins the split rule (NumPy's generator seeded with (seed, split)): a
    # change of it changes every published tfbsl UCI figure.
    rng = np.random.default_rng((0, 2))
    expected = np.sort(rng.permutation(308)[277:])
    np.testing.assert_array_equal(tfbsl.datasets.uci_split_indices("yacht", 2)[1], expected)


def test_results_are_independent_copies():
    first = tfbsl.datasets.load_uci_full("yacht")
    first.features[:] = 0.0
    first.targets[:] = 0.0
    again = tfbsl.datasets.load_uci_full("yacht")
    assert again.features.any() and again.targets.any()
    split = tfbsl.datasets.load_uci("yacht")
    split.x_train[:] = 0.0
    assert tfbsl.datasets.load_uci("yacht").x_train.any()


BAD_INPUTS = [
    # (kwargs, error, message: names the argument, the value and what is accepted)
    (dict(name="boston"), ValueError, r"`name` must be one of \['concrete', .*'yacht'\]"
                                      r".*name='boston'"),
    (dict(name="Yacht"), ValueError, r"`name` must be one of .*name='Yacht'"),
    (dict(name=None), ValueError, r"`name` must be one of .*name=None"),
    (dict(name=3), ValueError, r"`name` must be one of .*name=3"),
    (dict(name="yacht", split=20), ValueError, r"`split` must be an integer in \[0, 20\)"
                                               r".*split=20"),
    (dict(name="protein", split=5), ValueError, r"`split` .*\[0, 5\).*split=5"),
    (dict(name="yacht", split=-1), ValueError, r"`split` must be an integer in \[0, 20\)"
                                               r".*split=-1"),
    (dict(name="yacht", split=1.0), TypeError, r"`split` must be an integer.*split=1\.0"),
    (dict(name="yacht", split="1"), TypeError, r"`split` must be an integer.*split='1'"),
    (dict(name="yacht", split=True), TypeError, r"`split` must be an integer.*split=True"),
    (dict(name="yacht", split=None), TypeError, r"`split` must be an integer.*split=None"),
    (dict(name="yacht", seed=-1), ValueError, r"`seed` must be an integer >= 0.*seed=-1"),
    (dict(name="yacht", seed=0.5), TypeError, r"`seed` must be an integer.*seed=0\.5"),
    (dict(name="yacht", seed=None), TypeError, r"`seed` must be an integer.*seed=None"),
]


@pytest.mark.parametrize("kwargs,error,message", BAD_INPUTS,
                         ids=[f"{k}-{e.__name__}" for k, e, _ in BAD_INPUTS])
@pytest.mark.parametrize("loader", ["load_uci", "uci_split_indices"])
def test_bad_inputs(loader, kwargs, error, message):
    with pytest.raises(error, match=message):
        getattr(tfbsl.datasets, loader)(**kwargs)


@pytest.mark.parametrize("loader", ["load_uci_full", "uci_num_splits"])
def test_bad_name_for_the_name_only_functions(loader):
    with pytest.raises(ValueError, match=r"`name` must be one of .*name='boston'"):
        getattr(tfbsl.datasets, loader)("boston")


def test_numpy_integers_are_accepted():
    a = tfbsl.datasets.load_uci("energy", split=np.int64(4), seed=np.int32(1))
    b = tfbsl.datasets.load_uci("energy", split=4, seed=1)
    np.testing.assert_array_equal(a.y_test, b.y_test)


def test_docstring_example_runs():
    result = doctest.testmod(uci, optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 3 and result.failed == 0, result


def test_public_names():
    for name in uci.__all__:
        assert getattr(tfbsl.datasets, name) is getattr(uci, name)
