"""Runs notebooks/bayesian_neural_networks_wine.ipynb top to bottom on small settings."""

import pytest

from tests.notebooks import run_notebook

pytestmark = pytest.mark.slow  # see setup.cfg: the fast loop leaves it out


def test_wine_notebook_runs(tmp_path, monkeypatch):
    text, images = run_notebook("bayesian_neural_networks_wine", tmp_path, monkeypatch,
                                TFBSL_NB_EPOCHS="2")
    assert "white wines" in text and "95% CI" in text
    assert "Exp. 3 coverage of the 95% interval" in text
    assert len(images) == 3  # data-size shrinkage, uncertainty bands, calibration
