"""A `.keras` file saved on one Keras backend loads on the other and predicts
the same distribution (tests/_cross_backend_script.py)."""

import os
import pathlib
import subprocess
import sys

import pytest

_SCRIPT = pathlib.Path(__file__).with_name("_cross_backend_script.py")


def _run(backend, *args):
    env = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="3")
    result = subprocess.run([sys.executable, str(_SCRIPT), *map(str, args)], env=env,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


@pytest.mark.slow
@pytest.mark.parametrize("source,target", [("tensorflow", "jax"), ("jax", "tensorflow")])
def test_saved_on_one_backend_predicts_the_same_on_the_other(source, target, tmp_path):
    pytest.importorskip("jax")
    _run(source, "save", tmp_path)
    differences = dict(line.split() for line in _run(target, "load", tmp_path).splitlines()
                       if line.split()[0] in ("head", "variational", "flow"))
    assert set(differences) == {"head", "variational", "flow"}
    for name, difference in differences.items():
        assert float(difference) < 1e-4, (name, difference)
