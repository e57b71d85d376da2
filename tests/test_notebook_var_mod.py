"""Runs notebooks/var_mod.ipynb top to bottom on small settings."""

import pytest

from tests.notebooks import run_notebook

pytestmark = pytest.mark.slow  # see setup.cfg: the fast loop leaves it out


def test_var_mod_notebook_runs(tmp_path, monkeypatch):
    monkeypatch.delenv("TFBSL_MNIST_PATH", raising=False)
    # One epoch; the importance-weighted bound at K = 1 and 10 only.
    text, images = run_notebook("var_mod", tmp_path, monkeypatch,
                                TFBSL_NB_EPOCHS="1", TFBSL_NB_IWAE_K="10")
    assert "importance-weighted" in text
    assert len(images) == 4  # ELBO curves, reconstructions, prior samples, latent space
