import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("MPLBACKEND", "Agg")

from tests import _compilers  # before XLA reads XLA_FLAGS

os.environ["XLA_FLAGS"] = _compilers.xla_flags()

import keras
import pytest

# Grappler off and XLA at LLVM level 0: tests/_compilers.py says why. Tests
# marked `grappler` (what TensorFlow's compilers make of tfbsl's graphs:
# tests/test_xla.py) turn grappler on; `TFBSL_TEST_GRAPPLER=1` keeps it on for
# a whole run, `TFBSL_TEST_XLA_OPT=1` keeps XLA's default level.
_GRAPPLER_OFF = keras.backend.backend() == "tensorflow" and not _compilers.grappler_wanted()
if _GRAPPLER_OFF:
    _compilers.set_grappler(False)


@pytest.fixture(autouse=True)
def _grappler_where_marked(request):
    marked = _GRAPPLER_OFF and request.node.get_closest_marker("grappler") is not None
    if marked:
        _compilers.set_grappler(True)
    yield
    if marked:
        _compilers.set_grappler(False)


@pytest.fixture(autouse=True)
def _clear_session():
    # Without the full `gc.collect()` (0.4 s a test here): Python's own
    # collector still runs, and the names and seeds are reset all the same.
    keras.utils.clear_session(free_memory=False)
    keras.utils.set_random_seed(0)
    yield
