"""`notebooks/flows.ipynb` runs top to bottom (on small settings)."""

import pathlib

import nbformat
from nbclient import NotebookClient

NOTEBOOK = pathlib.Path(__file__).parent.parent / "notebooks" / "flows.ipynb"


def test_flows_notebook_runs(monkeypatch):
    # The kernel inherits the environment: one epoch on a small two moons.
    monkeypatch.setenv("TFBSL_NB_EPOCHS", "1")
    monkeypatch.setenv("TFBSL_NB_SAMPLES", "256")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    # "python3" is ipykernel's own spec, which runs the interpreter running
    # the tests: no kernelspec needs installing on a fresh machine.
    client = NotebookClient(notebook, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(NOTEBOOK.parent)}})
    client.execute()
    outputs = "".join(
        o.get("text", "") for cell in notebook.cells if cell.cell_type == "code"
        for o in cell.get("outputs", []))
    assert "held-out NLL" in outputs and "spline (coupling)" in outputs
