"""The backend seam: an unsupported Keras backend is a clear ImportError, and
tfbsl on JAX imports no TensorFlow (a JAX-only machine has none)."""

import os
import subprocess
import sys

import pytest


def _run(code, backend):
    env = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="3")
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, timeout=600)


def test_an_unsupported_backend_names_the_supported_ones():
    # Keras' NumPy backend needs nothing installed; PyTorch's error is the same.
    result = _run("import tfbsl", "numpy")
    assert result.returncode != 0
    assert "ImportError: tfbsl runs on the Keras backends tensorflow, jax" in result.stderr
    assert "Received: keras.backend.backend()='numpy'" in result.stderr


_WITHOUT_TENSORFLOW = """
import sys
sys.modules["tensorflow"] = None  # any `import tensorflow` now fails
import keras, numpy as np, tfbsl
x = np.random.default_rng(0).normal(size=(64, 3)).astype("float32")
model = keras.Sequential([keras.Input((3,)), tfbsl.layers.DenseVariational(2, seed=0),
                          tfbsl.layers.IndependentNormal(1)])
model.compile("adam", tfbsl.losses.NegativeLogLikelihood(), jit_compile=True)
model.fit(x, x[:, :1], epochs=1, verbose=0)
print(sorted(m for m in sys.modules if m.split(".")[0] == "tensorflow" and sys.modules[m]))
"""


@pytest.mark.slow
def test_jax_backend_needs_no_tensorflow():
    pytest.importorskip("jax")
    result = _run(_WITHOUT_TENSORFLOW, "jax")
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().splitlines()[-1] == "[]"
