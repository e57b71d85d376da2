"""Runs notebooks/flows.ipynb top to bottom on small settings."""

import pytest

from tests.notebooks import run_notebook

pytestmark = pytest.mark.slow  # see setup.cfg: the fast loop leaves it out


def test_flows_notebook_runs(tmp_path, monkeypatch):
    # One epoch on a small two moons.
    text, images = run_notebook("flows", tmp_path, monkeypatch,
                                TFBSL_NB_EPOCHS="1", TFBSL_NB_SAMPLES="256")
    assert "held-out NLL" in text and "spline (coupling)" in text
    assert images
