import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("MPLBACKEND", "Agg")

import keras
import pytest

from tests import _grappler

# Grappler, TensorFlow's graph optimizer, rewrites every traced function before
# it first runs; it does not change what tfbsl computes, and it took a fifth of
# the conformance suite's time (507 -> 414 s of tests). The suite runs with it
# off; tests marked `grappler` (what TensorFlow's compilers make of tfbsl's
# graphs: tests/test_xla.py) turn it on, and `TFBSL_TEST_GRAPPLER=1` keeps it
# on for a whole run.
_GRAPPLER_OFF = keras.backend.backend() == "tensorflow" and not _grappler.wanted()
if _GRAPPLER_OFF:
    _grappler.set_grappler(False)


@pytest.fixture(autouse=True)
def _grappler_where_marked(request):
    marked = _GRAPPLER_OFF and request.node.get_closest_marker("grappler") is not None
    if marked:
        _grappler.set_grappler(True)
    yield
    if marked:
        _grappler.set_grappler(False)


@pytest.fixture(autouse=True)
def _clear_session():
    # Without the full `gc.collect()` (0.4 s a test here): Python's own
    # collector still runs, and the names and seeds are reset all the same.
    keras.utils.clear_session(free_memory=False)
    keras.utils.set_random_seed(0)
    yield
