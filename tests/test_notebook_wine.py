"""Runs notebooks/bayesian_neural_networks_wine.ipynb top to bottom on small settings."""

import json
import pathlib
import sys

import pytest

nbclient = pytest.importorskip("nbclient")
nbformat = pytest.importorskip("nbformat")

NOTEBOOK = (pathlib.Path(__file__).resolve().parents[1] / "notebooks"
            / "bayesian_neural_networks_wine.ipynb")


def _kernel_for_this_interpreter(tmp_path, monkeypatch):
    """A kernel spec running `sys.executable`, found before any user's python3."""
    name = "tfbsl-test-kernel"
    spec_dir = tmp_path / "jupyter" / "kernels" / name
    spec_dir.mkdir(parents=True)
    (spec_dir / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": name,
        "language": "python",
    }))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    return name


def test_wine_notebook_runs(tmp_path, monkeypatch):
    monkeypatch.setenv("TFBSL_NB_EPOCHS", "2")
    # The kernel's inline backend, not the suite's Agg: the figures must show.
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "3")
    kernel = _kernel_for_this_interpreter(tmp_path, monkeypatch)
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(
        notebook, kernel_name=kernel, timeout=600,
        resources={"metadata": {"path": str(NOTEBOOK.parent)}},
    )
    client.execute()
    outputs = [o for cell in notebook.cells if cell.cell_type == "code"
               for o in cell.get("outputs", [])]
    text = "".join(o.get("text", "") for o in outputs if o.get("output_type") == "stream")
    assert "white wines" in text and "95% CI" in text
    assert "Exp. 3 coverage of the 95% interval" in text
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(images) == 3  # data-size shrinkage, uncertainty bands, calibration
