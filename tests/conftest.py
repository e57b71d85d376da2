import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("MPLBACKEND", "Agg")

import keras
import pytest


@pytest.fixture(autouse=True)
def _clear_session():
    # Without the full `gc.collect()` (0.4 s a test here): Python's own
    # collector still runs, and the names and seeds are reset all the same.
    keras.utils.clear_session(free_memory=False)
    keras.utils.set_random_seed(0)
    yield
