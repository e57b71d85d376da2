import importlib.resources

import numpy as np
import pytest

import tfbsl


@pytest.mark.parametrize("color,n", [("red", 1599), ("white", 4898)])
def test_load_one_color(color, n):
    x, y, names = tfbsl.datasets.load_wine_quality(color)
    assert x.shape == (n, 11) and x.dtype == np.float32
    assert y.shape == (n,) and y.dtype == np.float32
    assert names[0] == "fixed acidity" and names[-1] == "alcohol" and len(names) == 11
    assert set(np.unique(y)) <= set(range(11))
    assert np.isfinite(x).all()


def test_both_adds_is_red():
    both = tfbsl.datasets.load_wine_quality("both")
    red = tfbsl.datasets.load_wine_quality("red")
    assert both.features.shape == (1599 + 4898, 12)
    assert both.feature_names[-1] == "is_red"
    np.testing.assert_array_equal(both.features[:1599, :11], red.features)
    assert both.features[:1599, -1].all() and not both.features[1599:, -1].any()


def test_unknown_color_names_the_accepted_values():
    with pytest.raises(ValueError, match=r"color.*\['both', 'red', 'white'\].*rose"):
        tfbsl.datasets.load_wine_quality("rose")


def test_shipped_with_attribution():
    files = importlib.resources.files("tfbsl.datasets")
    attribution = (files / "README.md").read_text()
    assert "Cortez" in attribution and "CC BY 4.0" in attribution
    assert (files / "winequality-red.csv").is_file()
