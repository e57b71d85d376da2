"""Runs a notebook of `notebooks/` top to bottom, as the suite's notebook tests do."""

import json
import pathlib
import sys

import nbclient
import nbformat

NOTEBOOKS = pathlib.Path(__file__).resolve().parents[1] / "notebooks"


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


def run_notebook(name, tmp_path, monkeypatch, **env):
    """Execute `notebooks/<name>.ipynb` with `env` set (small settings).

    Returns the text the cells printed and their PNG outputs.
    """
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    # The kernel's inline backend, not the suite's Agg: the figures must show.
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "3")
    path = NOTEBOOKS / f"{name}.ipynb"
    notebook = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        notebook, kernel_name=_kernel_for_this_interpreter(tmp_path, monkeypatch),
        timeout=600, resources={"metadata": {"path": str(NOTEBOOKS)}},
    )
    client.execute()
    outputs = [o for cell in notebook.cells if cell.cell_type == "code"
               for o in cell.get("outputs", [])]
    text = "".join(o.get("text", "") for o in outputs if o.get("output_type") == "stream")
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    return text, images
