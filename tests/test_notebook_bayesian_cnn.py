"""Runs notebooks/bayesian_cnn_digits.ipynb top to bottom on small settings."""

import pytest

from tests.notebooks import run_notebook

pytestmark = pytest.mark.slow  # see setup.cfg: the fast loop leaves it out


def test_bayesian_cnn_notebook_runs(tmp_path, monkeypatch):
    text, images = run_notebook("bayesian_cnn_digits", tmp_path, monkeypatch,
                                TFBSL_NB_EPOCHS="1", TFBSL_NB_PASSES="2")
    assert "ECE" in text and "AUROC" in text and "bayesianize + MOPED" in text
    assert "Bayesian head (Flipout)" in text and "ECE at 0 deg" in text
    assert len(images) == 3  # reliability diagrams, unseen digits, rotated digits
